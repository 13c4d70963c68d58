/* config_yaml.c: a YAML config into the cJSON tree that config.c validates. libyaml's event
 * API feeds a small explicit stack, so nesting is capped before anything recurses, and an
 * anchor or alias is refused when it is seen: nothing is ever expanded. */
#include "config_yaml.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"
#include "config_json.h"

#define YAML_TAG_PREFIX "tag:yaml.org,2002:"

/* The tree being built: open containers, and for each open mapping its pending key. */
struct yaml_build {
    const char *text;
    size_t len;
    char *err;
    size_t errlen;
    zt_status_t rc; /* the first failure; nothing is parsed after it */
    cJSON *root;
    cJSON *stack[CONFIG_YAML_DEPTH_MAX];
    char *key[CONFIG_YAML_DEPTH_MAX]; /* NULL: the mapping's next scalar is a key */
    size_t depth;
    int documents;
    bool stream; /* every document into one array (k8s objects), not exactly one */
    /* config_yaml_stream_each: each document (and each element of its top-level "items") is
     * handed over when complete and freed; used estimates the live tree against budget. */
    config_yaml_doc_fn each;
    void *ud;
    size_t budget, used, item_mark;
    cJSON *items; /* the top-level mapping's "items" sequence, streamed element by element */
    long n_items;
};

/* What a node costs in memory: the cJSON struct and a string (key or value), each with the
 * allocator's overhead. An estimate that tracks the real heap within a few percent. */
static size_t yb_cost(size_t str_len)
{
    return 80 + (str_len ? ((str_len + 16) & ~(size_t)15) + 16 : 0);
}

/* The scalar types a value can resolve to. */
typedef enum { YS_STR, YS_NULL, YS_BOOL, YS_INT, YS_FLOAT } yaml_stype_t;

__attribute__((format(printf, 3, 4))) static int yb_fail(struct yaml_build *b, yaml_mark_t mark,
                                                         const char *fmt, ...)
{
    if (b->rc != 0)
        return b->rc;
    b->rc = ZT_ERR_INPUT;
    if (b->errlen == 0)
        return b->rc;
    int n = snprintf(b->err, b->errlen, "line %zu, column %zu: ", mark.line + 1, mark.column + 1);
    if (n >= 0 && (size_t)n < b->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return b->rc;
}

static int yb_oom(struct yaml_build *b)
{
    if (b->rc == 0) {
        b->rc = ZT_ERR_NOMEM;
        snprintf(b->err, b->errlen, "out of memory");
    }
    return b->rc;
}

/* libyaml's own message, where it found the problem and what it was reading then. */
static int yb_parser_error(struct yaml_build *b, const yaml_parser_t *ps)
{
    yaml_mark_t at = ps->problem_mark;
    const char *problem = ps->problem ? ps->problem : "unknown error";
    if (ps->error == YAML_MEMORY_ERROR)
        return yb_oom(b);
    if (ps->error == YAML_READER_ERROR) {
        /* Encoding errors carry only a byte offset. */
        int line, col;
        size_t off = ps->problem_offset < b->len ? ps->problem_offset : b->len;
        config_json_line_col(b->text, off, &line, &col);
        at.line = (size_t)line - 1;
        at.column = (size_t)col - 1;
    }
    if (ps->context && ps->error != YAML_READER_ERROR)
        return yb_fail(b, at, "invalid YAML: %s (%s at line %zu, column %zu)", problem, ps->context,
                       ps->context_mark.line + 1, ps->context_mark.column + 1);
    return yb_fail(b, at, "invalid YAML: %s", problem);
}

static bool all_in(const char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++) {
        if (!s[i] || !strchr(set, s[i]))
            return false;
    }
    return n > 0;
}

