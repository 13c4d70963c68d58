/* k8s_read_anp.c: the admin tiers' objects into the model: ClusterNetworkPolicy of
 * policy.networking.k8s.io/v1alpha2 and of networking.k8s.aws/v1alpha1 (the EKS twin: the
 * v1alpha1-style `ports`, no `nodes` peer, up to 100 rules and peers, domainNames for Accept
 * only), AdminNetworkPolicy and BaselineAdminNetworkPolicy of policy.networking.k8s.io/v1alpha1,
 * and Node objects (labels, IP addresses). The API's own validation (priority 0..1000, list
 * sizes, exactly one field where the API says so, port ranges, CIDRs, domain names) fails
 * with exit 2 and the path; a field the version does not define sets the object aside as
 * foreign (answers it could touch become unknown), as for NetworkPolicies. */
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

/* One API version: its kind, group/version, limits and schema. */
typedef struct {
    anp_api_t api;
    const char *kind, *group;
    bool has_tier, has_priority, protocols; /* protocols: v1alpha2 `protocols`, else `ports` */
    int max_rules, max_peers;
    const char *accept; /* "Accept" or "Allow" */
    bool pass;          /* Pass is an action */
    const anp_key_t *eg_peer;
} anp_api_info_t;

static const anp_api_info_t ANP_APIS[] = {
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

static const anp_api_info_t *anp_api(const char *kind, const char *api)
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

static bool anp_newer(const anp_api_info_t *ai, const cJSON *obj, char *where)
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

/* ---- typed readers --------------------------------------------------------------------- */

/* A list of lo..hi items: its size, or -1 (failed). Absent: 0 when lo is 0. */
static int anp_list(k8s_rctx_t *cx, const cJSON *v, const char *path, int lo, int hi, const char *what)
{
    if (!v || cJSON_IsNull(v)) {
        if (lo > 0)
            return k8s_rfail(cx, path, "required: a list of %s", what), -1;
        return 0;
    }
    if (!cJSON_IsArray(v))
        return k8s_rfail(cx, path, "must be a list of %s", what), -1;
    int n = cJSON_GetArraySize(v);
    if (n < lo || n > hi)
        return k8s_rfail(cx, path, "must hold %d to %d %s (has %d)", lo, hi, what, n), -1;
    return n;
}

/* Exactly one of the keys set (the API's MinProperties=1, MaxProperties=1): its index. */
static int anp_one_of(k8s_rctx_t *cx, const cJSON *v, const char *path, const char *const *keys)
{
    char all[160] = "";
    int found = -1, n = 0;
    if (!cJSON_IsObject(v))
        return k8s_rfail(cx, path, "must be a mapping"), -1;
    for (int i = 0; keys[i]; i++) {
        size_t l = strlen(all);
        snprintf(all + l, sizeof(all) - l, "%s%s", i ? ", " : "", keys[i]);
        const cJSON *c = anp_get(v, keys[i]);
        if (c && !cJSON_IsNull(c)) {
            found = i;
            n++;
        }
    }
    if (n != 1)
        return k8s_rfail(cx, path, "must set exactly one of %s", all), -1;
    return found;
}

static int anp_nspod(k8s_rctx_t *cx, const cJSON *v, const char *path, k8s_selector_t *ns,
                     k8s_selector_t *pod)
{
    char p[K8S_PATH_LEN];
    if (!cJSON_IsObject(v))
        return k8s_rfail(cx, path, "must be a mapping {namespaceSelector, podSelector}");
    const cJSON *ps = anp_get(v, "podSelector");
    k8s_rpath(p, path, "podSelector");
    if (!ps || cJSON_IsNull(ps))
        return k8s_rfail(cx, p, "required: a label selector ({} selects every pod)");
    if (k8s_rselector(cx, ps, p, pod) != 0)
        return cx->rc;
    k8s_rpath(p, path, "namespaceSelector");
    return k8s_rselector(cx, anp_get(v, "namespaceSelector"), p, ns);
}

/* A domain name as the API's pattern allows: an optional "*." then two or more labels. */
static bool anp_domain_ok(const char *s)
{
    size_t n = strlen(s), labels = 0;
    if (n == 0 || n >= ANP_DOMAIN_LEN)
        return false;
    if (strncmp(s, "*.", 2) == 0)
        s += 2;
    while (*s) {
        const char *e = strchr(s, '.');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        if (l == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[l - 1]))
            return false;
        for (size_t i = 0; i < l; i++)
            if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
                return false;
        labels++;
        s += l;
        if (*s == '.')
            s++;
    }
    return labels >= 2;
}

