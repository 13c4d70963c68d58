/* policy_check.h: `ztprobe policy check`: what the NetworkPolicies intend for every probe of
 * a config, and how much of the policies the matrix exercises (coverage). Pure: the objects
 * are already in a model; the report is a cJSON tree rendered by the caller. */
#ifndef ZT_POLICY_CHECK_H
#define ZT_POLICY_CHECK_H

#include <cJSON.h>
#include <stddef.h>

#include "config.h"
#include "k8s_model.h"
#include "netpol.h"
#include "netpol_explain.h"
#include "policy_l7.h"
#include "status.h"

#define POLICY_REASON_LEN 900 /* = RESULT_POLICY_REASON_LEN: run --policies carries it whole */
#define POLICY_BY_MAX 16

/* What the policies intend for one probe, over every pod of the role and every pod (or
 * address) of the target. */
typedef struct {
    netpol_verdict_t intended;
    netpol_verdict_t egress, ingress; /* per side; ALLOW when the side does not apply */
    bool egress_isolated, ingress_isolated;
    netpol_ref_t by[POLICY_BY_MAX]; /* rules that allow it (both sides) */
    size_t n_by;
    netpol_ref_t cal_by[POLICY_BY_MAX]; /* Calico rules that allow it (policy: a Calico index) */
    size_t n_cal_by;
    netpol_ref_t cil_by[POLICY_BY_MAX]; /* Cilium allow rules that allow it (a Cilium index) */
    size_t n_cil_by;
    netpol_near_t near; /* on a deny: the nearest rule, for hints */
    netpol_ref_t nearest;
    tier_step_t egress_chain[TIER_CHAIN_MAX]; /* the tier chain of the answer the reason describes */
    size_t n_egress_chain;
    tier_step_t ingress_chain[TIER_CHAIN_MAX];
    size_t n_ingress_chain;
    char reason[POLICY_REASON_LEN]; /* one sentence */
    const char *cause;              /* why an answer is unknown, when known (static) */
    bool unselected;                /* unknown: the Service selects no pod (no endpoints) */
    bool cni;                /* a CNI's policies (Calico, Cilium) decided: the reason names the steps */
    npx_mismatch_t mismatch; /* on a deny: the one part of a rule to change, if any */
    /* The decisive query (the first that denies, else the first asked), for --explain and the
     * hints' second look: the endpoints point into the model and the config, valid while they
     * live, and dst.l7 into l7 below (so an intent is filled in place, never copied). */
    bool have_pair;
    netpol_endpoint_t src, dst;
    int port;
    k8s_proto_t proto;
    policy_l7_t l7; /* what the probe asks at L7, which dst.l7 points to */
} policy_intent_t;

/* The namespace of a role: its "namespace", else ns_flag, else the one namespace whose pods
 * (Pods, workload templates) match the role's selector. Returns 0 with its index (created in
 * the model when absent), ZT_ERR_INPUT with the reason in err, ZT_ERR_NOMEM on OOM. */
zt_status_t policy_role_namespace(k8s_model_t *m, const config_role_t *role, const char *ns_flag, size_t *ns,
                                  char *err, size_t errlen);

/* The intent for one probe of a role placed in namespace ns. */
void policy_check_probe(const k8s_model_t *m, const config_t *cfg, const config_role_t *role, size_t ns,
                        const config_probe_t *p, policy_intent_t *out);

/* The same, asked from a pod whose own labels are known (run --policies with the Downward API
 * labels file): the source is the role's workloads whose labels it carries, else a pod with
 * exactly its labels, so a relabelled pod is judged as it is labelled. own NULL: as above. */
void policy_check_probe_as(const k8s_model_t *m, const config_t *cfg, const config_role_t *role, size_t ns,
                           const labels_t *own, const config_probe_t *p, policy_intent_t *out);

/* The whole check as the "ztprobe/policy-check/v1" report. Returns 0; -1 (err: a role's
 * namespace cannot be placed); ZT_ERR_NOMEM OOM. */
zt_status_t policy_check_run(k8s_model_t *m, const config_t *cfg, const char *ns_flag, cJSON **out, char *err,
                             size_t errlen);

/* The report as a table a person reads (malloc'd; NULL on OOM). */
char *policy_check_text(const cJSON *report);

/* Exit status of a report: 0 nothing disagrees; 1 something disagrees, or with strict,
 * something is unknown, a rule uncovered, or an isolated role has no deny probe. */
int policy_check_status(const cJSON *report, bool strict);

#endif
