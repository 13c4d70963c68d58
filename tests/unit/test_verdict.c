/* test_verdict.c: the verdict table of the reference ("Verdicts"), the hints and the
 * diagnoses, fed values directly (verdict.c, hint.c are pure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hint.h"
#include "verdict.h"

#define P VERDICT_PASS
#define F VERDICT_FAIL
#define I VERDICT_INCONCLUSIVE

/* Expected verdicts, one attempt, written out by hand from the reference (not computed). */
static const verdict_t deny_default[OUTCOME_COUNT] = {
    [OUTCOME_OK] = F,           [OUTCOME_DNS_NXDOMAIN] = I,   [OUTCOME_DNS_NODATA] = I,
    [OUTCOME_DNS_TIMEOUT] = I,  [OUTCOME_DNS_ERROR] = I,      [OUTCOME_CIDR_MISMATCH] = I,
    [OUTCOME_TIMEOUT] = P,      [OUTCOME_REFUSED] = I,        [OUTCOME_UNREACHABLE] = P,
    [OUTCOME_TLS_ERROR] = F,    [OUTCOME_APP_TIMEOUT] = F,    [OUTCOME_PROTOCOL_ERROR] = F,
    [OUTCOME_HTTP_STATUS] = F,  [OUTCOME_BODY_MISMATCH] = F,  [OUTCOME_AUTH_FAILED] = F,
    [OUTCOME_QUERY_FAILED] = F, [OUTCOME_ERROR] = I,
};

/* A dns deny probe: an answer fails, no answer / a reject passes. Outcomes of connected
 * transfers cannot come from a dns probe; they prove nothing about DNS: inconclusive. */
static const verdict_t dns_deny_default[OUTCOME_COUNT] = {
    [OUTCOME_OK] = F,           [OUTCOME_DNS_NXDOMAIN] = F,   [OUTCOME_DNS_NODATA] = F,
    [OUTCOME_DNS_TIMEOUT] = P,  [OUTCOME_DNS_ERROR] = F,      [OUTCOME_CIDR_MISMATCH] = F,
    [OUTCOME_TIMEOUT] = P,      [OUTCOME_REFUSED] = P,        [OUTCOME_UNREACHABLE] = P,
    [OUTCOME_TLS_ERROR] = I,    [OUTCOME_APP_TIMEOUT] = I,    [OUTCOME_PROTOCOL_ERROR] = I,
    [OUTCOME_HTTP_STATUS] = I,  [OUTCOME_BODY_MISMATCH] = I,  [OUTCOME_AUTH_FAILED] = I,
    [OUTCOME_QUERY_FAILED] = I, [OUTCOME_ERROR] = I,
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
            verdict_t v = judge1(conn_kinds[k], EXPECT_DENY, OUTCOME_DEFAULT_DENY, (outcome_t)o,
                                 &dec);
            if (v != deny_default[o])
                fail_msg("kind %d outcome %s: got %s", conn_kinds[k], outcome_name((outcome_t)o),
                         verdict_name(v));
            assert_int_equal(dec, 0);
            /* With refused listed, only refused changes (to pass). */
            outcome_mask_t m = OUTCOME_DEFAULT_DENY | OUTCOME_BIT(OUTCOME_REFUSED);
            v = judge1(conn_kinds[k], EXPECT_DENY, m, (outcome_t)o, &dec);
            verdict_t want = o == OUTCOME_REFUSED ? P : deny_default[o];
            if (v != want)
                fail_msg("refused listed, outcome %s: got %s", outcome_name((outcome_t)o),
                         verdict_name(v));
        }
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
        v = judge1(KIND_DNS, EXPECT_DENY, OUTCOME_DEFAULT_DENY | OUTCOME_BIT(OUTCOME_REFUSED),
                   (outcome_t)o, &dec);
        if (v != dns_deny_default[o])
            fail_msg("dns deny, refused listed, %s: got %s", outcome_name((outcome_t)o),
                     verdict_name(v));
    }
}

