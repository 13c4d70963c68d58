/* k8s_model.h: the Kubernetes objects the policy commands read (namespaces, pods and pod
 * templates, Services, NetworkPolicies), as plain data the evaluator (netpol.h) queries.
 * Built by k8s_read.c; pure: nothing here does I/O. */
#ifndef ZT_K8S_MODEL_H
#define ZT_K8S_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calico_model.h"
#include "cilium_model.h"
#include "cidr.h"
#include "ipaddr.h"
#include "labels.h"

#define K8S_NS_LABEL "kubernetes.io/metadata.name" /* implied on every namespace */

typedef enum { K8S_TCP, K8S_UDP, K8S_SCTP } k8s_proto_t;

typedef enum { K8S_OP_IN, K8S_OP_NOT_IN, K8S_OP_EXISTS, K8S_OP_DOES_NOT_EXIST } k8s_op_t;

typedef struct {
    char *key;
    k8s_op_t op;
    char **values;
    size_t n_values;
} k8s_requirement_t;

/* A metav1.LabelSelector: every matchLabels pair and every requirement must hold; an empty
 * selector matches everything. */
typedef struct {
    labels_t match;
    k8s_requirement_t *exprs;
    size_t n_exprs;
} k8s_selector_t;

typedef struct {
    char *name; /* NULL when unnamed */
    int port;
    k8s_proto_t proto;
} k8s_cport_t;

/* A Pod, or the pod template of a workload (one entry however many replicas). */
typedef struct {
    size_t ns;         /* index into k8s_model_t.namespaces */
    char *owner;       /* "Deployment/backend", "Pod/x-a": where it came from */
    char *name;        /* the workload's or the pod's name */
    bool workload;     /* from a workload's template (not a Pod object) */
    bool host_network; /* spec.hostNetwork: its address is its node's */
    labels_t labels;
    k8s_cport_t *ports;
    size_t n_ports;
    ip_addr_t *ips; /* status.podIP / podIPs, Pods only */
    size_t n_ips;
    char *service_account; /* spec.serviceAccountName, NULL: "default" */
} k8s_pod_t;

typedef struct {
    char *name; /* NULL when unnamed */
    int port;
    k8s_proto_t proto;
    int target_port;   /* 0 when targetPort is a name */
    char *target_name; /* targetPort by name, else NULL */
    char *app_protocol;
} k8s_svc_port_t;

typedef struct {
    size_t ns;
    char *name;
    bool has_selector;
    labels_t selector;
    k8s_svc_port_t *ports;
    size_t n_ports;
    bool has_cluster_ip;
    ip_addr_t cluster_ip;
} k8s_service_t;

/* The addresses of an Endpoints object or EndpointSlice: a Service's endpoints (for Services
 * without a selector, and the API server's default/kubernetes). */
typedef struct {
    size_t ns;
    char *service;
    ip_addr_t *addrs;
    size_t n_addrs;
} k8s_endpoints_t;

typedef struct {
    cidr_t cidr;
    cidr_t *except;
    size_t n_except;
} k8s_ipblock_t;

/* One entry of from/to: podSelector and namespaceSelector together are ANDed. */
typedef struct {
    bool has_pod, has_ns, has_ipblock;
    k8s_selector_t pod, nsel;
    k8s_ipblock_t ipblock;
} k8s_peer_t;

typedef enum { K8S_PORT_ANY, K8S_PORT_NUMBER, K8S_PORT_NAME } k8s_port_kind_t;

typedef struct {
    k8s_proto_t proto; /* default TCP */
    k8s_port_kind_t kind;
    int port;     /* K8S_PORT_NUMBER */
    int end_port; /* 0: just port */
    char *name;   /* K8S_PORT_NAME */
} k8s_np_port_t;

/* An ingress or egress rule: no peers = every peer, no ports = every port. */
typedef struct {
    k8s_peer_t *peers;
    size_t n_peers;
    k8s_np_port_t *ports;
    size_t n_ports;
} k8s_rule_t;

#include "anp_model.h" /* the admin tiers' objects: after the types they use */

typedef struct {
    size_t ns;
    char *name;
    k8s_selector_t pod_selector;
    bool ingress_type, egress_type; /* policyTypes, defaults applied */
    k8s_rule_t *ingress;
    size_t n_ingress;
    k8s_rule_t *egress;
    size_t n_egress;
} k8s_policy_t;

