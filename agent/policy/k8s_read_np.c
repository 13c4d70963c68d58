/* k8s_read_np.c: NetworkPolicy objects (networking.k8s.io/v1) into the model, and the policy
 * kinds the evaluator does not understand. A NetworkPolicy with a field v1 does not have is
 * from a newer API: it is set aside as foreign (answers it touches become unknown) rather
 * than read in part, which could give a confident wrong answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "k8s_read_int.h"

bool k8s_read_is_foreign(const char *kind, const char *api)
{
    if (strcmp(kind, "NetworkPolicy") == 0)
        return strcmp(api, "networking.k8s.io/v1") != 0; /* Calico's, Antrea's, ... */
    return strstr(kind, "NetworkPolicy") != NULL || strcmp(kind, "GlobalNetworkSet") == 0 ||
        strcmp(kind, "NetworkSet") == 0; /* Calico rule selectors may pick their nets */
}

int k8s_read_foreign(k8s_rctx_t *cx, const char *why)
{
    static const char *const cluster[] = {"AdminNetworkPolicy",
                                          "BaselineAdminNetworkPolicy",
                                          "CiliumClusterwideNetworkPolicy",
                                          "GlobalNetworkPolicy",
                                          "ClusterNetworkPolicy",
                                          "GlobalNetworkSet",
                                          NULL};
    k8s_foreign_t *f = k8s_model_add_foreign(cx->m);
    if (!f || !(f->kind = strdup(cx->kind)) || !(f->name = strdup(cx->name ? cx->name : "(no name)")) ||
        !(f->why = strdup(why)))
        return k8s_room(cx);
    /* A namespaced kind without a namespace is taken as touching every namespace. */
    if (cx->ns && !config_json_in_list(cx->kind, cluster) && !(f->ns = strdup(cx->ns)))
        return k8s_room(cx);
    return 0;
}

static const cJSON *np_get(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

const char *k8s_unknown_key(const cJSON *obj, const char *const *allowed)
{
    for (const cJSON *c = cJSON_IsObject(obj) ? obj->child : NULL; c; c = c->next)
        if (!config_json_in_list(c->string, allowed))
            return c->string;
    return NULL;
}

/* Finds a field v1 does not define; writes its path into where. */
static bool np_newer_api(const cJSON *obj, char *where)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const spec_k[] = {"podSelector", "policyTypes", "ingress", "egress", NULL};
    static const char *const in_k[] = {"from", "ports", NULL};
    static const char *const eg_k[] = {"to", "ports", NULL};
    static const char *const peer_k[] = {"podSelector", "namespaceSelector", "ipBlock", NULL};
    static const char *const port_k[] = {"protocol", "port", "endPort", NULL};
    const char *k;
    if ((k = k8s_unknown_key(obj, top))) {
        k8s_rpath(where, "", k);
        return true;
    }
    const cJSON *spec = np_get(obj, "spec");
    if ((k = k8s_unknown_key(spec, spec_k))) {
        k8s_rpath(where, "spec", k);
        return true;
    }
    for (int d = 0; d < 2; d++) {
        const char *dir = d ? "egress" : "ingress", *peers = d ? "to" : "from";
        const cJSON *rules = np_get(spec, dir);
        size_t i = 0;
        for (const cJSON *r = cJSON_IsArray(rules) ? rules->child : NULL; r; r = r->next, i++) {
            char rp[K8S_PATH_LEN], p[K8S_PATH_LEN];
            snprintf(rp, sizeof(rp), "spec.%s[%zu]", dir, i);
            if ((k = k8s_unknown_key(r, d ? eg_k : in_k))) {
                k8s_rpath(where, rp, k);
                return true;
            }
            const cJSON *list = np_get(r, peers);
            size_t j = 0;
            for (const cJSON *e = cJSON_IsArray(list) ? list->child : NULL; e; e = e->next, j++) {
                if ((k = k8s_unknown_key(e, peer_k))) {
                    k8s_rpath(p, rp, peers);
                    k8s_rindex(p, p, j);
                    k8s_rpath(where, p, k);
                    return true;
                }
            }
            list = np_get(r, "ports");
            j = 0;
            for (const cJSON *e = cJSON_IsArray(list) ? list->child : NULL; e; e = e->next, j++) {
                if ((k = k8s_unknown_key(e, port_k))) {
                    k8s_rpath(p, rp, "ports");
                    k8s_rindex(p, p, j);
                    k8s_rpath(where, p, k);
                    return true;
                }
            }
        }
    }
    return false;
}

