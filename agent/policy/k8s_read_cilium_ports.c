/* k8s_read_cilium_ports.c: a Cilium rule's toPorts: ports (number, range, name; protocol TCP,
 * UDP, SCTP or ANY) and their L7 rules (http: method, path, host regexes and headers; dns:
 * matchName, matchPattern). A regex that does not compile is malformed (exit 2). */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_read_int.h"

static const cJSON *cp_get(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static int cp_port(k8s_rctx_t *cx, const cJSON *c, const char *path, cil_port_t *pt)
{
    char f[K8S_PATH_LEN];
    const cJSON *port = cp_get(c, "port"), *end = cp_get(c, "endPort"), *proto = cp_get(c, "protocol");
    if (!cJSON_IsObject(c))
        return k8s_rfail(cx, path, "must be a mapping {port, endPort, protocol}");
    k8s_rpath(f, path, "port");
    if (cJSON_IsNumber(port)) {
        if (k8s_rint(cx, port, f, 0, 65535, &pt->port) != 0)
            return cx->rc;
    } else if (cJSON_IsString(port)) {
        const char *s = port->valuestring;
        char *e = NULL;
        long n = strtol(s, &e, 10);
        if (*s && e && !*e) {
            if (n < 0 || n > 65535)
                return k8s_rfail(cx, f, "must be 0..65535 or a port name");
            pt->port = (int)n;
        } else if (k8s_port_name_ok(s)) {
            if (!(pt->name = strdup(s)))
                return k8s_room(cx);
        } else {
            return k8s_rfail(cx, f, "must be 0..65535 or a port name");
        }
    } else if (port && !cJSON_IsNull(port)) {
        return k8s_rfail(cx, f, "must be 0..65535 or a port name");
    }
    k8s_rpath(f, path, "endPort");
    if (end && !cJSON_IsNull(end)) {
        if (k8s_rint(cx, end, f, 1, 65535, &pt->end_port) != 0)
            return cx->rc;
        if (pt->name || pt->end_port < pt->port)
            return k8s_rfail(cx, f, "needs a numeric port at or below it");
    }
    k8s_rpath(f, path, "protocol");
    const char *ps = cJSON_IsString(proto) ? proto->valuestring : "";
    if (proto && !cJSON_IsNull(proto) && !cJSON_IsString(proto))
        return k8s_rfail(cx, f, "must be TCP, UDP, SCTP or ANY");
    if (!*ps || strcmp(ps, "ANY") == 0)
        pt->protos = CIL_PROTO_ANY;
    else if (strcmp(ps, "TCP") == 0)
        pt->protos = CIL_PROTO_TCP;
    else if (strcmp(ps, "UDP") == 0)
        pt->protos = CIL_PROTO_UDP;
    else if (strcmp(ps, "SCTP") == 0)
        pt->protos = CIL_PROTO_SCTP;
    else
        return k8s_rfail(cx, f, "must be TCP, UDP, SCTP or ANY");
    return 0;
}

/* A regex field of an http rule: kept as written, checked to compile as Cilium's (POSIX
 * extended, matched whole). */
static int cp_regex(k8s_rctx_t *cx, const cJSON *v, const char *path, char **out)
{
    regex_t re;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v))
        return k8s_rfail(cx, path, "must be a string (a regular expression)");
    size_t n = strlen(v->valuestring);
    char *anchored = malloc(n + 5);
    if (!anchored)
        return k8s_room(cx);
    snprintf(anchored, n + 5, "^(%s)$", v->valuestring);
    int rc = regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
        char msg[128];
        regerror(rc, &re, msg, sizeof(msg));
        free(anchored);
        return k8s_rfail(cx, path, "not a POSIX extended regular expression: %s", msg);
    }
    regfree(&re);
    *out = anchored;
    return 0;
}

