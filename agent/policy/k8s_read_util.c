/* k8s_read_util.c: the reader's typed value readers and its one error format. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "k8s_read_int.h"

zt_status_t k8s_rfail(k8s_rctx_t *cx, const char *path, const char *fmt, ...)
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

zt_status_t k8s_room(k8s_rctx_t *cx)
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

/* [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? of 1..63 bytes: a label name, or a non-empty value. */
static bool k8s_label_name_ok(const char *s, size_t n)
{
    if (n < 1 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && ((i == 0 || i == n - 1) || (c != '-' && c != '_' && c != '.')))
            return false;
    }
    return true;
}

/* A DNS-1123 subdomain: dot-separated [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 253 bytes. */
static bool k8s_subdomain_ok(const char *s, size_t n)
{
    if (n < 1 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        bool edge = i == 0 || i == n - 1 || s[i - 1] == '.' || s[i + 1] == '.';
        if (!alnum && (edge || (c != '-' && c != '.')))
            return false;
    }
    return true;
}

bool k8s_label_key_ok(const char *key)
{
    const char *slash = strchr(key, '/');
    if (!slash)
        return k8s_label_name_ok(key, strlen(key));
    return k8s_subdomain_ok(key, (size_t)(slash - key)) && k8s_label_name_ok(slash + 1, strlen(slash + 1));
}

bool k8s_label_value_ok(const char *v)
{
    return !*v || k8s_label_name_ok(v, strlen(v));
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
        /* As the API server validates them: what it would refuse must not pass the check. */
        if (!k8s_label_key_ok(c->string))
            return k8s_rfail(cx, p,
                             "not a valid label key ([PREFIX/]NAME: NAME 1..63 of A-Z, a-z, 0-9, '-', '_', "
                             "'.', alphanumeric at both ends; PREFIX a DNS subdomain of at most 253)");
        if (!k8s_label_value_ok(c->valuestring))
            return k8s_rfail(cx, p,
                             "not a valid label value (empty, or 1..63 of A-Z, a-z, 0-9, '-', '_', '.', "
                             "alphanumeric at both ends)");
        /* The strings move from the tree into the set (it is read once and freed after): a
         * map of 80,000 labels is not held twice. cJSON_Delete skips NULL strings. */
        cJSON *own = (cJSON *)c;
        char *key = own->string, *value = own->valuestring;
        own->string = own->valuestring = NULL;
        if (labels_add_take(l, key, value) != 0)
            return k8s_room(cx);
    }
    /* Sorted once: selectors are matched against pods by binary search. */
    if (labels_sort(l) != NULL)
        return k8s_rfail(cx, path, "a label key twice");
    return 0;
}

int k8s_rannotations(k8s_rctx_t *cx, const cJSON *md, const char *path)
{
    char p[K8S_PATH_LEN];
    const cJSON *a = cJSON_IsObject(md) ? cJSON_GetObjectItemCaseSensitive(md, "annotations") : NULL;
    k8s_rpath(p, path, "metadata.annotations");
    if (!a || cJSON_IsNull(a))
        return 0;
    if (!cJSON_IsObject(a))
        return k8s_rfail(cx, p, "must be a map of key: value");
    size_t total = 0;
    for (const cJSON *c = a->child; c; c = c->next) {
        if (!cJSON_IsString(c)) {
            char q[K8S_PATH_LEN];
            k8s_rpath(q, p, c->string);
            return k8s_rfail(cx, q, "must be a string (quote it)");
        }
        total += strlen(c->string) + strlen(c->valuestring);
    }
    if (total > K8S_ANNOTATIONS_MAX)
        return k8s_rfail(cx, p, "%zu bytes in all, more than the API server's %u", total,
                         K8S_ANNOTATIONS_MAX);
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

static int k8s_key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The key that appears twice among obj's members, or NULL. Sorted, not pairwise: a mapping of
 * 100,000 labels costs n log n, not n^2. */
static const char *k8s_dup_key(k8s_rctx_t *cx, const cJSON *obj)
{
    size_t n = 0, i = 0;
    for (const cJSON *c = obj->child; c; c = c->next)
        n++;
    if (n < 2)
        return NULL;
    if (n <= 8) { /* a typical mapping: no allocation */
        for (const cJSON *c = obj->child; c; c = c->next)
            for (const cJSON *d = c->next; d; d = d->next)
                if (strcmp(c->string, d->string) == 0)
                    return c->string;
        return NULL;
    }
    const char **keys = malloc(n * sizeof(*keys));
    if (!keys) {
        k8s_room(cx);
        return NULL;
    }
    for (const cJSON *c = obj->child; c; c = c->next)
        keys[i++] = c->string;
    qsort(keys, n, sizeof(*keys), k8s_key_cmp);
    const char *dup = NULL;
    for (i = 1; i < n && !dup; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            dup = keys[i];
    free(keys);
    return dup;
}

int k8s_rdups(k8s_rctx_t *cx, const cJSON *item, const char *path)
{
    char p[K8S_PATH_LEN];
    if (cJSON_IsObject(item)) {
        const char *dup = k8s_dup_key(cx, item);
        if (cx->rc != 0)
            return cx->rc;
        if (dup) {
            k8s_rpath(p, path, dup);
            return k8s_rfail(cx, p,
                             "duplicate key (kubectl keeps the last one, this check would read the "
                             "first: remove one)");
        }
    }
    size_t i = 0;
    for (const cJSON *c = item->child; c; c = c->next, i++) {
        if (!cJSON_IsObject(c) && !cJSON_IsArray(c))
            continue;
        if (cJSON_IsObject(item))
            k8s_rpath(p, path, c->string);
        else
            k8s_rindex(p, path, i);
        if (k8s_rdups(cx, c, p) != 0)
            return cx->rc;
    }
    return 0;
}

int k8s_rdirections(k8s_rctx_t *cx, const cJSON *types, const char *path, bool *ingress, bool *egress)
{
    if (!types || cJSON_IsNull(types) || (cJSON_IsArray(types) && cJSON_GetArraySize(types) == 0))
        return 1;
    if (!cJSON_IsArray(types))
        return k8s_rfail(cx, path, "must be a list of Ingress and/or Egress");
    size_t i = 0;
    for (const cJSON *t = types->child; t; t = t->next, i++) {
        char q[K8S_PATH_LEN];
        k8s_rindex(q, path, i);
        if (cJSON_IsString(t) && strcmp(t->valuestring, "Ingress") == 0)
            *ingress = true;
        else if (cJSON_IsString(t) && strcmp(t->valuestring, "Egress") == 0)
            *egress = true;
        else
            return k8s_rfail(cx, q, "must be Ingress or Egress");
    }
    return 0;
}
