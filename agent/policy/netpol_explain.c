/* netpol_explain.c: the re-examination. It follows netpol.c's semantics part by part (a test
 * holds the two to the same answer on every rule), keeping what netpol.c only needs as a yes
 * or no: which field failed, what it wants, what the endpoint has. */
#include "netpol_explain.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* snprintf whose cut is intended: every text here is bounded, and a long label value is
 * better cut than the sentence lost. */
__attribute__((format(printf, 3, 4))) static void npx_fmt(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

static const char *const npx_names[] = {
    [NPX_MATCH] = "match",
    [NPX_POD_LABELS] = "podSelector",
    [NPX_NS_LABELS] = "namespaceSelector",
    [NPX_NS_OTHER] = "namespace",
    [NPX_NOT_POD] = "not a pod",
    [NPX_IPBLOCK] = "ipBlock",
    [NPX_EXCEPT] = "ipBlock.except",
    [NPX_PARTLY] = "ipBlock part",
    [NPX_UNSEEN] = "not in the objects",
    [NPX_PROTOCOL] = "protocol",
    [NPX_PORT] = "port",
    [NPX_RANGE] = "endPort",
    [NPX_NAMED] = "named port",
    [NPX_SUBJECT] = "spec.podSelector",
};

const char *netpol_explain_why_name(npx_why_t w)
{
    return (size_t)w < sizeof(npx_names) / sizeof(npx_names[0]) ? npx_names[w] : "?";
}

static void npx_set(npx_part_t *p, npx_why_t why, const char *field, const char *key, const char *wanted,
                    const char *found)
{
    p->why = why;
    npx_fmt(p->field, sizeof(p->field), "%s", field);
    npx_fmt(p->key, sizeof(p->key), "%s", key);
    npx_fmt(p->wanted, sizeof(p->wanted), "%s", wanted);
    npx_fmt(p->found, sizeof(p->found), "%s", found);
}

static void npx_cidr_text(const cidr_t *c, char *buf, size_t len)
{
    char a[IP_ADDR_TEXT_LEN];
    if (!ip_addr_format(&c->net, a)[0])
        snprintf(a, sizeof(a), "?");
    npx_fmt(buf, len, "%s/%d", a, (int)c->prefix);
}

static void npx_endpoint_addr(const netpol_endpoint_t *e, char *buf, size_t len)
{
    char a[IP_ADDR_TEXT_LEN] = "?";
    if (e->is_pod && e->has_addr) {
        if (!ip_addr_format(&e->addr, a)[0])
            snprintf(a, sizeof(a), "?");
    } else if (!e->is_pod && !e->unknown) {
        npx_cidr_text(&e->range, buf, len);
        return;
    }
    npx_fmt(buf, len, "%s", a);
}

static const char *const npx_ops[] = {"In", "NotIn", "Exists", "DoesNotExist"};

/* The first requirement of s that labels l fail, into p (field under base). True: matches. */
static bool npx_selector(const k8s_selector_t *s, const labels_t *l, const char *base, npx_why_t why,
                         npx_part_t *p)
{
    char field[NPX_FIELD_LEN];
    for (size_t i = 0; i < s->match.n; i++) {
        const label_t *want = &s->match.items[i];
        const char *v = labels_get(l, want->key);
        if (v && strcmp(v, want->value) == 0)
            continue;
        /* A key with dots or a slash (kubernetes.io/metadata.name) in brackets, as kubectl's
         * JSONPath writes it. */
        if (strpbrk(want->key, "./"))
            npx_fmt(field, sizeof(field), "%.80s.matchLabels[\"%.40s\"]", base, want->key);
        else
            npx_fmt(field, sizeof(field), "%.80s.matchLabels.%.40s", base, want->key);
        npx_set(p, why, field, want->key, want->value, v ? v : "");
        return false;
    }
    if (s->match.n == 0 && s->n_exprs == 0)
        return true;
    for (size_t i = 0; i < s->n_exprs; i++) {
        const k8s_requirement_t *r = &s->exprs[i];
        const char *v = labels_get(l, r->key);
        bool in = false;
        for (size_t j = 0; v && j < r->n_values; j++)
            in = in || strcmp(v, r->values[j]) == 0;
        bool ok = r->op == K8S_OP_IN ? in
            : r->op == K8S_OP_NOT_IN ? !in
            : r->op == K8S_OP_EXISTS ? v != NULL
                                     : !v;
        if (ok)
            continue;
        char want[NPX_VALUE_LEN];
        int off = snprintf(want, sizeof(want), "%s", npx_ops[r->op]);
        for (size_t j = 0; j < r->n_values && off > 0 && (size_t)off < sizeof(want); j++)
            off += snprintf(want + off, sizeof(want) - (size_t)off, "%s%s", j ? ", " : " (", r->values[j]);
        if (r->n_values && off > 0 && (size_t)off < sizeof(want))
            npx_fmt(want + off, sizeof(want) - (size_t)off, ")");
        npx_fmt(field, sizeof(field), "%.80s.matchExpressions[%zu]", base, i);
        npx_set(p, why, field, r->key, want, v ? v : "");
        return false;
    }
    return true;
}

/* One peer against the far end; returns how far it is from matching (0: it matches). */
static int npx_peer(const k8s_model_t *m, size_t policy_ns, const k8s_peer_t *peer,
                    const netpol_endpoint_t *e, const char *base, npx_part_t *p)
{
    char f[NPX_FIELD_LEN], c[64], a[64];
    memset(p, 0, sizeof(*p));
    npx_endpoint_addr(e, a, sizeof(a));
    if (e->unknown) {
        npx_set(p, NPX_UNSEEN, base, "peer", "", "");
        return 1;
    }
    if (peer->has_ipblock) {
        const k8s_ipblock_t *ib = &peer->ipblock;
        npx_fmt(f, sizeof(f), "%.100s.ipBlock.cidr", base);
        npx_cidr_text(&ib->cidr, c, sizeof(c));
        if (e->is_pod) {
            if (!e->has_addr || !cidr_contains(&ib->cidr, &e->addr)) {
                npx_set(p, NPX_IPBLOCK, f, "cidr", c, e->has_addr ? a : "no IP in the objects");
                return 3;
            }
        } else {
            bool inside = e->range.net.family == ib->cidr.net.family && e->range.prefix >= ib->cidr.prefix &&
                cidr_contains(&ib->cidr, &e->range.net);
            bool overlap = inside ||
                (e->range.net.family == ib->cidr.net.family && ib->cidr.prefix >= e->range.prefix &&
                 cidr_contains(&e->range, &ib->cidr.net));
            if (!overlap) {
                npx_set(p, NPX_IPBLOCK, f, "cidr", c, a);
                return 1;
            }
            if (!inside) {
                npx_set(p, NPX_PARTLY, f, "cidr", c, a);
                return 1;
            }
        }
        for (size_t i = 0; i < ib->n_except; i++) {
            const cidr_t *x = &ib->except[i];
            bool hit = e->is_pod ? cidr_contains(x, &e->addr)
                                 : x->net.family == e->range.net.family && e->range.prefix >= x->prefix &&
                    cidr_contains(x, &e->range.net);
            bool part = !e->is_pod && !hit && x->net.family == e->range.net.family &&
                x->prefix >= e->range.prefix && cidr_contains(&e->range, &x->net);
            if (hit || part) {
                npx_fmt(f, sizeof(f), "%.100s.ipBlock.except[%zu]", base, i);
                npx_cidr_text(x, c, sizeof(c));
                npx_set(p, hit ? NPX_EXCEPT : NPX_PARTLY, f, "except", c, a);
                return hit ? 2 : 1;
            }
        }
        return 0;
    }
    if (!e->is_pod) {
        npx_set(p, NPX_NOT_POD, base, "peer", "pods only", a);
        return 3;
    }
    int score = 0;
    if (peer->has_ns) {
        npx_fmt(f, sizeof(f), "%.100s.namespaceSelector", base);
        if (!npx_selector(&peer->nsel, &m->namespaces[e->ns].labels, f, NPX_NS_LABELS, p))
            score++;
    } else if (e->ns != policy_ns) {
        npx_set(p, NPX_NS_OTHER, base, "namespace", m->namespaces[policy_ns].name, m->namespaces[e->ns].name);
        score++;
    }
    npx_part_t pod;
    memset(&pod, 0, sizeof(pod));
    npx_fmt(f, sizeof(f), "%.100s.podSelector", base);
    if (peer->has_pod && !npx_selector(&peer->pod, e->labels, f, NPX_POD_LABELS, &pod)) {
        if (score == 0)
            *p = pod;
        score++;
    }
    return score;
}

/* One port entry; returns how far it is from matching (0: it matches). */
static int npx_port(const k8s_np_port_t *rp, const netpol_endpoint_t *dst, int port, k8s_proto_t proto,
                    const char *base, npx_part_t *p)
{
    char f[NPX_FIELD_LEN], w[NPX_VALUE_LEN], got[NPX_VALUE_LEN];
    memset(p, 0, sizeof(*p));
    npx_fmt(got, sizeof(got), "%d", port);
    int score = 0;
    if (rp->proto != proto) {
        npx_fmt(f, sizeof(f), "%.100s.protocol", base);
        npx_set(p, NPX_PROTOCOL, f, "protocol", k8s_proto_name(rp->proto), k8s_proto_name(proto));
        score = 2;
    }
    npx_part_t num;
    memset(&num, 0, sizeof(num));
    switch (rp->kind) {
    case K8S_PORT_ANY: return score;
    case K8S_PORT_NUMBER:
        if (rp->end_port && (port < rp->port || port > rp->end_port)) {
            npx_fmt(f, sizeof(f), "%.100s.endPort", base);
            npx_fmt(w, sizeof(w), "%d-%d", rp->port, rp->end_port);
            npx_set(&num, NPX_RANGE, f, "port", w, got);
        } else if (!rp->end_port && port != rp->port) {
            npx_fmt(f, sizeof(f), "%.100s.port", base);
            npx_fmt(w, sizeof(w), "%d", rp->port);
            npx_set(&num, NPX_PORT, f, "port", w, got);
        }
        break;
    case K8S_PORT_NAME: {
        npx_fmt(f, sizeof(f), "%.100s.port", base);
        const k8s_cport_t *named = NULL;
        for (size_t i = 0; dst->is_pod && i < dst->n_ports; i++)
            if (dst->ports[i].name && strcmp(dst->ports[i].name, rp->name) == 0 &&
                dst->ports[i].proto == proto)
                named = &dst->ports[i];
        if (!named)
            npx_set(&num, NPX_NAMED, f, "port", rp->name, "");
        else if (named->port != port) {
            npx_fmt(w, sizeof(w), "%s (%d on the destination pod)", rp->name, named->port);
            npx_set(&num, NPX_NAMED, f, "port", w, got);
        }
        break;
    }
    }
    if (num.why != NPX_MATCH) { /* the number tells more than the protocol when both differ */
        *p = num;
        score += 3;
    }
    return score;
}

void netpol_explain_rule(const k8s_model_t *m, const netpol_ref_t *ref, const netpol_endpoint_t *other,
                         const netpol_endpoint_t *dst, int port, k8s_proto_t proto, npx_rule_t *out)
{
    const k8s_policy_t *pol = &m->policies[ref->policy];
    const k8s_rule_t *r = netpol_rule(m, ref);
    bool in = ref->dir == NETPOL_INGRESS;
    char base[NPX_FIELD_LEN];
    memset(out, 0, sizeof(*out));
    out->ref = *ref;
    out->n_peers = r->n_peers;
    out->n_ports = r->n_ports;
    out->peer_ok = r->n_peers == 0;
    out->port_ok = r->n_ports == 0;
    bool peer_full = r->n_peers == 0;
    int best = 1 << 20;
    for (size_t i = 0; i < r->n_peers; i++) {
        npx_part_t tmp, *p = i < NPX_ITEMS_MAX ? &out->peers[i] : &tmp;
        npx_fmt(base, sizeof(base), "spec.%s[%zu].%s[%zu]", in ? "ingress" : "egress", ref->rule,
                in ? "from" : "to", i);
        int s = npx_peer(m, pol->ns, &r->peers[i], other, base, p);
        if (s == 0)
            peer_full = out->peer_ok = true;
        else if (s < best && i < NPX_ITEMS_MAX) {
            best = s;
            out->near_peer = i;
        }
    }
    best = 1 << 20;
    for (size_t i = 0; i < r->n_ports; i++) {
        npx_part_t tmp, *p = i < NPX_ITEMS_MAX ? &out->ports[i] : &tmp;
        npx_fmt(base, sizeof(base), "spec.%s[%zu].ports[%zu]", in ? "ingress" : "egress", ref->rule, i);
        int s = npx_port(&r->ports[i], dst, port, proto, base, p);
        if (s == 0)
            out->port_ok = true;
        else if (s < best && i < NPX_ITEMS_MAX) {
            best = s;
            out->near_port = i;
        }
    }
    out->allows = peer_full && out->port_ok;
}

bool netpol_explain_selects(const k8s_model_t *m, size_t pi, netpol_dir_t dir, const netpol_endpoint_t *self,
                            npx_part_t *why)
{
    const k8s_policy_t *p = &m->policies[pi];
    memset(why, 0, sizeof(*why));
    if (!self->is_pod || p->ns != self->ns || !(dir == NETPOL_INGRESS ? p->ingress_type : p->egress_type))
        return false;
    return npx_selector(&p->pod_selector, self->labels, "spec.podSelector", NPX_SUBJECT, why);
}

static const char *npx_dir(netpol_dir_t d)
{
    return d == NETPOL_EGRESS ? "egress" : "ingress";
}

/* "carries app=backend-v2" / "has no label app". */
static void npx_labels_phrase(const npx_part_t *p, const char *who, char *buf, size_t len)
{
    if (p->found[0])
        npx_fmt(buf, len, "%s carries %s=%s", who, p->key, p->found);
    else
        npx_fmt(buf, len, "%s has no label %s", who, p->key);
}

static void npx_sentence(const k8s_model_t *m, const npx_mismatch_t *x, const char *self_name,
                         const char *other_name, const netpol_endpoint_t *other, char *buf, size_t len)
{
    char pol[300], tail[360];
    const npx_part_t *p = &x->part;
    netpol_policy_name(m, x->ref.policy, pol, sizeof(pol));
    switch (p->why) {
    case NPX_POD_LABELS: npx_labels_phrase(p, other_name, tail, sizeof(tail)); break;
    case NPX_SUBJECT: npx_labels_phrase(p, self_name, tail, sizeof(tail)); break;
    case NPX_NS_LABELS: {
        char who[100];
        npx_fmt(who, sizeof(who), "namespace %s", m->namespaces[other->ns].name);
        npx_labels_phrase(p, who, tail, sizeof(tail));
        break;
    }
    case NPX_NS_OTHER:
        npx_fmt(tail, sizeof(tail), "%s is in namespace %s (add a namespaceSelector)", other_name, p->found);
        break;
    case NPX_NOT_POD:
        npx_fmt(tail, sizeof(tail), "%s (%s) is outside the cluster", other_name, p->found);
        break;
    case NPX_IPBLOCK:
        npx_fmt(tail, sizeof(tail), "%s (%s) is outside it", other_name,
                p->found[0] ? p->found : "no IP known");
        break;
    case NPX_EXCEPT: npx_fmt(tail, sizeof(tail), "%s (%s) lies in it", other_name, p->found); break;
    case NPX_PARTLY:
        npx_fmt(tail, sizeof(tail), "it covers only part of %s (%s)", other_name, p->found);
        break;
    case NPX_PROTOCOL: npx_fmt(tail, sizeof(tail), "the probe uses %s", p->found); break;
    case NPX_NAMED:
        if (p->found[0])
            npx_fmt(tail, sizeof(tail), "the probe connects to %s", p->found);
        else
            npx_fmt(tail, sizeof(tail), "the destination pod declares no container port of that name");
        break;
    case NPX_UNSEEN: npx_fmt(tail, sizeof(tail), "%s is not in the objects", other_name); break;
    default: npx_fmt(tail, sizeof(tail), "the probe connects to %s", p->found); break;
    }
    /* "but for its <noun>: <field> <verb> <wanted>; <tail>" */
    const char *what = p->why == NPX_NS_OTHER ? "has no namespaceSelector, so it means namespace"
        : p->why == NPX_NOT_POD               ? "selects"
                                              : "is";
    const char *noun = p->why == NPX_NOT_POD || p->why == NPX_UNSEEN ? "peer"
        : p->why == NPX_EXCEPT || p->why == NPX_PARTLY               ? "ipBlock"
        : p->why == NPX_RANGE                                        ? "port range"
                                                                     : netpol_explain_why_name(p->why);
    if (p->why == NPX_SUBJECT)
        npx_fmt(buf, len,
                "%.120s %s rule %zu would allow this, but the policy does not select %.60s: %s %s %s; %s",
                pol, npx_dir(x->ref.dir), x->ref.rule, self_name, p->field, what, p->wanted, tail);
    else
        npx_fmt(buf, len, "%.120s %s rule %zu would allow this but for its %s: %s %s %s; %s", pol,
                npx_dir(x->ref.dir), x->ref.rule, noun, p->field, what, p->wanted, tail);
}

bool netpol_explain_mismatch(const k8s_model_t *m, const netpol_side_t *side, netpol_dir_t dir,
                             const netpol_endpoint_t *self, const netpol_endpoint_t *other,
                             const netpol_endpoint_t *dst, int port, k8s_proto_t proto, const char *self_name,
                             const char *other_name, npx_mismatch_t *out)
{
    npx_rule_t r;
    memset(out, 0, sizeof(*out));
    if (!side->applies || side->verdict != NETPOL_DENY || !self->is_pod)
        return false;
    /* First the nearest rule of a policy that selects the pod, when one part of it fails. */
    if (side->near != NETPOL_NEAR_NONE) {
        netpol_explain_rule(m, &side->nearest, other, dst, port, proto, &r);
        if (r.peer_ok != r.port_ok) { /* exactly one of them fails: that is the part to name */
            out->set = true;
            out->ref = side->nearest;
            out->is_peer = !r.peer_ok;
            out->index = out->is_peer ? r.near_peer : r.near_port;
            out->part = out->is_peer ? r.peers[r.near_peer] : r.ports[r.near_port];
            npx_sentence(m, out, self_name, other_name, other, out->sentence, sizeof(out->sentence));
            return true;
        }
    }
    /* Else a policy of the pod's namespace with a rule for exactly this connection that does
     * not select the pod: its podSelector is the one field to change (a relabelled pod, a
     * policy narrowed by mistake). */
    const k8s_namespace_t *ns = &m->namespaces[self->ns];
    for (size_t k = 0; k < ns->n_policies; k++) {
        size_t pi = ns->policies[k];
        const k8s_policy_t *p = &m->policies[pi];
        npx_part_t why;
        if (netpol_explain_selects(m, pi, dir, self, &why) || why.why != NPX_SUBJECT)
            continue;
        size_t nr = dir == NETPOL_INGRESS ? p->n_ingress : p->n_egress;
        for (size_t i = 0; i < nr; i++) {
            netpol_ref_t ref = {pi, dir, i};
            netpol_explain_rule(m, &ref, other, dst, port, proto, &r);
            if (!r.allows)
                continue;
            out->set = true;
            out->ref = ref;
            out->part = why;
            npx_sentence(m, out, self_name, other_name, other, out->sentence, sizeof(out->sentence));
            return true;
        }
    }
    return false;
}
