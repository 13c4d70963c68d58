/* k8s_read_util.c: the reader's typed value readers and its one error format. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "k8s_read_int.h"

int k8s_rfail(k8s_rctx_t *cx, const char *path, const char *fmt, ...)
{
    if (cx->rc != 0)
        return cx->rc;
    cx->rc = ZT_ERR_INPUT;
    char what[300] = "";
    if (cx->kind) {
        snprintf(what, sizeof(what), " (%s %s%s%s)", cx->kind, cx->ns ? cx->ns : "", cx->ns ? "/" : "",
                 cx->name ? cx->name : "(no name)");
    }
    int n = snprintf(cx->err, cx->errlen, "%s: document %d%s: %s: ", cx->file, cx->doc, what,
                     *path ? path : "(top level)");
    if (n >= 0 && (size_t)n < cx->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cx->err + n, cx->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return cx->rc;
}

int k8s_room(k8s_rctx_t *cx)
{
    if (cx->rc == 0) {
        cx->rc = ZT_ERR_NOMEM;
        snprintf(cx->err, cx->errlen, "out of memory");
    }
    return cx->rc;
}

void *k8s_rlist(k8s_rctx_t *cx, const cJSON *v, const char *path, const char *what, size_t size)
{
    if (!v || cJSON_IsNull(v))
        return NULL;
    if (!cJSON_IsArray(v)) {
        k8s_rfail(cx, path, "%s", what);
        return NULL;
    }
    int n = cJSON_GetArraySize(v);
    void *items = calloc(n > 0 ? (size_t)n : 1, size);
    if (!items)
        k8s_room(cx);
    return items;
}

/* The parent is copied first: callers extend a path in place (k8s_rindex(p, p, i)). */
void k8s_rpath(char *dst, const char *parent, const char *key)
{
    char tmp[K8S_PATH_LEN];
    snprintf(tmp, sizeof(tmp), "%s", parent);
    config_json_path(dst, K8S_PATH_LEN, tmp, key);
}

void k8s_rindex(char *dst, const char *parent, size_t i)
{
    char tmp[K8S_PATH_LEN];
    snprintf(tmp, sizeof(tmp), "%s", parent);
    config_json_index(dst, K8S_PATH_LEN, tmp, i);
}

int k8s_rlabels(k8s_rctx_t *cx, const cJSON *obj, const char *path, labels_t *l)
{
    char p[K8S_PATH_LEN];
    if (!obj || cJSON_IsNull(obj))
        return 0;
    if (!cJSON_IsObject(obj))
        return k8s_rfail(cx, path, "must be a map of label: value");
    for (const cJSON *c = obj->child; c; c = c->next) {
        k8s_rpath(p, path, c->string);
        if (!cJSON_IsString(c))
            return k8s_rfail(cx, p, "must be a string (quote it)");
        if (labels_add(l, c->string, c->valuestring) != 0)
            return k8s_room(cx);
    }
    return 0;
}

int k8s_rproto(k8s_rctx_t *cx, const cJSON *v, const char *path, k8s_proto_t *out)
{
    *out = K8S_TCP;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsString(v) && strcmp(v->valuestring, "TCP") == 0)
        return 0;
    if (cJSON_IsString(v) && strcmp(v->valuestring, "UDP") == 0) {
        *out = K8S_UDP;
        return 0;
    }
    if (cJSON_IsString(v) && strcmp(v->valuestring, "SCTP") == 0) {
        *out = K8S_SCTP;
        return 0;
    }
    return k8s_rfail(cx, path, "must be TCP, UDP or SCTP");
}

int k8s_rint(k8s_rctx_t *cx, const cJSON *v, const char *path, int lo, int hi, int *out)
{
    /* The range first: casting a double outside long's range is undefined behaviour. */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
        v->valuedouble != (double)(int)v->valuedouble)
        return k8s_rfail(cx, path, "must be an integer %d..%d", lo, hi);
    *out = (int)v->valuedouble;
    return 0;
}

bool k8s_port_name_ok(const char *s)
{
    size_t n = strlen(s);
    bool letter = false;
    if (n < 1 || n > 15 || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 'a' && s[i] <= 'z')
            letter = true;
        else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
            return false;
    }
    return letter;
}
