/* test_converge.c: `run --wait` bookkeeping (converge.c) driven with made-up clocks: which
 * probes are pending, when each converged, round pacing and the deadline, the usage check;
 * and the report's convergence fields: JSON render, parse back, rejections, text line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converge.h"
#include "report.h"
#include "report_formats.h"
#include "sample_report.h"

/* The frontend's matrix (tests/unit/sample_report.h builds it): three probes, all passed
 * in the first round. */
static void sample(sample_t *sm)
{
    const char *names[] = {"backend-health", "no-direct-db", "cluster-dns"};
    sample_init(sm, "frontend", NULL, NULL);
    sm->r.duration_ms = 4012.5;
    sm->r.converged_after_ms = 0;
    for (int i = 0; i < 3; i++)
        sample_add(sm, names[i], i == 2 ? KIND_DNS : KIND_TCP, i == 1 ? EXPECT_DENY : EXPECT_ALLOW,
                   VERDICT_PASS, i == 1 ? OUTCOME_TIMEOUT : OUTCOME_OK)
            ->converged_after_ms = 0; /* each test sets what it needs */
}

static void set_verdicts(result_t *rs, const verdict_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rs[i].verdict = v[i];
}

/* Round 1 at t=100 (the start): allow probes pass, the deny probe does not; it passes in the
 * round that starts at 3100. Each probe keeps the start of the round of its first pass. */
static void test_bookkeeping(void **state)
{
    (void)state;
    converge_t c;
    size_t idx[3];
    assert_int_equal(converge_init(&c, 3, 60000, 100), 0);
    assert_int_equal(converge_pending(&c, idx), 3);

    result_t round[3];
    memset(round, 0, sizeof(round));
    set_verdicts(round, (verdict_t[]){VERDICT_PASS, VERDICT_FAIL, VERDICT_PASS}, 3);
    converge_record(&c, 100, NULL, round, 3);
    assert_int_equal(c.rounds, 1);
    assert_int_equal(converge_pending(&c, idx), 1);
    assert_int_equal(idx[0], 1);

    /* Rounds of the pending probe only: results[j] belongs to idx[j]. */
    set_verdicts(round, (verdict_t[]){VERDICT_FAIL}, 1);
    converge_record(&c, 1100, idx, round, 1);
    converge_record(&c, 2100, idx, round, 1);
    set_verdicts(round, (verdict_t[]){VERDICT_PASS}, 1);
    converge_record(&c, 3100, idx, round, 1);
    assert_int_equal(c.rounds, 4);
    assert_int_equal(converge_pending(&c, idx), 0);
    /* A later pass does not move the first one. */
    converge_record(&c, 4100, (size_t[]){1}, round, 1);

    sample_t sm;
    sample(&sm);
    report_t r = sm.r;
    converge_finish(&c, &r);
    assert_true(r.waited);
    assert_true(r.results[0].converged_after_ms == 0);
    assert_true(r.results[1].converged_after_ms == 3000);
    assert_true(r.results[2].converged_after_ms == 0);
    assert_true(r.converged_after_ms == 3000);
    converge_free(&c);
    converge_free(&c); /* twice is harmless */
    converge_free(NULL);
    sample_free(&sm);
}

static void test_never_converged(void **state)
{
    (void)state;
    converge_t c;
    assert_int_equal(converge_init(&c, 3, 5000, 0), 0);
    result_t round[3];
    memset(round, 0, sizeof(round));
    set_verdicts(round, (verdict_t[]){VERDICT_PASS, VERDICT_INCONCLUSIVE, VERDICT_PASS}, 3);
    converge_record(&c, 0, NULL, round, 3);
    sample_t sm;
    sample(&sm);
    report_t r = sm.r;
    converge_finish(&c, &r);
    assert_true(r.results[1].converged_after_ms < 0);
    assert_true(r.results[0].converged_after_ms == 0);
    assert_true(r.converged_after_ms < 0);
    converge_free(&c);

    /* No probes: the empty matrix converged at once. */
    assert_int_equal(converge_init(&c, 0, 5000, 0), 0);
    sample_t sme;
    sample(&sme);
    report_t e = sme.r;
    e.n_results = 0;
    converge_finish(&c, &e);
    assert_true(e.converged_after_ms == 0);
    assert_true(converge_next_round(&c, 0, 100) < 0);
    converge_free(&c);
    sample_free(&sm);
    sample_free(&sme);
}