static bool one_of(const char *s, const char *const *list)
{
    for (; *list; list++) {
        if (strcmp(s, *list) == 0)
            return true;
    }
    return false;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?: the core schema's float. */
static bool core_float(const char *s)
{
    size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0, digits = 0;
    while (s[i] >= '0' && s[i] <= '9') {
        i++;
        digits++;
    }
    if (s[i] == '.') {
        i++;
        while (s[i] >= '0' && s[i] <= '9') {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return false;
    if (s[i] == 'e' || s[i] == 'E') {
        i++;
        if (s[i] == '-' || s[i] == '+')
            i++;
        if (!(s[i] >= '0' && s[i] <= '9'))
            return false;
        while (s[i] >= '0' && s[i] <= '9')
            i++;
    }
    return s[i] == '\0';
}

/* Digits in base 8 or 16 into a double: exact up to 2^53, and anything that large fails
 * the config's range checks anyway. */
static double based(const char *s, double base)
{
    double v = 0;
    for (; *s; s++) {
        int d = (*s >= '0' && *s <= '9') ? *s - '0' : (*s | 0x20) - 'a' + 10;
        v = v * base + d;
    }
    return v;
}

/* Resolves s (n bytes, no NUL inside) by the YAML 1.2 core schema; *num and *flag get the
 * value of a number or a bool. */
static yaml_stype_t core_resolve(const char *s, size_t n, double *num, bool *flag)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    static const char *const infs[] = {".inf", ".Inf", ".INF", NULL};
    static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
    size_t sign = (n > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    if (one_of(s, nulls))
        return YS_NULL;
    if (one_of(s, trues) || one_of(s, falses)) {
        *flag = one_of(s, trues);
        return YS_BOOL;
    }
    if (all_in(s + sign, n - sign, "0123456789")) {
        *num = strtod(s, NULL); /* as cJSON reads numbers */
        return YS_INT;
    }
    if (n > 2 && s[0] == '0' && s[1] == 'o' && all_in(s + 2, n - 2, "01234567")) {
        *num = based(s + 2, 8);
        return YS_INT;
    }
    if (n > 2 && s[0] == '0' && s[1] == 'x' && all_in(s + 2, n - 2, "0123456789abcdefABCDEF")) {
        *num = based(s + 2, 16);
        return YS_INT;
    }
    if (one_of(s + sign, infs)) {
        *num = s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
        return YS_FLOAT;
    }
    if (one_of(s, nans)) {
        *num = NAN;
        return YS_FLOAT;
    }
    if (core_float(s)) {
        *num = strtod(s, NULL);
        return YS_FLOAT;
    }
    return YS_STR;
}

/* A scalar as a cJSON node: *node NULL with b->rc set on an error. */
static int yb_scalar(struct yaml_build *b, const yaml_event_t *ev, cJSON **node)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    yaml_stype_t want = YS_STR, got;
    double num = 0;
    bool flag = false;

    *node = NULL;
    if (memchr(s, '\0', n))
        return yb_fail(b, ev->start_mark, "NUL character in a string");
    /* Only untagged plain scalars are resolved; "!" (non-specific) makes a string. */
    if (tag == NULL && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        got = core_resolve(s, n, &num, &flag);
    else if (tag == NULL || strcmp(tag, "!") == 0 || strcmp(tag, YAML_TAG_PREFIX "str") == 0)
        got = YS_STR;
    else {
        static const char *const names[] = {"str", "null", "bool", "int", "float"};
        size_t pl = strlen(YAML_TAG_PREFIX);
        const char *name = strncmp(tag, YAML_TAG_PREFIX, pl) == 0 ? tag + pl : "";
        for (want = YS_NULL; want <= YS_FLOAT && strcmp(name, names[want]) != 0; want++)
            ;
        if (want > YS_FLOAT)
            return yb_fail(b, ev->start_mark,
                           "unsupported tag (a scalar may only be tagged "
                           "!!str, !!int, !!float, !!bool or !!null)");
        /* An explicit tag asks for that type: the text must be one (!!float takes 1). */
        got = core_resolve(s, n, &num, &flag);
        if (got == YS_INT && want == YS_FLOAT)
            got = YS_FLOAT;
        if (got != want)
            return yb_fail(b, ev->start_mark, "not a valid !!%s", names[want]);
    }
    switch (got) {
    case YS_NULL: *node = cJSON_CreateNull(); break;
    case YS_BOOL: *node = cJSON_CreateBool(flag); break;
    case YS_INT:
    case YS_FLOAT: *node = cJSON_CreateNumber(num); break;
    default: *node = cJSON_CreateString(s); break;
    }
    if (*node == NULL)
        return yb_oom(b);
    b->used += yb_cost(got == YS_STR ? n : 0);
    if (b->budget && b->used > b->budget) {
        cJSON_Delete(*node);
        *node = NULL;
        return yb_fail(b, ev->start_mark,
                       "this document takes more than %zu MB in memory as a tree (the cap for an input "
                       "of this size): too large or too dense",
                       b->budget >> 20);
    }
    return 0;
}

/* The tag of a collection: none, "!", or the one that names its own kind. */
static int yb_collection_tag(struct yaml_build *b, const yaml_event_t *ev)
{
    bool map = ev->type == YAML_MAPPING_START_EVENT;
    const char *tag = (const char *)(map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
    if (tag == NULL || strcmp(tag, "!") == 0 ||
        strcmp(tag, map ? YAML_TAG_PREFIX "map" : YAML_TAG_PREFIX "seq") == 0)
        return 0;
    return yb_fail(b, ev->start_mark, "unsupported tag (a %s may only be tagged %s)",
                   map ? "mapping" : "sequence", map ? "!!map" : "!!seq");
}

/* A scalar in key position: kept as the mapping's pending key. */
static int yb_key(struct yaml_build *b, const yaml_event_t *ev)
{
    cJSON *k = NULL;
    if (ev->type != YAML_SCALAR_EVENT)
        return yb_fail(b, ev->start_mark, "mapping keys must be strings");
    if (yb_scalar(b, ev, &k) != 0)
        return b->rc;
    bool is_str = cJSON_IsString(k);
    cJSON_Delete(k);
    if (!is_str)
        return yb_fail(b, ev->start_mark, "mapping keys must be strings (quote this one)");
    b->key[b->depth - 1] = strdup((const char *)ev->data.scalar.value);
    b->used += yb_cost(ev->data.scalar.length) - yb_cost(0);
    return b->key[b->depth - 1] ? 0 : yb_oom(b);
}

/* Hangs node under the open container (or makes it the root); the tree owns it after. */
static int yb_attach(struct yaml_build *b, cJSON *node)
{
    bool ok;
    if (b->depth == 0 && b->each) {
        b->root = node;
        return 0;
    }
    if (b->each && b->depth == 1 && cJSON_IsObject(b->stack[0]) && cJSON_IsArray(node) && !b->items &&
        strcmp(b->key[0], "items") == 0)
        b->items = node;
    if (b->each && b->depth == 2 && b->stack[1] == b->items)
        b->item_mark = b->used - yb_cost(0); /* this element is handed over alone */
    if (b->depth == 0 && b->stream) {
        if (!cJSON_AddItemToArray(b->root, node)) {
            cJSON_Delete(node);
            return yb_oom(b);
        }
        return 0;
    }
    if (b->depth == 0) {
        b->root = node;
        return 0;
    }
    cJSON *parent = b->stack[b->depth - 1];
    if (cJSON_IsArray(parent)) {
        ok = cJSON_AddItemToArray(parent, node);
    } else {
        ok = cJSON_AddItemToObject(parent, b->key[b->depth - 1], node);
        free(b->key[b->depth - 1]);
        b->key[b->depth - 1] = NULL;
    }
    if (!ok) {
        cJSON_Delete(node);
        return yb_oom(b);
    }
    return 0;
}

/* config_yaml_stream_each: the element of the top-level "items" just completed goes to the
 * callback and is freed, so a List costs one item's tree, not the whole. */
static int yb_hand_item(struct yaml_build *b)
{
    cJSON *e = b->items->child ? b->items->child->prev : NULL;
    if (!e)
        return 0;
    cJSON_DetachItemViaPointer(b->items, e);
    zt_status_t rc = b->each(b->ud, e, b->documents, b->n_items++);
    cJSON_Delete(e);
    b->used = b->item_mark;
    if (rc != 0 && b->rc == 0)
        b->rc = rc; /* the callback wrote its own message */
    return b->rc;
}

/* config_yaml_stream_each: the document just ended goes to the callback and is freed. */
static int yb_hand_document(struct yaml_build *b)
{
    zt_status_t rc = b->each(b->ud, b->root, b->documents, -1);
    cJSON_Delete(b->root);
    b->root = b->items = NULL;
    b->n_items = 0;
    b->used = 0;
    if (rc != 0 && b->rc == 0)
        b->rc = rc;
    return b->rc;
}

/* One node event: a key, a scalar value, or a collection opened. */
static int yb_node(struct yaml_build *b, const yaml_event_t *ev)
{
    const yaml_char_t *anchor = ev->type == YAML_SCALAR_EVENT ? ev->data.scalar.anchor
        : ev->type == YAML_MAPPING_START_EVENT                ? ev->data.mapping_start.anchor
                                                              : ev->data.sequence_start.anchor;
    cJSON *node = NULL;
    if (anchor)
        return yb_fail(b, ev->start_mark, "anchors (&) are not supported: write the value out");
    if (b->depth > 0 && cJSON_IsObject(b->stack[b->depth - 1]) && !b->key[b->depth - 1])
        return yb_key(b, ev);
    if (ev->type == YAML_SCALAR_EVENT) {
        if (yb_scalar(b, ev, &node) != 0 || yb_attach(b, node) != 0)
            return b->rc;
        return b->items && b->depth == 2 && b->stack[1] == b->items ? yb_hand_item(b) : 0;
    }
    if (yb_collection_tag(b, ev) != 0)
        return b->rc;
    if (b->depth >= CONFIG_YAML_DEPTH_MAX)
        return yb_fail(b, ev->start_mark, "nested deeper than %d levels", CONFIG_YAML_DEPTH_MAX);
    node = ev->type == YAML_MAPPING_START_EVENT ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!node)
        return yb_oom(b);
    b->used += yb_cost(0);
    if (yb_attach(b, node) != 0)
        return b->rc;
    b->stack[b->depth] = node;
    b->key[b->depth] = NULL;
    b->depth++;
    return 0;
}

/* One event; *done when the stream ends. */
static int yb_event(struct yaml_build *b, const yaml_event_t *ev, bool *done)
{
    switch (ev->type) {
    case YAML_STREAM_START_EVENT: return 0;
    case YAML_DOCUMENT_END_EVENT: return b->each ? yb_hand_document(b) : 0;
    case YAML_STREAM_END_EVENT: *done = true; return 0;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1 && !b->stream)
            return yb_fail(b, ev->start_mark,
                           "more than one YAML document (a config is "
                           "exactly one)");
        return 0;
    case YAML_ALIAS_EVENT:
        return yb_fail(b, ev->start_mark, "aliases (*) are not supported: write the value out");
    case YAML_SCALAR_EVENT:
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: return yb_node(b, ev);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth > 0) {
            b->depth--;
            free(b->key[b->depth]);
            b->key[b->depth] = NULL;
        }
        return b->items && b->depth == 2 && b->stack[1] == b->items ? yb_hand_item(b) : 0;
    default: return 0;
    }
}

static zt_status_t config_yaml_build(const char *text, size_t len, bool stream, cJSON **out, char *err,
                                     size_t errlen, struct yaml_build *opts)
{
    struct yaml_build *b = NULL;
    yaml_parser_t ps;
    bool ps_ready = false, done = false;
    zt_status_t rc = ZT_ERR_NOMEM;

    *out = NULL;
    if (errlen)
        err[0] = '\0';
    /* The builder holds two stacks: keep it off the caller's stack. */
    if (!(b = calloc(1, sizeof(*b)))) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    b->text = text ? text : "";
    b->len = text ? len : 0;
    b->err = err;
    b->errlen = errlen;
    b->stream = stream;
    b->each = opts ? opts->each : NULL;
    b->ud = opts ? opts->ud : NULL;
    b->budget = opts ? opts->budget : 0;
    if (stream && !b->each && !(b->root = cJSON_CreateArray())) {
        yb_oom(b);
        goto done;
    }
    if (!yaml_parser_initialize(&ps)) {
        yb_oom(b);
        goto done;
    }
    ps_ready = true;
    yaml_parser_set_input_string(&ps, (const unsigned char *)b->text, b->len);
    while (!done && b->rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&ps, &ev)) {
            yb_parser_error(b, &ps);
            break;
        }
        yb_event(b, &ev, &done);
        yaml_event_delete(&ev);
    }
    if (b->rc == 0 && !b->root && !b->each) {
        snprintf(err, errlen, "empty config (expected a YAML mapping with version: 1)");
        b->rc = ZT_ERR_INPUT;
    }
    rc = b->rc;
    if (rc == 0) {
        *out = b->root;
        b->root = NULL;
    }
done:
    if (ps_ready)
        yaml_parser_delete(&ps);
    if (b) {
        for (size_t i = 0; i < b->depth; i++)
            free(b->key[i]);
        cJSON_Delete(b->root);
        free(b);
    }
    return rc;
}

zt_status_t config_yaml_to_cjson(const char *text, size_t len, cJSON **out, char *err, size_t errlen)
{
    return config_yaml_build(text, len, false, out, err, errlen, NULL);
}

zt_status_t config_yaml_stream_to_cjson(const char *text, size_t len, cJSON **out, char *err, size_t errlen)
{
    return config_yaml_build(text, len, true, out, err, errlen, NULL);
}

zt_status_t config_yaml_stream_each(const char *text, size_t len, size_t budget, config_yaml_doc_fn fn,
                                    void *ud, char *err, size_t errlen)
{
    struct yaml_build opts = {.each = fn, .ud = ud, .budget = budget};
    cJSON *none = NULL;
    return config_yaml_build(text, len, true, &none, err, errlen, &opts);
}
