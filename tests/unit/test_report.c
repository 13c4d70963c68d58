/* test_report.c: JSON rendering (checked by parsing it back with cJSON), the round trip
 * through report_parse_json and the parser's rejections (the text table: test_report_text.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sample_report.h"
#include "verdict.h"

/* The Makefile links no libm: a local absolute difference. */
static double absdiff(double a, double b)
{
    return a > b ? a - b : b - a;
}

static const cJSON *get(const cJSON *o, const char *k)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    if (it == NULL)
        fail_msg("missing key %s", k);
    return it;
}

static void assert_num(const cJSON *o, const char *k, double want)
{
    const cJSON *it = get(o, k);
    assert_true(cJSON_IsNumber(it));
    if (absdiff(it->valuedouble, want) > 1e-9)
        fail_msg("%s: got %.17g want %.17g", k, it->valuedouble, want);
}

static void assert_str(const cJSON *o, const char *k, const char *want)
{
    const cJSON *it = get(o, k);
    assert_true(cJSON_IsString(it));
    assert_string_equal(it->valuestring, want);
}

static void test_summary(void **state)
{
    (void)state;
    sample_t sm;
    sample_report(&sm);
    report_t r = sm.r;
    summary_t s = report_summary(&r);
    assert_int_equal(s.total, 3);
    assert_int_equal(s.passed, 1);
    assert_int_equal(s.failed, 1);
    assert_int_equal(s.inconclusive, 1);
    assert_false(s.ok);
    r.n_results = 1;
    s = report_summary(&r);
    assert_true(s.ok);
    assert_int_equal(s.total, 1);
    sample_free(&sm);
}

static void test_render_json_fields(void **state)
{
    (void)state;
    sample_t sm;
    sample_report(&sm);
    report_t r = sm.r;
    sm.res[2].duration_ms = 0.05; /* a tiny duration rounds up to 0.1, not down to 0 */
    char *j = report_render_json(&r, "0.1.0");
    assert_non_null(j);
    size_t n = strlen(j);
    assert_true(n > 2 && j[n - 1] == '\n');
    assert_null(strchr(j, '\t')); /* two-space indentation, no tabs */
    assert_non_null(strstr(j, "\n  \"schema\": \"ztprobe/report/v1\",\n"));

    cJSON *root = cJSON_Parse(j);
    assert_non_null(root);
    assert_str(root, "schema", "ztprobe/report/v1");
    assert_str(root, "agent_version", "0.1.0");
    assert_str(root, "role", "backend");
    const cJSON *pod = get(root, "pod");
    assert_str(pod, "name", "backend-7d9f");
    assert_str(pod, "namespace", "govtech");
    assert_str(root, "started_at", "2026-11-26T05:00:00.123Z");
    assert_num(root, "duration_ms", 1012.4);

    const cJSON *s = get(root, "summary");
    assert_num(s, "total", 3);
    assert_num(s, "passed", 1);
    assert_num(s, "failed", 1);
    assert_num(s, "inconclusive", 1);
    assert_true(cJSON_IsFalse(get(s, "ok")));

    const cJSON *d = get(root, "diagnoses");
    assert_int_equal(cJSON_GetArraySize(d), 1);
    assert_str(cJSON_GetArrayItem(d, 0), "code", "dns_blocked");
    assert_str(cJSON_GetArrayItem(d, 0), "message", "allow UDP and TCP 53 to kube-dns");

    const cJSON *rs = get(root, "results");
    assert_int_equal(cJSON_GetArraySize(rs), 3);
    const cJSON *a = cJSON_GetArrayItem(rs, 0);
    assert_str(a, "name", "postgres");
    assert_str(a, "kind", "postgres");
    assert_str(a, "target", "postgres-service:5432");
    assert_str(a, "expect", "allow");
    assert_str(a, "verdict", "pass");
    assert_str(a, "outcome", "ok");
    assert_str(a, "detail", "PostgreSQL 15.20 on x86_64-pc-linux-gnu");
    assert_true(cJSON_IsNull(get(a, "hint")));
    assert_num(a, "attempts", 1);
    assert_num(a, "duration_ms", 8.1);
    const cJSON *ad = get(a, "addresses");
    assert_int_equal(cJSON_GetArraySize(ad), 2);
    assert_string_equal(cJSON_GetArrayItem(ad, 1)->valuestring, "fd00::7");
    const cJSON *t = get(a, "timings_ms");
    assert_num(t, "dns", 0.9);
    assert_num(t, "connect", 0.4);
    assert_true(cJSON_IsNull(get(t, "tls")));
    assert_num(t, "first_byte", 6.3);

    const cJSON *b = cJSON_GetArrayItem(rs, 1);
    assert_str(b, "kind", "http");
    assert_str(b, "expect", "deny");
    assert_str(b, "verdict", "fail");
    assert_str(b, "outcome", "http_status");
    assert_str(b, "detail", "HTTP 301 \"moved\" ]]> 'q'\ttab\\"); /* escapes survive */
    assert_str(b, "hint", "The path is open: check the policy & labels.");
    assert_num(b, "attempts", 3);
    assert_num(b, "duration_ms", 30);

    const cJSON *c = cJSON_GetArrayItem(rs, 2);
    assert_str(c, "kind", "dns");
    assert_str(c, "verdict", "inconclusive");
    assert_true(cJSON_IsNull(get(c, "detail")));
    assert_int_equal(cJSON_GetArraySize(get(c, "addresses")), 0);
    assert_true(cJSON_IsArray(get(c, "addresses")));
    assert_num(c, "duration_ms", 0.1);
    const cJSON *ct = get(c, "timings_ms");
    assert_true(cJSON_IsNull(get(ct, "dns")));
    assert_true(cJSON_IsNull(get(ct, "connect")));
    assert_true(cJSON_IsNull(get(ct, "first_byte")));
    cJSON_Delete(root);
    free(j);
    sample_free(&sm);
}

