/* anp_eval.c: the admin and baseline stages. A query walks every admin policy once (each
 * policy's rules of one direction, first match), so it costs O(admin policies x rules). */
#include "anp_eval.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

typedef enum { AM_NONE = 0, AM_PART = 1, AM_ALL = 2 } am_t;

/* One policy's answer for one direction. */
typedef struct {
    size_t pol;
    tier_action_t act;     /* ALLOW, DENY, PASS or UNKNOWN */
    tier_action_t partial; /* UNKNOWN: the one action of the rules matching part of the other end */
    size_t rule;
    char why[TIER_WHY_LEN];
} anp_hit_t;

const char *anp_kind_name(anp_api_t api)
{
    return api == ANP_API_ANP ? "AdminNetworkPolicy"
        : api == ANP_API_BANP ? "BaselineAdminNetworkPolicy"
                              : "ClusterNetworkPolicy";
}

const char *anp_action_name(anp_api_t api, anp_action_t a)
{
    if (a == ANP_ACCEPT)
        return api == ANP_API_ANP || api == ANP_API_BANP ? "Allow" : "Accept";
    return a == ANP_DENY ? "Deny" : "Pass";
}

static bool am_inside(const cidr_t *a, const cidr_t *b)
{
    return a->net.family == b->net.family && a->prefix >= b->prefix && cidr_contains(b, &a->net);
}

/* Blocks no pod address lies in (loopback, link-local): a pod whose IP the objects do not give
 * is still known not to be there. */
static bool am_never_pod(const cidr_t *c)
{
    /* fd00:ec2::254: the instance metadata service's IPv6 address on EC2 (Nitro) */
    static const char *const blocks[] = {"127.0.0.0/8", "169.254.0.0/16",    "::1/128",
                                         "fe80::/10",   "fd00:ec2::254/128", NULL};
    for (int i = 0; blocks[i]; i++) {
        cidr_t b;
        char err[64];
        if (cidr_parse_masked(blocks[i], &b, err, sizeof(err)) == 0 && am_inside(c, &b))
            return true;
    }
    return false;
}

static am_t am_net(const cidr_t *net, const netpol_endpoint_t *e)
{
    if (e->is_pod) {
        if (e->has_addr)
            return cidr_contains(net, &e->addr) ? AM_ALL : AM_NONE;
        return am_never_pod(net) ? AM_NONE : AM_PART;
    }
    if (am_inside(&e->range, net))
        return AM_ALL;
    return am_inside(net, &e->range) ? AM_PART : AM_NONE;
}

static am_t am_nodes(const k8s_model_t *m, const k8s_selector_t *sel, const netpol_endpoint_t *e)
{
    if (e->is_pod && !e->host_network)
        return AM_NONE; /* a pod's IP is not a node's */
    if (m->anp.n_nodes == 0 || (e->is_pod && !e->has_addr))
        return AM_PART; /* no Node objects: which addresses are nodes' is not known */
    am_t best = AM_NONE;
    bool known = false;
    for (size_t i = 0; i < m->anp.n_nodes; i++) {
        const anp_node_t *n = &m->anp.nodes[i];
        bool sel_ok = k8s_selector_matches(sel, &n->labels);
        for (size_t j = 0; j < n->n_addrs; j++) {
            const ip_addr_t *a = &n->addrs[j];
            if (e->is_pod) {
                if (a->family == e->addr.family && memcmp(a->bytes, e->addr.bytes, 16) == 0) {
                    known = true;
                    if (sel_ok)
                        return AM_ALL;
                }
            } else if (cidr_contains(&e->range, a)) {
                bool one = e->range.prefix == (a->family == AF_INET ? 32 : 128);
                known = known || one;
                if (sel_ok)
                    best = one ? AM_ALL : AM_PART;
            }
        }
    }
    if (best != AM_NONE)
        return best;
    return e->is_pod && !known ? AM_PART : AM_NONE; /* a host-network pod on a node not given */
}

/* "*.example.com" matches one or more labels before example.com; other names exactly. */
static bool am_domain(const char *pattern, const char *host)
{
    char h[ANP_DOMAIN_LEN];
    snprintf(h, sizeof(h), "%s", host);
    size_t l = strlen(h);
    if (l && h[l - 1] == '.')
        h[--l] = '\0';
    if (strncmp(pattern, "*.", 2) != 0)
        return strcasecmp(pattern, h) == 0;
    size_t pl = strlen(pattern + 1); /* ".example.com" */
    return l > pl && strcasecmp(h + l - pl, pattern + 1) == 0;
}

