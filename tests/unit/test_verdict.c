/* test_verdict.c: the verdict table of the reference ("Verdicts") and the report-wide
 * diagnoses, fed values directly (verdict.c is pure); the hints are test_hint.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "result_test.h"
#include "verdict.h"

#define P VERDICT_PASS
#define F VERDICT_FAIL
#define I VERDICT_INCONCLUSIVE

/* Expected verdicts, one attempt, written out by hand from the reference (not computed). */
static const verdict_t deny_default[OUTCOME_COUNT] = {
    [OUTCOME_OK] = F,          [OUTCOME_DNS_NXDOMAIN] = I,
    [OUTCOME_DNS_NODATA] = I,  [OUTCOME_DNS_TIMEOUT] = I,
    [OUTCOME_DNS_ERROR] = I,   [OUTCOME_CIDR_MISMATCH] = I,
    [OUTCOME_TIMEOUT] = P,     [OUTCOME_REFUSED] = I,
    [OUTCOME_UNREACHABLE] = P, [OUTCOME_TLS_ERROR] = F,
    [OUTCOME_APP_TIMEOUT] = F, [OUTCOME_PROTOCOL_ERROR] = F,
    [OUTCOME_HTTP_STATUS] = F, [OUTCOME_BODY_MISMATCH] = F,
    [OUTCOME_AUTH_FAILED] = F, [OUTCOME_QUERY_FAILED] = F,
    [OUTCOME_ERROR] = I,       [OUTCOME_L7_DENIED] = I, /* only with deny_at: l7 */
};

/* A dns deny probe: an answer fails, no answer / a reject passes. Outcomes of connected
 * transfers cannot come from a dns probe; they prove nothing about DNS: inconclusive. */
static const verdict_t dns_deny_default[OUTCOME_COUNT] = {
    [OUTCOME_OK] = F,           [OUTCOME_DNS_NXDOMAIN] = F,  [OUTCOME_DNS_NODATA] = F,
    [OUTCOME_DNS_TIMEOUT] = P,  [OUTCOME_DNS_ERROR] = F,     [OUTCOME_CIDR_MISMATCH] = F,
    [OUTCOME_TIMEOUT] = P,      [OUTCOME_REFUSED] = P,       [OUTCOME_UNREACHABLE] = P,
    [OUTCOME_TLS_ERROR] = I,    [OUTCOME_APP_TIMEOUT] = I,   [OUTCOME_PROTOCOL_ERROR] = I,
    [OUTCOME_HTTP_STATUS] = I,  [OUTCOME_BODY_MISMATCH] = I, [OUTCOME_AUTH_FAILED] = I,
    [OUTCOME_QUERY_FAILED] = I, [OUTCOME_ERROR] = I,         [OUTCOME_L7_DENIED] = I,
};

static const probe_kind_t conn_kinds[] = {KIND_TCP, KIND_HTTP, KIND_HTTPS, KIND_POSTGRES};

static verdict_t judge1(probe_kind_t k, expect_t e, outcome_mask_t m, outcome_t o, size_t *dec)
{
    *dec = 99;
    return verdict_judge(k, e, m, &o, 1, dec);
}

static void test_allow_table(void **state)
{
    (void)state;
    probe_kind_t kinds[] = {KIND_TCP, KIND_HTTP, KIND_HTTPS, KIND_POSTGRES, KIND_DNS};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (int o = 0; o < OUTCOME_COUNT; o++) {
            size_t dec;
            verdict_t v = judge1(kinds[k], EXPECT_ALLOW, OUTCOME_DEFAULT_DENY, (outcome_t)o, &dec);
            assert_int_equal(v, o == OUTCOME_OK ? P : F);
            assert_int_equal(dec, 0);
        }
    }
}

static void test_deny_table(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(conn_kinds) / sizeof(conn_kinds[0]); k++) {
        for (int o = 0; o < OUTCOME_COUNT; o++) {
            size_t dec;
            verdict_t v = judge1(conn_kinds[k], EXPECT_DENY, OUTCOME_DEFAULT_DENY, (outcome_t)o, &dec);
            if (v != deny_default[o])
                fail_msg("kind %d outcome %s: got %s", conn_kinds[k], outcome_name((outcome_t)o),
                         verdict_name(v));
            assert_int_equal(dec, 0);
            /* With refused listed, only refused changes (to pass). */
            outcome_mask_t m = OUTCOME_DEFAULT_DENY | OUTCOME_BIT(OUTCOME_REFUSED);
            v = judge1(conn_kinds[k], EXPECT_DENY, m, (outcome_t)o, &dec);
            verdict_t want = o == OUTCOME_REFUSED ? P : deny_default[o];
            if (v != want)
                fail_msg("refused listed, outcome %s: got %s", outcome_name((outcome_t)o), verdict_name(v));
        }
    }
}

