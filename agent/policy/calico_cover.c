/* calico_cover.c: coverage of Calico rules. Only rules that can make a probe pass count:
 * Allow rules (Deny rules are covered by deny probes, which coverage does not track, as for
 * NetworkPolicies; Log rules decide nothing; a Pass hands over to another tier). */
#include "calico_cover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calico_eval.h"
#include "netpol.h"

/* Does the policy apply to some pod of the role (or its stand-in) for the direction? */
static bool cc_applies(const k8s_model_t *m, size_t policy, netpol_dir_t dir, const config_role_t *role,
                       size_t ns)
{
    bool any = false;
    netpol_endpoint_t e;
    for (size_t k = 0; k < m->namespaces[ns].n_pods; k++) {
        size_t pi = m->namespaces[ns].pods[k];
        if (!labels_match(&role->selector, &m->pods[pi].labels))
            continue;
        any = true;
        netpol_endpoint_pod(m, pi, &e);
        if (calico_policy_applies(m, policy, dir, &e))
            return true;
    }
    if (any)
        return false;
    memset(&e, 0, sizeof(e));
    e.is_pod = true;
    e.ns = ns;
    e.labels = &role->selector;
    return calico_policy_applies(m, policy, dir, &e);
}

static int cc_add(calico_cover_t *c, netpol_ref_t ref, size_t role)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        calico_cover_rule_t *nr = realloc(c->rules, nc * sizeof(*nr));
        if (!nr)
            return -1;
        c->rules = nr;
        c->cap = nc;
    }
    c->rules[c->n++] = (calico_cover_rule_t){ref, role, false};
    return 0;
}

int calico_cover_collect(const k8s_model_t *m, const config_t *cfg, const size_t *role_ns, bool *isolated,
                         calico_cover_t *c)
{
    for (size_t pi = 0; pi < m->calico.n_policies; pi++) {
        const cal_policy_t *p = &m->calico.policies[pi];
        for (int d = 0; d < 2; d++) {
            netpol_dir_t dir = d ? NETPOL_EGRESS : NETPOL_INGRESS;
            const cal_rule_t *rules = d ? p->egress : p->ingress;
            size_t nr = d ? p->n_egress : p->n_ingress;
            bool taken = false;
            for (size_t r = 0; r < cfg->n_roles && !taken; r++) {
                if (!cc_applies(m, pi, dir, &cfg->roles[r], role_ns[r]))
                    continue;
                taken = isolated[r] = true;
                for (size_t i = 0; i < nr; i++)
                    if (rules[i].action == CAL_ALLOW && cc_add(c, (netpol_ref_t){pi, dir, i}, r) != 0)
                        return -1;
            }
        }
    }
    return 0;
}

void calico_cover_mark(calico_cover_t *c, const policy_intent_t *in)
{
    for (size_t k = 0; k < in->n_cal_by; k++)
        for (size_t i = 0; i < c->n; i++) {
            const netpol_ref_t *a = &c->rules[i].ref, *b = &in->cal_by[k];
            if (a->policy == b->policy && a->dir == b->dir && a->rule == b->rule)
                c->rules[i].exercised = true;
        }
}

static void cc_name(const k8s_model_t *m, size_t policy, char *buf, size_t len)
{
    char n[300];
    calico_policy_name(m, policy, n, sizeof(n));
    snprintf(buf, len, "%s %s",
             m->calico.policies[policy].global ? "Calico GlobalNetworkPolicy" : "Calico NetworkPolicy", n);
}

int calico_cover_report(const k8s_model_t *m, const config_t *cfg, const calico_cover_t *c, cJSON *uncovered,
                        size_t *rules, size_t *exercised)
{
    for (size_t i = 0; i < c->n; i++) {
        const calico_cover_rule_t *r = &c->rules[i];
        (*rules)++;
        if (r->exercised) {
            (*exercised)++;
            continue;
        }
        char name[340], why[300];
        cc_name(m, r->ref.policy, name, sizeof(name));
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

void calico_cover_by(const k8s_model_t *m, const policy_intent_t *in, netpol_dir_t dir, cJSON *by)
{
    for (size_t i = 0; by && i < in->n_cal_by; i++) {
        if (in->cal_by[i].dir != dir)
            continue;
        char name[340];
        cc_name(m, in->cal_by[i].policy, name, sizeof(name));
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(by, o)) {
            cJSON_Delete(o);
            return;
        }
        cJSON_AddStringToObject(o, "policy", name);
        cJSON_AddStringToObject(o, "direction", dir == NETPOL_EGRESS ? "egress" : "ingress");
        cJSON_AddNumberToObject(o, "rule", (double)in->cal_by[i].rule);
    }
}

void calico_cover_free(calico_cover_t *c)
{
    free(c->rules);
    c->rules = NULL;
    c->n = c->cap = 0;
}
