/* test_cidr.c: CIDR parsing (host bits, prefixes, garbage) and membership. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"

static cidr_t parse_ok(const char *text)
{
    cidr_t c;
    char err[128] = "";
    int rc = cidr_parse(text, &c, err, sizeof(err));
    if (rc != 0)
        print_error("cidr_parse(%s): %s\n", text, err);
    assert_int_equal(rc, 0);
    return c;
}

static bool in(const char *block, const char *addr)
{
    cidr_t c = parse_ok(block);
    cidr_list_t l = {&c, 1};
    return cidr_list_contains_str(&l, addr);
}

static void test_parse_v4(void **state)
{
    (void)state;
    cidr_t c = parse_ok("10.0.0.0/8");
    char buf[64];
    assert_int_equal(c.net.family, AF_INET);
    assert_int_equal(c.prefix, 8);
    assert_int_equal(c.net.bytes[0], 10);
    assert_int_equal(c.net.bytes[1], 0);
    cidr_format(&c, buf, sizeof(buf));
    assert_string_equal(buf, "10.0.0.0/8");
    c = parse_ok("52.46.128.0/19");
    cidr_format(&c, buf, sizeof(buf));
    assert_string_equal(buf, "52.46.128.0/19");
}

static void test_parse_v6(void **state)
{
    (void)state;
    cidr_t c = parse_ok("2001:db8::/32");
    char buf[64];
    assert_int_equal(c.net.family, AF_INET6);
    assert_int_equal(c.prefix, 32);
    assert_int_equal(c.net.bytes[0], 0x20);
    assert_int_equal(c.net.bytes[1], 0x01);
    assert_int_equal(c.net.bytes[2], 0x0d);
    assert_int_equal(c.net.bytes[3], 0xb8);
    cidr_format(&c, buf, sizeof(buf));
    assert_string_equal(buf, "2001:db8::/32");
}

static void test_bare_address(void **state)
{
    (void)state;
    cidr_t c = parse_ok("192.0.2.7");
    assert_int_equal(c.prefix, 32);
    c = parse_ok("::1");
    assert_int_equal(c.prefix, 128);
    assert_true(in("192.0.2.7", "192.0.2.7"));
    assert_false(in("192.0.2.7", "192.0.2.8"));
}

static void test_contains_v4(void **state)
{
    (void)state;
    assert_true(in("10.0.0.0/8", "10.0.0.0"));
    assert_true(in("10.0.0.0/8", "10.255.255.255"));
    assert_false(in("10.0.0.0/8", "11.0.0.0"));
    assert_false(in("10.0.0.0/8", "9.255.255.255"));
    /* A prefix that does not end on a byte boundary. */
    assert_true(in("52.46.128.0/19", "52.46.128.1"));
    assert_true(in("52.46.128.0/19", "52.46.159.255"));
    assert_false(in("52.46.128.0/19", "52.46.160.0"));
    assert_false(in("52.46.128.0/19", "52.46.127.255"));
    /* Families never mix, except an IPv4-mapped IPv6 address. */
    assert_false(in("10.0.0.0/8", "::1"));
    assert_true(in("10.0.0.0/8", "::ffff:10.1.2.3"));
    assert_false(in("10.0.0.0/8", "::ffff:11.1.2.3"));
}

static void test_contains_v6(void **state)
{
    (void)state;
    assert_true(in("2001:db8::/32", "2001:db8:ffff::1"));
    assert_false(in("2001:db8::/32", "2001:db9::1"));
    assert_true(in("fd00::/8", "fdff:1::2"));
    assert_false(in("fd00::/8", "fe00::1"));
    assert_false(in("::/0", "10.0.0.1"));
}

