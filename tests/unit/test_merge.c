/* test_merge.c: the namespace-wide matrix: ok logic (failed, inconclusive, missing report,
 * absent probe, nothing at all), disagreement detection naming the pods, row labels, the
 * text layout and the JSON (parsed back with cJSON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "sample_report.h"
#include "verdict.h"

/* Reports built in place with the shared sample builder (tests/unit/sample_report.h): no
 * cleanup. Every result here is a tcp probe of 1.5 ms. */
static void rep_add(sample_t *t, const char *name, expect_t e, verdict_t v, outcome_t o)
{
    sample_add(t, name, KIND_TCP, e, v, o)->duration_ms = 1.5;
}

/* The lab's three roles, every probe passing. */
static merge_t *lab_all_pass(sample_t t[3])
{
    sample_init(&t[0], "frontend", "frontend-7d9f", NULL);
    rep_add(&t[0], "backend-health", EXPECT_ALLOW, VERDICT_PASS, OUTCOME_OK);
    rep_add(&t[0], "no-direct-db", EXPECT_DENY, VERDICT_PASS, OUTCOME_TIMEOUT);
    sample_init(&t[1], "backend", "backend-5c6b", NULL);
    rep_add(&t[1], "postgres", EXPECT_ALLOW, VERDICT_PASS, OUTCOME_OK);
    sample_init(&t[2], "postgres", "postgres-0", NULL);
    rep_add(&t[2], "no-egress", EXPECT_DENY, VERDICT_PASS, OUTCOME_UNREACHABLE);
    merge_t *m = merge_create();
    assert_non_null(m);
    for (int i = 0; i < 3; i++)
        assert_int_equal(merge_add(m, &t[i].r, "file.json"), 0);
    return m;
}

static void test_all_pass_is_ok(void **state)
{
    (void)state;
    sample_t t[3];
    merge_t *m = lab_all_pass(t);
    assert_true(merge_ok(m));
    assert_int_equal(merge_disagreements(m), 0);
    char *txt = merge_render_text(m);
    assert_non_null(txt);
    /* Header line per role names its pods; one line per probe with its cell. */
    assert_non_null(strstr(txt, "frontend          frontend-7d9f\n"));
    assert_non_null(strstr(txt, "  backend-health  pass ok\n"));
    assert_non_null(strstr(txt, "  no-direct-db    pass timeout\n"));
    assert_non_null(strstr(txt, "backend-5c6b"));
    assert_non_null(strstr(txt, "postgres-0"));
    assert_non_null(strstr(txt,
                           "3 reports (0 missing), 4 probe results: 4 passed, 0 failed, "
                           "0 inconclusive; 0 disagreements: OK\n"));
    assert_null(strstr(txt, "pods disagree"));
    assert_null(strstr(txt, "disagreements ("));
    free(txt);
    merge_destroy(m);
    sample_free_n(t, 3);
}

static void test_failed_or_inconclusive_not_ok(void **state)
{
    (void)state;
    sample_t t[3];
    merge_t *m = lab_all_pass(t);
    t[1].res[0].verdict = VERDICT_FAIL; /* the copy in m must not change */
    assert_true(merge_ok(m));
    merge_destroy(m);

    sample_init(&t[0], "frontend", "f-1", NULL);
    rep_add(&t[0], "cluster-dns", EXPECT_ALLOW, VERDICT_INCONCLUSIVE, OUTCOME_DNS_TIMEOUT);
    m = merge_create();
    assert_int_equal(merge_add(m, &t[0].r, "a.json"), 0);
    assert_false(merge_ok(m));
    assert_int_equal(merge_disagreements(m), 0);
    char *txt = merge_render_text(m);
    assert_non_null(strstr(txt, "  cluster-dns  inconcl. dns_timeout\n"));
    assert_non_null(strstr(txt, "1 inconclusive; 0 disagreements: NOT OK"));
    free(txt);
    merge_destroy(m);

    sample_init(&t[0], "backend", "b-1", NULL);
    rep_add(&t[0], "no-plain-http-out", EXPECT_DENY, VERDICT_FAIL, OUTCOME_OK);
    m = merge_create();
    assert_int_equal(merge_add(m, &t[0].r, "b.json"), 0);
    assert_false(merge_ok(m));
    txt = merge_render_text(m);
    assert_non_null(strstr(txt, "no-plain-http-out  FAIL ok"));
    free(txt);
    merge_destroy(m);
    sample_free_n(t, 3);
}

