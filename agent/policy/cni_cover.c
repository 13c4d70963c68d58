/* cni_cover.c: coverage of a CNI's own rules. Only rules that can make a probe pass count:
 * Calico's Allow rules and Cilium's allow lists (deny rules are covered by deny probes, which
 * coverage does not track, as for NetworkPolicies; Log rules decide nothing; a Pass hands
 * over to another tier). */
#include "cni_cover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calico_eval.h"
#include "cilium_eval.h"
#include "netpol.h"

/* Does the policy apply to some pod of the role (or its stand-in) for the direction? */
static bool cc_one(const k8s_model_t *m, bool cilium, size_t policy, netpol_dir_t dir,
                   const netpol_endpoint_t *e)
{
    return cilium ? cilium_policy_selects(m, policy, e) : calico_policy_applies(m, policy, dir, e);
}

static bool cc_applies(const k8s_model_t *m, bool cilium, size_t policy, netpol_dir_t dir,
                       const config_role_t *role, size_t ns)
{
    bool any = false;
    netpol_endpoint_t e;
    for (size_t k = 0; k < m->namespaces[ns].n_pods; k++) {
        size_t pi = m->namespaces[ns].pods[k];
        if (!labels_match(&role->selector, &m->pods[pi].labels))
            continue;
        any = true;
        netpol_endpoint_pod(m, pi, &e);
        if (cc_one(m, cilium, policy, dir, &e))
            return true;
    }
    if (any)
        return false;
    memset(&e, 0, sizeof(e));
    e.is_pod = true;
    e.ns = ns;
    e.labels = &role->selector;
    return cc_one(m, cilium, policy, dir, &e);
}

static int cc_add(cni_cover_t *c, bool cilium, netpol_ref_t ref, size_t role)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        cni_cover_rule_t *nr = realloc(c->rules, nc * sizeof(*nr));
        if (!nr)
            return -1;
        c->rules = nr;
        c->cap = nc;
    }
    c->rules[c->n++] = (cni_cover_rule_t){cilium, ref, role, false};
    return 0;
}

int cni_cover_collect(const k8s_model_t *m, const config_t *cfg, const size_t *role_ns, bool *isolated,
                      cni_cover_t *c)
{
    size_t nc = m->calico.n_policies, total = nc + m->cilium.n_policies;
    for (size_t k = 0; k < total; k++) {
        bool cil = k >= nc;
        size_t pi = cil ? k - nc : k;
        for (int d = 0; d < 2; d++) {
            netpol_dir_t dir = d ? NETPOL_EGRESS : NETPOL_INGRESS;
            size_t nr;
            if (cil) {
                nr = m->cilium.policies[pi].n_rules[d ? CIL_EGRESS : CIL_INGRESS];
            } else {
                const cal_policy_t *p = &m->calico.policies[pi];
                nr = d ? p->n_egress : p->n_ingress;
            }
            bool taken = false;
            for (size_t r = 0; r < cfg->n_roles && !taken && nr > 0; r++) {
                if (!cc_applies(m, cil, pi, dir, &cfg->roles[r], role_ns[r]))
                    continue;
                taken = isolated[r] = true;
                for (size_t i = 0; i < nr; i++) {
                    if (!cil &&
                        (d ? m->calico.policies[pi].egress : m->calico.policies[pi].ingress)[i].action !=
                            CAL_ALLOW)
                        continue;
                    if (cc_add(c, cil, (netpol_ref_t){pi, dir, i}, r) != 0)
                        return -1;
                }
            }
        }
    }
    return 0;
}

static void cc_mark(cni_cover_t *c, bool cilium, const netpol_ref_t *by, size_t n)
{
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < c->n; i++) {
            const netpol_ref_t *a = &c->rules[i].ref;
            if (c->rules[i].cilium == cilium && a->policy == by[k].policy && a->dir == by[k].dir &&
                a->rule == by[k].rule)
                c->rules[i].exercised = true;
        }
}

void cni_cover_mark(cni_cover_t *c, const policy_intent_t *in)
{
    cc_mark(c, false, in->cal_by, in->n_cal_by);
    cc_mark(c, true, in->cil_by, in->n_cil_by);
}

static void cc_name(const k8s_model_t *m, bool cilium, size_t policy, char *buf, size_t len)
{
    char n[300];
    if (cilium) {
        const cil_policy_t *p = &m->cilium.policies[policy];
        snprintf(buf, len, "%s %s%s%.250s", p->kind, p->clusterwide ? "" : m->namespaces[p->ns].name,
                 p->clusterwide ? "" : "/", p->name);
        return;
    }
    calico_policy_name(m, policy, n, sizeof(n));
    snprintf(buf, len, "%s %s",
             m->calico.policies[policy].global ? "Calico GlobalNetworkPolicy" : "Calico NetworkPolicy", n);
}

int cni_cover_report(const k8s_model_t *m, const config_t *cfg, const cni_cover_t *c, cJSON *uncovered,
                     size_t *rules, size_t *exercised)
{
    for (size_t i = 0; i < c->n; i++) {
        const cni_cover_rule_t *r = &c->rules[i];
        (*rules)++;
        if (r->exercised) {
            (*exercised)++;
            continue;
        }
        char name[340], why[300];
        cc_name(m, r->cilium, r->ref.policy, name, sizeof(name));
        const char *rn = cfg->roles[r->role].name;
        if (r->ref.dir == NETPOL_EGRESS)
            snprintf(why, sizeof(why), "no allow probe of role %s uses this rule", rn);
        else
            snprintf(why, sizeof(why), "no allow probe reaches role %s's pods through this rule", rn);
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(uncovered, o)) {
            cJSON_Delete(o);
            return -1;
        }
        cJSON_AddStringToObject(o, "policy", name);
        cJSON_AddStringToObject(o, "direction", r->ref.dir == NETPOL_EGRESS ? "egress" : "ingress");
        cJSON_AddNumberToObject(o, "rule", (double)r->ref.rule);
        cJSON_AddStringToObject(o, "reason", why);
    }
    return 0;
}

static void cc_by(const k8s_model_t *m, bool cilium, const netpol_ref_t *refs, size_t n, netpol_dir_t dir,
                  cJSON *by)
{
    for (size_t i = 0; by && i < n; i++) {
        if (refs[i].dir != dir)
            continue;
        char name[340];
        cc_name(m, cilium, refs[i].policy, name, sizeof(name));
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(by, o)) {
            cJSON_Delete(o);
            return;
        }
        cJSON_AddStringToObject(o, "policy", name);
        cJSON_AddStringToObject(o, "direction", dir == NETPOL_EGRESS ? "egress" : "ingress");
        cJSON_AddNumberToObject(o, "rule", (double)refs[i].rule);
    }
}

void cni_cover_by(const k8s_model_t *m, const policy_intent_t *in, netpol_dir_t dir, cJSON *by)
{
    cc_by(m, false, in->cal_by, in->n_cal_by, dir, by);
    cc_by(m, true, in->cil_by, in->n_cil_by, dir, by);
}

void cni_cover_free(cni_cover_t *c)
{
    free(c->rules);
    c->rules = NULL;
    c->n = c->cap = 0;
}
