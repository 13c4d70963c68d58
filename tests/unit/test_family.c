/* test_family.c: family: all, fed values directly: the verdict over per-address outcomes
 * (verdict_worst, the judge), the compact text ("timeout (v4) / ok (v6)"), the report's
 * address objects through render and parse, and the hint for a deny held on one family. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hint.h"
#include "judge.h"
#include "report.h"
#include "verdict.h"

#define D OUTCOME_DEFAULT_DENY

static void test_worst(void **state)
{
    (void)state;
    outcome_t a[] = {OUTCOME_TIMEOUT, OUTCOME_OK};
    /* deny: the open address decides (fail). */
    assert_int_equal(verdict_worst(KIND_TCP, EXPECT_DENY, D, a, 2), 1);
    /* allow: the failing address decides. */
    assert_int_equal(verdict_worst(KIND_TCP, EXPECT_ALLOW, D, a, 2), 0);
    outcome_t b[] = {OUTCOME_TIMEOUT, OUTCOME_REFUSED, OUTCOME_UNREACHABLE};
    /* deny: refused (inconclusive) outranks the denied ones. */
    assert_int_equal(verdict_worst(KIND_UDP, EXPECT_DENY, D, b, 3), 1);
    outcome_t c[] = {OUTCOME_OK, OUTCOME_OK};
    assert_int_equal(verdict_worst(KIND_UDP, EXPECT_ALLOW, D, c, 2), 0); /* first on ties */
    /* udp: a reply that does not match still proves the path open. */
    outcome_t u[] = {OUTCOME_TIMEOUT, OUTCOME_BODY_MISMATCH};
    assert_int_equal(verdict_worst(KIND_UDP, EXPECT_DENY, D, u, 2), 1);
    assert_int_equal(verdict_judge(KIND_UDP, EXPECT_DENY, D, &u[1], 1, NULL), VERDICT_FAIL);
}

/* The judge, as the runner's callback, with made-up attempts. */
static probe_attempt_t mk_attempt(const char *addr, outcome_t o, double ms)
{
    probe_attempt_t a;
    memset(&a, 0, sizeof(a));
    snprintf(a.addr_str, sizeof(a.addr_str), "%s", addr);
    snprintf(a.detail, sizeof(a.detail), "d-%s", outcome_name(o));
    a.outcome = o;
    a.duration_ms = ms;
    a.dns_ms = a.connect_ms = a.tls_ms = a.first_byte_ms = -1;
    return a;
}

/* r: zeroed, or the result of an earlier run_judge (freed here); result_clear when done. */
static void run_judge(expect_t expect, probe_family_t fam, const outcome_t *oc, size_t n, result_t *r)
{
    result_clear(r);
    config_t cfg;
    config_probe_t p;
    memset(&cfg, 0, sizeof(cfg));
    memset(&p, 0, sizeof(p));
    cfg.deny_outcomes = D;
    cfg.attempts = 1;
    p.name = (char *)"dual";
    p.kind = KIND_TCP;
    p.expect = expect;
    p.host = (char *)"svc.test";
    p.port = 80;
    p.family = fam;
    const config_probe_t *pl[] = {&p};
    judge_t *j = judge_create(&cfg, pl, 1, r);
    assert_non_null(j);
    probe_attempt_t at[4];
    probe_attempt_t *ap[4];
    for (size_t i = 0; i < n; i++) {
        at[i] = mk_attempt(i % 2 ? "fd00::7" : "10.0.0.7", oc[i], 10.0 + (double)i);
        ap[i] = &at[i];
    }
    (void)judge_attempt(j, 0, ap, n);
    judge_probe_done(j, 0, 1, 12.5);
    hint_ctx_t hc = {.role = "r", .namespace_ = "ns"};
    assert_int_equal(judge_finish(j, &hc), 0);
    judge_destroy(j);
}