static void test_listed_overrides(void **state)
{
    (void)state;
    size_t dec;
    /* A connected outcome fails even if listed: the path is open. */
    assert_int_equal(judge1(KIND_TCP, EXPECT_DENY, OUTCOME_BIT(OUTCOME_PROTOCOL_ERROR),
                            OUTCOME_PROTOCOL_ERROR, &dec), F);
    /* A listed DNS outcome on a tcp probe passes (the user said so). */
    assert_int_equal(judge1(KIND_TCP, EXPECT_DENY, OUTCOME_BIT(OUTCOME_DNS_NXDOMAIN),
                            OUTCOME_DNS_NXDOMAIN, &dec), P);
    /* dns deny: a DNS firewall's NXDOMAIN may be listed; ok never passes. */
    assert_int_equal(judge1(KIND_DNS, EXPECT_DENY, OUTCOME_BIT(OUTCOME_DNS_NXDOMAIN),
                            OUTCOME_DNS_NXDOMAIN, &dec), P);
    assert_int_equal(judge1(KIND_DNS, EXPECT_DENY, OUTCOME_BIT(OUTCOME_OK), OUTCOME_OK, &dec), F);
    /* Timeout not listed (custom set without it): not proven closed. */
    assert_int_equal(judge1(KIND_TCP, EXPECT_DENY, OUTCOME_BIT(OUTCOME_UNREACHABLE),
                            OUTCOME_TIMEOUT, &dec), I);
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

/* ---- hints ---- */

static result_t mk(const char *name, probe_kind_t k, expect_t e, const char *target,
                   outcome_t o, verdict_t v)
{
    result_t r;
    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "%s", name);
    snprintf(r.target, sizeof(r.target), "%s", target);
    r.kind = k;
    r.expect = e;
    r.outcome = o;
    r.verdict = v;
    r.dns_ms = r.connect_ms = r.tls_ms = r.first_byte_ms = -1;
    return r;
}

static const char *target_for(probe_kind_t k)
{
    switch (k) {
    case KIND_HTTP: return "http://backend-service:3000/health";
    case KIND_HTTPS: return "https://secretsmanager.us-east-1.amazonaws.com/";
    case KIND_POSTGRES: return "postgres-service:5432";
    case KIND_DNS: return "backend-service A @10.96.0.10";
    default: return "postgres-service:5432";
    }
}

static char hintbuf[RESULT_HINT_LEN];

static const char *hint_of(const result_t *r, const char *ns)
{
    hint_ctx_t ctx = {.role = "frontend", .namespace_ = ns};
    memset(hintbuf, 'x', sizeof(hintbuf));
    hint_write(r, &ctx, hintbuf, sizeof(hintbuf));
    return hintbuf;
}

/* Every non-pass result of every kind, expectation and outcome gets a whole sentence (not cut
 * by the buffer), even with a target of maximal length; every pass gets none. */
static void test_hint_every_outcome(void **state)
{
    (void)state;
    char longhost[RESULT_TARGET_LEN], longns[64], longrole[128];
    memset(longns, 's', sizeof(longns) - 1); /* Kubernetes caps namespaces at 63 */
    longns[sizeof(longns) - 1] = '\0';
    memset(longrole, 'r', sizeof(longrole) - 1);
    longrole[sizeof(longrole) - 1] = '\0';
    probe_kind_t kinds[] = {KIND_TCP, KIND_HTTP, KIND_HTTPS, KIND_POSTGRES, KIND_DNS};
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < 5; k++) {
            const char *target = target_for(kinds[k]);
            if (pass == 1) {
                memset(longhost, 'a', sizeof(longhost) - 1);
                longhost[sizeof(longhost) - 1] = '\0';
                if (kinds[k] == KIND_HTTP || kinds[k] == KIND_HTTPS)
                    memcpy(longhost, "https://", 8);
                target = longhost;
            }
            for (int e = EXPECT_ALLOW; e <= EXPECT_DENY; e++) {
                for (int o = 0; o < OUTCOME_COUNT; o++) {
                    outcome_t oc = (outcome_t)o;
                    size_t dec;
                    verdict_t v = verdict_judge(kinds[k], (expect_t)e, OUTCOME_DEFAULT_DENY,
                                                &oc, 1, &dec);
                    result_t r = mk("p1", kinds[k], (expect_t)e, target, oc, v);
                    const char *h = hint_of(&r, "govtech");
                    if (pass == 1) { /* every field at its maximum */
                        memset(r.name, 'n', sizeof(r.name) - 1);
                        hint_ctx_t big = {.role = longrole, .namespace_ = longns};
                        hint_write(&r, &big, hintbuf, sizeof(hintbuf));
                        h = hintbuf;
                    }
                    size_t n = strlen(h);
                    if (v == VERDICT_PASS) {
                        assert_int_equal(n, 0);
                        continue;
                    }
                    if (n < 40 || n >= RESULT_HINT_LEN - 1 || h[n - 1] != '.')
                        fail_msg("kind %d expect %d outcome %s: bad hint (%zu) \"%s\"", kinds[k],
                                 e, outcome_name(oc), n, h);
                }
            }
        }
    }
}

static void expect_words(probe_kind_t k, expect_t e, outcome_t o, const char *w1,
                         const char *w2)
{
    size_t dec;
    verdict_t v = verdict_judge(k, e, OUTCOME_DEFAULT_DENY, &o, 1, &dec);
    result_t r = mk("p", k, e, target_for(k), o, v);
    const char *h = hint_of(&r, "govtech");
    if (strstr(h, w1) == NULL || (w2 != NULL && strstr(h, w2) == NULL))
        fail_msg("%s/%s: hint lacks \"%s\"/\"%s\": %s", outcome_name(o),
                 e == EXPECT_DENY ? "deny" : "allow", w1, w2 ? w2 : "", h);
}