static int anp_peer(k8s_rctx_t *cx, const anp_api_info_t *ai, const cJSON *v, const char *path, bool egress,
                    anp_peer_t *pe)
{
    static const char *const in_keys[] = {"namespaces", "pods", NULL};
    static const char *const eg_keys[] = {"namespaces", "pods", "nodes", "networks", "domainNames", NULL};
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN], why[128];
    int k = anp_one_of(cx, v, path, egress ? eg_keys : in_keys);
    if (k < 0)
        return cx->rc;
    pe->kind = (anp_peer_kind_t)(k == 0       ? ANP_PEER_NAMESPACES
                                     : k == 1 ? ANP_PEER_PODS
                                     : k == 2 ? ANP_PEER_NODES
                                     : k == 3 ? ANP_PEER_NETWORKS
                                              : ANP_PEER_DOMAINS);
    k8s_rpath(p, path, egress ? eg_keys[k] : in_keys[k]);
    const cJSON *c = anp_get(v, egress ? eg_keys[k] : in_keys[k]);
    switch (pe->kind) {
    case ANP_PEER_NAMESPACES:
    case ANP_PEER_NODES: return k8s_rselector(cx, c, p, &pe->nsel);
    case ANP_PEER_PODS: return anp_nspod(cx, c, p, &pe->nsel, &pe->pod);
    case ANP_PEER_NETWORKS: {
        int n = anp_list(cx, c, p, 1, 25, "CIDR blocks");
        if (n < 0)
            return cx->rc;
        if (!(pe->nets = calloc((size_t)n, sizeof(cidr_t))))
            return k8s_room(cx);
        for (const cJSON *e = c->child; e; e = e->next) {
            k8s_rindex(q, p, pe->n_nets);
            if (!cJSON_IsString(e) || strlen(e->valuestring) > 43 || !strchr(e->valuestring, '/'))
                return k8s_rfail(cx, q, "must be a CIDR block (address/prefix, at most 43 characters)");
            if (cidr_parse_masked(e->valuestring, &pe->nets[pe->n_nets++], why, sizeof(why)) != 0)
                return k8s_rfail(cx, q, "%s", why);
        }
        return 0;
    }
    case ANP_PEER_DOMAINS: {
        int n = anp_list(cx, c, p, 1, 25, "domain names");
        if (n < 0)
            return cx->rc;
        if (!(pe->domains = calloc((size_t)n, sizeof(char *))))
            return k8s_room(cx);
        for (const cJSON *e = c->child; e; e = e->next) {
            k8s_rindex(q, p, pe->n_domains);
            char d[ANP_DOMAIN_LEN];
            if (!cJSON_IsString(e) || strlen(e->valuestring) >= sizeof(d))
                return k8s_rfail(cx, q, "must be a domain name (www.example.com or *.example.com)");
            snprintf(d, sizeof(d), "%s", e->valuestring);
            size_t l = strlen(d);
            if (l && d[l - 1] == '.')
                d[l - 1] = '\0';
            for (char *s = d; *s; s++)
                *s = (char)tolower((unsigned char)*s);
            if (!anp_domain_ok(d))
                return k8s_rfail(cx, q, "must be a domain name (www.example.com or *.example.com)");
            if (!(pe->domains[pe->n_domains++] = strdup(d)))
                return k8s_room(cx);
        }
        return 0;
    }
    }
    (void)ai;
    return 0;
}

static int anp_port_range(k8s_rctx_t *cx, const cJSON *v, const char *path, anp_port_t *pt)
{
    char p[K8S_PATH_LEN];
    if (!cJSON_IsObject(v))
        return k8s_rfail(cx, path, "must be a mapping {start, end}");
    k8s_rpath(p, path, "start");
    if (k8s_rint(cx, anp_get(v, "start"), p, 1, 65535, &pt->port) != 0)
        return cx->rc;
    k8s_rpath(p, path, "end");
    if (k8s_rint(cx, anp_get(v, "end"), p, 1, 65535, &pt->end_port) != 0)
        return cx->rc;
    if (pt->end_port <= pt->port)
        return k8s_rfail(cx, p, "must be greater than start (%d)", pt->port);
    pt->kind = K8S_PORT_NUMBER;
    return 0;
}

/* v1alpha2 `protocols` item: tcp | udp | sctp {destinationPort: {number | range}} or
 * destinationNamedPort. */
