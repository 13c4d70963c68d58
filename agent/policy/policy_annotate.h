/* policy_annotate.h: `run --policies`: each result of a run gains what the NetworkPolicies
 * intend, its hint speaks from that, and the report gains the diagnosis
 * matrix_contradicts_policies. Pure: the objects are already in a model. */
#ifndef ZT_POLICY_ANNOTATE_H
#define ZT_POLICY_ANNOTATE_H

#include <stddef.h>

#include "config.h"
#include "k8s_model.h"
#include "policy_check.h"
#include "result.h"

/* The hint for a result that did not pass, from what the policies intend (written to buf).
 * Returns false when the policies add nothing (unknown, or an inconclusive result), and the
 * runner's hint stands. ns names the namespace in the commands it suggests. */
bool policy_annotate_hint(const result_t *r, const policy_intent_t *in, const k8s_model_t *m,
                          const char *role, const char *ns, char *buf, size_t len);

/* Annotates rep (probes[i] produced rep->results[i]): allocates rep->policy, rewrites hints,
 * adds matrix_contradicts_policies when some expect disagrees with the policies. Returns 0,
 * or -1 when out of memory (rep unchanged). */
int policy_annotate(report_t *rep, const k8s_model_t *m, const config_t *cfg, const config_role_t *role,
                    size_t ns, const labels_t *own, const config_probe_t *const *probes);

#endif
