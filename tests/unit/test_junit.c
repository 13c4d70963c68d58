/* test_junit.c: the JUnit XML renderer. Every document is run through a small XML 1.0
 * well-formedness checker (tags balanced, attributes quoted, only known entities, only
 * characters XML allows, valid UTF-8), then its content is checked. Schema validation with
 * xmllint against tests/formats/junit.xsd is in tests/formats/run.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_formats.h"
#include "sample_report.h"

/* ---- a minimal well-formedness checker ---------------------------------------------- */

/* Length of the character at s if XML 1.0 allows it, else 0. */
static size_t xml_char(const unsigned char *s)
{
    if (s[0] < 0x80)
        return (s[0] >= 0x20 && s[0] != 0x7f) || s[0] == '\t' || s[0] == '\n' || s[0] == '\r';
    size_t n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || (n == 2 && s[0] < 0xc2))
        return 0;
    uint32_t cp = s[0] & (0x7fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
        return 0;
    return n;
}

static size_t entity(const char *s)
{
    static const char *const names[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < 5; i++)
        if (strncmp(s, names[i], strlen(names[i])) == 0)
            return strlen(names[i]);
    if (s[1] == '#') {
        size_t i = 2;
        while (s[i] >= '0' && s[i] <= '9')
            i++;
        if (i > 2 && s[i] == ';')
            return i + 1;
    }
    return 0;
}