static int np_strings(k8s_rctx_t *cx, const cJSON *v, const char *path, char ***out, size_t *n)
{
    char p[K8S_PATH_LEN];
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsArray(v))
        return k8s_rfail(cx, path, "must be a list of strings");
    size_t cnt = (size_t)cJSON_GetArraySize(v), i = 0;
    if (!(*out = calloc(cnt ? cnt : 1, sizeof(char *))))
        return k8s_room(cx);
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        k8s_rindex(p, path, i);
        if (!cJSON_IsString(c))
            return k8s_rfail(cx, p, "must be a string");
        if (!((*out)[(*n)++] = strdup(c->valuestring)))
            return k8s_room(cx);
    }
    return 0;
}

int k8s_rselector(k8s_rctx_t *cx, const cJSON *v, const char *path, k8s_selector_t *s)
{
    static const char *const keys[] = {"matchLabels", "matchExpressions", NULL};
    static const char *const req_keys[] = {"key", "operator", "values", NULL};
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN], f[K8S_PATH_LEN];
    const char *k;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsObject(v))
        return k8s_rfail(cx, path, "must be a label selector (matchLabels, matchExpressions)");
    if ((k = k8s_unknown_key(v, keys))) {
        k8s_rpath(p, path, k);
        return k8s_rfail(cx, p, "unknown field (a selector has matchLabels and matchExpressions)");
    }
    k8s_rpath(p, path, "matchLabels");
    if (k8s_rlabels(cx, np_get(v, "matchLabels"), p, &s->match) != 0)
        return cx->rc;
    const cJSON *ex = np_get(v, "matchExpressions");
    k8s_rpath(p, path, "matchExpressions");
    if (!(s->exprs = k8s_rlist(cx, ex, p, "must be a list of {key, operator, values}", sizeof(*s->exprs))))
        return cx->rc;
    size_t i = 0;
    for (const cJSON *c = ex->child; c; c = c->next, i++) {
        k8s_requirement_t *r = &s->exprs[s->n_exprs++];
        k8s_rindex(q, p, i);
        if (!cJSON_IsObject(c))
            return k8s_rfail(cx, q, "must be a mapping {key, operator, values}");
        if ((k = k8s_unknown_key(c, req_keys))) {
            k8s_rpath(f, q, k);
            return k8s_rfail(cx, f, "unknown field (a requirement has key, operator, values)");
        }
        const cJSON *key = np_get(c, "key"), *op = np_get(c, "operator");
        k8s_rpath(f, q, "key");
        if (!cJSON_IsString(key) || !*key->valuestring)
            return k8s_rfail(cx, f, "required: a label key");
        if (!(r->key = strdup(key->valuestring)))
            return k8s_room(cx);
        k8s_rpath(f, q, "operator");
        const char *ops = cJSON_IsString(op) ? op->valuestring : "";
        if (strcmp(ops, "In") == 0)
            r->op = K8S_OP_IN;
        else if (strcmp(ops, "NotIn") == 0)
            r->op = K8S_OP_NOT_IN;
        else if (strcmp(ops, "Exists") == 0)
            r->op = K8S_OP_EXISTS;
        else if (strcmp(ops, "DoesNotExist") == 0)
            r->op = K8S_OP_DOES_NOT_EXIST;
        else
            return k8s_rfail(cx, f, "must be In, NotIn, Exists or DoesNotExist");
        k8s_rpath(f, q, "values");
        if (np_strings(cx, np_get(c, "values"), f, &r->values, &r->n_values) != 0)
            return cx->rc;
        bool set_op = r->op == K8S_OP_IN || r->op == K8S_OP_NOT_IN;
        if (set_op && r->n_values == 0)
            return k8s_rfail(cx, f, "must not be empty with %s", ops);
        if (!set_op && r->n_values > 0)
            return k8s_rfail(cx, f, "must be empty with %s", ops);
    }
    return 0;
}

