/* policy_coverage.c: coverage. Each rule is stored once, under the first role whose pods its
 * policy selects; lookups go through per-policy offsets, so marking costs O(steps). */
#include "policy_coverage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anp_eval.h"
#include "cni_cover.h"
#include "netpol.h"

typedef struct {
    bool admin;    /* an admin-tier policy (m->anp.pols), else a NetworkPolicy */
    size_t policy; /* index into its array */
    bool egress;
    size_t rule;
    size_t role; /* first role whose pods the policy selects */
    bool exercised;
} pcov_rule_t;

struct pcov {
    const k8s_model_t *m;
    const config_t *cfg;
    pcov_rule_t *rules;
    size_t n, cap;
    size_t *np_off, *anp_off;  /* per policy and direction: 1 + where its rules start (0: none) */
    bool *isolated, *has_deny; /* per role */
    cni_cover_t cni;           /* a CNI's own allow rules (cni_cover.h) */
};

/* Does any pod of the role (or its virtual pod) fall under the selector(s)? sel_ns: the
 * namespace selector of an admin subject (NULL: a NetworkPolicy of namespace ns). */
static bool pcov_selects(const k8s_model_t *m, const config_role_t *role, size_t ns,
                         const k8s_selector_t *sel_ns, const k8s_selector_t *sel_pod)
{
    if (sel_ns && !k8s_selector_matches(sel_ns, &m->namespaces[ns].labels))
        return false;
    bool any = false;
    for (size_t k = 0; k < m->namespaces[ns].n_pods; k++) {
        const k8s_pod_t *pod = &m->pods[m->namespaces[ns].pods[k]];
        if (!labels_match(&role->selector, &pod->labels))
            continue;
        any = true;
        if (!pod->host_network && (!sel_pod || k8s_selector_matches(sel_pod, &pod->labels)))
            return true;
    }
    return !any && (!sel_pod || k8s_selector_matches(sel_pod, &role->selector));
}

static int pcov_add(pcov_t *c, bool admin, size_t pi, bool egress, size_t n, size_t role, size_t *off)
{
    if (c->n + n > c->cap) {
        size_t nc = (c->n + n) * 2;
        pcov_rule_t *nr = realloc(c->rules, nc * sizeof(*nr));
        if (!nr)
            return -1;
        c->rules = nr;
        c->cap = nc;
    }
    *off = c->n + 1;
    for (size_t i = 0; i < n; i++)
        c->rules[c->n++] = (pcov_rule_t){admin, pi, egress, i, role, false};
    return 0;
}

pcov_t *pcov_create(const k8s_model_t *m, const config_t *cfg, const size_t *role_ns)
{
    pcov_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->m = m;
    c->cfg = cfg;
    c->np_off = calloc(2 * m->n_policies + 2, sizeof(size_t));
    c->anp_off = calloc(2 * m->anp.n_pols + 2, sizeof(size_t));
    c->isolated = calloc(cfg->n_roles + 1, sizeof(bool));
    c->has_deny = calloc(cfg->n_roles + 1, sizeof(bool));
    if (!c->np_off || !c->anp_off || !c->isolated || !c->has_deny)
        goto oom;
    for (size_t r = 0; r < cfg->n_roles; r++) {
        const k8s_namespace_t *rns = &m->namespaces[role_ns[r]];
        for (size_t k = 0; k < rns->n_policies; k++) {
            size_t pi = rns->policies[k];
            const k8s_policy_t *pol = &m->policies[pi];
            if (!pcov_selects(m, &cfg->roles[r], role_ns[r], NULL, &pol->pod_selector))
                continue;
            c->isolated[r] = true;
            if (c->np_off[2 * pi] || c->np_off[2 * pi + 1])
                continue;
            if (pcov_add(c, false, pi, false, pol->ingress_type ? pol->n_ingress : 0, r,
                         &c->np_off[2 * pi]) != 0 ||
                pcov_add(c, false, pi, true, pol->egress_type ? pol->n_egress : 0, r,
                         &c->np_off[2 * pi + 1]) != 0)
                goto oom;
        }
        for (size_t pi = 0; pi < m->anp.n_pols; pi++) {
            const anp_policy_t *p = &m->anp.pols[pi];
            if (c->anp_off[2 * pi] || c->anp_off[2 * pi + 1] ||
                !pcov_selects(m, &cfg->roles[r], role_ns[r], &p->subj_ns,
                              p->subject_pods ? &p->subj_pod : NULL))
                continue;
            if (pcov_add(c, true, pi, false, p->n_ingress, r, &c->anp_off[2 * pi]) != 0 ||
                pcov_add(c, true, pi, true, p->n_egress, r, &c->anp_off[2 * pi + 1]) != 0)
                goto oom;
        }
    }
    if (cni_cover_collect(m, cfg, role_ns, c->isolated, &c->cni) != 0)
        goto oom;
    return c;
oom:
    pcov_free(c);
    return NULL;
}

