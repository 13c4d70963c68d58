/* policy_explain.h: the whole decision for one probe (`policy check --explain ROLE/PROBE`,
 * `run --policies --explain NAME`): per direction, every policy of the pod's namespace for that
 * direction, whether it selects the pod, each rule of those that do with which peers and ports
 * matched and why the others did not, and the answer. Pure: a cJSON tree, and its text. */
#ifndef ZT_POLICY_EXPLAIN_H
#define ZT_POLICY_EXPLAIN_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "k8s_model.h"
#include "netpol_explain.h"
#include "policy_check.h"
#include "policy_tier.h"

/* The mismatch as the report's "mismatch" object (policy, direction, rule, peer or port,
 * part, field, key, wanted, found, sentence), or a JSON null when none is set. */
cJSON *policy_explain_mismatch_json(const k8s_model_t *m, const npx_mismatch_t *x);

/* The "ztprobe/policy-explain/v1" tree for probe p of role (in namespace ns), whose intent
 * policy_check_probe gave. NULL on OOM. */
cJSON *policy_explain_json(const k8s_model_t *m, const config_role_t *role, size_t ns,
                           const config_probe_t *p, const policy_intent_t *in);

/* The tree as text a person reads (malloc'd; NULL on OOM). */
char *policy_explain_text(const cJSON *ex);

/* The whole decision for probe p of role (in namespace ns of the finished model; own: the
 * pod's own labels, or NULL, as policy_check_probe_as), rendered: JSON (with a final newline)
 * or text. malloc'd; NULL on OOM. */
char *policy_explain_render(const k8s_model_t *m, const config_t *cfg, const config_role_t *role, size_t ns,
                            const labels_t *own, const config_probe_t *p, bool json);

/* Finds "ROLE/PROBE" (or, with role_fixed, just "PROBE" of that role) in cfg. Returns 0, or
 * -1 with a message in err that lists the role's probes (or the roles). */
int policy_explain_find(const config_t *cfg, const config_role_t *role_fixed, const char *spec,
                        const config_role_t **role, const config_probe_t **probe, char *err, size_t errlen);

#endif
