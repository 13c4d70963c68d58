/* k8s_read_cilium.c: CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (cilium.io/v2)
 * into the model: `spec` and `specs`, endpoint and peer selectors, CIDR rules, entities,
 * toFQDNs, toPorts with L7 http and dns rules, the deny lists, enableDefaultDeny. A field this
 * reader does not evaluate (toServices, toRequires, fromNodes, kafka rules, TLS contexts, a
 * newer API's field) sets the object aside as foreign, naming the field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "k8s_read_int.h"

#define CR_NS_KEY "io.kubernetes.pod.namespace"
#define CR_NSL_PREFIX "io.cilium.k8s.namespace.labels."

static const cJSON *cl_get(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

bool k8s_read_is_cilium(const char *kind, const char *api)
{
    return strcmp(api, "cilium.io/v2") == 0 &&
        (strcmp(kind, "CiliumNetworkPolicy") == 0 || strcmp(kind, "CiliumClusterwideNetworkPolicy") == 0);
}

/* ---- fields not evaluated ------------------------------------------------------------- */

static bool cl_unknown(const cJSON *obj, const char *const *allowed, const char *parent, char *where)
{
    for (const cJSON *c = cJSON_IsObject(obj) ? obj->child : NULL; c; c = c->next)
        if (!config_json_in_list(c->string, allowed)) {
            k8s_rpath(where, parent, c->string);
            return true;
        }
    return false;
}

static bool cl_foreign_list(const cJSON *list, const char *const *allowed, const char *parent, char *where)
{
    size_t i = 0;
    for (const cJSON *c = cJSON_IsArray(list) ? list->child : NULL; c; c = c->next, i++) {
        char p[K8S_PATH_LEN];
        k8s_rindex(p, parent, i);
        if (cl_unknown(c, allowed, p, where))
            return true;
    }
    return false;
}

static bool cl_foreign_toports(const cJSON *tp, const char *parent, char *where)
{
    static const char *const tp_k[] = {"ports", "rules", NULL};
    static const char *const port_k[] = {"port", "endPort", "protocol", NULL};
    static const char *const rules_k[] = {"http", "dns", NULL};
    static const char *const http_k[] = {"method", "path", "host", "headers", NULL};
    static const char *const dns_k[] = {"matchName", "matchPattern", NULL};
    if (cl_foreign_list(tp, tp_k, parent, where))
        return true;
    size_t i = 0;
    for (const cJSON *c = cJSON_IsArray(tp) ? tp->child : NULL; c; c = c->next, i++) {
        char p[K8S_PATH_LEN], q[K8S_PATH_LEN];
        k8s_rindex(p, parent, i);
        k8s_rpath(q, p, "ports");
        if (cl_foreign_list(cl_get(c, "ports"), port_k, q, where))
            return true;
        k8s_rpath(q, p, "rules");
        const cJSON *rules = cl_get(c, "rules");
        if (cl_unknown(rules, rules_k, q, where))
            return true;
        char r[K8S_PATH_LEN];
        k8s_rpath(r, q, "http");
        if (cl_foreign_list(cl_get(rules, "http"), http_k, r, where))
            return true;
        k8s_rpath(r, q, "dns");
        if (cl_foreign_list(cl_get(rules, "dns"), dns_k, r, where))
            return true;
    }
    return false;
}

