/* k8s_read_stream.c: the text of a file into documents, one tree at a time. A JSON array is
 * read element by element and a List's items one by one (json_scan finds the spans, cJSON
 * builds one piece); YAML is read document by document, a List item by item
 * (config_yaml_stream_each). Each piece's tree is estimated before (JSON) or while (YAML) it
 * is built and refused past a budget, so memory stays near the input's size: a 63 MB array
 * of zeros is refused at once instead of becoming a 2.6 GB tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "config_yaml.h"
#include "json_scan.h"
#include "k8s_read.h"
#include "k8s_read_int.h"

/* The most one piece's tree may take: with the input itself, about 7 times the input. */
static size_t k8s_budget(size_t len)
{
    return 6 * len + K8S_READ_TREE_BASE;
}

/* One complete node: a document (item -1) or an element of its top-level items. */
static zt_status_t k8s_stream_node(void *ud, cJSON *node, int doc, long item)
{
    k8s_rctx_t *cx = ud;
    char p[K8S_PATH_LEN] = "";
    cx->doc = doc;
    cx->kind = cx->ns = cx->name = NULL;
    if (item >= 0) {
        cx->items_streamed = true;
        k8s_rindex(p, "items", (size_t)item);
        if (k8s_rdups(cx, node, p) == 0)
            k8s_read_object(cx, node, p);
        return cx->rc;
    }
    bool streamed = cx->items_streamed;
    cx->items_streamed = false;
    if (!node || cJSON_IsNull(node))
        return ZT_OK; /* an empty document, e.g. after a trailing --- */
    if (k8s_rdups(cx, node, "") != 0)
        return cx->rc;
    const cJSON *kind = cJSON_IsObject(node) ? cJSON_GetObjectItemCaseSensitive(node, "kind") : NULL;
    size_t kl = cJSON_IsString(kind) ? strlen(kind->valuestring) : 0;
    if (streamed && (kl < 4 || strcmp(kind->valuestring + kl - 4, "List") != 0))
        return k8s_rfail(cx, "items", "a list of objects at the top level of an object that is not a List");
    return k8s_read_object(cx, node, "");
}

/* What cJSON would allocate for text[off, off+len): a node per value, a block per string. */
static size_t k8s_json_cost(const char *t, size_t off, size_t len)
{
    size_t cost = 80, str = 0;
    bool in = false, esc = false;
    for (size_t i = off; i < off + len; i++) {
        char c = t[i];
        if (in) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"') {
                in = false;
                cost += ((str + 16) & ~(size_t)15) + 16;
            } else
                str++;
        } else if (c == '"') {
            in = true;
            str = 0;
        } else if (c == ',' || c == '[' || c == '{') {
            cost += 80;
        }
    }
    return cost;
}

/* Parses text[off, off+n) (a value json_scan checked) and hands it to k8s_stream_node. */
static zt_status_t k8s_json_piece(k8s_rctx_t *cx, const char *text, size_t len, size_t off, size_t n, int doc,
                                  long item)
{
    char p[K8S_PATH_LEN] = "";
    if (item >= 0)
        k8s_rindex(p, "items", (size_t)item);
    cx->doc = doc;
    cx->kind = cx->ns = cx->name = NULL;
    if (text[off] != '{' && !(n == 4 && memcmp(text + off, "null", 4) == 0))
        return k8s_rfail(cx, p, "must be a Kubernetes object (a mapping with apiVersion and kind)");
    if (k8s_json_cost(text, off, n) > k8s_budget(len))
        return k8s_rfail(cx, p,
                         "takes more than %zu MB in memory as a tree (at most 6 times the input plus "
                         "%u MB): too large or too dense for Kubernetes objects",
                         k8s_budget(len) >> 20, K8S_READ_TREE_BASE >> 20);
    cJSON *node = cJSON_ParseWithLengthOpts(text + off, n, NULL, false);
    if (!node)
        return k8s_room(cx); /* json_scan accepted it: only memory can fail */
    zt_status_t rc = k8s_stream_node(cx, node, doc, item);
    cJSON_Delete(node);
    return rc;
}

static zt_status_t k8s_json_syntax(k8s_rctx_t *cx, const char *text, size_t len, size_t pos)
{
    int line, col;
    config_json_line_col(text, pos < len ? pos : len, &line, &col);
    snprintf(cx->err, cx->errlen, "%s: invalid JSON at line %d, column %d (or nested deeper than 64 levels)",
             cx->file, line, col);
    cx->rc = ZT_ERR_INPUT;
    return cx->rc;
}

/* A top-level object: its "items" (when an array) one element at a time, then the object
 * with "items": [] in their place. */
