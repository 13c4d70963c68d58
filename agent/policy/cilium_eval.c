/* cilium_eval.c: Cilium's rules for one direction. A peer matches in full, in part (an outside
 * range partly inside a CIDR, an endpoint the objects do not show, a name the probe does not
 * give) or not; a part match of a deciding rule makes the answer unknown, never a guess. */
#include "cilium_eval.h"

#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

typedef enum { CM_NONE = 0, CM_PART = 1, CM_ALL = 2 } cm_t;

#define CE_NS_KEY "io.kubernetes.pod.namespace"
#define CE_NSL_PREFIX "io.cilium.k8s.namespace.labels."

/* A pod's label as Cilium sees it: its own, or one Cilium implies. */
static const char *ce_label(const k8s_model_t *m, const netpol_endpoint_t *e, const char *key)
{
    if (strcmp(key, CE_NS_KEY) == 0)
        return m->namespaces[e->ns].name;
    if (strcmp(key, "io.cilium.k8s.policy.serviceaccount") == 0)
        return e->service_account ? e->service_account : "default";
    if (strcmp(key, "io.cilium.k8s.policy.cluster") == 0)
        return "default";
    if (strncmp(key, CE_NSL_PREFIX, strlen(CE_NSL_PREFIX)) == 0)
        return labels_get(&m->namespaces[e->ns].labels, key + strlen(CE_NSL_PREFIX));
    return labels_get(e->labels, key);
}

static bool ce_selector(const k8s_model_t *m, const cil_selector_t *s, const netpol_endpoint_t *e)
{
    for (size_t i = 0; i < s->match.n; i++) {
        const char *v = ce_label(m, e, s->match.items[i].key);
        if (!v || strcmp(v, s->match.items[i].value) != 0)
            return false;
    }
    for (size_t i = 0; i < s->n_exprs; i++) {
        const struct cil_req *r = &s->exprs[i];
        const char *v = ce_label(m, e, r->key);
        bool in = false;
        for (size_t k = 0; v && k < r->n_values && !in; k++)
            in = strcmp(v, r->values[k]) == 0;
        bool ok = r->op == K8S_OP_IN ? in
            : r->op == K8S_OP_NOT_IN ? !in
            : r->op == K8S_OP_EXISTS ? v != NULL
                                     : !v;
        if (!ok)
            return false;
    }
    return true;
}

static bool ce_selects(const k8s_model_t *m, const cil_policy_t *p, const netpol_endpoint_t *self)
{
    if (!self->is_pod || p->node_selector)
        return false; /* nodeSelector: a host policy, never a pod */
    if (!p->clusterwide && self->ns != p->ns)
        return false;
    return ce_selector(m, &p->selector, self);
}

bool cilium_policy_selects(const k8s_model_t *m, size_t policy, const netpol_endpoint_t *pod)
{
    return ce_selects(m, &m->cilium.policies[policy], pod);
}

static bool ce_inside(const cidr_t *a, const cidr_t *b)
{
    return a->net.family == b->net.family && a->prefix >= b->prefix && cidr_contains(b, &a->net);
}

/* CIDR rules match addresses outside the cluster only, never a pod (or node). */
static cm_t ce_cidrs(const cil_rule_t *r, const netpol_endpoint_t *e)
{
    if (e->unknown)
        return CM_PART;
    if (e->is_pod)
        return CM_NONE;
    cm_t best = CM_NONE;
    for (size_t i = 0; i < r->n_cidrs && best != CM_ALL; i++) {
        const cil_cidr_t *c = &r->cidrs[i];
        cm_t v = ce_inside(&e->range, &c->cidr) ? CM_ALL : ce_inside(&c->cidr, &e->range) ? CM_PART : CM_NONE;
        for (size_t k = 0; k < c->n_except && v != CM_NONE; k++) {
            if (ce_inside(&e->range, &c->except[k]))
                v = CM_NONE;
            else if (ce_inside(&c->except[k], &e->range))
                v = CM_PART;
        }
        best = v > best ? v : best;
    }
    return best;
}

