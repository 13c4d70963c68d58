/* test_strbuf.c: the renderers' growing buffer (appends across growth, the printf bound,
 * take and free, a sticky allocation failure) and the shared UTF-8 and escaping helpers: the
 * UTF-8 check against the cases RFC 3629 rules out, terminal-safe text, and JSON strings
 * parsed back with cJSON whatever bytes went in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* Takes the string out of b, checks it against want, frees it. */
static void assert_take(strbuf_t *b, const char *want)
{
    char *s = strbuf_take(b);
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
    assert_null(b->buf);
    assert_int_equal(b->len, 0);
}

static void test_append_and_grow(void **state)
{
    (void)state;
    strbuf_t b = {0};
    strbuf_puts(&b, "ab");
    strbuf_putn(&b, "cdef", 2);
    strbuf_printf(&b, "[%d|%s]", 42, "x");
    assert_int_equal(b.len, 10);
    assert_string_equal(b.buf, "abcd[42|x]");

    /* Well past the first allocation, in uneven steps, so growth happens mid-append. */
    char chunk[777];
    for (size_t i = 0; i < sizeof(chunk); i++)
        chunk[i] = (char)('a' + i % 26);
    for (int k = 0; k < 40; k++)
        strbuf_putn(&b, chunk, sizeof(chunk));
    assert_int_equal(b.len, 10 + 40 * sizeof(chunk));
    assert_true(b.cap > b.len);
    assert_int_equal(b.buf[b.len], '\0');
    for (int k = 0; k < 40; k++)
        assert_memory_equal(b.buf + 10 + (size_t)k * sizeof(chunk), chunk, sizeof(chunk));
    assert_false(b.oom);
    strbuf_free(&b);
    assert_null(b.buf);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    strbuf_free(NULL);
}

static void test_printf_bounded(void **state)
{
    (void)state;
    strbuf_t b = {0};
    char big[STRBUF_PRINTF_MAX * 2];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    strbuf_puts(&b, "<");
    strbuf_printf(&b, "%s", big);
    assert_int_equal(b.len, 1 + STRBUF_PRINTF_MAX - 1);
    strbuf_printf(&b, "%s", ""); /* nothing to add */
    strbuf_puts(&b, ">");
    assert_int_equal(b.len, STRBUF_PRINTF_MAX + 1);
    assert_int_equal(b.buf[0], '<');
    assert_int_equal(b.buf[STRBUF_PRINTF_MAX - 1], 'q');
    assert_int_equal(b.buf[STRBUF_PRINTF_MAX], '>');
    strbuf_free(&b);
}

static void test_take(void **state)
{
    (void)state;
    strbuf_t b = {0};
    /* Nothing appended is still a string: NULL means only out of memory. */
    assert_take(&b, "");
    strbuf_puts(&b, "first");
    assert_take(&b, "first");
    /* b is reset by take and can be used again. */
    strbuf_puts(&b, "second");
    assert_take(&b, "second");
}

static void test_oom_sticks(void **state)
{
    (void)state;
    strbuf_t b = {0};
    strbuf_puts(&b, "kept");
    /* An append that cannot fit in memory: refused before any allocation is tried. */
    strbuf_putn(&b, "x", SIZE_MAX - 8);
    assert_true(b.oom);
    assert_int_equal(b.len, 4);
    strbuf_puts(&b, "more");
    strbuf_printf(&b, "%d", 7);
    strbuf_json_str(&b, "s", 8);
    assert_int_equal(b.len, 4); /* everything after the failure is ignored */
    assert_null(strbuf_take(&b));
    assert_null(b.buf);
    assert_false(b.oom);
    strbuf_puts(&b, "again");
    assert_take(&b, "again");

    /* free after a failure releases what was there. */
    strbuf_puts(&b, "abc");
    strbuf_putn(&b, "x", SIZE_MAX);
    assert_true(b.oom);
    strbuf_free(&b);
    assert_null(b.buf);
    assert_false(b.oom);
}

