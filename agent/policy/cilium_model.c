/* cilium_model.c: storage for Cilium's policy objects. */
#include "cilium_model.h"

#include <stdlib.h>
#include <string.h>

cil_policy_t *cil_model_add_policy(cil_model_t *c)
{
    if (c->n_policies == c->cap_policies) {
        size_t nc = c->cap_policies ? c->cap_policies * 2 : 8;
        cil_policy_t *np = realloc(c->policies, nc * sizeof(*np));
        if (!np)
            return NULL;
        c->policies = np;
        c->cap_policies = nc;
    }
    cil_policy_t *p = &c->policies[c->n_policies++];
    memset(p, 0, sizeof(*p));
    return p;
}

static void cil_strs_free(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

void cil_selector_free(cil_selector_t *s)
{
    labels_free(&s->match);
    for (size_t i = 0; i < s->n_exprs; i++) {
        free(s->exprs[i].key);
        cil_strs_free(s->exprs[i].values, s->exprs[i].n_values);
    }
    free(s->exprs);
    memset(s, 0, sizeof(*s));
}

static void cil_toports_free(cil_toports_t *t)
{
    for (size_t i = 0; i < t->n_ports; i++)
        free(t->ports[i].name);
    free(t->ports);
    for (size_t i = 0; i < t->n_http; i++) {
        free(t->http[i].method);
        free(t->http[i].path);
        free(t->http[i].host);
        cil_strs_free(t->http[i].headers, t->http[i].n_headers);
    }
    free(t->http);
    cil_strs_free(t->dns_names, t->n_dns_names);
    cil_strs_free(t->dns_patterns, t->n_dns_patterns);
}

static void cil_rule_free(cil_rule_t *r)
{
    for (size_t i = 0; i < r->n_endpoints; i++)
        cil_selector_free(&r->endpoints[i]);
    free(r->endpoints);
    for (size_t i = 0; i < r->n_cidrs; i++)
        free(r->cidrs[i].except);
    free(r->cidrs);
    cil_strs_free(r->fqdn_names, r->n_fqdn_names);
    cil_strs_free(r->fqdn_patterns, r->n_fqdn_patterns);
    for (size_t i = 0; i < r->n_toports; i++)
        cil_toports_free(&r->toports[i]);
    free(r->toports);
}

void cil_model_free(cil_model_t *c)
{
    for (size_t i = 0; i < c->n_policies; i++) {
        cil_policy_t *p = &c->policies[i];
        free(p->kind);
        free(p->name);
        cil_selector_free(&p->selector);
        for (int k = 0; k < 4; k++) {
            for (size_t j = 0; j < p->n_rules[k]; j++)
                cil_rule_free(&p->rules[k][j]);
            free(p->rules[k]);
        }
    }
    free(c->policies);
    memset(c, 0, sizeof(*c));
}
