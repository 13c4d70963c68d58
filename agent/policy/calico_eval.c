/* calico_eval.c: Calico's evaluation for one direction. A rule matches a connection in full,
 * in part (an outside range only partly inside its nets, an endpoint the objects do not
 * show, a source port the prober cannot know), or not: a part match of a rule that would
 * decide makes the answer unknown rather than a guess. */
#include "calico_eval.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

typedef enum { CM_NONE = 0, CM_PART = 1, CM_ALL = 2 } cm_t;

static cm_t cm_min(cm_t a, cm_t b)
{
    return a < b ? a : b;
}

static cm_t cm_not(cm_t a)
{
    return a == CM_ALL ? CM_NONE : a == CM_NONE ? CM_ALL : CM_PART;
}

void calico_policy_name(const k8s_model_t *m, size_t policy, char *buf, size_t len)
{
    const cal_policy_t *p = &m->calico.policies[policy];
    if (p->global)
        snprintf(buf, len, "%s", p->name);
    else
        snprintf(buf, len, "%s/%s", m->namespaces[p->ns].name, p->name);
}

/* Label sets of a pod as Calico sees it: its own labels, then the implied ones. */
typedef struct {
    label_t implied[3];
    labels_t implied_set;
    const labels_t *sets[2];
    const char *sa;
} ce_pod_t;

static void ce_pod(const k8s_model_t *m, const netpol_endpoint_t *e, ce_pod_t *p)
{
    p->sa = e->service_account ? e->service_account : "default";
    p->implied[0] = (label_t){"projectcalico.org/namespace", m->namespaces[e->ns].name};
    p->implied[1] = (label_t){"projectcalico.org/orchestrator", "k8s"};
    p->implied[2] = (label_t){"projectcalico.org/serviceaccount", (char *)p->sa};
    p->implied_set = (labels_t){p->implied, 3, false};
    p->sets[0] = e->labels;
    p->sets[1] = &p->implied_set;
}

/* A namespace's labels plus projectcalico.org/name. */
static bool ce_ns_match(const k8s_model_t *m, const calsel_t *s, size_t ns)
{
    label_t name = {"projectcalico.org/name", m->namespaces[ns].name};
    labels_t implied = {&name, 1, false};
    const labels_t *sets[] = {&m->namespaces[ns].labels, &implied};
    return calsel_match(s, sets, 2);
}

/* A ServiceAccount's labels (when its object was read) plus projectcalico.org/name. */
static bool ce_sa_match(const k8s_model_t *m, const calsel_t *s, size_t ns, const char *sa)
{
    const cal_sa_t *obj = cal_model_sa(&m->calico, ns, sa);
    label_t name = {"projectcalico.org/name", (char *)sa};
    labels_t implied = {&name, 1, false};
    const labels_t *sets[] = {obj ? &obj->labels : &implied, &implied};
    return calsel_match(s, sets, 2);
}

static bool ce_inside(const cidr_t *a, const cidr_t *b)
{
    return a->net.family == b->net.family && a->prefix >= b->prefix && cidr_contains(b, &a->net);
}

/* Whether the endpoint lies in one of the nets. A pod whose address the objects do not give
 * (a workload template) is taken as outside every net, as netpol.c takes it for ipBlock. */
static cm_t ce_nets(const cidr_t *nets, size_t n, const netpol_endpoint_t *e)
{
    if (e->unknown)
        return CM_PART;
    cm_t best = CM_NONE;
    for (size_t i = 0; i < n && best != CM_ALL; i++) {
        if (e->is_pod) {
            if (e->has_addr && cidr_contains(&nets[i], &e->addr))
                best = CM_ALL;
        } else if (ce_inside(&e->range, &nets[i])) {
            best = CM_ALL;
        } else if (ce_inside(&nets[i], &e->range)) {
            best = CM_PART;
        }
    }
    return best;
}

static bool ce_port_in(const cal_port_t *ports, size_t n, const netpol_endpoint_t *dst, int port,
                       k8s_proto_t proto)
{
    for (size_t i = 0; i < n; i++) {
        if (!ports[i].name) {
            if (port >= ports[i].lo && port <= ports[i].hi)
                return true;
            continue;
        }
        for (size_t k = 0; dst->is_pod && k < dst->n_ports; k++) {
            const k8s_cport_t *c = &dst->ports[k];
            if (c->name && strcmp(c->name, ports[i].name) == 0 && c->proto == proto && c->port == port)
                return true;
        }
    }
    return false;
}

