/* calico_eval.c: Calico's evaluation for one direction. A rule matches a connection in full,
 * in part (an outside range only partly inside its nets, an endpoint the objects do not
 * show, a source port the prober cannot know), or not: a part match of a rule that would
 * decide makes the answer unknown rather than a guess. */
#include "calico_eval.h"

#include "calico_match.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

void calico_policy_name(const k8s_model_t *m, size_t policy, char *buf, size_t len)
{
    const cal_policy_t *p = &m->calico.policies[policy];
    if (p->global)
        snprintf(buf, len, "%s", p->name);
    else
        snprintf(buf, len, "%s/%s", m->namespaces[p->ns].name, p->name);
}

static bool ce_applies(const k8s_model_t *m, const cal_policy_t *pol, netpol_dir_t dir,
                       const netpol_endpoint_t *self);

bool calico_policy_applies(const k8s_model_t *m, size_t policy, netpol_dir_t dir,
                           const netpol_endpoint_t *pod)
{
    return pod->is_pod && ce_applies(m, &m->calico.policies[policy], dir, pod);
}

static bool ce_applies(const k8s_model_t *m, const cal_policy_t *pol, netpol_dir_t dir,
                       const netpol_endpoint_t *self)
{
    if (pol->host_only || !(dir == NETPOL_INGRESS ? pol->ingress_type : pol->egress_type))
        return false;
    if (!pol->global && self->ns != pol->ns)
        return false;
    if (pol->ns_selector && !calico_m_ns_match(m, pol->ns_selector, self->ns))
        return false;
    calico_m_pod_t p;
    calico_m_pod(m, self, &p);
    if (pol->selector && !calsel_match(pol->selector, p.sets, 2))
        return false;
    return !pol->sa_selector || calico_m_sa_match(m, pol->sa_selector, self->ns, p.sa);
}

static const char *ce_tier_of(const cal_model_t *c, size_t i)
{
    return i == CAL_K8S_MARK ? CAL_DEFAULT_TIER : c->policies[i].tier;
}

/* The chain's record of a Calico step (kind, name, order, rule). */
static void ce_step(const k8s_model_t *m, size_t policy, bool has_rule, size_t rule, tier_step_t *step)
{
    const cal_policy_t *p = &m->calico.policies[policy];
    step->kind = p->global ? "Calico GlobalNetworkPolicy" : "Calico NetworkPolicy";
    step->ns = p->global ? NULL : m->namespaces[p->ns].name;
    step->name = p->name;
    step->policy = policy;
    step->has_priority = p->has_order;
    step->priority = (long)p->order;
    step->has_rule = has_rule;
    step->rule = rule;
}

/* The end of a tier in which a policy applied and no rule decided: its defaultAction. Returns
 * true when that decides (Deny). */
static bool ce_tier_end(const tier_query_t *q, const char *tier, size_t last, const tier_step_t *k8s_deny,
                        tier_step_t *step)
{
    const cal_model_t *c = &q->m->calico;
    cal_step_t *out = &q->side->calico;
    const cal_tier_t *t = cal_model_tier(c, tier);
    if (t && t->default_action == CAL_PASS) {
        out->passed = out->pass_default = true;
        out->pass_tier = tier;
        return false;
    }
    out->verdict = CAL_V_DENY;
    out->by = CAL_BY_TIER_END;
    out->policy = last;
    out->tier = tier;
    if (last == CAL_K8S_MARK)
        *step = *k8s_deny;
    else
        ce_step(q->m, last, false, 0, step);
    snprintf(step->why, sizeof(step->why), "end of Calico tier %.60s (defaultAction Deny): no rule matched",
             tier);
    return true;
}

/* True when the tier has an entry in sorted[lo..hi). */
static bool ce_tier_in(const cal_model_t *c, const char *tier, size_t lo, size_t hi)
{
    for (size_t k = lo; k < hi; k++)
        if (strcmp(ce_tier_of(c, c->sorted[k]), tier) == 0)
            return true;
    return false;
}

/* For --explain: what the walk did at sorted[k] (entries it never comes to stay NO). */
static void ce_reach(const tier_query_t *q, size_t k, netpol_reach_state_t st)
{
    if (q->trace && q->trace->calico)
        q->trace->calico[k].state = st;
}

