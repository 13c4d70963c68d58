/* report_prom.c: reports as the Prometheus text exposition format 0.0.4, for a scrape of a
 * file written by `watch`, a node-exporter textfile collector, or a Pushgateway PUT.
 * Every family is written whole (HELP, TYPE, then all its samples) because promtool and the
 * Pushgateway reject a family split in two. All families are gauges: each run replaces the
 * previous values; nothing accumulates across runs in a one-shot process. The exception is
 * watch's verdict change counter (render_history_families), kept across its runs. */
#include "report_formats.h"
#include "report_perf.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "report.h"
#include "strbuf.h"
#include "verdict.h"

/* A label value as the exposition format wants it: \\, \" and \n escaped, and (beyond the
 * format, for the sake of anyone reading it) other control bytes shown as '?' and invalid
 * UTF-8 as U+FFFD, since Prometheus rejects label values that are not UTF-8. */
static void pb_label_value(strbuf_t *b, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strnlen(s, max);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t l = strbuf_utf8_seq_len(p + i, n - i, NULL);
            strbuf_putn(b, l ? s + i : "\xef\xbf\xbd", l ? l : 3);
            i += l ? l : 1;
            continue;
        }
        if (c == '\\')
            strbuf_puts(b, "\\\\");
        else if (c == '"')
            strbuf_puts(b, "\\\"");
        else if (c == '\n')
            strbuf_puts(b, "\\n");
        else if (c < 0x20 || c == 0x7f)
            strbuf_puts(b, "?");
        else
            strbuf_putn(b, s + i, 1);
        i++;
    }
}

static void pb_label(strbuf_t *b, bool first, const char *name, const char *value, size_t max)
{
    strbuf_puts(b, first ? "{" : ",");
    strbuf_puts(b, name);
    strbuf_puts(b, "=\"");
    pb_label_value(b, value, max);
    strbuf_puts(b, "\"");
}

static void pb_family(strbuf_t *b, const char *name, const char *help)
{
    strbuf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void pb_counter(strbuf_t *b, const char *name, const char *help)
{
    strbuf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
}

/* A sample value. Go's ParseFloat reads "%.17g" exactly; NaN for nonsense input. */
static void pb_value(strbuf_t *b, double v)
{
    if (isnan(v))
        strbuf_puts(b, " NaN\n");
    else if (isinf(v))
        strbuf_puts(b, v > 0 ? " +Inf\n" : " -Inf\n");
    else
        strbuf_printf(b, " %.17g\n", v);
}

/* Seconds from milliseconds with the precision the report carries (0.1 ms), printed short:
 * "%.4f" of seconds, trailing zeros cut ("0.0081", "1.0124", "2"). */
static void pb_seconds(strbuf_t *b, double ms)
{
    if (!isfinite(ms) || ms < 0 || ms > 1e15) {
        strbuf_puts(b, " NaN\n");
        return;
    }
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%.4f", ms / 1000.0);
    size_t n = strlen(tmp);
    while (n > 0 && tmp[n - 1] == '0')
        tmp[--n] = '\0';
    if (n > 0 && tmp[n - 1] == '.')
        tmp[--n] = '\0';
    strbuf_printf(b, " %s\n", tmp);
}

/* A probe's series: NAME{role,probe,kind,expect without the closing brace (callers add labels). */
static void pb_probe_series(strbuf_t *b, const char *name, const report_t *r, const result_t *res)
{
    strbuf_puts(b, name);
    pb_label(b, true, "role", r->role, sizeof(r->role));
    pb_label(b, false, "probe", res->name, sizeof(res->name));
    pb_label(b, false, "kind", config_kind_name(res->kind), 16);
    pb_label(b, false, "expect", config_expect_name(res->expect), 16);
}

static const verdict_t verdicts[] = {VERDICT_PASS, VERDICT_FAIL, VERDICT_INCONCLUSIVE};
#define N_VERDICTS (sizeof(verdicts) / sizeof(verdicts[0]))

static void render_probe_families(strbuf_t *b, const report_t *reports, size_t n)
{
    pb_family(b, "ztprobe_probe_success", "1 if the probe passed (the network behaved as expected), else 0.");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < reports[i].n_results; j++) {
            const result_t *res = &reports[i].results[j];
            pb_probe_series(b, "ztprobe_probe_success", &reports[i], res);
            strbuf_puts(b, "}");
            pb_value(b, res->verdict == VERDICT_PASS ? 1 : 0);
        }

    pb_family(b, "ztprobe_probe_duration_seconds",
              "Duration of the probe, all attempts included, in seconds.");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < reports[i].n_results; j++) {
            const result_t *res = &reports[i].results[j];
            pb_probe_series(b, "ztprobe_probe_duration_seconds", &reports[i], res);
            strbuf_puts(b, "}");
            pb_seconds(b, res->duration_ms);
        }

    /* Only the outcome seen is exported (value 1), not all seventeen with 0/1: one series
     * per probe instead of seventeen, and the question people ask ("which probes end in
     * dns_timeout?") is `ztprobe_probe_outcome{outcome="dns_timeout"}` either way. When the
     * outcome changes, the old series goes stale at the next scrape, or vanishes with the
     * Pushgateway's PUT, which replaces the whole group. Counting needs `or vector(0)`. */
    pb_family(b, "ztprobe_probe_outcome",
              "1 for the outcome the probe's verdict rests on (outcomes: docs/reference.md).");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < reports[i].n_results; j++) {
            const result_t *res = &reports[i].results[j];
            pb_probe_series(b, "ztprobe_probe_outcome", &reports[i], res);
            pb_label(b, false, "outcome", outcome_name(res->outcome), 32);
            strbuf_puts(b, "}");
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
                pb_probe_series(b, "ztprobe_probe_verdict", &reports[i], res);
                pb_label(b, false, "verdict", verdict_name(verdicts[v]), 16);
                strbuf_puts(b, "}");
                pb_value(b, res->verdict == verdicts[v] ? 1 : 0);
            }
        }
}

