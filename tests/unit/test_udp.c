/* test_udp.c: the pure parts of the udp kind (probes/udp.c): the \xNN escape parser, the ICMP
 * error map, the reply check, and its config keys (errors with their JSON path). */
#include "config_test.h"

#include <linux/errqueue.h>

#include "probe.h"
#include "udp.h"

static long unesc(const char *s, unsigned char *out, size_t cap, char *err)
{
    return udp_unescape(s, out, cap, err, 128);
}

static void test_unescape(void **state)
{
    (void)state;
    unsigned char out[16];
    char err[128];
    assert_int_equal(unesc("", out, sizeof(out), err), 0);
    assert_int_equal(unesc("abc", out, sizeof(out), err), 3);
    assert_memory_equal(out, "abc", 3);
    assert_int_equal(unesc("\\x00\\xff\\x41\\x7a", out, sizeof(out), err), 4);
    assert_memory_equal(out, "\x00\xff\x41\x7a", 4);
    assert_int_equal(unesc("a\\\\b", out, sizeof(out), err), 3);
    assert_memory_equal(out, "a\\b", 3);
    assert_int_equal(unesc("\\xAb\\xcD", out, sizeof(out), err), 2);
    assert_memory_equal(out, "\xab\xcd", 2);
    /* Bad escapes: a reason, never a guess. */
    assert_int_equal(unesc("\\x4", out, sizeof(out), err), -1);
    assert_non_null(strstr(err, "two hex digits"));
    assert_int_equal(unesc("\\xg0", out, sizeof(out), err), -1);
    assert_int_equal(unesc("\\n", out, sizeof(out), err), -1);
    assert_non_null(strstr(err, "bad escape at byte 0"));
    assert_int_equal(unesc("ab\\", out, sizeof(out), err), -1);
    assert_non_null(strstr(err, "bad escape at byte 2"));
    /* The cap counts decoded bytes. */
    assert_int_equal(unesc("\\x01\\x02\\x03\\x04", out, 4, err), 4);
    assert_int_equal(unesc("12345", out, 4, err), -1);
    assert_non_null(strstr(err, "longer than 4 bytes"));
}

static void test_icmp_map(void **state)
{
    (void)state;
    bool ign;
    assert_int_equal(udp_icmp_outcome(SO_EE_ORIGIN_ICMP, 3, 3, &ign), OUTCOME_REFUSED);
    assert_false(ign);
    assert_int_equal(udp_icmp_outcome(SO_EE_ORIGIN_ICMP, 3, 0, &ign), OUTCOME_UNREACHABLE);
    assert_int_equal(udp_icmp_outcome(SO_EE_ORIGIN_ICMP, 3, 1, &ign), OUTCOME_UNREACHABLE);
    assert_int_equal(udp_icmp_outcome(SO_EE_ORIGIN_ICMP, 3, 13, &ign), OUTCOME_UNREACHABLE);
    assert_int_equal(udp_icmp_outcome(SO_EE_ORIGIN_ICMP, 11, 0, &ign), OUTCOME_UNREACHABLE);
    (void)udp_icmp_outcome(SO_EE_ORIGIN_ICMP, 3, 4, &ign); /* fragmentation needed */
    assert_true(ign);
    assert_int_equal(udp_icmp_outcome(SO_EE_ORIGIN_ICMP6, 1, 4, &ign), OUTCOME_REFUSED);
    assert_false(ign);
    assert_int_equal(udp_icmp_outcome(SO_EE_ORIGIN_ICMP6, 1, 1, &ign), OUTCOME_UNREACHABLE);
    assert_int_equal(udp_icmp_outcome(SO_EE_ORIGIN_ICMP6, 1, 3, &ign), OUTCOME_UNREACHABLE);
    assert_int_equal(udp_icmp_outcome(SO_EE_ORIGIN_ICMP6, 3, 0, &ign), OUTCOME_UNREACHABLE);
    (void)udp_icmp_outcome(SO_EE_ORIGIN_ICMP6, 2, 0, &ign); /* packet too big */
    assert_true(ign);
    (void)udp_icmp_outcome(SO_EE_ORIGIN_LOCAL, 0, 0, &ign);
    assert_true(ign);
}

