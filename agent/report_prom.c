/* report_prom.c: reports as the Prometheus text exposition format 0.0.4, for a scrape of a
 * file written by `watch`, a node-exporter textfile collector, or a Pushgateway PUT.
 * Every family is written whole (HELP, TYPE, then all its samples) because promtool and the
 * Pushgateway reject a family split in two. All families are gauges: each run replaces the
 * previous values; nothing accumulates across runs in a one-shot process. */
#include "report_formats.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "verdict.h"

typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} pb_t;

static void pb_putn(pb_t *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (nb == NULL) {
            b->oom = true;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void pb_puts(pb_t *b, const char *s)
{
    pb_putn(b, s, strlen(s));
}

/* Only for numbers and fixed names: label values go through pb_label. */
__attribute__((format(printf, 2, 3))) static void pb_printf(pb_t *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        pb_putn(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t prom_utf8_seq(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp;
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
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* A label value as the exposition format wants it: \\, \" and \n escaped, and (beyond the
 * format, for the sake of anyone reading it) other control bytes shown as '?' and invalid
 * UTF-8 as U+FFFD, since Prometheus rejects label values that are not UTF-8. */
static void pb_label_value(pb_t *b, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strnlen(s, max);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t l = prom_utf8_seq(p + i, n - i);
            pb_putn(b, l ? s + i : "\xef\xbf\xbd", l ? l : 3);
            i += l ? l : 1;
            continue;
        }
        if (c == '\\')
            pb_puts(b, "\\\\");
        else if (c == '"')
            pb_puts(b, "\\\"");
        else if (c == '\n')
            pb_puts(b, "\\n");
        else if (c < 0x20 || c == 0x7f)
            pb_puts(b, "?");
        else
            pb_putn(b, s + i, 1);
        i++;
    }
}

static void pb_label(pb_t *b, bool first, const char *name, const char *value, size_t max)
{
    pb_puts(b, first ? "{" : ",");
    pb_puts(b, name);
    pb_puts(b, "=\"");
    pb_label_value(b, value, max);
    pb_puts(b, "\"");
}

static void pb_family(pb_t *b, const char *name, const char *help)
{
    pb_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A sample value. Go's ParseFloat reads "%.17g" exactly; NaN for nonsense input. */
static void pb_value(pb_t *b, double v)
{
    if (isnan(v))
        pb_puts(b, " NaN\n");
    else if (isinf(v))
        pb_puts(b, v > 0 ? " +Inf\n" : " -Inf\n");
    else
        pb_printf(b, " %.17g\n", v);
}

/* Seconds from milliseconds with the precision the report carries (0.1 ms), printed short:
 * "%.4f" of seconds, trailing zeros cut ("0.0081", "1.0124", "2"). */
static void pb_seconds(pb_t *b, double ms)
{
    if (!isfinite(ms) || ms < 0 || ms > 1e15) {
        pb_puts(b, " NaN\n");
        return;
    }
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%.4f", ms / 1000.0);
    size_t n = strlen(tmp);
    while (n > 0 && tmp[n - 1] == '0')
        tmp[--n] = '\0';
    if (n > 0 && tmp[n - 1] == '.')
        tmp[--n] = '\0';
    pb_printf(b, " %s\n", tmp);
}

/* {role,probe,kind,expect without the closing brace}. */
static void pb_probe_labels(pb_t *b, const report_t *r, const result_t *res)
{
    pb_label(b, true, "role", r->role, sizeof(r->role));
    pb_label(b, false, "probe", res->name, sizeof(res->name));
    pb_label(b, false, "kind", config_kind_name(res->kind), 16);
    pb_label(b, false, "expect", config_expect_name(res->expect), 16);
}

static const verdict_t verdicts[] = {VERDICT_PASS, VERDICT_FAIL, VERDICT_INCONCLUSIVE};
#define N_VERDICTS (sizeof(verdicts) / sizeof(verdicts[0]))

static void render_probe_families(pb_t *b, const report_t *reports, size_t n)
{
    pb_family(b, "ztprobe_probe_success",
              "1 if the probe passed (the network behaved as expected), else 0.");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < reports[i].n_results; j++) {
            const result_t *res = &reports[i].results[j];
            pb_puts(b, "ztprobe_probe_success");
            pb_probe_labels(b, &reports[i], res);
            pb_puts(b, "}");
            pb_value(b, res->verdict == VERDICT_PASS ? 1 : 0);
        }

    pb_family(b, "ztprobe_probe_duration_seconds",
              "Duration of the probe, all attempts included, in seconds.");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < reports[i].n_results; j++) {
            const result_t *res = &reports[i].results[j];
            pb_puts(b, "ztprobe_probe_duration_seconds");
            pb_probe_labels(b, &reports[i], res);
            pb_puts(b, "}");
            pb_seconds(b, res->duration_ms);
        }

    /* Only the outcome seen is exported (value 1), not all seventeen with 0/1: one series
     * per probe instead of seventeen, and the question people ask ("which probes end in
     * dns_timeout?") is `ztprobe_probe_outcome{outcome="dns_timeout"}` either way. When the
     * outcome changes, the old series goes stale at the next scrape, or vanishes with the
     * Pushgateway's PUT, which replaces the whole group. Counting needs `or vector(0)`. */
    pb_family(b, "ztprobe_probe_outcome",
              "1 for the outcome the probe's verdict rests on (SPEC.md Outcomes).");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < reports[i].n_results; j++) {
            const result_t *res = &reports[i].results[j];
            pb_puts(b, "ztprobe_probe_outcome");
            pb_probe_labels(b, &reports[i], res);
            pb_label(b, false, "outcome", outcome_name(res->outcome), 32);
            pb_puts(b, "}");
            pb_value(b, 1);
        }

    /* All three verdicts with 0/1: a fixed, small set, and it lets an alert tell a failed
     * probe (the path is open, or closed when it should not be) from an inconclusive one
     * (not proven) without `absent()` gymnastics; ztprobe_probe_success cannot. */
    pb_family(b, "ztprobe_probe_verdict",
              "1 for the probe's verdict (pass, fail, inconclusive), 0 for the others.");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < reports[i].n_results; j++) {
            const result_t *res = &reports[i].results[j];
            for (size_t v = 0; v < N_VERDICTS; v++) {
                pb_puts(b, "ztprobe_probe_verdict");
                pb_probe_labels(b, &reports[i], res);
                pb_label(b, false, "verdict", verdict_name(verdicts[v]), 16);
                pb_puts(b, "}");
                pb_value(b, res->verdict == verdicts[v] ? 1 : 0);
            }
        }
}

