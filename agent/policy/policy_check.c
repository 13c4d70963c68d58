/* policy_check.c: the check report: every probe's intent against its expect, then coverage:
 * the rules of the policies that select a role's pods, each exercised by an allow probe or
 * listed, and the isolated roles without a deny probe. */
#include "policy_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "result.h"
#include "strbuf.h"

/* A rule of a policy selecting some role's pods: who it belongs to, whether exercised. */
typedef struct {
    netpol_ref_t ref;
    size_t role; /* first role whose pods the policy selects */
    bool exercised;
} pc_rule_t;

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
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (v == NETPOL_UNKNOWN)
        cJSON_AddNullToObject(o, "allowed");
    else
        cJSON_AddBoolToObject(o, "allowed", v == NETPOL_ALLOW);
    cJSON_AddBoolToObject(o, "isolated", isolated);
    cJSON_AddItemToObject(o, "by", pc_refs(m, in->by, in->n_by, dir));
    return o;
}

/* Does any pod of the role (or its virtual pod) fall under the policy? */
static bool pc_selects(const k8s_model_t *m, const k8s_policy_t *pol, const config_role_t *role, size_t ns)
{
    if (pol->ns != ns)
        return false;
    bool any = false;
    for (size_t k = 0; k < m->namespaces[ns].n_pods; k++) {
        const k8s_pod_t *pod = &m->pods[m->namespaces[ns].pods[k]];
        if (!labels_match(&role->selector, &pod->labels))
            continue;
        any = true;
        if (k8s_selector_matches(&pol->pod_selector, &pod->labels))
            return true;
    }
    return !any && k8s_selector_matches(&pol->pod_selector, &role->selector);
}