static void test_disagreement_names_pods(void **state)
{
    (void)state;
    sample_t a, b, c;
    sample_init(&a, "frontend", "frontend-a", NULL);
    rep_add(&a, "backend-health", EXPECT_ALLOW, VERDICT_PASS, OUTCOME_OK);
    rep_add(&a, "no-direct-db", EXPECT_DENY, VERDICT_PASS, OUTCOME_TIMEOUT);
    sample_init(&b, "frontend", "frontend-b", NULL);
    rep_add(&b, "backend-health", EXPECT_ALLOW, VERDICT_PASS, OUTCOME_OK);
    rep_add(&b, "no-direct-db", EXPECT_DENY, VERDICT_FAIL, OUTCOME_OK);
    sample_init(&c, "backend", "backend-a", NULL); /* another role: never compared with frontend */
    rep_add(&c, "no-direct-db", EXPECT_DENY, VERDICT_FAIL, OUTCOME_OK);
    merge_t *m = merge_create();
    assert_int_equal(merge_add(m, &a.r, "a"), 0);
    assert_int_equal(merge_add(m, &c.r, "c"), 0);
    assert_int_equal(merge_add(m, &b.r, "b"), 0);
    assert_int_equal(merge_disagreements(m), 1);
    assert_false(merge_ok(m));
    char *txt = merge_render_text(m);
    assert_non_null(txt);
    assert_non_null(strstr(txt, "frontend          frontend-a    frontend-b\n"));
    assert_non_null(strstr(txt, "  no-direct-db    pass timeout  FAIL ok     <- pods disagree\n"));
    assert_non_null(strstr(txt, "  frontend/no-direct-db: pass on frontend-a; fail on frontend-b\n"));
    assert_null(strstr(txt, "backend/no-direct-db:"));
    assert_non_null(strstr(txt, "; 1 disagreement: NOT OK"));
    free(txt);

    char *js = merge_render_json(m);
    assert_non_null(js);
    cJSON *root = cJSON_Parse(js);
    assert_non_null(root);
    cJSON *d = cJSON_GetObjectItem(root, "disagreements");
    assert_int_equal(cJSON_GetArraySize(d), 1);
    cJSON *d0 = cJSON_GetArrayItem(d, 0);
    assert_string_equal(cJSON_GetObjectItem(d0, "role")->valuestring, "frontend");
    assert_string_equal(cJSON_GetObjectItem(d0, "probe")->valuestring, "no-direct-db");
    cJSON *v = cJSON_GetObjectItem(d0, "verdicts");
    assert_int_equal(cJSON_GetArraySize(v), 2);
    assert_string_equal(cJSON_GetObjectItem(v, "frontend-a")->valuestring, "pass");
    assert_string_equal(cJSON_GetObjectItem(v, "frontend-b")->valuestring, "fail");
    cJSON_Delete(root);
    free(js);
    merge_destroy(m);
    sample_free(&a);
    sample_free(&b);
    sample_free(&c);
}

static void test_absent_probe_disagrees(void **state)
{
    (void)state;
    sample_t a, b;
    sample_init(&a, "frontend", "f-1", NULL);
    rep_add(&a, "backend-health", EXPECT_ALLOW, VERDICT_PASS, OUTCOME_OK);
    rep_add(&a, "new-probe", EXPECT_ALLOW, VERDICT_PASS, OUTCOME_OK);
    sample_init(&b, "frontend", "f-2", NULL);
    rep_add(&b, "backend-health", EXPECT_ALLOW, VERDICT_PASS, OUTCOME_OK);
    merge_t *m = merge_create();
    assert_int_equal(merge_add(m, &a.r, "a"), 0);
    assert_int_equal(merge_add(m, &b.r, "b"), 0);
    assert_int_equal(merge_disagreements(m), 1);
    assert_false(merge_ok(m)); /* every result passed, but f-2 never ran new-probe */
    char *txt = merge_render_text(m);
    assert_non_null(strstr(txt, "  new-probe       pass ok  -        <- pods disagree\n"));
    assert_non_null(strstr(txt, "frontend/new-probe: missing on f-2; pass on f-1\n"));
    free(txt);
    char *js = merge_render_json(m);
    cJSON *root = cJSON_Parse(js);
    cJSON *v = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "disagreements"), 0),
                                   "verdicts");
    assert_string_equal(cJSON_GetObjectItem(v, "f-2")->valuestring, "missing");
    /* The matrix lists results only: 3, not 4. */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "matrix")), 3);
    cJSON_Delete(root);
    free(js);
    merge_destroy(m);
    sample_free(&a);
    sample_free(&b);
}