static zt_status_t k8s_json_object(k8s_rctx_t *cx, const char *text, size_t len, size_t start, size_t end)
{
    size_t pos = start + 1, ioff = 0, ilen = 0;
    json_scan_ws(text, end, &pos);
    while (pos < end && text[pos] != '}') {
        size_t key = pos;
        json_scan_value(text, end, &pos); /* checked already: the whole value scanned */
        bool items = pos - key == 7 && memcmp(text + key, "\"items\"", 7) == 0;
        json_scan_ws(text, end, &pos);
        pos++; /* ':' */
        json_scan_ws(text, end, &pos);
        size_t v = pos;
        json_scan_value(text, end, &pos);
        if (items && text[v] == '[' && ilen == 0) {
            ioff = v;
            ilen = pos - v;
        }
        json_scan_ws(text, end, &pos);
        if (pos < end && text[pos] == ',')
            pos++;
        json_scan_ws(text, end, &pos);
    }
    if (ilen == 0)
        return k8s_json_piece(cx, text, len, start, end - start, 1, -1);
    long i = 0;
    size_t q = ioff + 1;
    for (json_scan_ws(text, ioff + ilen, &q); text[q] != ']'; i++) {
        size_t v = q;
        json_scan_value(text, ioff + ilen, &q);
        if (k8s_json_piece(cx, text, len, v, q - v, 1, i) != ZT_OK)
            return cx->rc;
        json_scan_ws(text, ioff + ilen, &q);
        if (text[q] == ',')
            q++;
        json_scan_ws(text, ioff + ilen, &q);
    }
    /* The object without its items: a copy of the rest, small next to them. */
    size_t n = (ioff - start) + 2 + (end - ioff - ilen);
    char *rest = malloc(n);
    if (!rest)
        return k8s_room(cx);
    memcpy(rest, text + start, ioff - start);
    memcpy(rest + (ioff - start), "[]", 2);
    memcpy(rest + (ioff - start) + 2, text + ioff + ilen, end - ioff - ilen);
    zt_status_t rc = k8s_json_piece(cx, rest, len, 0, n, 1, -1);
    free(rest);
    return rc;
}

zt_status_t k8s_read_text(k8s_model_t *m, const char *file, const char *text, size_t len, char *err,
                          size_t errlen)
{
    k8s_rctx_t cx = {.m = m, .file = file, .err = err, .errlen = errlen};
    size_t i = 0;
    json_scan_ws(text, len, &i);
    if (i < len && (text[i] == '{' || text[i] == '[')) {
        /* JSON, as kubectl -o json writes it: one object (maybe a List), or an array, read
         * element by element: an element that is not an object stops it at once. */
        size_t pos = i;
        if (text[i] == '{') { /* the syntax checked first, without a tree */
            if (json_scan_value(text, len, &pos) != 0)
                return k8s_json_syntax(&cx, text, len, pos);
            size_t end = pos;
            json_scan_ws(text, len, &pos);
            return pos < len ? k8s_json_syntax(&cx, text, len, pos) : k8s_json_object(&cx, text, len, i, end);
        }
        pos = i + 1;
        json_scan_ws(text, len, &pos);
        for (int doc = 1; pos < len && text[pos] != ']'; doc++) {
            size_t v = pos;
            if (json_scan_value(text, len, &pos) != 0)
                return k8s_json_syntax(&cx, text, len, pos);
            if (k8s_json_piece(&cx, text, len, v, pos - v, doc, -1) != ZT_OK)
                return cx.rc;
            json_scan_ws(text, len, &pos);
            if (pos < len && text[pos] == ',') {
                pos++;
                json_scan_ws(text, len, &pos);
                if (pos < len && text[pos] == ']')
                    return k8s_json_syntax(&cx, text, len, pos);
            } else if (pos < len && text[pos] != ']') {
                return k8s_json_syntax(&cx, text, len, pos);
            }
        }
        if (pos >= len)
            return k8s_json_syntax(&cx, text, len, pos);
        pos++;
        json_scan_ws(text, len, &pos);
        return pos < len ? k8s_json_syntax(&cx, text, len, pos) : ZT_OK;
    }
    char yerr[256] = "";
    zt_status_t rc = config_yaml_stream_each(text, len, k8s_budget(len), k8s_stream_node, &cx, yerr,
                                             sizeof(yerr));
    if (rc != ZT_OK && cx.rc == ZT_OK) { /* the YAML itself, not an object, failed */
        snprintf(err, errlen, "%s: %s", file, yerr);
        return rc;
    }
    return cx.rc;
}
