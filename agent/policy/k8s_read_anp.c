/* k8s_read_anp.c: the admin tiers' objects into the model: ClusterNetworkPolicy of
 * policy.networking.k8s.io/v1alpha2 and of networking.k8s.aws/v1alpha1 (the EKS twin: the
 * v1alpha1-style `ports`, no `nodes` peer, up to 100 rules and peers, domainNames for Accept
 * only), AdminNetworkPolicy and BaselineAdminNetworkPolicy of policy.networking.k8s.io/v1alpha1,
 * and Node objects (labels, IP addresses). The API's own validation (priority 0..1000, list
 * sizes, exactly one field where the API says so, port ranges, CIDRs, domain names) fails
 * with exit 2 and the path; a field the version does not define sets the object aside as
 * foreign (answers it could touch become unknown), as for NetworkPolicies. The rules, peers
 * and ports are read by k8s_read_anp_rule.c. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "k8s_read_int.h"

/* ---- the schema, for fields the version does not define --------------------------------- */

typedef struct anp_key {
    const char *key;
    const struct anp_key *sub; /* NULL: a leaf, or a selector (checked by its own reader) */
} anp_key_t;

static const anp_key_t K_RANGE[] = {{"start", NULL}, {"end", NULL}, {NULL, NULL}};
static const anp_key_t K_DPORT[] = {{"number", NULL}, {"range", K_RANGE}, {NULL, NULL}};
static const anp_key_t K_L4[] = {{"destinationPort", K_DPORT}, {NULL, NULL}};
static const anp_key_t K_PROTOCOL[] = {
    {"tcp", K_L4}, {"udp", K_L4}, {"sctp", K_L4}, {"destinationNamedPort", NULL}, {NULL, NULL}};
static const anp_key_t K_PNUM[] = {{"protocol", NULL}, {"port", NULL}, {NULL, NULL}};
static const anp_key_t K_PRANGE[] = {{"protocol", NULL}, {"start", NULL}, {"end", NULL}, {NULL, NULL}};
static const anp_key_t K_PORT[] = {
    {"portNumber", K_PNUM}, {"namedPort", NULL}, {"portRange", K_PRANGE}, {NULL, NULL}};
static const anp_key_t K_NSPOD[] = {{"namespaceSelector", NULL}, {"podSelector", NULL}, {NULL, NULL}};
static const anp_key_t K_SUBJECT[] = {{"namespaces", NULL}, {"pods", K_NSPOD}, {NULL, NULL}};
static const anp_key_t K_EG_ALL[] = {{"namespaces", NULL}, {"pods", K_NSPOD},     {"nodes", NULL},
                                     {"networks", NULL},   {"domainNames", NULL}, {NULL, NULL}};
static const anp_key_t K_EG_EKS[] = {
    {"namespaces", NULL}, {"pods", K_NSPOD}, {"networks", NULL}, {"domainNames", NULL}, {NULL, NULL}};
static const anp_key_t K_EG_BANP[] = {
    {"namespaces", NULL}, {"pods", K_NSPOD}, {"nodes", NULL}, {"networks", NULL}, {NULL, NULL}};

static const k8s_anp_api_t ANP_APIS[] = {
    {ANP_API_CNP, "ClusterNetworkPolicy", "policy.networking.k8s.io/v1alpha2", true, true, true, 25, 25,
     "Accept", true, K_EG_ALL},
    {ANP_API_EKS, "ClusterNetworkPolicy", "networking.k8s.aws/v1alpha1", true, true, false, 100, 100,
     "Accept", true, K_EG_EKS},
    {ANP_API_ANP, "AdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1", false, true, false, 100, 100,
     "Allow", true, K_EG_ALL},
    {ANP_API_BANP, "BaselineAdminNetworkPolicy", "policy.networking.k8s.io/v1alpha1", false, false, false,
     100, 100, "Allow", false, K_EG_BANP},
};
#define ANP_N_APIS (sizeof(ANP_APIS) / sizeof(ANP_APIS[0]))