/* ... and the rule of the policy at sorted[k] that ended the walk in it. */
static void ce_reach_rule(const tier_query_t *q, size_t k, size_t rule)
{
    if (q->trace && q->trace->calico) {
        q->trace->calico[k].ended = true;
        q->trace->calico[k].rule = rule;
    }
}

/* Calico's walk over sorted[lo..hi) (whole tiers), for one direction. */
static tier_action_t ce_walk(const tier_query_t *q, size_t lo, size_t hi, tier_step_t *step)
{
    const k8s_model_t *m = q->m;
    const cal_model_t *c = &m->calico;
    cal_step_t *out = &q->side->calico;
    const netpol_endpoint_t *self = q->self, *src = q->dir == NETPOL_EGRESS ? q->self : q->other;
    const char *tier = NULL;
    bool applied = false, skip = false, passed_before = out->passed;
    size_t last = 0;
    tier_step_t k8s;
    memset(&k8s, 0, sizeof(k8s));
    for (size_t k = lo; k <= hi; k++) {
        size_t i = k < hi ? c->sorted[k] : 0;
        const char *t = k < hi ? ce_tier_of(c, i) : NULL;
        if (!tier || !t || strcmp(t, tier) != 0) {
            if (tier && applied && !skip && ce_tier_end(q, tier, last, &k8s, step))
                return TIER_DENY;
            if (!t)
                break;
            tier = t;
            applied = skip = false;
        }
        if (skip) {
            ce_reach(q, k, NETPOL_REACH_PASSED);
            continue;
        }
        ce_reach(q, k, NETPOL_REACH_YES);
        if (i == CAL_K8S_MARK) {
            tier_action_t a = netpol_stage_namespaced(q, &k8s);
            if (a == TIER_NONE)
                continue;
            k8s.has_priority = true; /* the chain says where Calico placed them */
            k8s.priority = (long)CAL_K8S_ORDER;
            applied = out->applied = true;
            last = i;
            if (a == TIER_DENY)
                continue; /* NetworkPolicies only allow; the tier goes on */
            out->verdict = a == TIER_ALLOW ? CAL_V_ALLOW : CAL_V_UNKNOWN;
            out->by = CAL_BY_K8S;
            out->policy = i;
            out->tier = tier;
            out->why = "a NetworkPolicy's ipBlock covers only part of the target";
            *step = k8s;
            return a;
        }
        const cal_policy_t *pol = &c->policies[i];
        if (!ce_applies(m, pol, q->dir, self))
            continue;
        applied = out->applied = q->side->isolated = true;
        last = i;
        if (strcmp(tier, CAL_DEFAULT_TIER) != 0 && !cal_model_tier(c, tier)) {
            out->verdict = CAL_V_UNKNOWN;
            out->by = CAL_BY_RULE;
            out->policy = i;
            out->tier = tier;
            out->why = "the policy's tier is not among the objects (add the Tier)";
            ce_step(m, i, false, 0, step);
            snprintf(step->why, sizeof(step->why), "%s", out->why);
            return TIER_UNKNOWN;
        }
        size_t nr = q->dir == NETPOL_INGRESS ? pol->n_ingress : pol->n_egress;
        const cal_rule_t *rules = q->dir == NETPOL_INGRESS ? pol->ingress : pol->egress;
        for (size_t r = 0; r < nr && !skip; r++) {
            calico_m_t v = calico_m_rule(m, pol, &rules[r], src, q->dst, q->port, q->proto);
            if (v == CALICO_M_NONE || rules[r].action == CAL_LOG)
                continue;
            if (v == CALICO_M_PART || rules[r].action != CAL_PASS) {
                out->verdict = v == CALICO_M_PART  ? CAL_V_UNKNOWN
                    : rules[r].action == CAL_ALLOW ? CAL_V_ALLOW
                                                   : CAL_V_DENY;
                out->by = CAL_BY_RULE;
                out->policy = i;
                out->rule = r;
                out->tier = tier;
                out->why =
                    "a rule matches only part of the target (its nets, an endpoint not in the objects, "
                    "or source ports)";
                ce_step(m, i, true, r, step);
                ce_reach_rule(q, k, r);
                if (v == CALICO_M_PART)
                    snprintf(step->why, sizeof(step->why), "%s", out->why);
                q->side->n_by = 0; /* a Calico rule decided, not NetworkPolicy rules */
                q->side->near = NETPOL_NEAR_NONE;
                return out->verdict == CAL_V_ALLOW ? TIER_ALLOW
                    : out->verdict == CAL_V_DENY   ? TIER_DENY
                                                   : TIER_UNKNOWN;
            }
            skip = true;
            ce_reach_rule(q, k, r);
            out->passed = true;
            out->pass_default = false;
            out->pass_policy = i;
            out->pass_rule = r;
            out->pass_tier = tier;
        }
    }
    if (!out->passed || (passed_before && !ce_tier_in(c, out->pass_tier, lo, hi)))
        return TIER_NONE; /* no Pass in these tiers */
    /* The last Pass is this walk's decisive step: the chain records it. */
    if (out->pass_default) {
        step->kind = "Calico Tier";
        step->name = out->pass_tier;
        snprintf(step->why, sizeof(step->why), "defaultAction Pass");
    } else {
        ce_step(m, out->pass_policy, true, out->pass_rule, step);
    }
    return TIER_PASS;
}