/* kube-apiserver: the endpoints of default/kubernetes, when the objects hold them. */
static cm_t ce_apiserver(const k8s_model_t *m, const netpol_endpoint_t *e)
{
    bool known = false, part = false;
    for (size_t i = 0; i < m->n_endpoints; i++) {
        const k8s_endpoints_t *ep = &m->endpoints[i];
        if (strcmp(ep->service, "kubernetes") != 0 || strcmp(m->namespaces[ep->ns].name, "default") != 0)
            continue;
        known = true;
        for (size_t k = 0; k < ep->n_addrs; k++) {
            const ip_addr_t *a = &ep->addrs[k];
            if (e->is_pod && e->has_addr && a->family == e->addr.family &&
                memcmp(a->bytes, e->addr.bytes, 16) == 0)
                return CM_ALL;
            if (!e->is_pod && cidr_contains(&e->range, a)) {
                if (e->range.prefix == (a->family == AF_INET ? 32u : 128u))
                    return CM_ALL;
                part = true; /* a block with the API server in it, and more */
            }
        }
    }
    return !known || part ? CM_PART : CM_NONE;
}

static cm_t ce_entities(const k8s_model_t *m, unsigned ent, const netpol_endpoint_t *e)
{
    if (ent & CIL_ENT_ALL)
        return CM_ALL;
    if (e->unknown)
        return CM_PART;
    if ((ent & CIL_ENT_KUBE_APISERVER) && ce_apiserver(m, e) == CM_ALL)
        return CM_ALL;
    if (e->is_pod)
        return (ent & CIL_ENT_CLUSTER) ? CM_ALL : CM_NONE;
    int fam = e->range.net.family;
    if ((ent & CIL_ENT_WORLD) || ((ent & CIL_ENT_WORLD_V4) && fam == AF_INET) ||
        ((ent & CIL_ENT_WORLD_V6) && fam == AF_INET6))
        return CM_ALL;
    return (ent & CIL_ENT_KUBE_APISERVER) ? ce_apiserver(m, e) : CM_NONE;
}

bool cilium_fqdn_match(const char *pattern, bool is_pattern, const char *host)
{
    size_t lp = strlen(pattern), lh = strlen(host);
    if (lp && pattern[lp - 1] == '.')
        lp--;
    if (lh && host[lh - 1] == '.')
        lh--;
    if (!is_pattern)
        return lp == lh && strncasecmp(pattern, host, lp) == 0;
    if (lp == 1 && pattern[0] == '*')
        return true;
    size_t i = 0, j = 0, star_i = (size_t)-1, star_j = 0;
    while (j < lh) {
        if (i < lp && pattern[i] == '*') {
            star_i = i++;
            star_j = j;
        } else if (i < lp && tolower((unsigned char)pattern[i]) == tolower((unsigned char)host[j])) {
            i++;
            j++;
        } else if (star_i != (size_t)-1 && host[star_j] != '.') {
            i = star_i + 1; /* the star takes one more character, never a dot */
            j = ++star_j;
        } else {
            return false;
        }
    }
    while (i < lp && pattern[i] == '*')
        i++;
    return i == lp;
}

static cm_t ce_fqdn(const cil_rule_t *r, const netpol_endpoint_t *e)
{
    if (e->is_pod)
        return CM_NONE; /* a name resolving to a pod: the pod's identity, not the FQDN's */
    if (!e->host)
        return CM_PART; /* an address, not a name: which names lead there is unknown */
    for (size_t i = 0; i < r->n_fqdn_names; i++)
        if (cilium_fqdn_match(r->fqdn_names[i], false, e->host))
            return CM_ALL;
    for (size_t i = 0; i < r->n_fqdn_patterns; i++)
        if (cilium_fqdn_match(r->fqdn_patterns[i], true, e->host))
            return CM_ALL;
    return CM_NONE;
}

/* The L3 part of a rule against the far end. */
static cm_t ce_peer(const k8s_model_t *m, const cil_policy_t *p, const cil_rule_t *r,
                    const netpol_endpoint_t *e)
{
    if (r->has_endpoints) {
        if (e->unknown)
            return CM_PART;
        if (!e->is_pod)
            return CM_NONE;
        for (size_t i = 0; i < r->n_endpoints; i++) {
            const cil_selector_t *s = &r->endpoints[i];
            /* Without a namespace key, a CiliumNetworkPolicy's peer stays in its namespace
             * (unless it selects by namespace labels). */
            if (!p->clusterwide && !s->names_namespace && !s->ns_labels && e->ns != p->ns)
                continue;
            if (ce_selector(m, s, e))
                return CM_ALL;
        }
        return CM_NONE;
    }
    if (r->has_cidr)
        return ce_cidrs(r, e);
    if (r->has_entities)
        return ce_entities(m, r->entities, e);
    if (r->has_fqdn)
        return ce_fqdn(r, e);
    return r->has_toports ? CM_ALL : CM_NONE; /* toPorts alone: every peer; {}: nothing */
}

