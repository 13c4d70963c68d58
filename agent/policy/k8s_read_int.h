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
    zt_status_t rc; /* first failure: ZT_ERR_INPUT malformed, ZT_ERR_NOMEM OOM */
} k8s_rctx_t;

/* Records "FILE: document N (Kind ns/name): path: reason" and returns cx->rc (-1). */
int k8s_rfail(k8s_rctx_t *cx, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int k8s_room(k8s_rctx_t *cx);

/* "parent.key" / "parent[i]". */
void k8s_rpath(char *dst, const char *parent, const char *key);
void k8s_rindex(char *dst, const char *parent, size_t i);

/* A map of string values into l (absent: nothing). */
int k8s_rlabels(k8s_rctx_t *cx, const cJSON *obj, const char *path, labels_t *l);
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

#endif