static void test_judge_addresses(void **state)
{
    (void)state;
    result_t r = {0};
    outcome_t v4_denied_v6_open[] = {OUTCOME_TIMEOUT, OUTCOME_OK};
    run_judge(EXPECT_DENY, FAMILY_ALL, v4_denied_v6_open, 2, &r);
    assert_int_equal(r.verdict, VERDICT_FAIL);
    assert_int_equal(r.outcome, OUTCOME_OK);
    assert_int_equal(r.n_addr_results, 2);
    char ip[RESULT_ADDR_LEN];
    assert_string_equal(ip_addr_format(&r.addr_results[0].address, ip), "10.0.0.7");
    assert_int_equal(r.addr_results[0].outcome, OUTCOME_TIMEOUT);
    assert_int_equal(r.addr_results[1].outcome, OUTCOME_OK);
    assert_string_equal(result_text(&r, RESULT_DETAIL), "fd00::7: d-ok");
    /* The hint names the family that held and the one that did not, and the usual cause. */
    assert_non_null(strstr(result_text(&r, RESULT_HINT), "held over IPv4 but not over IPv6"));
    assert_non_null(strstr(result_text(&r, RESULT_HINT), "except"));

    outcome_t both_denied[] = {OUTCOME_TIMEOUT, OUTCOME_UNREACHABLE};
    run_judge(EXPECT_DENY, FAMILY_ALL, both_denied, 2, &r);
    assert_int_equal(r.verdict, VERDICT_PASS);
    assert_string_equal(result_text(&r, RESULT_HINT), "");

    outcome_t allow_v6_fails[] = {OUTCOME_OK, OUTCOME_TIMEOUT};
    run_judge(EXPECT_ALLOW, FAMILY_ALL, allow_v6_fails, 2, &r);
    assert_int_equal(r.verdict, VERDICT_FAIL);
    assert_int_equal(r.outcome, OUTCOME_TIMEOUT);
    assert_non_null(strstr(result_text(&r, RESULT_HINT), "over IPv4 but not over IPv6"));

    outcome_t all_ok[] = {OUTCOME_OK, OUTCOME_OK};
    run_judge(EXPECT_ALLOW, FAMILY_ALL, all_ok, 2, &r);
    assert_int_equal(r.verdict, VERDICT_PASS);

    /* family any: one address, no per-address list (the report keeps its string list). */
    outcome_t one[] = {OUTCOME_OK};
    run_judge(EXPECT_ALLOW, FAMILY_ANY, one, 1, &r);
    assert_int_equal(r.verdict, VERDICT_PASS);
    assert_int_equal(r.n_addr_results, 0);
    assert_int_equal(r.attempts, 1);
    result_clear(&r);
}

