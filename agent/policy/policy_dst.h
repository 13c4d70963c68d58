/* policy_dst.h: a probe's destinations in the objects (a Service's pods or endpoints, a pod or
 * Service by IP, an outside address, the cluster DNS), for policy_target.c. Pure. */
#ifndef ZT_POLICY_DST_H
#define ZT_POLICY_DST_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "netpol.h"

#define POLICY_MAX_DST 64  /* destinations asked per probe (pods of a Service, resolved_within) */
#define POLICY_WHY_LEN 900 /* = POLICY_REASON_LEN: the sentence becomes the probe's reason */

/* Why a lookup wrote no destination: the sentence, and whether the cause is a Service whose
 * selector picks none of the pods its namespace has in the objects (a Service without
 * endpoints: a fault a run meets, not a gap of the objects, so run --policies hints it). */
typedef struct {
    char text[POLICY_WHY_LEN];
    bool unselected;
} policy_why_t;

/* One destination: an endpoint and the port the connection reaches it on (a Service's
 * targetPort). */
typedef struct {
    netpol_endpoint_t ep;
    int port;
    labels_t *virt; /* labels of a virtual pod (owned by the caller) */
} policy_dst_t;

/* A Service named by host ("svc", "svc.ns", "svc.ns.svc", "svc.ns.svc.cluster.local"), svc
 * alone in role_ns; NULL when the objects have none. */
const k8s_service_t *policy_dst_find_service(const k8s_model_t *m, size_t role_ns, const char *host);

/* A name that can only be a cluster Service: one label, or "svc.ns.svc[.cluster.local]". */
bool policy_dst_cluster_name(const char *host);

/* An outside block ("0.0.0.0/0") as an endpoint; false when text is no CIDR. */
bool policy_dst_range(const char *text, netpol_endpoint_t *e);

/* Each returns how many destinations it wrote into d (at most POLICY_MAX_DST), 0 with why
 * set when the objects cannot say. A Service's port: its selected pods on the targetPort, or
 * its endpoints. When the objects hold no pod of its namespace (policies only), a pod with
 * exactly the selector's labels stands for them; when they hold some and the selector picks
 * none, there is no destination (why->unselected: the Service has no endpoints). */
size_t policy_dst_service(const k8s_model_t *m, const k8s_service_t *s, int port, k8s_proto_t proto,
                          policy_dst_t *d, policy_why_t *why);
/* An IP address: a pod, a Service's pods (by ClusterIP), or outside. */
size_t policy_dst_ip(const k8s_model_t *m, const char *ip, int port, k8s_proto_t proto, policy_dst_t *d,
                     policy_why_t *why);
/* The cluster DNS: the probe's or the config's server if the objects know its address, else
 * the Service kube-dns (kube-system first), else an unknown endpoint. */
size_t policy_dst_dns(const k8s_model_t *m, const config_t *cfg, const config_probe_t *p, k8s_proto_t proto,
                      policy_dst_t *d, policy_why_t *why);

#endif
