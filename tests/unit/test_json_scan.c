/* test_json_scan.c: the allocation-free JSON walker (agent/util/json_scan.c) and what merge's
 * report parser builds on it (issue 11, item 10): unknown top-level members skipped without a
 * tree, pieces and result counts capped, syntax errors still found. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "report.h"

static int scan(const char *s, size_t *pos)
{
    *pos = 0;
    return json_scan_value(s, strlen(s), pos);
}

static void test_scan(void **state)
{
    (void)state;
    size_t pos;
    static const char *const good[] = {
        "0",
        "-1.5e3",
        "true",
        "false",
        "null",
        "\"\"",
        "\"a\\\"b\\\\c\\u00e9\\n\"",
        "[]",
        "{}",
        " [1, [2, {\"a\": [true, null]}], \"x\"] ",
        "{\"a\":{\"b\":{\"c\":[]}}}",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (scan(good[i], &pos) != 0)
            fail_msg("rejected %s at %zu", good[i], pos);
    assert_int_equal(scan("[1,2] x", &pos), 0);
    assert_int_equal(pos, 5); /* stops after the value */
    static const char *const bad[] = {
        "",         "[",           "[1,", "[1 2]",    "{\"a\" 1}", "{a:1}",     "\"abc",
        "\"a\\x\"", "\"\\u12g4\"", "tru", "{\"a\":}", "[,1]",      "\"a\x01\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (scan(bad[i], &pos) == 0)
            fail_msg("accepted %s", bad[i]);
    /* Nesting deeper than JSON_SCAN_MAX_DEPTH is refused, not a stack overflow. */
    char deep[2 * (JSON_SCAN_MAX_DEPTH + 8) + 1];
    size_t n = JSON_SCAN_MAX_DEPTH + 8;
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    assert_int_equal(scan(deep, &pos), -1);
}

static const char *result_json(void)
{
    return "{\"name\":\"p%zu\",\"kind\":\"tcp\",\"target\":\"a:1\",\"expect\":\"deny\","
           "\"verdict\":\"pass\",\"outcome\":\"timeout\",\"detail\":null,\"hint\":null,"
           "\"attempts\":1,\"duration_ms\":1,\"addresses\":[],\"timings_ms\":{\"dns\":null,"
           "\"connect\":null,\"tls\":null,\"first_byte\":null}}";
}

/* A report with n results and extra top-level text appended. */
static char *report_doc(size_t n, const char *extra)
{
    size_t cap = 512 + n * 300 + strlen(extra);
    char *s = malloc(cap);
    assert_non_null(s);
    int w = snprintf(s, cap,
                     "{\"schema\":\"ztprobe/report/v1\",\"agent_version\":\"0.1.0\",\"role\":\"r\","
                     "\"pod\":{\"name\":\"p\",\"namespace\":\"n\"},\"started_at\":"
                     "\"2026-11-26T05:00:00.123Z\",\"duration_ms\":1,\"summary\":{\"total\":%zu,"
                     "\"passed\":%zu,\"failed\":0,\"inconclusive\":0,\"ok\":true},\"diagnoses\":[]%s,"
                     "\"results\":[",
                     n, n, extra);
    size_t len = (size_t)w;
    for (size_t i = 0; i < n; i++) {
        if (i)
            s[len++] = ',';
        len += (size_t)snprintf(s + len, cap - len, result_json(), i);
    }
    snprintf(s + len, cap - len, "]}");
    return s;
}

static int parse(const char *doc, report_t *r, char *err, size_t errlen)
{
    return report_parse_json(doc, strlen(doc), r, err, errlen);
}

static void test_report_limits(void **state)
{
    (void)state;
    report_t r;
    char err[256];
    /* Unknown members (a newer agent's) are skipped, whatever their size. */
    char *doc = report_doc(2, ",\"future\":{\"x\":[1,2,3,{\"y\":null}]},\"z\":\"w\"");
    assert_int_equal(parse(doc, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n_results, 2);
    assert_string_equal(r.results[1].name, "p1");
    report_free(&r);
    free(doc);
    /* ... but their syntax is still checked. */
    doc = report_doc(1, ",\"future\":[1,]");
    assert_int_equal(parse(doc, &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not valid JSON (near byte"));
    free(doc);
    /* At most REPORT_MAX_RESULTS results, counted before anything is allocated. */
    doc = report_doc(REPORT_MAX_RESULTS + 1, "");
    assert_int_equal(parse(doc, &r, err, sizeof(err)), -1);
    assert_string_equal(err, "results: 10001 entries, more than 10000");
    free(doc);
    doc = report_doc(REPORT_MAX_RESULTS, "");
    assert_int_equal(parse(doc, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n_results, REPORT_MAX_RESULTS);
    report_free(&r);
    free(doc);
    /* A piece larger than REPORT_PIECE_MAX is refused before cJSON sees it. */
    size_t pad = REPORT_PIECE_MAX;
    char *big = malloc(pad + 64);
    assert_non_null(big);
    int w = snprintf(big, pad + 64, ",\"diagnoses\":[{\"code\":\"x\",\"message\":\"");
    memset(big + w, 'm', pad);
    snprintf(big + (size_t)w + pad, 64, "\"}]");
    doc = report_doc(1, big);
    /* The first "diagnoses" ([]) wins in cJSON too, so put the big one under a known key. */
    char *at = strstr(doc, "\"diagnoses\":[],");
    assert_non_null(at);
    memcpy(at, "\"diagnoseX\":[],", 15);
    assert_int_equal(parse(doc, &r, err, sizeof(err)), -1);
    assert_string_equal(err, "diagnoses: larger than 65536 bytes");
    free(doc);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_report_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