static void test_hint_keywords(void **state)
{
    (void)state;
    expect_words(KIND_TCP, EXPECT_ALLOW, OUTCOME_DNS_TIMEOUT, "53", "DNS");
    expect_words(KIND_DNS, EXPECT_ALLOW, OUTCOME_DNS_TIMEOUT, "53", "kube-dns");
    expect_words(KIND_DNS, EXPECT_ALLOW, OUTCOME_UNREACHABLE, "53", "DNS");
    expect_words(KIND_TCP, EXPECT_ALLOW, OUTCOME_TIMEOUT, "port", "5432");
    expect_words(KIND_TCP, EXPECT_ALLOW, OUTCOME_TIMEOUT, "podSelector", "-n govtech");
    expect_words(KIND_HTTP, EXPECT_ALLOW, OUTCOME_TIMEOUT, "port 3000", NULL);
    expect_words(KIND_HTTPS, EXPECT_ALLOW, OUTCOME_TIMEOUT, "port 443", NULL);
    expect_words(KIND_TCP, EXPECT_ALLOW, OUTCOME_REFUSED, "kubectl get endpoints -n govtech",
                 "listens");
    expect_words(KIND_HTTPS, EXPECT_ALLOW, OUTCOME_TLS_ERROR, "CA", "openssl s_client");
    expect_words(KIND_HTTP, EXPECT_ALLOW, OUTCOME_HTTP_STATUS, "path is open", "application");
    expect_words(KIND_HTTP, EXPECT_ALLOW, OUTCOME_BODY_MISMATCH, "path is open", "body");
    expect_words(KIND_POSTGRES, EXPECT_ALLOW, OUTCOME_AUTH_FAILED, "pg_hba", "password");
    expect_words(KIND_POSTGRES, EXPECT_ALLOW, OUTCOME_QUERY_FAILED, "query", "psql");
    expect_words(KIND_HTTPS, EXPECT_ALLOW, OUTCOME_CIDR_MISMATCH, "ipBlock", "resolved_within");
    expect_words(KIND_DNS, EXPECT_ALLOW, OUTCOME_CIDR_MISMATCH, "ipBlock", "answers_within");
    expect_words(KIND_TCP, EXPECT_ALLOW, OUTCOME_DNS_NXDOMAIN, "namespace", "postgres-service");
    expect_words(KIND_HTTP, EXPECT_ALLOW, OUTCOME_APP_TIMEOUT, "proxy", "sidecar");
    expect_words(KIND_TCP, EXPECT_ALLOW, OUTCOME_ERROR, "--only p", "--role frontend");
    /* deny that connected: the path is open. */
    expect_words(KIND_TCP, EXPECT_DENY, OUTCOME_OK, "podSelector", "labels");
    expect_words(KIND_HTTP, EXPECT_DENY, OUTCOME_HTTP_STATUS, "CNI", "kubectl get networkpolicies -n govtech");
    expect_words(KIND_DNS, EXPECT_DENY, OUTCOME_DNS_NXDOMAIN, "53", "podSelector");
    /* deny inconclusive. */
    expect_words(KIND_TCP, EXPECT_DENY, OUTCOME_DNS_TIMEOUT, "not tested", "53");
    expect_words(KIND_TCP, EXPECT_DENY, OUTCOME_DNS_NXDOMAIN, "not tested", "fix DNS");
    expect_words(KIND_TCP, EXPECT_DENY, OUTCOME_REFUSED, "\"refused\"", "deny_outcomes");
    expect_words(KIND_HTTPS, EXPECT_DENY, OUTCOME_CIDR_MISMATCH, "not tested", "resolved_within");
    expect_words(KIND_TCP, EXPECT_DENY, OUTCOME_ERROR, "internal error", "not tested");
}

/* A dns probe expecting NXDOMAIN that got an answer is not a server error: the hint says so,
 * from the fact the kind recorded, never from the wording of the detail. */
static void test_hint_unexpected_answer(void **state)
{
    (void)state;
    result_t r = mk("gone", KIND_DNS, EXPECT_ALLOW, "old-service A", OUTCOME_DNS_ERROR, VERDICT_FAIL);
    r.facts = RESULT_FACT_NOT_NXDOMAIN;
    const char *h = hint_of(&r, "govtech");
    assert_non_null(strstr(h, "expects NXDOMAIN"));
    assert_null(strstr(h, "SERVFAIL"));
    r.facts = 0;
    snprintf(r.detail, sizeof(r.detail), "old-service A: expected NXDOMAIN, got 1 address(es)");
    assert_non_null(strstr(hint_of(&r, "govtech"), "SERVFAIL"));
}