static bool cl_foreign_spec(const cJSON *spec, const char *parent, char *where)
{
    static const char *const spec_k[] = {
        "endpointSelector", "nodeSelector", "ingress",     "ingressDeny",       "egress",
        "egressDeny",       "labels",       "description", "enableDefaultDeny", NULL};
    static const char *const in_k[] = {"fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities",
                                       "toPorts",       "icmps",    NULL};
    static const char *const eg_k[] = {"toEndpoints", "toCIDR", "toCIDRSet", "toEntities",
                                       "toPorts",     "icmps",  "toFQDNs",   NULL};
    static const char *const set_k[] = {"cidr", "except", NULL};
    static const char *const edd_k[] = {"ingress", "egress", NULL};
    static const char *const keys[] = {"ingress", "ingressDeny", "egress", "egressDeny"};
    char p[K8S_PATH_LEN];
    if (cl_unknown(spec, spec_k, parent, where))
        return true;
    k8s_rpath(p, parent, "enableDefaultDeny");
    if (cl_unknown(cl_get(spec, "enableDefaultDeny"), edd_k, p, where))
        return true;
    for (int k = 0; k < 4; k++) {
        const cJSON *rules = cl_get(spec, keys[k]);
        k8s_rpath(p, parent, keys[k]);
        if (cl_foreign_list(rules, k < 2 ? in_k : eg_k, p, where))
            return true;
        size_t i = 0;
        for (const cJSON *r = cJSON_IsArray(rules) ? rules->child : NULL; r; r = r->next, i++) {
            char q[K8S_PATH_LEN], s[K8S_PATH_LEN];
            k8s_rindex(q, p, i);
            k8s_rpath(s, q, k < 2 ? "fromCIDRSet" : "toCIDRSet");
            if (cl_foreign_list(cl_get(r, k < 2 ? "fromCIDRSet" : "toCIDRSet"), set_k, s, where))
                return true;
            k8s_rpath(s, q, "toPorts");
            if (cl_foreign_toports(cl_get(r, "toPorts"), s, where))
                return true;
        }
    }
    return false;
}

/* ---- typed readers -------------------------------------------------------------------- */

/* "k8s:app" and "any:app" are "app" (a label's source); other prefixes stay. */
static const char *cl_key(const char *k)
{
    if (strncmp(k, "k8s:", 4) == 0)
        return k + 4;
    if (strncmp(k, "any:", 4) == 0)
        return k + 4;
    return k;
}

static int cl_strings(k8s_rctx_t *cx, const cJSON *v, const char *path, char ***out, size_t *n)
{
    char q[K8S_PATH_LEN];
    if (!(*out = k8s_rlist(cx, v, path, "must be a list of strings", sizeof(char *))))
        return cx->rc;
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        k8s_rindex(q, path, i);
        if (!cJSON_IsString(c))
            return k8s_rfail(cx, q, "must be a string");
        if (!((*out)[(*n)++] = strdup(c->valuestring)))
            return k8s_room(cx);
    }
    return 0;
}

static int cl_selector(k8s_rctx_t *cx, const cJSON *v, const char *path, cil_selector_t *s)
{
    static const char *const keys[] = {"matchLabels", "matchExpressions", NULL};
    static const char *const ops[] = {"In", "NotIn", "Exists", "DoesNotExist", NULL};
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN], f[K8S_PATH_LEN], where[K8S_PATH_LEN];
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsObject(v))
        return k8s_rfail(cx, path, "must be a label selector (matchLabels, matchExpressions)");
    if (cl_unknown(v, keys, path, where))
        return k8s_rfail(cx, where, "unknown field (a selector has matchLabels and matchExpressions)");
    const cJSON *ml = cl_get(v, "matchLabels");
    k8s_rpath(p, path, "matchLabels");
    if (ml && !cJSON_IsNull(ml) && !cJSON_IsObject(ml))
        return k8s_rfail(cx, p, "must be a mapping of labels");
    for (const cJSON *c = ml ? ml->child : NULL; c; c = c->next) {
        k8s_rpath(q, p, c->string);
        if (!cJSON_IsString(c))
            return k8s_rfail(cx, q, "must be a string");
        const char *k = cl_key(c->string);
        s->names_namespace = s->names_namespace || strcmp(k, CR_NS_KEY) == 0;
        s->ns_labels = s->ns_labels || strncmp(k, CR_NSL_PREFIX, strlen(CR_NSL_PREFIX)) == 0;
        if (labels_add(&s->match, k, c->valuestring) != 0)
            return k8s_room(cx);
    }
    const cJSON *ex = cl_get(v, "matchExpressions");
    k8s_rpath(p, path, "matchExpressions");
    if (!(s->exprs = k8s_rlist(cx, ex, p, "must be a list of {key, operator, values}", sizeof(*s->exprs))))
        return cx->rc;
    size_t i = 0;
    for (const cJSON *c = ex->child; c; c = c->next, i++) {
        struct cil_req *r = &s->exprs[s->n_exprs++];
        k8s_rindex(q, p, i);
        const cJSON *key = cl_get(c, "key"), *op = cl_get(c, "operator");
        k8s_rpath(f, q, "key");
        if (!cJSON_IsString(key) || !*key->valuestring)
            return k8s_rfail(cx, f, "required: a label key");
        if (!(r->key = strdup(cl_key(key->valuestring))))
            return k8s_room(cx);
        s->names_namespace = s->names_namespace || strcmp(r->key, CR_NS_KEY) == 0;
        s->ns_labels = s->ns_labels || strncmp(r->key, CR_NSL_PREFIX, strlen(CR_NSL_PREFIX)) == 0;
        k8s_rpath(f, q, "operator");
        int o = 0;
        while (cJSON_IsString(op) && ops[o] && strcmp(ops[o], op->valuestring) != 0)
            o++;
        if (!cJSON_IsString(op) || !ops[o])
            return k8s_rfail(cx, f, "must be In, NotIn, Exists or DoesNotExist");
        r->op = o; /* the order of k8s_op_t */
        k8s_rpath(f, q, "values");
        if (cl_strings(cx, cl_get(c, "values"), f, &r->values, &r->n_values) != 0)
            return cx->rc;
        if ((o < 2) != (r->n_values > 0))
            return k8s_rfail(cx, f,
                             o < 2 ? "In and NotIn need values" : "Exists and DoesNotExist take no values");
    }
    return 0;
}

