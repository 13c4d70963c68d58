/* test_merge_outputs.c: the namespace outputs of merge fed values directly: PolicyReport
 * names (valid DNS labels, shortened with a hash, never colliding), the YAML and HTML escaping
 * of report strings, and a namespace no object can hold. tests/outputs reads the same outputs
 * back with the CRD's schema, Go's YAML parser and a browser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "sample_report.h"

static bool dns_label(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

static void test_name_kept_when_valid(void **state)
{
    (void)state;
    char out[80];
    merge_policyreport_name("ztprobe-govtech", out, sizeof(out));
    assert_string_equal(out, "ztprobe-govtech");
}

static void test_name_shortened_with_hash(void **state)
{
    (void)state;
    char a[80], b[80], want[80];
    snprintf(want, sizeof(want), "ztprobe-%s",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    merge_policyreport_name(want, a, sizeof(a));
    assert_true(dns_label(a));
    assert_int_equal(strlen(a), 63);
    assert_memory_equal(a, "ztprobe-aaaa", 12);
    /* Same first 63 characters, different ends: different names. */
    snprintf(want, sizeof(want), "ztprobe-%s",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
    merge_policyreport_name(want, b, sizeof(b));
    assert_true(dns_label(b));
    assert_string_not_equal(a, b);
}

static void test_name_rewritten_with_hash(void **state)
{
    (void)state;
    char a[80], b[80];
    merge_policyreport_name("Gov_Tech", a, sizeof(a));
    merge_policyreport_name("gov-tech", b, sizeof(b));
    assert_true(dns_label(a));
    assert_memory_equal(a, "gov-tech-", 9);
    assert_string_not_equal(a, b); /* a rewritten name never takes a valid one's place */
    merge_policyreport_name("---", a, sizeof(a));
    assert_true(dns_label(a));
    merge_policyreport_name("", a, sizeof(a));
    assert_true(dns_label(a));
}

/* One report with one result (o.res[0]), namespace ns, strings s in role, pod, target,
 * detail and hint. */
static merge_t *one(sample_t *o, const char *ns, const char *s)
{
    sample_init(o, s, s, ns);
    o->r.started_at = 1795669200.5;
    o->r.duration_ms = 0;
    result_t *x = sample_add(o, "probe", KIND_TCP, EXPECT_DENY, VERDICT_INCONCLUSIVE, OUTCOME_REFUSED);
    result_printf(x, RESULT_TARGET, "%s", s);
    result_printf(x, RESULT_DETAIL, "%s", s);
    result_printf(x, RESULT_HINT, "%s", s);
    merge_t *m = merge_create();
    assert_non_null(m);
    assert_int_equal(merge_add(m, &o->r, "r.json"), 0);
    return m;
}

static void test_policyreport_escapes(void **state)
{
    (void)state;
    sample_t o;
    merge_t *m = one(&o, "govtech", "a\"b\\c\nd\x01\xff: #x");
    char err[256];
    char *y = merge_render_policyreport(m, 1795669201.0, err, sizeof(err));
    assert_non_null(y);
    assert_non_null(strstr(y, "result: \"error\""));
    assert_non_null(strstr(y, "seconds: 1795669200\n      nanos: 500000000"));
    /* Quote and backslash escaped, newline by name, the control byte and the invalid byte
     * as U+FFFD: the scalar cannot end early or break the line. */
    assert_non_null(strstr(y, "detail: \"a\\\"b\\\\c\\nd\xef\xbf\xbd\xef\xbf\xbd: #x\"\n"));
    assert_null(strstr(y, "\x01"));
    assert_non_null(strstr(y, "ztprobe/generated-at: \"2026-11-"));
    free(y);
    merge_destroy(m);
    sample_free(&o);
}

static void test_policyreport_bad_namespace(void **state)
{
    (void)state;
    sample_t o;
    merge_t *m = one(&o, "Gov_Tech", "x");
    char err[256] = "";
    assert_null(merge_render_policyreport(m, 0, err, sizeof(err)));
    assert_non_null(strstr(err, "r.json: pod.namespace \"Gov_Tech\" is not a Kubernetes namespace"));
    merge_destroy(m);
    sample_free(&o);
}

