/* k8s_read_calico.c: Calico's NetworkPolicy and GlobalNetworkPolicy (projectcalico.org/v3 and
 * the CRD form crd.projectcalico.org/v1), Tier, and ServiceAccounts into the model. A field
 * this reader does not know (an `http` match, `services` peers, a newer API's field) sets the
 * object aside as foreign (answers it touches become unknown), never read in part. Staged
 * policies never change traffic and are counted as skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "k8s_read_int.h"

static const cJSON *cr_get(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static bool cr_api(const char *api)
{
    return strcmp(api, "projectcalico.org/v3") == 0 || strcmp(api, "crd.projectcalico.org/v1") == 0;
}

bool k8s_read_is_calico(const char *kind, const char *api)
{
    static const char *const kinds[] = {"NetworkPolicy",
                                        "GlobalNetworkPolicy",
                                        "Tier",
                                        "StagedNetworkPolicy",
                                        "StagedGlobalNetworkPolicy",
                                        "StagedKubernetesNetworkPolicy",
                                        NULL};
    return (cr_api(api) && config_json_in_list(kind, kinds)) ||
        (strcmp(kind, "ServiceAccount") == 0 && strcmp(api, "v1") == 0);
}

/* The first key of obj not in allowed, as a path under parent; false when none. */
static bool cr_unknown(const cJSON *obj, const char *const *allowed, const char *parent, char *where)
{
    for (const cJSON *c = cJSON_IsObject(obj) ? obj->child : NULL; c; c = c->next)
        if (!config_json_in_list(c->string, allowed)) {
            k8s_rpath(where, parent, c->string);
            return true;
        }
    return false;
}

/* Finds a field this reader does not evaluate; writes its path into where. */
static bool cr_foreign_field(const cJSON *obj, bool global, char *where)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const spec_np[] = {"order",
                                          "tier",
                                          "selector",
                                          "types",
                                          "ingress",
                                          "egress",
                                          "serviceAccountSelector",
                                          "performanceHints",
                                          NULL};
    static const char *const spec_gnp[] = {"order",
                                           "tier",
                                           "selector",
                                           "types",
                                           "ingress",
                                           "egress",
                                           "serviceAccountSelector",
                                           "performanceHints",
                                           "namespaceSelector",
                                           "doNotTrack",
                                           "preDNAT",
                                           "applyOnForward",
                                           NULL};
    static const char *const rule_k[] = {"action",    "protocol", "notProtocol", "icmp",     "notICMP",
                                         "ipVersion", "source",   "destination", "metadata", NULL};
    static const char *const ent_k[] = {"nets",        "notNets",           "selector",
                                        "notSelector", "namespaceSelector", "ports",
                                        "notPorts",    "serviceAccounts",   NULL};
    static const char *const sa_k[] = {"names", "selector", NULL};
    if (cr_unknown(obj, top, "", where))
        return true;
    const cJSON *spec = cr_get(obj, "spec");
    if (cr_unknown(spec, global ? spec_gnp : spec_np, "spec", where))
        return true;
    for (int d = 0; d < 2; d++) {
        const cJSON *rules = cr_get(spec, d ? "egress" : "ingress");
        size_t i = 0;
        for (const cJSON *r = cJSON_IsArray(rules) ? rules->child : NULL; r; r = r->next, i++) {
            char rp[K8S_PATH_LEN], ep[K8S_PATH_LEN];
            snprintf(rp, sizeof(rp), "spec.%s[%zu]", d ? "egress" : "ingress", i);
            if (cr_unknown(r, rule_k, rp, where))
                return true;
            for (int e = 0; e < 2; e++) {
                const char *ek = e ? "destination" : "source";
                k8s_rpath(ep, rp, ek);
                const cJSON *ent = cr_get(r, ek);
                if (cr_unknown(ent, ent_k, ep, where))
                    return true;
                k8s_rpath(ep, ep, "serviceAccounts");
                if (cr_unknown(cr_get(ent, "serviceAccounts"), sa_k, ep, where))
                    return true;
            }
        }
    }
    return false;
}

