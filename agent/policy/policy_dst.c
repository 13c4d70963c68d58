/* policy_dst.c: where a probe goes, in the objects: the pods behind a Service (by selector,
 * or its Endpoints / EndpointSlices), a pod or Service by IP, an outside address, or the
 * cluster DNS. Pure; policy_target.c asks each (source, destination) pair. */
#include "policy_dst.h"

#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

/* A Service named by host ("svc", "svc.ns", "svc.ns.svc", "svc.ns.svc.cluster.local"). */
const k8s_service_t *policy_dst_find_service(const k8s_model_t *m, size_t role_ns, const char *host)
{
    char buf[256], *parts[6];
    size_t n = 0;
    snprintf(buf, sizeof(buf), "%s", host);
    size_t l = strlen(buf);
    if (l && buf[l - 1] == '.')
        buf[l - 1] = '\0';
    for (char *save = NULL, *t = strtok_r(buf, ".", &save); t && n < 6; t = strtok_r(NULL, ".", &save))
        parts[n++] = t;
    if (n == 0 || n > 5 || (n >= 3 && strcmp(parts[2], "svc") != 0) ||
        (n == 5 && (strcmp(parts[3], "cluster") != 0 || strcmp(parts[4], "local") != 0)) || n == 4)
        return NULL;
    long ns = n == 1 ? (long)role_ns : k8s_model_find_namespace(m, parts[1]);
    return ns < 0 ? NULL : k8s_model_find_service(m, (size_t)ns, parts[0]);
}

/* A name that can only be a cluster Service: one label (found through the pod's search
 * domains), or "svc.ns.svc[.cluster.local]". When its Service is not in the objects, the
 * objects cannot say where it leads (reading it as an outside name would judge pod and
 * ClusterIP addresses by ipBlocks: a confident wrong answer). */
bool policy_dst_cluster_name(const char *host)
{
    const char *dot = strchr(host, '.');
    if (!dot || strcmp(dot, ".") == 0)
        return true;
    const char *svc = strstr(host, ".svc");
    if (!svc || svc == host)
        return false;
    return strcmp(svc, ".svc") == 0 || strcmp(svc, ".svc.") == 0 || strcmp(svc, ".svc.cluster.local") == 0 ||
        strcmp(svc, ".svc.cluster.local.") == 0;
}

/* A Service without a selector: the addresses of its Endpoints / EndpointSlices, each a pod
 * of the objects or an address outside them, on the targetPort (else the port). */
static size_t pd_endpoints(const k8s_model_t *m, const k8s_service_t *s, const k8s_svc_port_t *sp,
                           policy_dst_t *d, policy_why_t *why)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_endpoints; i++) {
        const k8s_endpoints_t *e = &m->endpoints[i];
        if (e->ns != s->ns || strcmp(e->service, s->name) != 0)
            continue;
        for (size_t k = 0; k < e->n_addrs && n < POLICY_MAX_DST; k++, n++) {
            long pod = k8s_model_find_pod_ip(m, &e->addrs[k]);
            memset(&d[n], 0, sizeof(d[n]));
            if (pod >= 0) {
                netpol_endpoint_pod(m, (size_t)pod, &d[n].ep);
            } else {
                cidr_t c = {.net = e->addrs[k], .prefix = e->addrs[k].family == AF_INET ? 32u : 128u};
                netpol_endpoint_range(&c, &d[n].ep);
            }
            d[n].port = sp->target_port ? sp->target_port : sp->port;
        }
    }
    if (n == 0)
        snprintf(why->text, sizeof(why->text),
                 "Service %s/%s has no selector and no Endpoints or EndpointSlice in the objects",
                 m->namespaces[s->ns].name, s->name);
    return n;
}

/* The selector picks none of the namespace's pods: the Service has no endpoints, whatever
 * its port (a pod relabelled out of it, or a selector that drifted). What to compare. */
static void pd_unselected(const k8s_model_t *m, const k8s_service_t *s, policy_why_t *why)
{
    const k8s_namespace_t *sns = &m->namespaces[s->ns];
    char sel[256];
    labels_format(&s->selector, sel, sizeof(sel));
    snprintf(
        why->text, sizeof(why->text),
        "Service %s/%s has no endpoints: its selector %s matches none of the %zu pod%s of %s in the "
        "objects (a pod relabelled?): compare `kubectl get pods -n %s -l %s` with `kubectl get pods -n %s "
        "--show-labels`",
        sns->name, s->name, sel, sns->n_pods, sns->n_pods == 1 ? "" : "s", sns->name, sns->name, sel,
        sns->name);
    why->unselected = true;
}