static const k8s_anp_api_t *anp_api(const char *kind, const char *api)
{
    for (size_t i = 0; i < ANP_N_APIS; i++)
        if (strcmp(ANP_APIS[i].kind, kind) == 0 && strcmp(ANP_APIS[i].group, api) == 0)
            return &ANP_APIS[i];
    return NULL;
}

bool k8s_read_is_anp(const char *kind, const char *api)
{
    return anp_api(kind, api) != NULL;
}

const char *k8s_read_anp_version(const char *kind)
{
    if (strcmp(kind, "ClusterNetworkPolicy") == 0)
        return "a version not read (read: policy.networking.k8s.io/v1alpha2, networking.k8s.aws/v1alpha1)";
    if (strcmp(kind, "AdminNetworkPolicy") == 0 || strcmp(kind, "BaselineAdminNetworkPolicy") == 0)
        return "a version not read (read: policy.networking.k8s.io/v1alpha1)";
    return "a policy kind the evaluator does not read";
}

static const cJSON *anp_get(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

/* Finds a field the schema lacks; its path into where. */
static bool anp_unknown(const cJSON *v, const anp_key_t *schema, const char *path, char *where)
{
    char p[K8S_PATH_LEN];
    if (cJSON_IsArray(v)) {
        size_t i = 0;
        for (const cJSON *c = v->child; c; c = c->next, i++) {
            k8s_rindex(p, path, i);
            if (anp_unknown(c, schema, p, where))
                return true;
        }
        return false;
    }
    for (const cJSON *c = cJSON_IsObject(v) ? v->child : NULL; c; c = c->next) {
        const anp_key_t *k = schema;
        while (k->key && strcmp(k->key, c->string) != 0)
            k++;
        k8s_rpath(p, path, c->string);
        if (!k->key) {
            snprintf(where, K8S_PATH_LEN, "%s", p);
            return true;
        }
        if (k->sub && anp_unknown(c, k->sub, p, where))
            return true;
    }
    return false;
}

static bool anp_newer(const k8s_anp_api_t *ai, const cJSON *obj, char *where)
{
    const anp_key_t in_rule[] = {{"name", NULL},
                                 {"action", NULL},
                                 {"from", K_SUBJECT},
                                 {ai->protocols ? "protocols" : "ports", ai->protocols ? K_PROTOCOL : K_PORT},
                                 {NULL, NULL}};
    const anp_key_t eg_rule[] = {{"name", NULL},
                                 {"action", NULL},
                                 {"to", ai->eg_peer},
                                 {ai->protocols ? "protocols" : "ports", ai->protocols ? K_PROTOCOL : K_PORT},
                                 {NULL, NULL}};
    const anp_key_t spec[] = {{"subject", K_SUBJECT},
                              {"ingress", in_rule},
                              {"egress", eg_rule},
                              {ai->has_priority ? "priority" : "", NULL},
                              {ai->has_tier ? "tier" : "", NULL},
                              {NULL, NULL}};
    const anp_key_t top[] = {{"apiVersion", NULL}, {"kind", NULL},   {"metadata", NULL},
                             {"spec", spec},       {"status", NULL}, {NULL, NULL}};
    return anp_unknown(obj, top, "", where);
}

int k8s_read_anp(k8s_rctx_t *cx, const cJSON *obj, const char *path, const char *api)
{
    static const char *const subj_keys[] = {"namespaces", "pods", NULL};
    char p[K8S_PATH_LEN], where[K8S_PATH_LEN], why[K8S_PATH_LEN + 64];
    const k8s_anp_api_t *ai = anp_api(cx->kind, api);
    cx->ns = NULL; /* cluster-scoped */
    k8s_rpath(p, path, "metadata.name");
    if (!cx->name || !*cx->name)
        return k8s_rfail(cx, p, "required: a string");
    if (anp_newer(ai, obj, where)) {
        snprintf(why, sizeof(why), "field %s is not in %s", where, ai->group);
        return k8s_read_foreign(cx, why);
    }
    if (ai->api == ANP_API_BANP && strcmp(cx->name, "default") != 0)
        return k8s_rfail(cx, p, "must be \"default\" (the one BaselineAdminNetworkPolicy of a cluster)");
    anp_policy_t *pol = k8s_model_add_anp(cx->m);
    if (!pol || !(pol->name = strdup(cx->name)))
        return k8s_room(cx);
    pol->api = ai->api;
    pol->baseline = ai->api == ANP_API_BANP;
    const cJSON *spec = anp_get(obj, "spec");
    k8s_rpath(p, path, "spec");
    if (!cJSON_IsObject(spec))
        return k8s_rfail(cx, p, "required: a mapping");
    if (ai->has_tier) {
        const cJSON *t = anp_get(spec, "tier");
        k8s_rpath(p, path, "spec.tier");
        if (cJSON_IsString(t) && strcmp(t->valuestring, "Baseline") == 0)
            pol->baseline = true;
        else if (!cJSON_IsString(t) || strcmp(t->valuestring, "Admin") != 0)
            return k8s_rfail(cx, p, "required: Admin or Baseline");
    }
    if (ai->has_priority) {
        k8s_rpath(p, path, "spec.priority");
        if (k8s_rint(cx, anp_get(spec, "priority"), p, 0, 1000, &pol->priority) != 0)
            return cx->rc;
    }
    k8s_rpath(p, path, "spec.subject");
    const cJSON *subj = anp_get(spec, "subject");
    if (!subj || cJSON_IsNull(subj))
        return k8s_rfail(cx, p, "required: {namespaces} or {pods}");
    int k = k8s_anp_one_of(cx, subj, p, subj_keys);
    if (k < 0)
        return cx->rc;
    k8s_rpath(p, p, subj_keys[k]);
    pol->subject_pods = k == 1;
    if ((k == 0 ? k8s_rselector(cx, anp_get(subj, "namespaces"), p, &pol->subj_ns)
                : k8s_anp_nspod(cx, anp_get(subj, "pods"), p, &pol->subj_ns, &pol->subj_pod)) != 0)
        return cx->rc;
    k8s_rpath(p, path, "spec");
    if (k8s_anp_rules(cx, ai, spec, p, false, &pol->ingress, &pol->n_ingress) != 0 ||
        k8s_anp_rules(cx, ai, spec, p, true, &pol->egress, &pol->n_egress) != 0)
        return cx->rc;
    return 0;
}

int k8s_read_node(k8s_rctx_t *cx, const cJSON *obj, const char *path)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN];
    cx->ns = NULL;
    k8s_rpath(p, path, "metadata.name");
    if (!cx->name || !*cx->name)
        return k8s_rfail(cx, p, "required: a string");
    anp_node_t *n = k8s_model_add_node(cx->m);
    if (!n || !(n->name = strdup(cx->name)))
        return k8s_room(cx);
    k8s_rpath(p, path, "metadata.labels");
    if (k8s_rlabels(cx, anp_get(anp_get(obj, "metadata"), "labels"), p, &n->labels) != 0)
        return cx->rc;
    const cJSON *as = anp_get(anp_get(obj, "status"), "addresses");
    k8s_rpath(p, path, "status.addresses");
    int cnt = k8s_anp_list(cx, as, p, 0, 64, "addresses");
    if (cnt < 0)
        return cx->rc;
    if (cnt > 0 && !(n->addrs = calloc((size_t)cnt, sizeof(ip_addr_t))))
        return k8s_room(cx);
    size_t i = 0;
    for (const cJSON *c = cnt > 0 ? as->child : NULL; c; c = c->next, i++) {
        k8s_rindex(q, p, i);
        k8s_rpath(q, q, "address");
        const cJSON *a = anp_get(c, "address");
        if (!cJSON_IsString(a))
            return k8s_rfail(cx, q, "required: a string");
        /* Hostname and DNS entries are names, not addresses: only IPs are matched. */
        if (ip_addr_parse(a->valuestring, &n->addrs[n->n_addrs]))
            n->n_addrs++;
    }
    return 0;
}