static void test_edge_prefixes(void **state)
{
    (void)state;
    assert_true(in("0.0.0.0/0", "1.2.3.4"));
    assert_true(in("0.0.0.0/0", "255.255.255.255"));
    assert_true(in("::/0", "2001:db8::1"));
    assert_true(in("198.51.100.9/32", "198.51.100.9"));
    assert_false(in("198.51.100.9/32", "198.51.100.10"));
    assert_true(in("2001:db8::9/128", "2001:db8::9"));
    assert_false(in("2001:db8::9/128", "2001:db8::8"));
    assert_true(in("2001:db8::/127", "2001:db8::1"));
    assert_false(in("2001:db8::/127", "2001:db8::2"));
}

static void test_host_bits(void **state)
{
    (void)state;
    cidr_t c;
    char err[128];
    assert_int_equal(cidr_parse("10.0.0.1/8", &c, err, sizeof(err)), -1);
    assert_string_equal(err, "host bits set below the prefix (did you mean 10.0.0.0/8?)");
    assert_int_equal(cidr_parse("52.46.130.0/19", &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "52.46.128.0/19"));
    assert_int_equal(cidr_parse("2001:db8::1/32", &c, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "2001:db8::/32"));
    assert_int_equal(cidr_parse("1.0.0.0/0", &c, err, sizeof(err)), -1);
}

static void test_garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "abc",
        "10.0.0.0/",
        "10.0.0.0/33",
        "::/129",
        "10.0.0.0/8x",
        "10.0.0.0/-1",
        "10.0.0.0/+8",
        " 10.0.0.0/8",
        "10.0.0/8",
        "10.0.0.0/8/8",
        "10.0.0.256/32",
        "10.0.0.0/0008",
        "2001:db8::/",
        "/8",
        "0000000000000000000000000000000000000000000000000000000000000000000000/8",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cidr_t c;
        char err[128] = "";
        if (cidr_parse(bad[i], &c, err, sizeof(err)) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_true(err[0] != '\0');
    }
    char err[128];
    cidr_t c;
    assert_int_equal(cidr_parse(NULL, &c, err, sizeof(err)), -1);
    assert_int_equal(cidr_parse("10.0.0.0/33", &c, err, sizeof(err)), -1);
    assert_string_equal(err, "prefix length must be 0..32");
    assert_int_equal(cidr_parse("::/129", &c, err, sizeof(err)), -1);
    assert_string_equal(err, "prefix length must be 0..128");
}

static void test_list(void **state)
{
    (void)state;
    cidr_t items[2] = {parse_ok("10.0.0.0/8"), parse_ok("fd00::/8")};
    cidr_list_t l = {items, 2};
    assert_true(cidr_list_contains_str(&l, "10.2.3.4"));
    assert_true(cidr_list_contains_str(&l, "fd12::1"));
    assert_false(cidr_list_contains_str(&l, "192.168.0.1"));
    assert_false(cidr_list_contains_str(&l, "not-an-ip"));
    assert_false(cidr_list_contains_str(&l, NULL));
    cidr_list_t empty = {NULL, 0};
    assert_false(cidr_list_contains_str(&empty, "10.0.0.1"));
    ip_addr_t a = {.family = AF_INET, .bytes = {10, 9, 8, 7}};
    assert_true(cidr_contains(&items[0], &a));
    assert_true(cidr_list_contains_ip(&l, &a));
    ip_addr_t mapped; /* ::ffff:10.9.8.7 is 10.9.8.7 */
    assert_true(ip_addr_parse("::ffff:10.9.8.7", &mapped));
    assert_true(cidr_contains(&items[0], &mapped));
    assert_false(cidr_contains(&items[1], &a));
    cidr_list_free(NULL);
}

static void test_format_truncates(void **state)
{
    (void)state;
    cidr_t c = parse_ok("10.0.0.0/8");
    char buf[5];
    cidr_format(&c, buf, sizeof(buf));
    assert_string_equal(buf, "10.0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_v4),     cmocka_unit_test(test_parse_v6),
        cmocka_unit_test(test_bare_address), cmocka_unit_test(test_contains_v4),
        cmocka_unit_test(test_contains_v6),  cmocka_unit_test(test_edge_prefixes),
        cmocka_unit_test(test_host_bits),    cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_list),         cmocka_unit_test(test_format_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