tier_action_t calico_stage_pre(const tier_query_t *q, tier_step_t *step)
{
    const cal_model_t *c = &q->m->calico;
    return c->n_policies ? ce_walk(q, 0, c->default_lo, step) : TIER_NONE;
}

tier_action_t calico_stage_namespaced(const tier_query_t *q, tier_step_t *step)
{
    const cal_model_t *c = &q->m->calico;
    if (!c->n_policies)
        return netpol_stage_namespaced(q, step);
    tier_action_t a = ce_walk(q, c->default_lo, c->default_hi, step);
    return a == TIER_PASS ? TIER_NONE : a; /* a Pass here goes on to the later tiers */
}

tier_action_t calico_stage_post(const tier_query_t *q, tier_step_t *step)
{
    const cal_model_t *c = &q->m->calico;
    return c->n_policies ? ce_walk(q, c->default_hi, c->n_sorted, step) : TIER_NONE;
}

void calico_step_text(const k8s_model_t *m, netpol_dir_t dir, const cal_step_t *s, char *buf, size_t len)
{
    const char *d = dir == NETPOL_EGRESS ? "egress" : "ingress";
    char pass[300] = "", name[260];
    if (s->passed && s->pass_default) {
        snprintf(pass, sizeof(pass), "passed by the end of tier %.60s (defaultAction Pass), then ",
                 s->pass_tier);
    } else if (s->passed) {
        calico_policy_name(m, s->pass_policy, name, sizeof(name));
        snprintf(pass, sizeof(pass), "passed by Calico %.40s %.120s (tier %.60s) %s rule %zu, then ",
                 m->calico.policies[s->pass_policy].kind, name, s->pass_tier, d, s->pass_rule);
    }
    if (s->by == CAL_BY_NONE) {
        snprintf(buf, len, "%sno Calico tier decides %s: the namespace profile allows", pass, d);
        return;
    }
    if (s->by == CAL_BY_K8S || (s->by == CAL_BY_TIER_END && s->policy == CAL_K8S_MARK)) {
        snprintf(name, sizeof(name), "the NetworkPolicies (order %.0f in tier %s)", CAL_K8S_ORDER,
                 CAL_DEFAULT_TIER);
    } else {
        const cal_policy_t *p = &m->calico.policies[s->policy];
        char pn[160], order[40] = "no order";
        calico_policy_name(m, s->policy, pn, sizeof(pn));
        if (p->has_order)
            snprintf(order, sizeof(order), "order %g", p->order);
        snprintf(name, sizeof(name), "Calico %.30s %.100s (tier %.40s, %.30s)", p->kind, pn, p->tier, order);
    }
    if (s->by == CAL_BY_TIER_END) {
        snprintf(buf, len,
                 "%sdenied by the end of tier %.60s (defaultAction Deny): %.200s applied, no rule matched %s",
                 pass, s->tier, name, d);
        return;
    }
    if (s->by == CAL_BY_K8S) {
        snprintf(buf, len, "%s%s by %.200s", pass, s->verdict == CAL_V_ALLOW ? "allowed" : "undecided", name);
        return;
    }
    if (s->verdict == CAL_V_UNKNOWN) {
        snprintf(buf, len, "%sundecided at %.200s %s: %s", pass, name, d, s->why);
        return;
    }
    const cal_policy_t *p = &m->calico.policies[s->policy];
    const cal_rule_t *r = dir == NETPOL_INGRESS ? p->ingress : p->egress;
    snprintf(buf, len, "%s%s by %.200s %s rule %zu (%s)", pass,
             s->verdict == CAL_V_ALLOW ? "allowed" : "denied", name, d, s->rule,
             cal_action_name(r[s->rule].action));
}

