/* netpol.h: the policy evaluator. Pure: given a model of the objects (k8s_model.h), a source,
 * a destination, a port and a protocol, it answers what the policies intend, per direction,
 * by walking the tier chain (policy_tier.h: admin, cni-pre, namespaced, baseline, default),
 * with the chain of decisive steps, the NetworkPolicy rules that allow it and, on a deny, the
 * nearest rule (for hints). No I/O, no allocation.
 *
 * The namespaced stage (networking.k8s.io/v1 NetworkPolicies), as Kubernetes defines it:
 *  - a pod is isolated for a direction only when some policy of its own namespace selects
 *    it (podSelector; {} selects every pod) with that policy type; policyTypes absent means
 *    Ingress, plus Egress when the policy has egress rules (applied by the reader);
 *  - an isolated direction allows exactly the union of the rules of the selecting policies;
 *    a rule allows when one of its ports matches (none listed: every port) and one of its
 *    peers matches (none listed: every peer, inside and outside the cluster);
 *  - a peer with podSelector and/or namespaceSelector matches pods only: namespaceSelector
 *    picks namespaces ({} = all), absent means the policy's own namespace; both together are
 *    ANDed; an ipBlock matches by address, pod IPs included, minus its except blocks;
 *  - a port matches by protocol (default TCP) and number, the range port..endPort, or a
 *    name resolved against the destination pod's container ports (also for egress);
 *  - egress is judged at the source pod, ingress at the destination pod; the path is
 *    allowed when both allow it. An address outside the cluster has no side of its own.
 */
#ifndef ZT_NETPOL_H
#define ZT_NETPOL_H

#include <stdbool.h>
#include <stddef.h>

#include "k8s_model.h"
#include "policy_tier.h"

typedef enum { NETPOL_DENY = 0, NETPOL_ALLOW = 1, NETPOL_UNKNOWN = 2 } netpol_verdict_t;
typedef enum { NETPOL_INGRESS, NETPOL_EGRESS } netpol_dir_t;

/* One end of a connection: a pod of the model (or a pod described by hand: namespace index,
 * labels, container ports, optionally its address, which ipBlock peers match), or addresses
 * outside the cluster (one address is a /32 or /128 block). */
typedef struct {
    bool is_pod;
    size_t ns;                   /* pod: index into the model's namespaces */
    const labels_t *labels;      /* pod: its labels */
    const char *service_account; /* pod: spec.serviceAccountName (NULL: "default") */
    const k8s_cport_t *ports;    /* pod: container ports, for named ports */
    size_t n_ports;
    bool has_addr; /* pod: addr is its IP */
    ip_addr_t addr;
    cidr_t range;           /* outside: the block the address lies in */
    bool unknown;           /* not a pod, not a range: somewhere the objects do not show
                                * (a DNS server not in them): only a rule open to every peer
                                * matches it for sure, any other peer perhaps */
    const char *host;       /* the name the probe connects to (domainNames peers), else NULL */
    size_t pod_id;          /* pod: 1 + its index in the model's pods, 0 when described by hand */
    bool host_network;      /* pod: spec.hostNetwork (its address is its node's) */
    bool via_service;       /* destination: reached through a Service (not its own pod IP) */
    const k8s_l7_req_t *l7; /* what an http(s) or dns probe asks, for L7 rules, else NULL */
} netpol_endpoint_t;

/* A rule: policies[policy], its ingress or egress list, entry rule (0-based). */
typedef struct {
    size_t policy;
    netpol_dir_t dir;
    size_t rule;
} netpol_ref_t;

typedef enum {
    NETPOL_NEAR_NONE,
    NETPOL_NEAR_OTHER_PORT, /* a rule whose peer matches, on other ports: wrong port? */
    NETPOL_NEAR_OTHER_PEER  /* a rule on this port, to other peers: labels don't match? */
} netpol_near_t;

#define NETPOL_BY_MAX 16

/* One direction as the walk builds it. verdict is the chain's answer; isolated..nearest are
 * the namespaced stage's detail (NetworkPolicies selecting the pod); chain holds the decisive
 * steps in walk order (every PASS, then the final step, which is the default allow when no
 * stage decided). */
