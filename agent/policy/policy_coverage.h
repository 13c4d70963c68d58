/* policy_coverage.h: the coverage part of `policy check`: the rules of the policies that
 * select some role's pods (NetworkPolicies, and the admin and baseline policies whose subject
 * does), which of them the matrix exercises, and the isolated roles without a deny probe.
 * Pure; used by policy_check.c only. */
#ifndef ZT_POLICY_COVERAGE_H
#define ZT_POLICY_COVERAGE_H

#include <cJSON.h>

#include "config.h"
#include "k8s_model.h"
#include "policy_check.h"

typedef struct pcov pcov_t;

/* The rules to cover, for roles placed in namespaces role_ns[]; NULL on OOM. */
pcov_t *pcov_create(const k8s_model_t *m, const config_t *cfg, const size_t *role_ns);

/* One judged probe of role r: marks the rules it exercises. A NetworkPolicy rule or an admin
 * Accept rule is exercised by an allow probe the policies allow through it; an admin Deny
 * rule by a deny probe it denies; a Pass rule by any agreeing probe it passes. */
void pcov_probe(pcov_t *c, size_t r, const config_probe_t *p, const policy_intent_t *in);

/* The report's "coverage" object; NULL on OOM. */
cJSON *pcov_json(const pcov_t *c);

void pcov_free(pcov_t *c);

#endif
