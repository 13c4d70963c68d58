/* test_hint.c: the hints of the reference, one sentence per non-pass result, fed values
 * directly (hint.c is pure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hint.h"
#include "result_test.h"
#include "verdict.h"

/* ---- hints ---- */

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
    probe_kind_t kinds[] = {KIND_TCP, KIND_HTTP, KIND_HTTPS, KIND_POSTGRES, KIND_DNS, KIND_UDP};
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
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
                    verdict_t v = verdict_judge(kinds[k], (expect_t)e, OUTCOME_DEFAULT_DENY, &oc, 1, &dec);
                    result_t r = mk("p1", kinds[k], (expect_t)e, target, oc, v);
                    const char *h = hint_of(&r, "govtech");
                    if (pass == 1) { /* every field at its maximum */
                        memset(r.name, 'n', sizeof(r.name) - 1);
                        hint_ctx_t big = {.role = longrole, .namespace_ = longns};
                        hint_write(&r, &big, hintbuf, sizeof(hintbuf));
                        h = hintbuf;
                    }
                    result_clear(&r); /* h is hintbuf, not r's */
                    size_t n = strlen(h);
                    if (v == VERDICT_PASS) {
                        assert_int_equal(n, 0);
                        continue;
                    }
                    if (n < 40 || n >= RESULT_HINT_LEN - 1 || h[n - 1] != '.')
                        fail_msg("kind %d expect %d outcome %s: bad hint (%zu) \"%s\"", kinds[k], e,
                                 outcome_name(oc), n, h);
                }
            }
        }
    }
}

static void expect_words(probe_kind_t k, expect_t e, outcome_t o, const char *w1, const char *w2)
{
    size_t dec;
    verdict_t v = verdict_judge(k, e, OUTCOME_DEFAULT_DENY, &o, 1, &dec);
    result_t r = mk("p", k, e, target_for(k), o, v);
    const char *h = hint_of(&r, "govtech");
    if (strstr(h, w1) == NULL || (w2 != NULL && strstr(h, w2) == NULL))
        fail_msg("%s/%s: hint lacks \"%s\"/\"%s\": %s", outcome_name(o), e == EXPECT_DENY ? "deny" : "allow",
                 w1, w2 ? w2 : "", h);
    result_clear(&r);
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
    expect_words(KIND_TCP, EXPECT_ALLOW, OUTCOME_REFUSED, "kubectl get endpoints -n govtech", "listens");
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
    expect_words(KIND_UDP, EXPECT_DENY, OUTCOME_OK, "no `to`", "k8s-app: kube-dns");
    expect_words(KIND_UDP, EXPECT_DENY, OUTCOME_BODY_MISMATCH, "any resolver", "CNI");
    expect_words(KIND_UDP, EXPECT_ALLOW, OUTCOME_TIMEOUT, "protocol: UDP", NULL);
    expect_words(KIND_HTTP, EXPECT_DENY, OUTCOME_HTTP_STATUS, "CNI",
                 "kubectl get networkpolicies -n govtech");
    expect_words(KIND_DNS, EXPECT_DENY, OUTCOME_DNS_NXDOMAIN, "53", "podSelector");
    /* deny inconclusive. */
    expect_words(KIND_TCP, EXPECT_DENY, OUTCOME_DNS_TIMEOUT, "not tested", "53");
    expect_words(KIND_TCP, EXPECT_DENY, OUTCOME_DNS_NXDOMAIN, "not tested", "fix DNS");
    expect_words(KIND_TCP, EXPECT_DENY, OUTCOME_REFUSED, "\"refused\"", "deny_outcomes");
    expect_words(KIND_HTTPS, EXPECT_DENY, OUTCOME_CIDR_MISMATCH, "not tested", "resolved_within");
    expect_words(KIND_TCP, EXPECT_DENY, OUTCOME_ERROR, "internal error", "not tested");
}

/* Only a reply on UDP 53 is blamed on a DNS egress rule; another UDP port that got through
 * gets the hint of any open deny (labels, default-deny, CNI). */