static am_t am_peer(const tier_query_t *q, const anp_peer_t *pe)
{
    const netpol_endpoint_t *e = q->other;
    const k8s_model_t *m = q->m;
    if (e->unknown)
        return AM_PART;
    switch (pe->kind) {
    case ANP_PEER_NAMESPACES:
    case ANP_PEER_PODS:
        if (!e->is_pod || e->host_network || !k8s_selector_matches(&pe->nsel, &m->namespaces[e->ns].labels))
            return AM_NONE;
        return pe->kind == ANP_PEER_NAMESPACES || k8s_selector_matches(&pe->pod, e->labels) ? AM_ALL
                                                                                            : AM_NONE;
    case ANP_PEER_NETWORKS: {
        am_t best = AM_NONE;
        for (size_t i = 0; i < pe->n_nets && best != AM_ALL; i++) {
            am_t v = am_net(&pe->nets[i], e);
            best = v > best ? v : best;
        }
        return best;
    }
    case ANP_PEER_NODES: return am_nodes(m, &pe->nsel, e);
    case ANP_PEER_DOMAINS:
        if (!e->host) /* an address: whether the pod looked it up by one of these names is not known */
            return e->is_pod ? AM_NONE : AM_PART;
        for (size_t i = 0; i < pe->n_domains; i++)
            if (am_domain(pe->domains[i], e->host))
                return AM_ALL;
        return AM_NONE;
    }
    return AM_NONE;
}

static bool am_ports(const anp_rule_t *r, const tier_query_t *q)
{
    if (r->n_ports == 0)
        return true;
    for (size_t i = 0; i < r->n_ports; i++) {
        const anp_port_t *p = &r->ports[i];
        if (p->kind == K8S_PORT_NUMBER && p->proto == q->proto &&
            (p->end_port ? q->port >= p->port && q->port <= p->end_port : q->port == p->port))
            return true;
        if (p->kind == K8S_PORT_NAME && q->dst->is_pod)
            for (size_t j = 0; j < q->dst->n_ports; j++) {
                const k8s_cport_t *c = &q->dst->ports[j];
                if (c->name && strcmp(c->name, p->name) == 0 && c->proto == q->proto && c->port == q->port)
                    return true;
            }
    }
    return false;
}

static am_t am_rule(const anp_rule_t *r, const tier_query_t *q)
{
    if (!am_ports(r, q))
        return AM_NONE;
    am_t best = AM_NONE;
    for (size_t i = 0; i < r->n_peers && best != AM_ALL; i++) {
        am_t v = am_peer(q, &r->peers[i]);
        best = v > best ? v : best;
    }
    return best != AM_NONE && r->unknown ? AM_PART : best;
}

static tier_action_t am_act(anp_action_t a)
{
    return a == ANP_ACCEPT ? TIER_ALLOW : a == ANP_DENY ? TIER_DENY : TIER_PASS;
}

static bool am_subject(const k8s_model_t *m, const anp_policy_t *p, const netpol_endpoint_t *self)
{
    if (!self->is_pod || self->host_network ||
        !k8s_selector_matches(&p->subj_ns, &m->namespaces[self->ns].labels))
        return false;
    return !p->subject_pods || k8s_selector_matches(&p->subj_pod, self->labels);
}

/* The EKS agent keys a rule by priority and action: Deny, then Accept, then Pass. */
static int am_eks_rank(tier_action_t a)
{
    return a == TIER_DENY ? 0 : a == TIER_ALLOW ? 1 : 2;
}

/* One policy, one direction: the first matching rule. A rule that may match (part of an
 * outside range, a peer the objects cannot place) before the first sure match makes the
 * answer unknown unless every such rule has the same action as the sure one. */
static bool am_policy(const tier_query_t *q, size_t pi, anp_hit_t *h)
{
    const anp_policy_t *p = &q->m->anp.pols[pi];
    bool eg = q->dir == NETPOL_EGRESS;
    const anp_rule_t *rules = eg ? p->egress : p->ingress;
    size_t n = eg ? p->n_egress : p->n_ingress;
    bool pend = false, mixed = false;
    anp_action_t pa = ANP_ACCEPT;
    size_t pr = 0;
    memset(h, 0, sizeof(*h));
    h->pol = pi;
    for (size_t r = 0; r < n; r++) {
        am_t v = am_rule(&rules[r], q);
        if (v == AM_NONE)
            continue;
        if (v == AM_PART) {
            mixed |= pend && pa != rules[r].action;
            if (!pend) {
                pend = true;
                pa = rules[r].action;
                pr = r;
            }
            continue;
        }
        h->rule = r;
        h->act = am_act(rules[r].action);
        if (pend && (mixed || pa != rules[r].action)) {
            h->act = TIER_UNKNOWN;
            h->rule = pr;
            snprintf(h->why, sizeof(h->why), "rule %zu may match (%.80s) before rule %zu", pr,
                     rules[pr].unknown ? rules[pr].unknown : "part of the other end's addresses", r);
            return true;
        }
        for (size_t k = r + 1; p->api == ANP_API_EKS && k < n; k++)
            if (am_rule(&rules[k], q) != AM_NONE &&
                am_eks_rank(am_act(rules[k].action)) < am_eks_rank(h->act)) {
                h->act = TIER_UNKNOWN;
                snprintf(
                    h->why, sizeof(h->why),
                    "rules %zu and %zu both match; the EKS agent's order inside one policy is not documented",
                    r, k);
                return true;
            }
        return true;
    }
    if (!pend)
        return false;
    h->act = TIER_UNKNOWN;
    h->partial = mixed ? TIER_NONE : am_act(pa);
    h->rule = pr;
    snprintf(h->why, sizeof(h->why), "rule %zu may match (%.100s)", pr,
             rules[pr].unknown ? rules[pr].unknown : "part of the other end's addresses");
    return true;
}