/* A selector string into *out (absent or null: NULL, which callers read as "not given"). */
static int cr_selector(k8s_rctx_t *cx, const cJSON *v, const char *path, calsel_t **out)
{
    char err[256];
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v))
        return k8s_rfail(cx, path, "must be a selector string (e.g. app == 'web')");
    int rc = calsel_parse(v->valuestring, out, err, sizeof(err));
    if (rc == -2)
        return k8s_room(cx);
    return rc == 0 ? 0 : k8s_rfail(cx, path, "%s", err);
}

static int cr_protocol(k8s_rctx_t *cx, const cJSON *v, const char *path, int *out)
{
    static const struct {
        const char *name;
        int num;
    } names[] = {{"TCP", 6}, {"UDP", 17}, {"ICMP", 1}, {"ICMPv6", 58}, {"SCTP", 132}, {"UDPLite", 136}};
    *out = 0;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsNumber(v))
        return k8s_rint(cx, v, path, 1, 255, out);
    for (size_t i = 0; cJSON_IsString(v) && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(v->valuestring, names[i].name) == 0) {
            *out = names[i].num;
            return 0;
        }
    return k8s_rfail(cx, path, "must be TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1..255");
}

/* ports: 80, "8000:8080", or a named port. */
static int cr_ports(k8s_rctx_t *cx, const cJSON *v, const char *path, cal_port_t **out, size_t *n)
{
    char q[K8S_PATH_LEN];
    if (!(*out = k8s_rlist(cx, v, path, "must be a list of ports (80, \"8000:8080\" or a name)",
                           sizeof(**out))))
        return cx->rc;
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        cal_port_t *pt = &(*out)[(*n)++];
        k8s_rindex(q, path, i);
        if (cJSON_IsNumber(c)) {
            if (k8s_rint(cx, c, q, 0, 65535, &pt->lo) != 0)
                return cx->rc;
            pt->hi = pt->lo;
            continue;
        }
        if (!cJSON_IsString(c) || !*c->valuestring)
            return k8s_rfail(cx, q, "must be a port (80, \"8000:8080\" or a name)");
        unsigned lo, hi;
        char tail;
        const char *s = c->valuestring;
        if (s[0] >= '0' && s[0] <= '9') {
            int k = sscanf(s, "%u:%u%c", &lo, &hi, &tail);
            if (k == 1 && sscanf(s, "%u%c", &lo, &tail) == 1)
                hi = lo;
            else if (k != 2)
                return k8s_rfail(cx, q, "must be a port (80, \"8000:8080\" or a name)");
            if (lo > 65535 || hi > 65535 || lo > hi)
                return k8s_rfail(cx, q, "a port range must be LOW:HIGH within 0..65535");
            pt->lo = (int)lo;
            pt->hi = (int)hi;
            continue;
        }
        if (!(pt->name = strdup(s)))
            return k8s_room(cx);
    }
    return 0;
}

static int cr_nets(k8s_rctx_t *cx, const cJSON *v, const char *path, cidr_t **out, size_t *n)
{
    char q[K8S_PATH_LEN], err[128];
    if (!(*out = k8s_rlist(cx, v, path, "must be a list of CIDRs", sizeof(**out))))
        return cx->rc;
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        k8s_rindex(q, path, i);
        if (!cJSON_IsString(c) || cidr_parse_masked(c->valuestring, &(*out)[*n], err, sizeof(err)) != 0)
            return k8s_rfail(cx, q, "must be a CIDR (10.0.0.0/8, 2001:db8::/32)");
        (*n)++;
    }
    return 0;
}

