/* k8s_model.c: storage for the objects, selector matching and small formatters. */
#include "k8s_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

k8s_model_t *k8s_model_create(void)
{
    return calloc(1, sizeof(k8s_model_t));
}

/* Grows *arr (element size sz) so that one more fits; zeroes the new slot. */
static void *k8s_grow(void **arr, size_t *n, size_t *cap, size_t sz)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        void *p = realloc(*arr, nc * sz);
        if (!p)
            return NULL;
        *arr = p;
        *cap = nc;
    }
    char *slot = (char *)*arr + *n * sz;
    memset(slot, 0, sz);
    (*n)++;
    return slot;
}

static void k8s_selector_clear(k8s_selector_t *s)
{
    labels_free(&s->match);
    for (size_t i = 0; i < s->n_exprs; i++) {
        free(s->exprs[i].key);
        for (size_t j = 0; j < s->exprs[i].n_values; j++)
            free(s->exprs[i].values[j]);
        free(s->exprs[i].values);
    }
    free(s->exprs);
    memset(s, 0, sizeof(*s));
}

static void k8s_rule_clear(k8s_rule_t *r)
{
    for (size_t i = 0; i < r->n_peers; i++) {
        k8s_selector_clear(&r->peers[i].pod);
        k8s_selector_clear(&r->peers[i].nsel);
        free(r->peers[i].ipblock.except);
    }
    free(r->peers);
    for (size_t i = 0; i < r->n_ports; i++)
        free(r->ports[i].name);
    free(r->ports);
    memset(r, 0, sizeof(*r));
}

static void k8s_anp_rules_clear(anp_rule_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < r[i].n_peers; j++) {
            anp_peer_t *p = &r[i].peers[j];
            k8s_selector_clear(&p->nsel);
            k8s_selector_clear(&p->pod);
            free(p->nets);
            for (size_t k = 0; k < p->n_domains; k++)
                free(p->domains[k]);
            free(p->domains);
        }
        free(r[i].peers);
        for (size_t j = 0; j < r[i].n_ports; j++)
            free(r[i].ports[j].name);
        free(r[i].ports);
        free(r[i].name);
        free(r[i].unknown);
    }
    free(r);
}

static void k8s_anp_clear(anp_set_t *a)
{
    for (size_t i = 0; i < a->n_pols; i++) {
        anp_policy_t *p = &a->pols[i];
        free(p->name);
        k8s_selector_clear(&p->subj_ns);
        k8s_selector_clear(&p->subj_pod);
        k8s_anp_rules_clear(p->ingress, p->n_ingress);
        k8s_anp_rules_clear(p->egress, p->n_egress);
    }
    free(a->pols);
    for (size_t i = 0; i < a->n_nodes; i++) {
        free(a->nodes[i].name);
        labels_free(&a->nodes[i].labels);
        free(a->nodes[i].addrs);
    }
    free(a->nodes);
}

void k8s_model_destroy(k8s_model_t *m)
{
    if (!m)
        return;
    k8s_anp_clear(&m->anp);
    for (size_t i = 0; i < m->n_namespaces; i++) {
        free(m->namespaces[i].name);
        labels_free(&m->namespaces[i].labels);
        free(m->namespaces[i].policies);
        free(m->namespaces[i].pods);
    }
    free(m->namespaces);
    free(m->ns_slot);
    free(m->by_ip);
    for (size_t i = 0; i < m->n_pods; i++) {
        k8s_pod_t *p = &m->pods[i];
        free(p->owner);
        free(p->name);
        free(p->service_account);
        labels_free(&p->labels);
        for (size_t j = 0; j < p->n_ports; j++)
            free(p->ports[j].name);
        free(p->ports);
        free(p->ips);
    }
    free(m->pods);
    for (size_t i = 0; i < m->n_services; i++) {
        k8s_service_t *s = &m->services[i];
        free(s->name);
        labels_free(&s->selector);
        for (size_t j = 0; j < s->n_ports; j++) {
            free(s->ports[j].name);
            free(s->ports[j].target_name);
            free(s->ports[j].app_protocol);
        }
        free(s->ports);
    }
    free(m->services);
    for (size_t i = 0; i < m->n_policies; i++) {
        k8s_policy_t *p = &m->policies[i];
        free(p->name);
        k8s_selector_clear(&p->pod_selector);
        for (size_t j = 0; j < p->n_ingress; j++)
            k8s_rule_clear(&p->ingress[j]);
        free(p->ingress);
        for (size_t j = 0; j < p->n_egress; j++)
            k8s_rule_clear(&p->egress[j]);
        free(p->egress);
    }
    free(m->policies);
    cal_model_free(&m->calico);
    cil_model_free(&m->cilium);
    for (size_t i = 0; i < m->n_endpoints; i++) {
        free(m->endpoints[i].service);
        free(m->endpoints[i].addrs);
    }
    free(m->endpoints);
    for (size_t i = 0; i < m->n_foreign; i++) {
        free(m->foreign[i].kind);
        free(m->foreign[i].ns);
        free(m->foreign[i].name);
        free(m->foreign[i].why);
    }
    free(m->foreign);
    for (size_t i = 0; i < m->n_skipped; i++)
        free(m->skipped[i].kind);
    free(m->skipped);
    free(m);
}