static void pcov_mark_steps(pcov_t *c, const tier_step_t *chain, size_t n, bool egress,
                            const config_probe_t *p, const policy_intent_t *in)
{
    netpol_verdict_t want = p->expect == EXPECT_ALLOW ? NETPOL_ALLOW : NETPOL_DENY;
    for (size_t i = 0; i < n; i++) {
        const tier_step_t *s = &chain[i];
        if ((s->stage != TIER_STAGE_ADMIN && s->stage != TIER_STAGE_BASELINE) || !s->has_rule ||
            s->policy >= c->m->anp.n_pols)
            continue;
        bool ok = in->intended == want &&
            (s->action == TIER_PASS || (s->action == TIER_ALLOW && want == NETPOL_ALLOW) ||
             (s->action == TIER_DENY && want == NETPOL_DENY));
        size_t off = c->anp_off[2 * s->policy + egress];
        if (ok && off)
            c->rules[off - 1 + s->rule].exercised = true;
    }
}

void pcov_probe(pcov_t *c, size_t r, const config_probe_t *p, const policy_intent_t *in)
{
    c->isolated[r] |= in->egress_isolated;
    c->has_deny[r] |= p->expect == EXPECT_DENY;
    pcov_mark_steps(c, in->egress_chain, in->n_egress_chain, true, p, in);
    pcov_mark_steps(c, in->ingress_chain, in->n_ingress_chain, false, p, in);
    if (p->expect != EXPECT_ALLOW || in->intended != NETPOL_ALLOW)
        return;
    cni_cover_mark(&c->cni, in);
    for (size_t k = 0; k < in->n_by; k++) {
        size_t off = c->np_off[2 * in->by[k].policy + (in->by[k].dir == NETPOL_EGRESS)];
        if (off)
            c->rules[off - 1 + in->by[k].rule].exercised = true;
    }
}

/* Why an admin rule is not exercised, and what would exercise it. */
static void pcov_admin_why(const pcov_t *c, const pcov_rule_t *q, const char *rn, char *why, size_t len)
{
    const anp_policy_t *p = &c->m->anp.pols[q->policy];
    const anp_rule_t *ru = q->egress ? &p->egress[q->rule] : &p->ingress[q->rule];
    bool sctp = ru->n_ports > 0, nodes = false, domains = false;
    for (size_t i = 0; i < ru->n_ports; i++)
        sctp = sctp && ru->ports[i].kind == K8S_PORT_NUMBER && ru->ports[i].proto == K8S_SCTP;
    for (size_t i = 0; i < ru->n_peers; i++) {
        nodes |= ru->peers[i].kind == ANP_PEER_NODES;
        domains |= ru->peers[i].kind == ANP_PEER_DOMAINS;
    }
    const char *what = ru->action == ANP_ACCEPT ? "allow probe it allows"
        : ru->action == ANP_DENY                ? "deny probe it denies"
                                                : "probe it passes to the next tier";
    if (sctp)
        snprintf(why, len, "SCTP only: no probe kind can express it");
    else if (p->baseline && c->isolated[q->role])
        snprintf(
            why, len,
            "NetworkPolicies select role %s's pods, and the Baseline decides only where none does (no %s "
            "of role %s)",
            rn, what, rn);
    else if (nodes && c->m->anp.n_nodes == 0)
        snprintf(why, len,
                 "a nodes peer: give the Node objects and a probe to a node's address (no %s of role %s)",
                 what, rn);
    else if (domains)
        snprintf(why, len, "no %s of role %s: a probe by one of its domain names would", what, rn);
    else if (q->egress)
        snprintf(why, len, "no %s of role %s", what, rn);
    else
        snprintf(why, len, "no %s toward role %s's pods", what, rn);
}

