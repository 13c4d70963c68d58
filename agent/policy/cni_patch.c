/* cni_patch.c: the deviations of cni_patch.h as edits of the model. Every edit swaps an
 * except list or a rule's ports for one this file allocates, and logs the original: undo puts
 * them back in reverse order, so a list swapped twice ends as it was read. */
#include "cni_patch.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct cni_swap {
    k8s_ipblock_t *ib; /* an except list, or */
    k8s_rule_t *rule;  /* a rule's ports */
    void *old, *mine;
    size_t old_n;
};

static bool cp_cidr_eq(const cidr_t *a, const cidr_t *b)
{
    return a->net.family == b->net.family && a->prefix == b->prefix &&
        memcmp(a->net.bytes, b->net.bytes, 16) == 0;
}

static struct cni_swap *cp_log(cni_patch_t *p)
{
    if (p->n_swaps >= CNI_PATCH_MAX) {
        p->truncated = true;
        return NULL;
    }
    if (p->n_swaps == p->cap_swaps) {
        size_t cap = p->cap_swaps ? 2 * p->cap_swaps : 16;
        struct cni_swap *n = realloc(p->swaps, cap * sizeof(*n));
        if (!n)
            return NULL;
        p->swaps = n;
        p->cap_swaps = cap;
    }
    struct cni_swap *s = &p->swaps[p->n_swaps++];
    memset(s, 0, sizeof(*s));
    return s;
}

/* Replaces ib's except list by excepts[0..n) (taken over). -1: OOM or cap (excepts freed). */
static int cp_set_except(cni_patch_t *p, k8s_ipblock_t *ib, cidr_t *excepts, size_t n)
{
    struct cni_swap *s = cp_log(p);
    if (!s) {
        free(excepts);
        return p->truncated ? 0 : -1;
    }
    s->ib = ib;
    s->old = ib->except;
    s->old_n = ib->n_except;
    s->mine = excepts;
    ib->except = excepts;
    ib->n_except = n;
    return 0;
}

static int cp_set_ports(cni_patch_t *p, k8s_rule_t *r, const k8s_np_port_t *ports, size_t n)
{
    k8s_np_port_t *copy = malloc((n ? n : 1) * sizeof(*copy));
    struct cni_swap *s = copy ? cp_log(p) : NULL;
    if (!s) {
        free(copy);
        return copy && p->truncated ? 0 : -1;
    }
    if (n)
        memcpy(copy, ports, n * sizeof(*copy)); /* names stay owned by the original rule */
    s->rule = r;
    s->old = r->ports;
    s->old_n = r->n_ports;
    s->mine = copy;
    r->ports = copy;
    r->n_ports = n;
    return 0;
}

static void cp_touch(cni_patch_t *p, size_t pol, netpol_dir_t dir, size_t rule)
{
    for (size_t i = 0; i < p->n_touched; i++)
        if (p->touched[i].policy == pol && p->touched[i].dir == dir && p->touched[i].rule == rule)
            return;
    if (p->n_touched < CNI_TOUCHED_MAX)
        p->touched[p->n_touched++] = (cni_rule_ref_t){pol, dir, rule};
}

static void cp_range(cni_patch_t *p, size_t pol, netpol_dir_t dir, size_t rule, const cidr_t *c, int port)
{
    if (dir == NETPOL_EGRESS && p->n_ranges < CNI_RANGES_MAX)
        p->ranges[p->n_ranges++] = (cni_range_t){{pol, dir, rule}, *c, port};
}

/* Whether the rule allows TCP to port (no ports: every port). */
static bool cp_rule_tcp_port(const k8s_rule_t *r, int port)
{
    if (r->n_ports == 0)
        return true;
    for (size_t i = 0; i < r->n_ports; i++) {
        const k8s_np_port_t *q = &r->ports[i];
        if (q->proto != K8S_TCP)
            continue;
        if (q->kind == K8S_PORT_ANY)
            return true;
        int end = q->end_port ? q->end_port : q->port;
        if (q->kind == K8S_PORT_NUMBER && port >= q->port && port <= end)
            return true;
    }
    return false;
}