static void test_render_edge_values(void **state)
{
    (void)state;
    report_t r;
    memset(&r, 0, sizeof(r));
    snprintf(r.role, sizeof(r.role), "empty");
    r.started_at = 0.9996; /* rounds up into the next second */
    r.duration_ms = 0.04;
    char *j = report_render_json(&r, NULL);
    assert_non_null(j);
    cJSON *root = cJSON_Parse(j);
    assert_non_null(root);
    assert_true(cJSON_IsNull(get(root, "agent_version")));
    assert_true(cJSON_IsNull(get(get(root, "pod"), "name")));
    assert_true(cJSON_IsNull(get(get(root, "pod"), "namespace")));
    assert_str(root, "started_at", "1970-01-01T00:00:01.000Z");
    assert_num(root, "duration_ms", 0);
    assert_int_equal(cJSON_GetArraySize(get(root, "results")), 0);
    assert_int_equal(cJSON_GetArraySize(get(root, "diagnoses")), 0);
    assert_true(cJSON_IsTrue(get(get(root, "summary"), "ok")));
    cJSON_Delete(root);
    free(j);

    /* Bytes a hostile server may put in a detail: invalid UTF-8 and control bytes. */
    sample_t sm;
    sample_report(&sm);
    r = sm.r;
    result_printf(&sm.res[0], RESULT_DETAIL, "bad\xff\xc3(\x1b[31m\x01 ok \xc3\xa9");
    j = report_render_json(&r, "0.1.0");
    assert_non_null(j);
    assert_null(strchr(j, '\x1b'));
    root = cJSON_Parse(j);
    assert_non_null(root);
    const cJSON *a = cJSON_GetArrayItem(get(root, "results"), 0);
    assert_str(a, "detail", "bad\xef\xbf\xbd\xef\xbf\xbd(\x1b[31m\x01 ok \xc3\xa9");
    cJSON_Delete(root);
    free(j);
    sample_free(&sm);
}

