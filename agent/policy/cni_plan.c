/* cni_plan.c: the todos of a role from its CNI policies' outside allows. An allow to names or
 * blocks outside the cluster cannot be guessed into a probe (which name, which address?):
 * the person writing the matrix picks one, with resolved_within. */
#include "cni_plan.h"

#include <stdio.h>
#include <string.h>

#include "calico_eval.h"
#include "cilium_eval.h"
#include "netpol.h"

static const char *const cp_why =
    "outside allows cannot be guessed: add an allow probe to a name there (with resolved_within), and a deny "
    "probe outside it";

static void cp_cilium(const k8s_model_t *m, const netpol_endpoint_t *e, cni_plan_todo_fn todo, void *ctx)
{
    for (size_t pi = 0; pi < m->cilium.n_policies; pi++) {
        const cil_policy_t *p = &m->cilium.policies[pi];
        if (!cilium_policy_selects(m, pi, e))
            continue;
        for (size_t r = 0; r < p->n_rules[CIL_EGRESS]; r++) {
            const cil_rule_t *ru = &p->rules[CIL_EGRESS][r];
            const char *kind = ru->has_fqdn                                          ? "toFQDNs"
                : ru->has_cidr                                                       ? "toCIDR"
                : ru->has_entities && (ru->entities & (CIL_ENT_WORLD | CIL_ENT_ALL)) ? "toEntities world"
                                                                                     : NULL;
            if (!kind)
                continue;
            char what[400];
            snprintf(what, sizeof(what), "%s %s%s%.200s egress rule %zu (%s%s%.120s)", p->kind,
                     p->clusterwide ? "" : m->namespaces[p->ns].name, p->clusterwide ? "" : "/", p->name, r,
                     kind, ru->n_fqdn_names ? " " : "", ru->n_fqdn_names ? ru->fqdn_names[0] : "");
            todo(ctx, what, cp_why);
        }
    }
}

static void cp_calico(const k8s_model_t *m, const netpol_endpoint_t *e, cni_plan_todo_fn todo, void *ctx)
{
    for (size_t pi = 0; pi < m->calico.n_policies; pi++) {
        const cal_policy_t *p = &m->calico.policies[pi];
        if (!calico_policy_applies(m, pi, NETPOL_EGRESS, e))
            continue;
        for (size_t r = 0; r < p->n_egress; r++) {
            const cal_rule_t *ru = &p->egress[r];
            if (ru->action != CAL_ALLOW || (!ru->dst.n_nets && !ru->dst.n_not_nets))
                continue;
            char what[400], name[300];
            calico_policy_name(m, pi, name, sizeof(name));
            snprintf(what, sizeof(what), "Calico %s %.250s egress rule %zu (%s)", p->kind, name, r,
                     ru->dst.n_nets ? "nets" : "notNets");
            todo(ctx, what, cp_why);
        }
    }
}

void cni_plan_todos(const k8s_model_t *m, size_t ns, const labels_t *sel, cni_plan_todo_fn todo, void *ctx)
{
    netpol_endpoint_t e;
    memset(&e, 0, sizeof(e));
    e.is_pod = true;
    e.ns = ns;
    e.labels = sel;
    cp_cilium(m, &e, todo, ctx);
    cp_calico(m, &e, todo, ctx);
}