static void test_missing_report_not_ok(void **state)
{
    (void)state;
    sample_t t[3];
    merge_t *m = lab_all_pass(t);
    assert_int_equal(merge_add_missing(m, "backend-2.json", "not valid JSON (near byte 3)"), 0);
    assert_false(merge_ok(m));
    char *txt = merge_render_text(m);
    assert_non_null(strstr(txt, "missing reports:\n  backend-2.json: not valid JSON (near byte 3)\n"));
    assert_non_null(strstr(txt, "4 reports (1 missing)"));
    free(txt);
    char *js = merge_render_json(m);
    cJSON *root = cJSON_Parse(js);
    cJSON *mi = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "missing"), 0);
    assert_string_equal(cJSON_GetObjectItem(mi, "source")->valuestring, "backend-2.json");
    cJSON *s = cJSON_GetObjectItem(root, "summary");
    assert_int_equal(cJSON_GetObjectItem(s, "missing_reports")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(s, "reports")->valueint, 4);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(s, "ok")));
    cJSON_Delete(root);
    free(js);
    merge_destroy(m);

    m = merge_create(); /* nothing at all proves nothing */
    assert_false(merge_ok(m));
    txt = merge_render_text(m);
    assert_non_null(txt);
    assert_non_null(strstr(txt, "0 reports (0 missing)"));
    assert_non_null(strstr(txt, "NOT OK"));
    free(txt);
    merge_destroy(m);
    merge_destroy(NULL);
    sample_free_n(t, 3);
}

static void test_row_labels(void **state)
{
    (void)state;
    sample_t a, b;
    sample_init(&a, "frontend", "", NULL); /* no pod name: the source labels the row */
    rep_add(&a, "p", EXPECT_ALLOW, VERDICT_PASS, OUTCOME_OK);
    sample_init(&b, "frontend", "", NULL);
    rep_add(&b, "p", EXPECT_ALLOW, VERDICT_PASS, OUTCOME_OK);
    merge_t *m = merge_create();
    assert_int_equal(merge_add(m, &a.r, "reports/f.json"), 0);
    assert_int_equal(merge_add(m, &b.r, "reports/f.json"), 0); /* the same file twice */
    assert_true(merge_ok(m));
    char *txt = merge_render_text(m);
    assert_non_null(strstr(txt, "frontend  reports/f.json  reports/f.json#2\n"));
    free(txt);
    merge_destroy(m);

    /* Control bytes from a hand-edited report never reach the terminal. */
    sample_init(&a, "evil\033[2Jrole", "pod\n1", NULL);
    rep_add(&a, "p\rq", EXPECT_ALLOW, VERDICT_PASS, OUTCOME_OK);
    sample_diag(&a, "dns_blocked", "");
    m = merge_create();
    assert_int_equal(merge_add(m, &a.r, "x"), 0);
    txt = merge_render_text(m);
    assert_null(strchr(txt, '\033'));
    assert_null(strchr(txt, '\r'));
    assert_non_null(strstr(txt, "evil?[2Jrole  pod?1\n"));
    assert_non_null(strstr(txt, "  ! pod?1: dns_blocked\n"));
    free(txt);
    /* In JSON the same bytes are escaped and come back intact. */
    char *js = merge_render_json(m);
    cJSON *root = cJSON_Parse(js);
    assert_non_null(root);
    cJSON *e0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "matrix"), 0);
    assert_string_equal(cJSON_GetObjectItem(e0, "role")->valuestring, "evil\033[2Jrole");
    assert_string_equal(cJSON_GetObjectItem(e0, "pod")->valuestring, "pod\n1");
    assert_string_equal(cJSON_GetObjectItem(e0, "probe")->valuestring, "p\rq");
    cJSON_Delete(root);
    free(js);
    merge_destroy(m);
    sample_free(&a);
    sample_free(&b);
}