static void test_round_trip(void **state)
{
    (void)state;
    sample_t sm;
    sample_report(&sm);
    report_t r = sm.r;
    char err[256];
    char *j1 = report_render_json(&r, "0.1.0");
    assert_non_null(j1);
    report_t back;
    if (report_parse_json(j1, strlen(j1), &back, err, sizeof(err)) != 0)
        fail_msg("parse: %s", err);
    assert_string_equal(back.role, "backend");
    assert_string_equal(back.pod_name, "backend-7d9f");
    assert_string_equal(back.pod_namespace, "govtech");
    assert_true(absdiff(back.started_at, 1795669200.123) < 1e-6);
    assert_int_equal(back.n_results, 3);
    assert_int_equal(back.n_diags, 1);
    assert_int_equal(back.results[1].verdict, VERDICT_FAIL);
    assert_int_equal(back.results[1].outcome, OUTCOME_HTTP_STATUS);
    assert_int_equal(back.results[1].kind, KIND_HTTP);
    assert_int_equal(back.results[1].expect, EXPECT_DENY);
    assert_int_equal(back.results[1].attempts, 3);
    assert_int_equal(back.results[0].n_addrs, 2);
    assert_true(back.results[0].tls_ms < 0);
    assert_true(absdiff(back.results[0].dns_ms, 0.9) < 1e-9);
    assert_string_equal(result_text(&back.results[2], RESULT_DETAIL), "");
    assert_string_equal(result_text(&back.results[1], RESULT_HINT),
                        "The path is open: check the policy & labels.");

    char *j2 = report_render_json(&back, "0.1.0");
    assert_non_null(j2);
    assert_string_equal(j1, j2);
    report_free(&back);
    assert_null(back.results);
    report_free(&back); /* twice is harmless */
    report_free(NULL);
    free(j1);
    free(j2);
    sample_free(&sm);
}

/* Renders the sample, applies one textual replacement, and expects a rejection whose reason
 * contains want. */
static void expect_reject(const char *from, const char *to, const char *want)
{
    sample_t sm;
    sample_report(&sm);
    report_t r = sm.r, out;
    char err[256] = "";
    char *j = report_render_json(&r, "0.1.0");
    assert_non_null(j);
    char *at = strstr(j, from);
    if (at == NULL)
        fail_msg("sample lacks %s", from);
    size_t n = strlen(j) + strlen(to) + 1;
    char *m = malloc(n);
    assert_non_null(m);
    snprintf(m, n, "%.*s%s%s", (int)(at - j), j, to, at + strlen(from));
    int rc = report_parse_json(m, strlen(m), &out, err, sizeof(err));
    if (rc != -1 || strstr(err, want) == NULL)
        fail_msg("replacing %s by %s: rc %d err \"%s\" (want \"%s\")", from, to, rc, err, want);
    assert_null(out.results);
    assert_int_equal(out.n_results, 0);
    free(m);
    free(j);
    sample_free(&sm);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    expect_reject("ztprobe/report/v1", "ztprobe/report/v2", "schema");
    expect_reject("\"schema\": \"ztprobe/report/v1\"", "\"schema\": 1", "schema");
    expect_reject("\"schema\": \"ztprobe/report/v1\",", "", "schema: missing");
    expect_reject("\"verdict\": \"fail\"", "\"verdict\": 1", "results[1].verdict");
    expect_reject("\"verdict\": \"fail\"", "\"verdict\": \"FAIL\"", "results[1].verdict");
    expect_reject("\"outcome\": \"http_status\"", "\"outcome\": \"boom\"", "results[1].outcome");
    expect_reject("\"kind\": \"http\"", "\"kind\": \"ftp\"", "results[1].kind");
    expect_reject("\"expect\": \"deny\"", "\"expect\": null", "results[1].expect");
    expect_reject("\"attempts\": 3", "\"attempts\": \"3\"", "results[1].attempts");
    expect_reject("\"attempts\": 3", "\"attempts\": 1.5", "results[1].attempts");
    expect_reject("\"attempts\": 3", "\"attempts\": -1", "results[1].attempts");
    expect_reject("\"duration_ms\": 30", "\"duration_ms\": -30", "results[1].duration_ms");
    expect_reject("\"duration_ms\": 30", "\"duration_ms\": 1e999", "results[1].duration_ms");
    expect_reject("\"addresses\": [\"10.96.12.7\"", "\"addresses\": [7", "results[0].addresses");
    expect_reject("\"addresses\": [\"10.96.12.7\", \"fd00::7\"]", "\"addresses\": {}",
                  "results[0].addresses");
    expect_reject("\"dns\": 0.9", "\"dns\": \"0.9\"", "results[0].timings_ms.dns");
    expect_reject("\"timings_ms\": {", "\"timings_ms\": 1, \"x\": {", "results[0].timings_ms");
    expect_reject("\"pod\": {", "\"pod\": 1, \"x\": {", "pod");
    expect_reject("\"namespace\": \"govtech\"", "\"namespace\": 5", "pod.namespace");
    expect_reject("\"role\": \"backend\"", "\"role\": null", "role");
    expect_reject("2026-11-26T05:00:00.123Z", "2026-11-26 05:00:00", "started_at");
    expect_reject("2026-11-26T05:00:00.123Z", "2026-13-26T05:00:00.123Z", "started_at");
    expect_reject("2026-11-26T05:00:00.123Z", "2026-11-26T05:00:00.Z", "started_at");
    expect_reject("\"total\": 3", "\"total\": 4", "summary");
    expect_reject("\"ok\": false", "\"ok\": true", "summary");
    expect_reject("\"ok\": false", "\"ok\": 0", "summary.ok");
    expect_reject("\"code\": \"dns_blocked\"", "\"code\": []", "diagnoses[0].code");
    expect_reject("\"results\": [", "\"results\": {\"a\": 1}, \"r\": [", "results");
    expect_reject("\n}\n", "\n} x", "trailing");
    expect_reject("\"name\": \"postgres\"", "\"name\": \"postgres", "JSON");

    report_t out;
    char err[128];
    assert_int_equal(report_parse_json("[]", 2, &out, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "object"));
    assert_int_equal(report_parse_json("", 0, &out, err, sizeof(err)), -1);
    assert_int_equal(report_parse_json(NULL, 5, &out, err, sizeof(err)), -1);
    assert_int_equal(report_parse_json("{}", 2, &out, NULL, 0), -1);
}

