/* via.c: the pod paths of probes with "via": ["pods"] (via.h). A derived probe is the
 * original with its name, host and port (and, for http/https, its URL) replaced: the pod's IP
 * literal, so no DNS step, and the targetPort of the Service port the probe names. Every
 * other key (expect, timeouts, deny_outcomes, payloads) is the original's, shared, not
 * copied: the derived probes live as long as the session's config. */
#include "via.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "probe.h"

struct via {
    config_probe_t *probes; /* derived */
    size_t n;
    char **strings; /* names, hosts, URLs they own */
    size_t n_strings;
};

/* The Service a probe's host names: "svc" (the role's namespace), "svc.ns", "svc.ns.svc",
 * "svc.ns.svc.cluster.local". */
static const k8s_service_t *via_service(const k8s_model_t *m, size_t ns, const char *host)
{
    char buf[256], *parts[6];
    size_t n = 0;
    snprintf(buf, sizeof(buf), "%s", host ? host : "");
    size_t l = strlen(buf);
    if (l && buf[l - 1] == '.')
        buf[l - 1] = '\0';
    for (char *save = NULL, *t = strtok_r(buf, ".", &save); t && n < 6; t = strtok_r(NULL, ".", &save))
        parts[n++] = t;
    if (n == 0 || n == 4 || n > 5 || (n >= 3 && strcmp(parts[2], "svc") != 0) ||
        (n == 5 && (strcmp(parts[3], "cluster") != 0 || strcmp(parts[4], "local") != 0)))
        return NULL;
    long sns = n == 1 ? (long)ns : k8s_model_find_namespace(m, parts[1]);
    return sns < 0 ? NULL : k8s_model_find_service(m, (size_t)sns, parts[0]);
}

static char *via_keep(via_t *v, char *s)
{
    if (!s)
        return NULL;
    char **n = realloc(v->strings, (v->n_strings + 1) * sizeof(*n));
    if (!n) {
        free(s);
        return NULL;
    }
    v->strings = n;
    v->strings[v->n_strings++] = s;
    return s;
}

static char *via_printf(via_t *v, const char *fmt, ...)
{
    va_list ap, aq;
    va_start(ap, fmt);
    va_copy(aq, ap);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (s)
        vsnprintf(s, (size_t)len + 1, fmt, aq);
    va_end(aq);
    return via_keep(v, s);
}

/* The path of an http(s) URL after its authority ("/" when none). */
static const char *via_url_path(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    return p ? p : "/";
}

/* Adds the pod paths of probe p (a Service port of s) to v. Returns ZT_OK, ZT_ERR_INPUT (err),
 * ZT_ERR_NOMEM. */