/* The first numeric TCP port of the rule, else 0. */
static int cp_first_port(const k8s_rule_t *r)
{
    for (size_t i = 0; i < r->n_ports; i++)
        if (r->ports[i].proto == K8S_TCP && r->ports[i].kind == K8S_PORT_NUMBER)
            return r->ports[i].port;
    return 0;
}

static k8s_rule_t *cp_rules(k8s_policy_t *pol, netpol_dir_t dir, size_t *n)
{
    *n = dir == NETPOL_EGRESS ? pol->n_egress : pol->n_ingress;
    return dir == NETPOL_EGRESS ? pol->egress : pol->ingress;
}

/* One ipBlock peer of a NetworkPolicy rule, for the patches that change blocks. Returns 0, or
 * -1 when out of memory. */
typedef int (*cp_block_fn)(k8s_model_t *m, cni_patch_t *p, size_t pi, netpol_dir_t d, size_t ri,
                           const k8s_rule_t *rule, k8s_ipblock_t *ib);

/* Calls fn on every ipBlock peer of every rule of every NetworkPolicy, in order. */
static int cp_each_block(k8s_model_t *m, cni_patch_t *p, cp_block_fn fn)
{
    for (size_t pi = 0; pi < m->n_policies; pi++)
        for (int d = 0; d < 2; d++) {
            size_t n;
            k8s_rule_t *rules = cp_rules(&m->policies[pi], (netpol_dir_t)d, &n);
            for (size_t ri = 0; ri < n; ri++)
                for (size_t k = 0; k < rules[ri].n_peers; k++)
                    if (rules[ri].peers[k].has_ipblock &&
                        fn(m, p, pi, (netpol_dir_t)d, ri, &rules[ri], &rules[ri].peers[k].ipblock) < 0)
                        return -1;
        }
    return 0;
}

/* ipBlock.except ignored: every except list emptied. */
static int cp_except_ignored_block(k8s_model_t *m, cni_patch_t *p, size_t pi, netpol_dir_t d, size_t ri,
                                   const k8s_rule_t *rule, k8s_ipblock_t *ib)
{
    (void)m;
    if (ib->n_except == 0)
        return 0;
    for (size_t e = 0; e < ib->n_except; e++)
        cp_range(p, pi, d, ri, &ib->except[e], cp_first_port(rule));
    cp_touch(p, pi, d, ri);
    return cp_set_except(p, ib, NULL, 0) < 0 ? -1 : 0;
}

static int cp_except_ignored(k8s_model_t *m, cni_patch_t *p)
{
    return cp_each_block(m, p, cp_except_ignored_block);
}

/* The rule of the same policy and direction, other than skip, with an ipBlock of exactly c
 * and ports; or -1. */
static long cp_other_with(const k8s_rule_t *rules, size_t n, size_t skip, const cidr_t *c)
{
    for (size_t ri = 0; ri < n; ri++) {
        if (ri == skip || rules[ri].n_ports == 0)
            continue;
        for (size_t k = 0; k < rules[ri].n_peers; k++)
            if (rules[ri].peers[k].has_ipblock && cp_cidr_eq(&rules[ri].peers[k].ipblock.cidr, c))
                return (long)ri;
    }
    return -1;
}

/* An except range that another rule allows on some ports: dropped from the except list, so
 * the wider rule allows it on all its ports (the agent's ports inherited from the larger CIDR). */
