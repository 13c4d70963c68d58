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
/* watch --startup: from the pod's start, the perf-tests figure of a new pod. */
#define PERF_POD_NAME "pod_creation_reachability_latency_seconds"
#define STARTUP_NAME "ztprobe_probe_startup_unprotected_seconds"

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

static void perf_series(strbuf_t *b, const char *name, const report_t *r, expect_t expect)
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
        strbuf_printf(b, "%s_bucket", name);
        perf_labels(b, r->role, sizeof(r->role), ex);
        strbuf_printf(b, ",le=\"%g\"} %lu\n", perf_buckets[k], counts[k]);
    }
    strbuf_printf(b, "%s_bucket", name);
    perf_labels(b, r->role, sizeof(r->role), ex);
    strbuf_printf(b, ",le=\"+Inf\"} %lu\n", total);
    strbuf_printf(b, "%s_sum", name);
    perf_labels(b, r->role, sizeof(r->role), ex);
    strbuf_printf(b, "} %.4f\n", sum);
    strbuf_printf(b, "%s_count", name);
    perf_labels(b, r->role, sizeof(r->role), ex);
    strbuf_printf(b, "} %lu\n", total);
}

/* Probe names are validated like role names: written as perf_labels writes a role. */
static void startup_gauge(strbuf_t *b, const report_t *r)
{
    for (size_t j = 0; j < r->n_results; j++) {
        const result_t *res = &r->results[j];
        if (res->expect != EXPECT_DENY)
            continue;
        strbuf_puts(b, STARTUP_NAME);
        perf_labels(b, r->role, sizeof(r->role), "deny");
        strbuf_puts(b, ",probe=\"");
        for (size_t i = 0; i < sizeof(res->name) && res->name[i]; i++) {
            char c = res->name[i];
            bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.';
            strbuf_putn(b, plain ? &res->name[i] : "?", 1);
        }
        strbuf_printf(b, "\",kind=\"%s\"}", config_kind_name(res->kind));
        /* Never enforced within --startup: +Inf, so that any threshold fires. */
        if (res->converged_after_ms < 0)
            strbuf_puts(b, " +Inf\n");
        else
            strbuf_printf(b, " %.4f\n", res->converged_after_ms / 1000.0);
    }
}

void report_perf_render(strbuf_t *b, const report_t *reports, size_t n)
{
    bool any[2] = {false, false}, deny = false; /* [0]: run --wait, [1]: watch --startup */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; reports[i].waited && j < reports[i].n_results; j++) {
            int k = reports[i].startup ? 1 : 0;
            any[k] = any[k] || reports[i].results[j].converged_after_ms >= 0;
            deny = deny || (reports[i].startup && reports[i].results[j].expect == EXPECT_DENY);
        }
    if (any[0]) {
        strbuf_puts(b,
                    "# HELP " PERF_NAME " run --wait: seconds from the start of the wait to the round in "
                    "which the probe converged (kubernetes/perf-tests' name and buckets).\n"
                    "# TYPE " PERF_NAME " histogram\n");
        for (size_t i = 0; i < n; i++) {
            if (!reports[i].waited || reports[i].startup)
                continue;
            perf_series(b, PERF_NAME, &reports[i], EXPECT_ALLOW);
            perf_series(b, PERF_NAME, &reports[i], EXPECT_DENY);
        }
    }
    if (any[1]) {
        strbuf_puts(b,
                    "# HELP " PERF_POD_NAME " watch --startup: seconds from the start of the pod's ztprobe "
                    "to the round in which the probe converged (kubernetes/perf-tests' name and buckets).\n"
                    "# TYPE " PERF_POD_NAME " histogram\n");
        for (size_t i = 0; i < n; i++) {
            if (!reports[i].waited || !reports[i].startup)
                continue;
            perf_series(b, PERF_POD_NAME, &reports[i], EXPECT_ALLOW);
            perf_series(b, PERF_POD_NAME, &reports[i], EXPECT_DENY);
        }
    }
    if (deny) {
        strbuf_puts(b,
                    "# HELP " STARTUP_NAME " watch --startup: seconds from the start of the pod's ztprobe "
                    "until the deny held (+Inf: not within --startup).\n"
                    "# TYPE " STARTUP_NAME " gauge\n");
        for (size_t i = 0; i < n; i++)
            if (reports[i].waited && reports[i].startup)
                startup_gauge(b, &reports[i]);
    }
}
