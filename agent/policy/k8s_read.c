/* k8s_read.c: documents and lists into objects; Namespaces, Services, Pods and workloads.
 * Fields the evaluator does not use are not looked at: `kubectl get -o yaml` output carries
 * managedFields, status and more, and none of it may stop a check. */
#include "k8s_read.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_json.h"
#include "fileio.h"
#include "k8s_read_int.h"

static const cJSON *k8s_get(const cJSON *o, const char *key)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

/* Container ports of spec.containers[] (path: the pod spec). */
static int k8s_read_containers(k8s_rctx_t *cx, const cJSON *spec, const char *path, k8s_pod_t *pod)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN], r[K8S_PATH_LEN], s[K8S_PATH_LEN];
    if (!cJSON_IsObject(spec))
        return k8s_rfail(cx, path, "must be a pod spec (a mapping)");
    const cJSON *cs = k8s_get(spec, "containers");
    k8s_rpath(p, path, "containers");
    if (!cs || cJSON_IsNull(cs))
        return 0;
    if (!cJSON_IsArray(cs))
        return k8s_rfail(cx, p, "must be a list of containers");
    size_t i = 0;
    for (const cJSON *c = cs->child; c; c = c->next, i++) {
        k8s_rindex(q, p, i);
        const cJSON *ports = k8s_get(c, "ports");
        k8s_rpath(r, q, "ports");
        if (!ports || cJSON_IsNull(ports))
            continue;
        if (!cJSON_IsArray(ports))
            return k8s_rfail(cx, r, "must be a list of container ports");
        size_t j = 0;
        for (const cJSON *cp = ports->child; cp; cp = cp->next, j++) {
            k8s_rindex(s, r, j);
            char f[K8S_PATH_LEN];
            if ((pod->n_ports & (pod->n_ports - 1)) == 0) { /* doubles at powers of two */
                k8s_cport_t *np = realloc(pod->ports, (pod->n_ports ? pod->n_ports * 2 : 1) * sizeof(*np));
                if (!np)
                    return k8s_room(cx);
                pod->ports = np;
            }
            k8s_cport_t *port = &pod->ports[pod->n_ports++];
            memset(port, 0, sizeof(*port));
            k8s_rpath(f, s, "containerPort");
            if (k8s_rint(cx, k8s_get(cp, "containerPort"), f, 1, 65535, &port->port) != 0)
                return cx->rc;
            k8s_rpath(f, s, "protocol");
            if (k8s_rproto(cx, k8s_get(cp, "protocol"), f, &port->proto) != 0)
                return cx->rc;
            const cJSON *name = k8s_get(cp, "name");
            k8s_rpath(f, s, "name");
            if (name && !cJSON_IsNull(name)) {
                if (!cJSON_IsString(name) || !k8s_port_name_ok(name->valuestring))
                    return k8s_rfail(cx, f, "must be an IANA port name (1..15 of a-z, 0-9, '-')");
                if (!(port->name = strdup(name->valuestring)))
                    return k8s_room(cx);
            }
        }
    }
    return 0;
}

static int k8s_pod_common(k8s_rctx_t *cx, const char *owner_kind, bool workload, k8s_pod_t **out)
{
    size_t ns;
    if (k8s_model_namespace(cx->m, cx->ns, &ns) != 0)
        return k8s_room(cx);
    k8s_pod_t *pod = k8s_model_add_pod(cx->m);
    if (!pod)
        return k8s_room(cx);
    pod->ns = ns;
    pod->workload = workload;
    size_t n = strlen(owner_kind) + strlen(cx->name) + 2;
    if (!(pod->owner = malloc(n)) || !(pod->name = strdup(cx->name)))
        return k8s_room(cx);
    snprintf(pod->owner, n, "%s/%s", owner_kind, cx->name);
    *out = pod;
    return 0;
}