static int cl_cidrs(k8s_rctx_t *cx, const cJSON *r, const char *path, bool ingress, cil_rule_t *out)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN], f[K8S_PATH_LEN], err[128];
    const cJSON *plain = cl_get(r, ingress ? "fromCIDR" : "toCIDR"),
                *set = cl_get(r, ingress ? "fromCIDRSet" : "toCIDRSet");
    size_t n = (size_t)(cJSON_IsArray(plain) ? cJSON_GetArraySize(plain) : 0) +
        (size_t)(cJSON_IsArray(set) ? cJSON_GetArraySize(set) : 0);
    if ((!plain || cJSON_IsNull(plain)) && (!set || cJSON_IsNull(set)))
        return 0;
    out->has_cidr = true;
    if (!(out->cidrs = calloc(n + 1, sizeof(*out->cidrs))))
        return k8s_room(cx);
    k8s_rpath(p, path, ingress ? "fromCIDR" : "toCIDR");
    if (plain && !cJSON_IsNull(plain) && !cJSON_IsArray(plain))
        return k8s_rfail(cx, p, "must be a list of CIDRs");
    size_t i = 0;
    for (const cJSON *c = plain ? plain->child : NULL; c; c = c->next, i++) {
        k8s_rindex(q, p, i);
        if (!cJSON_IsString(c) ||
            cidr_parse_masked(c->valuestring, &out->cidrs[out->n_cidrs].cidr, err, sizeof(err)))
            return k8s_rfail(cx, q, "must be a CIDR (10.0.0.0/8, 2001:db8::/32)");
        out->n_cidrs++;
    }
    k8s_rpath(p, path, ingress ? "fromCIDRSet" : "toCIDRSet");
    if (set && !cJSON_IsNull(set) && !cJSON_IsArray(set))
        return k8s_rfail(cx, p, "must be a list of {cidr, except}");
    i = 0;
    for (const cJSON *c = set ? set->child : NULL; c; c = c->next, i++) {
        cil_cidr_t *cc = &out->cidrs[out->n_cidrs++];
        k8s_rindex(q, p, i);
        const cJSON *cidr = cl_get(c, "cidr"), *ex = cl_get(c, "except");
        k8s_rpath(f, q, "cidr");
        if (!cJSON_IsString(cidr) || cidr_parse_masked(cidr->valuestring, &cc->cidr, err, sizeof(err)))
            return k8s_rfail(cx, f, "required: a CIDR (10.0.0.0/8, 2001:db8::/32)");
        k8s_rpath(f, q, "except");
        if (!(cc->except = k8s_rlist(cx, ex, f, "must be a list of CIDRs", sizeof(*cc->except)))) {
            if (cx->rc)
                return cx->rc;
            continue; /* no except */
        }
        size_t j = 0;
        for (const cJSON *e = ex->child; e; e = e->next, j++) {
            char g[K8S_PATH_LEN];
            k8s_rindex(g, f, j);
            cidr_t *x = &cc->except[cc->n_except];
            if (!cJSON_IsString(e) || cidr_parse_masked(e->valuestring, x, err, sizeof(err)))
                return k8s_rfail(cx, g, "must be a CIDR");
            if (x->net.family != cc->cidr.net.family || x->prefix < cc->cidr.prefix ||
                !cidr_contains(&cc->cidr, &x->net))
                return k8s_rfail(cx, g, "must lie inside cidr");
            cc->n_except++;
        }
    }
    return 0;
}

