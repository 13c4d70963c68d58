/* test_labels.c: the Downward API labels file (Go %q escapes, malformed lines, files) and
 * selector matching. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "labels.h"

static labels_t parse_ok(const char *text)
{
    labels_t l;
    char err[256] = "";
    int rc = labels_parse(text, strlen(text), &l, err, sizeof(err));
    if (rc != 0)
        print_error("labels_parse: %s\n", err);
    assert_int_equal(rc, 0);
    return l;
}

static void parse_fails(const char *text, const char *want)
{
    labels_t l;
    char err[256] = "";
    assert_int_equal(labels_parse(text, strlen(text), &l, err, sizeof(err)), -1);
    assert_string_equal(err, want);
    assert_int_equal(l.n, 0);
    assert_null(l.items);
}

static void test_kubelet_file(void **state)
{
    (void)state;
    /* As the kubelet writes it: sorted keys, no trailing newline. */
    labels_t l = parse_ok("app=\"backend\"\npod-template-hash=\"7d9f\"\n"
                          "app.kubernetes.io/part-of=\"govtech\"");
    assert_int_equal(l.n, 3);
    assert_string_equal(labels_get(&l, "app"), "backend");
    assert_string_equal(labels_get(&l, "pod-template-hash"), "7d9f");
    assert_string_equal(labels_get(&l, "app.kubernetes.io/part-of"), "govtech");
    assert_null(labels_get(&l, "tier"));
    char buf[128];
    labels_format(&l, buf, sizeof(buf));
    assert_string_equal(buf, "app=backend,pod-template-hash=7d9f,app.kubernetes.io/part-of=govtech");
    labels_free(&l);
    assert_int_equal(l.n, 0);
    labels_free(&l); /* twice is harmless */
    labels_free(NULL);
}

static void test_escapes(void **state)
{
    (void)state;
    labels_t l = parse_ok("q=\"a\\\"b\"\n"                  /* \"  */
                          "bs=\"a\\\\b\"\n"                 /* \\  */
                          "ctl=\"\\n\\t\\r\\a\\b\\f\\v\"\n" /* single-letter escapes */
                          "hex=\"\\x41\\x7e\\xff\"\n"       /* \xNN, also a high byte */
                          "oct=\"\\101\\060\\377\"\n"       /* \NNN */
                          "u=\"\\u00e9\\u20ac\"\n"          /* \uNNNN */
                          "U=\"\\U0001F600\"\n"             /* \UNNNNNNNN */
                          "raw=\"caf\xc3\xa9\"\n"           /* printable UTF-8 stays raw */
                          "empty=\"\"\n");
    assert_int_equal(l.n, 9);
    assert_string_equal(labels_get(&l, "q"), "a\"b");
    assert_string_equal(labels_get(&l, "bs"), "a\\b");
    assert_string_equal(labels_get(&l, "ctl"), "\n\t\r\a\b\f\v");
    assert_string_equal(labels_get(&l, "hex"), "A~\xff");
    assert_string_equal(labels_get(&l, "oct"), "A0\xff");
    assert_string_equal(labels_get(&l, "u"), "\xc3\xa9\xe2\x82\xac");
    assert_string_equal(labels_get(&l, "U"), "\xf0\x9f\x98\x80");
    assert_string_equal(labels_get(&l, "raw"), "caf\xc3\xa9");
    assert_string_equal(labels_get(&l, "empty"), "");
    /* Control bytes are not printed raw. */
    char buf[64];
    labels_t one = {&l.items[2], 1, false};
    labels_format(&one, buf, sizeof(buf));
    assert_string_equal(buf, "ctl=???????");
    labels_free(&l);
}

static void test_blank_lines_and_crlf(void **state)
{
    (void)state;
    labels_t l = parse_ok("\n\napp=\"x\"\r\n   \n\ttier=\"web\"  \n\n");
    assert_int_equal(l.n, 2);
    assert_string_equal(labels_get(&l, "app"), "x");
    labels_free(&l);
}

static void test_empty_file(void **state)
{
    (void)state;
    labels_t l = parse_ok("");
    assert_int_equal(l.n, 0);
    char buf[16];
    labels_format(&l, buf, sizeof(buf));
    assert_string_equal(buf, "");
    labels_free(&l);
    l = parse_ok("\n\n  \n");
    assert_int_equal(l.n, 0);
    labels_free(&l);
}

static void test_malformed(void **state)
{
    (void)state;
    parse_fails("app", "line 1: expected key=\"value\"");
    parse_fails("app=\"x\"\n\napp2=x", "line 3: value must be a double-quoted string");
    parse_fails("app=\"x", "line 1: value must be a double-quoted string");
    parse_fails("app=\"", "line 1: value must be a double-quoted string");
    parse_fails("=\"x\"", "line 1: invalid label key");
    parse_fails("a b=\"x\"", "line 1: invalid label key");
    parse_fails("app=\"a\"b\"", "line 1: unescaped '\"' inside the value");
    parse_fails("app=\"a\\q\"", "line 1: unknown escape sequence");
    parse_fails("app=\"a\\'\"", "line 1: unknown escape sequence");
    parse_fails("app=\"a\\\"", "line 1: value ends with a lone backslash");
    parse_fails("app=\"\\x4\"", "line 1: \\x needs two hex digits");
    parse_fails("app=\"\\xzz\"", "line 1: \\x needs two hex digits");
    parse_fails("app=\"\\u12\"", "line 1: \\u needs four hex digits");
    parse_fails("app=\"\\U0001F60\"", "line 1: \\U needs eight hex digits");
    parse_fails("app=\"\\ud800\"", "line 1: escape is not a valid Unicode code point");
    parse_fails("app=\"\\U00110000\"", "line 1: escape is not a valid Unicode code point");
    parse_fails("app=\"\\400\"", "line 1: octal escape above \\377");
    parse_fails("app=\"\\12\"", "line 1: octal escape needs three digits");
    parse_fails("app=\"\\x00\"", "line 1: NUL byte in the value");
    parse_fails("app=\"x\"\napp=\"y\"", "line 2: duplicate label key");
    parse_fails("app=\"x\" trailing", "line 1: value must be a double-quoted string");
}