static int cp_http(k8s_rctx_t *cx, const cJSON *v, const char *path, cil_toports_t *tp)
{
    char q[K8S_PATH_LEN], f[K8S_PATH_LEN];
    tp->has_http = true;
    if (!(tp->http = k8s_rlist(cx, v, path, "must be a list of http rules", sizeof(*tp->http))))
        return cx->rc;
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        cil_http_t *h = &tp->http[tp->n_http++];
        k8s_rindex(q, path, i);
        if (!cJSON_IsObject(c))
            return k8s_rfail(cx, q, "must be a mapping {method, path, host, headers}");
        k8s_rpath(f, q, "method");
        if (cp_regex(cx, cp_get(c, "method"), f, &h->method) != 0)
            return cx->rc;
        k8s_rpath(f, q, "path");
        if (cp_regex(cx, cp_get(c, "path"), f, &h->path) != 0)
            return cx->rc;
        k8s_rpath(f, q, "host");
        if (cp_regex(cx, cp_get(c, "host"), f, &h->host) != 0)
            return cx->rc;
        const cJSON *hd = cp_get(c, "headers");
        k8s_rpath(f, q, "headers");
        if (!(h->headers = k8s_rlist(cx, hd, f, "must be a list of \"Name\" or \"Name: value\"",
                                     sizeof(char *))))
            continue;
        size_t j = 0;
        for (const cJSON *e = hd->child; e; e = e->next, j++) {
            char g[K8S_PATH_LEN];
            k8s_rindex(g, f, j);
            if (!cJSON_IsString(e) || !*e->valuestring)
                return k8s_rfail(cx, g, "must be \"Name\" or \"Name: value\"");
            if (!(h->headers[h->n_headers++] = strdup(e->valuestring)))
                return k8s_room(cx);
        }
    }
    return cx->rc;
}

static int cp_dns(k8s_rctx_t *cx, const cJSON *v, const char *path, cil_toports_t *tp)
{
    char q[K8S_PATH_LEN], f[K8S_PATH_LEN];
    size_t n = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 0;
    if (!cJSON_IsArray(v))
        return k8s_rfail(cx, path, "must be a list of {matchName | matchPattern}");
    tp->has_dns = true;
    if (!(tp->dns_names = calloc(n + 1, sizeof(char *))) ||
        !(tp->dns_patterns = calloc(n + 1, sizeof(char *))))
        return k8s_room(cx);
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        k8s_rindex(q, path, i);
        const cJSON *mn = cp_get(c, "matchName"), *mp = cp_get(c, "matchPattern");
        k8s_rpath(f, q, mn ? "matchName" : "matchPattern");
        if ((!mn && !mp) || (mn && !cJSON_IsString(mn)) || (mp && !cJSON_IsString(mp)))
            return k8s_rfail(cx, f, "required: matchName or matchPattern (a string)");
        if (mn && !(tp->dns_names[tp->n_dns_names++] = strdup(mn->valuestring)))
            return k8s_room(cx);
        if (mp && !(tp->dns_patterns[tp->n_dns_patterns++] = strdup(mp->valuestring)))
            return k8s_room(cx);
    }
    return 0;
}

int k8s_read_cilium_toports(k8s_rctx_t *cx, const cJSON *v, const char *path, bool deny, cil_rule_t *out)
{
    char q[K8S_PATH_LEN], f[K8S_PATH_LEN];
    if (!(out->toports = k8s_rlist(cx, v, path, "must be a list of {ports, rules}", sizeof(*out->toports))))
        return cx->rc;
    out->has_toports = true;
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        cil_toports_t *tp = &out->toports[out->n_toports++];
        k8s_rindex(q, path, i);
        if (!cJSON_IsObject(c))
            return k8s_rfail(cx, q, "must be a mapping {ports, rules}");
        const cJSON *ports = cp_get(c, "ports");
        k8s_rpath(f, q, "ports");
        if ((tp->ports = k8s_rlist(cx, ports, f, "must be a list of ports", sizeof(*tp->ports)))) {
            size_t j = 0;
            for (const cJSON *p = ports->child; p; p = p->next, j++) {
                char g[K8S_PATH_LEN];
                k8s_rindex(g, f, j);
                if (cp_port(cx, p, g, &tp->ports[tp->n_ports++]) != 0)
                    return cx->rc;
            }
        } else if (cx->rc) {
            return cx->rc;
        }
        const cJSON *rules = cp_get(c, "rules");
        k8s_rpath(f, q, "rules");
        if (!rules || cJSON_IsNull(rules))
            continue;
        if (deny)
            return k8s_rfail(cx, f, "L7 rules are not supported in deny rules");
        const cJSON *http = cp_get(rules, "http"), *dns = cp_get(rules, "dns");
        char g[K8S_PATH_LEN];
        k8s_rpath(g, f, "http");
        if (http && !cJSON_IsNull(http) && cp_http(cx, http, g, tp) != 0)
            return cx->rc;
        k8s_rpath(g, f, "dns");
        if (dns && !cJSON_IsNull(dns) && cp_dns(cx, dns, g, tp) != 0)
            return cx->rc;
    }
    return 0;
}
