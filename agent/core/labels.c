/* labels.c: pod label sets. Parses the Downward API labels file, whose values the kubelet
 * writes with Go's %q (strconv.Quote), and matches role selectors against it. */
#include "labels.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

void labels_free(labels_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].key);
        free(l->items[i].value);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
    l->sorted = false;
}

/* Takes ownership of key and value (frees them on failure). */
static int labels_add_owned(labels_t *l, char *key, char *value)
{
    label_t *items = NULL;
    if (!key || !value)
        goto fail;
    /* Room doubles when n reaches a power of two: amortised O(1) without a capacity field (a
     * pod may carry tens of thousands of labels). */
    if ((l->n & (l->n - 1)) == 0) {
        items = realloc(l->items, (l->n ? l->n * 2 : 1) * sizeof(*items));
        if (!items)
            goto fail;
        l->items = items;
    }
    l->items[l->n].key = key;
    l->items[l->n].value = value;
    /* Appending in key order (a Downward API file, a sorted mapping) keeps the set sorted. */
    l->sorted = l->n == 0 || (l->sorted && strcmp(l->items[l->n - 1].key, key) < 0);
    l->n++;
    return 0;
fail:
    free(key);
    free(value);
    return -1;
}

int labels_add_take(labels_t *l, char *key, char *value)
{
    return labels_add_owned(l, key, value);
}

int labels_add(labels_t *l, const char *key, const char *value)
{
    return labels_add_owned(l, strdup(key), strdup(value));
}

static int labels_cmp(const void *a, const void *b)
{
    const label_t *x = a, *y = b;
    return strcmp(x->key, y->key);
}

const char *labels_sort(labels_t *l)
{
    if (l->n > 1)
        qsort(l->items, l->n, sizeof(*l->items), labels_cmp);
    for (size_t i = 1; i < l->n; i++)
        if (strcmp(l->items[i - 1].key, l->items[i].key) == 0) {
            l->sorted = false;
            return l->items[i].key;
        }
    l->sorted = true;
    return NULL;
}

const char *labels_get(const labels_t *l, const char *key)
{
    if (!l)
        return NULL;
    if (l->sorted) {
        size_t lo = 0, hi = l->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = strcmp(l->items[mid].key, key);
            if (c == 0)
                return l->items[mid].value;
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        return NULL;
    }
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->items[i].key, key) == 0)
            return l->items[i].value;
    }
    return NULL;
}

bool labels_match(const labels_t *selector, const labels_t *pod)
{
    if (!selector)
        return true;
    for (size_t i = 0; i < selector->n; i++) {
        const char *v = labels_get(pod, selector->items[i].key);
        if (!v || strcmp(v, selector->items[i].value) != 0)
            return false;
    }
    return true;
}

