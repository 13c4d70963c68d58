/* policy_plan.h: `ztprobe policy plan`: a starting probe matrix generated from the objects,
 * whose every expect is what the evaluator says the policies intend. Pure. */
#ifndef ZT_POLICY_PLAN_H
#define ZT_POLICY_PLAN_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "k8s_model.h"
#include "status.h"

/* Plans namespace ns (NULL: the one namespace with workloads) with one role per workload
 * (selector: its pod template labels; with role_label, one role per value of that label).
 * Per role: an allow probe for every TCP Service port the policies let it reach (http when
 * the port's name or appProtocol says http, else tcp), a deny probe for every other TCP
 * Service port of the namespace, a dns probe when DNS egress is allowed, a deny probe to an
 * address in every except block of its ipBlocks. What it cannot decide goes to "todo"
 * (JSON) or comments (YAML). Writes the config text (malloc'd) to *out.
 * Returns ZT_OK; ZT_ERR_INPUT with the reason in err; ZT_ERR_NOMEM on OOM. */
zt_status_t policy_plan_run(k8s_model_t *m, const char *ns, const char *role_label, bool yaml, char **out,
                            char *err, size_t errlen);

/* The plan (a config tree with its "todo" list) as JSON, or as YAML with the todo items as
 * comments (malloc'd; NULL on OOM). policy plan --cni renders through it after adding probes. */
char *policy_plan_render(cJSON *root, bool yaml);

#endif
