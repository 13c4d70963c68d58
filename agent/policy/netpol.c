/* netpol.c: the evaluator. Every answer walks the policies of one namespace (indexed by
 * k8s_model_finish), so a query costs O(policies of the two namespaces x their rules). */
#include "netpol.h"

#include "anp_eval.h"
#include "calico_eval.h"
#include "cilium_eval.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* How much of the other end a peer (or a rule) matches: an outside range may be matched in
 * part only, which is what makes an answer unknown. */
typedef enum { NP_NONE = 0, NP_PART = 1, NP_ALL = 2 } np_match_t;

const char *netpol_verdict_name(netpol_verdict_t v)
{
    return v == NETPOL_ALLOW ? "allow" : v == NETPOL_DENY ? "deny" : "unknown";
}

void netpol_endpoint_pod(const k8s_model_t *m, size_t pod, netpol_endpoint_t *e)
{
    const k8s_pod_t *p = &m->pods[pod];
    memset(e, 0, sizeof(*e));
    e->is_pod = true;
    e->ns = p->ns;
    e->labels = &p->labels;
    e->service_account = p->service_account;
    e->ports = p->ports;
    e->n_ports = p->n_ports;
    e->pod_id = pod + 1;
    e->host_network = p->host_network;
    if (p->n_ips > 0) {
        e->has_addr = true;
        e->addr = p->ips[0];
    }
}

void netpol_endpoint_range(const cidr_t *range, netpol_endpoint_t *e)
{
    memset(e, 0, sizeof(*e));
    e->range = *range;
}

const k8s_rule_t *netpol_rule(const k8s_model_t *m, const netpol_ref_t *r)
{
    const k8s_policy_t *p = &m->policies[r->policy];
    return r->dir == NETPOL_INGRESS ? &p->ingress[r->rule] : &p->egress[r->rule];
}

void netpol_policy_name(const k8s_model_t *m, size_t policy, char *buf, size_t len)
{
    const k8s_policy_t *p = &m->policies[policy];
    snprintf(buf, len, "%s/%s", m->namespaces[p->ns].name, p->name);
}

/* True when block a lies inside block b. */
static bool np_cidr_inside(const cidr_t *a, const cidr_t *b)
{
    return a->net.family == b->net.family && a->prefix >= b->prefix && cidr_contains(b, &a->net);
}

static bool np_cidr_overlap(const cidr_t *a, const cidr_t *b)
{
    return np_cidr_inside(a, b) || np_cidr_inside(b, a);
}

static np_match_t np_ipblock(const k8s_ipblock_t *ib, const netpol_endpoint_t *e)
{
    if (e->is_pod) {
        if (!e->has_addr || !cidr_contains(&ib->cidr, &e->addr))
            return NP_NONE;
        for (size_t i = 0; i < ib->n_except; i++)
            if (cidr_contains(&ib->except[i], &e->addr))
                return NP_NONE;
        return NP_ALL;
    }
    if (!np_cidr_overlap(&e->range, &ib->cidr))
        return NP_NONE;
    bool all = np_cidr_inside(&e->range, &ib->cidr);
    for (size_t i = 0; i < ib->n_except; i++) {
        if (np_cidr_inside(&e->range, &ib->except[i]))
            return NP_NONE;
        if (np_cidr_overlap(&e->range, &ib->except[i]))
            all = false;
    }
    return all ? NP_ALL : NP_PART;
}

static np_match_t np_peer(const k8s_model_t *m, size_t policy_ns, const k8s_peer_t *p,
                          const netpol_endpoint_t *e)
{
    if (e->unknown)
        return NP_PART;
    if (p->has_ipblock)
        return np_ipblock(&p->ipblock, e);
    if (!e->is_pod)
        return NP_NONE;
    if (p->has_ns) {
        if (!k8s_selector_matches(&p->nsel, &m->namespaces[e->ns].labels))
            return NP_NONE;
    } else if (e->ns != policy_ns) {
        return NP_NONE;
    }
    if (p->has_pod && !k8s_selector_matches(&p->pod, e->labels))
        return NP_NONE;
    return NP_ALL;
}

static bool np_port(const k8s_np_port_t *rp, const netpol_endpoint_t *dst, int port, k8s_proto_t proto)
{
    if (rp->proto != proto)
        return false;
    switch (rp->kind) {
    case K8S_PORT_ANY: return true;
    case K8S_PORT_NUMBER: return rp->end_port ? port >= rp->port && port <= rp->end_port : port == rp->port;
    case K8S_PORT_NAME:
        if (!dst->is_pod)
            return false;
        for (size_t i = 0; i < dst->n_ports; i++) {
            const k8s_cport_t *c = &dst->ports[i];
            if (c->name && strcmp(c->name, rp->name) == 0 && c->proto == proto && c->port == port)
                return true;
        }
        return false;
    }
    return false;
}

static bool np_ports(const k8s_rule_t *r, const netpol_endpoint_t *dst, int port, k8s_proto_t proto)
{
    if (r->n_ports == 0)
        return true;
    for (size_t i = 0; i < r->n_ports; i++)
        if (np_port(&r->ports[i], dst, port, proto))
            return true;
    return false;
}