/* Appends s to buf at *pos, replacing control bytes, keeping room for "..." on overflow. */
static bool labels_put(char *buf, size_t len, size_t *pos, const char *s)
{
    for (; *s; s++) {
        if (*pos + 4 >= len)
            return false;
        unsigned char ch = (unsigned char)*s;
        buf[(*pos)++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    buf[*pos] = '\0';
    return true;
}

void labels_format(const labels_t *l, char *buf, size_t len)
{
    size_t pos = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    if (len < 4)
        return;
    for (size_t i = 0; l && i < l->n; i++) {
        if ((i > 0 && !labels_put(buf, len, &pos, ",")) || !labels_put(buf, len, &pos, l->items[i].key) ||
            !labels_put(buf, len, &pos, "=") || !labels_put(buf, len, &pos, l->items[i].value)) {
            memcpy(buf + pos, "...", 4); /* labels_put left room for it */
            return;
        }
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads n hex digits at s; -1 when one is not a hex digit. */
static long hexn(const char *s, const char *end, int n)
{
    long v = 0;
    if (end - s < n)
        return -1;
    for (int i = 0; i < n; i++) {
        int h = hexval(s[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Writes code point cp as UTF-8 at out; returns the byte count. */
static size_t utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Unquotes the Go-quoted string s..end (without the quotes) into out, which has room for
 * end - s + 1 bytes (no escape expands beyond its own length). Returns NULL on success, or
 * the reason. */
static const char *labels_unquote(const char *s, const char *end, char *out)
{
    size_t o = 0;
    while (s < end) {
        char c = *s++;
        if (c == '"')
            return "unescaped '\"' inside the value";
        if (c != '\\') {
            out[o++] = c;
            continue;
        }
        if (s >= end)
            return "value ends with a lone backslash";
        char e = *s++;
        long v;
        switch (e) {
        case 'a': out[o++] = '\a'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'v': out[o++] = '\v'; break;
        case '\\': out[o++] = '\\'; break;
        case '"': out[o++] = '"'; break;
        case 'x':
            if ((v = hexn(s, end, 2)) < 0)
                return "\\x needs two hex digits";
            if (v == 0)
                return "NUL byte in the value";
            out[o++] = (char)v;
            s += 2;
            break;
        case 'u':
        case 'U': {
            int n = e == 'u' ? 4 : 8;
            if ((v = hexn(s, end, n)) < 0)
                return e == 'u' ? "\\u needs four hex digits" : "\\U needs eight hex digits";
            if (v == 0)
                return "NUL byte in the value";
            if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                return "escape is not a valid Unicode code point";
            o += utf8_put(out + o, (uint32_t)v); /* <= 4 bytes from >= 6 escape bytes */
            s += n;
            break;
        }
        default:
            if (e >= '0' && e <= '7') {
                /* Go's octal escape is exactly three digits, at most \377. */
                if (end - s < 2 || s[0] < '0' || s[0] > '7' || s[1] < '0' || s[1] > '7')
                    return "octal escape needs three digits";
                v = (e - '0') * 64 + (s[0] - '0') * 8 + (s[1] - '0');
                if (v > 255)
                    return "octal escape above \\377";
                if (v == 0)
                    return "NUL byte in the value";
                out[o++] = (char)v;
                s += 2;
                break;
            }
            return "unknown escape sequence";
        }
    }
    out[o] = '\0';
    return NULL;
}

/* Label keys as Kubernetes allows them: an optional DNS-subdomain prefix and '/', then
 * letters, digits, '-', '_', '.'. Checked loosely: the kubelet never writes others. */
static bool labels_key_ok(const char *s, size_t n)
{
    if (n == 0 || n > 317)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.' || c == '/'))
            return false;
    }
    return true;
}

/* Parses one non-blank line into out; NULL or the reason it is malformed. */
static const char *labels_parse_line(const char *s, const char *end, labels_t *out)
{
    const char *eq = memchr(s, '=', (size_t)(end - s));
    if (!eq)
        return "expected key=\"value\"";
    if (!labels_key_ok(s, (size_t)(eq - s)))
        return "invalid label key";
    /* Tolerate a CRLF file or trailing blanks after the closing quote, nothing else. */
    while (end > eq + 1 && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    const char *v = eq + 1;
    if (end - v < 2 || v[0] != '"' || end[-1] != '"')
        return "value must be a double-quoted string";
    char *key = strndup(s, (size_t)(eq - s));
    char *value = malloc((size_t)(end - v));
    const char *why = NULL;
    if (!key || !value) {
        why = "out of memory";
    } else if ((why = labels_unquote(v + 1, end - 1, value)) == NULL && labels_get(out, key)) {
        why = "duplicate label key";
    }
    if (why) {
        free(key);
        free(value);
        return why;
    }
    if (labels_add_owned(out, key, value) != 0) {
        return "out of memory";
    }
    return NULL;
}

zt_status_t labels_parse(const char *text, size_t len, labels_t *out, char *err, size_t errlen)
{
    const char *p = text, *end = text + len;
    int lineno = 0;
    out->items = NULL;
    out->n = 0;
    out->sorted = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        lineno++;
        const char *q = p;
        while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
            q++;
        if (q < le) {
            if (memchr(p, '\0', (size_t)(le - p))) {
                snprintf(err, errlen, "line %d: NUL byte", lineno);
                labels_free(out);
                return ZT_ERR_INPUT;
            }
            const char *why = labels_parse_line(q, le, out);
            if (why) {
                snprintf(err, errlen, "line %d: %s", lineno, why);
                labels_free(out);
                return ZT_ERR_INPUT; /* also on OOM: the message says so */
            }
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

zt_status_t labels_load_file(const char *path, labels_t *out, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t have = 0;
    char perr[256];

    out->items = NULL;
    out->n = 0;
    out->sorted = false;
    zt_status_t rc = fileio_read_capped(path, LABELS_MAX_BYTES, &buf, &have, err, errlen);
    if (rc != ZT_OK)
        return rc;
    rc = labels_parse(buf, have, out, perr, sizeof(perr));
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, perr);
    free(buf);
    return rc;
}
