/* k8s_read_endpoints.c: Endpoints (v1) and EndpointSlices (discovery.k8s.io/v1) into the
 * model: which addresses a Service sends to. Used for Services without a selector (their
 * endpoints are written by hand) and the API server's default/kubernetes (Cilium's
 * kube-apiserver entity). FQDN slices and not-ready addresses are left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_read_int.h"

#define EP_MAX_ADDRS 4096 /* per object: more is not a Service's endpoint list */

static const cJSON *ep_get(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

bool k8s_read_is_endpoints(const char *kind, const char *api)
{
    return (strcmp(kind, "Endpoints") == 0 && strcmp(api, "v1") == 0) ||
        (strcmp(kind, "EndpointSlice") == 0 && strcmp(api, "discovery.k8s.io/v1") == 0);
}

static k8s_endpoints_t *ep_add(k8s_rctx_t *cx, const char *service)
{
    k8s_model_t *m = cx->m;
    if (m->n_endpoints == m->cap_endpoints) {
        size_t nc = m->cap_endpoints ? m->cap_endpoints * 2 : 8;
        k8s_endpoints_t *ne = realloc(m->endpoints, nc * sizeof(*ne));
        if (!ne)
            return NULL;
        m->endpoints = ne;
        m->cap_endpoints = nc;
    }
    k8s_endpoints_t *e = &m->endpoints[m->n_endpoints++];
    memset(e, 0, sizeof(*e));
    if (k8s_model_namespace(m, cx->ns, &e->ns) != 0 || !(e->service = strdup(service)))
        return NULL;
    return e;
}

static int ep_addr(k8s_rctx_t *cx, const cJSON *v, const char *path, k8s_endpoints_t *e)
{
    ip_addr_t a;
    if (!cJSON_IsString(v) || !ip_addr_parse(v->valuestring, &a))
        return k8s_rfail(cx, path, "must be an IP address");
    if (e->n_addrs >= EP_MAX_ADDRS)
        return k8s_rfail(cx, path, "more than %d addresses", EP_MAX_ADDRS);
    ip_addr_t *na = realloc(e->addrs, (e->n_addrs + 1) * sizeof(*na));
    if (!na)
        return k8s_room(cx);
    e->addrs = na;
    e->addrs[e->n_addrs++] = a;
    return 0;
}

int k8s_read_endpoints(k8s_rctx_t *cx, const cJSON *obj, const char *path)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN], r[K8S_PATH_LEN];
    bool slice = strcmp(cx->kind, "EndpointSlice") == 0;
    const char *svc = cx->name;
    if (slice) {
        const cJSON *l = ep_get(ep_get(ep_get(obj, "metadata"), "labels"), "kubernetes.io/service-name");
        const cJSON *at = ep_get(obj, "addressType");
        if (!cJSON_IsString(l))
            return 0; /* a slice of no Service */
        if (cJSON_IsString(at) && strcmp(at->valuestring, "FQDN") == 0)
            return 0;
        svc = l->valuestring;
    }
    k8s_endpoints_t *e = ep_add(cx, svc);
    if (!e)
        return k8s_room(cx);
    const cJSON *list = ep_get(obj, slice ? "endpoints" : "subsets");
    k8s_rpath(p, path, slice ? "endpoints" : "subsets");
    if (list && !cJSON_IsNull(list) && !cJSON_IsArray(list))
        return k8s_rfail(cx, p, "must be a list");
    size_t i = 0;
    for (const cJSON *c = list ? list->child : NULL; c; c = c->next, i++) {
        k8s_rindex(q, p, i);
        const cJSON *addrs = ep_get(c, "addresses");
        k8s_rpath(q, q, "addresses");
        if (addrs && !cJSON_IsNull(addrs) && !cJSON_IsArray(addrs))
            return k8s_rfail(cx, q, "must be a list");
        if (slice) {
            const cJSON *ready = ep_get(ep_get(c, "conditions"), "ready");
            if (cJSON_IsFalse(ready))
                continue;
        }
        size_t j = 0;
        for (const cJSON *a = addrs ? addrs->child : NULL; a; a = a->next, j++) {
            k8s_rindex(r, q, j);
            if (!slice)
                k8s_rpath(r, r, "ip");
            if (ep_addr(cx, slice ? a : ep_get(a, "ip"), r, e) != 0)
                return cx->rc;
        }
    }
    return 0;
}
