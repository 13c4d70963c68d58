/* anp_model.h: the cluster-scoped admin policies as plain data: ClusterNetworkPolicy
 * (policy.networking.k8s.io/v1alpha2, and its EKS twin networking.k8s.aws/v1alpha1),
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1), and
 * the Node objects their `nodes` peers select. k8s_model.h includes this header after the
 * selector, address and port types it uses: include k8s_model.h, not this. Read by
 * k8s_read_anp.c, evaluated by anp_eval.c. */
#ifndef ZT_ANP_MODEL_H
#define ZT_ANP_MODEL_H

typedef enum {
    ANP_API_CNP,  /* ClusterNetworkPolicy policy.networking.k8s.io/v1alpha2 */
    ANP_API_EKS,  /* ClusterNetworkPolicy networking.k8s.aws/v1alpha1 */
    ANP_API_ANP,  /* AdminNetworkPolicy policy.networking.k8s.io/v1alpha1 */
    ANP_API_BANP, /* BaselineAdminNetworkPolicy policy.networking.k8s.io/v1alpha1 */
} anp_api_t;

/* Accept (v1alpha2, EKS) and Allow (v1alpha1) are one action. */
typedef enum { ANP_ACCEPT, ANP_DENY, ANP_PASS } anp_action_t;

typedef enum {
    ANP_PEER_NAMESPACES,
    ANP_PEER_PODS,
    ANP_PEER_NODES,
    ANP_PEER_NETWORKS,
    ANP_PEER_DOMAINS
} anp_peer_kind_t;

#define ANP_DOMAIN_LEN 254

typedef struct {
    anp_peer_kind_t kind;
    k8s_selector_t nsel; /* namespaces; pods: namespaceSelector; nodes: the node selector */
    k8s_selector_t pod;  /* pods: podSelector */
    cidr_t *nets;        /* networks */
    size_t n_nets;
    char **domains; /* domainNames, lower case, no trailing dot; "*.x.y" wildcards */
    size_t n_domains;
} anp_peer_t;

/* A port entry: a number (end_port 0) or range of one protocol, or a container port name
 * (any protocol: the container port's own). */
typedef struct {
    k8s_port_kind_t kind; /* K8S_PORT_NUMBER or K8S_PORT_NAME */
    k8s_proto_t proto;
    int port, end_port;
    char *name;
} anp_port_t;

typedef struct {
    char *name; /* NULL when unnamed */
    anp_action_t action;
    anp_peer_t *peers;
    size_t n_peers;
    anp_port_t *ports; /* none: every port of every protocol */
    size_t n_ports;
    char *unknown; /* set: what of this rule the evaluator cannot judge; a match is unknown */
} anp_rule_t;

typedef struct {
    anp_api_t api;
    char *name;
    bool baseline;     /* tier Baseline (every BaselineAdminNetworkPolicy) */
    int priority;      /* 0..1000; BaselineAdminNetworkPolicy: none (0) */
    bool subject_pods; /* subject.pods (else subject.namespaces: subj_ns alone) */
    k8s_selector_t subj_ns, subj_pod;
    anp_rule_t *ingress;
    size_t n_ingress;
    anp_rule_t *egress;
    size_t n_egress;
} anp_policy_t;

typedef struct {
    char *name;
    labels_t labels;
    ip_addr_t *addrs; /* status.addresses that are IP addresses */
    size_t n_addrs;
} anp_node_t;

/* The model's field group for these APIs. */
typedef struct {
    anp_policy_t *pols;
    size_t n_pols, cap_pols;
    anp_node_t *nodes;
    size_t n_nodes, cap_nodes;
} anp_set_t;

#endif