/* The selector part of an entity for a pod: namespace scope, selector, service accounts. */
static bool ce_selected(const k8s_model_t *m, const cal_policy_t *pol, const cal_entity_t *en,
                        const calsel_t *sel, bool with_sa, const netpol_endpoint_t *e)
{
    if (en->ns_selector) {
        if (!ce_ns_match(m, en->ns_selector, e->ns))
            return false;
    } else if (!pol->global && e->ns != pol->ns) {
        return false; /* a namespaced policy's selectors stay in its namespace */
    }
    ce_pod_t p;
    ce_pod(m, e, &p);
    if (sel && !calsel_match(sel, p.sets, 2))
        return false;
    if (!with_sa || !en->has_sa)
        return true;
    bool named = en->n_sa_names == 0;
    for (size_t i = 0; i < en->n_sa_names && !named; i++)
        named = strcmp(en->sa_names[i], p.sa) == 0;
    return named && (!en->sa_selector || ce_sa_match(m, en->sa_selector, e->ns, p.sa));
}

static cm_t ce_entity(const k8s_model_t *m, const cal_policy_t *pol, const cal_entity_t *en,
                      const netpol_endpoint_t *e, bool is_dst, const netpol_endpoint_t *dst, int port,
                      k8s_proto_t proto)
{
    cm_t r = CM_ALL;
    if (en->n_nets)
        r = cm_min(r, ce_nets(en->nets, en->n_nets, e));
    if (en->n_not_nets)
        r = cm_min(r, cm_not(ce_nets(en->not_nets, en->n_not_nets, e)));
    if (en->selector || en->ns_selector || en->has_sa) {
        /* Selectors pick endpoints: never an address outside the cluster. */
        if (e->unknown)
            r = cm_min(r, CM_PART);
        else if (!e->is_pod || !ce_selected(m, pol, en, en->selector, true, e))
            return CM_NONE;
    }
    if (en->not_selector) {
        if (e->unknown)
            r = cm_min(r, CM_PART);
        else if (e->is_pod && ce_selected(m, pol, en, en->not_selector, false, e))
            return CM_NONE;
    }
    if (!is_dst) {
        /* A source port is ephemeral: the prober cannot say which one it gets. */
        if (en->n_ports || en->n_not_ports)
            r = cm_min(r, CM_PART);
        return r;
    }
    if (en->n_ports && !ce_port_in(en->ports, en->n_ports, dst, port, proto))
        return CM_NONE;
    if (en->n_not_ports && ce_port_in(en->not_ports, en->n_not_ports, dst, port, proto))
        return CM_NONE;
    return r;
}

static int ce_proto_number(k8s_proto_t p)
{
    return p == K8S_TCP ? 6 : p == K8S_UDP ? 17 : 132;
}

static int ce_family(const netpol_endpoint_t *a, const netpol_endpoint_t *b)
{
    const netpol_endpoint_t *e[] = {a, b};
    for (size_t i = 0; i < 2; i++) {
        if (e[i]->is_pod && e[i]->has_addr)
            return e[i]->addr.family;
        if (!e[i]->is_pod && !e[i]->unknown)
            return e[i]->range.net.family;
    }
    return 0;
}

