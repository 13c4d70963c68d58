/* strbuf.c: one growing buffer for the JSON, text, JUnit, Prometheus and merge renderers,
 * which used to carry a copy each, and the UTF-8 checks they share. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for n more bytes plus the terminator; false (and oom set) when it cannot. */
static bool strbuf_reserve(strbuf_t *b, size_t n)
{
    if (b->oom)
        return false;
    if (n > SIZE_MAX / 2 - b->len) { /* the doubling below would overflow */
        b->oom = true;
        return false;
    }
    if (b->len + n + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *nb = realloc(b->buf, cap);
    if (nb == NULL) {
        b->oom = true;
        return false;
    }
    b->buf = nb;
    b->cap = cap;
    return true;
}

void strbuf_putn(strbuf_t *b, const char *s, size_t n)
{
    if (!strbuf_reserve(b, n))
        return;
    if (n > 0)
        memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

void strbuf_puts(strbuf_t *b, const char *s)
{
    strbuf_putn(b, s, strlen(s));
}

void strbuf_printf(strbuf_t *b, const char *fmt, ...)
{
    char tmp[STRBUF_PRINTF_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        strbuf_putn(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

char *strbuf_take(strbuf_t *b)
{
    strbuf_putn(b, "", 0); /* nothing appended yet still gives a string */
    char *s = b->oom ? NULL : b->buf;
    if (s == NULL)
        free(b->buf);
    memset(b, 0, sizeof(*b));
    return s;
}

void strbuf_free(strbuf_t *b)
{
    if (b == NULL)
        return;
    free(b->buf);
    memset(b, 0, sizeof(*b));
}

size_t strbuf_utf8_seq_len(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c;
    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        len = 1;
        c = s[0];
    } else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        c = s[0] & 0x1fu;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        c = s[0] & 0x0fu;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        c = s[0] & 0x07u;
    } else {
        return 0; /* a continuation byte, 0xc0/0xc1 (always overlong) or past 0xf4 */
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3fu);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;
    if (cp != NULL)
        *cp = c;
    return len;
}

size_t strbuf_term_seq(const unsigned char *s, size_t n, bool *safe)
{
    uint32_t cp = 0;
    if (n == 0) {
        *safe = false;
        return 0;
    }
    size_t l = strbuf_utf8_seq_len(s, n, &cp);
    if (l == 0) {
        /* Not UTF-8: a raw 0x80..0x9f byte is a C1 control (0x9b is CSI) on an 8-bit
         * terminal, and any other stray byte can start one in a legacy charset. */
        *safe = false;
        return 1;
    }
    *safe = !(cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f));
    return l;
}

/* U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR: printable for a terminal, line
 * breaks for YAML 1.1 (NEL, the other one, is C1 and unsafe already). */
static bool strbuf_is_line_sep(const unsigned char *s, size_t l)
{
    return l == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9);
}

/* The one walk for the terminal: what strbuf_put_safe appends and how wide it is; one_line
 * also replaces the line separators. */
static size_t strbuf_term_walk(strbuf_t *b, const char *s, size_t max, bool one_line)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strnlen(s, max), cols = 0;
    bool safe;
    for (size_t i = 0; i < n;) {
        size_t l = strbuf_term_seq(p + i, n - i, &safe);
        safe = safe && !(one_line && strbuf_is_line_sep(p + i, l));
        if (b != NULL)
            strbuf_putn(b, safe ? s + i : "?", safe ? l : 1);
        cols++;
        i += l;
    }
    return cols;
}

size_t strbuf_utf8_width(const char *s, size_t max)
{
    return strbuf_term_walk(NULL, s, max, false);
}

size_t strbuf_utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) /* s[n] continues a character */
        n--;
    return n;
}

size_t strbuf_put_safe(strbuf_t *b, const char *s, size_t max)
{
    return strbuf_term_walk(b, s, max, false);
}

size_t strbuf_put_line(strbuf_t *b, const char *s, size_t max)
{
    return strbuf_term_walk(b, s, max, true);
}

size_t strbuf_term_clean(char *s, size_t n)
{
    unsigned char *p = (unsigned char *)s;
    size_t out = 0;
    bool safe;
    for (size_t i = 0; i < n;) {
        size_t l = strbuf_term_seq(p + i, n - i, &safe);
        if (safe) {
            memmove(s + out, s + i, l);
            out += l;
        } else {
            s[out++] = '?';
        }
        i += l;
    }
    if (out < n)
        s[out] = '\0';
    return out;
}

void strbuf_pad(strbuf_t *b, size_t used, size_t width)
{
    for (; used < width; used++)
        strbuf_putn(b, " ", 1);
}

void strbuf_json_str(strbuf_t *b, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strnlen(s, max);
    strbuf_putn(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            strbuf_putn(b, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': strbuf_puts(b, "\\n"); break;
            case '\r': strbuf_puts(b, "\\r"); break;
            case '\t': strbuf_puts(b, "\\t"); break;
            default: strbuf_printf(b, "\\u%04x", c); break;
            }
            i++;
        } else {
            uint32_t cp = 0;
            size_t l = strbuf_utf8_seq_len(p + i, n - i, &cp);
            if (l == 0) {
                strbuf_puts(b, "\\ufffd");
                i++;
            } else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
                /* C1 controls stay escaped, so a report shown with cat is terminal-safe; the
                 * line and paragraph separators too, which YAML 1.1 (a JSON string in YAML
                 * is a double-quoted scalar) and JavaScript read as line breaks. */
                strbuf_printf(b, "\\u%04x", (unsigned)cp);
                i += l;
            } else {
                strbuf_putn(b, s + i, l);
                i += l;
            }
        }
    }
    strbuf_putn(b, "\"", 1);
}