/* What a Pod and a workload's pod template share: metadata.labels and spec's containers. */
static int k8s_read_pod_body(k8s_rctx_t *cx, const cJSON *obj, const char *path, k8s_pod_t *pod)
{
    char p[K8S_PATH_LEN];
    k8s_rpath(p, path, "metadata.labels");
    if (k8s_rlabels(cx, k8s_get(k8s_get(obj, "metadata"), "labels"), p, &pod->labels) != 0 ||
        k8s_rannotations(cx, k8s_get(obj, "metadata"), path) != 0)
        return cx->rc;
    k8s_rpath(p, path, "spec");
    const cJSON *spec = k8s_get(obj, "spec");
    if (spec && k8s_read_containers(cx, spec, p, pod) != 0)
        return cx->rc;
    const cJSON *sa = k8s_get(spec, "serviceAccountName");
    k8s_rpath(p, path, "spec.serviceAccountName");
    if (sa && !cJSON_IsNull(sa) && (!cJSON_IsString(sa) || !(pod->service_account = strdup(sa->valuestring))))
        return cJSON_IsString(sa) ? k8s_room(cx) : k8s_rfail(cx, p, "must be a string");
    const cJSON *hn = k8s_get(spec, "hostNetwork");
    k8s_rpath(p, path, "spec.hostNetwork");
    if (hn && !cJSON_IsNull(hn) && !cJSON_IsBool(hn))
        return k8s_rfail(cx, p, "must be true or false");
    pod->host_network = cJSON_IsTrue(hn);
    return 0;
}

static int k8s_read_pod(k8s_rctx_t *cx, const cJSON *obj, const char *path)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN];
    k8s_pod_t *pod;
    if (k8s_pod_common(cx, "Pod", false, &pod) != 0)
        return cx->rc;
    if (k8s_read_pod_body(cx, obj, path, pod) != 0)
        return cx->rc;
    const cJSON *st = k8s_get(obj, "status");
    const cJSON *ips = k8s_get(st, "podIPs"), *ip = k8s_get(st, "podIP");
    size_t n = cJSON_IsArray(ips) ? (size_t)cJSON_GetArraySize(ips) : 0;
    if (!(pod->ips = calloc(n + 1, sizeof(*pod->ips))))
        return k8s_room(cx);
    if (ip && !cJSON_IsNull(ip)) {
        k8s_rpath(p, path, "status.podIP");
        if (!cJSON_IsString(ip) || !ip_addr_parse(ip->valuestring, &pod->ips[0]))
            return k8s_rfail(cx, p, "must be an IP address");
        pod->n_ips = 1;
    }
    k8s_rpath(p, path, "status.podIPs");
    if (ips && !cJSON_IsNull(ips) && !cJSON_IsArray(ips))
        return k8s_rfail(cx, p, "must be a list of {ip: ADDRESS}");
    if (n > 2)
        return k8s_rfail(cx, p, "%zu addresses: the API server allows at most 2, one per family", n);
    size_t i = 0;
    for (const cJSON *c = ips ? ips->child : NULL; c; c = c->next, i++) {
        ip_addr_t a;
        k8s_rindex(q, p, i);
        k8s_rpath(q, q, "ip");
        const cJSON *v = k8s_get(c, "ip");
        if (!cJSON_IsString(v) || !ip_addr_parse(v->valuestring, &a))
            return k8s_rfail(cx, q, "must be an IP address");
        bool seen = false;
        for (size_t j = 0; j < pod->n_ips; j++) {
            bool same = ip_addr_equal(&pod->ips[j], &a);
            /* podIP is podIPs[0]: the same address again is fine, another of its family not. */
            if (pod->ips[j].family == a.family && !same && (j > 0 || i > 0))
                return k8s_rfail(cx, q,
                                 "a second address of one family (the API server allows one per family)");
            seen = seen || same;
        }
        if (!seen)
            pod->ips[pod->n_ips++] = a;
    }
    return 0;
}

/* Deployment, StatefulSet, DaemonSet, ReplicaSet, Job: spec.template; CronJob:
 * spec.jobTemplate.spec.template. */
