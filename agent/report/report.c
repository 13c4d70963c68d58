/* report.c: the JSON report (the reference, "Report"), rendered by hand so the layout is stable and
 * readable with 2-space indentation; the summary and report_free. Parsing a report back
 * (merge) is in report_parse.c. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "strbuf.h"
#include "verdict.h"

summary_t report_summary(const report_t *r)
{
    summary_t s = {0};
    for (size_t i = 0; r != NULL && i < r->n_results; i++) {
        switch (r->results[i].verdict) {
        case VERDICT_PASS: s.passed++; break;
        case VERDICT_FAIL: s.failed++; break;
        default: s.inconclusive++; break;
        }
        s.total++;
    }
    s.ok = s.failed == 0 && s.inconclusive == 0;
    return s;
}

void report_outcome_text(const result_t *res, char *buf, size_t len)
{
    size_t nr = res->n_addr_results < RESULT_MAX_ADDRS ? res->n_addr_results : RESULT_MAX_ADDRS;
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    if (nr < 2) {
        snprintf(buf, len, "%s", outcome_name(res->outcome));
        return;
    }
    for (size_t i = 0; i < nr; i++) {
        const result_addr_t *a = &res->addr_results[i];
        int n = snprintf(buf + used, len - used, "%s%s (%s)", i ? " / " : "", outcome_name(a->outcome),
                         ip_addr_is_v6(&a->address) ? "v6" : "v4");
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
}

void report_free_policy(report_t *r)
{
    for (size_t i = 0; r->policy && i < r->n_results; i++)
        result_policy_clear(&r->policy[i]);
    free(r->policy);
    r->policy = NULL;
}

void report_free(report_t *r)
{
    if (r == NULL)
        return;
    report_free_policy(r);
    for (size_t i = 0; r->results && i < r->n_results; i++)
        result_clear(&r->results[i]);
    free(r->results);
    r->results = NULL;
    r->n_results = 0;
}

double report_ended_at(const report_t *r)
{
    double end = r->started_at;
    if (isfinite(r->duration_ms) && r->duration_ms > 0)
        end += r->duration_ms / 1000.0;
    return end;
}

/* ---- rendering ---------------------------------------------------------------------- */