typedef struct {
    bool applies;                   /* false: this end is outside the cluster (no policy side) */
    bool isolated;                  /* some policy selects the pod for this direction */
    netpol_verdict_t verdict;       /* UNKNOWN: an ipBlock covers only part of an outside range */
    size_t n_selecting;             /* policies selecting the pod for this direction */
    size_t first_selecting;         /* index of the first of them (valid when n_selecting > 0) */
    netpol_ref_t by[NETPOL_BY_MAX]; /* the rules that allow the whole path */
    size_t n_by;                    /* how many were stored (at most NETPOL_BY_MAX) */
    netpol_near_t near;             /* on a deny of an isolated pod */
    netpol_ref_t nearest;
    bool foreign;       /* a policy object not understood may change this side */
    size_t foreign_idx; /* index into the model's foreign objects */
    tier_step_t chain[TIER_CHAIN_MAX];
    size_t n_chain;
    cal_step_t calico; /* when the objects hold Calico policies: what Calico decided */
} netpol_side_t;

/* What one direction's walk reached, for --explain (netpol_query_trace): the walk records it
 * as it goes, so that an explanation marks the policies it never evaluated (an earlier step
 * decided, or a Calico Pass jumped over them) instead of judging their rules as if they ran. */
typedef enum {
    NETPOL_REACH_NO = 0, /* the walk ended before this entry (or never came to its stage) */
    NETPOL_REACH_YES,    /* evaluated */
    NETPOL_REACH_PASSED  /* a Calico Pass earlier in its tier went on to the next tier */
} netpol_reach_state_t;

typedef struct {
    netpol_reach_state_t state;
    bool ended;  /* YES, a Calico policy: one of its rules ended the walk in it (Allow, Deny,
                  * Pass, or a part match that leaves the answer unknown) */
    size_t rule; /* ... that rule's index */
} netpol_reach_t;

typedef struct {
    bool cilium_deny, cilium_allow; /* Cilium's deny stage (allow stage) ran */
    bool namespaced;                /* the NetworkPolicies were evaluated (netpol_stage_namespaced) */
    netpol_reach_t *calico;         /* caller's array of m->calico.n_sorted, one per entry of
                                     * m->calico.sorted (NULL when the model has none) */
} netpol_trace_t;

/* The question every stage evaluator (tier_stage_fn) answers: one direction, judged at pod
 * `self` (egress: the source; ingress: the destination), `other` the far end, `dst` the
 * destination (its container ports name ports). `side` is the side being built: a stage may
 * add detail to it (the NetworkPolicy stage fills isolated, by, nearest). */
struct tier_query {
    const k8s_model_t *m;
    netpol_dir_t dir;
    const netpol_endpoint_t *self, *other, *dst;
    int port;
    k8s_proto_t proto;
    netpol_side_t *side;
    netpol_trace_t *trace; /* NULL, or where the walk records what it reached */
};
typedef struct tier_query tier_query_t;

typedef struct {
    netpol_side_t egress;     /* judged at the source */
    netpol_side_t ingress;    /* judged at the destination */
    netpol_verdict_t verdict; /* ALLOW when both allow, DENY when one denies, else UNKNOWN
                                * (also when a foreign policy object could change it) */
} netpol_answer_t;

/* Answers one query (port 1..65535; a rule's named port matches only a destination pod
 * that has a container port of that name and protocol on exactly this port). */
void netpol_query(const k8s_model_t *m, const netpol_endpoint_t *src, const netpol_endpoint_t *dst, int port,
                  k8s_proto_t proto, netpol_answer_t *out);

/* netpol_query, recording for each direction what its walk reached (egress, ingress: cleared
 * first; each calico array holds m->calico.n_sorted entries). */
void netpol_query_trace(const k8s_model_t *m, const netpol_endpoint_t *src, const netpol_endpoint_t *dst,
                        int port, k8s_proto_t proto, netpol_trace_t *egress, netpol_trace_t *ingress,
                        netpol_answer_t *out);

/* Fills an endpoint from a pod of the model (its first IP, if any, as its address). */
void netpol_endpoint_pod(const k8s_model_t *m, size_t pod, netpol_endpoint_t *e);

/* Fills an endpoint for addresses outside the cluster. */
void netpol_endpoint_range(const cidr_t *range, netpol_endpoint_t *e);

/* The namespaced stage: the NetworkPolicies of the pod's namespace (a tier_stage_fn). */
tier_action_t netpol_stage_namespaced(const tier_query_t *q, tier_step_t *step);

/* The rule a reference names. */
const k8s_rule_t *netpol_rule(const k8s_model_t *m, const netpol_ref_t *r);

/* "ns/name" of a policy into buf. */
void netpol_policy_name(const k8s_model_t *m, size_t policy, char *buf, size_t len);

const char *netpol_verdict_name(netpol_verdict_t v);

#endif
