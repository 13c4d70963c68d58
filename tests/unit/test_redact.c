/* test_redact.c: URLs lose userinfo, query and fragment (agent/util/redact.c) before any output:
 * the report's target for http(s) probes (config_probe_target) and a target read back from a
 * report file (report_parse_json, merge). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "redact.h"
#include "report.h"

static void expect(const char *in, const char *want)
{
    char out[256];
    redact_url(in, out, sizeof(out));
    if (strcmp(out, want) != 0)
        fail_msg("redact_url(\"%s\") = \"%s\", want \"%s\"", in, out, want);
}

static void test_redact_url(void **state)
{
    (void)state;
    expect("http://svc:8080/health", "http://svc:8080/health");
    expect("https://svc/path?token=s3cret", "https://svc/path");
    expect("https://svc/path?token=s3cret#frag", "https://svc/path");
    expect("https://svc/#frag?x", "https://svc/");
    expect("http://user:pw@svc:80/p?q", "http://svc:80/p");
    expect("http://us@er:p@w@svc/p", "http://svc/p"); /* the last '@' ends the userinfo */
    expect("http://user:pw@svc?q=1", "http://svc");
    expect("http://[2001:db8::1]:8443/x?y", "http://[2001:db8::1]:8443/x");
    expect("http://svc/a@b/c", "http://svc/a@b/c"); /* '@' in the path is not userinfo */
    /* Not URLs: a tcp target and a dns target keep their '@' and colons. */
    expect("postgres-service:5432", "postgres-service:5432");
    expect("backend-service A @10.96.0.10:53", "backend-service A @10.96.0.10:53");
    expect("host/p?x=://y", "host/p");
    expect("", "");
    char small[8];
    redact_url("http://user:pw@svc/long/path", small, sizeof(small));
    assert_string_equal(small, "http://");
    redact_url(NULL, small, sizeof(small));
    assert_string_equal(small, "");
}

static void test_probe_target(void **state)
{
    (void)state;
    config_probe_t p = {.kind = KIND_HTTPS, .url = "https://api.test/v1?api_key=s3cret#x"};
    char buf[RESULT_TARGET_LEN];
    config_probe_target(&p, buf, sizeof(buf));
    assert_string_equal(buf, "https://api.test/v1");
}

static void test_parsed_target(void **state)
{
    (void)state;
    static const char doc[] =
        "{\"schema\":\"ztprobe/report/v1\",\"agent_version\":\"0.1.0\",\"role\":\"r\","
        "\"pod\":{\"name\":null,\"namespace\":null},\"started_at\":\"2026-11-26T05:00:00.123Z\","
        "\"duration_ms\":1,\"summary\":{\"total\":1,\"passed\":1,\"failed\":0,\"inconclusive\":0,"
        "\"ok\":true},\"diagnoses\":[],\"results\":[{\"name\":\"p\",\"kind\":\"http\","
        "\"target\":\"http://admin:s3cret@svc:80/x?token=s3cret\",\"expect\":\"allow\","
        "\"verdict\":\"pass\",\"outcome\":\"ok\",\"detail\":null,\"hint\":null,\"attempts\":1,"
        "\"duration_ms\":1,\"addresses\":[],\"timings_ms\":{\"dns\":null,\"connect\":null,"
        "\"tls\":null,\"first_byte\":null}}]}";
    report_t r;
    char err[256] = "";
    if (report_parse_json(doc, sizeof(doc) - 1, &r, err, sizeof(err)) != 0)
        fail_msg("parse: %s", err);
    assert_int_equal(r.n_results, 1);
    assert_string_equal(result_text(&r.results[0], RESULT_TARGET), "http://svc:80/x");
    report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redact_url),
        cmocka_unit_test(test_probe_target),
        cmocka_unit_test(test_parsed_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