/* deny_at l7: the deny set is l7_denied alone (config_probe_deny_outcomes): the proxy's
 * refusal passes, any answer fails, no answer proves nothing. */
static void test_deny_at_l7(void **state)
{
    (void)state;
    static const struct {
        outcome_t o;
        verdict_t want;
    } cases[] = {{OUTCOME_L7_DENIED, P}, {OUTCOME_HTTP_STATUS, F}, {OUTCOME_OK, F},
                 {OUTCOME_TIMEOUT, I},   {OUTCOME_REFUSED, I},     {OUTCOME_UNREACHABLE, I}};
    config_probe_t p;
    memset(&p, 0, sizeof(p));
    p.kind = KIND_HTTP;
    p.expect = EXPECT_DENY;
    p.deny_at_l7 = true;
    outcome_mask_t m = config_probe_deny_outcomes(NULL, &p);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t dec;
        verdict_t v = judge1(KIND_HTTP, EXPECT_DENY, m, cases[i].o, &dec);
        if (v != cases[i].want)
            fail_msg("deny_at l7, %s: got %s", outcome_name(cases[i].o), verdict_name(v));
    }
}

/* deny_at l7 on a dns probe: REFUSED (l7_denied) passes; every answer of a resolver fails;
 * silence and the ICMP reject, which pass a plain dns deny, prove nothing here. */
static void test_dns_deny_at_l7(void **state)
{
    (void)state;
    static const struct {
        outcome_t o;
        verdict_t want;
    } cases[] = {{OUTCOME_L7_DENIED, P},  {OUTCOME_OK, F},          {OUTCOME_DNS_NXDOMAIN, F},
                 {OUTCOME_DNS_NODATA, F}, {OUTCOME_DNS_ERROR, F},   {OUTCOME_DNS_TIMEOUT, I},
                 {OUTCOME_REFUSED, I},    {OUTCOME_UNREACHABLE, I}, {OUTCOME_ERROR, I}};
    config_probe_t p;
    memset(&p, 0, sizeof(p));
    p.kind = KIND_DNS;
    p.expect = EXPECT_DENY;
    p.deny_at_l7 = true;
    outcome_mask_t m = config_probe_deny_outcomes(NULL, &p);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t dec;
        verdict_t v = judge1(KIND_DNS, EXPECT_DENY, m, cases[i].o, &dec);
        if (v != cases[i].want)
            fail_msg("dns deny_at l7, %s: got %s", outcome_name(cases[i].o), verdict_name(v));
    }
}

static void test_dns_deny_table(void **state)
{
    (void)state;
    for (int o = 0; o < OUTCOME_COUNT; o++) {
        size_t dec;
        verdict_t v = judge1(KIND_DNS, EXPECT_DENY, OUTCOME_DEFAULT_DENY, (outcome_t)o, &dec);
        if (v != dns_deny_default[o])
            fail_msg("dns deny %s: got %s", outcome_name((outcome_t)o), verdict_name(v));
        v = judge1(KIND_DNS, EXPECT_DENY, OUTCOME_DEFAULT_DENY | OUTCOME_BIT(OUTCOME_REFUSED), (outcome_t)o,
                   &dec);
        if (v != dns_deny_default[o])
            fail_msg("dns deny, refused listed, %s: got %s", outcome_name((outcome_t)o), verdict_name(v));
    }
}

static void test_listed_overrides(void **state)
{
    (void)state;
    size_t dec;
    /* A connected outcome fails even if listed: the path is open. */
    assert_int_equal(
        judge1(KIND_TCP, EXPECT_DENY, OUTCOME_BIT(OUTCOME_PROTOCOL_ERROR), OUTCOME_PROTOCOL_ERROR, &dec), F);
    /* A listed DNS outcome on a tcp probe passes (the user said so). */
    assert_int_equal(
        judge1(KIND_TCP, EXPECT_DENY, OUTCOME_BIT(OUTCOME_DNS_NXDOMAIN), OUTCOME_DNS_NXDOMAIN, &dec), P);
    /* dns deny: a DNS firewall's NXDOMAIN may be listed; ok never passes. */
    assert_int_equal(
        judge1(KIND_DNS, EXPECT_DENY, OUTCOME_BIT(OUTCOME_DNS_NXDOMAIN), OUTCOME_DNS_NXDOMAIN, &dec), P);
    assert_int_equal(judge1(KIND_DNS, EXPECT_DENY, OUTCOME_BIT(OUTCOME_OK), OUTCOME_OK, &dec), F);
    /* Timeout not listed (custom set without it): not proven closed. */
    assert_int_equal(judge1(KIND_TCP, EXPECT_DENY, OUTCOME_BIT(OUTCOME_UNREACHABLE), OUTCOME_TIMEOUT, &dec),
                     I);
}