/* True when s is valid UTF-8. */
static int valid_utf8(const unsigned char *s)
{
    while (*s) {
        size_t n = *s < 0x80      ? 1
            : (*s & 0xe0) == 0xc0 ? 2
            : (*s & 0xf0) == 0xe0 ? 3
            : (*s & 0xf8) == 0xf0 ? 4
                                  : 0;
        if (n == 0 || (n == 2 && *s < 0xc2))
            return 0;
        for (size_t i = 1; i < n; i++)
            if ((s[i] & 0xc0) != 0x80)
                return 0;
        s += n;
    }
    return 1;
}

static void test_json_shape(void **state)
{
    (void)state;
    sample_t t[3];
    merge_t *m = lab_all_pass(t);
    merge_destroy(m);
    snprintf(t[2].r.pod_name, sizeof(t[2].r.pod_name), "pg-\xff\xfe-0"); /* not UTF-8 */
    sample_diag(&t[2], "policy_not_enforced", "");
    m = merge_create();
    for (int i = 0; i < 3; i++)
        assert_int_equal(merge_add(m, &t[i].r, "f"), 0);
    char *js = merge_render_json(m);
    assert_non_null(js);
    assert_true(valid_utf8((const unsigned char *)js));
    cJSON *root = cJSON_Parse(js);
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItem(root, "schema")->valuestring, "ztprobe/merge/v1");
    cJSON *reports = cJSON_GetObjectItem(root, "reports");
    assert_int_equal(cJSON_GetArraySize(reports), 3);
    cJSON *r2 = cJSON_GetArrayItem(reports, 2);
    assert_string_equal(cJSON_GetObjectItem(r2, "role")->valuestring, "postgres");
    assert_string_equal(cJSON_GetObjectItem(r2, "pod")->valuestring, "pg-\xef\xbf\xbd\xef\xbf\xbd-0");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(r2, "diagnoses"), 0)->valuestring,
                        "policy_not_enforced");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r2, "summary"), "total")->valueint, 1);
    cJSON *mx = cJSON_GetObjectItem(root, "matrix");
    assert_int_equal(cJSON_GetArraySize(mx), 4);
    cJSON *e1 = cJSON_GetArrayItem(mx, 1);
    assert_string_equal(cJSON_GetObjectItem(e1, "role")->valuestring, "frontend");
    assert_string_equal(cJSON_GetObjectItem(e1, "pod")->valuestring, "frontend-7d9f");
    assert_string_equal(cJSON_GetObjectItem(e1, "probe")->valuestring, "no-direct-db");
    assert_string_equal(cJSON_GetObjectItem(e1, "kind")->valuestring, "tcp");
    assert_string_equal(cJSON_GetObjectItem(e1, "expect")->valuestring, "deny");
    assert_string_equal(cJSON_GetObjectItem(e1, "verdict")->valuestring, "pass");
    assert_string_equal(cJSON_GetObjectItem(e1, "outcome")->valuestring, "timeout");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "disagreements")), 0);
    cJSON *s = cJSON_GetObjectItem(root, "summary");
    assert_int_equal(cJSON_GetObjectItem(s, "total")->valueint, 4);
    assert_int_equal(cJSON_GetObjectItem(s, "passed")->valueint, 4);
    assert_int_equal(cJSON_GetObjectItem(s, "failed")->valueint, 0);
    assert_int_equal(cJSON_GetObjectItem(s, "inconclusive")->valueint, 0);
    assert_int_equal(cJSON_GetObjectItem(s, "disagreements")->valueint, 0);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(s, "ok")));
    cJSON_Delete(root);
    free(js);
    merge_destroy(m);
    sample_free_n(t, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_pass_is_ok),
        cmocka_unit_test(test_failed_or_inconclusive_not_ok),
        cmocka_unit_test(test_disagreement_names_pods),
        cmocka_unit_test(test_absent_probe_disagrees),
        cmocka_unit_test(test_missing_report_not_ok),
        cmocka_unit_test(test_row_labels),
        cmocka_unit_test(test_json_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