/* A policy object the evaluator does not understand (AdminNetworkPolicy, Cilium or Calico
 * CRDs, a NetworkPolicy with unknown fields): answers it could change become unknown. */
typedef struct {
    char *kind; /* "CiliumNetworkPolicy" */
    char *ns;   /* NULL: cluster-scoped, may affect every pod */
    char *name;
    char *why; /* one phrase: "not a networking.k8s.io/v1 NetworkPolicy" */
} k8s_foreign_t;

typedef struct {
    char *name;
    labels_t labels;  /* with kubernetes.io/metadata.name */
    bool declared;    /* a Namespace object was read (else implied by a namespaced object) */
    size_t *policies; /* indexes into k8s_model_t.policies of this namespace */
    size_t n_policies;
    size_t *pods; /* indexes into k8s_model_t.pods of this namespace */
    size_t n_pods;
} k8s_namespace_t;

typedef struct {
    char *kind;
    size_t count;
} k8s_skipped_t;

typedef struct {
    k8s_namespace_t *namespaces;
    size_t n_namespaces, cap_namespaces;
    k8s_pod_t *pods;
    size_t n_pods, cap_pods;
    k8s_service_t *services;
    size_t n_services, cap_services;
    k8s_policy_t *policies;
    size_t n_policies, cap_policies;
    k8s_foreign_t *foreign;
    size_t n_foreign, cap_foreign;
    k8s_skipped_t *skipped; /* other kinds, counted per kind */
    size_t n_skipped, cap_skipped;
    size_t objects;      /* objects read (List items count one by one) */
    char default_ns[64]; /* namespace of objects without one ("" = "default"), as -n */
    size_t *by_ip;       /* pairs (pod, which IP) sorted by IP: every IP of every pod */
    size_t n_by_ip;
    /* Namespaces by name (open addressing, index + 1, 0 empty; at most half full): every
     * object looks its namespace up, and a file can name 50,000 of them. */
    size_t *ns_slot;
    size_t ns_nslot;
    cal_model_t calico;         /* Calico policies, tiers, ServiceAccounts */
    cil_model_t cilium;         /* CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy */
    k8s_endpoints_t *endpoints; /* Endpoints, EndpointSlices */
    size_t n_endpoints, cap_endpoints;
    anp_set_t anp; /* admin tiers (anp_model.h) */
} k8s_model_t;

k8s_model_t *k8s_model_create(void);
void k8s_model_destroy(k8s_model_t *m);

/* The namespace's index, created (with its implied label) when absent. Returns 0 or -1 on
 * OOM. */
int k8s_model_namespace(k8s_model_t *m, const char *name, size_t *idx);

/* The index of a namespace, or -1. */
long k8s_model_find_namespace(const k8s_model_t *m, const char *name);

/* Appends a zeroed entry and returns it (NULL on OOM); the model owns what the caller puts
 * in it. */
k8s_pod_t *k8s_model_add_pod(k8s_model_t *m);
k8s_service_t *k8s_model_add_service(k8s_model_t *m);
k8s_policy_t *k8s_model_add_policy(k8s_model_t *m);
k8s_foreign_t *k8s_model_add_foreign(k8s_model_t *m);
anp_policy_t *k8s_model_add_anp(k8s_model_t *m);
anp_node_t *k8s_model_add_node(k8s_model_t *m);
/* Counts an object of a kind the reader skips; past K8S_SKIPPED_KINDS_MAX distinct kinds,
 * under "(other kinds)". Returns 0 or -1 on OOM. */
#define K8S_SKIPPED_KINDS_MAX 64
int k8s_model_count_skipped(k8s_model_t *m, const char *kind);

/* Indexes policies and pods by namespace and pods by IP; call once all objects are in (and
 * again after adding any). Returns 0 or -1. */
int k8s_model_finish(k8s_model_t *m);

/* The namespace objects read from now on land in when they name none, as `kubectl apply -n
 * NS -f FILE` does (NULL or "": "default"). Names longer than 63 are cut. */
void k8s_model_set_default_namespace(k8s_model_t *m, const char *ns);

/* The pod with this IP, or -1. */
long k8s_model_find_pod_ip(const k8s_model_t *m, const ip_addr_t *a);

/* A Service by name in a namespace, or NULL. */
const k8s_service_t *k8s_model_find_service(const k8s_model_t *m, size_t ns, const char *name);

bool k8s_selector_matches(const k8s_selector_t *s, const labels_t *l);

const char *k8s_proto_name(k8s_proto_t p);

#endif