static void test_attempts(void **state)
{
    (void)state;
    size_t dec = 99;
    outcome_t a1[] = {OUTCOME_TIMEOUT, OUTCOME_OK, OUTCOME_REFUSED};
    assert_int_equal(verdict_judge(KIND_HTTP, EXPECT_ALLOW, OUTCOME_DEFAULT_DENY, a1, 3, &dec), P);
    assert_int_equal(dec, 1);

    outcome_t a2[] = {OUTCOME_TIMEOUT, OUTCOME_REFUSED};
    assert_int_equal(verdict_judge(KIND_TCP, EXPECT_ALLOW, OUTCOME_DEFAULT_DENY, a2, 2, &dec), F);
    assert_int_equal(dec, 1);

    outcome_t a3[] = {OUTCOME_TIMEOUT, OUTCOME_OK, OUTCOME_TIMEOUT};
    assert_int_equal(verdict_judge(KIND_TCP, EXPECT_DENY, OUTCOME_DEFAULT_DENY, a3, 3, &dec), F);
    assert_int_equal(dec, 1);

    outcome_t a4[] = {OUTCOME_TIMEOUT, OUTCOME_UNREACHABLE, OUTCOME_TIMEOUT};
    assert_int_equal(verdict_judge(KIND_TCP, EXPECT_DENY, OUTCOME_DEFAULT_DENY, a4, 3, &dec), P);
    assert_int_equal(dec, 2);

    /* A later connected attempt outranks an earlier inconclusive one. */
    outcome_t a5[] = {OUTCOME_TIMEOUT, OUTCOME_DNS_TIMEOUT, OUTCOME_APP_TIMEOUT};
    assert_int_equal(verdict_judge(KIND_TCP, EXPECT_DENY, OUTCOME_DEFAULT_DENY, a5, 3, &dec), F);
    assert_int_equal(dec, 2);

    outcome_t a6[] = {OUTCOME_TIMEOUT, OUTCOME_REFUSED, OUTCOME_TIMEOUT};
    assert_int_equal(verdict_judge(KIND_TCP, EXPECT_DENY, OUTCOME_DEFAULT_DENY, a6, 3, &dec), I);
    assert_int_equal(dec, 1);

    outcome_t a7[] = {OUTCOME_DNS_TIMEOUT, OUTCOME_DNS_NXDOMAIN};
    assert_int_equal(verdict_judge(KIND_DNS, EXPECT_DENY, OUTCOME_DEFAULT_DENY, a7, 2, &dec), F);
    assert_int_equal(dec, 1);

    outcome_t a8[] = {OUTCOME_DNS_TIMEOUT, OUTCOME_REFUSED};
    assert_int_equal(verdict_judge(KIND_DNS, EXPECT_DENY, OUTCOME_DEFAULT_DENY, a8, 2, &dec), P);
    assert_int_equal(dec, 1);

    /* Nothing measured proves nothing; a NULL decisive pointer is allowed. */
    assert_int_equal(verdict_judge(KIND_TCP, EXPECT_ALLOW, OUTCOME_DEFAULT_DENY, a1, 0, NULL), I);
    assert_int_equal(verdict_judge(KIND_TCP, EXPECT_DENY, OUTCOME_DEFAULT_DENY, a4, 3, NULL), P);
}

static void test_names(void **state)
{
    (void)state;
    verdict_t v;
    assert_string_equal(verdict_name(VERDICT_PASS), "pass");
    assert_string_equal(verdict_name(VERDICT_FAIL), "fail");
    assert_string_equal(verdict_name(VERDICT_INCONCLUSIVE), "inconclusive");
    assert_string_equal(verdict_name((verdict_t)42), "inconclusive");
    assert_int_equal(verdict_parse("fail", &v), 0);
    assert_int_equal(v, VERDICT_FAIL);
    assert_int_equal(verdict_parse("inconclusive", &v), 0);
    assert_int_equal(v, VERDICT_INCONCLUSIVE);
    assert_int_equal(verdict_parse("PASS", &v), -1);
    assert_int_equal(verdict_parse("", &v), -1);
    assert_int_equal(verdict_parse(NULL, &v), -1);
}

/* ---- diagnoses ---- */

static result_t results[8];
static report_t rep;