static void render_run_families(pb_t *b, const report_t *reports, size_t n)
{
    pb_family(b, "ztprobe_last_run_timestamp_seconds",
              "Unix time at which the last run ended; alert when it stops advancing.");
    for (size_t i = 0; i < n; i++) {
        const report_t *r = &reports[i];
        double end = r->started_at + (isfinite(r->duration_ms) && r->duration_ms > 0
                                          ? r->duration_ms / 1000.0
                                          : 0.0);
        pb_puts(b, "ztprobe_last_run_timestamp_seconds");
        pb_label(b, true, "role", r->role, sizeof(r->role));
        /* Millisecond precision, the report's own. */
        if (isfinite(end))
            pb_printf(b, "} %.3f\n", end);
        else
            pb_puts(b, "} NaN\n");
    }

    pb_family(b, "ztprobe_run_duration_seconds", "Duration of the last run, in seconds.");
    for (size_t i = 0; i < n; i++) {
        pb_puts(b, "ztprobe_run_duration_seconds");
        pb_label(b, true, "role", reports[i].role, sizeof(reports[i].role));
        pb_puts(b, "}");
        pb_seconds(b, reports[i].duration_ms);
    }

    pb_family(b, "ztprobe_probes", "Number of probes of the last run, by verdict.");
    for (size_t i = 0; i < n; i++) {
        summary_t s = report_summary(&reports[i]);
        const int counts[N_VERDICTS] = {s.passed, s.failed, s.inconclusive};
        for (size_t v = 0; v < N_VERDICTS; v++) {
            pb_puts(b, "ztprobe_probes");
            pb_label(b, true, "role", reports[i].role, sizeof(reports[i].role));
            pb_label(b, false, "verdict", verdict_name(verdicts[v]), 16);
            pb_puts(b, "}");
            pb_value(b, counts[v]);
        }
    }

    /* Only the diagnoses made: their set is open-ended (SPEC.md says "at least"). */
    pb_family(b, "ztprobe_diagnosis",
              "1 for each report-wide diagnosis of the last run (dns_blocked, "
              "policy_not_enforced, role_labels_mismatch, ...).");
    for (size_t i = 0; i < n; i++) {
        size_t nd = reports[i].n_diags < DIAG_MAX ? reports[i].n_diags : DIAG_MAX;
        for (size_t d = 0; d < nd; d++) {
            /* A code twice (a hand-edited report) would be a duplicate series. */
            bool seen = false;
            for (size_t e = 0; e < d && !seen; e++)
                seen = strncmp(reports[i].diags[e].code, reports[i].diags[d].code,
                               sizeof(reports[i].diags[d].code)) == 0;
            if (seen)
                continue;
            pb_puts(b, "ztprobe_diagnosis");
            pb_label(b, true, "role", reports[i].role, sizeof(reports[i].role));
            pb_label(b, false, "code", reports[i].diags[d].code, sizeof(reports[i].diags[d].code));
            pb_puts(b, "}");
            pb_value(b, 1);
        }
    }
}

char *report_render_prometheus(const report_t *reports, size_t n)
{
    pb_t b = {0};
    pb_puts(&b, ""); /* an empty input still yields a string */
    render_probe_families(&b, reports, n);
    render_run_families(&b, reports, n);
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}