static void test_parse_limits(void **state)
{
    (void)state;
    /* A name longer than the field is an error; a long detail is cut at a UTF-8 boundary. */
    char longname[300], longdetail[600];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    char to[400];
    snprintf(to, sizeof(to), "\"name\": \"%s\"", longname);
    expect_reject("\"name\": \"postgres\"", to, "results[0].name: longer than 127 bytes");

    sample_t sm;
    sample_report(&sm);
    report_t r = sm.r, out;
    char err[256];
    char *j = report_render_json(&r, "0.1.0");
    const char *from = "\"detail\": \"PostgreSQL 15.20 on x86_64-pc-linux-gnu\"";
    char *at = strstr(j, from);
    assert_non_null(at);
    for (size_t i = 0; i + 2 < sizeof(longdetail); i += 2)
        memcpy(longdetail + i, "\xc3\xa9", 2); /* é, two bytes */
    longdetail[sizeof(longdetail) - 2] = '\0';
    size_t n = strlen(j) + sizeof(longdetail) + 32;
    char *m = malloc(n);
    assert_non_null(m);
    snprintf(m, n, "%.*s\"detail\": \"%s\"%s", (int)(at - j), j, longdetail, at + strlen(from));
    assert_int_equal(report_parse_json(m, strlen(m), &out, err, sizeof(err)), 0);
    size_t dl = strlen(result_text(&out.results[0], RESULT_DETAIL));
    assert_true(dl <= RESULT_DETAIL_LEN - 1 && dl >= RESULT_DETAIL_LEN - 2);
    assert_int_equal(dl % 2, 0); /* no half character */
    report_free(&out);
    free(m);

    /* 17 addresses is one too many. */
    char addrs[1024] = "\"addresses\": [";
    for (int i = 0; i < RESULT_MAX_ADDRS + 1; i++)
        snprintf(addrs + strlen(addrs), sizeof(addrs) - strlen(addrs), "%s\"10.0.0.%d\"", i ? ", " : "", i);
    snprintf(addrs + strlen(addrs), sizeof(addrs) - strlen(addrs), "]");
    expect_reject("\"addresses\": [\"10.96.12.7\", \"fd00::7\"]", addrs, "more than 16");
    free(j);
    sample_free(&sm);
}

/* Every truncation of a valid report, and every single-byte corruption, is rejected or parsed
 * without a crash (ASan and valgrind watch this). */
