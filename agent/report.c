/* report.c: the JSON report of SPEC.md "Report", rendered by hand so the layout is stable and
 * readable with 2-space indentation; the summary and report_free. Parsing a report back
 * (merge) is in report_parse.c. */
#include "report.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "verdict.h"

summary_t report_summary(const report_t *r)
{
    summary_t s = {0};
    for (size_t i = 0; r != NULL && i < r->n_results; i++) {
        switch (r->results[i].verdict) {
        case VERDICT_PASS:
            s.passed++;
            break;
        case VERDICT_FAIL:
            s.failed++;
            break;
        default:
            s.inconclusive++;
            break;
        }
        s.total++;
    }
    s.ok = s.failed == 0 && s.inconclusive == 0;
    return s;
}

void report_free(report_t *r)
{
    if (r == NULL)
        return;
    free(r->results);
    r->results = NULL;
    r->n_results = 0;
}

/* ---- rendering ---------------------------------------------------------------------- */

/* A growing string; an allocation failure sticks, so callers check once at the end. */
typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} sb_t;

/* Makes room for n more bytes plus the terminator. */
static bool sb_reserve(sb_t *b, size_t n)
{
    if (b->oom)
        return false;
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

static void sb_putn(sb_t *b, const char *s, size_t n)
{
    if (!sb_reserve(b, n))
        return;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void sb_puts(sb_t *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sb_printf(sb_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0 || !sb_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (max bytes n), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp;
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        cp = s[0] & 0x1fu;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        cp = s[0] & 0x0fu;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* A JSON string; bytes that are not UTF-8 (a server banner in a detail may be anything)
 * become U+FFFD so the document stays valid JSON. */
static void sb_json_str(sb_t *b, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strnlen(s, max);
    sb_putn(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            sb_putn(b, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': sb_puts(b, "\\n"); break;
            case '\r': sb_puts(b, "\\r"); break;
            case '\t': sb_puts(b, "\\t"); break;
            default: sb_printf(b, "\\u%04x", c); break;
            }
            i++;
        } else {
            size_t l = utf8_seq(p + i, n - i);
            if (l == 0) {
                sb_puts(b, "\\ufffd");
                i++;
            } else {
                sb_putn(b, s + i, l);
                i += l;
            }
        }
    }
    sb_putn(b, "\"", 1);
}

/* Empty strings render as null (pod fields, detail, hint). */
static void sb_json_str_or_null(sb_t *b, const char *s, size_t max)
{
    if (s == NULL || s[0] == '\0')
        sb_puts(b, "null");
    else
        sb_json_str(b, s, max);
}

/* Rounds half away from zero, like round(3), without libm (the Makefile links none).
 * Exact for |x| < 2^52, which every caller checks. */
static long long round_ll(double x)
{
    long long n = (long long)x; /* truncates toward zero */
    double frac = x - (double)n;
    if (frac >= 0.5)
        n++;
    else if (frac <= -0.5)
        n--;
    return n;
}

/* Milliseconds rounded to 0.1; "%.1f" then "1.0" -> "1" keeps 8.1 and 8 both short. */
static void sb_ms(sb_t *b, double ms, bool negative_is_null)
{
    if (!isfinite(ms) || (negative_is_null && ms < 0)) {
        sb_puts(b, negative_is_null ? "null" : "0");
        return;
    }
    char tmp[64];
    if (ms > -1e14 && ms < 1e14) /* larger values are nonsense; print them as they are */
        ms = (double)round_ll(ms * 10.0) / 10.0;
    snprintf(tmp, sizeof(tmp), "%.1f", ms);
    size_t n = strlen(tmp);
    if (n > 2 && strcmp(tmp + n - 2, ".0") == 0)
        tmp[n - 2] = '\0';
    if (strcmp(tmp, "-0") == 0)
        snprintf(tmp, sizeof(tmp), "0");
    sb_puts(b, tmp);
}

static void sb_time(sb_t *b, double unix_s)
{
    long long ms = unix_s > -1e12 && unix_s < 1e12 ? round_ll(unix_s * 1000.0) : 0;
    long long secs = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
        sb_puts(b, "\"1970-01-01T00:00:00.000Z\"");
        return;
    }
    sb_printf(b, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
              tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static void render_result(sb_t *b, const result_t *res)
{
    sb_puts(b, "    {\n      \"name\": ");
    sb_json_str(b, res->name, sizeof(res->name));
    sb_puts(b, ",\n      \"kind\": ");
    sb_json_str(b, config_kind_name(res->kind), 16);
    sb_puts(b, ",\n      \"target\": ");
    sb_json_str(b, res->target, sizeof(res->target));
    sb_puts(b, ",\n      \"expect\": ");
    sb_json_str(b, config_expect_name(res->expect), 16);
    sb_puts(b, ",\n      \"verdict\": ");
    sb_json_str(b, verdict_name(res->verdict), 16);
    sb_puts(b, ",\n      \"outcome\": ");
    sb_json_str(b, outcome_name(res->outcome), 32);
    sb_puts(b, ",\n      \"detail\": ");
    sb_json_str_or_null(b, res->detail, sizeof(res->detail));
    sb_puts(b, ",\n      \"hint\": ");
    sb_json_str_or_null(b, res->hint, sizeof(res->hint));
    sb_printf(b, ",\n      \"attempts\": %d,\n      \"duration_ms\": ", res->attempts);
    sb_ms(b, res->duration_ms, false);
    sb_puts(b, ",\n      \"addresses\": [");
    size_t na = res->n_addrs < RESULT_MAX_ADDRS ? res->n_addrs : RESULT_MAX_ADDRS;
    for (size_t i = 0; i < na; i++) {
        if (i > 0)
            sb_puts(b, ", ");
        sb_json_str(b, res->addrs[i], RESULT_ADDR_LEN);
    }
    sb_puts(b, "],\n      \"timings_ms\": { \"dns\": ");
    sb_ms(b, res->dns_ms, true);
    sb_puts(b, ", \"connect\": ");
    sb_ms(b, res->connect_ms, true);
    sb_puts(b, ", \"tls\": ");
    sb_ms(b, res->tls_ms, true);
    sb_puts(b, ", \"first_byte\": ");
    sb_ms(b, res->first_byte_ms, true);
    sb_puts(b, " }\n    }");
}

char *report_render_json(const report_t *r, const char *agent_version)
{
    sb_t b = {0};
    summary_t s = report_summary(r);

    sb_puts(&b, "{\n  \"schema\": \"" REPORT_SCHEMA "\",\n  \"agent_version\": ");
    sb_json_str_or_null(&b, agent_version, 64);
    sb_puts(&b, ",\n  \"role\": ");
    sb_json_str(&b, r->role, sizeof(r->role));
    sb_puts(&b, ",\n  \"pod\": { \"name\": ");
    sb_json_str_or_null(&b, r->pod_name, sizeof(r->pod_name));
    sb_puts(&b, ", \"namespace\": ");
    sb_json_str_or_null(&b, r->pod_namespace, sizeof(r->pod_namespace));
    sb_puts(&b, " },\n  \"started_at\": ");
    sb_time(&b, r->started_at);
    sb_puts(&b, ",\n  \"duration_ms\": ");
    sb_ms(&b, r->duration_ms, false);
    sb_printf(&b,
              ",\n  \"summary\": { \"total\": %d, \"passed\": %d, \"failed\": %d, "
              "\"inconclusive\": %d, \"ok\": %s },\n  \"diagnoses\": [",
              s.total, s.passed, s.failed, s.inconclusive, s.ok ? "true" : "false");
    size_t nd = r->n_diags < DIAG_MAX ? r->n_diags : DIAG_MAX;
    for (size_t i = 0; i < nd; i++) {
        sb_puts(&b, i > 0 ? ",\n    { \"code\": " : "\n    { \"code\": ");
        sb_json_str(&b, r->diags[i].code, sizeof(r->diags[i].code));
        sb_puts(&b, ", \"message\": ");
        sb_json_str(&b, r->diags[i].message, sizeof(r->diags[i].message));
        sb_puts(&b, " }");
    }
    sb_puts(&b, nd > 0 ? "\n  ],\n  \"results\": [" : "],\n  \"results\": [");
    for (size_t i = 0; i < r->n_results; i++) {
        sb_puts(&b, i > 0 ? ",\n" : "\n");
        render_result(&b, &r->results[i]);
    }
    sb_puts(&b, r->n_results > 0 ? "\n  ]\n}\n" : "]\n}\n");
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}
