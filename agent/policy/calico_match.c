/* calico_match.c: whether one Calico rule's parts (protocol, nets, selectors, namespace and
 * service-account scope, ports) hold for a connection: in full, in part (an outside range
 * only partly inside its nets, an endpoint the objects do not show), or not. Pure; the walk
 * over tiers and policies is calico_eval.c. */
#include "calico_match.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static calico_m_t calico_m_min(calico_m_t a, calico_m_t b)
{
    return a < b ? a : b;
}

static calico_m_t calico_m_not(calico_m_t a)
{
    return a == CALICO_M_ALL ? CALICO_M_NONE : a == CALICO_M_NONE ? CALICO_M_ALL : CALICO_M_PART;
}

void calico_m_pod(const k8s_model_t *m, const netpol_endpoint_t *e, calico_m_pod_t *p)
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
bool calico_m_ns_match(const k8s_model_t *m, const calsel_t *s, size_t ns)
{
    label_t name = {"projectcalico.org/name", m->namespaces[ns].name};
    labels_t implied = {&name, 1, false};
    const labels_t *sets[] = {&m->namespaces[ns].labels, &implied};
    return calsel_match(s, sets, 2);
}

/* A ServiceAccount's labels (when its object was read) plus projectcalico.org/name. */
bool calico_m_sa_match(const k8s_model_t *m, const calsel_t *s, size_t ns, const char *sa)
{
    const cal_sa_t *obj = cal_model_sa(&m->calico, ns, sa);
    label_t name = {"projectcalico.org/name", (char *)sa};
    labels_t implied = {&name, 1, false};
    const labels_t *sets[] = {obj ? &obj->labels : &implied, &implied};
    return calsel_match(s, sets, 2);
}

static bool calico_m_inside(const cidr_t *a, const cidr_t *b)
{
    return a->net.family == b->net.family && a->prefix >= b->prefix && cidr_contains(b, &a->net);
}

/* Whether the endpoint lies in one of the nets. A pod whose address the objects do not give
 * (a workload template) is taken as outside every net, as netpol.c takes it for ipBlock. */
calico_m_t calico_m_nets(const cidr_t *nets, size_t n, const netpol_endpoint_t *e)
{
    if (e->unknown)
        return CALICO_M_PART;
    calico_m_t best = CALICO_M_NONE;
    for (size_t i = 0; i < n && best != CALICO_M_ALL; i++) {
        if (e->is_pod) {
            if (e->has_addr && cidr_contains(&nets[i], &e->addr))
                best = CALICO_M_ALL;
        } else if (calico_m_inside(&e->range, &nets[i])) {
            best = CALICO_M_ALL;
        } else if (calico_m_inside(&nets[i], &e->range)) {
            best = CALICO_M_PART;
        }
    }
    return best;
}

bool calico_m_port_in(const cal_port_t *ports, size_t n, const netpol_endpoint_t *dst, int port,
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
bool calico_m_selected(const k8s_model_t *m, const cal_policy_t *pol, const cal_entity_t *en,
                       const calsel_t *sel, bool with_sa, const netpol_endpoint_t *e)
{
    if (en->ns_selector) {
        if (!calico_m_ns_match(m, en->ns_selector, e->ns))
            return false;
    } else if (!pol->global && e->ns != pol->ns) {
        return false; /* a namespaced policy's selectors stay in its namespace */
    }
    calico_m_pod_t p;
    calico_m_pod(m, e, &p);
    if (sel && !calsel_match(sel, p.sets, 2))
        return false;
    if (!with_sa || !en->has_sa)
        return true;
    bool named = en->n_sa_names == 0;
    for (size_t i = 0; i < en->n_sa_names && !named; i++)
        named = strcmp(en->sa_names[i], p.sa) == 0;
    return named && (!en->sa_selector || calico_m_sa_match(m, en->sa_selector, e->ns, p.sa));
}

calico_m_t calico_m_entity(const k8s_model_t *m, const cal_policy_t *pol, const cal_entity_t *en,
                           const netpol_endpoint_t *e, bool is_dst, const netpol_endpoint_t *dst, int port,
                           k8s_proto_t proto)
{
    calico_m_t r = CALICO_M_ALL;
    if (en->n_nets)
        r = calico_m_min(r, calico_m_nets(en->nets, en->n_nets, e));
    if (en->n_not_nets)
        r = calico_m_min(r, calico_m_not(calico_m_nets(en->not_nets, en->n_not_nets, e)));
    if (en->selector || en->ns_selector || en->has_sa) {
        /* Selectors pick endpoints: never an address outside the cluster. */
        if (e->unknown)
            r = calico_m_min(r, CALICO_M_PART);
        else if (!e->is_pod || !calico_m_selected(m, pol, en, en->selector, true, e))
            return CALICO_M_NONE;
    }
    if (en->not_selector) {
        if (e->unknown)
            r = calico_m_min(r, CALICO_M_PART);
        else if (e->is_pod && calico_m_selected(m, pol, en, en->not_selector, false, e))
            return CALICO_M_NONE;
    }
    if (!is_dst) {
        /* A source port is ephemeral: the prober cannot say which one it gets. */
        if (en->n_ports || en->n_not_ports)
            r = calico_m_min(r, CALICO_M_PART);
        return r;
    }
    if (en->n_ports && !calico_m_port_in(en->ports, en->n_ports, dst, port, proto))
        return CALICO_M_NONE;
    if (en->n_not_ports && calico_m_port_in(en->not_ports, en->n_not_ports, dst, port, proto))
        return CALICO_M_NONE;
    return r;
}

int calico_m_proto_number(k8s_proto_t p)
{
    return p == K8S_TCP ? 6 : p == K8S_UDP ? 17 : 132;
}

static int calico_m_family(const netpol_endpoint_t *a, const netpol_endpoint_t *b)
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

calico_m_t calico_m_rule(const k8s_model_t *m, const cal_policy_t *pol, const cal_rule_t *r,
                         const netpol_endpoint_t *src, const netpol_endpoint_t *dst, int port,
                         k8s_proto_t proto)
{
    int pn = calico_m_proto_number(proto);
    if ((r->protocol && r->protocol != pn) || (r->not_protocol && r->not_protocol == pn))
        return CALICO_M_NONE;
    calico_m_t v = CALICO_M_ALL;
    if (r->ip_version) {
        int fam = calico_m_family(src, dst);
        if (!fam)
            v = CALICO_M_PART;
        else if (fam != (r->ip_version == 4 ? AF_INET : AF_INET6))
            return CALICO_M_NONE;
    }
    v = calico_m_min(v, calico_m_entity(m, pol, &r->src, src, false, dst, port, proto));
    if (v == CALICO_M_NONE)
        return v;
    return calico_m_min(v, calico_m_entity(m, pol, &r->dst, dst, true, dst, port, proto));
}