static void test_text_and_round_trip(void **state)
{
    (void)state;
    result_t res[2];
    memset(res, 0, sizeof(res));
    report_t rep;
    memset(&rep, 0, sizeof(rep));
    snprintf(rep.role, sizeof(rep.role), "r");
    rep.results = res;
    rep.n_results = 2;
    for (int i = 0; i < 2; i++) {
        snprintf(res[i].name, sizeof(res[i].name), "p%d", i);
        result_printf(&res[i], RESULT_TARGET, "svc.test:80");
        res[i].kind = KIND_UDP;
        res[i].expect = EXPECT_DENY;
        res[i].dns_ms = res[i].connect_ms = res[i].tls_ms = res[i].first_byte_ms = -1;
        res[i].attempts = 1;
    }
    res[0].verdict = VERDICT_FAIL;
    res[0].outcome = OUTCOME_OK;
    ip_addr_t a[3];
    assert_true(ip_addr_parse("10.0.0.7", &a[0]));
    assert_true(ip_addr_parse("fd00::7", &a[1]));
    assert_true(ip_addr_parse("10.0.0.8", &a[2]));
    assert_int_equal(result_set_addrs(&res[0], a, 2), 0);
    const result_addr_t per[2] = {{.address = a[0], .outcome = OUTCOME_TIMEOUT, .duration_ms = 800.0},
                                  {.address = a[1], .outcome = OUTCOME_OK, .duration_ms = 1.5}};
    assert_int_equal(result_set_addr_results(&res[0], per, 2), 0);
    res[1].outcome = OUTCOME_TIMEOUT;
    assert_int_equal(result_set_addrs(&res[1], &a[2], 1), 0);

    char buf[RESULT_OUTCOME_TEXT_LEN];
    report_outcome_text(&res[0], buf, sizeof(buf));
    assert_string_equal(buf, "timeout (v4) / ok (v6)");
    report_outcome_text(&res[1], buf, sizeof(buf));
    assert_string_equal(buf, "timeout");
    char tiny[10];
    report_outcome_text(&res[0], tiny, sizeof(tiny)); /* cut, terminated */
    assert_true(strlen(tiny) < sizeof(tiny));

    char *json = report_render_json(&rep, "0.1.0");
    assert_non_null(json);
    assert_non_null(strstr(json, "{ \"address\": \"fd00::7\", \"outcome\": \"ok\", \"duration_ms\": 1.5 }"));
    assert_non_null(strstr(json, "\"addresses\": [\"10.0.0.8\"]"));
    char err[256];
    report_t back;
    if (report_parse_json(json, strlen(json), &back, err, sizeof(err)) != 0)
        fail_msg("parse: %s", err);
    assert_int_equal(back.results[0].n_addr_results, 2);
    assert_int_equal(back.results[0].addr_results[0].outcome, OUTCOME_TIMEOUT);
    assert_int_equal(back.results[1].n_addr_results, 0);
    char *again = report_render_json(&back, "0.1.0");
    assert_non_null(again);
    assert_string_equal(json, again);
    char *text = report_render_text(&back, false);
    assert_non_null(text);
    assert_non_null(strstr(text, "timeout (v4) / ok (v6)"));
    free(text);
    report_free(&back);
    free(again);

    /* Strings and objects do not mix in one list. */
    char *mixed = strdup(json);
    assert_non_null(mixed);
    char *first = strstr(mixed,
                         "{ \"address\": \"10.0.0.7\", \"outcome\": \"timeout\", \"duration_ms\": 800 }");
    assert_non_null(first);
    const char *str = "\"10.0.0.7\"";
    size_t objlen = strlen("{ \"address\": \"10.0.0.7\", \"outcome\": \"timeout\", \"duration_ms\": 800 }");
    memset(first, ' ', objlen);
    memcpy(first, str, strlen(str));
    assert_int_not_equal(report_parse_json(mixed, strlen(mixed), &back, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "all be address strings or all objects"));
    free(mixed);

    /* A malformed address object is refused with its path. */
    char *bad = strdup(json);
    assert_non_null(bad);
    char *o = strstr(bad, "\"outcome\": \"ok\", \"duration_ms\"");
    memcpy(o, "\"outcome\": \"xx\"", 15);
    assert_int_not_equal(report_parse_json(bad, strlen(bad), &back, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "outcome"));
    free(bad);

    /* A non-canonical IPv6 text (hand-edited) reads back canonical, then renders stably. */
    const char *from = "\"addresses\": [\"10.0.0.8\"]";
    const char *to = "\"addresses\": [\"10.0.0.8\", \"FD00:0:0::0008\"]";
    char *at = strstr(json, from);
    assert_non_null(at);
    size_t n = strlen(json) + strlen(to) + 1;
    char *nc = malloc(n);
    assert_non_null(nc);
    snprintf(nc, n, "%.*s%s%s", (int)(at - json), json, to, at + strlen(from));
    if (report_parse_json(nc, strlen(nc), &back, err, sizeof(err)) != 0)
        fail_msg("parse: %s", err);
    char *r1 = report_render_json(&back, "0.1.0");
    report_free(&back);
    assert_non_null(r1);
    assert_non_null(strstr(r1, "\"addresses\": [\"10.0.0.8\", \"fd00::8\"]"));
    if (report_parse_json(r1, strlen(r1), &back, err, sizeof(err)) != 0)
        fail_msg("parse: %s", err);
    char *r2 = report_render_json(&back, "0.1.0");
    report_free(&back);
    assert_non_null(r2);
    assert_string_equal(r1, r2);
    free(r1);
    free(r2);
    free(nc);
    free(json);
    result_clear(&res[0]);
    result_clear(&res[1]);
}

/* Addresses are kept in binary: the agent's own (inet_ntop) text renders back byte for byte,
 * a non-canonical IPv6 text reads back canonical and then stays stable, and anything
 * inet_pton does not take (zone, brackets, leading zeros, names) is refused. */