static void test_hint_udp_deny_port(void **state)
{
    (void)state;
    result_t r = mk("no-statsd", KIND_UDP, EXPECT_DENY, "backend-service:8125", OUTCOME_OK, VERDICT_FAIL);
    const char *h = hint_of(&r, "govtech");
    assert_null(strstr(h, "kube-dns"));
    assert_non_null(strstr(h, "podSelector"));
    result_clear(&r);
    r = mk("no-dns", KIND_UDP, EXPECT_DENY, "dns.google:53", OUTCOME_OK, VERDICT_FAIL);
    assert_non_null(strstr(hint_of(&r, "govtech"), "kube-dns"));
    result_clear(&r);
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
    result_printf(&r, RESULT_DETAIL, "old-service A: expected NXDOMAIN, got 1 address(es)");
    assert_non_null(strstr(hint_of(&r, "govtech"), "SERVFAIL"));
    result_clear(&r);
}

/* The judge keeps RESULT_HOST_LEN - 1 bytes of a host: the hint cuts it shorter still (with
 * "..."), so a 253-byte DNS name gives the hint it gave when the whole name was kept. */
static void test_hint_long_host(void **state)
{
    (void)state;
    char full[254];
    memset(full, 'a', sizeof(full) - 1);
    full[sizeof(full) - 1] = '\0';
    result_t r = mk("api", KIND_TCP, EXPECT_ALLOW, "x:443", OUTCOME_TIMEOUT, VERDICT_FAIL);
    r.port = 443;
    memcpy(r.host, full, sizeof(r.host) - 1); /* what judge_create keeps of it */
    r.host[sizeof(r.host) - 1] = '\0';
    char h[RESULT_HINT_LEN];
    snprintf(h, sizeof(h), "%s", hint_of(&r, "govtech"));
    assert_non_null(strstr(h, "aaa..."));
    assert_null(strstr(h, full + sizeof(full) - 1 - 78)); /* 78 a's: never the whole host */
    r.host[RESULT_HOST_LEN - 2] = '\0';                   /* one byte shorter: still longer than any cut */
    assert_string_equal(hint_of(&r, "govtech"), h);
    result_clear(&r);
}

/* A postgres password the probe could not read: the hint comes from the fact postgres.c
 * recorded, not from the detail's wording. */
static void test_hint_pg_password_facts(void **state)
{
    (void)state;
    result_t r = mk("pg", KIND_POSTGRES, EXPECT_ALLOW, "db:5432", OUTCOME_ERROR, VERDICT_FAIL);
    result_printf(&r, RESULT_DETAIL, "password_env PGPW is not set");
    assert_non_null(strstr(hint_of(&r, "ns"), "internal error"));
    r.facts = RESULT_FACT_PASSWORD_ENV;
    assert_non_null(strstr(hint_of(&r, "ns"), "secretKeyRef"));
    r.facts = RESULT_FACT_PASSWORD_FILE;
    assert_non_null(strstr(hint_of(&r, "ns"), "mount the Secret"));
    result_clear(&r);
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
        result_clear(&r);
        r = mk("p", KIND_HTTP, EXPECT_ALLOW, "http://bob:s3cret@api.example:8080/x?token=T0K", (outcome_t)o,
               o == OUTCOME_OK ? VERDICT_PASS : VERDICT_FAIL);
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
    result_clear(&r);
    r = mk("p", KIND_DNS, EXPECT_ALLOW, "api.internal AAAA @10.96.0.10", OUTCOME_DNS_NXDOMAIN, VERDICT_FAIL);
    assert_non_null(strstr(hint_of(&r, "ns"), "The name api.internal does not exist"));
    result_clear(&r);
    r = mk("p", KIND_DNS, EXPECT_ALLOW, "api.internal/A@10.96.0.10", OUTCOME_DNS_NXDOMAIN, VERDICT_FAIL);
    assert_non_null(strstr(hint_of(&r, "ns"), "The name api.internal does not exist"));
    /* IPv6 literal targets. */
    result_clear(&r);
    r = mk("p", KIND_TCP, EXPECT_ALLOW, "[fd00::1]:5432", OUTCOME_TIMEOUT, VERDICT_FAIL);
    assert_non_null(strstr(hint_of(&r, "ns"), "port 5432"));
    /* Tiny buffers are cut, terminated, never overrun. */
    char small[8];
    memset(small, 'x', sizeof(small));
    hint_write(&r, NULL, small, sizeof(small));
    assert_int_equal(strlen(small), 7);
    hint_write(&r, NULL, small, 0); /* no write at all */
    result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hint_every_outcome),         cmocka_unit_test(test_hint_keywords),
        cmocka_unit_test(test_hint_unexpected_answer),     cmocka_unit_test(test_hint_udp_deny_port),
        cmocka_unit_test(test_hint_pg_password_facts),     cmocka_unit_test(test_hint_long_host),
        cmocka_unit_test(test_hint_namespace_and_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
