/* cilium_model.h: Cilium's policy objects (cilium.io/v2 CiliumNetworkPolicy and
 * CiliumClusterwideNetworkPolicy) as plain data inside the Kubernetes model (k8s_model.h), and
 * the request an http probe sends (for L7 rules). Read by k8s_read_cilium.c, evaluated by
 * cilium_eval.c. Endpoint selectors are metav1.LabelSelectors whose keys have lost their
 * `k8s:` / `any:` source prefixes. */
#ifndef ZT_CILIUM_MODEL_H
#define ZT_CILIUM_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"
#include "labels.h"

/* Entities (pkg/policy/api/entity.go), as bits. */
enum {
    CIL_ENT_ALL = 1 << 0,
    CIL_ENT_WORLD = 1 << 1,
    CIL_ENT_WORLD_V4 = 1 << 2,
    CIL_ENT_WORLD_V6 = 1 << 3,
    CIL_ENT_CLUSTER = 1 << 4,
    CIL_ENT_HOST = 1 << 5,
    CIL_ENT_REMOTE_NODE = 1 << 6,
    CIL_ENT_KUBE_APISERVER = 1 << 7,
    CIL_ENT_HEALTH = 1 << 8,
    CIL_ENT_INIT = 1 << 9,
    CIL_ENT_INGRESS = 1 << 10,
    CIL_ENT_UNMANAGED = 1 << 11,
    CIL_ENT_NONE = 1 << 12
};

#define CIL_PROTO_TCP 1u
#define CIL_PROTO_UDP 2u
#define CIL_PROTO_SCTP 4u
#define CIL_PROTO_ANY (CIL_PROTO_TCP | CIL_PROTO_UDP | CIL_PROTO_SCTP)

typedef struct {
    int port;     /* 0: every port */
    int end_port; /* 0: just port */
    char *name;   /* a named port, else NULL */
    unsigned protos;
} cil_port_t;

/* One L7 HTTP rule: every field given must match; method, path and host are POSIX extended
 * regular expressions matched against the whole value; headers are "Name" (present) or
 * "Name: value". */
typedef struct {
    char *method, *path, *host;
    char **headers;
    size_t n_headers;
} cil_http_t;

typedef struct {
    cil_port_t *ports;
    size_t n_ports;
    bool has_http; /* rules.http given: the port is proxied, requests must match one */
    cil_http_t *http;
    size_t n_http;
    bool has_dns; /* rules.dns given (the DNS proxy; names allowed below) */
    char **dns_names, **dns_patterns;
    size_t n_dns_names, n_dns_patterns;
} cil_toports_t;

typedef struct {
    cidr_t cidr;
    cidr_t *except;
    size_t n_except;
} cil_cidr_t;

/* A peer selector of fromEndpoints / toEndpoints. */
typedef struct {
    labels_t match;
    struct cil_req *exprs;
    size_t n_exprs;
    bool names_namespace; /* the selector has the io.kubernetes.pod.namespace key */
    bool ns_labels;       /* ... or an io.cilium.k8s.namespace.labels.* key */
} cil_selector_t;

struct cil_req {
    char *key;
    int op; /* K8S_OP_IN.. of k8s_model.h */
    char **values;
    size_t n_values;
};

/* An ingress / egress (allow or deny) rule. The L3 part: the peers of the kinds given
 * (fromEndpoints, fromCIDR(Set), fromEntities, toFQDNs); none given: every peer, but only when
 * toPorts is given (a rule with neither matches nothing). */
typedef struct {
    bool has_endpoints, has_cidr, has_entities, has_fqdn;
    cil_selector_t *endpoints;
    size_t n_endpoints;
    cil_cidr_t *cidrs;
    size_t n_cidrs;
    unsigned entities;
    char **fqdn_names, **fqdn_patterns;
    size_t n_fqdn_names, n_fqdn_patterns;
    bool has_toports;
    cil_toports_t *toports;
    size_t n_toports;
    bool icmp_only; /* icmps given without toPorts: never TCP, UDP or SCTP */
} cil_rule_t;

typedef struct {
    char *kind; /* "CiliumNetworkPolicy" | "CiliumClusterwideNetworkPolicy" */
    char *name; /* with "[i]" for the i-th of `specs` */
    bool clusterwide;
    size_t ns;
    bool node_selector; /* a host policy: never a pod */
    cil_selector_t selector;
    bool default_deny_ingress, default_deny_egress; /* enableDefaultDeny (default true) */
    cil_rule_t *rules[4]; /* CIL_INGRESS, CIL_INGRESS_DENY, CIL_EGRESS, CIL_EGRESS_DENY */
    size_t n_rules[4];
} cil_policy_t;

enum { CIL_INGRESS, CIL_INGRESS_DENY, CIL_EGRESS, CIL_EGRESS_DENY };

typedef struct {
    cil_policy_t *policies;
    size_t n_policies, cap_policies;
} cil_model_t;

/* What an http(s) probe sends, for L7 rules. */
typedef struct {
    bool https;
    const char *method, *path, *host;
    const char *const *header_names;
    const char *const *header_values;
    size_t n_headers;
    const char *dns_query; /* a dns probe's name, else NULL */
} k8s_l7_req_t;

cil_policy_t *cil_model_add_policy(cil_model_t *c);
void cil_selector_free(cil_selector_t *s);
void cil_model_free(cil_model_t *c);

#endif