static void test_address_text(void **state)
{
    (void)state;
    static const char *const same[] = {
        "0.0.0.0",           "192.0.2.255",      "::",      "::1",
        "2001:db8::1:0:0:1", "::ffff:192.0.2.1", "fe80::1", "2001:db8:0:1:1:1:1:1"};
    static const char *const canon[][2] = {{"2001:DB8::1", "2001:db8::1"},
                                           {"2001:0db8:0000::0001", "2001:db8::1"},
                                           {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
                                           {"::FFFF:c000:0201", "::ffff:192.0.2.1"},
                                           {"0:0:0:0:0:0:0:1", "::1"}};
    static const char *const bad[] = {"",      "fe80::1%eth0", "[::1]",    "010.0.0.1",
                                      "1.2.3", "svc.test",     "1.2.3.4 ", "2001:db8::1::2"};
    char buf[RESULT_ADDR_LEN];
    ip_addr_t ip, ip2;
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        assert_true(ip_addr_parse(same[i], &ip));
        assert_string_equal(ip_addr_format(&ip, buf), same[i]);
        assert_int_equal(ip_addr_is_v6(&ip), strchr(same[i], ':') != NULL);
    }
    for (size_t i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
        assert_true(ip_addr_parse(canon[i][0], &ip));
        assert_string_equal(ip_addr_format(&ip, buf), canon[i][1]);
        assert_true(ip_addr_parse(buf, &ip2));
        assert_memory_equal(&ip, &ip2, sizeof(ip));
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(ip_addr_parse(bad[i], &ip));
        assert_int_equal(ip.family, IP_ADDR_NONE);
        assert_string_equal(ip_addr_format(&ip, buf), "");
    }
    /* One address type for results, answers, objects and CIDR blocks: length and equality. */
    assert_false(ip_addr_parse(NULL, &ip));
    assert_int_equal(ip_addr_len(&ip), 0);
    assert_true(ip_addr_parse("10.0.0.7", &ip));
    assert_int_equal(ip_addr_len(&ip), 4);
    assert_true(ip_addr_parse("10.0.0.7", &ip2));
    assert_true(ip_addr_equal(&ip, &ip2));
    assert_true(ip_addr_parse("10.0.0.8", &ip2));
    assert_false(ip_addr_equal(&ip, &ip2));
    assert_true(ip_addr_parse("::ffff:10.0.0.7", &ip2)); /* another family: not equal */
    assert_int_equal(ip_addr_len(&ip2), 16);
    assert_false(ip_addr_equal(&ip, &ip2));
}

/* A socket address (an ICMP error's offender, a resolver's answer) reads as its address, the
 * port left out; a family with no address (AF_UNSPEC: the kernel knew no offender) is none. */
static void test_address_from_sockaddr(void **state)
{
    (void)state;
    char buf[IP_ADDR_TEXT_LEN];
    ip_addr_t ip;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(53)};
    assert_int_equal(inet_pton(AF_INET, "192.0.2.7", &sin.sin_addr), 1);
    assert_true(ip_addr_from_sockaddr((const struct sockaddr *)&sin, &ip));
    assert_string_equal(ip_addr_format(&ip, buf), "192.0.2.7");
    assert_int_equal(ip_addr_len(&ip), 4);
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(53)};
    assert_int_equal(inet_pton(AF_INET6, "2001:db8::5", &sin6.sin6_addr), 1);
    assert_true(ip_addr_from_sockaddr((const struct sockaddr *)&sin6, &ip));
    assert_string_equal(ip_addr_format(&ip, buf), "2001:db8::5");
    assert_true(ip_addr_is_v6(&ip));
    struct sockaddr_storage none = {.ss_family = AF_UNSPEC};
    assert_false(ip_addr_from_sockaddr((const struct sockaddr *)&none, &ip)); /* ip held 2001:db8::5 */
    assert_int_equal(ip.family, IP_ADDR_NONE);
    assert_string_equal(ip_addr_format(&ip, buf), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worst),
        cmocka_unit_test(test_judge_addresses),
        cmocka_unit_test(test_text_and_round_trip),
        cmocka_unit_test(test_address_text),
        cmocka_unit_test(test_address_from_sockaddr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