static int np_ipblock(k8s_rctx_t *cx, const cJSON *v, const char *path, k8s_ipblock_t *ib)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN], why[128];
    if (!cJSON_IsObject(v))
        return k8s_rfail(cx, path, "must be a mapping {cidr, except}");
    const cJSON *c = np_get(v, "cidr"), *ex = np_get(v, "except");
    k8s_rpath(p, path, "cidr");
    if (!cJSON_IsString(c))
        return k8s_rfail(cx, p, "required: a CIDR block");
    if (cidr_parse_masked(c->valuestring, &ib->cidr, why, sizeof(why)) != 0)
        return k8s_rfail(cx, p, "%s", why);
    if (!strchr(c->valuestring, '/'))
        return k8s_rfail(cx, p, "must be a CIDR block (address/prefix)");
    k8s_rpath(p, path, "except");
    if (!(ib->except = k8s_rlist(cx, ex, p, "must be a list of CIDR blocks", sizeof(cidr_t))))
        return cx->rc;
    size_t i = 0;
    for (const cJSON *e = ex->child; e; e = e->next, i++) {
        cidr_t *x = &ib->except[ib->n_except++];
        k8s_rindex(q, p, i);
        if (!cJSON_IsString(e) || cidr_parse_masked(e->valuestring, x, why, sizeof(why)) != 0)
            return k8s_rfail(cx, q, "%s", cJSON_IsString(e) ? why : "must be a CIDR block");
        if (x->net.family != ib->cidr.net.family || x->prefix <= ib->cidr.prefix ||
            !cidr_contains(&ib->cidr, &x->net))
            return k8s_rfail(cx, q, "must lie strictly inside cidr");
    }
    return 0;
}

static int np_port(k8s_rctx_t *cx, const cJSON *v, const char *path, k8s_np_port_t *pt)
{
    char p[K8S_PATH_LEN];
    if (!cJSON_IsObject(v))
        return k8s_rfail(cx, path, "must be a mapping {protocol, port, endPort}");
    k8s_rpath(p, path, "protocol");
    if (k8s_rproto(cx, np_get(v, "protocol"), p, &pt->proto) != 0)
        return cx->rc;
    const cJSON *port = np_get(v, "port"), *end = np_get(v, "endPort");
    k8s_rpath(p, path, "port");
    if (!port || cJSON_IsNull(port)) {
        pt->kind = K8S_PORT_ANY;
    } else if (cJSON_IsString(port)) {
        if (!k8s_port_name_ok(port->valuestring))
            return k8s_rfail(cx, p, "must be a number or an IANA port name");
        pt->kind = K8S_PORT_NAME;
        if (!(pt->name = strdup(port->valuestring)))
            return k8s_room(cx);
    } else {
        if (!cJSON_IsNumber(port) || k8s_rint(cx, port, p, 1, 65535, &pt->port) != 0) {
            cx->rc = 0;
            return k8s_rfail(cx, p, "must be a number or an IANA port name");
        }
        pt->kind = K8S_PORT_NUMBER;
    }
    k8s_rpath(p, path, "endPort");
    if (!end || cJSON_IsNull(end))
        return 0;
    if (pt->kind != K8S_PORT_NUMBER)
        return k8s_rfail(cx, p, "needs a numeric port");
    if (k8s_rint(cx, end, p, 1, 65535, &pt->end_port) != 0)
        return cx->rc;
    if (pt->end_port < pt->port)
        return k8s_rfail(cx, p, "must be at least port (%d)", pt->port);
    return 0;
}