static int cl_entities(k8s_rctx_t *cx, const cJSON *v, const char *path, cil_rule_t *out)
{
    static const struct {
        const char *name;
        unsigned bit;
    } ents[] = {{"all", CIL_ENT_ALL},
                {"world", CIL_ENT_WORLD},
                {"world-ipv4", CIL_ENT_WORLD_V4},
                {"world-ipv6", CIL_ENT_WORLD_V6},
                {"cluster", CIL_ENT_CLUSTER},
                {"host", CIL_ENT_HOST},
                {"remote-node", CIL_ENT_REMOTE_NODE},
                {"kube-apiserver", CIL_ENT_KUBE_APISERVER},
                {"health", CIL_ENT_HEALTH},
                {"init", CIL_ENT_INIT},
                {"ingress", CIL_ENT_INGRESS},
                {"unmanaged", CIL_ENT_UNMANAGED},
                {"none", CIL_ENT_NONE}};
    char q[K8S_PATH_LEN];
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsArray(v))
        return k8s_rfail(cx, path, "must be a list of entities");
    out->has_entities = true;
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        k8s_rindex(q, path, i);
        size_t k = 0;
        while (cJSON_IsString(c) && k < sizeof(ents) / sizeof(ents[0]) &&
               strcmp(ents[k].name, c->valuestring) != 0)
            k++;
        if (!cJSON_IsString(c) || k == sizeof(ents) / sizeof(ents[0]))
            return k8s_rfail(
                cx, q,
                "must be an entity: all, world, world-ipv4, world-ipv6, cluster, host, remote-node, "
                "kube-apiserver, health, init, ingress, unmanaged, none");
        out->entities |= ents[k].bit;
    }
    return 0;
}

/* toFQDNs and rules.dns entries: matchName / matchPattern. */
static int cl_names(k8s_rctx_t *cx, const cJSON *v, const char *path, char ***names, size_t *nn, char ***pats,
                    size_t *np)
{
    char q[K8S_PATH_LEN], f[K8S_PATH_LEN];
    size_t n = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 0;
    if (v && !cJSON_IsNull(v) && !cJSON_IsArray(v))
        return k8s_rfail(cx, path, "must be a list of {matchName | matchPattern}");
    if (!(*names = calloc(n + 1, sizeof(char *))) || !(*pats = calloc(n + 1, sizeof(char *))))
        return k8s_room(cx);
    size_t i = 0;
    for (const cJSON *c = v ? v->child : NULL; c; c = c->next, i++) {
        k8s_rindex(q, path, i);
        const cJSON *mn = cl_get(c, "matchName"), *mp = cl_get(c, "matchPattern");
        if (!cJSON_IsString(mn) && !cJSON_IsString(mp))
            return k8s_rfail(cx, q, "required: matchName or matchPattern (a string)");
        k8s_rpath(f, q, mn ? "matchName" : "matchPattern");
        if ((mn && !cJSON_IsString(mn)) || (mp && !cJSON_IsString(mp)))
            return k8s_rfail(cx, f, "must be a string");
        if (cJSON_IsString(mn) && !((*names)[(*nn)++] = strdup(mn->valuestring)))
            return k8s_room(cx);
        if (cJSON_IsString(mp) && !((*pats)[(*np)++] = strdup(mp->valuestring)))
            return k8s_room(cx);
    }
    return 0;
}