static void test_html_escapes(void **state)
{
    (void)state;
    sample_t o;
    merge_t *m = one(&o, "govtech", "<script>'&\"\x01\xff</script>");
    char *h = merge_render_html(m, 1795669201.0);
    assert_non_null(h);
    assert_null(strstr(h, "<script"));
    assert_non_null(strstr(h, "&lt;script&gt;&#39;&amp;&quot;\xef\xbf\xbd\xef\xbf\xbd&lt;/script&gt;"));
    assert_non_null(strstr(h, "<th scope=\"row\">"));
    assert_non_null(strstr(h, "<span class=\"verdict\">inconclusive</span>"));
    assert_non_null(strstr(h, "</style>\n</head>\n<body>"));
    free(h);
    merge_destroy(m);
    sample_free(&o);
}

/* A report of run --policies: a probe that did not pass shows what the policies intend and
 * why (escaped), a passed one does not; without --policies no such line. */
static void test_html_policy_explains(void **state)
{
    (void)state;
    sample_t o;
    sample_report(&o);
    sample_policies(&o);
    result_policy_set_reason(
        &o.policy[1],
        "no egress rule allows it; govtech/x egress rule 0 would allow this but for its podSelector: "
        "spec.egress[0].to[0].podSelector.matchLabels.app is <api>; the target's pod carries app=web");
    merge_t *m = merge_create();
    assert_non_null(m);
    assert_int_equal(merge_add(m, &o.r, "r.json"), 0);
    char *h = merge_render_html(m, 1795669201.0);
    assert_non_null(h);
    const char *want =
        "<div class=\"policy\"><b>Policies:</b> deny: no egress rule allows it; govtech/x egress rule 0 "
        "would allow this but for its podSelector: spec.egress[0].to[0].podSelector.matchLabels.app is "
        "&lt;api&gt;; the target&#39;s pod carries app=web</div>";
    if (!strstr(h, want))
        fail_msg("no policy line in\n%s", h);
    /* The passed probe (result 0) and the inconclusive DNS probe: one more line, the unknown. */
    assert_non_null(strstr(h, "<b>Policies:</b> unknown: no kube-dns objects given"));
    assert_null(strstr(h, "<b>Policies:</b> allow"));
    free(h);
    merge_destroy(m);

    o.r.policy = NULL;
    m = merge_create();
    assert_int_equal(merge_add(m, &o.r, "r.json"), 0);
    h = merge_render_html(m, 1795669201.0);
    assert_null(strstr(h, "class=\"policy\""));
    free(h);
    merge_destroy(m);
    sample_free(&o);
}

/* Columns are the hosts the probes reach: a URL's host (after any userinfo, an IPv6 literal in
 * brackets), a host:port's host, "DNS" and the server for dns probes. */
static void test_html_columns(void **state)
{
    (void)state;
    sample_t o;
    merge_t *m = one(&o, "govtech", "x");
    static const struct {
        probe_kind_t kind;
        const char *target, *column;
    } cases[] = {
        {KIND_HTTPS, "https://user:pw@[fd00::1]:8443/x?y", "<th scope=\"col\">[fd00::1]</th>"},
        {KIND_HTTP, "http://backend-service:3000/health", "<th scope=\"col\">backend-service</th>"},
        {KIND_POSTGRES, "postgres-service:5432", "<th scope=\"col\">postgres-service</th>"},
        {KIND_TCP, "[fd00::2]:443", "<th scope=\"col\">[fd00::2]</th>"},
        {KIND_DNS, "backend-service A @10.96.0.10", "<th scope=\"col\">DNS @10.96.0.10</th>"},
        {KIND_DNS, "backend-service AAAA", "<th scope=\"col\">DNS</th>"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        o.res[0].kind = cases[i].kind;
        result_printf(&o.res[0], RESULT_TARGET, "%s", cases[i].target);
        merge_destroy(m);
        m = merge_create();
        assert_int_equal(merge_add(m, &o.r, "r.json"), 0);
        char *h = merge_render_html(m, 0);
        assert_non_null(h);
        if (strstr(h, cases[i].column) == NULL)
            fail_msg("%s: no %s", cases[i].target, cases[i].column);
        free(h);
    }
    merge_destroy(m);
    sample_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_kept_when_valid),       cmocka_unit_test(test_name_shortened_with_hash),
        cmocka_unit_test(test_name_rewritten_with_hash),   cmocka_unit_test(test_policyreport_escapes),
        cmocka_unit_test(test_policyreport_bad_namespace), cmocka_unit_test(test_html_escapes),
        cmocka_unit_test(test_html_policy_explains),       cmocka_unit_test(test_html_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
