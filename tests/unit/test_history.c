/* test_history.c: watch's per-probe verdict history (history.c) over made-up runs, and the
 * Prometheus families it and run --wait add: last change timestamp, the change counter (a
 * counter, the only one), time to converge; none of them without watch / --wait. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "report_formats.h"
#include "sample_report.h"

static sample_t sm; /* the last run_of's report: its results are sm.res */

/* A run of two probes that started at start (Unix s) and took 500 ms. */
static report_t run_of(double start, verdict_t a, verdict_t b)
{
    sample_init(&sm, "frontend", NULL, NULL);
    sm.r.started_at = start;
    sm.r.duration_ms = 500;
    sample_add(&sm, "backend-health", KIND_HTTP, EXPECT_ALLOW, a, OUTCOME_OK);
    sample_add(&sm, "no-direct-db", KIND_TCP, EXPECT_DENY, b, OUTCOME_OK);
    return sm.r;
}

static void test_flips(void **state)
{
    (void)state;
    history_t h;
    assert_int_equal(history_init(&h, 2), 0);

    /* First run: the change time is set, nothing is counted as a change. */
    report_t r = run_of(1000, VERDICT_PASS, VERDICT_PASS);
    assert_int_equal(history_update(&h, &r), 0);
    assert_true(r.history);
    assert_true(sm.res[0].last_change_at == 1000.5 && sm.res[1].last_change_at == 1000.5);
    assert_int_equal(sm.res[0].verdict_changes, 0);

    /* Same verdicts: nothing moves. */
    r = run_of(1060, VERDICT_PASS, VERDICT_PASS);
    assert_int_equal(history_update(&h, &r), 0);
    assert_true(sm.res[1].last_change_at == 1000.5);

    /* The deny probe fails (the path opened), then passes again: two changes. */
    r = run_of(1120, VERDICT_PASS, VERDICT_FAIL);
    assert_int_equal(history_update(&h, &r), 1);
    assert_true(h.flipped[1] && !h.flipped[0]);
    assert_true(sm.res[1].last_change_at == 1120.5);
    assert_int_equal(sm.res[1].verdict_changes, 1);
    assert_true(sm.res[0].last_change_at == 1000.5);
    r = run_of(1180, VERDICT_PASS, VERDICT_PASS);
    assert_int_equal(history_update(&h, &r), 1);
    assert_int_equal(sm.res[1].verdict_changes, 2);
    assert_true(sm.res[1].last_change_at == 1180.5);
    /* fail -> inconclusive is a change too. */
    r = run_of(1240, VERDICT_FAIL, VERDICT_PASS);
    history_update(&h, &r);
    r = run_of(1300, VERDICT_INCONCLUSIVE, VERDICT_PASS);
    history_update(&h, &r);
    assert_int_equal(sm.res[0].verdict_changes, 2);
    assert_false(h.flipped[1]);
    assert_int_equal(h.runs, 6);

    /* A report of another shape is not recorded. */
    r = run_of(1360, VERDICT_PASS, VERDICT_PASS);
    r.n_results = 1;
    assert_int_equal(history_update(&h, &r), 0);
    assert_false(r.history);
    assert_int_equal(h.runs, 6);
    history_free(&h);
    history_free(&h);
    history_free(NULL);
}

static void test_prom_history(void **state)
{
    (void)state;
    history_t h;
    assert_int_equal(history_init(&h, 2), 0);
    report_t r = run_of(1795669200, VERDICT_PASS, VERDICT_PASS);
    history_update(&h, &r);
    r = run_of(1795669260, VERDICT_PASS, VERDICT_FAIL);
    history_update(&h, &r);
    char *p = report_render_prometheus(&r, 1);
    assert_non_null(p);
    assert_non_null(strstr(p, "# TYPE ztprobe_probe_last_change_timestamp_seconds gauge\n"));
    assert_non_null(strstr(p, "ztprobe_probe_last_change_timestamp_seconds{role=\"frontend\",probe=\"no-direct-db\","
                              "kind=\"tcp\",expect=\"deny\"} 1795669260.500\n"));
    assert_non_null(strstr(p, "ztprobe_probe_last_change_timestamp_seconds{role=\"frontend\",probe=\"backend-health\","
                              "kind=\"http\",expect=\"allow\"} 1795669200.500\n"));
    assert_non_null(strstr(p, "# TYPE ztprobe_probe_verdict_changes_total counter\n"));
    assert_non_null(strstr(p, "ztprobe_probe_verdict_changes_total{role=\"frontend\",probe=\"no-direct-db\","
                              "kind=\"tcp\",expect=\"deny\"} 1\n"));
    assert_non_null(strstr(p, "ztprobe_probe_verdict_changes_total{role=\"frontend\",probe=\"backend-health\","
                              "kind=\"http\",expect=\"allow\"} 0\n"));
    assert_null(strstr(p, "converged"));
    free(p);
    history_free(&h);

    /* A one-shot run has no history: no such families. */
    r = run_of(1795669200, VERDICT_PASS, VERDICT_PASS);
    p = report_render_prometheus(&r, 1);
    assert_null(strstr(p, "last_change"));
    assert_null(strstr(p, "_total"));
    assert_null(strstr(p, "counter"));
    free(p);
}

static void test_prom_wait(void **state)
{
    (void)state;
    report_t r = run_of(1795669200, VERDICT_PASS, VERDICT_PASS);
    r.waited = true;
    sm.res[0].converged_after_ms = 0;
    sm.res[1].converged_after_ms = 3008.2;
    r.converged_after_ms = 3008.2;
    char *p = report_render_prometheus(&r, 1);
    assert_non_null(strstr(p, "ztprobe_probe_converged_after_seconds{role=\"frontend\",probe=\"no-direct-db\","
                              "kind=\"tcp\",expect=\"deny\"} 3.0082\n"));
    assert_non_null(strstr(p, "ztprobe_probe_converged_after_seconds{role=\"frontend\",probe=\"backend-health\","
                              "kind=\"http\",expect=\"allow\"} 0\n"));
    assert_non_null(strstr(p, "ztprobe_converged_after_seconds{role=\"frontend\"} 3.0082\n"));
    free(p);

    /* Not converged: no sample for the probe that never passed, no report-wide figure. */
    sm.res[1].verdict = VERDICT_FAIL;
    sm.res[1].converged_after_ms = -1;
    r.converged_after_ms = -1;
    p = report_render_prometheus(&r, 1);
    assert_non_null(strstr(p, "probe=\"backend-health\",kind=\"http\",expect=\"allow\"} 0\n"));
    assert_null(strstr(p, "ztprobe_probe_converged_after_seconds{role=\"frontend\",probe=\"no-direct-db\""));
    assert_null(strstr(p, "ztprobe_converged_after_seconds"));
    free(p);

    /* Without --wait: nothing about convergence. */
    r.waited = false;
    p = report_render_prometheus(&r, 1);
    assert_null(strstr(p, "converged"));
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flips),
        cmocka_unit_test(test_prom_history),
        cmocka_unit_test(test_prom_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