static int cp_except_reallowed(k8s_model_t *m, cni_patch_t *p)
{
    static const int tries[] = {443, 80, 8080, 22};
    for (size_t pi = 0; pi < m->n_policies; pi++)
        for (int d = 0; d < 2; d++) {
            size_t n;
            k8s_rule_t *rules = cp_rules(&m->policies[pi], (netpol_dir_t)d, &n);
            for (size_t ri = 0; ri < n; ri++)
                for (size_t k = 0; k < rules[ri].n_peers; k++) {
                    k8s_ipblock_t *ib = &rules[ri].peers[k].ipblock;
                    if (!rules[ri].peers[k].has_ipblock || ib->n_except == 0)
                        continue;
                    cidr_t *keep = malloc(ib->n_except * sizeof(*keep));
                    if (!keep)
                        return -1;
                    size_t nk = 0;
                    for (size_t e = 0; e < ib->n_except; e++) {
                        long a = cp_other_with(rules, n, ri, &ib->except[e]);
                        if (a < 0) {
                            keep[nk++] = ib->except[e];
                            continue;
                        }
                        int port = 0; /* a port the wider rule opens and the narrower does not */
                        for (size_t t = 0; t < sizeof(tries) / sizeof(tries[0]) && !port; t++)
                            if (cp_rule_tcp_port(&rules[ri], tries[t]) &&
                                !cp_rule_tcp_port(&rules[a], tries[t]))
                                port = tries[t];
                        cp_touch(p, pi, (netpol_dir_t)d, ri);
                        cp_touch(p, pi, (netpol_dir_t)d, (size_t)a);
                        if (port)
                            cp_range(p, pi, (netpol_dir_t)d, ri, &ib->except[e], port);
                    }
                    if (nk == ib->n_except)
                        free(keep);
                    else if (cp_set_except(p, ib, keep, nk) < 0)
                        return -1;
                }
        }
    return 0;
}

static bool cp_all_ipblocks(const k8s_rule_t *r)
{
    for (size_t k = 0; k < r->n_peers; k++)
        if (!r->peers[k].has_ipblock || r->peers[k].has_pod || r->peers[k].has_ns)
            return false;
    return r->n_peers > 0;
}

/* a's except list plus b's entries it lacks (malloc'd), or NULL on OOM. */
static cidr_t *cp_union(const k8s_ipblock_t *a, const k8s_ipblock_t *b, size_t *n)
{
    cidr_t *u = malloc((a->n_except + b->n_except + 1) * sizeof(*u));
    if (!u)
        return NULL;
    if (a->n_except) /* memcpy from a NULL list is undefined even for 0 bytes */
        memcpy(u, a->except, a->n_except * sizeof(*u));
    *n = a->n_except;
    for (size_t j = 0; j < b->n_except; j++) {
        bool have = false;
        for (size_t i = 0; i < *n && !have; i++)
            have = cp_cidr_eq(&u[i], &b->except[j]);
        if (!have)
            u[(*n)++] = b->except[j];
    }
    return u;
}

/* Rules of one policy and direction with the same ipBlock CIDR, merged into one entry: each
 * gets the union of their except lists, and a rule without ports the other's ports. */
static int cp_same_cidr(k8s_model_t *m, cni_patch_t *p)
{
    for (size_t pi = 0; pi < m->n_policies; pi++)
        for (int d = 0; d < 2; d++) {
            size_t n;
            k8s_rule_t *rules = cp_rules(&m->policies[pi], (netpol_dir_t)d, &n);
            for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++) {
                    if (!cp_all_ipblocks(&rules[i]) || !cp_all_ipblocks(&rules[j]))
                        continue;
                    for (size_t a = 0; a < rules[i].n_peers; a++)
                        for (size_t b = 0; b < rules[j].n_peers; b++) {
                            k8s_ipblock_t *x = &rules[i].peers[a].ipblock, *y = &rules[j].peers[b].ipblock;
                            if (!cp_cidr_eq(&x->cidr, &y->cidr))
                                continue;
                            size_t nx, ny;
                            cidr_t *ux = cp_union(x, y, &nx), *uy = ux ? cp_union(y, x, &ny) : NULL;
                            if (!ux || !uy) {
                                free(ux);
                                return -1;
                            }
                            bool change = nx != x->n_except || ny != y->n_except ||
                                (rules[i].n_ports == 0) != (rules[j].n_ports == 0);
                            if (!change) {
                                free(ux);
                                free(uy);
                                continue;
                            }
                            cp_touch(p, pi, (netpol_dir_t)d, i);
                            cp_touch(p, pi, (netpol_dir_t)d, j);
                            if (cp_set_except(p, x, ux, nx) < 0 || cp_set_except(p, y, uy, ny) < 0)
                                return -1;
                            if (rules[i].n_ports == 0 && rules[j].n_ports > 0 &&
                                cp_set_ports(p, &rules[i], rules[j].ports, rules[j].n_ports) < 0)
                                return -1;
                            if (rules[j].n_ports == 0 && rules[i].n_ports > 0 &&
                                cp_set_ports(p, &rules[j], rules[i].ports, rules[i].n_ports) < 0)
                                return -1;
                        }
                }
        }
    return 0;
}