/* Rounds: at most once a second, never before now, none that could end after the wait. */
static void test_next_round(void **state)
{
    (void)state;
    converge_t c;
    result_t round[2];
    memset(round, 0, sizeof(round));
    assert_int_equal(converge_init(&c, 2, 10000, 1000), 0);
    set_verdicts(round, (verdict_t[]){VERDICT_FAIL, VERDICT_PASS}, 2);
    converge_record(&c, 1000, NULL, round, 2);
    /* A quick round: the next one waits for the gap. */
    assert_true(converge_next_round(&c, 1050, 1100) == 2000);
    /* A slow round (overran the gap): the next starts at once. */
    assert_true(converge_next_round(&c, 3500, 1100) == 3500);
    /* The wait ends at 11000: a round of 1100 ms fits when starting at 9900, not at 9901. */
    assert_true(converge_next_round(&c, 9900, 1100) == 9900);
    assert_true(converge_next_round(&c, 9901, 1100) < 0);
    /* Everything passed: no further round, however much time is left. */
    set_verdicts(round, (verdict_t[]){VERDICT_PASS}, 1);
    converge_record(&c, 2000, (size_t[]){0}, round, 1);
    assert_true(converge_next_round(&c, 2100, 1100) < 0);
    converge_free(&c);
}

static config_t *parse(const char *json)
{
    char *j = strdup(json), err[256] = "";
    assert_non_null(j);
    for (char *p = j; *p; p++)
        if (*p == '\'')
            *p = '"';
    config_t *cfg = NULL;
    if (config_parse(j, strlen(j), &cfg, err, sizeof(err)) != 0)
        fail_msg("config: %s", err);
    free(j);
    return cfg;
}

static void test_budget_and_usage(void **state)
{
    (void)state;
    config_t *cfg = parse("{'version':1,'defaults':{'timeout_ms':3000},'roles':{'r':{'probes':["
                          "{'name':'a','kind':'tcp','host':'127.0.0.1','port':1,'expect':'allow'},"
                          "{'name':'slow','kind':'tcp','host':'127.0.0.1','port':2,'expect':'deny',"
                          "'timeout_ms':5000,'attempts':2},"
                          "{'name':'c','kind':'tcp','host':'127.0.0.1','port':3,'expect':'deny',"
                          "'timeout_ms':1000}]}}}");
    const config_role_t *role = config_find_role(cfg, "r");
    const config_probe_t *probes[3] = {&role->probes[0], &role->probes[1], &role->probes[2]};
    /* The worst case: 5000 ms x 2 attempts, plus the slack; only over the probes given. */
    assert_true(converge_round_budget_ms(cfg, probes, NULL, 3) == 10000 + CONVERGE_ROUND_SLACK_MS);
    assert_true(converge_round_budget_ms(cfg, probes, (size_t[]){0, 2}, 2) == 3000 + CONVERGE_ROUND_SLACK_MS);

    char err[512] = "";
    assert_int_equal(converge_check_wait(cfg, probes, 3, 5000, "5s", err, sizeof(err)), 0);
    assert_int_equal(converge_check_wait(cfg, probes, 3, 4999, "4999ms", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--wait 4999ms"));
    assert_non_null(strstr(err, "probe timeout of 5000 ms (probe \"slow\")"));
    assert_non_null(strstr(err, "at least 5s"));
    /* Only the probes chosen (--only) count. */
    assert_int_equal(converge_check_wait(cfg, probes, 1, 3000, "3s", err, sizeof(err)), 0);
    config_free(cfg);
}

/* ---- the report's fields ---------------------------------------------------------------- */

static cJSON *render_parse(const report_t *r)
{
    char *j = report_render_json(r, "0.1.0");
    assert_non_null(j);
    cJSON *root = cJSON_Parse(j);
    assert_non_null(root);
    free(j);
    return root;
}

static void test_json_absent_without_wait(void **state)
{
    (void)state;
    sample_t sm;
    sample(&sm);
    report_t r = sm.r;
    cJSON *root = render_parse(&r);
    assert_null(cJSON_GetObjectItemCaseSensitive(root, "converged_after_ms"));
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "results"), 0);
    assert_null(cJSON_GetObjectItemCaseSensitive(first, "converged_after_ms"));
    cJSON_Delete(root);
    sample_free(&sm);
}