static int cr_entity(k8s_rctx_t *cx, const cJSON *e, const char *path, cal_entity_t *out)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN];
    if (!e || cJSON_IsNull(e))
        return 0;
    if (!cJSON_IsObject(e))
        return k8s_rfail(cx, path, "must be a mapping (nets, selector, ports, ...)");
    k8s_rpath(p, path, "nets");
    if (cr_nets(cx, cr_get(e, "nets"), p, &out->nets, &out->n_nets) != 0)
        return cx->rc;
    k8s_rpath(p, path, "notNets");
    if (cr_nets(cx, cr_get(e, "notNets"), p, &out->not_nets, &out->n_not_nets) != 0)
        return cx->rc;
    static const char *const sels[] = {"selector", "notSelector", "namespaceSelector"};
    calsel_t **dst[] = {&out->selector, &out->not_selector, &out->ns_selector};
    for (size_t i = 0; i < 3; i++) {
        k8s_rpath(p, path, sels[i]);
        if (cr_selector(cx, cr_get(e, sels[i]), p, dst[i]) != 0)
            return cx->rc;
    }
    k8s_rpath(p, path, "ports");
    if (cr_ports(cx, cr_get(e, "ports"), p, &out->ports, &out->n_ports) != 0)
        return cx->rc;
    k8s_rpath(p, path, "notPorts");
    if (cr_ports(cx, cr_get(e, "notPorts"), p, &out->not_ports, &out->n_not_ports) != 0)
        return cx->rc;
    const cJSON *sa = cr_get(e, "serviceAccounts");
    k8s_rpath(p, path, "serviceAccounts");
    if (!sa || cJSON_IsNull(sa))
        return 0;
    if (!cJSON_IsObject(sa))
        return k8s_rfail(cx, p, "must be a mapping (names, selector)");
    out->has_sa = true;
    k8s_rpath(q, p, "selector");
    if (cr_selector(cx, cr_get(sa, "selector"), q, &out->sa_selector) != 0)
        return cx->rc;
    const cJSON *names = cr_get(sa, "names");
    k8s_rpath(q, p, "names");
    if (!(out->sa_names = k8s_rlist(cx, names, q, "must be a list of ServiceAccount names", sizeof(char *))))
        return cx->rc;
    size_t i = 0;
    for (const cJSON *c = names->child; c; c = c->next, i++) {
        char r[K8S_PATH_LEN];
        k8s_rindex(r, q, i);
        if (!cJSON_IsString(c))
            return k8s_rfail(cx, r, "must be a string");
        if (!(out->sa_names[out->n_sa_names++] = strdup(c->valuestring)))
            return k8s_room(cx);
    }
    return 0;
}

static int cr_rule(k8s_rctx_t *cx, const cJSON *r, const char *path, cal_rule_t *out)
{
    static const char *const actions[] = {"Allow", "Deny", "Pass", "Log", NULL};
    char p[K8S_PATH_LEN];
    if (!cJSON_IsObject(r))
        return k8s_rfail(cx, path, "must be a rule (action, source, destination, ...)");
    const cJSON *a = cr_get(r, "action");
    k8s_rpath(p, path, "action");
    size_t k = 0;
    while (cJSON_IsString(a) && actions[k] && strcmp(actions[k], a->valuestring) != 0)
        k++;
    if (!cJSON_IsString(a) || !actions[k])
        return k8s_rfail(cx, p, "required: Allow, Deny, Pass or Log");
    out->action = (cal_action_t)k;
    k8s_rpath(p, path, "protocol");
    if (cr_protocol(cx, cr_get(r, "protocol"), p, &out->protocol) != 0)
        return cx->rc;
    k8s_rpath(p, path, "notProtocol");
    if (cr_protocol(cx, cr_get(r, "notProtocol"), p, &out->not_protocol) != 0)
        return cx->rc;
    const cJSON *ipv = cr_get(r, "ipVersion");
    k8s_rpath(p, path, "ipVersion");
    if (ipv && !cJSON_IsNull(ipv) &&
        (k8s_rint(cx, ipv, p, 4, 6, &out->ip_version) != 0 || out->ip_version == 5))
        return k8s_rfail(cx, p, "must be 4 or 6");
    k8s_rpath(p, path, "source");
    if (cr_entity(cx, cr_get(r, "source"), p, &out->src) != 0)
        return cx->rc;
    k8s_rpath(p, path, "destination");
    if (cr_entity(cx, cr_get(r, "destination"), p, &out->dst) != 0)
        return cx->rc;
    bool ported = out->src.n_ports || out->src.n_not_ports || out->dst.n_ports || out->dst.n_not_ports;
    if (ported && out->protocol != 6 && out->protocol != 17 && out->protocol != 132 && out->protocol != 136)
        return k8s_rfail(cx, path, "ports and notPorts need protocol TCP, UDP, SCTP or UDPLite");
    return 0;
}

