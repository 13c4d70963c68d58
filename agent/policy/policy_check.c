/* policy_check.c: the check report: every probe's intent against its expect, then coverage
 * (policy_coverage.c), and the report's text form and exit status. */
#include "policy_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "cni_cover.h"
#include "policy_explain.h"
#include "policy_coverage.h"
#include "policy_steps.h"
#include "result.h"
#include "strbuf.h"

static cJSON *pc_refs(const k8s_model_t *m, const netpol_ref_t *by, size_t n, netpol_dir_t dir)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) {
        if (by[i].dir != dir)
            continue;
        char name[300];
        netpol_policy_name(m, by[i].policy, name, sizeof(name));
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(a, o);
        cJSON_AddStringToObject(o, "policy", name);
        cJSON_AddStringToObject(o, "direction", dir == NETPOL_EGRESS ? "egress" : "ingress");
        cJSON_AddNumberToObject(o, "rule", (double)by[i].rule);
    }
    return a;
}

static cJSON *pc_side(const k8s_model_t *m, netpol_verdict_t v, bool isolated, const policy_intent_t *in,
                      netpol_dir_t dir)
{
    bool eg = dir == NETPOL_EGRESS;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (v == NETPOL_UNKNOWN)
        cJSON_AddNullToObject(o, "allowed");
    else
        cJSON_AddBoolToObject(o, "allowed", v == NETPOL_ALLOW);
    cJSON_AddBoolToObject(o, "isolated", isolated);
    cJSON *by = pc_refs(m, in->by, in->n_by, dir);
    cni_cover_by(m, in, dir, by);
    cJSON_AddItemToObject(o, "by", by);
    cJSON_AddItemToObject(o, "chain",
                          policy_steps_json(eg ? in->egress_chain : in->ingress_chain,
                                            eg ? in->n_egress_chain : in->n_ingress_chain));
    return o;
}

/* One probe's entry of the report. */
static cJSON *pc_probe_json(const k8s_model_t *m, const config_role_t *role, const config_probe_t *p,
                            const policy_intent_t *in)
{
    char target[RESULT_TARGET_LEN];
    netpol_verdict_t want = p->expect == EXPECT_ALLOW ? NETPOL_ALLOW : NETPOL_DENY;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    config_probe_target(p, target, sizeof(target));
    cJSON_AddStringToObject(o, "role", role->name);
    cJSON_AddStringToObject(o, "name", p->name);
    cJSON_AddStringToObject(o, "kind", config_kind_name(p->kind));
    cJSON_AddStringToObject(o, "target", target);
    cJSON_AddStringToObject(o, "expect", config_expect_name(p->expect));
    cJSON_AddStringToObject(o, "intended", netpol_verdict_name(in->intended));
    if (in->intended == NETPOL_UNKNOWN)
        cJSON_AddNullToObject(o, "agrees");
    else
        cJSON_AddBoolToObject(o, "agrees", in->intended == want);
    cJSON_AddItemToObject(o, "egress", pc_side(m, in->egress, in->egress_isolated, in, NETPOL_EGRESS));
    cJSON_AddItemToObject(o, "ingress", pc_side(m, in->ingress, in->ingress_isolated, in, NETPOL_INGRESS));
    cJSON_AddStringToObject(o, "reason", in->reason);
    cJSON_AddItemToObject(o, "mismatch", policy_explain_mismatch_json(m, &in->mismatch));
    return o;
}

static cJSON *pc_summary(size_t total, size_t agree, size_t disagree, size_t unknown)
{
    cJSON *sum = cJSON_CreateObject();
    cJSON_AddNumberToObject(sum, "probes", (double)total);
    cJSON_AddNumberToObject(sum, "agree", (double)agree);
    cJSON_AddNumberToObject(sum, "disagree", (double)disagree);
    cJSON_AddNumberToObject(sum, "unknown", (double)unknown);
    return sum;
}