static size_t seq(const char *s, size_t n, uint32_t *cp)
{
    return strbuf_utf8_seq_len((const unsigned char *)s, n, cp);
}

static void test_utf8_seq_len(void **state)
{
    (void)state;
    uint32_t cp = 0;
    assert_int_equal(seq("A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(seq("\x1b", 1, &cp), 1); /* control bytes are ASCII */
    assert_int_equal(seq("\xc3\xa9", 2, &cp), 2);
    assert_int_equal(cp, 0xe9);
    assert_int_equal(seq("\xe2\x82\xac", 3, &cp), 3);
    assert_int_equal(cp, 0x20ac);
    assert_int_equal(seq("\xf0\x9f\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1f600);
    assert_int_equal(seq("\xf4\x8f\xbf\xbf", 4, &cp), 4);
    assert_int_equal(cp, 0x10ffff);
    assert_int_equal(seq("\xef\xbf\xbe", 3, &cp), 3); /* a noncharacter is still UTF-8 */
    assert_int_equal(cp, 0xfffe);
    assert_int_equal(seq("\xc3\xa9", 2, NULL), 2);

    const struct {
        const char *s;
        size_t n;
    } bad[] = {
        {"\x80", 1}, /* stray continuation byte */
        {"\xbf", 1},
        {"\xc0\xaf", 2}, /* overlong '/' */
        {"\xc1\xbf", 2},
        {"\xe0\x80\xaf", 3},     /* overlong, three bytes */
        {"\xf0\x80\x80\xaf", 4}, /* overlong, four bytes */
        {"\xed\xa0\x80", 3},     /* surrogate U+D800 */
        {"\xed\xbf\xbf", 3},     /* surrogate U+DFFF */
        {"\xf4\x90\x80\x80", 4}, /* U+110000 */
        {"\xf5\x80\x80\x80", 4},
        {"\xff", 1},
        {"\xc3", 1}, /* cut short by the end of the string */
        {"\xe2\x82", 2},
        {"\xe2\x82\xac", 2}, /* cut short by n, though the bytes go on */
        {"\xf0\x9f\x98\x80", 3},
        {"\xc3"
         "A",
         2}, /* not followed by a continuation byte */
        {"\xe2\x82"
         "A",
         3},
        {"A", 0},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cp = 0x12345;
        if (seq(bad[i].s, bad[i].n, &cp) != 0)
            fail_msg("case %zu accepted", i);
        assert_int_equal(cp, 0x12345); /* untouched when invalid */
    }
}

static void test_width_safe_pad(void **state)
{
    (void)state;
    assert_int_equal(strbuf_utf8_width("h\xc3\xa9llo \xe2\x82\xac", SIZE_MAX), 7);
    assert_int_equal(strbuf_utf8_width("abcdef", 3), 3);
    assert_int_equal(strbuf_utf8_width("", 8), 0);
    assert_int_equal(strbuf_utf8_width("\x1b[2J", 8), 4);

    strbuf_t b = {0};
    strbuf_put_safe(&b, "a\x1b[2Jb\x7f\n\t\xc3\xa9", SIZE_MAX);
    strbuf_puts(&b, "|");
    strbuf_put_safe(&b, "abcdef", 2);
    strbuf_puts(&b, "|");
    strbuf_pad(&b, 3, 6);
    strbuf_puts(&b, "|");
    strbuf_pad(&b, 7, 6);
    strbuf_pad(&b, 6, 6);
    strbuf_puts(&b, "|");
    assert_take(&b, "a?[2Jb???\xc3\xa9|ab|   ||");
}

/* s rendered by strbuf_json_str(max), then parsed back by cJSON. */
static char *json_roundtrip(const char *s, size_t max, char **rendered)
{
    strbuf_t b = {0};
    strbuf_json_str(&b, s, max);
    *rendered = strbuf_take(&b);
    assert_non_null(*rendered);
    cJSON *j = cJSON_Parse(*rendered);
    if (j == NULL || !cJSON_IsString(j))
        fail_msg("not a JSON string: %s", *rendered);
    char *v = strdup(j->valuestring);
    cJSON_Delete(j);
    assert_non_null(v);
    return v;
}

static void test_json_str(void **state)
{
    (void)state;
    strbuf_t b = {0};
    strbuf_json_str(&b,
                    "q\"b\\n\nr\rt\tc\x01"
                    "d\x7f"
                    "e\x1f",
                    SIZE_MAX);
    assert_take(&b, "\"q\\\"b\\\\n\\nr\\rt\\tc\\u0001d\\u007fe\\u001f\"");
    strbuf_json_str(&b, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", SIZE_MAX); /* passes as is */
    assert_take(&b, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    /* Each byte that is not UTF-8 becomes one U+FFFD; what follows is kept. */
    strbuf_json_str(&b,
                    "a\xff"
                    "b\xc3"
                    "c\xed\xa0\x80"
                    "d",
                    SIZE_MAX);
    assert_take(&b, "\"a\\ufffdb\\ufffdc\\ufffd\\ufffd\\ufffdd\"");
    /* max bounds the input, also inside a sequence: a cut sequence is not UTF-8. */
    strbuf_json_str(&b, "abcdef", 3);
    assert_take(&b, "\"abc\"");
    strbuf_json_str(&b, "a\xe2\x82\xac", 3);
    assert_take(&b, "\"a\\ufffd\\ufffd\"");
    strbuf_json_str(&b, "", 8);
    assert_take(&b, "\"\"");

    /* Any bytes at all render as a JSON string; valid UTF-8 comes back unchanged. */
    static const char *const pieces[] = {
        "a",
        "\"",
        "\\",
        "\n",
        "\r",
        "\t",
        "\x01",
        "\x1b",
        "\x7f",
        "/",
        "\xc3\xa9",
        "\xe2\x82\xac",
        "\xf0\x9f\x98\x80",
        "\xef\xbf\xbf",
        "\xff",
        "\x80",
        "\xc0\xaf",
        "\xed\xa0\x80",
        "\xf4\x90\x80\x80",
        "\xe2\x82",
    };
    const size_t n_valid = 14; /* pieces before this index are valid UTF-8 */
    uint32_t seed = 12345;
    for (int round = 0; round < 2000; round++) {
        char in[256] = "", want[256] = "";
        bool valid = true;
        for (int k = 0; k < 12; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t p = (seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]));
            strcat(in, pieces[p]);
            valid = valid && p < n_valid;
        }
        snprintf(want, sizeof(want), "%s", in);
        char *rendered = NULL;
        char *back = json_roundtrip(in, SIZE_MAX, &rendered);
        if (valid && strcmp(back, want) != 0)
            fail_msg("round %d: %s came back as %s", round, rendered, back);
        for (const char *r = rendered; *r; r++)
            if ((unsigned char)*r < 0x20 || *r == 0x7f)
                fail_msg("round %d: raw control byte in %s", round, rendered);
        free(back);
        free(rendered);
    }
}

/* C1 controls (issue 11, item 6): U+0080..U+009F as UTF-8 (U+009B is CSI) and as raw bytes
 * that are not UTF-8 never reach a terminal; the width matches what is shown. */
static void test_c1_terminal(void **state)
{
    (void)state;
    strbuf_t b = {0};
    /* U+009B CSI "2J", raw 0x9b, raw 0x85 (NEL), U+0085, U+0080, U+009F, then U+00A0 (kept). */
    static const char in[] = "a\xc2\x9b"
                             "2Jb\x9b"
                             "c\x85"
                             "d\xc2\x85\xc2\x80\xc2\x9f"
                             "e\xc2\xa0";
    size_t cols = strbuf_put_safe(&b, in, SIZE_MAX);
    assert_take(&b, "a?2Jb?c?d???e\xc2\xa0");
    assert_int_equal(cols, 14);
    assert_int_equal(strbuf_utf8_width(in, SIZE_MAX), 14);
    /* Raw bytes 0x80..0x9f, each alone: one '?' each. */
    for (unsigned c = 0x80; c <= 0x9f; c++) {
        char one[2] = {(char)c, 0};
        strbuf_put_safe(&b, one, SIZE_MAX);
        assert_take(&b, "?");
    }
    bool safe = true;
    assert_int_equal(strbuf_term_seq((const unsigned char *)"\xc2\x9b", 2, &safe), 2);
    assert_false(safe);
    assert_int_equal(strbuf_term_seq((const unsigned char *)"\x9b[", 2, &safe), 1);
    assert_false(safe);
    assert_int_equal(strbuf_term_seq((const unsigned char *)"\xe2\x82\xac", 3, &safe), 3);
    assert_true(safe);
    /* In place, for log lines. */
    char line[] = "x\x1b[31m\xc2\x9b"
                  "1m\x9b"
                  "y\xc3\xa9";
    size_t n = strbuf_term_clean(line, strlen(line));
    assert_int_equal(n, strlen("x?[31m?1m?y\xc3\xa9"));
    assert_string_equal(line, "x?[31m?1m?y\xc3\xa9");
    /* JSON: C1 as \u00XX, so a report shown with cat is safe too. */
    strbuf_json_str(&b,
                    "a\xc2\x9b"
                    "b\xc2\xa0",
                    SIZE_MAX);
    assert_take(&b, "\"a\\u009bb\xc2\xa0\"");
}

/* One line for any reader (issue 18, item 8): a `# comment` in YAML ends at a newline, CR,
 * NEL, U+2028 or U+2029; strbuf_put_line turns each into '?', strbuf_json_str escapes them. */
static void test_one_line(void **state)
{
    (void)state;
    strbuf_t b = {0};
    static const char in[] = "a\nb\rc\xc2\x85"
                             "d\xe2\x80\xa8"
                             "e\xe2\x80\xa9"
                             "f\xe2\x80\xaf"
                             "g";
    strbuf_put_line(&b, in, SIZE_MAX);
    assert_take(&b, "a?b?c?d?e?f\xe2\x80\xafg"); /* U+202F (a space) stays */
    strbuf_put_safe(&b,
                    "d\xe2\x80\xa8"
                    "e",
                    SIZE_MAX);
    assert_take(&b,
                "d\xe2\x80\xa8"
                "e"); /* printable for a terminal */
    strbuf_json_str(&b, in, SIZE_MAX);
    assert_take(&b, "\"a\\nb\\rc\\u0085d\\u2028e\\u2029f\xe2\x80\xafg\"");
}

/* A cut never splits a UTF-8 sequence: "a" then two 2-byte and one 3-byte character. */
static void test_utf8_cut(void **state)
{
    (void)state;
    const char *s = "a\xc3\xa9\xc3\xa9\xe2\x82\xac"; /* a, é, é, € (8 bytes) */
    assert_int_equal(strbuf_utf8_cut(s, 8, 8), 8);   /* fits */
    assert_int_equal(strbuf_utf8_cut(s, 8, 7), 5);   /* inside the €: before it */
    assert_int_equal(strbuf_utf8_cut(s, 8, 5), 5);   /* a boundary */
    assert_int_equal(strbuf_utf8_cut(s, 8, 2), 1);   /* inside the first é */
    assert_int_equal(strbuf_utf8_cut(s, 8, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_grow), cmocka_unit_test(test_utf8_cut),
        cmocka_unit_test(test_printf_bounded),  cmocka_unit_test(test_take),
        cmocka_unit_test(test_oom_sticks),      cmocka_unit_test(test_utf8_seq_len),
        cmocka_unit_test(test_width_safe_pad),  cmocka_unit_test(test_json_str),
        cmocka_unit_test(test_c1_terminal),     cmocka_unit_test(test_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
