/* report_perf.c: `run --wait`'s convergence as perf-tests' histogram
 * `policy_enforcement_latency_policy_creation_seconds` (the time from a policy's creation to
 * the first connection that behaves as it says), with that project's buckets. ztprobe's clock
 * starts with the wait, not at the policy's creationTimestamp: run it right after the apply
 * and the two figures measure the same thing, ztprobe's to one round (--every). Deny probes
 * count too (the first round in which the path was dropped); the labels `role` and `expect`
 * tell them apart, and `sum by (le)` gives perf-tests' series. */
#include "report_perf.h"

#include <string.h>

#include "config.h"

#define PERF_NAME "policy_enforcement_latency_policy_creation_seconds"

/* perf-tests' latencyBuckets (util-images/network/netpolicy-enforcement-latency). */
static const double perf_buckets[] = {0.1, 0.5, 1, 3, 5, 10, 30, 60, 300, 600, 1800, 3600};
#define PERF_N_BUCKETS (sizeof(perf_buckets) / sizeof(perf_buckets[0]))

/* Role names are validated (letters, digits, -_.) but a label value is written defensively. */
static void perf_labels(strbuf_t *b, const char *role, size_t max, const char *expect)
{
    strbuf_puts(b, "{role=\"");
    for (size_t i = 0; i < max && role[i]; i++) {
        char c = role[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '_' || c == '.';
        strbuf_putn(b, plain ? &role[i] : "?", 1);
    }
    strbuf_printf(b, "\",expect=\"%s\"", expect);
}

static void perf_series(strbuf_t *b, const report_t *r, expect_t expect)
{
    unsigned long counts[PERF_N_BUCKETS] = {0}, total = 0;
    double sum = 0;
    for (size_t j = 0; j < r->n_results; j++) {
        const result_t *res = &r->results[j];
        if (res->expect != expect || res->converged_after_ms < 0)
            continue;
        double s = res->converged_after_ms / 1000.0;
        for (size_t k = 0; k < PERF_N_BUCKETS; k++)
            counts[k] += s <= perf_buckets[k];
        total++;
        sum += s;
    }
    if (!total)
        return;
    const char *ex = config_expect_name(expect);
    for (size_t k = 0; k < PERF_N_BUCKETS; k++) {
        strbuf_puts(b, PERF_NAME "_bucket");
        perf_labels(b, r->role, sizeof(r->role), ex);
        strbuf_printf(b, ",le=\"%g\"} %lu\n", perf_buckets[k], counts[k]);
    }
    strbuf_puts(b, PERF_NAME "_bucket");
    perf_labels(b, r->role, sizeof(r->role), ex);
    strbuf_printf(b, ",le=\"+Inf\"} %lu\n", total);
    strbuf_puts(b, PERF_NAME "_sum");
    perf_labels(b, r->role, sizeof(r->role), ex);
    strbuf_printf(b, "} %.4f\n", sum);
    strbuf_puts(b, PERF_NAME "_count");
    perf_labels(b, r->role, sizeof(r->role), ex);
    strbuf_printf(b, "} %lu\n", total);
}

void report_perf_render(strbuf_t *b, const report_t *reports, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; reports[i].waited && j < reports[i].n_results; j++)
            any = any || reports[i].results[j].converged_after_ms >= 0;
    if (!any)
        return;
    strbuf_puts(b,
                "# HELP " PERF_NAME " run --wait: seconds from the start of the wait to the round in "
                "which the probe converged (kubernetes/perf-tests' name and buckets).\n"
                "# TYPE " PERF_NAME " histogram\n");
    for (size_t i = 0; i < n; i++) {
        if (!reports[i].waited)
            continue;
        perf_series(b, &reports[i], EXPECT_ALLOW);
        perf_series(b, &reports[i], EXPECT_DENY);
    }
}