static void am_step(const tier_query_t *q, const anp_hit_t *h, tier_step_t *step)
{
    const anp_policy_t *p = &q->m->anp.pols[h->pol];
    const anp_rule_t *r = q->dir == NETPOL_EGRESS ? &p->egress[h->rule] : &p->ingress[h->rule];
    step->kind = anp_kind_name(p->api);
    step->ns = NULL;
    step->name = p->name;
    step->policy = h->pol;
    step->has_priority = p->api != ANP_API_BANP;
    step->priority = p->priority;
    step->has_rule = true;
    step->rule = h->rule;
    step->rule_name = r->name;
    snprintf(step->why, sizeof(step->why), "%s", h->why);
}

/* One tier: the hits of the best priority decide (a BaselineAdminNetworkPolicy has none: it
 * ties with every baseline ClusterNetworkPolicy). */
static tier_action_t am_tier(const tier_query_t *q, bool baseline, tier_step_t *step)
{
    const k8s_model_t *m = q->m;
    const netpol_endpoint_t *self = q->self;
    if (self->pod_id && self->pod_id == q->other->pod_id && !q->dst->via_service &&
        !m->pods[self->pod_id - 1].workload)
        return TIER_NONE; /* hairpin to its own pod IP */
    anp_hit_t best, tie, h;
    bool have = false, have_tie = false;
    size_t hits = 0;
    memset(&best, 0, sizeof(best));
    memset(&tie, 0, sizeof(tie));
    for (size_t i = 0; i < m->anp.n_pols; i++) {
        const anp_policy_t *p = &m->anp.pols[i];
        if (p->baseline != baseline || !am_subject(m, p, self) || !am_policy(q, i, &h))
            continue;
        hits++;
        if (!have) {
            best = h;
            have = true;
            continue;
        }
        const anp_policy_t *bp = &m->anp.pols[best.pol];
        bool same = p->priority == bp->priority || p->api == ANP_API_BANP || bp->api == ANP_API_BANP;
        if (!same && p->priority < bp->priority) {
            best = h;
            have_tie = false;
        } else if (same) {
            bool eks = p->api == ANP_API_EKS && bp->api == ANP_API_EKS;
            if (eks && h.act != TIER_UNKNOWN && best.act != TIER_UNKNOWN && h.act != best.act) {
                if (am_eks_rank(h.act) < am_eks_rank(best.act))
                    best = h;
                snprintf(best.why, sizeof(best.why),
                         "%.50s and %.50s match at one priority; the EKS agent orders Deny, Accept, Pass",
                         bp->name, p->name);
            } else if (!have_tie || (tie.act == best.act && h.act != best.act)) {
                tie = h;
                have_tie = true;
            }
        }
    }
    if (!have)
        return TIER_NONE;
    am_step(q, &best, step);
    /* Part of the other end decided here, the rest by the following stages, provided no other
     * policy of this tier may act on that rest. */
    if (best.act == TIER_UNKNOWN && best.partial != TIER_NONE && hits == 1)
        step->partial = best.partial;
    if (have_tie) {
        const anp_policy_t *a = &m->anp.pols[best.pol], *b = &m->anp.pols[tie.pol];
        bool agree = tie.act == best.act && best.act != TIER_UNKNOWN;
        snprintf(step->why, sizeof(step->why), "%.45s and %.45s both match at priority %d%s", a->name,
                 b->name, a->api == ANP_API_BANP ? b->priority : a->priority,
                 agree ? " and agree" : "; the API leaves their order undefined");
        if (!agree)
            return TIER_UNKNOWN;
    }
    return best.act;
}

tier_action_t anp_stage_admin(const tier_query_t *q, tier_step_t *step)
{
    return am_tier(q, false, step);
}

tier_action_t anp_stage_baseline(const tier_query_t *q, tier_step_t *step)
{
    return am_tier(q, true, step);
}