static int cr_rules(k8s_rctx_t *cx, const cJSON *spec, const char *key, const char *path, cal_rule_t **out,
                    size_t *n)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN];
    const cJSON *v = cr_get(spec, key);
    k8s_rpath(p, path, key);
    if (!(*out = k8s_rlist(cx, v, p, "must be a list of rules", sizeof(cal_rule_t))))
        return cx->rc;
    size_t i = 0;
    for (const cJSON *r = v->child; r; r = r->next, i++) {
        k8s_rindex(q, p, i);
        (*n)++;
        if (cr_rule(cx, r, q, &(*out)[*n - 1]) != 0)
            return cx->rc;
    }
    return 0;
}

static int cr_order(k8s_rctx_t *cx, const cJSON *v, const char *path, bool *has, double *order)
{
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsNumber(v))
        return k8s_rfail(cx, path, "must be a number");
    *has = true;
    *order = v->valuedouble;
    return 0;
}

static int cr_types(k8s_rctx_t *cx, const cJSON *spec, const char *path, cal_policy_t *pol)
{
    char p[K8S_PATH_LEN];
    const cJSON *types = cr_get(spec, "types");
    k8s_rpath(p, path, "types");
    int rc = k8s_rdirections(cx, types, p, &pol->ingress_type, &pol->egress_type);
    if (rc == 1) {
        /* Calico's default: Egress alone when there are only egress rules, else Ingress, and
         * Egress too when there are egress rules. */
        pol->egress_type = pol->n_egress > 0;
        pol->ingress_type = pol->n_ingress > 0 || pol->n_egress == 0;
        return 0;
    }
    return rc;
}

static int cr_policy(k8s_rctx_t *cx, const cJSON *obj, const char *path, bool global)
{
    char p[K8S_PATH_LEN];
    cal_policy_t *pol = cal_model_add_policy(&cx->m->calico);
    if (!pol || !(pol->name = strdup(cx->name)) || !(pol->kind = strdup(cx->kind)))
        return k8s_room(cx);
    pol->global = global;
    if (!global && k8s_model_namespace(cx->m, cx->ns, &pol->ns) != 0)
        return k8s_room(cx);
    const cJSON *spec = cr_get(obj, "spec");
    k8s_rpath(p, path, "spec");
    if (!cJSON_IsObject(spec))
        return k8s_rfail(cx, p, "required: a mapping");
    const cJSON *tier = cr_get(spec, "tier");
    k8s_rpath(p, path, "spec.tier");
    if (tier && !cJSON_IsNull(tier) && (!cJSON_IsString(tier) || !*tier->valuestring))
        return k8s_rfail(cx, p, "must be a tier name");
    if (!(pol->tier = strdup(cJSON_IsString(tier) ? tier->valuestring : CAL_DEFAULT_TIER)))
        return k8s_room(cx);
    k8s_rpath(p, path, "spec.order");
    if (cr_order(cx, cr_get(spec, "order"), p, &pol->has_order, &pol->order) != 0)
        return cx->rc;
    static const char *const sels[] = {"selector", "namespaceSelector", "serviceAccountSelector"};
    calsel_t **dst[] = {&pol->selector, &pol->ns_selector, &pol->sa_selector};
    for (size_t i = 0; i < 3; i++) {
        k8s_rpath(p, path, "spec");
        k8s_rpath(p, p, sels[i]);
        if (cr_selector(cx, cr_get(spec, sels[i]), p, dst[i]) != 0)
            return cx->rc;
    }
    for (int i = 0; i < 2; i++) {
        const cJSON *b = cr_get(spec, i ? "preDNAT" : "doNotTrack");
        pol->host_only = pol->host_only || cJSON_IsTrue(b);
    }
    k8s_rpath(p, path, "spec");
    if (cr_rules(cx, spec, "ingress", p, &pol->ingress, &pol->n_ingress) != 0 ||
        cr_rules(cx, spec, "egress", p, &pol->egress, &pol->n_egress) != 0)
        return cx->rc;
    return cr_types(cx, spec, p, pol);
}

