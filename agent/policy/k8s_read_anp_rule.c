/* k8s_read_anp_rule.c: the admin policies' rules, peers and ports (k8s_read_anp.c reads the
 * objects): the APIs' validation of each, with the path. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_read_int.h"

static const cJSON *anp_get(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

/* ---- typed readers --------------------------------------------------------------------- */

/* A list of lo..hi items: its size, or -1 (failed). Absent: 0 when lo is 0. */
int k8s_anp_list(k8s_rctx_t *cx, const cJSON *v, const char *path, int lo, int hi, const char *what)
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
int k8s_anp_one_of(k8s_rctx_t *cx, const cJSON *v, const char *path, const char *const *keys)
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

int k8s_anp_nspod(k8s_rctx_t *cx, const cJSON *v, const char *path, k8s_selector_t *ns, k8s_selector_t *pod)
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

static int anp_peer(k8s_rctx_t *cx, const k8s_anp_api_t *ai, const cJSON *v, const char *path, bool egress,
                    anp_peer_t *pe)
{
    static const char *const in_keys[] = {"namespaces", "pods", NULL};
    static const char *const eg_keys[] = {"namespaces", "pods", "nodes", "networks", "domainNames", NULL};
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN], why[128];
    int k = k8s_anp_one_of(cx, v, path, egress ? eg_keys : in_keys);
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
    case ANP_PEER_PODS: return k8s_anp_nspod(cx, c, p, &pe->nsel, &pe->pod);
    case ANP_PEER_NETWORKS: {
        int n = k8s_anp_list(cx, c, p, 1, 25, "CIDR blocks");
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
        int n = k8s_anp_list(cx, c, p, 1, 25, "domain names");
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
    int k = k8s_anp_one_of(cx, v, path, keys);
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
    int d = k8s_anp_one_of(cx, dp, q, dp_keys);
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
    int k = k8s_anp_one_of(cx, v, path, keys);
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

static int anp_rule(k8s_rctx_t *cx, const k8s_anp_api_t *ai, const cJSON *v, const char *path, bool egress,
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
    int n = k8s_anp_list(cx, peers, p, 1, ai->max_peers, "peers");
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
    n = k8s_anp_list(cx, ports, p, 0, ai->protocols ? 25 : 100, "ports");
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

int k8s_anp_rules(k8s_rctx_t *cx, const k8s_anp_api_t *ai, const cJSON *spec, const char *path, bool egress,
                  anp_rule_t **out, size_t *nout)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN];
    const char *key = egress ? "egress" : "ingress";
    const cJSON *v = anp_get(spec, key);
    k8s_rpath(p, path, key);
    int n = k8s_anp_list(cx, v, p, 0, ai->max_rules, "rules");
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