static size_t k8s_hash(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The slot of name in the namespace table: its entry, or the empty slot where it goes. */
static size_t k8s_ns_slot(const k8s_model_t *m, const char *name)
{
    size_t h = k8s_hash(name) & (m->ns_nslot - 1);
    while (m->ns_slot[h] != 0 && strcmp(m->namespaces[m->ns_slot[h] - 1].name, name) != 0)
        h = (h + 1) & (m->ns_nslot - 1);
    return h;
}

/* Makes room for one more namespace in the table (rebuilt at twice the size when half full). */
static int k8s_ns_reserve(k8s_model_t *m)
{
    if (2 * (m->n_namespaces + 1) <= m->ns_nslot)
        return 0;
    size_t n = m->ns_nslot ? m->ns_nslot * 2 : 64;
    size_t *slot = calloc(n, sizeof(*slot));
    if (!slot)
        return -1;
    free(m->ns_slot);
    m->ns_slot = slot;
    m->ns_nslot = n;
    for (size_t i = 0; i < m->n_namespaces; i++)
        m->ns_slot[k8s_ns_slot(m, m->namespaces[i].name)] = i + 1;
    return 0;
}

long k8s_model_find_namespace(const k8s_model_t *m, const char *name)
{
    if (m->ns_nslot == 0)
        return -1;
    size_t h = k8s_ns_slot(m, name);
    return m->ns_slot[h] ? (long)m->ns_slot[h] - 1 : -1;
}

int k8s_model_namespace(k8s_model_t *m, const char *name, size_t *idx)
{
    long f = k8s_model_find_namespace(m, name);
    if (f >= 0) {
        *idx = (size_t)f;
        return 0;
    }
    if (k8s_ns_reserve(m) != 0)
        return -1;
    k8s_namespace_t *ns = k8s_grow((void **)&m->namespaces, &m->n_namespaces, &m->cap_namespaces,
                                   sizeof(*ns));
    if (!ns)
        return -1;
    *idx = m->n_namespaces - 1;
    /* The API server adds this label to every namespace (Kubernetes 1.21+). */
    if (!(ns->name = strdup(name)) || labels_add(&ns->labels, K8S_NS_LABEL, name) != 0)
        return -1;
    m->ns_slot[k8s_ns_slot(m, name)] = *idx + 1;
    return 0;
}

k8s_pod_t *k8s_model_add_pod(k8s_model_t *m)
{
    return k8s_grow((void **)&m->pods, &m->n_pods, &m->cap_pods, sizeof(k8s_pod_t));
}

k8s_service_t *k8s_model_add_service(k8s_model_t *m)
{
    return k8s_grow((void **)&m->services, &m->n_services, &m->cap_services, sizeof(k8s_service_t));
}

k8s_policy_t *k8s_model_add_policy(k8s_model_t *m)
{
    return k8s_grow((void **)&m->policies, &m->n_policies, &m->cap_policies, sizeof(k8s_policy_t));
}

k8s_foreign_t *k8s_model_add_foreign(k8s_model_t *m)
{
    return k8s_grow((void **)&m->foreign, &m->n_foreign, &m->cap_foreign, sizeof(k8s_foreign_t));
}

anp_policy_t *k8s_model_add_anp(k8s_model_t *m)
{
    return k8s_grow((void **)&m->anp.pols, &m->anp.n_pols, &m->anp.cap_pols, sizeof(anp_policy_t));
}

anp_node_t *k8s_model_add_node(k8s_model_t *m)
{
    return k8s_grow((void **)&m->anp.nodes, &m->anp.n_nodes, &m->anp.cap_nodes, sizeof(anp_node_t));
}

int k8s_model_count_skipped(k8s_model_t *m, const char *kind)
{
    /* A file can name a million kinds: counted one by one only up to the cap. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < m->n_skipped; i++) {
            if (strcmp(m->skipped[i].kind, kind) == 0) {
                m->skipped[i].count++;
                return 0;
            }
        }
        if (m->n_skipped < K8S_SKIPPED_KINDS_MAX)
            break;
        kind = "(other kinds)";
    }
    k8s_skipped_t *s = k8s_grow((void **)&m->skipped, &m->n_skipped, &m->cap_skipped, sizeof(*s));
    if (!s || !(s->kind = strdup(kind)))
        return -1;
    s->count = 1;
    return 0;
}

/* Appends v to a size_t array. */
static int k8s_push(size_t **arr, size_t *n, size_t v)
{
    /* Doubling at powers of two keeps it amortised O(1) without a capacity field. */
    if ((*n & (*n - 1)) == 0) {
        size_t *p = realloc(*arr, (*n ? *n * 2 : 1) * sizeof(*p));
        if (!p)
            return -1;
        *arr = p;
    }
    (*arr)[(*n)++] = v;
    return 0;
}

static int k8s_addr_cmp(const ip_addr_t *a, const ip_addr_t *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

static int k8s_ip_cmp(const void *x, const void *y, void *model)
{
    const k8s_model_t *m = model;
    const size_t *a = x, *b = y; /* pairs: pod, which IP */
    return k8s_addr_cmp(&m->pods[a[0]].ips[a[1]], &m->pods[b[0]].ips[b[1]]);
}

int k8s_model_finish(k8s_model_t *m)
{
    for (size_t i = 0; i < m->n_namespaces; i++) {
        k8s_namespace_t *ns = &m->namespaces[i];
        free(ns->policies);
        free(ns->pods);
        ns->policies = ns->pods = NULL;
        ns->n_policies = ns->n_pods = 0;
    }
    for (size_t i = 0; i < m->n_policies; i++) {
        k8s_namespace_t *ns = &m->namespaces[m->policies[i].ns];
        if (k8s_push(&ns->policies, &ns->n_policies, i) != 0)
            return -1;
    }
    size_t n_ips = 0;
    for (size_t i = 0; i < m->n_pods; i++) {
        k8s_namespace_t *ns = &m->namespaces[m->pods[i].ns];
        if (k8s_push(&ns->pods, &ns->n_pods, i) != 0)
            return -1;
        n_ips += m->pods[i].n_ips;
    }
    free(m->by_ip);
    m->n_by_ip = 0;
    size_t *pairs = malloc((n_ips ? n_ips : 1) * 2 * sizeof(size_t));
    if (!(m->by_ip = pairs))
        return -1;
    for (size_t i = 0; i < m->n_pods; i++)
        for (size_t j = 0; j < m->pods[i].n_ips; j++) {
            pairs[2 * m->n_by_ip] = i;
            pairs[2 * m->n_by_ip + 1] = j;
            m->n_by_ip++;
        }
    qsort_r(pairs, m->n_by_ip, 2 * sizeof(size_t), k8s_ip_cmp, m);
    return cal_model_finish(&m->calico);
}

void k8s_model_set_default_namespace(k8s_model_t *m, const char *ns)
{
    snprintf(m->default_ns, sizeof(m->default_ns), "%s", ns ? ns : "");
}

long k8s_model_find_pod_ip(const k8s_model_t *m, const ip_addr_t *a)
{
    size_t lo = 0, hi = m->n_by_ip;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = k8s_addr_cmp(&m->pods[m->by_ip[2 * mid]].ips[m->by_ip[2 * mid + 1]], a);
        if (c == 0)
            return (long)m->by_ip[2 * mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const k8s_service_t *k8s_model_find_service(const k8s_model_t *m, size_t ns, const char *name)
{
    for (size_t i = 0; i < m->n_services; i++)
        if (m->services[i].ns == ns && strcmp(m->services[i].name, name) == 0)
            return &m->services[i];
    return NULL;
}

bool k8s_selector_matches(const k8s_selector_t *s, const labels_t *l)
{
    if (!labels_match(&s->match, l))
        return false;
    for (size_t i = 0; i < s->n_exprs; i++) {
        const k8s_requirement_t *r = &s->exprs[i];
        const char *v = labels_get(l, r->key);
        bool in = false;
        for (size_t j = 0; v && j < r->n_values; j++)
            if (strcmp(v, r->values[j]) == 0)
                in = true;
        switch (r->op) {
        case K8S_OP_IN:
            if (!in)
                return false;
            break;
        case K8S_OP_NOT_IN: /* as Kubernetes: a missing key satisfies NotIn */
            if (in)
                return false;
            break;
        case K8S_OP_EXISTS:
            if (!v)
                return false;
            break;
        case K8S_OP_DOES_NOT_EXIST:
            if (v)
                return false;
            break;
        }
    }
    return true;
}

const char *k8s_proto_name(k8s_proto_t p)
{
    return p == K8S_UDP ? "UDP" : p == K8S_SCTP ? "SCTP" : "TCP";
}