static int cl_rule(k8s_rctx_t *cx, const cJSON *r, const char *path, int list, cil_rule_t *out)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN];
    bool ingress = list == CIL_INGRESS || list == CIL_INGRESS_DENY;
    bool deny = list == CIL_INGRESS_DENY || list == CIL_EGRESS_DENY;
    if (!cJSON_IsObject(r))
        return k8s_rfail(cx, path, "must be a rule (a mapping)");
    const char *ek = ingress ? "fromEndpoints" : "toEndpoints";
    const cJSON *eps = cl_get(r, ek);
    k8s_rpath(p, path, ek);
    if (eps && !cJSON_IsNull(eps)) {
        out->has_endpoints = true;
        if (!(out->endpoints = k8s_rlist(cx, eps, p, "must be a list of endpoint selectors",
                                         sizeof(*out->endpoints))))
            return cx->rc;
        size_t i = 0;
        for (const cJSON *c = eps->child; c; c = c->next, i++) {
            k8s_rindex(q, p, i);
            if (!cJSON_IsObject(c))
                return k8s_rfail(cx, q, "must be a label selector (matchLabels, matchExpressions)");
            if (cl_selector(cx, c, q, &out->endpoints[out->n_endpoints++]) != 0)
                return cx->rc;
        }
    }
    if (cl_cidrs(cx, r, path, ingress, out) != 0)
        return cx->rc;
    k8s_rpath(p, path, ingress ? "fromEntities" : "toEntities");
    if (cl_entities(cx, cl_get(r, ingress ? "fromEntities" : "toEntities"), p, out) != 0)
        return cx->rc;
    const cJSON *fq = cl_get(r, "toFQDNs");
    k8s_rpath(p, path, "toFQDNs");
    if (fq && !cJSON_IsNull(fq)) {
        if (deny)
            return k8s_rfail(cx, p, "toFQDNs is not supported in deny rules");
        out->has_fqdn = true;
        if (cl_names(cx, fq, p, &out->fqdn_names, &out->n_fqdn_names, &out->fqdn_patterns,
                     &out->n_fqdn_patterns) != 0)
            return cx->rc;
    }
    int kinds = out->has_endpoints + out->has_cidr + out->has_entities + out->has_fqdn;
    if (kinds > 1)
        return k8s_rfail(cx, path, "one rule takes one kind of peer (endpoints, CIDRs, entities or FQDNs)");
    k8s_rpath(p, path, "toPorts");
    if (k8s_read_cilium_toports(cx, cl_get(r, "toPorts"), p, deny, out) != 0)
        return cx->rc;
    const cJSON *ic = cl_get(r, "icmps");
    out->icmp_only = ic && !cJSON_IsNull(ic) && !out->has_toports;
    return 0;
}