static unsigned ce_proto_bit(k8s_proto_t p)
{
    return p == K8S_TCP ? CIL_PROTO_TCP : p == K8S_UDP ? CIL_PROTO_UDP : CIL_PROTO_SCTP;
}

static bool ce_port(const cil_port_t *pt, const netpol_endpoint_t *dst, int port, k8s_proto_t proto)
{
    if (!(pt->protos & ce_proto_bit(proto)))
        return false;
    if (pt->name) {
        for (size_t k = 0; dst->is_pod && k < dst->n_ports; k++) {
            const k8s_cport_t *c = &dst->ports[k];
            if (c->name && strcmp(c->name, pt->name) == 0 && c->proto == proto && c->port == port)
                return true;
        }
        return false;
    }
    if (pt->port == 0)
        return true;
    return pt->end_port ? port >= pt->port && port <= pt->end_port : port == pt->port;
}

/* The toPorts entry of a rule the port falls in (NULL: none; `any` set when the rule has no
 * toPorts: every port). */
static const cil_toports_t *ce_toports(const cil_rule_t *r, const tier_query_t *q, bool *any)
{
    *any = false;
    if (r->icmp_only)
        return NULL;
    if (!r->has_toports) {
        *any = true;
        return NULL;
    }
    for (size_t i = 0; i < r->n_toports; i++) {
        const cil_toports_t *tp = &r->toports[i];
        if (tp->n_ports == 0)
            return tp;
        for (size_t k = 0; k < tp->n_ports; k++)
            if (ce_port(&tp->ports[k], q->dst, q->port, q->proto))
                return tp;
    }
    return NULL;
}

