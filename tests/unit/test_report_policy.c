/* test_report_policy.c: the "policy" object of a run --policies report read back
 * (report_policy.c through report_parse_json): the round trip and the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sample_report.h"

/* A report of run --policies parses back with its policy objects (merge -o html shows them) and
 * renders back the same; "policy" on some results only, or malformed, is refused. */
static void test_policy_round_trip(void **state)
{
    (void)state;
    sample_t sm;
    char err[256] = "";
    sample_report(&sm);
    sample_policies(&sm);
    result_policy_set_reason(
        &sm.policy[1],
        "no egress rule allows it; govtech/x egress rule 0 would allow this but for its port: "
        "spec.egress[0].ports[0].port is 5433; the probe connects to 5432");
    report_t r = sm.r, back;
    char *j1 = report_render_json(&r, "0.1.0");
    assert_non_null(j1);
    if (report_parse_json(j1, strlen(j1), &back, err, sizeof(err)) != 0)
        fail_msg("parse: %s", err);
    assert_non_null(back.policy);
    assert_string_equal(back.policy[0].intended, "allow");
    assert_int_equal(back.policy[0].n_by, 1);
    assert_string_equal(back.policy[0].by[0].policy, "govtech/backend-egress");
    assert_true(back.policy[0].by[0].egress);
    assert_string_equal(back.policy[1].reason, sm.policy[1].reason);
    char *j2 = report_render_json(&back, "0.1.0");
    assert_non_null(j2);
    assert_string_equal(j1, j2);
    report_free(&back);
    assert_null(back.policy);
    free(j2);

    /* The first result's policy object removed: present on some results only. */
    char *at = strstr(j1, ",\n      \"policy\": {");
    assert_non_null(at);
    char *end = strstr(strstr(at, "\"reason\": "), " }") + 2;
    memmove(at, end, strlen(end) + 1);
    assert_int_equal(report_parse_json(j1, strlen(j1), &back, err, sizeof(err)), -1);
    if (!strstr(err, "results[1].policy: on some results only"))
        fail_msg("err: %s", err);
    assert_null(back.results);
    assert_null(back.policy);
    free(j1);

    assert_int_equal(result_policy_add_by(&sm.policy[1], "govtech/x", true, 2), 0);
    r = sm.r;
    j1 = report_render_json(&r, "0.1.0");
    at = strstr(j1, "\"direction\": \"egress\", \"rule\": 2");
    assert_non_null(at);
    memcpy(at + 14, "sidewa", 6);
    assert_int_equal(report_parse_json(j1, strlen(j1), &back, err, sizeof(err)), -1);
    if (!strstr(err, "results[1].policy: by[0].direction: must be ingress or egress"))
        fail_msg("err: %s", err);
    free(j1);
    sample_free(&sm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
