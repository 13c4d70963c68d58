/* calico_eval.h: what Calico's policies intend for one direction of one connection, as Calico
 * evaluates them: tiers by order, policies by order inside a tier (no order: last; ties by
 * name), rules in order (Log goes on, Allow and Deny end, Pass jumps to the next tier), the
 * tier's defaultAction when a policy of it applied and no rule decided, and the namespace
 * profile's allow after the last tier. Kubernetes NetworkPolicies take part as the default
 * tier's policies of order 1000 (their answer comes from netpol.c's namespaced stage). Pure:
 * no I/O, no allocation. */
#ifndef ZT_CALICO_EVAL_H
#define ZT_CALICO_EVAL_H

#include "k8s_model.h"
#include "netpol.h"
#include "policy_tier.h"

/* The tier chain's stages (policy_tier.h), each a tier_stage_fn over whole Calico tiers:
 * the tiers ordered before the default tier (cni-pre); the default tier, in which the
 * NetworkPolicies sit at order 1000 (namespaced: without Calico policies, exactly the
 * NetworkPolicy stage); the tiers after it (baseline). Each records what Calico decided in
 * q->side->calico, and a Pass (which goes on to the next tier); with q->trace, which entries of
 * `sorted` the walk reached and the rule that ended it in each (for --explain). */
tier_action_t calico_stage_pre(const tier_query_t *q, tier_step_t *step);
tier_action_t calico_stage_namespaced(const tier_query_t *q, tier_step_t *step);
tier_action_t calico_stage_post(const tier_query_t *q, tier_step_t *step);

/* "Calico GlobalNetworkPolicy allow-dns (tier default, order 100) egress rule 0 (Allow)" into
 * buf: the step that decided (or the tier's end), and a Pass before it. */
void calico_step_text(const k8s_model_t *m, netpol_dir_t dir, const cal_step_t *s, char *buf, size_t len);

/* True when the Calico policy applies to the pod for the direction (selector, namespace,
 * serviceAccountSelector, types). */
bool calico_policy_applies(const k8s_model_t *m, size_t policy, netpol_dir_t dir,
                           const netpol_endpoint_t *pod);

/* The policy's name as Calico users write it: "ns/name" for a namespaced one, else "name". */
void calico_policy_name(const k8s_model_t *m, size_t policy, char *buf, size_t len);

/* One rule of a policy for q's direction, for --explain: its action; whether the protocol, the
 * source, the destination (ports aside) and the destination ports match (0 no, 1 in part, 2
 * in full for the ends), with what did not; matches: the whole rule, as the walk takes it. */
typedef struct {
    cal_action_t action;
    bool protocol, ports;
    int source, destination, matches;
    char source_why[200], destination_why[200], ports_why[80];
} calico_rule_match_t;

void calico_rule_match(const tier_query_t *q, size_t policy, size_t rule, calico_rule_match_t *out);

#endif