zt_status_t policy_check_run(k8s_model_t *m, const config_t *cfg, const char *ns_flag, cJSON **out, char *err,
                             size_t errlen)
{
    size_t *role_ns = calloc(cfg->n_roles + 1, sizeof(*role_ns));
    pcov_t *cov = NULL;
    cJSON *rep = cJSON_CreateObject(), *probes = cJSON_CreateArray();
    zt_status_t rc = ZT_ERR_NOMEM;
    size_t total = 0, agree = 0, disagree = 0, unknown = 0;
    *out = NULL;
    if (!role_ns || !rep || !probes)
        goto done;
    for (size_t r = 0; r < cfg->n_roles; r++)
        if ((rc = policy_role_namespace(m, &cfg->roles[r], ns_flag, &role_ns[r], err, errlen)) != 0)
            goto done;
    rc = ZT_ERR_NOMEM;
    if (k8s_model_finish(m) != 0 || !(cov = pcov_create(m, cfg, role_ns)))
        goto done;
    for (size_t r = 0; r < cfg->n_roles; r++) {
        const config_role_t *role = &cfg->roles[r];
        for (size_t i = 0; i < role->n_probes; i++) {
            const config_probe_t *p = &role->probes[i];
            policy_intent_t in;
            policy_check_probe(m, cfg, role, role_ns[r], p, &in);
            pcov_probe(cov, r, p, &in);
            total++;
            if (in.intended == NETPOL_UNKNOWN)
                unknown++;
            else if (in.intended == (p->expect == EXPECT_ALLOW ? NETPOL_ALLOW : NETPOL_DENY))
                agree++;
            else
                disagree++;
            cJSON *o = pc_probe_json(m, role, p, &in);
            if (!o || !cJSON_AddItemToArray(probes, o)) {
                cJSON_Delete(o);
                goto done;
            }
        }
    }
    cJSON_AddStringToObject(rep, "schema", "ztprobe/policy-check/v1");
    cJSON *sum = pc_summary(total, agree, disagree, unknown), *cj = pcov_json(cov);
    if (!sum || !cj || !cJSON_AddItemToObject(rep, "summary", sum)) {
        cJSON_Delete(sum);
        cJSON_Delete(cj);
        goto done;
    }
    cJSON_AddItemToObject(rep, "probes", probes);
    probes = NULL;
    cJSON_AddItemToObject(rep, "coverage", cj);
    *out = rep;
    rep = NULL;
    rc = ZT_OK;
done:
    if (rc == ZT_ERR_NOMEM)
        snprintf(err, errlen, "out of memory");
    cJSON_Delete(rep);
    cJSON_Delete(probes);
    pcov_free(cov);
    free(role_ns);
    return rc;
}

static double pc_num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *pc_str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

int policy_check_status(const cJSON *rep, bool strict)
{
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(rep, "summary");
    const cJSON *cov = cJSON_GetObjectItemCaseSensitive(rep, "coverage");
    if (pc_num(sum, "disagree") > 0)
        return 1;
    if (strict &&
        (pc_num(sum, "unknown") > 0 ||
         cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cov, "uncovered")) > 0 ||
         cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cov, "roles_without_deny_probe")) > 0))
        return 1;
    return 0;
}

/* Appends s for a terminal through the one terminal filter (names and reasons come from
 * Kubernetes objects someone else wrote), padded to width columns. */
static void pc_cell(strbuf_t *b, const char *s, size_t max, size_t width)
{
    strbuf_pad(b, strbuf_put_safe(b, s, max), width);
}

char *policy_check_text(const cJSON *rep)
{
    strbuf_t b = {0};
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(rep, "summary");
    const cJSON *cov = cJSON_GetObjectItemCaseSensitive(rep, "coverage");
    strbuf_printf(&b, "%-10s %-20s %-6s %-8s %-8s %s\n", "ROLE", "PROBE", "EXPECT", "INTENDED", "AGREES",
                  "REASON");
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(rep, "probes"))
    {
        const cJSON *ag = cJSON_GetObjectItemCaseSensitive(p, "agrees");
        pc_cell(&b, pc_str(p, "role"), 40, 10);
        strbuf_puts(&b, " ");
        pc_cell(&b, pc_str(p, "name"), 63, 20);
        strbuf_printf(&b, " %-6s %-8s %-8s ", pc_str(p, "expect"), pc_str(p, "intended"),
                      cJSON_IsNull(ag)       ? "unknown"
                          : cJSON_IsTrue(ag) ? "yes"
                                             : "NO");
        pc_cell(&b, pc_str(p, "reason"), SIZE_MAX, 0);
        strbuf_puts(&b, "\n");
    }
    strbuf_printf(&b, "\nprobes %.0f: agree %.0f, disagree %.0f, unknown %.0f\n", pc_num(sum, "probes"),
                  pc_num(sum, "agree"), pc_num(sum, "disagree"), pc_num(sum, "unknown"));
    strbuf_printf(&b, "coverage: %.0f of %.0f rules exercised by the probes\n", pc_num(cov, "exercised"),
                  pc_num(cov, "rules"));
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(cov, "uncovered"))
    {
        strbuf_puts(&b, "  uncovered: ");
        if (*pc_str(p, "kind"))
            strbuf_printf(&b, "%s ", pc_str(p, "kind"));
        pc_cell(&b, pc_str(p, "policy"), SIZE_MAX, 0);
        strbuf_printf(&b, " %s rule %.0f", pc_str(p, "direction"), pc_num(p, "rule"));
        if (*pc_str(p, "rule_name")) {
            strbuf_puts(&b, " (");
            pc_cell(&b, pc_str(p, "rule_name"), 100, 0);
            strbuf_printf(&b, ", %s)", pc_str(p, "action"));
        }
        strbuf_puts(&b, ": ");
        pc_cell(&b, pc_str(p, "reason"), SIZE_MAX, 0);
        strbuf_puts(&b, "\n");
    }
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(cov, "roles_without_deny_probe"))
    {
        strbuf_puts(&b, "  role ");
        pc_cell(&b, cJSON_IsString(p) ? p->valuestring : "?", SIZE_MAX, 0);
        strbuf_puts(&b, " is isolated but has no deny probe\n");
    }
    return strbuf_take(&b);
}