static bool ce_regex(const char *anchored, const char *value)
{
    regex_t re;
    if (!anchored)
        return true;
    if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB) != 0)
        return false;
    bool ok = regexec(&re, value ? value : "", 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

static bool ce_http_rule(const cil_http_t *h, const k8s_l7_req_t *req)
{
    if (!ce_regex(h->method, req->method) || !ce_regex(h->path, req->path) || !ce_regex(h->host, req->host))
        return false;
    for (size_t i = 0; i < h->n_headers; i++) {
        const char *colon = strchr(h->headers[i], ':');
        size_t nl = colon ? (size_t)(colon - h->headers[i]) : strlen(h->headers[i]);
        const char *want = colon ? colon + 1 : NULL;
        while (want && *want == ' ')
            want++;
        bool found = false;
        for (size_t k = 0; k < req->n_headers && !found; k++)
            found = strlen(req->header_names[k]) == nl &&
                strncasecmp(req->header_names[k], h->headers[i], nl) == 0 &&
                (!want || strcmp(req->header_values[k], want) == 0);
        if (!found)
            return false;
    }
    return true;
}

static void ce_step(const k8s_model_t *m, size_t pi, int list, size_t rule, bool has_rule, tier_step_t *step)
{
    static const char *const lists[] = {"ingress", "ingressDeny", "egress", "egressDeny"};
    const cil_policy_t *p = &m->cilium.policies[pi];
    step->kind = p->kind;
    step->ns = p->clusterwide ? NULL : m->namespaces[p->ns].name;
    step->name = p->name;
    step->policy = pi;
    step->has_rule = has_rule;
    step->rule = rule;
    step->rule_name = lists[list]; /* which list of the policy the index is in */
}

tier_action_t cilium_stage_deny(const tier_query_t *q, tier_step_t *step)
{
    if (q->trace)
        q->trace->cilium_deny = true; /* for --explain: this stage ran */
    const k8s_model_t *m = q->m;
    int list = q->dir == NETPOL_INGRESS ? CIL_INGRESS_DENY : CIL_EGRESS_DENY;
    tier_action_t best = TIER_NONE;
    for (size_t pi = 0; pi < m->cilium.n_policies; pi++) {
        const cil_policy_t *p = &m->cilium.policies[pi];
        if (p->n_rules[list] == 0 || !ce_selects(m, p, q->self))
            continue;
        for (size_t r = 0; r < p->n_rules[list]; r++) {
            const cil_rule_t *rule = &p->rules[list][r];
            bool any;
            if (!ce_toports(rule, q, &any) && !any)
                continue;
            cm_t v = ce_peer(m, p, rule, q->other);
            if (v == CM_ALL) {
                ce_step(m, pi, list, r, true, step);
                return TIER_DENY; /* a deny wins over every allow */
            }
            if (v == CM_PART && best == TIER_NONE) {
                best = TIER_UNKNOWN;
                ce_step(m, pi, list, r, true, step);
                snprintf(step->why, sizeof(step->why), "a deny rule matches only part of the other end");
            }
        }
    }
    return best;
}

/* Whether the allowed L4 flow passes the L7 rules: ALLOW, DENY (the proxy refuses: HTTP 403
 * or DNS REFUSED) or UNKNOWN (the request is not known here). */
static tier_action_t ce_l7(const cil_toports_t *tp, const tier_query_t *q, char *why, size_t len)
{
    const k8s_l7_req_t *req = q->dst->l7;
    if (tp->has_http) {
        if (!req || (!req->method && !req->dns_query))
            return TIER_ALLOW; /* not an HTTP client: the proxy accepts the connection */
        if (req->https) {
            snprintf(why, len, "L7 http rules on an https request: the proxy sees TLS only");
            return TIER_UNKNOWN;
        }
        for (size_t i = 0; i < tp->n_http; i++)
            if (ce_http_rule(&tp->http[i], req))
                return TIER_ALLOW;
        snprintf(why, len, "at L7: no http rule allows %.12s %.60s (Envoy: 403 Access denied)", req->method,
                 req->path ? req->path : "/");
        return TIER_DENY;
    }
    if (tp->has_dns && req && req->dns_query) {
        for (size_t i = 0; i < tp->n_dns_names; i++)
            if (cilium_fqdn_match(tp->dns_names[i], false, req->dns_query))
                return TIER_ALLOW;
        for (size_t i = 0; i < tp->n_dns_patterns; i++)
            if (cilium_fqdn_match(tp->dns_patterns[i], true, req->dns_query))
                return TIER_ALLOW;
        snprintf(why, len, "at L7: no dns rule allows %.90s (DNS proxy: REFUSED)", req->dns_query);
        return TIER_DENY;
    }
    return TIER_ALLOW;
}

/* toFQDNs learns addresses from DNS answers seen by Cilium's DNS proxy: without a rules.dns
 * rule on the pod's egress the FQDN rules never match anything. */
static bool ce_dns_visible(const k8s_model_t *m, const netpol_endpoint_t *self)
{
    for (size_t pi = 0; pi < m->cilium.n_policies; pi++) {
        const cil_policy_t *p = &m->cilium.policies[pi];
        if (!ce_selects(m, p, self))
            continue;
        for (size_t r = 0; r < p->n_rules[CIL_EGRESS]; r++)
            for (size_t t = 0; t < p->rules[CIL_EGRESS][r].n_toports; t++)
                if (p->rules[CIL_EGRESS][r].toports[t].has_dns)
                    return true;
    }
    return false;
}

tier_action_t cilium_stage_allow(const tier_query_t *q, tier_step_t *step)
{
    if (q->trace)
        q->trace->cilium_allow = true; /* for --explain: this stage ran */
    const k8s_model_t *m = q->m;
    bool in = q->dir == NETPOL_INGRESS;
    int list = in ? CIL_INGRESS : CIL_EGRESS, dlist = in ? CIL_INGRESS_DENY : CIL_EGRESS_DENY;
    bool selected = false, default_deny = false;
    tier_action_t best = TIER_NONE; /* allow > unknown > l7 deny */
    tier_step_t cand;
    for (size_t pi = 0; pi < m->cilium.n_policies && best != TIER_ALLOW; pi++) {
        const cil_policy_t *p = &m->cilium.policies[pi];
        if (!ce_selects(m, p, q->self))
            continue;
        if ((p->n_rules[list] > 0 || p->n_rules[dlist] > 0) &&
            (in ? p->default_deny_ingress : p->default_deny_egress)) {
            default_deny = true;
            if (!selected)
                ce_step(m, pi, list, 0, false, step);
            selected = true;
        }
        for (size_t r = 0; r < p->n_rules[list] && best != TIER_ALLOW; r++) {
            const cil_rule_t *rule = &p->rules[list][r];
            bool any;
            const cil_toports_t *tp = ce_toports(rule, q, &any);
            if (!tp && !any)
                continue;
            cm_t v = ce_peer(m, p, rule, q->other);
            if (v != CM_NONE && rule->has_fqdn && !ce_dns_visible(m, q->self))
                v = CM_NONE; /* no DNS proxy rule: the names are never resolved into addresses */
            if (v == CM_NONE)
                continue;
            memset(&cand, 0, sizeof(cand));
            ce_step(m, pi, list, r, true, &cand);
            tier_action_t a = v == CM_PART ? TIER_UNKNOWN : TIER_ALLOW;
            if (v == CM_PART)
                snprintf(cand.why, sizeof(cand.why), "a rule matches only part of the other end");
            else if (tp)
                a = ce_l7(tp, q, cand.why, sizeof(cand.why));
            /* An L3/L4 allow voids L7 rules for the same peer and port: allow wins. */
            static const int rank[] = {
                [TIER_NONE] = 0, [TIER_DENY] = 1, [TIER_UNKNOWN] = 2, [TIER_ALLOW] = 3, [TIER_PASS] = 0};
            if (rank[a] > rank[best]) {
                best = a;
                *step = cand;
            }
        }
    }
    q->side->isolated = q->side->isolated || default_deny;
    if (best != TIER_NONE)
        return best;
    if (!default_deny)
        return TIER_NONE;
    snprintf(step->why, sizeof(step->why), "selected (default deny for %s), no rule allows",
             in ? "ingress" : "egress");
    return TIER_DENY;
}

/* Why a rule's L3 part does not hold the far end, by the kind of peer it lists. */
static void ce_peer_why(const cil_policy_t *p, const cil_rule_t *r, const netpol_endpoint_t *e,
                        bool fqdn_blind, char *why, size_t len)
{
    if (fqdn_blind)
        snprintf(why, len, "toFQDNs: no rules.dns rule on the pod's egress, so no name is ever learnt");
    else if (!r->has_endpoints && !r->has_cidr && !r->has_entities && !r->has_fqdn && !r->has_toports)
        snprintf(why, len, "an empty rule matches nothing");
    else if (r->has_endpoints && !e->is_pod)
        snprintf(why, len, "endpoints: selects pods; the other end is outside the cluster");
    else if (r->has_endpoints)
        snprintf(why, len, "endpoints: no selector matches the pod's labels%s",
                 p->clusterwide ? "" : " (without a namespace key, in the policy's namespace only)");
    else if ((r->has_cidr || r->has_fqdn) && e->is_pod)
        snprintf(why, len, "%s: never matches a pod", r->has_cidr ? "CIDR" : "toFQDNs");
    else if (r->has_cidr)
        snprintf(why, len, "CIDR: the address is outside the CIDRs (or in an except)");
    else if (r->has_entities)
        snprintf(why, len, "entities: none of them is the other end");
    else
        snprintf(why, len, "toFQDNs: no matchName or matchPattern matches %.100s",
                 e->host ? e->host : "(no name)");
}

void cilium_rule_match(const tier_query_t *q, size_t policy, int list, size_t rule, cilium_rule_match_t *out)
{
    const cil_policy_t *p = &q->m->cilium.policies[policy];
    const cil_rule_t *r = &p->rules[list][rule];
    bool any;
    memset(out, 0, sizeof(*out));
    const cil_toports_t *tp = ce_toports(r, q, &any);
    out->ports = tp || any;
    if (!out->ports)
        snprintf(out->ports_why, sizeof(out->ports_why), "%s",
                 r->icmp_only ? "icmps only: never TCP, UDP or SCTP" : "toPorts: the port is not listed");
    cm_t v = ce_peer(q->m, p, r, q->other);
    bool blind = (list == CIL_INGRESS || list == CIL_EGRESS) && v != CM_NONE && r->has_fqdn &&
        !ce_dns_visible(q->m, q->self);
    out->peer = blind ? 0 : (int)v;
    if (out->peer == 0)
        ce_peer_why(p, r, q->other, blind, out->peer_why, sizeof(out->peer_why));
    else if (v == CM_PART)
        snprintf(out->peer_why, sizeof(out->peer_why), "matches only part of the other end");
    out->l7 = TIER_ALLOW;
    if (tp && out->peer != 0 && (list == CIL_INGRESS || list == CIL_EGRESS)) {
        out->l7 = ce_l7(tp, q, out->l7_why, sizeof(out->l7_why));
        out->has_l7 = tp->has_http || tp->has_dns;
    }
}