static int np_rule(k8s_rctx_t *cx, const cJSON *v, const char *path, const char *peers, k8s_rule_t *r)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN], f[K8S_PATH_LEN];
    if (!cJSON_IsObject(v))
        return k8s_rfail(cx, path, "must be a mapping {%s, ports}", peers);
    const cJSON *list = np_get(v, peers);
    k8s_rpath(p, path, peers);
    r->peers = k8s_rlist(cx, list, p, "must be a list of peers", sizeof(*r->peers));
    if (cx->rc != 0)
        return cx->rc;
    size_t i = 0;
    for (const cJSON *e = list ? list->child : NULL; e; e = e->next, i++) {
        k8s_peer_t *pe = &r->peers[r->n_peers++];
        k8s_rindex(q, p, i);
        if (!cJSON_IsObject(e))
            return k8s_rfail(cx, q, "must be a mapping (podSelector, namespaceSelector or ipBlock)");
        const cJSON *ps = np_get(e, "podSelector"), *ns = np_get(e, "namespaceSelector"),
                    *ib = np_get(e, "ipBlock");
        pe->has_pod = ps && !cJSON_IsNull(ps);
        pe->has_ns = ns && !cJSON_IsNull(ns);
        pe->has_ipblock = ib && !cJSON_IsNull(ib);
        if (!pe->has_pod && !pe->has_ns && !pe->has_ipblock)
            return k8s_rfail(cx, q, "must have podSelector, namespaceSelector or ipBlock");
        if (pe->has_ipblock && (pe->has_pod || pe->has_ns))
            return k8s_rfail(cx, q, "ipBlock cannot be combined with a selector");
        k8s_rpath(f, q, "podSelector");
        if (k8s_rselector(cx, ps, f, &pe->pod) != 0)
            return cx->rc;
        k8s_rpath(f, q, "namespaceSelector");
        if (k8s_rselector(cx, ns, f, &pe->nsel) != 0)
            return cx->rc;
        k8s_rpath(f, q, "ipBlock");
        if (pe->has_ipblock && np_ipblock(cx, ib, f, &pe->ipblock) != 0)
            return cx->rc;
    }
    list = np_get(v, "ports");
    k8s_rpath(p, path, "ports");
    r->ports = k8s_rlist(cx, list, p, "must be a list of ports", sizeof(*r->ports));
    if (cx->rc != 0)
        return cx->rc;
    i = 0;
    for (const cJSON *e = list ? list->child : NULL; e; e = e->next, i++) {
        k8s_rindex(q, p, i);
        if (np_port(cx, e, q, &r->ports[r->n_ports++]) != 0)
            return cx->rc;
    }
    return 0;
}

static int np_rules(k8s_rctx_t *cx, const cJSON *spec, const char *path, bool egress, k8s_rule_t **out,
                    size_t *n)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN];
    const char *key = egress ? "egress" : "ingress";
    const cJSON *v = np_get(spec, key);
    k8s_rpath(p, path, key);
    if (!(*out = k8s_rlist(cx, v, p, "must be a list of rules", sizeof(k8s_rule_t))))
        return cx->rc;
    size_t i = 0;
    for (const cJSON *r = v->child; r; r = r->next, i++) {
        k8s_rindex(q, p, i);
        (*n)++;
        if (np_rule(cx, r, q, egress ? "to" : "from", &(*out)[*n - 1]) != 0)
            return cx->rc;
    }
    return 0;
}

int k8s_read_policy(k8s_rctx_t *cx, const cJSON *obj, const char *path, const char *api)
{
    char p[K8S_PATH_LEN], where[K8S_PATH_LEN], why[K8S_PATH_LEN + 64];
    (void)api;
    if (np_newer_api(obj, where)) {
        snprintf(why, sizeof(why), "field %s is not in networking.k8s.io/v1", where);
        return k8s_read_foreign(cx, why);
    }
    size_t ns;
    if (k8s_model_namespace(cx->m, cx->ns, &ns) != 0)
        return k8s_room(cx);
    k8s_policy_t *pol = k8s_model_add_policy(cx->m);
    if (!pol || !(pol->name = strdup(cx->name)))
        return k8s_room(cx);
    pol->ns = ns;
    const cJSON *spec = np_get(obj, "spec");
    k8s_rpath(p, path, "spec");
    if (!cJSON_IsObject(spec))
        return k8s_rfail(cx, p, "required: a mapping");
    const cJSON *ps = np_get(spec, "podSelector");
    k8s_rpath(p, path, "spec.podSelector");
    if (k8s_rselector(cx, ps, p, &pol->pod_selector) != 0)
        return cx->rc;
    k8s_rpath(p, path, "spec");
    if (np_rules(cx, spec, p, false, &pol->ingress, &pol->n_ingress) != 0 ||
        np_rules(cx, spec, p, true, &pol->egress, &pol->n_egress) != 0)
        return cx->rc;
    const cJSON *types = np_get(spec, "policyTypes");
    k8s_rpath(p, path, "spec.policyTypes");
    int rc = k8s_rdirections(cx, types, p, &pol->ingress_type, &pol->egress_type);
    if (rc == 1) {
        /* The API server's default: Ingress, plus Egress when there are egress rules. */
        pol->ingress_type = true;
        pol->egress_type = pol->n_egress > 0;
        return 0;
    }
    return rc;
}