zt_status_t policy_check_run(k8s_model_t *m, const config_t *cfg, const char *ns_flag, cJSON **out, char *err,
                             size_t errlen)
{
    size_t *role_ns = calloc(cfg->n_roles + 1, sizeof(*role_ns));
    pc_rule_t *rules = NULL;
    bool *seen = NULL;
    size_t *offs = NULL; /* per policy: where its ingress / egress rules start in rules, +1 */
    size_t n_rules = 0, cap = 0;
    bool *isolated = calloc(cfg->n_roles + 1, sizeof(bool)),
         *has_deny = calloc(cfg->n_roles + 1, sizeof(bool));
    cJSON *rep = cJSON_CreateObject(), *probes = cJSON_CreateArray();
    zt_status_t rc = ZT_ERR_NOMEM;
    size_t total = 0, agree = 0, disagree = 0, unknown = 0;
    *out = NULL;
    if (!role_ns || !isolated || !has_deny || !rep || !probes)
        goto done;
    for (size_t r = 0; r < cfg->n_roles; r++) {
        if ((rc = policy_role_namespace(m, &cfg->roles[r], ns_flag, &role_ns[r], err, errlen)) != 0)
            goto done;
    }
    if (k8s_model_finish(m) != 0) {
        rc = ZT_ERR_NOMEM;
        goto done;
    }
    /* The rules to cover: of the policies (of each role's namespace) selecting its pods;
     * each policy once, under the first role it selects. */
    if (!(seen = calloc(m->n_policies + 1, sizeof(bool))) ||
        !(offs = calloc(2 * m->n_policies + 2, sizeof(size_t))))
        goto oom;
    for (size_t r = 0; r < cfg->n_roles; r++) {
        const k8s_namespace_t *rns = &m->namespaces[role_ns[r]];
        for (size_t k = 0; k < rns->n_policies; k++) {
            size_t pi = rns->policies[k];
            const k8s_policy_t *pol = &m->policies[pi];
            if (!pc_selects(m, pol, &cfg->roles[r], role_ns[r]))
                continue;
            isolated[r] = true;
            if (seen[pi])
                continue;
            seen[pi] = true;
            size_t need = n_rules + (pol->ingress_type ? pol->n_ingress : 0) +
                (pol->egress_type ? pol->n_egress : 0);
            if (need > cap) {
                cap = need * 2;
                pc_rule_t *nr = realloc(rules, cap * sizeof(*nr));
                if (!nr)
                    goto oom;
                rules = nr;
            }
            offs[2 * pi] = n_rules + 1; /* +1: 0 means "not covered here" */
            for (size_t i = 0; pol->ingress_type && i < pol->n_ingress; i++)
                rules[n_rules++] = (pc_rule_t){{pi, NETPOL_INGRESS, i}, r, false};
            offs[2 * pi + 1] = n_rules + 1;
            for (size_t i = 0; pol->egress_type && i < pol->n_egress; i++)
                rules[n_rules++] = (pc_rule_t){{pi, NETPOL_EGRESS, i}, r, false};
        }
    }
    for (size_t r = 0; r < cfg->n_roles; r++) {
        const config_role_t *role = &cfg->roles[r];
        for (size_t i = 0; i < role->n_probes; i++) {
            const config_probe_t *p = &role->probes[i];
            policy_intent_t in;
            char target[RESULT_TARGET_LEN];
            policy_check_probe(m, cfg, role, role_ns[r], p, &in);
            isolated[r] |= in.egress_isolated;
            has_deny[r] |= p->expect == EXPECT_DENY;
            total++;
            netpol_verdict_t want = p->expect == EXPECT_ALLOW ? NETPOL_ALLOW : NETPOL_DENY;
            cJSON *o = cJSON_CreateObject();
            if (!o || !cJSON_AddItemToArray(probes, o))
                goto oom;
            config_probe_target(p, target, sizeof(target));
            cJSON_AddStringToObject(o, "role", role->name);
            cJSON_AddStringToObject(o, "name", p->name);
            cJSON_AddStringToObject(o, "kind", config_kind_name(p->kind));
            cJSON_AddStringToObject(o, "target", target);
            cJSON_AddStringToObject(o, "expect", config_expect_name(p->expect));
            cJSON_AddStringToObject(o, "intended", netpol_verdict_name(in.intended));
            if (in.intended == NETPOL_UNKNOWN) {
                cJSON_AddNullToObject(o, "agrees");
                unknown++;
            } else {
                cJSON_AddBoolToObject(o, "agrees", in.intended == want);
                in.intended == want ? agree++ : disagree++;
            }
            cJSON_AddItemToObject(o, "egress", pc_side(m, in.egress, in.egress_isolated, &in, NETPOL_EGRESS));
            cJSON_AddItemToObject(o, "ingress",
                                  pc_side(m, in.ingress, in.ingress_isolated, &in, NETPOL_INGRESS));
            cJSON_AddStringToObject(o, "reason", in.reason);
            if (p->expect != EXPECT_ALLOW || in.intended != NETPOL_ALLOW)
                continue;
            for (size_t k = 0; k < in.n_by; k++) {
                size_t off = offs[2 * in.by[k].policy + (in.by[k].dir == NETPOL_EGRESS)];
                if (off)
                    rules[off - 1 + in.by[k].rule].exercised = true;
            }
        }
    }
    cJSON_AddStringToObject(rep, "schema", "ztprobe/policy-check/v1");
    cJSON *sum = cJSON_AddObjectToObject(rep, "summary");
    if (!sum)
        goto oom;
    cJSON_AddNumberToObject(sum, "probes", (double)total);
    cJSON_AddNumberToObject(sum, "agree", (double)agree);
    cJSON_AddNumberToObject(sum, "disagree", (double)disagree);
    cJSON_AddNumberToObject(sum, "unknown", (double)unknown);
    cJSON_AddItemToObject(rep, "probes", probes);
    probes = NULL;
    cJSON *cov = cJSON_AddObjectToObject(rep, "coverage"), *unc = cJSON_CreateArray(),
          *nodeny = cJSON_CreateArray();
    if (!cov || !unc || !nodeny) {
        cJSON_Delete(unc);
        cJSON_Delete(nodeny);
        goto oom;
    }
    size_t ex = 0;
    for (size_t q = 0; q < n_rules; q++) {
        if (rules[q].exercised) {
            ex++;
            continue;
        }
        char name[300], why[400];
        netpol_policy_name(m, rules[q].ref.policy, name, sizeof(name));
        const char *rn = cfg->roles[rules[q].role].name;
        if (rules[q].ref.dir == NETPOL_EGRESS)
            snprintf(why, sizeof(why), "no allow probe of role %s uses this rule", rn);
        else
            snprintf(why, sizeof(why), "no allow probe reaches role %s's pods through this rule", rn);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(unc, o);
        cJSON_AddStringToObject(o, "policy", name);
        cJSON_AddStringToObject(o, "direction", rules[q].ref.dir == NETPOL_EGRESS ? "egress" : "ingress");
        cJSON_AddNumberToObject(o, "rule", (double)rules[q].ref.rule);
        cJSON_AddStringToObject(o, "reason", why);
    }
    for (size_t r = 0; r < cfg->n_roles; r++)
        if (isolated[r] && !has_deny[r])
            cJSON_AddItemToArray(nodeny, cJSON_CreateString(cfg->roles[r].name));
    cJSON_AddNumberToObject(cov, "rules", (double)n_rules);
    cJSON_AddNumberToObject(cov, "exercised", (double)ex);
    cJSON_AddItemToObject(cov, "uncovered", unc);
    cJSON_AddItemToObject(cov, "roles_without_deny_probe", nodeny);
    *out = rep;
    rep = NULL;
    rc = 0;
    goto done;
oom:
    rc = ZT_ERR_NOMEM;
done:
    if (rc == ZT_ERR_NOMEM)
        snprintf(err, errlen, "out of memory");
    cJSON_Delete(rep);
    cJSON_Delete(probes);
    free(rules);
    free(seen);
    free(offs);
    free(role_ns);
    free(isolated);
    free(has_deny);
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
    strbuf_printf(&b, "coverage: %.0f of %.0f rules exercised by an allow probe\n", pc_num(cov, "exercised"),
                  pc_num(cov, "rules"));
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(cov, "uncovered"))
    {
        strbuf_puts(&b, "  uncovered: ");
        pc_cell(&b, pc_str(p, "policy"), SIZE_MAX, 0);
        strbuf_printf(&b, " %s rule %.0f: ", pc_str(p, "direction"), pc_num(p, "rule"));
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
