/* policy_reason.c: sentences for answers a CNI's policies decided. Calico's step comes from
 * the side's cal_step_t (calico_eval.c); Cilium's from the side's chain of tier steps. */
#include "policy_reason.h"

#include <stdio.h>
#include <string.h>

#include "calico_eval.h"

static bool pr_cilium_step(const tier_step_t *st)
{
    return st->kind && strncmp(st->kind, "Cilium", 6) == 0;
}

/* The side's final step when Cilium decided it, else NULL. */
static const tier_step_t *pr_cilium(const netpol_side_t *s)
{
    if (s->n_chain == 0)
        return NULL;
    const tier_step_t *st = &s->chain[s->n_chain - 1];
    return pr_cilium_step(st) ? st : NULL;
}

static void pr_cilium_text(const tier_step_t *st, char *buf, size_t len)
{
    const char *verb = st->action == TIER_ALLOW ? "allowed"
        : st->action == TIER_DENY               ? "denied"
                                                : "undecided";
    char rule[80] = "";
    if (st->has_rule)
        snprintf(rule, sizeof(rule), " %s rule %zu", st->rule_name ? st->rule_name : "", st->rule);
    snprintf(buf, len, "%s by %s %s%s%.100s%s%s%.160s%s", verb, st->kind, st->ns ? st->ns : "",
             st->ns ? "/" : "", st->name, rule, st->why[0] ? " (" : "", st->why, st->why[0] ? ")" : "");
}

bool policy_reason_cni(const k8s_model_t *m, const netpol_answer_t *a, char *buf, size_t len)
{
    const netpol_side_t *sides[] = {&a->egress, &a->ingress};
    const netpol_dir_t dirs[] = {NETPOL_EGRESS, NETPOL_INGRESS};
    bool any = false;
    for (size_t i = 0; i < 2; i++)
        any = any || sides[i]->calico.applied || sides[i]->calico.passed || pr_cilium(sides[i]);
    if (!any)
        return false;
    buf[0] = '\0';
    for (size_t i = 0; i < 2; i++) {
        const netpol_side_t *s = sides[i];
        const tier_step_t *cst = pr_cilium(s);
        char t[400] = "", np[200] = "";
        if (!s->applies)
            continue;
        if (cst) {
            pr_cilium_text(cst, t, sizeof(t));
        } else if (s->calico.applied || s->calico.passed) {
            calico_step_text(m, dirs[i], &s->calico, t, sizeof(t));
            if (s->calico.by == CAL_BY_K8S && s->n_by > 0) {
                netpol_policy_name(m, s->by[0].policy, np, sizeof(np) - 20);
                size_t l = strlen(np);
                snprintf(np + l, sizeof(np) - l, " rule %zu", s->by[0].rule);
            }
        } else if (s->n_by > 0 && s->verdict == NETPOL_ALLOW) {
            char pol[200];
            netpol_policy_name(m, s->by[0].policy, pol, sizeof(pol));
            snprintf(t, sizeof(t), "allowed by %.180s %s rule %zu", pol,
                     dirs[i] == NETPOL_EGRESS ? "egress" : "ingress", s->by[0].rule);
        } else {
            continue;
        }
        size_t l = strlen(buf);
        snprintf(buf + l, len - l, "%s%s: %s%s%s%s", l ? "; " : "",
                 dirs[i] == NETPOL_EGRESS ? "egress" : "ingress", t, np[0] ? " (" : "", np, np[0] ? ")" : "");
    }
    return true;
}
