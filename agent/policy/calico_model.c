/* calico_model.c: storage for Calico's objects and their evaluation order. */
#include "calico_model.h"

#include <stdlib.h>
#include <string.h>

const char *cal_action_name(cal_action_t a)
{
    switch (a) {
    case CAL_ALLOW: return "Allow";
    case CAL_DENY: return "Deny";
    case CAL_PASS: return "Pass";
    case CAL_LOG: return "Log";
    }
    return "?";
}

static void *cal_grow(void **items, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        void *ni = realloc(*items, nc * size);
        if (!ni)
            return NULL;
        *items = ni;
        *cap = nc;
    }
    char *e = (char *)*items + (*n)++ * size;
    memset(e, 0, size);
    return e;
}

cal_policy_t *cal_model_add_policy(cal_model_t *c)
{
    return cal_grow((void **)&c->policies, &c->n_policies, &c->cap_policies, sizeof(*c->policies));
}

cal_tier_t *cal_model_add_tier(cal_model_t *c)
{
    return cal_grow((void **)&c->tiers, &c->n_tiers, &c->cap_tiers, sizeof(*c->tiers));
}

cal_sa_t *cal_model_add_sa(cal_model_t *c)
{
    return cal_grow((void **)&c->sas, &c->n_sas, &c->cap_sas, sizeof(*c->sas));
}

const cal_tier_t *cal_model_tier(const cal_model_t *c, const char *name)
{
    for (size_t i = 0; i < c->n_tiers; i++)
        if (strcmp(c->tiers[i].name, name) == 0)
            return &c->tiers[i];
    return NULL;
}

const cal_sa_t *cal_model_sa(const cal_model_t *c, size_t ns, const char *name)
{
    for (size_t i = 0; i < c->n_sas; i++)
        if (c->sas[i].ns == ns && strcmp(c->sas[i].name, name) == 0)
            return &c->sas[i];
    return NULL;
}

/* Lower order first, no order last, then by name (Calico's tie-break). */
static int cal_cmp_order(bool ha, double a, bool hb, double b)
{
    if (ha != hb)
        return ha ? -1 : 1;
    if (ha && a != b)
        return a < b ? -1 : 1;
    return 0;
}

static void cal_tier_order(const cal_model_t *c, const char *tier, bool *has, double *order)
{
    const cal_tier_t *t = cal_model_tier(c, tier);
    if (t) {
        *has = t->has_order;
        *order = t->order;
    } else {
        /* The default tier needs no object; another missing tier is reported by the
         * evaluator (unknown), its place here does not matter. */
        *has = true;
        *order = CAL_DEFAULT_TIER_ORDER;
    }
}

/* Where an entry sorts: its tier's order and name, its own order and name. The Kubernetes
 * NetworkPolicies sit in the default tier at order 1000 under Calico's names for them. */
typedef struct {
    bool tier_has;
    double tier_order;
    const char *tier;
    bool has;
    double order;
    const char *name;
} cal_key_t;

static void cal_key(const cal_model_t *c, size_t i, cal_key_t *k)
{
    if (i == CAL_K8S_MARK) {
        *k = (cal_key_t){
            .tier = CAL_DEFAULT_TIER, .has = true, .order = CAL_K8S_ORDER, .name = "knp.default."};
    } else {
        const cal_policy_t *p = &c->policies[i];
        *k = (cal_key_t){.tier = p->tier, .has = p->has_order, .order = p->order, .name = p->name};
    }
    cal_tier_order(c, k->tier, &k->tier_has, &k->tier_order);
}

static int cal_cmp(const void *pa, const void *pb, void *ctx)
{
    const cal_model_t *c = ctx;
    cal_key_t a, b;
    cal_key(c, *(const size_t *)pa, &a);
    cal_key(c, *(const size_t *)pb, &b);
    int r = cal_cmp_order(a.tier_has, a.tier_order, b.tier_has, b.tier_order);
    if (r == 0)
        r = strcmp(a.tier, b.tier);
    if (r == 0)
        r = cal_cmp_order(a.has, a.order, b.has, b.order);
    if (r == 0)
        r = strcmp(a.name, b.name);
    return r;
}

int cal_model_finish(cal_model_t *c)
{
    free(c->sorted);
    c->sorted = NULL;
    c->n_sorted = 0;
    if (!(c->sorted = malloc((c->n_policies + 1) * sizeof(*c->sorted))))
        return -1;
    for (size_t i = 0; i < c->n_policies; i++)
        c->sorted[i] = i;
    c->sorted[c->n_policies] = CAL_K8S_MARK;
    c->n_sorted = c->n_policies + 1;
    qsort_r(c->sorted, c->n_sorted, sizeof(*c->sorted), cal_cmp, c);
    c->default_lo = c->n_sorted;
    c->default_hi = 0;
    for (size_t k = 0; k < c->n_sorted; k++) {
        size_t i = c->sorted[k];
        if (i == CAL_K8S_MARK || strcmp(c->policies[i].tier, CAL_DEFAULT_TIER) == 0) {
            c->default_lo = k < c->default_lo ? k : c->default_lo;
            c->default_hi = k + 1;
        }
    }
    return 0;
}

static void cal_entity_free(cal_entity_t *e)
{
    free(e->nets);
    free(e->not_nets);
    calsel_free(e->selector);
    calsel_free(e->not_selector);
    calsel_free(e->ns_selector);
    calsel_free(e->sa_selector);
    for (size_t i = 0; i < e->n_sa_names; i++)
        free(e->sa_names[i]);
    free(e->sa_names);
    for (size_t i = 0; i < e->n_ports; i++)
        free(e->ports[i].name);
    free(e->ports);
    for (size_t i = 0; i < e->n_not_ports; i++)
        free(e->not_ports[i].name);
    free(e->not_ports);
}

static void cal_rules_free(cal_rule_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cal_entity_free(&r[i].src);
        cal_entity_free(&r[i].dst);
    }
    free(r);
}

void cal_model_free(cal_model_t *c)
{
    for (size_t i = 0; i < c->n_policies; i++) {
        cal_policy_t *p = &c->policies[i];
        free(p->kind);
        free(p->name);
        free(p->tier);
        calsel_free(p->selector);
        calsel_free(p->ns_selector);
        calsel_free(p->sa_selector);
        cal_rules_free(p->ingress, p->n_ingress);
        cal_rules_free(p->egress, p->n_egress);
    }
    free(c->policies);
    for (size_t i = 0; i < c->n_tiers; i++)
        free(c->tiers[i].name);
    free(c->tiers);
    for (size_t i = 0; i < c->n_sas; i++) {
        free(c->sas[i].name);
        labels_free(&c->sas[i].labels);
    }
    free(c->sas);
    free(c->sorted);
    memset(c, 0, sizeof(*c));
}