static np_match_t np_peers(const k8s_model_t *m, size_t policy_ns, const k8s_rule_t *r,
                           const netpol_endpoint_t *other)
{
    if (r->n_peers == 0)
        return NP_ALL;
    np_match_t best = NP_NONE;
    for (size_t i = 0; i < r->n_peers && best != NP_ALL; i++) {
        np_match_t v = np_peer(m, policy_ns, &r->peers[i], other);
        if (v > best)
            best = v;
    }
    return best;
}

/* A foreign object that may touch pods of namespace ns (cluster-scoped ones touch all). */
static bool np_foreign(const k8s_model_t *m, size_t ns, size_t *idx)
{
    for (size_t i = 0; i < m->n_foreign; i++) {
        if (!m->foreign[i].ns || strcmp(m->foreign[i].ns, m->namespaces[ns].name) == 0) {
            *idx = i;
            return true;
        }
    }
    return false;
}

/* The namespaced stage: NONE when no NetworkPolicy of the pod's namespace selects it for the
 * direction; ALLOW when a rule allows the whole path; UNKNOWN when one allows part of an
 * outside range only; else DENY, with the nearest rule in the side. */
tier_action_t netpol_stage_namespaced(const tier_query_t *q, tier_step_t *step)
{
    const k8s_model_t *m = q->m;
    netpol_side_t *s = q->side;
    netpol_dir_t dir = q->dir;
    const k8s_namespace_t *ns = &m->namespaces[q->self->ns];
    bool part = false, near_port = false, near_peer = false;
    if (q->trace)
        q->trace->namespaced = true; /* for --explain: the NetworkPolicies were evaluated */
    for (size_t k = 0; k < ns->n_policies; k++) {
        size_t pi = ns->policies[k];
        const k8s_policy_t *p = &m->policies[pi];
        if (!(dir == NETPOL_INGRESS ? p->ingress_type : p->egress_type))
            continue;
        if (!k8s_selector_matches(&p->pod_selector, q->self->labels))
            continue;
        if (s->n_selecting++ == 0)
            s->first_selecting = pi;
        size_t nr = dir == NETPOL_INGRESS ? p->n_ingress : p->n_egress;
        const k8s_rule_t *rules = dir == NETPOL_INGRESS ? p->ingress : p->egress;
        for (size_t r = 0; r < nr; r++) {
            bool port_ok = np_ports(&rules[r], q->dst, q->port, q->proto);
            np_match_t peer = np_peers(m, p->ns, &rules[r], q->other);
            netpol_ref_t ref = {pi, dir, r};
            if (port_ok && peer == NP_ALL) {
                if (s->n_by < NETPOL_BY_MAX)
                    s->by[s->n_by++] = ref;
                else
                    s->n_by++; /* counted; only the first NETPOL_BY_MAX are named */
            } else if (port_ok && peer == NP_PART) {
                part = true;
            } else if (peer != NP_NONE && !near_port) {
                near_port = true;
                s->nearest = ref;
            } else if (port_ok && !near_port && !near_peer) {
                near_peer = true;
                s->nearest = ref;
            }
        }
    }
    if (s->n_by > NETPOL_BY_MAX)
        s->n_by = NETPOL_BY_MAX;
    s->isolated = s->n_selecting > 0;
    if (!s->isolated)
        return TIER_NONE;
    const k8s_policy_t *first = &m->policies[s->n_by > 0 ? s->by[0].policy : s->first_selecting];
    step->kind = "NetworkPolicy";
    step->ns = m->namespaces[first->ns].name;
    step->name = first->name;
    step->policy = s->n_by > 0 ? s->by[0].policy : s->first_selecting;
    if (s->n_by > 0) {
        step->has_rule = true;
        step->rule = s->by[0].rule;
        return TIER_ALLOW;
    }
    s->near = near_port ? NETPOL_NEAR_OTHER_PORT : near_peer ? NETPOL_NEAR_OTHER_PEER : NETPOL_NEAR_NONE;
    if (part) {
        snprintf(step->why, sizeof(step->why), "an ipBlock allows only part of the other end's addresses");
        return TIER_UNKNOWN;
    }
    if (s->n_selecting > 1)
        snprintf(step->why, sizeof(step->why), "%zu policies select the pod; no rule of theirs allows",
                 s->n_selecting);
    return TIER_DENY;
}

/* The walk's table: the evaluators of each stage, in stage order (see policy_tier.h). A new
 * API adds its evaluator here, in its stage. */
static const struct {
    tier_stage_t stage;
    tier_stage_fn fn;
} np_stages[] = {
    {TIER_STAGE_ADMIN, anp_stage_admin},
    {TIER_STAGE_CNI_PRE, cilium_stage_deny},
    {TIER_STAGE_CNI_PRE, calico_stage_pre},
    {TIER_STAGE_NAMESPACED, calico_stage_namespaced}, /* netpol_stage_namespaced without Calico */
    {TIER_STAGE_NAMESPACED, cilium_stage_allow},
    {TIER_STAGE_BASELINE, calico_stage_post}, /* Calico's tiers after the default one */
    {TIER_STAGE_BASELINE, anp_stage_baseline},
};

