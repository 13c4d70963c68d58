/* k8s_read_int.h: internal header of the object reader (k8s_read.c, k8s_read_np.c): the
 * per-object context and the typed readers that fail with one path-naming message. */
#ifndef ZT_K8S_READ_INT_H
#define ZT_K8S_READ_INT_H

#include <cJSON.h>
#include <stdbool.h>

#include "k8s_model.h"
#include "status.h"

#define K8S_PATH_LEN 256

typedef struct {
    k8s_model_t *m;
    const char *file;
    int doc;          /* 1-based document index */
    const char *kind; /* of the object being read */
    const char *ns;   /* NULL for cluster-scoped objects or when absent */
    const char *name;
    char *err;
    size_t errlen;
    zt_status_t rc;      /* first failure: ZT_ERR_INPUT malformed, ZT_ERR_NOMEM OOM */
    bool items_streamed; /* the document's items were read one by one (k8s_read_stream.c) */
} k8s_rctx_t;

/* One object: a document, or an item of a List (path "items[i]"); a List reads its items. */
int k8s_read_object(k8s_rctx_t *cx, const cJSON *obj, const char *path);

/* Records "FILE: document N (Kind ns/name): path: reason" as ZT_ERR_INPUT, and returns cx->rc
 * (an earlier failure is kept: only the first is reported). */
zt_status_t k8s_rfail(k8s_rctx_t *cx, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records "out of memory" as ZT_ERR_NOMEM unless a failure came first; returns cx->rc. */
zt_status_t k8s_room(k8s_rctx_t *cx);

/* "parent.key" / "parent[i]". */
void k8s_rpath(char *dst, const char *parent, const char *key);
void k8s_rindex(char *dst, const char *parent, size_t i);

/* A list of "Ingress" and/or "Egress" at path (NetworkPolicy policyTypes, Calico types): sets
 * *ingress / *egress for each entry. Returns 1 when the list is absent, null or empty (the
 * caller applies its API's default), 0 when read, or the failure of k8s_rfail. */
int k8s_rdirections(k8s_rctx_t *cx, const cJSON *types, const char *path, bool *ingress, bool *egress);

/* Refuses a mapping anywhere under item with a key twice ("path.key: duplicate key"): cJSON
 * and libyaml keep both and the reader would see the first, kubectl the last. */
int k8s_rdups(k8s_rctx_t *cx, const cJSON *item, const char *path);
/* The API server's cap on metadata.annotations: keys and values, 256 KiB in all. */
#define K8S_ANNOTATIONS_MAX (256u * 1024u)

/* A label key ([PREFIX/]NAME) and value as the API server validates them. */
bool k8s_label_key_ok(const char *key);
bool k8s_label_value_ok(const char *v);
/* A map of label values into l (absent: nothing), keys and values checked as the API server
 * does, then sorted. The strings move out of the tree (read the map once). */
int k8s_rlabels(k8s_rctx_t *cx, const cJSON *obj, const char *path, labels_t *l);
/* metadata.annotations under path (md: the metadata): strings, K8S_ANNOTATIONS_MAX in all. */
int k8s_rannotations(k8s_rctx_t *cx, const cJSON *md, const char *path);
/* "TCP" | "UDP" | "SCTP"; absent: TCP. */
int k8s_rproto(k8s_rctx_t *cx, const cJSON *v, const char *path, k8s_proto_t *out);
/* An integer lo..hi. */
int k8s_rint(k8s_rctx_t *cx, const cJSON *v, const char *path, int lo, int hi, int *out);
/* An optional list: NULL when absent or null (a NULL return is a failure only when cx->rc is
 * set); otherwise zeroed room for its items, at least one so that an empty list is not NULL. */
void *k8s_rlist(k8s_rctx_t *cx, const cJSON *v, const char *path, const char *what, size_t size);
/* An IANA service name (a named port): 1..15 of [a-z0-9-], a letter, no "--", no edge '-'. */
bool k8s_port_name_ok(const char *s);

/* NetworkPolicy and the foreign policy kinds (k8s_read_np.c). */
int k8s_read_policy(k8s_rctx_t *cx, const cJSON *obj, const char *path, const char *api);
/* True when kind/api is a policy object the evaluator does not understand. */
bool k8s_read_is_foreign(const char *kind, const char *api);
int k8s_read_foreign(k8s_rctx_t *cx, const char *why);
/* A metav1.LabelSelector (absent or null: empty, matching everything). */
int k8s_rselector(k8s_rctx_t *cx, const cJSON *v, const char *path, k8s_selector_t *s);
/* The first key of obj not in allowed (NULL-terminated), or NULL. */
const char *k8s_unknown_key(const cJSON *obj, const char *const *allowed);

/* One admin API version (k8s_read_anp.c's table): kind, group/version, limits, actions. */
typedef struct {
    anp_api_t api;
    const char *kind, *group;
    bool has_tier, has_priority, protocols; /* protocols: v1alpha2 `protocols`, else `ports` */
    int max_rules, max_peers;
    const char *accept;            /* "Accept" or "Allow" */
    bool pass;                     /* Pass is an action */
    const struct anp_key *eg_peer; /* the egress peers' schema (k8s_read_anp.c) */
} k8s_anp_api_t;

/* The admin rules' readers (k8s_read_anp_rule.c). A list of lo..hi items: its size or -1. */
int k8s_anp_list(k8s_rctx_t *cx, const cJSON *v, const char *path, int lo, int hi, const char *what);
/* Exactly one of keys (NULL-terminated) set: its index, or -1. */
int k8s_anp_one_of(k8s_rctx_t *cx, const cJSON *v, const char *path, const char *const *keys);
/* {namespaceSelector, podSelector}, the pod selector required. */
int k8s_anp_nspod(k8s_rctx_t *cx, const cJSON *v, const char *path, k8s_selector_t *ns, k8s_selector_t *pod);
/* spec.ingress / spec.egress of one policy. */
int k8s_anp_rules(k8s_rctx_t *cx, const k8s_anp_api_t *ai, const cJSON *spec, const char *path, bool egress,
                  anp_rule_t **out, size_t *nout);

/* The admin tiers (k8s_read_anp.c): ClusterNetworkPolicy v1alpha2 and networking.k8s.aws/v1alpha1,
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy v1alpha1, and Node objects. */
bool k8s_read_is_anp(const char *kind, const char *api);
int k8s_read_anp(k8s_rctx_t *cx, const cJSON *obj, const char *path, const char *api);
int k8s_read_node(k8s_rctx_t *cx, const cJSON *obj, const char *path);
/* Why a policy kind is not read: for the admin kinds of another version, the versions read. */
const char *k8s_read_anp_version(const char *kind);

/* Calico's policy kinds, Tier and ServiceAccount (k8s_read_calico.c). */
bool k8s_read_is_calico(const char *kind, const char *api);
int k8s_read_calico(k8s_rctx_t *cx, const cJSON *obj, const char *path, const char *api);

/* CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy (k8s_read_cilium*.c). */
bool k8s_read_is_cilium(const char *kind, const char *api);
int k8s_read_cilium(k8s_rctx_t *cx, const cJSON *obj, const char *path);
int k8s_read_cilium_toports(k8s_rctx_t *cx, const cJSON *v, const char *path, bool deny, cil_rule_t *out);

/* Endpoints and EndpointSlices (k8s_read_endpoints.c). */
bool k8s_read_is_endpoints(const char *kind, const char *api);
int k8s_read_endpoints(k8s_rctx_t *cx, const cJSON *obj, const char *path);

#endif