cJSON *pcov_json(const pcov_t *c)
{
    cJSON *cov = cJSON_CreateObject(), *unc = cJSON_CreateArray(), *nodeny = cJSON_CreateArray();
    if (!cov || !unc || !nodeny) {
        cJSON_Delete(cov);
        cJSON_Delete(unc);
        cJSON_Delete(nodeny);
        return NULL;
    }
    size_t ex = 0;
    for (size_t q = 0; q < c->n; q++) {
        const pcov_rule_t *ru = &c->rules[q];
        if (ru->exercised) {
            ex++;
            continue;
        }
        char name[300], why[400];
        const char *rn = c->cfg->roles[ru->role].name;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(unc, o);
        if (ru->admin) {
            const anp_policy_t *p = &c->m->anp.pols[ru->policy];
            const anp_rule_t *r = ru->egress ? &p->egress[ru->rule] : &p->ingress[ru->rule];
            pcov_admin_why(c, ru, rn, why, sizeof(why));
            cJSON_AddStringToObject(o, "policy", p->name);
            cJSON_AddStringToObject(o, "kind", anp_kind_name(p->api));
            cJSON_AddStringToObject(o, "direction", ru->egress ? "egress" : "ingress");
            cJSON_AddNumberToObject(o, "rule", (double)ru->rule);
            if (r->name)
                cJSON_AddStringToObject(o, "rule_name", r->name);
            cJSON_AddStringToObject(o, "action", anp_action_name(p->api, r->action));
        } else {
            netpol_policy_name(c->m, ru->policy, name, sizeof(name));
            if (ru->egress)
                snprintf(why, sizeof(why), "no allow probe of role %s uses this rule", rn);
            else
                snprintf(why, sizeof(why), "no allow probe reaches role %s's pods through this rule", rn);
            cJSON_AddStringToObject(o, "policy", name);
            cJSON_AddStringToObject(o, "direction", ru->egress ? "egress" : "ingress");
            cJSON_AddNumberToObject(o, "rule", (double)ru->rule);
        }
        cJSON_AddStringToObject(o, "reason", why);
    }
    size_t n = c->n;
    if (cni_cover_report(c->m, c->cfg, &c->cni, unc, &n, &ex) != 0) {
        cJSON_Delete(cov);
        cJSON_Delete(unc);
        cJSON_Delete(nodeny);
        return NULL;
    }
    for (size_t r = 0; r < c->cfg->n_roles; r++)
        if (c->isolated[r] && !c->has_deny[r])
            cJSON_AddItemToArray(nodeny, cJSON_CreateString(c->cfg->roles[r].name));
    cJSON_AddNumberToObject(cov, "rules", (double)n);
    cJSON_AddNumberToObject(cov, "exercised", (double)ex);
    cJSON_AddItemToObject(cov, "uncovered", unc);
    cJSON_AddItemToObject(cov, "roles_without_deny_probe", nodeny);
    return cov;
}

void pcov_free(pcov_t *c)
{
    if (!c)
        return;
    free(c->rules);
    free(c->np_off);
    free(c->anp_off);
    free(c->isolated);
    free(c->has_deny);
    cni_cover_free(&c->cni);
    free(c);
}