/* A postgres password the probe could not read: the hint comes from the fact postgres.c
 * recorded, not from the detail's wording. */
static void test_hint_pg_password_facts(void **state)
{
    (void)state;
    result_t r = mk("pg", KIND_POSTGRES, EXPECT_ALLOW, "db:5432", OUTCOME_ERROR, VERDICT_FAIL);
    snprintf(r.detail, sizeof(r.detail), "password_env PGPW is not set");
    assert_non_null(strstr(hint_of(&r, "ns"), "internal error"));
    r.facts = RESULT_FACT_PASSWORD_ENV;
    assert_non_null(strstr(hint_of(&r, "ns"), "secretKeyRef"));
    r.facts = RESULT_FACT_PASSWORD_FILE;
    assert_non_null(strstr(hint_of(&r, "ns"), "mount the Secret"));
}

static void test_hint_namespace_and_secrets(void **state)
{
    (void)state;
    result_t r = mk("p", KIND_TCP, EXPECT_ALLOW, "db:5432", OUTCOME_TIMEOUT, VERDICT_FAIL);
    assert_non_null(strstr(hint_of(&r, NULL), "-n <namespace>"));
    assert_null(strstr(hint_of(&r, NULL), "govtech"));
    assert_non_null(strstr(hint_of(&r, ""), "-n <namespace>"));
    assert_non_null(strstr(hint_of(&r, "prod"), "-n prod"));

    /* A NULL context works too. */
    char buf[RESULT_HINT_LEN];
    hint_write(&r, NULL, buf, sizeof(buf));
    assert_non_null(strstr(buf, "-n <namespace>"));

    /* userinfo and query strings of a URL never reach a hint. */
    for (int o = 0; o < OUTCOME_COUNT; o++) {
        r = mk("p", KIND_HTTP, EXPECT_ALLOW, "http://bob:s3cret@api.example:8080/x?token=T0K",
               (outcome_t)o, o == OUTCOME_OK ? VERDICT_PASS : VERDICT_FAIL);
        const char *h = hint_of(&r, "ns");
        assert_null(strstr(h, "s3cret"));
        assert_null(strstr(h, "bob"));
        assert_null(strstr(h, "T0K"));
        if (o == OUTCOME_TIMEOUT)
            assert_non_null(strstr(h, "api.example:8080"));
        if (o == OUTCOME_HTTP_STATUS)
            assert_non_null(strstr(h, "http://api.example:8080/x"));
    }
    /* dns targets in both spellings name the query alone. */
    r = mk("p", KIND_DNS, EXPECT_ALLOW, "api.internal AAAA @10.96.0.10", OUTCOME_DNS_NXDOMAIN,
           VERDICT_FAIL);
    assert_non_null(strstr(hint_of(&r, "ns"), "The name api.internal does not exist"));
    r = mk("p", KIND_DNS, EXPECT_ALLOW, "api.internal/A@10.96.0.10", OUTCOME_DNS_NXDOMAIN,
           VERDICT_FAIL);
    assert_non_null(strstr(hint_of(&r, "ns"), "The name api.internal does not exist"));
    /* IPv6 literal targets. */
    r = mk("p", KIND_TCP, EXPECT_ALLOW, "[fd00::1]:5432", OUTCOME_TIMEOUT, VERDICT_FAIL);
    assert_non_null(strstr(hint_of(&r, "ns"), "port 5432"));
    /* Tiny buffers are cut, terminated, never overrun. */
    char small[8];
    memset(small, 'x', sizeof(small));
    hint_write(&r, NULL, small, sizeof(small));
    assert_int_equal(strlen(small), 7);
    hint_write(&r, NULL, small, 0); /* no write at all */
}

/* ---- diagnoses ---- */

static result_t results[8];
static report_t rep;

static void rep_reset(void)
{
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
    diag_ctx_t ctx = {.role_forced = true, .labels_known = true, .labels_match = false,
                      .labels_seen = "app=frontend,tier=web", .selector = "app=backend",
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
    diag_ctx_t ctx = {.role_forced = true, .labels_known = true, .labels_match = false,
                      .labels_seen = "app=x", .selector = "app=y", .role = "frontend",
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
        cmocka_unit_test(test_listed_overrides),
        cmocka_unit_test(test_attempts),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_hint_every_outcome),
        cmocka_unit_test(test_hint_keywords),
        cmocka_unit_test(test_hint_unexpected_answer),
        cmocka_unit_test(test_hint_pg_password_facts),
        cmocka_unit_test(test_hint_namespace_and_secrets),
        cmocka_unit_test(test_diag_dns_blocked),
        cmocka_unit_test(test_diag_policy_not_enforced),
        cmocka_unit_test(test_diag_labels_and_cap),
        cmocka_unit_test(test_diag_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