static void test_reply_match(void **state)
{
    (void)state;
    const unsigned char r[] = {'p', 'o', 'n', 'g', 0, 'x'};
    assert_true(udp_reply_matches(r, sizeof(r), NULL, 0)); /* any */
    assert_true(udp_reply_matches(r, 0, NULL, 0));         /* an empty datagram is a reply */
    assert_true(udp_reply_matches(r, sizeof(r), (const unsigned char *)"g\0x", 3)); /* binary */
    assert_false(udp_reply_matches(r, sizeof(r), (const unsigned char *)"pongx", 5));
    assert_false(udp_reply_matches(r, 3, (const unsigned char *)"pong", 4));
}

#define UDP "'name':'u','kind':'udp','host':'dns.example','port':53,'expect':'allow'"

static void test_config(void **state)
{
    (void)state;
    config_t *cfg = parse_ok(HEAD OK2 "{" UDP ",'send':'\\\\x00\\\\x01ab','expect_reply':'any'}" TAIL);
    const config_probe_t *p = &cfg->roles[0].probes[2];
    assert_int_equal(p->kind, KIND_UDP);
    assert_int_equal(p->port, 53);
    assert_non_null(p->kind_data);
    char t[64];
    config_probe_target(p, t, sizeof(t));
    assert_string_equal(t, "dns.example:53");
    config_free(cfg);
    cfg = parse_ok(
        HEAD OK2
        "{'name':'u','kind':'udp','host':'[fd00::1]','port':5353,'expect':'deny','family':'all'}" TAIL);
    p = &cfg->roles[0].probes[2];
    assert_int_equal(p->family, FAMILY_ALL);
    config_probe_target(p, t, sizeof(t));
    assert_string_equal(t, "[fd00::1]:5353");
    config_free(cfg);

    expect_err(HEAD OK2 "{'name':'u','kind':'udp','host':'h','port':0,'expect':'allow'}" TAIL,
               P "port: must be 1..65535");
    expect_err(HEAD OK2 "{'name':'u','kind':'udp','port':53,'expect':'allow'}" TAIL,
               P "host: required for kind udp");
    expect_err(HEAD OK2 "{" UDP ",'send':'\\\\q'}" TAIL,
               P "send: bad escape at byte 0: only \\xNN and \\\\ are escapes");
    expect_err(HEAD OK2 "{" UDP ",'expect_reply':'\\\\x1'}" TAIL,
               P "expect_reply: bad escape at byte 0: \\x needs two hex digits");
    expect_err(HEAD OK2 "{" UDP ",'send':7}" TAIL, P "send: must be a string");
    expect_err(HEAD OK2 "{" UDP ",'url':'http://x/'}" TAIL, P "url: unknown key for kind udp");
    expect_err(HEAD OK2 "{" TCP ",'send':'x'}" TAIL, P "send: unknown key for kind tcp");
    expect_err(HEAD OK2 "{" UDP ",'family':'ipv5'}" TAIL, P "family: must be one of any, ipv4, ipv6, all");
    expect_err(HEAD OK2 "{" DNS ",'family':'all'}" TAIL, P "family: unknown key for kind dns");

    /* 64 KiB after decoding is the cap: one byte more is an error. */
    size_t n = 65537;
    char *big = malloc(sizeof(HEAD OK2 "{" UDP ",'send':''}" TAIL) + n);
    assert_non_null(big);
    int off = sprintf(big, "%s", HEAD OK2 "{" UDP ",'send':'");
    memset(big + off, 'a', n);
    sprintf(big + off + n, "%s", "'}" TAIL);
    expect_err(big, P "send: longer than 65536 bytes");
    big[off + n - 1] = '\'';
    sprintf(big + off + n - 1, "%s", "'}" TAIL);
    config_free(parse_ok(big));
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unescape),
        cmocka_unit_test(test_icmp_map),
        cmocka_unit_test(test_reply_match),
        cmocka_unit_test(test_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