static cm_t ce_rule(const k8s_model_t *m, const cal_policy_t *pol, const cal_rule_t *r,
                    const netpol_endpoint_t *src, const netpol_endpoint_t *dst, int port, k8s_proto_t proto)
{
    int pn = ce_proto_number(proto);
    if ((r->protocol && r->protocol != pn) || (r->not_protocol && r->not_protocol == pn))
        return CM_NONE;
    cm_t v = CM_ALL;
    if (r->ip_version) {
        int fam = ce_family(src, dst);
        if (!fam)
            v = CM_PART;
        else if (fam != (r->ip_version == 4 ? AF_INET : AF_INET6))
            return CM_NONE;
    }
    v = cm_min(v, ce_entity(m, pol, &r->src, src, false, dst, port, proto));
    if (v == CM_NONE)
        return v;
    return cm_min(v, ce_entity(m, pol, &r->dst, dst, true, dst, port, proto));
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
    if (pol->ns_selector && !ce_ns_match(m, pol->ns_selector, self->ns))
        return false;
    ce_pod_t p;
    ce_pod(m, self, &p);
    if (pol->selector && !calsel_match(pol->selector, p.sets, 2))
        return false;
    return !pol->sa_selector || ce_sa_match(m, pol->sa_selector, self->ns, p.sa);
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
        if (skip)
            continue;
        if (i == CAL_K8S_MARK) {
            tier_action_t a = netpol_stage_namespaced(q, &k8s);
            if (a == TIER_NONE)
                continue;
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
            cm_t v = ce_rule(m, pol, &rules[r], src, q->dst, q->port, q->proto);
            if (v == CM_NONE || rules[r].action == CAL_LOG)
                continue;
            if (v == CM_PART || rules[r].action != CAL_PASS) {
                out->verdict = v == CM_PART        ? CAL_V_UNKNOWN
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
                if (v == CM_PART)
                    snprintf(step->why, sizeof(step->why), "%s", out->why);
                q->side->n_by = 0; /* a Calico rule decided, not NetworkPolicy rules */
                q->side->near = NETPOL_NEAR_NONE;
                return out->verdict == CAL_V_ALLOW ? TIER_ALLOW
                    : out->verdict == CAL_V_DENY   ? TIER_DENY
                                                   : TIER_UNKNOWN;
            }
            skip = true;
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
    if (en->n_nets && ce_nets(en->nets, en->n_nets, e) == CM_NONE)
        snprintf(why, len, "nets: the address is outside them");
    else if (en->n_not_nets && ce_nets(en->not_nets, en->n_not_nets, e) == CM_ALL)
        snprintf(why, len, "notNets: the address is inside them");
    else if ((en->selector || en->ns_selector || en->has_sa) && !e->is_pod)
        snprintf(why, len, "selectors pick pods; this end is outside the cluster");
    else if (en->ns_selector && !ce_ns_match(m, en->ns_selector, e->ns))
        snprintf(why, len, "namespaceSelector %.80s: namespace %.60s does not match",
                 calsel_text(en->ns_selector), m->namespaces[e->ns].name);
    else if ((en->selector || en->has_sa) && !en->ns_selector && !pol->global && e->ns != pol->ns)
        snprintf(why, len, "a namespaced policy's selectors stay in namespace %.60s; the pod is in %.60s",
                 m->namespaces[pol->ns].name, m->namespaces[e->ns].name);
    else if (en->selector && !ce_selected(m, pol, en, en->selector, false, e))
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
    int pn = ce_proto_number(q->proto);
    memset(out, 0, sizeof(*out));
    out->action = r->action;
    out->protocol = !((r->protocol && r->protocol != pn) || (r->not_protocol && r->not_protocol == pn));
    out->source = (int)ce_entity(m, pol, &r->src, src, false, dst, q->port, q->proto);
    if (out->source == CM_NONE)
        ce_entity_why(m, pol, &r->src, src, out->source_why, sizeof(out->source_why));
    else if (out->source == CM_PART)
        snprintf(out->source_why, sizeof(out->source_why), "matches only part of the source (or its port)");
    cal_entity_t en = r->dst;
    en.n_ports = en.n_not_ports = 0;
    out->destination = (int)ce_entity(m, pol, &en, dst, true, dst, q->port, q->proto);
    if (out->destination == CM_NONE)
        ce_entity_why(m, pol, &en, dst, out->destination_why, sizeof(out->destination_why));
    else if (out->destination == CM_PART)
        snprintf(out->destination_why, sizeof(out->destination_why), "matches only part of the destination");
    out->ports = (!r->dst.n_ports || ce_port_in(r->dst.ports, r->dst.n_ports, dst, q->port, q->proto)) &&
        (!r->dst.n_not_ports || !ce_port_in(r->dst.not_ports, r->dst.n_not_ports, dst, q->port, q->proto));
    if (!out->ports)
        snprintf(out->ports_why, sizeof(out->ports_why), "destination %s: port %d is %s",
                 r->dst.n_ports ? "ports" : "notPorts", q->port, r->dst.n_ports ? "not listed" : "listed");
    out->matches = out->protocol && out->ports ? (int)ce_rule(m, pol, r, src, dst, q->port, q->proto) : 0;
}