/* Destinations of a Service port: its selected pods on the targetPort. */
size_t policy_dst_service(const k8s_model_t *m, const k8s_service_t *s, int port, k8s_proto_t proto,
                          policy_dst_t *d, policy_why_t *why)
{
    const k8s_svc_port_t *sp = NULL;
    for (size_t i = 0; i < s->n_ports; i++)
        if (s->ports[i].port == port && s->ports[i].proto == proto)
            sp = &s->ports[i];
    if (!sp) {
        snprintf(why->text, sizeof(why->text), "Service %s/%s has no %s port %d", m->namespaces[s->ns].name,
                 s->name, k8s_proto_name(proto), port);
        return 0;
    }
    if (!s->has_selector)
        return pd_endpoints(m, s, sp, d, why);
    size_t n = 0, selected = 0;
    const k8s_namespace_t *sns = &m->namespaces[s->ns];
    for (size_t k = 0; k < sns->n_pods && n < POLICY_MAX_DST; k++) {
        size_t i = sns->pods[k];
        const k8s_pod_t *p = &m->pods[i];
        if (!labels_match(&s->selector, &p->labels))
            continue;
        selected++;
        int tp = sp->target_port;
        for (size_t j = 0; sp->target_name && j < p->n_ports; j++)
            if (p->ports[j].name && strcmp(p->ports[j].name, sp->target_name) == 0 &&
                p->ports[j].proto == proto)
                tp = p->ports[j].port;
        if (tp == 0)
            continue; /* no such named port on this pod: no endpoint there */
        netpol_endpoint_pod(m, i, &d[n].ep);
        d[n].ep.via_service = true;
        d[n].port = tp;
        d[n].virt = NULL;
        n++;
    }
    if (n > 0)
        return n;
    /* Pods of the namespace in the objects, none selected: the fault the user hunts, which a
     * stand-in pod carrying the selector's labels would hide (and judge as reachable). */
    if (selected == 0 && sns->n_pods > 0) {
        pd_unselected(m, s, why);
        return 0;
    }
    if (sp->target_name) { /* selected, or nothing to select: no container port to resolve it */
        snprintf(why->text, sizeof(why->text), "no pod of Service %s/%s has a container port named %s",
                 sns->name, s->name, sp->target_name);
        return 0;
    }
    /* No pod of the namespace in the objects (policies only): a pod with exactly the
     * selector's labels stands for its workload. */
    memset(&d[0], 0, sizeof(d[0]));
    d[0].ep.is_pod = true;
    d[0].ep.ns = s->ns;
    d[0].ep.labels = &s->selector;
    d[0].ep.via_service = true;
    d[0].port = sp->target_port;
    return 1;
}

bool policy_dst_range(const char *text, netpol_endpoint_t *e)
{
    cidr_t c;
    char err[64];
    if (cidr_parse_masked(text, &c, err, sizeof(err)) != 0)
        return false;
    netpol_endpoint_range(&c, e);
    return true;
}

/* The destinations of an IP address: a pod, a Service's pods, or outside. */
size_t policy_dst_ip(const k8s_model_t *m, const char *ip, int port, k8s_proto_t proto, policy_dst_t *d,
                     policy_why_t *why)
{
    ip_addr_t a;
    if (!ip_addr_parse(ip, &a))
        return 0;
    long pod = k8s_model_find_pod_ip(m, &a);
    if (pod >= 0) {
        netpol_endpoint_pod(m, (size_t)pod, &d[0].ep);
        d[0].ep.addr = a;
        d[0].port = port;
        return 1;
    }
    for (size_t i = 0; i < m->n_services; i++) {
        const k8s_service_t *s = &m->services[i];
        if (s->has_cluster_ip && ip_addr_equal(&s->cluster_ip, &a))
            return policy_dst_service(m, s, port, proto, d, why);
    }
    memset(&d[0], 0, sizeof(d[0]));
    policy_dst_range(ip, &d[0].ep);
    d[0].port = port;
    return 1;
}

/* The cluster DNS: a server of the probe or the config given as an IP in the objects, else
 * the Service kube-dns (kube-system first), else unknown. */
size_t policy_dst_dns(const k8s_model_t *m, const config_t *cfg, const config_probe_t *p, k8s_proto_t proto,
                      policy_dst_t *d, policy_why_t *why)
{
    const char *server = p->server ? p->server : cfg->n_dns_servers ? cfg->dns_servers[0] : NULL;
    if (server) {
        char ip[64];
        snprintf(ip, sizeof(ip), "%s", server[0] == '[' ? server + 1 : server);
        char *end = strchr(ip, ']');
        if (end)
            *end = '\0';
        else if (strchr(ip, ':') == strrchr(ip, ':') && strchr(ip, ':'))
            *strchr(ip, ':') = '\0'; /* a.b.c.d:port */
        ip_addr_t a;
        if (ip_addr_parse(ip, &a)) {
            for (size_t i = 0; i < m->n_services; i++)
                if (m->services[i].has_cluster_ip &&
                    memcmp(m->services[i].cluster_ip.bytes, a.bytes, 16) == 0)
                    return policy_dst_service(m, &m->services[i], 53, proto, d, why);
            if (k8s_model_find_pod_ip(m, &a) >= 0)
                return policy_dst_ip(m, ip, 53, proto, d, why);
        }
    }
    const k8s_service_t *s = NULL;
    for (size_t i = 0; i < m->n_services; i++)
        if (strcmp(m->services[i].name, "kube-dns") == 0 &&
            (!s || strcmp(m->namespaces[m->services[i].ns].name, "kube-system") == 0))
            s = &m->services[i];
    if (s)
        return policy_dst_service(m, s, 53, proto, d, why);
    memset(&d[0], 0, sizeof(d[0]));
    d[0].ep.unknown = true;
    d[0].port = 53;
    return 1;
}