static int cl_spec(k8s_rctx_t *cx, const cJSON *spec, const char *path, const char *name)
{
    static const char *const keys[] = {"ingress", "ingressDeny", "egress", "egressDeny"};
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN];
    cil_policy_t *pol = cil_model_add_policy(&cx->m->cilium);
    if (!pol || !(pol->name = strdup(name)) || !(pol->kind = strdup(cx->kind)))
        return k8s_room(cx);
    pol->clusterwide = strcmp(cx->kind, "CiliumClusterwideNetworkPolicy") == 0;
    if (!pol->clusterwide && k8s_model_namespace(cx->m, cx->ns, &pol->ns) != 0)
        return k8s_room(cx);
    if (!cJSON_IsObject(spec))
        return k8s_rfail(cx, path, "required: a mapping (endpointSelector, ingress, egress, ...)");
    const cJSON *es = cl_get(spec, "endpointSelector"), *ns = cl_get(spec, "nodeSelector");
    k8s_rpath(p, path, ns && !es ? "nodeSelector" : "endpointSelector");
    if ((!es || cJSON_IsNull(es)) == (!ns || cJSON_IsNull(ns)))
        return k8s_rfail(cx, p, "exactly one of endpointSelector and nodeSelector is required");
    pol->node_selector = ns && !cJSON_IsNull(ns);
    if (pol->node_selector && !pol->clusterwide)
        return k8s_rfail(cx, p, "nodeSelector is only for CiliumClusterwideNetworkPolicy");
    if (cl_selector(cx, pol->node_selector ? ns : es, p, &pol->selector) != 0)
        return cx->rc;
    pol->default_deny_ingress = pol->default_deny_egress = true;
    const cJSON *edd = cl_get(spec, "enableDefaultDeny");
    for (int d = 0; d < 2; d++) {
        const cJSON *b = cl_get(edd, d ? "egress" : "ingress");
        k8s_rpath(p, path, d ? "enableDefaultDeny.egress" : "enableDefaultDeny.ingress");
        if (b && !cJSON_IsNull(b) && !cJSON_IsBool(b))
            return k8s_rfail(cx, p, "must be true or false");
        if (cJSON_IsFalse(b))
            *(d ? &pol->default_deny_egress : &pol->default_deny_ingress) = false;
    }
    for (int k = 0; k < 4; k++) {
        const cJSON *v = cl_get(spec, keys[k]);
        k8s_rpath(p, path, keys[k]);
        if (!(pol->rules[k] = k8s_rlist(cx, v, p, "must be a list of rules", sizeof(cil_rule_t))))
            continue;
        size_t i = 0;
        for (const cJSON *r = v->child; r; r = r->next, i++) {
            k8s_rindex(q, p, i);
            if (cl_rule(cx, r, q, k, &pol->rules[k][pol->n_rules[k]++]) != 0)
                return cx->rc;
        }
    }
    return cx->rc;
}

int k8s_read_cilium(k8s_rctx_t *cx, const cJSON *obj, const char *path)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "specs", "status", NULL};
    char where[K8S_PATH_LEN], why[K8S_PATH_LEN + 64], p[K8S_PATH_LEN], name[300];
    if (strcmp(cx->kind, "CiliumClusterwideNetworkPolicy") == 0)
        cx->ns = NULL;
    const cJSON *spec = cl_get(obj, "spec"), *specs = cl_get(obj, "specs");
    bool foreign = cl_unknown(obj, top, "", where) || cl_foreign_spec(spec, "spec", where);
    size_t i = 0;
    for (const cJSON *s = cJSON_IsArray(specs) ? specs->child : NULL; s && !foreign; s = s->next, i++) {
        k8s_rindex(p, "specs", i);
        foreign = cl_foreign_spec(s, p, where);
    }
    if (foreign) {
        snprintf(why, sizeof(why), "field %s is not evaluated for Cilium policies", where);
        return k8s_read_foreign(cx, why);
    }
    if (!spec && !specs) {
        k8s_rpath(p, path, "spec");
        return k8s_rfail(cx, p, "required: spec or specs");
    }
    if (spec && !cJSON_IsNull(spec)) {
        k8s_rpath(p, path, "spec");
        if (cl_spec(cx, spec, p, cx->name) != 0)
            return cx->rc;
    }
    k8s_rpath(p, path, "specs");
    if (specs && !cJSON_IsNull(specs) && !cJSON_IsArray(specs))
        return k8s_rfail(cx, p, "must be a list of rules");
    i = 0;
    for (const cJSON *s = specs ? specs->child : NULL; s; s = s->next, i++) {
        char q[K8S_PATH_LEN];
        k8s_rindex(q, p, i);
        snprintf(name, sizeof(name), "%.250s[%zu]", cx->name, i);
        if (cl_spec(cx, s, q, name) != 0)
            return cx->rc;
    }
    return 0;
}