static int k8s_read_workload(k8s_rctx_t *cx, const cJSON *obj, const char *path)
{
    char p[K8S_PATH_LEN];
    bool cron = strcmp(cx->kind, "CronJob") == 0;
    const cJSON *spec = k8s_get(obj, "spec");
    k8s_rpath(p, path, cron ? "spec.jobTemplate.spec.template" : "spec.template");
    const cJSON *tpl = cron ? k8s_get(k8s_get(k8s_get(spec, "jobTemplate"), "spec"), "template")
                            : k8s_get(spec, "template");
    if (!cJSON_IsObject(tpl))
        return k8s_rfail(cx, p, "required: a pod template (metadata.labels, spec.containers)");
    k8s_pod_t *pod;
    if (k8s_pod_common(cx, cx->kind, true, &pod) != 0)
        return cx->rc;
    return k8s_read_pod_body(cx, tpl, p, pod);
}

static int k8s_read_service(k8s_rctx_t *cx, const cJSON *obj, const char *path)
{
    char p[K8S_PATH_LEN], q[K8S_PATH_LEN], f[K8S_PATH_LEN];
    size_t ns;
    if (k8s_model_namespace(cx->m, cx->ns, &ns) != 0)
        return k8s_room(cx);
    k8s_service_t *svc = k8s_model_add_service(cx->m);
    if (!svc || !(svc->name = strdup(cx->name)))
        return k8s_room(cx);
    svc->ns = ns;
    const cJSON *spec = k8s_get(obj, "spec");
    const cJSON *sel = k8s_get(spec, "selector");
    k8s_rpath(p, path, "spec.selector");
    if (sel && !cJSON_IsNull(sel)) {
        svc->has_selector = true;
        if (k8s_rlabels(cx, sel, p, &svc->selector) != 0)
            return cx->rc;
    }
    const cJSON *cip = k8s_get(spec, "clusterIP");
    k8s_rpath(p, path, "spec.clusterIP");
    if (cip && !cJSON_IsNull(cip)) {
        if (!cJSON_IsString(cip))
            return k8s_rfail(cx, p, "must be a string");
        if (*cip->valuestring && strcmp(cip->valuestring, "None") != 0) {
            if (!ip_addr_parse(cip->valuestring, &svc->cluster_ip))
                return k8s_rfail(cx, p, "must be an IP address, \"None\" or empty");
            svc->has_cluster_ip = true;
        }
    }
    const cJSON *ports = k8s_get(spec, "ports");
    k8s_rpath(p, path, "spec.ports");
    if (!(svc->ports = k8s_rlist(cx, ports, p, "must be a list of ports", sizeof(*svc->ports))))
        return cx->rc;
    size_t i = 0;
    for (const cJSON *c = ports->child; c; c = c->next, i++) {
        k8s_svc_port_t *sp = &svc->ports[svc->n_ports++];
        k8s_rindex(q, p, i);
        k8s_rpath(f, q, "port");
        if (k8s_rint(cx, k8s_get(c, "port"), f, 1, 65535, &sp->port) != 0)
            return cx->rc;
        k8s_rpath(f, q, "protocol");
        if (k8s_rproto(cx, k8s_get(c, "protocol"), f, &sp->proto) != 0)
            return cx->rc;
        const cJSON *name = k8s_get(c, "name"), *ap = k8s_get(c, "appProtocol");
        k8s_rpath(f, q, "name");
        if (name && !cJSON_IsNull(name) && (!cJSON_IsString(name) || !(sp->name = strdup(name->valuestring))))
            return cJSON_IsString(name) ? k8s_room(cx) : k8s_rfail(cx, f, "must be a string");
        k8s_rpath(f, q, "appProtocol");
        if (ap && !cJSON_IsNull(ap) && (!cJSON_IsString(ap) || !(sp->app_protocol = strdup(ap->valuestring))))
            return cJSON_IsString(ap) ? k8s_room(cx) : k8s_rfail(cx, f, "must be a string");
        const cJSON *tp = k8s_get(c, "targetPort");
        k8s_rpath(f, q, "targetPort");
        if (!tp || cJSON_IsNull(tp)) {
            sp->target_port = sp->port; /* as the API server defaults it */
        } else if (cJSON_IsString(tp)) {
            if (!k8s_port_name_ok(tp->valuestring))
                return k8s_rfail(cx, f, "must be a number or an IANA port name");
            if (!(sp->target_name = strdup(tp->valuestring)))
                return k8s_room(cx);
        } else if (k8s_rint(cx, tp, f, 1, 65535, &sp->target_port) != 0) {
            return k8s_rfail(cx, f, "must be a number or an IANA port name");
        }
    }
    return 0;
}

