/* cni_cover.h: `policy check`'s coverage of a CNI's own rules: the Allow rules of the Calico
 * policies and the allow rules of the Cilium policies that apply to a role's pods, each exercised by an allow probe (the rule that
 * decided it) or listed as uncovered; and the Calico rules behind an answer in the report's
 * `by` lists. */
#ifndef ZT_CNI_COVER_H
#define ZT_CNI_COVER_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "k8s_model.h"
#include "policy_check.h"

typedef struct {
    bool cilium;      /* ref.policy indexes the Cilium policies, else the Calico ones */
    netpol_ref_t ref; /* policy: index into the model's Calico (or Cilium) policies */
    size_t role;      /* the first role whose pods the policy applies to */
    bool exercised;
} cni_cover_rule_t;

typedef struct {
    cni_cover_rule_t *rules;
    size_t n, cap;
} cni_cover_t;

/* Collects the rules to cover (role_ns: each role's namespace); marks the roles whose pods a
 * Calico or Cilium policy applies to as isolated. Returns 0 or -1 on OOM. */
int cni_cover_collect(const k8s_model_t *m, const config_t *cfg, const size_t *role_ns, bool *isolated,
                      cni_cover_t *c);

/* Marks the CNI rules that allowed an allow probe. */
void cni_cover_mark(cni_cover_t *c, const policy_intent_t *in);

/* Appends the uncovered rules to `uncovered` (as the NetworkPolicy ones are) and adds the
 * counts. Returns 0 or -1 on OOM. */
int cni_cover_report(const k8s_model_t *m, const config_t *cfg, const cni_cover_t *c, cJSON *uncovered,
                     size_t *rules, size_t *exercised);

/* Appends the CNI rules of `in` for one direction to a `by` array. */
void cni_cover_by(const k8s_model_t *m, const policy_intent_t *in, netpol_dir_t dir, cJSON *by);

void cni_cover_free(cni_cover_t *c);

#endif
