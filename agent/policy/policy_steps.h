/* policy_steps.h: the tier chain's steps (policy_tier.h) as people and programs read them:
 * one sentence per direction ("passed by admin ClusterNetworkPolicy allow-monitoring
 * (priority 10) egress rule pass-dns, then allowed by govtech/allow-dns-egress egress rule
 * 0") and the JSON array of the check report's `chain` field. Pure. */
#ifndef ZT_POLICY_STEPS_H
#define ZT_POLICY_STEPS_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "policy_tier.h"

/* One step: "allowed by admin ClusterNetworkPolicy x (priority 10) egress rule y". */
void policy_step_text(const tier_step_t *s, bool egress, char *buf, size_t len);

/* The chain, steps joined with ", then ". */
void policy_steps_text(const tier_step_t *chain, size_t n, bool egress, char *buf, size_t len);

/* True when a step comes from a tier other than the NetworkPolicies and the default. */
bool policy_steps_tiered(const tier_step_t *chain, size_t n);

/* [{stage, action, kind, namespace, name, priority, rule, rule_name, note}], absent keys
 * omitted; NULL on OOM. */
cJSON *policy_steps_json(const tier_step_t *chain, size_t n);

#endif