static size_t name_len(const char *s)
{
    size_t i = 0;
    while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
           (i > 0 && ((s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.' || s[i] == '_')))
        i++;
    return i;
}

/* Returns NULL when doc is well-formed, else a pointer to where it is not. */
static const char *xml_check(const char *doc)
{
    const char *p = doc, *stack[32];
    size_t sl[32], depth = 0, roots = 0;
    if (strncmp(p, "<?xml ", 6) == 0) {
        p = strstr(p, "?>");
        if (p == NULL)
            return doc;
        p += 2;
    }
    while (*p) {
        if (*p == '&') {
            size_t n = entity(p);
            if (n == 0)
                return p;
            p += n;
        } else if (*p == '<' && p[1] == '/') {
            size_t n = name_len(p + 2);
            if (depth == 0 || n != sl[depth - 1] || strncmp(p + 2, stack[depth - 1], n) != 0 ||
                p[2 + n] != '>')
                return p;
            depth--;
            p += 3 + n;
        } else if (*p == '<') {
            size_t n = name_len(p + 1);
            if (n == 0 || depth == 32 || (depth == 0 && roots++ > 0))
                return p;
            stack[depth] = p + 1;
            sl[depth] = n;
            p += 1 + n;
            for (;;) { /* attributes */
                if (*p == '/' && p[1] == '>') {
                    p += 2;
                    break;
                }
                if (*p == '>') {
                    p++;
                    depth++;
                    break;
                }
                if (*p != ' ')
                    return p;
                p++;
                size_t an = name_len(p);
                if (an == 0 || p[an] != '=' || p[an + 1] != '"')
                    return p;
                p += an + 2;
                while (*p != '"') {
                    size_t c = *p == '&'            ? entity(p)
                        : (*p == '<' || *p == '\0') ? 0
                                                    : xml_char((const unsigned char *)p);
                    if (c == 0)
                        return p;
                    p += c;
                }
                p++;
            }
        } else {
            if (depth == 0 && *p != '\n' && *p != ' ')
                return p; /* text outside the root */
            if (strncmp(p, "]]>", 3) == 0)
                return p;
            size_t c = xml_char((const unsigned char *)p);
            if (c == 0)
                return p;
            p += c;
        }
    }
    return depth == 0 && roots == 1 ? NULL : p;
}

static void assert_wellformed(const char *doc)
{
    const char *bad = xml_check(doc);
    if (bad != NULL)
        fail_msg("not well-formed at byte %td: %.40s", bad - doc, bad);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* ---- fixtures ----------------------------------------------------------------------- */

/* ---- tests -------------------------------------------------------------------------- */

static void test_structure(void **state)
{
    (void)state;
    sample_t sm;
    sample_report(&sm);
    report_t r = sm.r;
    char *x = report_render_junit(&r, 1);
    assert_non_null(x);
    assert_wellformed(x);
    assert_non_null(strstr(x,
                           "<testsuites name=\"ztprobe\" tests=\"3\" failures=\"1\" "
                           "errors=\"1\" time=\"1.012\">"));
    assert_non_null(strstr(x,
                           "<testsuite name=\"backend\" tests=\"3\" failures=\"1\" errors=\"1\" "
                           "skipped=\"0\" time=\"1.012\" timestamp=\"2026-11-26T05:00:00\" "
                           "hostname=\"backend-7d9f\">"));
    assert_int_equal(count(x, "<testcase "), 3);
    assert_int_equal(count(x, "<failure "), 1);
    assert_int_equal(count(x, "<error "), 1);
    assert_int_equal(count(x, "<skipped"), 0);
    assert_non_null(strstr(x,
                           "<testcase name=\"postgres\" classname=\"ztprobe.backend\" "
                           "time=\"0.008\">"));
    assert_non_null(strstr(x,
                           "<testcase name=\"cluster-dns\" classname=\"ztprobe.backend\" "
                           "time=\"3.000\">"));
    /* The failure carries outcome and hint in the message, the type is the outcome. */
    assert_non_null(strstr(x,
                           "<failure message=\"http_status: The path is open: check the "
                           "policy &amp; labels.\" type=\"http_status\">"));
    assert_non_null(strstr(x, "target: http://www.example.test/a&amp;b=&lt;2&gt;\n"));
    assert_non_null(strstr(x, "detail: HTTP 301 \"moved\" ]]&gt; 'q'\ttab\\\n"));
    assert_non_null(strstr(x, "hint: The path is open: check the policy &amp; labels.\n"));
    assert_non_null(strstr(x, "addresses: 192.0.2.7\n"));
    assert_non_null(strstr(x,
                           "<error message=\"dns_timeout: No DNS server answered.\" "
                           "type=\"dns_timeout\">expect allow, verdict inconclusive"));
    /* Report-wide facts. */
    assert_non_null(strstr(x, "<property name=\"pod.namespace\" value=\"govtech\"/>"));
    assert_non_null(strstr(x,
                           "<property name=\"diagnosis.dns_blocked\" "
                           "value=\"allow UDP and TCP 53 to kube-dns\"/>"));
    assert_non_null(strstr(x, "diagnosis dns_blocked: allow UDP and TCP 53 to kube-dns\n"));
    free(x);
    sample_free(&sm);
}

static void test_several_reports_and_no_pod(void **state)
{
    (void)state;
    sample_t sm[2];
    sample_report(&sm[0]);
    sample_report(&sm[1]);
    report_t r[2] = {sm[0].r, sm[1].r};
    snprintf(r[1].role, sizeof(r[1].role), "frontend");
    r[1].pod_name[0] = '\0';
    r[1].pod_namespace[0] = '\0';
    r[1].n_diags = 0;
    r[1].n_results = 1; /* only the pass */
    char *x = report_render_junit(r, 2);
    assert_non_null(x);
    assert_wellformed(x);
    assert_non_null(strstr(x,
                           "<testsuites name=\"ztprobe\" tests=\"4\" failures=\"1\" "
                           "errors=\"1\" time=\"2.025\">"));
    assert_int_equal(count(x, "<testsuite "), 2);
    const char *fe = strstr(x,
                            "<testsuite name=\"frontend\" tests=\"1\" failures=\"0\" "
                            "errors=\"0\" skipped=\"0\" time=\"1.012\" "
                            "timestamp=\"2026-11-26T05:00:00\">");
    assert_non_null(fe);                     /* no hostname attribute without a pod name */
    assert_null(strstr(fe, "<properties>")); /* an empty <properties> is invalid */
    assert_non_null(strstr(fe, "classname=\"ztprobe.frontend\""));
    free(x);

    x = report_render_junit(NULL, 0);
    assert_non_null(x);
    assert_wellformed(x);
    assert_non_null(strstr(x, "tests=\"0\" failures=\"0\" errors=\"0\" time=\"0.000\""));
    free(x);
    sample_free_n(sm, 2);
}

/* Whatever bytes a server banner or a hand-edited report carries, the XML stays valid. */
static void test_hostile_bytes(void **state)
{
    (void)state;
    sample_t sm;
    sample_report(&sm);
    report_t r = sm.r;
    snprintf(r.role, sizeof(r.role), "ro\"le<&>\x01");
    snprintf(sm.res[1].name, sizeof(sm.res[1].name), "n\ta\nm\re");
    result_printf(&sm.res[1], RESULT_DETAIL,
                  "nul\x02 esc\x1b[31m del\x7f bad\xff\xfe utf8 \xc3\xa9 cut\xe2\x82 "
                  "nonchar\xef\xbf\xbe surrogate\xed\xa0\x80 overlong\xc0\xaf end");
    result_printf(&sm.res[1], RESULT_HINT, "hint\x0c with \"quotes\" & \x1f");
    char *x = report_render_junit(&r, 1);
    assert_non_null(x);
    assert_wellformed(x);
    assert_non_null(strstr(x, "name=\"ro&quot;le&lt;&amp;&gt;\""));
    assert_non_null(strstr(x, "classname=\"ztprobe.ro&quot;le&lt;&amp;&gt;\""));
    /* Whitespace in attributes survives as references, not folded to spaces. */
    assert_non_null(strstr(x, "name=\"n&#9;a&#10;m&#13;e\""));
    assert_non_null(strstr(x, "nul esc[31m del bad\xef\xbf\xbd\xef\xbf\xbd utf8 \xc3\xa9 "));
    assert_null(strchr(x, '\x1b'));
    assert_null(strchr(x, '\x7f'));
    assert_null(strstr(x, "\xef\xbf\xbe"));
    assert_non_null(strstr(x, "message=\"http_status: hint with &quot;quotes&quot; &amp; \""));
    free(x);
    sample_free(&sm);
}

/* The checker itself must reject what is broken, or the tests above prove nothing. */
static void test_checker_rejects(void **state)
{
    (void)state;
    assert_null(xml_check("<a b=\"1\"><c/>t &amp; &#10;</a>\n"));
    assert_non_null(xml_check("<a><b></a></b>"));
    assert_non_null(xml_check("<a>x & y</a>"));
    assert_non_null(xml_check("<a b=\"<\"/>"));
    assert_non_null(xml_check("<a>\x01</a>"));
    assert_non_null(xml_check("<a>\xff</a>"));
    assert_non_null(xml_check("<a>]]></a>"));
    assert_non_null(xml_check("<a/><b/>"));
    assert_non_null(xml_check("<a>"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_several_reports_and_no_pod),
        cmocka_unit_test(test_hostile_bytes),
        cmocka_unit_test(test_checker_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