/* Empty strings render as null (pod fields, detail, hint). */
static void json_str_or_null(strbuf_t *b, const char *s, size_t max)
{
    if (s == NULL || s[0] == '\0')
        strbuf_puts(b, "null");
    else
        strbuf_json_str(b, s, max);
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
static void json_ms(strbuf_t *b, double ms, bool negative_is_null)
{
    if (!isfinite(ms) || (negative_is_null && ms < 0)) {
        strbuf_puts(b, negative_is_null ? "null" : "0");
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
    strbuf_puts(b, tmp);
}

static void json_time(strbuf_t *b, double unix_s)
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
        strbuf_puts(b, "\"1970-01-01T00:00:00.000Z\"");
        return;
    }
    strbuf_printf(b, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

/* "policy": what the NetworkPolicies intend (run --policies). */
static void render_policy(strbuf_t *b, const result_policy_t *p)
{
    strbuf_puts(b, ",\n      \"policy\": { \"intended\": ");
    strbuf_json_str(b, p->intended, sizeof(p->intended));
    strbuf_puts(b, ", \"by\": [");
    for (size_t i = 0; i < p->n_by && i < RESULT_POLICY_BY_MAX; i++) {
        strbuf_puts(b, i ? ", { \"policy\": " : "{ \"policy\": ");
        strbuf_json_str(b, p->by[i].policy, RESULT_POLICY_NAME_LEN);
        strbuf_printf(b, ", \"direction\": \"%s\", \"rule\": %d }", p->by[i].egress ? "egress" : "ingress",
                      p->by[i].rule);
    }
    strbuf_puts(b, "], \"reason\": ");
    json_str_or_null(b, result_policy_reason(p), RESULT_POLICY_REASON_LEN);
    strbuf_puts(b, " }");
}

static void render_result(strbuf_t *b, const result_t *res, bool waited, const result_policy_t *pol)
{
    strbuf_puts(b, "    {\n      \"name\": ");
    strbuf_json_str(b, res->name, sizeof(res->name));
    strbuf_puts(b, ",\n      \"kind\": ");
    strbuf_json_str(b, config_kind_name(res->kind), 16);
    strbuf_puts(b, ",\n      \"target\": ");
    strbuf_json_str(b, result_text(res, RESULT_TARGET), RESULT_TARGET_LEN);
    strbuf_puts(b, ",\n      \"expect\": ");
    strbuf_json_str(b, config_expect_name(res->expect), 16);
    strbuf_puts(b, ",\n      \"verdict\": ");
    strbuf_json_str(b, verdict_name(res->verdict), 16);
    strbuf_puts(b, ",\n      \"outcome\": ");
    strbuf_json_str(b, outcome_name(res->outcome), 32);
    strbuf_puts(b, ",\n      \"detail\": ");
    json_str_or_null(b, result_text(res, RESULT_DETAIL), RESULT_DETAIL_LEN);
    strbuf_puts(b, ",\n      \"hint\": ");
    json_str_or_null(b, result_text(res, RESULT_HINT), RESULT_HINT_LEN);
    if (pol)
        render_policy(b, pol);
    strbuf_printf(b, ",\n      \"attempts\": %d,\n      \"duration_ms\": ", res->attempts);
    json_ms(b, res->duration_ms, false);
    if (waited) {
        strbuf_puts(b, ",\n      \"converged_after_ms\": ");
        json_ms(b, res->converged_after_ms, true);
    }
    strbuf_puts(b, ",\n      \"addresses\": [");
    size_t na = res->n_addrs < RESULT_MAX_ADDRS ? res->n_addrs : RESULT_MAX_ADDRS;
    size_t nr = res->n_addr_results < RESULT_MAX_ADDRS ? res->n_addr_results : RESULT_MAX_ADDRS;
    /* family: all: one object per address probed, with its own outcome. */
    char ip[RESULT_ADDR_LEN];
    for (size_t i = 0; i < nr; i++) {
        strbuf_puts(b, i > 0 ? ",\n        { \"address\": " : "\n        { \"address\": ");
        strbuf_json_str(b, ip_addr_format(&res->addr_results[i].address, ip), RESULT_ADDR_LEN);
        strbuf_puts(b, ", \"outcome\": ");
        strbuf_json_str(b, outcome_name(res->addr_results[i].outcome), 32);
        strbuf_puts(b, ", \"duration_ms\": ");
        json_ms(b, res->addr_results[i].duration_ms, false);
        strbuf_puts(b, i + 1 == nr ? " }\n      " : " }");
    }
    for (size_t i = 0; nr == 0 && i < na; i++) {
        if (i > 0)
            strbuf_puts(b, ", ");
        strbuf_json_str(b, ip_addr_format(&res->addrs[i], ip), RESULT_ADDR_LEN);
    }
    strbuf_puts(b, "],\n      \"timings_ms\": { \"dns\": ");
    json_ms(b, res->dns_ms, true);
    strbuf_puts(b, ", \"connect\": ");
    json_ms(b, res->connect_ms, true);
    strbuf_puts(b, ", \"tls\": ");
    json_ms(b, res->tls_ms, true);
    strbuf_puts(b, ", \"first_byte\": ");
    json_ms(b, res->first_byte_ms, true);
    strbuf_puts(b, " }\n    }");
}

char *report_render_json(const report_t *r, const char *agent_version)
{
    strbuf_t b = {0};
    summary_t s = report_summary(r);

    strbuf_puts(&b, "{\n  \"schema\": \"" REPORT_SCHEMA "\",\n  \"agent_version\": ");
    json_str_or_null(&b, agent_version, 64);
    strbuf_puts(&b, ",\n  \"role\": ");
    strbuf_json_str(&b, r->role, sizeof(r->role));
    strbuf_puts(&b, ",\n  \"pod\": { \"name\": ");
    json_str_or_null(&b, r->pod_name, sizeof(r->pod_name));
    strbuf_puts(&b, ", \"namespace\": ");
    json_str_or_null(&b, r->pod_namespace, sizeof(r->pod_namespace));
    strbuf_puts(&b, " },\n  \"started_at\": ");
    json_time(&b, r->started_at);
    strbuf_puts(&b, ",\n  \"duration_ms\": ");
    json_ms(&b, r->duration_ms, false);
    if (r->waited) { /* run --wait only: a plain run's report keeps the v1 layout */
        strbuf_puts(&b, ",\n  \"converged_after_ms\": ");
        json_ms(&b, r->converged_after_ms, true);
    }
    strbuf_printf(&b,
                  ",\n  \"summary\": { \"total\": %d, \"passed\": %d, \"failed\": %d, "
                  "\"inconclusive\": %d, \"ok\": %s },\n  \"diagnoses\": [",
                  s.total, s.passed, s.failed, s.inconclusive, s.ok ? "true" : "false");
    size_t nd = r->n_diags < DIAG_MAX ? r->n_diags : DIAG_MAX;
    for (size_t i = 0; i < nd; i++) {
        strbuf_puts(&b, i > 0 ? ",\n    { \"code\": " : "\n    { \"code\": ");
        strbuf_json_str(&b, r->diags[i].code, sizeof(r->diags[i].code));
        strbuf_puts(&b, ", \"message\": ");
        strbuf_json_str(&b, r->diags[i].message, sizeof(r->diags[i].message));
        strbuf_puts(&b, " }");
    }
    strbuf_puts(&b, nd > 0 ? "\n  ],\n  \"results\": [" : "],\n  \"results\": [");
    for (size_t i = 0; i < r->n_results; i++) {
        strbuf_puts(&b, i > 0 ? ",\n" : "\n");
        render_result(&b, &r->results[i], r->waited, r->policy ? &r->policy[i] : NULL);
    }
    strbuf_puts(&b, r->n_results > 0 ? "\n  ]\n}\n" : "]\n}\n");
    return strbuf_take(&b);
}