static void test_json_round_trip(void **state)
{
    (void)state;
    sample_t sm;
    sample(&sm);
    report_t r = sm.r;
    r.waited = true;
    sm.res[0].converged_after_ms = 0;
    sm.res[1].converged_after_ms = 3008.24;
    sm.res[2].verdict = VERDICT_INCONCLUSIVE;
    sm.res[2].outcome = OUTCOME_DNS_TIMEOUT;
    sm.res[2].converged_after_ms = -1;
    r.converged_after_ms = -1;
    cJSON *root = render_parse(&r);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(root, "converged_after_ms")));
    cJSON *rs = cJSON_GetObjectItemCaseSensitive(root, "results");
    assert_true(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rs, 0), "converged_after_ms")->valuedouble == 0);
    assert_true(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rs, 1), "converged_after_ms")->valuedouble ==
        3008.2);
    assert_true(
        cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rs, 2), "converged_after_ms")));
    cJSON_Delete(root);

    char err[256] = "";
    char *j1 = report_render_json(&r, "0.1.0");
    report_t back;
    if (report_parse_json(j1, strlen(j1), &back, err, sizeof(err)) != 0)
        fail_msg("parse: %s", err);
    assert_true(back.waited);
    assert_true(back.converged_after_ms < 0);
    assert_true(back.results[1].converged_after_ms == 3008.2);
    assert_true(back.results[2].converged_after_ms < 0);
    char *j2 = report_render_json(&back, "0.1.0");
    assert_string_equal(j1, j2);
    report_free(&back);
    free(j1);
    free(j2);

    /* Converged: the report-wide figure is a number. */
    sm.res[2].verdict = VERDICT_PASS;
    sm.res[2].converged_after_ms = 1000;
    r.converged_after_ms = 3008.2;
    j1 = report_render_json(&r, "0.1.0");
    if (report_parse_json(j1, strlen(j1), &back, err, sizeof(err)) != 0)
        fail_msg("parse: %s", err);
    assert_true(back.converged_after_ms == 3008.2);
    report_free(&back);
    free(j1);
    sample_free(&sm);
}

/* Renders r, replaces from by to, expects a rejection mentioning want. */
static void expect_reject(const report_t *r, const char *from, const char *to, const char *want)
{
    char err[256] = "";
    char *j = report_render_json(r, "0.1.0");
    char *at = strstr(j, from);
    if (!at)
        fail_msg("rendering lacks %s", from);
    size_t n = strlen(j) + strlen(to) + 1;
    char *m = malloc(n);
    assert_non_null(m);
    snprintf(m, n, "%.*s%s%s", (int)(at - j), j, to, at + strlen(from));
    report_t out;
    int rc = report_parse_json(m, strlen(m), &out, err, sizeof(err));
    if (rc != -1 || !strstr(err, want))
        fail_msg("%s -> %s: rc %d err \"%s\", want \"%s\"", from, to, rc, err, want);
    free(m);
    free(j);
}

static void test_json_rejects(void **state)
{
    (void)state;
    sample_t sm;
    sample(&sm);
    report_t r = sm.r;
    r.waited = true;
    sm.res[0].converged_after_ms = 0;
    sm.res[1].converged_after_ms = 2000;
    sm.res[2].converged_after_ms = 0;
    r.converged_after_ms = 2000;
    expect_reject(&r, "\"converged_after_ms\": 2000,\n  \"summary\"",
                  "\"converged_after_ms\": null,\n  \"summary\"",
                  "converged_after_ms: null although every result converged");
    expect_reject(&r, "\"converged_after_ms\": 2000,\n      \"addresses\"",
                  "\"converged_after_ms\": null,\n      \"addresses\"",
                  "converged_after_ms: a number although a result never converged");
    expect_reject(&r, "\"converged_after_ms\": 2000,\n  \"summary\"", "\"summary\"",
                  "results[0].converged_after_ms: present without the report's converged_after_ms");
    expect_reject(&r, "\"converged_after_ms\": 2000,\n      \"addresses\"", "\"addresses\"",
                  "results[1].converged_after_ms: missing");
    expect_reject(&r, "\"converged_after_ms\": 2000,\n  \"summary\"",
                  "\"converged_after_ms\": -1,\n  \"summary\"",
                  "converged_after_ms: must be a number >= 0 or null");
    expect_reject(&r, "\"converged_after_ms\": 2000,\n  \"summary\"",
                  "\"converged_after_ms\": \"2s\",\n  \"summary\"",
                  "converged_after_ms: must be a number >= 0 or null");
    sample_free(&sm);
}

static void test_text_line(void **state)
{
    (void)state;
    sample_t sm;
    sample(&sm);
    report_t r = sm.r;
    char *t = report_render_text(&r, false);
    assert_null(strstr(t, "converged"));
    free(t);
    r.waited = true;
    r.converged_after_ms = 3008.2;
    sm.res[1].converged_after_ms = 3008.2;
    t = report_render_text(&r, false);
    assert_non_null(strstr(t, "converged after 3.0 s (last: no-direct-db)\n"));
    free(t);
    /* Everything at once: no probe to name. */
    r.converged_after_ms = 0;
    sm.res[1].converged_after_ms = 0;
    t = report_render_text(&r, false);
    assert_non_null(strstr(t, "converged after 0.0 s\n"));
    free(t);
    r.converged_after_ms = -1;
    sm.res[1].verdict = VERDICT_FAIL;
    sm.res[1].converged_after_ms = -1;
    t = report_render_text(&r, false);
    assert_non_null(strstr(t, "not converged: 1 probe never passed while waiting (no-direct-db)\n"));
    free(t);
    sample_free(&sm);
}