static int k8s_read_namespace(k8s_rctx_t *cx, const cJSON *obj, const char *path)
{
    char p[K8S_PATH_LEN];
    size_t ns;
    if (k8s_model_namespace(cx->m, cx->name, &ns) != 0)
        return k8s_room(cx);
    cx->m->namespaces[ns].declared = true;
    k8s_rpath(p, path, "metadata.labels");
    labels_t l = {0};
    if (k8s_rlabels(cx, k8s_get(k8s_get(obj, "metadata"), "labels"), p, &l) != 0 ||
        k8s_rannotations(cx, k8s_get(obj, "metadata"), path) != 0) {
        labels_free(&l);
        return cx->rc;
    }
    /* The labels the namespace has (sorted: the implied one, or an earlier declaration's) are
     * looked up by binary search, the new ones appended and the whole sorted once. */
    labels_t *have = &cx->m->namespaces[ns].labels;
    if (!have->sorted && labels_sort(have) != NULL) {
        labels_free(&l);
        return k8s_rfail(cx, p, "a label key twice");
    }
    labels_t old = *have;
    int rc = 0;
    for (size_t i = 0; i < l.n; i++) {
        char *key = l.items[i].key, *value = l.items[i].value;
        l.items[i].key = l.items[i].value = NULL; /* moved, not copied */
        /* The API server overwrites the implied label with the name; keep it true. */
        if (rc != 0 || strcmp(key, K8S_NS_LABEL) == 0 || labels_get(&old, key)) {
            free(key);
            free(value);
            continue;
        }
        if (labels_add_take(have, key, value) != 0)
            rc = k8s_room(cx);
        old.items = have->items; /* the set may have moved */
    }
    labels_free(&l);
    labels_sort(have);
    return rc;
}

static const char *const k8s_workloads[] = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
                                            "Job",        "CronJob",     NULL};