static void test_parse_truncated_and_mangled(void **state)
{
    (void)state;
    sample_t sm;
    sample_report(&sm);
    report_t r = sm.r, out;
    char err[256];
    char *j = report_render_json(&r, "0.1.0");
    size_t n = strlen(j);
    for (size_t cut = 0; cut + 1 < n; cut++) {
        char *m = malloc(cut ? cut : 1); /* exact size: ASan sees a read past len */
        assert_non_null(m);
        memcpy(m, j, cut);
        if (cut > 0 && report_parse_json(m, cut, &out, err, sizeof(err)) != -1)
            fail_msg("truncated at %zu accepted", cut);
        free(m);
    }
    const char junk[] = {'"', '{', '}', '[', ']', ',', ':', '\\', '0', 'x', '\0', -1};
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof(junk); k++) {
            char *m = malloc(n);
            assert_non_null(m);
            memcpy(m, j, n);
            m[i] = junk[k];
            if (report_parse_json(m, n, &out, err, sizeof(err)) == 0)
                report_free(&out);
            free(m);
        }
    }
    free(j);
    sample_free(&sm);
}

/* The shared sample with what only some runs carry: a family: all probe (its addresses as
 * objects, each with its own outcome), run --wait's converged_after_ms (read back the same),
 * and run --policies' policy field (rendered, not read back: merge does not need it). */
static void test_family_wait_policies(void **state)
{
    (void)state;
    sample_t sm;
    sample_report(&sm);
    sample_family(&sm);
    sample_waited(&sm);
    report_t r = sm.r;
    char err[256];
    char *j1 = report_render_json(&r, "0.1.0");
    assert_non_null(j1);
    cJSON *root = cJSON_Parse(j1);
    assert_non_null(root);
    assert_true(cJSON_IsNull(get(root, "converged_after_ms"))); /* not every probe passed */
    const cJSON *rs = get(root, "results");
    assert_int_equal(cJSON_GetArraySize(rs), 4);
    assert_num(cJSON_GetArrayItem(rs, 0), "converged_after_ms", 0);
    assert_true(cJSON_IsNull(get(cJSON_GetArrayItem(rs, 1), "converged_after_ms")));
    const cJSON *f = cJSON_GetArrayItem(rs, 3);
    assert_str(f, "outcome", "timeout");
    const cJSON *ad = get(f, "addresses");
    assert_int_equal(cJSON_GetArraySize(ad), 2);
    assert_str(cJSON_GetArrayItem(ad, 0), "address", "203.0.113.9");
    assert_str(cJSON_GetArrayItem(ad, 0), "outcome", "timeout");
    assert_num(cJSON_GetArrayItem(ad, 0), "duration_ms", 1000.5);
    assert_str(cJSON_GetArrayItem(ad, 1), "address", "2001:db8::9");
    assert_str(cJSON_GetArrayItem(ad, 1), "outcome", "ok");
    assert_null(cJSON_GetObjectItemCaseSensitive(f, "policy")); /* no --policies */
    cJSON_Delete(root);

    report_t back;
    if (report_parse_json(j1, strlen(j1), &back, err, sizeof(err)) != 0)
        fail_msg("parse: %s", err);
    assert_true(back.waited);
    assert_int_equal(back.results[3].n_addr_results, 2);
    assert_int_equal(back.results[3].addr_results[1].outcome, OUTCOME_OK);
    char *j2 = report_render_json(&back, "0.1.0");
    assert_non_null(j2);
    assert_string_equal(j1, j2);
    report_free(&back);
    free(j2);
    free(j1);

    sample_policies(&sm);
    r = sm.r;
    j1 = report_render_json(&r, "0.1.0");
    assert_non_null(j1);
    root = cJSON_Parse(j1);
    assert_non_null(root);
    rs = get(root, "results");
    const cJSON *p = get(cJSON_GetArrayItem(rs, 0), "policy");
    assert_str(p, "intended", "allow");
    const cJSON *by = cJSON_GetArrayItem(get(p, "by"), 0);
    assert_non_null(by);
    assert_str(by, "policy", "govtech/backend-egress");
    assert_str(by, "direction", "egress");
    assert_num(by, "rule", 0);
    assert_true(cJSON_IsNull(get(p, "reason")));
    p = get(cJSON_GetArrayItem(rs, 1), "policy");
    assert_str(p, "intended", "deny");
    assert_int_equal(cJSON_GetArraySize(get(p, "by")), 0);
    assert_str(p, "reason", "no egress rule allows it");
    assert_str(get(cJSON_GetArrayItem(rs, 2), "policy"), "intended", "unknown");
    cJSON_Delete(root);
    free(j1);
    sample_free(&sm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_render_json_fields),
        cmocka_unit_test(test_render_edge_values),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_parse_truncated_and_mangled),
        cmocka_unit_test(test_family_wait_policies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