/* --stable 3: a probe converges at its third consecutive pass, with the time of the first of
 * them; a failure in between restarts the streak. */
static void test_stable(void **state)
{
    (void)state;
    converge_t c;
    size_t idx[2];
    assert_int_equal(converge_init(&c, 2, 60000, 0), 0);
    converge_configure(&c, 3, 250);
    result_t round[2];
    memset(round, 0, sizeof(round));
    const verdict_t seq0[] = {VERDICT_PASS, VERDICT_FAIL, VERDICT_PASS, VERDICT_PASS, VERDICT_PASS};
    for (int r = 0; r < 5; r++) {
        size_t k = converge_pending(&c, idx);
        assert_int_equal(k, r < 3 ? 2 : 1); /* probe 1 passes from the start: stable at round 3 */
        for (size_t j = 0; j < k; j++)
            round[j].verdict = idx[j] == 0 ? seq0[r] : VERDICT_PASS;
        converge_record(&c, r * 250.0, idx, round, k);
    }
    assert_true(c.converged_ms[1] == 0);   /* rounds 0, 1, 2 passed: the first of them */
    assert_true(c.converged_ms[0] == 500); /* round 1 failed: rounds 2, 3, 4, from 500 ms */
    assert_int_equal(converge_pending(&c, idx), 0);
    converge_free(&c);
}

/* --every 250ms: rounds start 250 ms apart instead of a second. */
static void test_every(void **state)
{
    (void)state;
    converge_t c;
    assert_int_equal(converge_init(&c, 1, 10000, 0), 0);
    converge_configure(&c, 1, 250);
    result_t round[1];
    memset(round, 0, sizeof(round));
    round[0].verdict = VERDICT_FAIL;
    converge_record(&c, 0, NULL, round, 1);
    assert_true(converge_next_round(&c, 10, 100) == 250);
    converge_free(&c);
}

/* perf-tests' histogram: its name, buckets, +Inf, sum and count, allow and deny apart. */
static void test_perf_histogram(void **state)
{
    (void)state;
    sample_t sm;
    sample(&sm);
    sm.r.waited = true;
    sm.r.results[0].converged_after_ms = 0;
    sm.r.results[1].converged_after_ms = 2100;
    sm.r.results[2].converged_after_ms = 400;
    sm.r.converged_after_ms = 2100;
    char *text = report_render_prometheus(&sm.r, 1);
    assert_non_null(text);
    assert_non_null(strstr(text, "# TYPE policy_enforcement_latency_policy_creation_seconds histogram\n"));
    assert_non_null(strstr(text,
                           "policy_enforcement_latency_policy_creation_seconds_bucket{role=\"frontend\","
                           "expect=\"allow\",le=\"0.5\"} 2\n"));
    assert_non_null(strstr(text,
                           "policy_enforcement_latency_policy_creation_seconds_bucket{role=\"frontend\","
                           "expect=\"deny\",le=\"1\"} 0\n"));
    assert_non_null(strstr(text,
                           "policy_enforcement_latency_policy_creation_seconds_bucket{role=\"frontend\","
                           "expect=\"deny\",le=\"3\"} 1\n"));
    assert_non_null(strstr(text,
                           "policy_enforcement_latency_policy_creation_seconds_bucket{role=\"frontend\","
                           "expect=\"allow\",le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(text,
                           "policy_enforcement_latency_policy_creation_seconds_sum{role=\"frontend\","
                           "expect=\"deny\"} 2.1000\n"));
    assert_non_null(strstr(text,
                           "policy_enforcement_latency_policy_creation_seconds_count{role=\"frontend\","
                           "expect=\"allow\"} 2\n"));
    free(text);
    sm.r.waited = false; /* without --wait: no such family */
    text = report_render_prometheus(&sm.r, 1);
    assert_null(strstr(text, "policy_enforcement_latency"));
    free(text);
    sample_free(&sm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bookkeeping),
        cmocka_unit_test(test_never_converged),
        cmocka_unit_test(test_next_round),
        cmocka_unit_test(test_budget_and_usage),
        cmocka_unit_test(test_json_absent_without_wait),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_json_rejects),
        cmocka_unit_test(test_text_line),
        cmocka_unit_test(test_stable),
        cmocka_unit_test(test_every),
        cmocka_unit_test(test_perf_histogram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