static int anp_protocol(k8s_rctx_t *cx, const cJSON *v, const char *path, anp_port_t *pt)
{
    static const char *const keys[] = {"tcp", "udp", "sctp", "destinationNamedPort", NULL};
    static const char *const dp_keys[] = {"number", "range", NULL};
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN], r[K8S_PATH_LEN];
    int k = anp_one_of(cx, v, path, keys);
    if (k < 0)
        return cx->rc;
    k8s_rpath(p, path, keys[k]);
    const cJSON *c = anp_get(v, keys[k]);
    if (k == 3) {
        if (!cJSON_IsString(c) || !k8s_port_name_ok(c->valuestring))
            return k8s_rfail(cx, p, "must be an IANA port name");
        pt->kind = K8S_PORT_NAME;
        return (pt->name = strdup(c->valuestring)) ? 0 : k8s_room(cx);
    }
    pt->proto = k == 0 ? K8S_TCP : k == 1 ? K8S_UDP : K8S_SCTP;
    if (!cJSON_IsObject(c))
        return k8s_rfail(cx, p, "must be a mapping {destinationPort}");
    k8s_rpath(q, p, "destinationPort");
    const cJSON *dp = anp_get(c, "destinationPort");
    if (!dp || cJSON_IsNull(dp))
        return k8s_rfail(cx, q, "required: {number} or {range: {start, end}}");
    int d = anp_one_of(cx, dp, q, dp_keys);
    if (d < 0)
        return cx->rc;
    k8s_rpath(r, q, dp_keys[d]);
    if (d == 1)
        return anp_port_range(cx, anp_get(dp, "range"), r, pt);
    pt->kind = K8S_PORT_NUMBER;
    return k8s_rint(cx, anp_get(dp, "number"), r, 1, 65535, &pt->port);
}

/* v1alpha1 / EKS `ports` item: portNumber {protocol, port} | namedPort | portRange. */
static int anp_port(k8s_rctx_t *cx, const cJSON *v, const char *path, anp_port_t *pt)
{
    static const char *const keys[] = {"portNumber", "namedPort", "portRange", NULL};
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN];
    int k = anp_one_of(cx, v, path, keys);
    if (k < 0)
        return cx->rc;
    k8s_rpath(p, path, keys[k]);
    const cJSON *c = anp_get(v, keys[k]);
    if (k == 1) {
        if (!cJSON_IsString(c) || !k8s_port_name_ok(c->valuestring))
            return k8s_rfail(cx, p, "must be an IANA port name");
        pt->kind = K8S_PORT_NAME;
        return (pt->name = strdup(c->valuestring)) ? 0 : k8s_room(cx);
    }
    if (!cJSON_IsObject(c))
        return k8s_rfail(cx, p, "must be a mapping");
    k8s_rpath(q, p, "protocol");
    if (k8s_rproto(cx, anp_get(c, "protocol"), q, &pt->proto) != 0)
        return cx->rc;
    if (k == 2)
        return anp_port_range(cx, c, p, pt);
    pt->kind = K8S_PORT_NUMBER;
    k8s_rpath(q, p, "port");
    return k8s_rint(cx, anp_get(c, "port"), q, 1, 65535, &pt->port);
}

static int anp_rule(k8s_rctx_t *cx, const anp_api_info_t *ai, const cJSON *v, const char *path, bool egress,
                    anp_rule_t *r)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN];
    if (!cJSON_IsObject(v))
        return k8s_rfail(cx, path, "must be a mapping {name, action, %s, %s}", egress ? "to" : "from",
                         ai->protocols ? "protocols" : "ports");
    const cJSON *name = anp_get(v, "name"), *act = anp_get(v, "action");
    k8s_rpath(p, path, "name");
    if (name && !cJSON_IsNull(name)) {
        if (!cJSON_IsString(name) || strlen(name->valuestring) > 100)
            return k8s_rfail(cx, p, "must be a string of at most 100 characters");
        if (*name->valuestring && !(r->name = strdup(name->valuestring)))
            return k8s_room(cx);
    }
    k8s_rpath(p, path, "action");
    const char *a = cJSON_IsString(act) ? act->valuestring : "";
    if (strcmp(a, ai->accept) == 0)
        r->action = ANP_ACCEPT;
    else if (strcmp(a, "Deny") == 0)
        r->action = ANP_DENY;
    else if (ai->pass && strcmp(a, "Pass") == 0)
        r->action = ANP_PASS;
    else
        return k8s_rfail(cx, p, "must be %s, Deny%s", ai->accept, ai->pass ? " or Pass" : "");
    const char *pk = egress ? "to" : "from";
    const cJSON *peers = anp_get(v, pk);
    k8s_rpath(p, path, pk);
    int n = anp_list(cx, peers, p, 1, ai->max_peers, "peers");
    if (n < 0)
        return cx->rc;
    if (!(r->peers = calloc((size_t)n, sizeof(*r->peers))))
        return k8s_room(cx);
    bool no_named = false, domains = false;
    for (const cJSON *e = peers->child; e; e = e->next) {
        k8s_rindex(q, p, r->n_peers);
        anp_peer_t *pe = &r->peers[r->n_peers++];
        if (anp_peer(cx, ai, e, q, egress, pe) != 0)
            return cx->rc;
        no_named |= pe->kind == ANP_PEER_NETWORKS || pe->kind == ANP_PEER_NODES ||
            pe->kind == ANP_PEER_DOMAINS;
        domains |= pe->kind == ANP_PEER_DOMAINS;
    }
    if (domains && r->action != ANP_ACCEPT) {
        if (ai->api == ANP_API_EKS) /* the EKS CRD's own rule */
            return k8s_rfail(cx, p, "domainNames peer can only be used with Accept action");
        if (!(r->unknown = strdup(
                  "domainNames in a rule that is not Accept/Allow (the API supports it in Accept "
                  "rules only; implementations differ)")))
            return k8s_room(cx);
    }
    const char *portk = ai->protocols ? "protocols" : "ports";
    const cJSON *ports = anp_get(v, portk);
    k8s_rpath(p, path, portk);
    n = anp_list(cx, ports, p, 0, ai->protocols ? 25 : 100, "ports");
    if (n < 0)
        return cx->rc;
    if (ports && cJSON_IsArray(ports) && n == 0)
        return k8s_rfail(cx, p, "must hold at least one item when present");
    if (n > 0 && !(r->ports = calloc((size_t)n, sizeof(*r->ports))))
        return k8s_room(cx);
    for (const cJSON *e = n > 0 ? ports->child : NULL; e; e = e->next) {
        k8s_rindex(q, p, r->n_ports);
        anp_port_t *pt = &r->ports[r->n_ports++];
        if ((ai->protocols ? anp_protocol(cx, e, q, pt) : anp_port(cx, e, q, pt)) != 0)
            return cx->rc;
        if (egress && no_named && pt->kind == K8S_PORT_NAME)
            return k8s_rfail(cx, q, "networks/nodes/domainNames peer cannot be set with named ports");
    }
    return 0;
}