static zt_status_t via_pods(const k8s_model_t *m, const k8s_service_t *s, const config_probe_t *p, via_t *v,
                            char *err, size_t errlen)
{
    k8s_proto_t proto = probe_kind_transport(p->kind) == PROBE_TRANSPORT_UDP ? K8S_UDP : K8S_TCP;
    const k8s_svc_port_t *sp = NULL;
    for (size_t i = 0; i < s->n_ports; i++)
        if (s->ports[i].port == p->port && s->ports[i].proto == proto)
            sp = &s->ports[i];
    if (!sp || !s->has_selector) {
        snprintf(err, errlen, "probe \"%s\": via pods: Service %s/%s has %s", p->name,
                 m->namespaces[s->ns].name, s->name,
                 !sp ? "no such port" : "no selector (its endpoints are not in the objects)");
        return ZT_ERR_INPUT;
    }
    size_t added = 0;
    const k8s_namespace_t *sns = &m->namespaces[s->ns];
    for (size_t k = 0; k < sns->n_pods && added < VIA_PODS_MAX; k++) {
        const k8s_pod_t *pod = &m->pods[sns->pods[k]];
        if (pod->n_ips == 0 || !labels_match(&s->selector, &pod->labels))
            continue;
        int tp = sp->target_name ? 0 : sp->target_port ? sp->target_port : sp->port;
        for (size_t j = 0; sp->target_name && j < pod->n_ports; j++)
            if (pod->ports[j].name && strcmp(pod->ports[j].name, sp->target_name) == 0 &&
                pod->ports[j].proto == proto)
                tp = pod->ports[j].port;
        if (tp == 0)
            continue; /* the named port is not on this pod: no endpoint there */
        char ip[IP_ADDR_TEXT_LEN];
        const ip_addr_t *a = &pod->ips[0];
        if (!ip_addr_format(a, ip)[0])
            continue;
        config_probe_t *d = &v->probes[v->n];
        *d = *p;
        d->name = via_printf(v, "%s.pod.%s", p->name, pod->name);
        d->host = via_keep(v, strdup(ip));
        d->port = tp;
        d->via_pods = false;
        d->via_service_off = false;
        d->family = FAMILY_ANY;
        cidr_list_t none = {0};
        d->resolved_within = none; /* the pod's own address: the name's ranges do not apply */
        if (p->url) {              /* a url kind, named after its scheme */
            bool v6 = a->family == AF_INET6;
            char hostpart[IP_ADDR_TEXT_LEN + 2];
            snprintf(hostpart, sizeof(hostpart), v6 ? "[%s]" : "%s", ip);
            d->url = via_printf(v, "%s://%s:%d%s", config_kind_name(p->kind), hostpart, tp,
                                via_url_path(p->url));
        }
        if (!d->name || !d->host || (p->url && !d->url))
            return ZT_ERR_NOMEM;
        v->n++;
        added++;
    }
    if (added == 0) {
        snprintf(err, errlen,
                 "probe \"%s\": via pods: no pod of Service %s/%s with an IP in the objects (Pod objects "
                 "with status.podIP, as `kubectl get pods -o yaml` writes them)",
                 p->name, m->namespaces[s->ns].name, s->name);
        return ZT_ERR_INPUT;
    }
    return ZT_OK;
}

zt_status_t via_expand(const k8s_model_t *m, size_t ns, const config_probe_t *const *probes, size_t n,
                       const config_probe_t ***out, size_t *n_out, via_t **via, char *err, size_t errlen)
{
    size_t pods = 0;
    *via = NULL;
    for (size_t i = 0; i < n; i++)
        pods += probes[i]->via_pods;
    const config_probe_t **list = calloc(n + pods * VIA_PODS_MAX + 1, sizeof(*list));
    via_t *v = pods ? calloc(1, sizeof(*v)) : NULL;
    if (!list || (pods && (!v || !(v->probes = calloc(pods * VIA_PODS_MAX, sizeof(*v->probes)))))) {
        free(list);
        via_free(v);
        return ZT_ERR_NOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const config_probe_t *p = probes[i];
        if (!p->via_pods) {
            list[k++] = p;
            continue;
        }
        const k8s_service_t *s = m ? via_service(m, ns, p->host) : NULL;
        if (!s) {
            snprintf(err, errlen, "probe \"%s\": via pods needs %s", p->name,
                     m ? "a host that names a Service of the objects given with --policies"
                       : "the objects (--policies or $ZTPROBE_POLICIES) to find the Service's pods");
            free(list);
            via_free(v);
            return ZT_ERR_INPUT;
        }
        if (!p->via_service_off)
            list[k++] = p;
        size_t first = v->n;
        zt_status_t rc = via_pods(m, s, p, v, err, errlen);
        if (rc != ZT_OK) {
            free(list);
            via_free(v);
            return rc;
        }
        for (size_t j = first; j < v->n; j++)
            list[k++] = &v->probes[j];
    }
    *out = list;
    *n_out = k;
    *via = v;
    return ZT_OK;
}

void via_free(via_t *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_strings; i++)
        free(v->strings[i]);
    free(v->strings);
    free(v->probes);
    free(v);
}