static void test_nul_byte(void **state)
{
    (void)state;
    labels_t l;
    char err[64];
    static const char text[] = "app=\"x\0y\"";
    assert_int_equal(labels_parse(text, sizeof(text) - 1, &l, err, sizeof(err)), -1);
    assert_string_equal(err, "line 1: NUL byte");
}

static void test_match(void **state)
{
    (void)state;
    labels_t pod = parse_ok("app=\"backend\"\ntier=\"api\"");
    labels_t sel = {NULL, 0, false};
    assert_true(labels_match(&sel, &pod)); /* empty selector: everything */
    assert_true(labels_match(NULL, &pod));
    assert_int_equal(labels_add(&sel, "app", "backend"), 0);
    assert_true(labels_match(&sel, &pod));
    assert_int_equal(labels_add(&sel, "tier", "api"), 0);
    assert_true(labels_match(&sel, &pod));
    assert_int_equal(labels_add(&sel, "zone", "a"), 0);
    assert_false(labels_match(&sel, &pod)); /* key missing from the pod */
    labels_free(&sel);
    assert_int_equal(labels_add(&sel, "app", "frontend"), 0);
    assert_false(labels_match(&sel, &pod)); /* value differs */
    labels_t none = {NULL, 0, false};
    assert_false(labels_match(&sel, &none));
    labels_free(&sel);
    labels_free(&pod);
}

static void test_format_truncates(void **state)
{
    (void)state;
    labels_t l = parse_ok("app=\"backend\"\npod-template-hash=\"7d9f\"");
    char buf[16];
    labels_format(&l, buf, sizeof(buf));
    assert_true(strlen(buf) < sizeof(buf));
    assert_string_equal(buf, "app=backend,...");
    char tiny[4];
    labels_format(&l, tiny, sizeof(tiny));
    assert_string_equal(tiny, "...");
    labels_free(&l);
}

static char *write_temp(const char *content, size_t len)
{
    char *path = strdup("/tmp/zt-labels-XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_load_file(void **state)
{
    (void)state;
    labels_t l;
    char err[512];
    char *path = write_temp("app=\"frontend\"\n", 15);
    assert_int_equal(labels_load_file(path, &l, err, sizeof(err)), 0);
    assert_string_equal(labels_get(&l, "app"), "frontend");
    labels_free(&l);
    unlink(path);
    free(path);

    path = write_temp("app=frontend\n", 13);
    assert_int_equal(labels_load_file(path, &l, err, sizeof(err)), -1);
    char want[512];
    snprintf(want, sizeof(want), "%s: line 1: value must be a double-quoted string", path);
    assert_string_equal(err, want);
    unlink(path);
    free(path);

    assert_int_equal(labels_load_file("/nonexistent/zt/labels", &l, err, sizeof(err)), ZT_ERR_INPUT);
    assert_string_equal(err, "/nonexistent/zt/labels: cannot read: No such file or directory");
    assert_int_equal(labels_load_file("/tmp", &l, err, sizeof(err)), ZT_ERR_INPUT);
    assert_string_equal(err, "/tmp: cannot read: is a directory");
}

static void test_load_file_too_big(void **state)
{
    (void)state;
    size_t n = 300 * 1024;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, '\n', n);
    char *path = write_temp(big, n);
    labels_t l;
    char err[512];
    assert_int_equal(labels_load_file(path, &l, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "larger than the 262144-byte limit"));
    assert_int_equal(l.n, 0);
    unlink(path);
    free(path);
    free(big);
}

/* Sorted sets are searched by halves: every key found, absent ones not, a duplicate named. */
static void test_sorted(void **state)
{
    (void)state;
    labels_t l = {0};
    char k[16];
    for (int i = 999; i >= 0; i--) {
        snprintf(k, sizeof(k), "k%03d", i);
        assert_int_equal(labels_add(&l, k, k + 1), 0);
    }
    assert_false(l.sorted); /* added in descending order */
    assert_null(labels_sort(&l));
    assert_true(l.sorted);
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof(k), "k%03d", i);
        assert_string_equal(labels_get(&l, k), k + 1);
    }
    assert_null(labels_get(&l, "k1000"));
    assert_null(labels_get(&l, ""));
    assert_int_equal(labels_add(&l, "z", "1"), 0); /* appended in order: still sorted */
    assert_true(l.sorted);
    assert_int_equal(labels_add(&l, "a", "1"), 0);
    assert_false(l.sorted);
    assert_string_equal(labels_get(&l, "a"), "1");
    assert_int_equal(labels_add(&l, "k500", "x"), 0);
    assert_string_equal(labels_sort(&l), "k500");
    assert_false(l.sorted);
    labels_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sorted),
        cmocka_unit_test(test_kubelet_file),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_blank_lines_and_crlf),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_format_truncates),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_load_file_too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
