/* cni_check.h: `policy check --cni` / `policy plan --cni`: the known deviations of the chosen
 * dataplane (cni_profile.h) that apply to the objects being checked: the rules that rely on a
 * construct the dataplane handles differently, the probes whose answers change, the upstream
 * report, and the probe that catches a leak in a real run. Pure. */
#ifndef ZT_CNI_CHECK_H
#define ZT_CNI_CHECK_H

#include <cJSON.h>

#include "cni_profile.h"
#include "config.h"
#include "k8s_model.h"

/* Adds the member "cni" to a policy check report: profile, version, table date and the
 * deviations that apply (see docs/cni.md). ns_flag: --namespace. Returns ZT_OK, ZT_ERR_INPUT
 * (err: a role's namespace cannot be placed), ZT_ERR_NOMEM. The model is changed while it runs and restored. */
zt_status_t cni_check_annotate(k8s_model_t *m, const config_t *cfg, const char *ns_flag, const cni_sel_t *sel,
                               cJSON *rep, char *err, size_t errlen);

/* The "cni" member of a report as text for -o text (malloc'd, "" without it; NULL on OOM). */
char *cni_check_text(const cJSON *rep);

/* policy plan --cni: adds every catch probe of the deviations that apply to the planned
 * config (a "ztprobe/config" JSON tree, its roles' probes arrays). Returns as above. */
zt_status_t cni_plan_add(k8s_model_t *m, cJSON *plan, const char *ns_flag, const cni_sel_t *sel, char *err,
                         size_t errlen);

#endif