static void rep_reset(void)
{
    for (size_t i = 0; i < rep.n_results; i++)
        result_clear(&results[i]); /* mk's targets */
    memset(&rep, 0, sizeof(rep));
    memset(results, 0, sizeof(results));
    rep.results = results;
    snprintf(rep.role, sizeof(rep.role), "frontend");
    snprintf(rep.pod_namespace, sizeof(rep.pod_namespace), "govtech");
}

static void rep_add(probe_kind_t k, expect_t e, outcome_t o)
{
    size_t dec;
    verdict_t v = verdict_judge(k, e, OUTCOME_DEFAULT_DENY, &o, 1, &dec);
    char name[16];
    snprintf(name, sizeof(name), "probe%zu", rep.n_results);
    results[rep.n_results++] = mk(name, k, e, target_for(k), o, v);
}

static const diagnosis_t *find_diag(const char *code)
{
    for (size_t i = 0; i < rep.n_diags; i++)
        if (strcmp(rep.diags[i].code, code) == 0)
            return &rep.diags[i];
    return NULL;
}

static void test_diag_dns_blocked(void **state)
{
    (void)state;
    diag_ctx_t ctx = {.role = "frontend"};

    rep_reset();
    rep_add(KIND_HTTP, EXPECT_ALLOW, OUTCOME_OK);
    rep_add(KIND_TCP, EXPECT_ALLOW, OUTCOME_DNS_TIMEOUT);
    verdict_diagnose(&rep, &ctx);
    const diagnosis_t *d = find_diag("dns_blocked");
    assert_non_null(d);
    assert_non_null(strstr(d->message, "53"));
    assert_non_null(strstr(d->message, "kube-dns"));
    assert_non_null(strstr(d->message, "kube-system"));
    assert_non_null(strstr(d->message, "-n govtech"));
    assert_non_null(strstr(d->message, "probe1"));

    /* A dns allow probe whose server rejected the packets. */
    rep_reset();
    rep_add(KIND_DNS, EXPECT_ALLOW, OUTCOME_UNREACHABLE);
    verdict_diagnose(&rep, &ctx);
    assert_non_null(find_diag("dns_blocked"));
    rep_reset();
    rep_add(KIND_DNS, EXPECT_ALLOW, OUTCOME_REFUSED);
    verdict_diagnose(&rep, &ctx);
    assert_non_null(find_diag("dns_blocked"));

    /* A deny probe inconclusive on dns_timeout still shows DNS is blocked. */
    rep_reset();
    rep_add(KIND_TCP, EXPECT_DENY, OUTCOME_DNS_TIMEOUT);
    verdict_diagnose(&rep, &ctx);
    assert_non_null(find_diag("dns_blocked"));

    /* Negative: DNS blocked on purpose (dns deny passes), other DNS failures, all ok. */
    rep_reset();
    rep_add(KIND_DNS, EXPECT_DENY, OUTCOME_DNS_TIMEOUT);
    rep_add(KIND_TCP, EXPECT_ALLOW, OUTCOME_DNS_NXDOMAIN);
    rep_add(KIND_TCP, EXPECT_ALLOW, OUTCOME_TIMEOUT);
    rep_add(KIND_DNS, EXPECT_ALLOW, OUTCOME_DNS_ERROR);
    verdict_diagnose(&rep, &ctx);
    assert_null(find_diag("dns_blocked"));
}

static void test_diag_policy_not_enforced(void **state)
{
    (void)state;
    diag_ctx_t ctx = {.role = "frontend"};

    rep_reset();
    rep_add(KIND_TCP, EXPECT_DENY, OUTCOME_OK);
    rep_add(KIND_HTTP, EXPECT_DENY, OUTCOME_HTTP_STATUS);
    rep_add(KIND_DNS, EXPECT_DENY, OUTCOME_DNS_TIMEOUT); /* dns deny probes do not count */
    rep_add(KIND_HTTP, EXPECT_ALLOW, OUTCOME_OK);
    verdict_diagnose(&rep, &ctx);
    const diagnosis_t *d = find_diag("policy_not_enforced");
    assert_non_null(d);
    assert_non_null(strstr(d->message, "default-deny"));
    assert_non_null(strstr(d->message, "CNI"));
    assert_non_null(strstr(d->message, "kubectl get networkpolicies -n govtech"));
    assert_non_null(strstr(d->message, "2 of 2"));

    /* One deny probe held: the policy is enforced somewhere. */
    rep_reset();
    rep_add(KIND_TCP, EXPECT_DENY, OUTCOME_OK);
    rep_add(KIND_TCP, EXPECT_DENY, OUTCOME_TIMEOUT);
    verdict_diagnose(&rep, &ctx);
    assert_null(find_diag("policy_not_enforced"));

    /* An inconclusive deny probe (refused) is not "connected". */
    rep_reset();
    rep_add(KIND_TCP, EXPECT_DENY, OUTCOME_OK);
    rep_add(KIND_TCP, EXPECT_DENY, OUTCOME_REFUSED);
    verdict_diagnose(&rep, &ctx);
    assert_null(find_diag("policy_not_enforced"));

    /* No non-dns deny probe at all. */
    rep_reset();
    rep_add(KIND_TCP, EXPECT_ALLOW, OUTCOME_OK);
    rep_add(KIND_DNS, EXPECT_DENY, OUTCOME_OK);
    verdict_diagnose(&rep, &ctx);
    assert_null(find_diag("policy_not_enforced"));
    assert_int_equal(rep.n_diags, 0);
}