static int cr_tier(k8s_rctx_t *cx, const cJSON *obj, const char *path)
{
    char p[K8S_PATH_LEN];
    if (cal_model_tier(&cx->m->calico, cx->name))
        return k8s_rfail(cx, path, "tier %s is declared twice", cx->name);
    cal_tier_t *t = cal_model_add_tier(&cx->m->calico);
    if (!t || !(t->name = strdup(cx->name)))
        return k8s_room(cx);
    t->default_action = CAL_DENY;
    const cJSON *spec = cr_get(obj, "spec");
    k8s_rpath(p, path, "spec.order");
    if (cr_order(cx, cr_get(spec, "order"), p, &t->has_order, &t->order) != 0)
        return cx->rc;
    const cJSON *da = cr_get(spec, "defaultAction");
    k8s_rpath(p, path, "spec.defaultAction");
    if (!da || cJSON_IsNull(da) || (cJSON_IsString(da) && strcmp(da->valuestring, "Deny") == 0))
        return 0;
    if (cJSON_IsString(da) && strcmp(da->valuestring, "Pass") == 0) {
        t->default_action = CAL_PASS;
        return 0;
    }
    return k8s_rfail(cx, p, "must be Deny or Pass");
}

static int cr_service_account(k8s_rctx_t *cx, const cJSON *obj, const char *path)
{
    char p[K8S_PATH_LEN];
    cal_sa_t *sa = cal_model_add_sa(&cx->m->calico);
    if (!sa || !(sa->name = strdup(cx->name)))
        return k8s_room(cx);
    if (k8s_model_namespace(cx->m, cx->ns, &sa->ns) != 0)
        return k8s_room(cx);
    k8s_rpath(p, path, "metadata.labels");
    return k8s_rlabels(cx, cr_get(cr_get(obj, "metadata"), "labels"), p, &sa->labels);
}

int k8s_read_calico(k8s_rctx_t *cx, const cJSON *obj, const char *path, const char *api)
{
    char where[K8S_PATH_LEN], why[K8S_PATH_LEN + 64];
    (void)api;
    if (strcmp(cx->kind, "ServiceAccount") == 0)
        return cr_service_account(cx, obj, path);
    if (strncmp(cx->kind, "Staged", 6) == 0) /* staged policies never change traffic */
        return k8s_model_count_skipped(cx->m, cx->kind) == 0 ? 0 : k8s_room(cx);
    if (strcmp(cx->kind, "Tier") == 0) {
        cx->ns = NULL;
        return cr_tier(cx, obj, path);
    }
    bool global = strcmp(cx->kind, "GlobalNetworkPolicy") == 0;
    if (cr_foreign_field(obj, global, where)) {
        snprintf(why, sizeof(why), "field %s is not evaluated for Calico policies", where);
        return k8s_read_foreign(cx, why);
    }
    if (global)
        cx->ns = NULL;
    return cr_policy(cx, obj, path, global);
}