static void np_chain_add(netpol_side_t *s, const tier_step_t *step)
{
    if (s->n_chain < TIER_CHAIN_MAX)
        s->chain[s->n_chain++] = *step;
    else
        s->chain[TIER_CHAIN_MAX - 1] = *step; /* the final step is always kept */
}

static netpol_verdict_t np_verdict(tier_action_t a)
{
    return a == TIER_ALLOW ? NETPOL_ALLOW : a == TIER_DENY ? NETPOL_DENY : NETPOL_UNKNOWN;
}

/* One direction, judged at pod `self`: the walk through the stages. */
static void np_side(const k8s_model_t *m, netpol_dir_t dir, const netpol_endpoint_t *self,
                    const netpol_endpoint_t *other, const netpol_endpoint_t *dst, int port, k8s_proto_t proto,
                    netpol_trace_t *trace, netpol_side_t *s)
{
    memset(s, 0, sizeof(*s));
    if (trace) {
        trace->cilium_deny = trace->cilium_allow = trace->namespaced = false;
        if (trace->calico)
            memset(trace->calico, 0, m->calico.n_sorted * sizeof(*trace->calico));
    }
    s->verdict = NETPOL_ALLOW;
    if (!self->is_pod)
        return;
    s->applies = true;
    s->foreign = np_foreign(m, self->ns, &s->foreign_idx);
    tier_query_t q = {m, dir, self, other, dst, port, proto, s, trace};
    size_t n = sizeof(np_stages) / sizeof(np_stages[0]);
    tier_step_t step, best;
    tier_action_t pending = TIER_NONE; /* a partial step's action, waiting for the rest */
    for (size_t i = 0; i < n;) {
        tier_stage_t st = np_stages[i].stage;
        tier_action_t act = TIER_NONE;
        for (; i < n && np_stages[i].stage == st; i++) {
            memset(&step, 0, sizeof(step));
            tier_action_t a = np_stages[i].fn(&q, &step);
            step.stage = st;
            step.action = a;
            if (st != TIER_STAGE_NAMESPACED) {
                if (a == TIER_NONE)
                    continue;
                act = a;
                best = step;
                break;
            }
            /* the namespaced stage is a union: allow > unknown > deny > none */
            static const int rank[] = {
                [TIER_NONE] = 0, [TIER_DENY] = 1, [TIER_UNKNOWN] = 2, [TIER_ALLOW] = 3, [TIER_PASS] = 0};
            if (rank[a] > rank[act]) {
                act = a;
                best = step;
            }
        }
        while (i < n && np_stages[i].stage == st)
            i++;
        if (act == TIER_NONE)
            continue;
        np_chain_add(s, &best);
        if (act == TIER_UNKNOWN && pending == TIER_NONE &&
            (best.partial == TIER_ALLOW || best.partial == TIER_DENY)) {
            pending = best.partial;
            continue;
        }
        if (act != TIER_PASS) {
            s->verdict = pending == TIER_NONE || pending == act ? np_verdict(act) : NETPOL_UNKNOWN;
            return;
        }
        while (i < n && np_stages[i].stage < TIER_STAGE_NAMESPACED)
            i++;
    }
    memset(&step, 0, sizeof(step));
    step.stage = TIER_STAGE_DEFAULT;
    step.action = TIER_ALLOW;
    np_chain_add(s, &step);
    if (pending == TIER_DENY)
        s->verdict = NETPOL_UNKNOWN;
}

void netpol_query(const k8s_model_t *m, const netpol_endpoint_t *src, const netpol_endpoint_t *dst, int port,
                  k8s_proto_t proto, netpol_answer_t *out)
{
    netpol_query_trace(m, src, dst, port, proto, NULL, NULL, out);
}

void netpol_query_trace(const k8s_model_t *m, const netpol_endpoint_t *src, const netpol_endpoint_t *dst,
                        int port, k8s_proto_t proto, netpol_trace_t *egress, netpol_trace_t *ingress,
                        netpol_answer_t *out)
{
    memset(out, 0, sizeof(*out));
    np_side(m, NETPOL_EGRESS, src, dst, dst, port, proto, egress, &out->egress);
    np_side(m, NETPOL_INGRESS, dst, src, dst, port, proto, ingress, &out->ingress);
    netpol_verdict_t e = out->egress.verdict, i = out->ingress.verdict;
    if (e == NETPOL_DENY || i == NETPOL_DENY)
        out->verdict = NETPOL_DENY;
    else if (e == NETPOL_ALLOW && i == NETPOL_ALLOW)
        out->verdict = NETPOL_ALLOW;
    else
        out->verdict = NETPOL_UNKNOWN;
    if (out->egress.foreign || out->ingress.foreign)
        out->verdict = NETPOL_UNKNOWN;
}