/* One object (a document, or an item of a List). */
int k8s_read_object(k8s_rctx_t *cx, const cJSON *obj, const char *path)
{
    char p[K8S_PATH_LEN];
    cx->kind = cx->ns = cx->name = NULL;
    if (!cJSON_IsObject(obj))
        return k8s_rfail(cx, path, "must be a Kubernetes object (a mapping with apiVersion and kind)");
    cx->m->objects++;
    const cJSON *kind = k8s_get(obj, "kind"), *api = k8s_get(obj, "apiVersion");
    const cJSON *md = k8s_get(obj, "metadata");
    k8s_rpath(p, path, "kind");
    if (!cJSON_IsString(kind) || !*kind->valuestring)
        return k8s_rfail(cx, p, "required: a string");
    k8s_rpath(p, path, "apiVersion");
    if (api && !cJSON_IsString(api))
        return k8s_rfail(cx, p, "must be a string");
    const char *apis = api ? api->valuestring : "";
    cx->kind = kind->valuestring;
    bool list = strcmp(cx->kind, "List") == 0 ||
        (strlen(cx->kind) > 4 && strcmp(cx->kind + strlen(cx->kind) - 4, "List") == 0);
    if (list) {
        const cJSON *items = k8s_get(obj, "items");
        k8s_rpath(p, path, "items");
        if (items && !cJSON_IsNull(items) && !cJSON_IsArray(items))
            return k8s_rfail(cx, p, "must be a list of objects");
        cx->m->objects--;
        size_t i = 0;
        for (const cJSON *c = items ? items->child : NULL; c; c = c->next, i++) {
            char q[K8S_PATH_LEN];
            k8s_rindex(q, p, i);
            if (k8s_read_object(cx, c, q) != 0)
                return cx->rc;
        }
        return 0;
    }
    const cJSON *name = k8s_get(md, "name"), *ns = k8s_get(md, "namespace");
    if (cJSON_IsString(name))
        cx->name = name->valuestring;
    if (cJSON_IsString(ns) && *ns->valuestring)
        cx->ns = ns->valuestring;
    bool known = strcmp(cx->kind, "Namespace") == 0 || strcmp(cx->kind, "Service") == 0 ||
        strcmp(cx->kind, "Pod") == 0 || config_json_in_list(cx->kind, k8s_workloads) ||
        (strcmp(cx->kind, "NetworkPolicy") == 0 && strcmp(apis, "networking.k8s.io/v1") == 0);
    bool calico = k8s_read_is_calico(cx->kind, apis), cilium = k8s_read_is_cilium(cx->kind, apis);
    bool eps = k8s_read_is_endpoints(cx->kind, apis);
    if (k8s_read_is_anp(cx->kind, apis))
        return k8s_read_anp(cx, obj, path, apis);
    if (strcmp(cx->kind, "Node") == 0 && strcmp(apis, "v1") == 0)
        return k8s_read_node(cx, obj, path);
    if (!calico && !cilium && k8s_read_is_foreign(cx->kind, apis))
        return k8s_read_foreign(cx, k8s_read_anp_version(cx->kind));
    if (!known && !calico && !cilium && !eps)
        return k8s_model_count_skipped(cx->m, cx->kind) == 0 ? 0 : k8s_room(cx);
    k8s_rpath(p, path, "metadata.name");
    if (!cx->name || !*cx->name)
        return k8s_rfail(cx, p, "required: a string");
    k8s_rpath(p, path, "metadata.namespace");
    if (ns && !cJSON_IsNull(ns) && !cJSON_IsString(ns))
        return k8s_rfail(cx, p, "must be a string");
    if (strcmp(cx->kind, "Namespace") == 0) {
        cx->ns = NULL;
        return k8s_read_namespace(cx, obj, path);
    }
    if (!cx->ns)
        cx->ns = cx->m->default_ns[0] ? cx->m->default_ns : "default";
    if (k8s_rannotations(cx, md, path) != 0)
        return cx->rc;
    if (calico)
        return k8s_read_calico(cx, obj, path, apis);
    if (cilium)
        return k8s_read_cilium(cx, obj, path);
    if (eps)
        return k8s_read_endpoints(cx, obj, path);
    if (strcmp(cx->kind, "NetworkPolicy") == 0)
        return k8s_read_policy(cx, obj, path, apis);
    if (strcmp(cx->kind, "Service") == 0)
        return k8s_read_service(cx, obj, path);
    if (strcmp(cx->kind, "Pod") == 0)
        return k8s_read_pod(cx, obj, path);
    return k8s_read_workload(cx, obj, path);
}

zt_status_t k8s_read_file(k8s_model_t *m, const char *path, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t n = 0;
    struct stat st;
    /* kubectl users give folders to -f; a kustomize folder is not a list of objects. */
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen,
                 "%s: is a directory: give the files inside it, one -f each, or render a "
                 "kustomization first (kubectl kustomize %s > objects.yaml)",
                 path, path);
        return ZT_ERR_INPUT;
    }
    zt_status_t rc = fileio_read_stream_capped(path, K8S_READ_MAX_BYTES, &buf, &n, err, errlen);
    if (rc != ZT_OK)
        return rc;
    rc = k8s_read_text(m, path, buf, n, err, errlen);
    free(buf);
    return rc;
}
