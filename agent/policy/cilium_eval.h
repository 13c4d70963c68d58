/* cilium_eval.h: what Cilium's policies (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy)
 * intend for one direction, as two stages of the tier chain (policy_tier.h):
 *  - cni-pre: the deny rules (ingressDeny / egressDeny) of the policies selecting the pod,
 *    which win over every allow, Cilium's and NetworkPolicies' alike;
 *  - namespaced: the allow rules, a union with the NetworkPolicies' allows; the direction is
 *    default-deny once a selecting policy has a non-empty list for it (enableDefaultDeny not
 *    false), so `ingress: [{}]` denies everything. L7 http rules decide an http probe's
 *    request (Envoy answers 403 "Access denied"), dns rules a dns probe's name (REFUSED).
 * Pure: no I/O. */
#ifndef ZT_CILIUM_EVAL_H
#define ZT_CILIUM_EVAL_H

#include "k8s_model.h"
#include "netpol.h"
#include "policy_tier.h"

/* Each notes in q->trace (when set) that it ran, for --explain. */
tier_action_t cilium_stage_deny(const tier_query_t *q, tier_step_t *step);
tier_action_t cilium_stage_allow(const tier_query_t *q, tier_step_t *step);

/* True when the Cilium policy selects the pod (endpointSelector, its namespace). */
bool cilium_policy_selects(const k8s_model_t *m, size_t policy, const netpol_endpoint_t *pod);

/* True when an FQDN pattern (Cilium's matchPattern: `*` is any run of name characters within
 * one label, `*` alone any name) or name (matchName) matches host (case-insensitive, a
 * trailing dot ignored). */
bool cilium_fqdn_match(const char *pattern, bool is_pattern, const char *host);

/* One rule against the query, for --explain: whether its peer part holds the far end (0 no,
 * 1 in part, 2 in full; an FQDN rule without a DNS proxy rule never does), whether the port is
 * in its toPorts (or none is listed), and what its L7 rules say (allow without any). The L7
 * part is judged only when the peer (in full or in part) and the port match: Cilium applies a
 * rule's L7 rules to the traffic its L3/L4 part selects, so for any other rule has_l7 is false.
 * The why fields say what did not match, or the L7 note. list: CIL_INGRESS.. of
 * cilium_model.h. */
typedef struct {
    int peer;
    bool ports;
    bool has_l7;
    tier_action_t l7;
    char peer_why[160], ports_why[80], l7_why[TIER_WHY_LEN];
} cilium_rule_match_t;

void cilium_rule_match(const tier_query_t *q, size_t policy, int list, size_t rule, cilium_rule_match_t *out);

#endif