/* The first part of an entity (source or destination, ports aside) that does not hold e. */
static void ce_entity_why(const k8s_model_t *m, const cal_policy_t *pol, const cal_entity_t *en,
                          const netpol_endpoint_t *e, char *why, size_t len)
{
    if (en->n_nets && calico_m_nets(en->nets, en->n_nets, e) == CALICO_M_NONE)
        snprintf(why, len, "nets: the address is outside them");
    else if (en->n_not_nets && calico_m_nets(en->not_nets, en->n_not_nets, e) == CALICO_M_ALL)
        snprintf(why, len, "notNets: the address is inside them");
    else if ((en->selector || en->ns_selector || en->has_sa) && !e->is_pod)
        snprintf(why, len, "selectors pick pods; this end is outside the cluster");
    else if (en->ns_selector && !calico_m_ns_match(m, en->ns_selector, e->ns))
        snprintf(why, len, "namespaceSelector %.80s: namespace %.60s does not match",
                 calsel_text(en->ns_selector), m->namespaces[e->ns].name);
    else if ((en->selector || en->has_sa) && !en->ns_selector && !pol->global && e->ns != pol->ns)
        snprintf(why, len, "a namespaced policy's selectors stay in namespace %.60s; the pod is in %.60s",
                 m->namespaces[pol->ns].name, m->namespaces[e->ns].name);
    else if (en->selector && !calico_m_selected(m, pol, en, en->selector, false, e))
        snprintf(why, len, "selector %.120s: the pod's labels do not match", calsel_text(en->selector));
    else if (en->has_sa)
        snprintf(why, len, "serviceAccounts: the pod's service account does not match");
    else
        snprintf(why, len, "notSelector %.120s matches the pod",
                 en->not_selector ? calsel_text(en->not_selector) : "");
}

void calico_rule_match(const tier_query_t *q, size_t policy, size_t rule, calico_rule_match_t *out)
{
    const k8s_model_t *m = q->m;
    const cal_policy_t *pol = &m->calico.policies[policy];
    const cal_rule_t *r = q->dir == NETPOL_INGRESS ? &pol->ingress[rule] : &pol->egress[rule];
    const netpol_endpoint_t *src = q->dir == NETPOL_EGRESS ? q->self : q->other;
    const netpol_endpoint_t *dst = q->dst;
    int pn = calico_m_proto_number(q->proto);
    memset(out, 0, sizeof(*out));
    out->action = r->action;
    out->protocol = !((r->protocol && r->protocol != pn) || (r->not_protocol && r->not_protocol == pn));
    out->source = (int)calico_m_entity(m, pol, &r->src, src, false, dst, q->port, q->proto);
    if (out->source == CALICO_M_NONE)
        ce_entity_why(m, pol, &r->src, src, out->source_why, sizeof(out->source_why));
    else if (out->source == CALICO_M_PART)
        snprintf(out->source_why, sizeof(out->source_why), "matches only part of the source (or its port)");
    cal_entity_t en = r->dst;
    en.n_ports = en.n_not_ports = 0;
    out->destination = (int)calico_m_entity(m, pol, &en, dst, true, dst, q->port, q->proto);
    if (out->destination == CALICO_M_NONE)
        ce_entity_why(m, pol, &en, dst, out->destination_why, sizeof(out->destination_why));
    else if (out->destination == CALICO_M_PART)
        snprintf(out->destination_why, sizeof(out->destination_why), "matches only part of the destination");
    out->ports = (!r->dst.n_ports ||
                  calico_m_port_in(r->dst.ports, r->dst.n_ports, dst, q->port, q->proto)) &&
        (!r->dst.n_not_ports ||
         !calico_m_port_in(r->dst.not_ports, r->dst.n_not_ports, dst, q->port, q->proto));
    if (!out->ports)
        snprintf(out->ports_why, sizeof(out->ports_why), "destination %s: port %d is %s",
                 r->dst.n_ports ? "ports" : "notPorts", q->port, r->dst.n_ports ? "not listed" : "listed");
    out->matches = out->protocol && out->ports ? (int)calico_m_rule(m, pol, r, src, dst, q->port, q->proto)
                                               : 0;
}
