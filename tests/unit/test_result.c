/* test_result.c: what a result owns (result.c): texts cut at their caps on a character
 * boundary, address lists capped, deep copies that share nothing, moves that leave the source
 * empty, and the policy answer's references and reason. The sanitizer build checks that every
 * path frees what it took. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "result.h"

/* True when s is valid UTF-8 that does not end inside a sequence. */
static bool utf8_whole(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : 4;
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xc0) != 0x80)
                return false;
        p += n;
    }
    return true;
}

static void test_text_cut_and_empty(void **state)
{
    (void)state;
    result_t r = {0};
    assert_string_equal(result_text(&r, RESULT_HINT), ""); /* none reads as "" */
    assert_int_equal(result_set_text(&r, RESULT_TARGET, "db:5432"), 0);
    assert_string_equal(result_text(&r, RESULT_TARGET), "db:5432");
    assert_int_equal(result_set_text(&r, RESULT_TARGET, ""), 0);
    assert_null(r.text[RESULT_TARGET]); /* "" holds nothing */
    assert_int_equal(result_set_text(&r, RESULT_TARGET, NULL), 0);
    assert_string_equal(result_text(&r, RESULT_TARGET), "");

    /* 300 two-byte characters: cut to at most 255 bytes, never inside a character. */
    char long_detail[601];
    for (size_t i = 0; i < 300; i++)
        memcpy(long_detail + 2 * i, "\xc3\xa9", 2);
    long_detail[600] = '\0';
    assert_int_equal(result_set_text(&r, RESULT_DETAIL, long_detail), 0);
    size_t n = strlen(result_text(&r, RESULT_DETAIL));
    assert_true(n <= RESULT_DETAIL_LEN - 1 && n >= RESULT_DETAIL_LEN - 3);
    assert_true(utf8_whole(result_text(&r, RESULT_DETAIL)));

    /* Each text has its own cap. */
    char big[1000];
    memset(big, 'h', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(result_printf(&r, RESULT_HINT, "%s", big), 0);
    assert_int_equal(strlen(result_text(&r, RESULT_HINT)), RESULT_HINT_LEN - 1);
    assert_int_equal(result_set_text(&r, RESULT_TARGET, big), 0);
    assert_int_equal(strlen(result_text(&r, RESULT_TARGET)), RESULT_TARGET_LEN - 1);
    assert_int_equal(result_printf(&r, RESULT_DETAIL, "%s: %d", "port", 5432), 0);
    assert_string_equal(result_text(&r, RESULT_DETAIL), "port: 5432");
    result_clear(&r);
    assert_null(r.text[RESULT_DETAIL]);
    result_clear(&r); /* twice is harmless */
}

static void test_addresses(void **state)
{
    (void)state;
    result_t r = {0};
    ip_addr_t a[RESULT_MAX_ADDRS + 4];
    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
        char txt[32];
        snprintf(txt, sizeof(txt), "192.0.2.%zu", i + 1);
        assert_true(ip_addr_parse(txt, &a[i]));
    }
    assert_int_equal(result_set_addrs(&r, a, 2), 0);
    assert_int_equal(r.n_addrs, 2);
    assert_true(ip_addr_equal(&r.addrs[1], &a[1]));
    /* More than RESULT_MAX_ADDRS: the first RESULT_MAX_ADDRS are kept. */
    assert_int_equal(result_set_addrs(&r, a, sizeof(a) / sizeof(a[0])), 0);
    assert_int_equal(r.n_addrs, RESULT_MAX_ADDRS);
    assert_true(ip_addr_equal(&r.addrs[RESULT_MAX_ADDRS - 1], &a[RESULT_MAX_ADDRS - 1]));
    assert_int_equal(result_set_addrs(&r, a, 0), 0);
    assert_null(r.addrs);
    assert_int_equal(r.n_addrs, 0);
    result_addr_t per[2] = {{.address = a[0], .outcome = OUTCOME_TIMEOUT, .duration_ms = 800},
                            {.address = a[1], .outcome = OUTCOME_OK, .duration_ms = 1.5}};
    assert_int_equal(result_set_addr_results(&r, per, 2), 0);
    assert_int_equal(r.addr_results[1].outcome, OUTCOME_OK);
    result_clear(&r);
}