/* ipBlock never matches pods: every pod address inside a block becomes an except entry. */
static int cp_not_pods_block(k8s_model_t *m, cni_patch_t *p, size_t pi, netpol_dir_t d, size_t ri,
                             const k8s_rule_t *rule, k8s_ipblock_t *ib)
{
    (void)rule;
    size_t add = 0;
    for (size_t q = 0; q < m->n_pods; q++)
        for (size_t a = 0; a < m->pods[q].n_ips; a++)
            add += cidr_contains(&ib->cidr, &m->pods[q].ips[a]);
    if (add == 0)
        return 0;
    cidr_t *ex = malloc((ib->n_except + add) * sizeof(*ex));
    if (!ex)
        return -1;
    if (ib->n_except)
        memcpy(ex, ib->except, ib->n_except * sizeof(*ex));
    size_t ne = ib->n_except;
    for (size_t q = 0; q < m->n_pods; q++)
        for (size_t a = 0; a < m->pods[q].n_ips; a++) {
            const ip_addr_t *ip = &m->pods[q].ips[a];
            if (!cidr_contains(&ib->cidr, ip))
                continue;
            cidr_t *c = &ex[ne++];
            memset(c, 0, sizeof(*c));
            c->net = *ip;
            c->prefix = ip->family == AF_INET ? 32 : 128;
        }
    cp_touch(p, pi, d, ri);
    return cp_set_except(p, ib, ex, ne) < 0 ? -1 : 0;
}

static int cp_not_pods(k8s_model_t *m, cni_patch_t *p)
{
    return cp_each_block(m, p, cp_not_pods_block);
}

int cni_patch_apply(k8s_model_t *m, cni_construct_t c, cni_patch_t *p)
{
    memset(p, 0, sizeof(*p));
    int rc = 0;
    switch (c) {
    case CNI_C_IPBLOCK_EXCEPT: rc = cp_except_ignored(m, p); break;
    case CNI_C_EXCEPT_IS_OTHER_CIDR: rc = cp_except_reallowed(m, p); break;
    case CNI_C_SAME_CIDR_RULES: rc = cp_same_cidr(m, p); break;
    case CNI_C_IPBLOCK_MATCHES_PODS: rc = cp_not_pods(m, p); break;
    case CNI_C_ISOLATED_POD:
    case CNI_C_SEVERAL_POLICIES: break; /* nothing to rewrite: a matter of time, not of rules */
    }
    if (rc < 0)
        cni_patch_undo(m, p);
    return rc;
}

void cni_patch_undo(k8s_model_t *m, cni_patch_t *p)
{
    (void)m;
    for (size_t i = p->n_swaps; i-- > 0;) {
        struct cni_swap *s = &p->swaps[i];
        if (s->ib) {
            s->ib->except = s->old;
            s->ib->n_except = s->old_n;
        } else {
            s->rule->ports = s->old;
            s->rule->n_ports = s->old_n;
        }
        free(s->mine);
    }
    free(p->swaps);
    p->swaps = NULL;
    p->n_swaps = p->cap_swaps = 0;
}