static void render_run_families(strbuf_t *b, const report_t *reports, size_t n)
{
    pb_family(b, "ztprobe_last_run_timestamp_seconds",
              "Unix time at which the last run ended; alert when it stops advancing.");
    for (size_t i = 0; i < n; i++) {
        const report_t *r = &reports[i];
        double end = report_ended_at(r);
        strbuf_puts(b, "ztprobe_last_run_timestamp_seconds");
        pb_label(b, true, "role", r->role, sizeof(r->role));
        /* Millisecond precision, the report's own. */
        if (isfinite(end))
            strbuf_printf(b, "} %.3f\n", end);
        else
            strbuf_puts(b, "} NaN\n");
    }

    pb_family(b, "ztprobe_run_duration_seconds", "Duration of the last run, in seconds.");
    for (size_t i = 0; i < n; i++) {
        strbuf_puts(b, "ztprobe_run_duration_seconds");
        pb_label(b, true, "role", reports[i].role, sizeof(reports[i].role));
        strbuf_puts(b, "}");
        pb_seconds(b, reports[i].duration_ms);
    }

    pb_family(b, "ztprobe_probes", "Number of probes of the last run, by verdict.");
    for (size_t i = 0; i < n; i++) {
        summary_t s = report_summary(&reports[i]);
        const int counts[N_VERDICTS] = {s.passed, s.failed, s.inconclusive};
        for (size_t v = 0; v < N_VERDICTS; v++) {
            strbuf_puts(b, "ztprobe_probes");
            pb_label(b, true, "role", reports[i].role, sizeof(reports[i].role));
            pb_label(b, false, "verdict", verdict_name(verdicts[v]), 16);
            strbuf_puts(b, "}");
            pb_value(b, counts[v]);
        }
    }

    /* Only the diagnoses made: their set is open-ended (the reference says "at least"). */
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
            strbuf_puts(b, "ztprobe_diagnosis");
            pb_label(b, true, "role", reports[i].role, sizeof(reports[i].role));
            pb_label(b, false, "code", reports[i].diags[d].code, sizeof(reports[i].diags[d].code));
            strbuf_puts(b, "}");
            pb_value(b, 1);
        }
    }
}

/* watch only (the reports carry a history): when each verdict last changed and how often.
 * The counter is the one family that accumulates: it counts since the watch started, and a
 * restart resets it, which rate() and increase() expect of a counter. */
static void render_history_families(strbuf_t *b, const report_t *reports, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any = any || reports[i].history;
    if (!any)
        return;
    pb_family(b, "ztprobe_probe_last_change_timestamp_seconds",
              "Unix time of the end of the run in which the probe's current verdict was first "
              "seen (watch; set by its first run).");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; reports[i].history && j < reports[i].n_results; j++) {
            const result_t *res = &reports[i].results[j];
            pb_probe_series(b, "ztprobe_probe_last_change_timestamp_seconds", &reports[i], res);
            if (isfinite(res->last_change_at))
                strbuf_printf(b, "} %.3f\n", res->last_change_at);
            else
                strbuf_puts(b, "} NaN\n");
        }
    pb_counter(b, "ztprobe_probe_verdict_changes_total",
               "Verdict changes (pass, fail, inconclusive) of the probe between consecutive runs "
               "since watch started.");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; reports[i].history && j < reports[i].n_results; j++) {
            const result_t *res = &reports[i].results[j];
            pb_probe_series(b, "ztprobe_probe_verdict_changes_total", &reports[i], res);
            strbuf_printf(b, "} %lu\n", res->verdict_changes);
        }
}

/* run --wait only: time to converge, the figure a post-deploy Job pushes. Probes that never
 * passed have no sample (ztprobe_probe_success says they failed). */
static void render_wait_families(strbuf_t *b, const report_t *reports, size_t n)
{
    bool any = false, all = false;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; reports[i].waited && j < reports[i].n_results; j++)
            any = any || reports[i].results[j].converged_after_ms >= 0;
    for (size_t i = 0; i < n; i++)
        all = all || (reports[i].waited && reports[i].converged_after_ms >= 0);
    if (any) {
        pb_family(b, "ztprobe_probe_converged_after_seconds",
                  "run --wait: seconds from the start of the run to the start of the round in which "
                  "the probe first passed.");
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; reports[i].waited && j < reports[i].n_results; j++) {
                const result_t *res = &reports[i].results[j];
                if (res->converged_after_ms < 0)
                    continue;
                pb_probe_series(b, "ztprobe_probe_converged_after_seconds", &reports[i], res);
                strbuf_puts(b, "}");
                pb_seconds(b, res->converged_after_ms);
            }
    }
    if (all) {
        pb_family(b, "ztprobe_converged_after_seconds",
                  "run --wait: seconds until every probe of the role had passed.");
        for (size_t i = 0; i < n; i++) {
            if (!reports[i].waited || reports[i].converged_after_ms < 0)
                continue;
            strbuf_puts(b, "ztprobe_converged_after_seconds");
            pb_label(b, true, "role", reports[i].role, sizeof(reports[i].role));
            strbuf_puts(b, "}");
            pb_seconds(b, reports[i].converged_after_ms);
        }
    }
    report_perf_render(b, reports, n);
}

char *report_render_prometheus(const report_t *reports, size_t n)
{
    strbuf_t b = {0};
    render_probe_families(&b, reports, n);
    render_run_families(&b, reports, n);
    render_history_families(&b, reports, n);
    render_wait_families(&b, reports, n);
    return strbuf_take(&b);
}