static void test_copy_and_move(void **state)
{
    (void)state;
    result_t a = {0}, b, c = {0};
    snprintf(a.name, sizeof(a.name), "p");
    a.verdict = VERDICT_FAIL;
    ip_addr_t ip;
    assert_true(ip_addr_parse("2001:db8::1", &ip));
    assert_int_equal(result_set_text(&a, RESULT_TARGET, "api:443"), 0);
    assert_int_equal(result_set_text(&a, RESULT_HINT, "check the egress rule"), 0);
    assert_int_equal(result_set_addrs(&a, &ip, 1), 0);

    assert_int_equal(result_copy(&b, &a), 0);
    assert_string_equal(b.name, "p");
    assert_int_equal(b.verdict, VERDICT_FAIL);
    assert_string_equal(result_text(&b, RESULT_HINT), "check the egress rule");
    assert_ptr_not_equal(b.text[RESULT_HINT], a.text[RESULT_HINT]); /* shares nothing */
    assert_ptr_not_equal(b.addrs, a.addrs);
    assert_null(b.text[RESULT_DETAIL]);
    assert_int_equal(result_set_text(&b, RESULT_HINT, "other"), 0);
    assert_string_equal(result_text(&a, RESULT_HINT), "check the egress rule");

    /* A move frees what dst held and leaves src empty. */
    assert_int_equal(result_set_text(&c, RESULT_DETAIL, "held before"), 0);
    result_move(&c, &b);
    assert_string_equal(result_text(&c, RESULT_HINT), "other");
    assert_null(c.text[RESULT_DETAIL]);
    assert_null(b.text[RESULT_HINT]);
    assert_null(b.addrs);
    assert_int_equal(b.n_addrs, 0);
    result_move(&c, &c); /* onto itself: unchanged */
    assert_string_equal(result_text(&c, RESULT_TARGET), "api:443");
    result_clear(&a);
    result_clear(&b);
    result_clear(&c);
}

static void test_policy_answer(void **state)
{
    (void)state;
    result_policy_t p = {0}, q;
    assert_string_equal(result_policy_reason(&p), "");
    for (int i = 0; i < RESULT_POLICY_BY_MAX + 2; i++)
        assert_int_equal(result_policy_add_by(&p, i == 1 ? "" : "govtech/backend-egress", true, i), 0);
    assert_int_equal(p.n_by, RESULT_POLICY_BY_MAX); /* the rest are dropped */
    assert_string_equal(p.by[1].policy, "");        /* never NULL */
    assert_int_equal(p.by[3].rule, 3);

    char name[400];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    result_policy_clear(&p);
    assert_int_equal(result_policy_add_by(&p, name, false, 0), 0);
    assert_int_equal(strlen(p.by[0].policy), RESULT_POLICY_NAME_LEN - 1);

    char reason[RESULT_POLICY_REASON_LEN + 50];
    memset(reason, 'r', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = '\0';
    assert_int_equal(result_policy_set_reason(&p, reason), 0);
    assert_int_equal(strlen(result_policy_reason(&p)), RESULT_POLICY_REASON_LEN - 1);
    snprintf(p.intended, sizeof(p.intended), "deny");

    assert_int_equal(result_policy_copy(&q, &p), 0);
    assert_string_equal(q.intended, "deny");
    assert_int_equal(q.n_by, 1);
    assert_ptr_not_equal(q.by[0].policy, p.by[0].policy);
    assert_string_equal(q.by[0].policy, p.by[0].policy);
    assert_string_equal(result_policy_reason(&q), result_policy_reason(&p));
    result_policy_clear(&p);
    result_policy_clear(&q);
    assert_null(q.by);
}

/* A report read back holds one record per result (merge: up to 10,000 a report, from a pod
 * that may be hostile): its fixed part must stay small, or a report of minimal results costs
 * many times its JSON (a 2,208-byte record made 9.7x; docs/hardening.md promises 8x). The
 * smallest result the schema accepts is about 200 bytes of JSON. */
static void test_fixed_part_small(void **state)
{
    (void)state;
    assert_true(sizeof(result_t) <= 512);
    assert_true(sizeof(result_policy_t) <= 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_cut_and_empty), cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_copy_and_move),      cmocka_unit_test(test_policy_answer),
        cmocka_unit_test(test_fixed_part_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