static void test_diag_labels_and_cap(void **state)
{
    (void)state;
    diag_ctx_t ctx = {.role_forced = true,
                      .labels_known = true,
                      .labels_match = false,
                      .labels_seen = "app=frontend,tier=web",
                      .selector = "app=backend",
                      .role = "backend"};
    rep_reset();
    rep_add(KIND_TCP, EXPECT_ALLOW, OUTCOME_OK);
    verdict_diagnose(&rep, &ctx);
    const diagnosis_t *d = find_diag("role_labels_mismatch");
    assert_non_null(d);
    assert_non_null(strstr(d->message, "app=frontend,tier=web"));
    assert_non_null(strstr(d->message, "app=backend"));
    assert_non_null(strstr(d->message, "backend"));

    ctx.labels_known = false; /* labels file not read: no evidence, no diagnosis */
    verdict_diagnose(&rep, &ctx);
    assert_null(find_diag("role_labels_mismatch"));
    ctx.labels_known = true;
    ctx.role_forced = false;
    verdict_diagnose(&rep, &ctx);
    assert_null(find_diag("role_labels_mismatch"));
    ctx.role_forced = true;
    ctx.labels_match = true;
    verdict_diagnose(&rep, &ctx);
    assert_null(find_diag("role_labels_mismatch"));
    ctx.labels_match = false;
    ctx.labels_seen = NULL; /* empty label set */
    verdict_diagnose(&rep, &ctx);
    assert_non_null(strstr(find_diag("role_labels_mismatch")->message, "(none)"));

    diag_ctx_t cap = {.role = "frontend", .concurrency_cap = 61};
    verdict_diagnose(&rep, &cap);
    d = find_diag("concurrency_capped");
    assert_non_null(d);
    assert_non_null(strstr(d->message, "61"));
    assert_non_null(strstr(d->message, "ulimit -n"));
    cap.concurrency_cap = 0;
    verdict_diagnose(&rep, &cap);
    assert_int_equal(rep.n_diags, 0); /* recomputed from scratch */
    verdict_diagnose(&rep, NULL);
    assert_int_equal(rep.n_diags, 0);
}

static void test_diag_order(void **state)
{
    (void)state;
    diag_ctx_t ctx = {.role_forced = true,
                      .labels_known = true,
                      .labels_match = false,
                      .labels_seen = "app=x",
                      .selector = "app=y",
                      .role = "frontend",
                      .concurrency_cap = 10};
    rep_reset();
    rep_add(KIND_TCP, EXPECT_DENY, OUTCOME_OK);
    rep_add(KIND_TCP, EXPECT_ALLOW, OUTCOME_DNS_TIMEOUT);
    verdict_diagnose(&rep, &ctx);
    assert_int_equal(rep.n_diags, 4);
    assert_string_equal(rep.diags[0].code, "dns_blocked");
    assert_string_equal(rep.diags[1].code, "policy_not_enforced");
    assert_string_equal(rep.diags[2].code, "role_labels_mismatch");
    assert_string_equal(rep.diags[3].code, "concurrency_capped");
    for (size_t i = 0; i < rep.n_diags; i++)
        assert_true(strlen(rep.diags[i].message) < DIAG_MESSAGE_LEN - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allow_table),
        cmocka_unit_test(test_deny_table),
        cmocka_unit_test(test_dns_deny_table),
        cmocka_unit_test(test_deny_at_l7),
        cmocka_unit_test(test_dns_deny_at_l7),
        cmocka_unit_test(test_listed_overrides),
        cmocka_unit_test(test_attempts),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_diag_dns_blocked),
        cmocka_unit_test(test_diag_policy_not_enforced),
        cmocka_unit_test(test_diag_labels_and_cap),
        cmocka_unit_test(test_diag_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
