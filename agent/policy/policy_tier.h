/* policy_tier.h: the tier chain every policy answer walks, per direction (egress at the source
 * pod, ingress at the destination pod; a path needs both):
 *
 *   1. TIER_STAGE_ADMIN      cluster-scoped admin policies (ClusterNetworkPolicy tier Admin,
 *                            AdminNetworkPolicy), by priority then rule order
 *   2. TIER_STAGE_CNI_PRE    a CNI's own policies ordered before NetworkPolicies
 *   3. TIER_STAGE_NAMESPACED networking.k8s.io/v1 NetworkPolicies (and a CNI's namespaced
 *                            allow layer that the CNI merges with them)
 *   4. TIER_STAGE_BASELINE   ClusterNetworkPolicy tier Baseline, BaselineAdminNetworkPolicy
 *   5. TIER_STAGE_DEFAULT    allow
 *
 * A stage is one or more evaluators (tier_stage_fn) listed in the walk's table (netpol.c,
 * `np_stages`). Each answers one direction of one connection with an action:
 *   TIER_NONE     nothing of it applies: the walk goes on
 *   TIER_ALLOW    final
 *   TIER_DENY     final
 *   TIER_PASS     the rest of stages 1 and 2 is skipped: the walk goes on at stage 3
 *   TIER_UNKNOWN  undecidable here (step->why says why): final, the answer is unknown
 *                 (unless step->partial says otherwise, below)
 * In stages 1, 2 and 4 the first evaluator that answers other than NONE decides the stage.
 * In stage 3 the evaluators are a union (the way NetworkPolicy allows add up): ALLOW when one
 * allows, else UNKNOWN when one is unknown, else DENY when one isolates the pod, else NONE.
 *
 * The decisive step of each stage that answered (every PASS, then the final one, and the
 * default allow) is kept in the side's chain (netpol.h), so explanations read: "passed by
 * ClusterNetworkPolicy allow-monitoring (priority 10) rule pass-dns, then allowed by
 * govtech/allow-dns-egress egress rule 0". Pure: no I/O, no allocation. */
#ifndef ZT_POLICY_TIER_H
#define ZT_POLICY_TIER_H

#include <stdbool.h>
#include <stddef.h>

#include "k8s_model.h"

typedef enum { TIER_NONE = 0, TIER_ALLOW, TIER_DENY, TIER_PASS, TIER_UNKNOWN } tier_action_t;

typedef enum {
    TIER_STAGE_ADMIN = 0,
    TIER_STAGE_CNI_PRE,
    TIER_STAGE_NAMESPACED,
    TIER_STAGE_BASELINE,
    TIER_STAGE_DEFAULT,
    TIER_STAGE_COUNT
} tier_stage_t;

#define TIER_WHY_LEN 200
#define TIER_CHAIN_MAX 8

/* One decisive step. Strings point into the model (or are static): valid while the model is. */
typedef struct {
    tier_stage_t stage;
    tier_action_t action;
    const char *kind;       /* "ClusterNetworkPolicy", "NetworkPolicy", ...; NULL for the default */
    const char *ns;         /* the policy's namespace; NULL: cluster-scoped */
    const char *name;       /* the policy's name */
    size_t policy;          /* index into the model's array of that kind */
    bool has_priority;      /* the API orders by priority (or order; a NetworkPolicy that Calico
                            * evaluates: its order 1000 in the default tier) */
    long priority;          /* priority / order */
    bool has_rule;          /* a rule decided (false: e.g. "selected, no rule allows") */
    size_t rule;            /* 0-based index in the direction's rule list */
    const char *rule_name;  /* the rule's name where the API has one, else NULL */
    char why[TIER_WHY_LEN]; /* UNKNOWN: the reason; otherwise a note ("" when none) */
    tier_action_t partial;  /* UNKNOWN only because the step acts on part of the other end's
                            * addresses (ALLOW or DENY there) and nothing else of its stage
                            * applies: the walk goes on for the rest, and when the rest of the
                            * chain ends in the same action, that is the answer */
} tier_step_t;

/* The question a stage answers; defined in netpol.h (struct tier_query: the model, the
 * direction, the pod the side is judged at, the far end, the destination, port, protocol,
 * the host name the probe connects to, and the side being built). */
struct tier_query;

/* Answers one direction; fills *step when the action is not TIER_NONE (stage, action and the
 * rest; the walk clears it before each call). */
typedef tier_action_t (*tier_stage_fn)(const struct tier_query *q, tier_step_t *step);

static inline const char *tier_action_name(tier_action_t a)
{
    static const char *const names[] = {"none", "allow", "deny", "pass", "unknown"};
    return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

static inline const char *tier_stage_name(tier_stage_t s)
{
    static const char *const names[] = {"admin", "cni-pre", "namespaced", "baseline", "default"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

#endif