static int anp_rules(k8s_rctx_t *cx, const anp_api_info_t *ai, const cJSON *spec, const char *path,
                     bool egress, anp_rule_t **out, size_t *nout)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN];
    const char *key = egress ? "egress" : "ingress";
    const cJSON *v = anp_get(spec, key);
    k8s_rpath(p, path, key);
    int n = anp_list(cx, v, p, 0, ai->max_rules, "rules");
    if (n < 0)
        return cx->rc;
    if (n == 0)
        return 0;
    if (!(*out = calloc((size_t)n, sizeof(anp_rule_t))))
        return k8s_room(cx);
    for (const cJSON *r = v->child; r; r = r->next) {
        k8s_rindex(q, p, *nout);
        if (anp_rule(cx, ai, r, q, egress, &(*out)[(*nout)++]) != 0)
            return cx->rc;
    }
    return 0;
}

int k8s_read_anp(k8s_rctx_t *cx, const cJSON *obj, const char *path, const char *api)
{
    static const char *const subj_keys[] = {"namespaces", "pods", NULL};
    char p[K8S_PATH_LEN], where[K8S_PATH_LEN], why[K8S_PATH_LEN + 64];
    const anp_api_info_t *ai = anp_api(cx->kind, api);
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
    int k = anp_one_of(cx, subj, p, subj_keys);
    if (k < 0)
        return cx->rc;
    k8s_rpath(p, p, subj_keys[k]);
    pol->subject_pods = k == 1;
    if ((k == 0 ? k8s_rselector(cx, anp_get(subj, "namespaces"), p, &pol->subj_ns)
                : anp_nspod(cx, anp_get(subj, "pods"), p, &pol->subj_ns, &pol->subj_pod)) != 0)
        return cx->rc;
    k8s_rpath(p, path, "spec");
    if (anp_rules(cx, ai, spec, p, false, &pol->ingress, &pol->n_ingress) != 0 ||
        anp_rules(cx, ai, spec, p, true, &pol->egress, &pol->n_egress) != 0)
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
    int cnt = anp_list(cx, as, p, 0, 64, "addresses");
    if (cnt < 0)
        return cx->rc;
    if (cnt > 0 && !(n->addrs = calloc((size_t)cnt, sizeof(k8s_addr_t))))
        return k8s_room(cx);
    size_t i = 0;
    for (const cJSON *c = cnt > 0 ? as->child : NULL; c; c = c->next, i++) {
        k8s_rindex(q, p, i);
        k8s_rpath(q, q, "address");
        const cJSON *a = anp_get(c, "address");
        if (!cJSON_IsString(a))
            return k8s_rfail(cx, q, "required: a string");
        /* Hostname and DNS entries are names, not addresses: only IPs are matched. */
        if (k8s_addr_parse(a->valuestring, &n->addrs[n->n_addrs]))
            n->n_addrs++;
    }
    return 0;
}
