/* report_junit.c: reports as JUnit XML, in the shape Jenkins' junit plugin, GitLab's
 * artifacts:reports:junit and the GitHub Actions test-report actions read (the Ant /
 * jenkins-junit.xsd structure; tests/formats/junit.xsd checks it). Every string may come from
 * the network or a parsed file, so all text goes through one escaper that keeps the document
 * well-formed whatever the bytes. */
#include "report_formats.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "report.h"
#include "strbuf.h"
#include "verdict.h"

/* Length of the UTF-8 sequence at s (at most n bytes) if it encodes a character XML 1.0
 * allows (not a surrogate, not U+FFFE/U+FFFF), else 0. */
static size_t xml_utf8_seq(const unsigned char *s, size_t n)
{
    uint32_t cp = 0;
    size_t len = strbuf_utf8_seq_len(s, n, &cp);
    return cp == 0xfffe || cp == 0xffff ? 0 : len;
}

/* Appends s (at most max bytes) escaped for an attribute value (attr) or element text.
 * Control characters XML 1.0 forbids are dropped, DEL too (legal but never meant); in an
 * attribute, tab and newlines become character references, or a parser would fold them to
 * spaces; invalid UTF-8 becomes U+FFFD. */
static void jb_xml(strbuf_t *b, const char *s, size_t max, bool attr)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strnlen(s, max);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        const char *rep = NULL;
        if (c >= 0x80) {
            size_t l = xml_utf8_seq(p + i, n - i);
            bool safe = false;
            if (l == 0) {
                strbuf_puts(b, "\xef\xbf\xbd");
                i++;
            } else if (strbuf_term_seq(p + i, l, &safe) == l && !safe) {
                /* A C1 control: a character reference, so the file stays terminal-safe. */
                strbuf_printf(b, "&#x%02x;", (unsigned)(((p[i] & 0x1fu) << 6) | (p[i + 1] & 0x3fu)));
                i += l;
            } else {
                strbuf_putn(b, s + i, l);
                i += l;
            }
            continue;
        }
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break; /* also keeps "]]>" out of text */
        case '"': rep = attr ? "&quot;" : "\""; break;
        case '\n': rep = attr ? "&#10;" : "\n"; break;
        case '\t': rep = attr ? "&#9;" : "\t"; break;
        case '\r': rep = "&#13;"; break;
        default: rep = (c < 0x20 || c == 0x7f) ? "" : NULL; break;
        }
        if (rep != NULL)
            strbuf_puts(b, rep);
        else
            strbuf_putn(b, s + i, 1);
        i++;
    }
}

/* name="value" with a leading space. */
static void jb_attr(strbuf_t *b, const char *name, const char *value, size_t max)
{
    strbuf_printf(b, " %s=\"", name);
    jb_xml(b, value, max, true);
    strbuf_puts(b, "\"");
}

/* Seconds with millisecond precision, as Ant writes them; nonsense durations read 0. */
static void jb_seconds(strbuf_t *b, const char *name, double ms)
{
    double s = (isfinite(ms) && ms > 0 && ms < 1e15) ? ms / 1000.0 : 0.0;
    strbuf_printf(b, " %s=\"%.3f\"", name, s);
}

/* Ant's timestamp: ISO 8601 in UTC without a zone designator (the jenkins XSD and the
 * stricter Ant schema both accept this form). */
static void jb_timestamp(strbuf_t *b, double unix_s)
{
    time_t t = (isfinite(unix_s) && unix_s > 0 && unix_s < 253402300800.0) ? (time_t)unix_s : 0;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        return;
    strbuf_printf(b, " timestamp=\"%04d-%02d-%02dT%02d:%02d:%02d\"", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void jb_property(strbuf_t *b, const char *name, size_t name_max, const char *value, size_t value_max)
{
    strbuf_puts(b, "      <property");
    jb_attr(b, "name", name, name_max);
    jb_attr(b, "value", value, value_max);
    strbuf_puts(b, "/>\n");
}

/* The lines a person needs to act on a probe: what was tried, what happened, what to do. */
static void jb_result_body(strbuf_t *b, const result_t *res)
{
    strbuf_puts(b, "expect ");
    strbuf_puts(b, config_expect_name(res->expect));
    strbuf_puts(b, ", verdict ");
    strbuf_puts(b, verdict_name(res->verdict));
    strbuf_puts(b, ", outcome ");
    char oc[RESULT_OUTCOME_TEXT_LEN];
    report_outcome_text(res, oc, sizeof(oc)); /* family all: each address's */
    strbuf_puts(b, oc);
    strbuf_puts(b, "\ntarget: ");
    jb_xml(b, result_text(res, RESULT_TARGET), RESULT_TARGET_LEN, false);
    if (result_text(res, RESULT_DETAIL)[0] != '\0') {
        strbuf_puts(b, "\ndetail: ");
        jb_xml(b, result_text(res, RESULT_DETAIL), RESULT_DETAIL_LEN, false);
    }
    if (result_text(res, RESULT_HINT)[0] != '\0') {
        strbuf_puts(b, "\nhint: ");
        jb_xml(b, result_text(res, RESULT_HINT), RESULT_HINT_LEN, false);
    }
    strbuf_printf(b, "\nattempts: %d", res->attempts);
    size_t na = res->n_addrs < RESULT_MAX_ADDRS ? res->n_addrs : RESULT_MAX_ADDRS;
    char ip[RESULT_ADDR_LEN];
    for (size_t i = 0; i < na; i++) {
        strbuf_puts(b, i == 0 ? "\naddresses: " : ", ");
        jb_xml(b, ip_addr_format(&res->addrs[i], ip), RESULT_ADDR_LEN, false);
    }
    strbuf_puts(b, "\n");
}

static void jb_testcase(strbuf_t *b, const report_t *r, const result_t *res)
{
    char classname[160];
    snprintf(classname, sizeof(classname), "ztprobe.%s", r->role);
    strbuf_puts(b, "    <testcase");
    jb_attr(b, "name", res->name, sizeof(res->name));
    jb_attr(b, "classname", classname, sizeof(classname));
    jb_seconds(b, "time", res->duration_ms);
    strbuf_puts(b, ">\n");

    /* An inconclusive probe is an <error>, not <skipped>: CI views count skipped tests as
     * harmless and many pipelines ignore them, but an inconclusive deny means the path was
     * not proven closed (DNS failed, a refusal not listed), which needs the same attention
     * as a failure, only with another cause. Jenkins, GitLab and GitHub all mark a
     * testcase with <error> red. */
    const char *elem = res->verdict == VERDICT_PASS ? NULL
        : res->verdict == VERDICT_FAIL              ? "failure"
                                                    : "error";
    if (elem != NULL) {
        char message[RESULT_HINT_LEN + 48];
        snprintf(message, sizeof(message), "%s%s%s", outcome_name(res->outcome),
                 result_text(res, RESULT_HINT)[0] ? ": " : "", result_text(res, RESULT_HINT));
        strbuf_printf(b, "      <%s", elem);
        jb_attr(b, "message", message, sizeof(message));
        jb_attr(b, "type", outcome_name(res->outcome), 32);
        strbuf_puts(b, ">");
        jb_result_body(b, res);
        strbuf_printf(b, "</%s>\n", elem);
    } else {
        /* A pass still shows what answered (a server banner, a PostgreSQL version). */
        strbuf_puts(b, "      <system-out>");
        jb_result_body(b, res);
        strbuf_puts(b, "</system-out>\n");
    }
    strbuf_puts(b, "    </testcase>\n");
}

static void jb_testsuite(strbuf_t *b, const report_t *r)
{
    summary_t s = report_summary(r);
    strbuf_puts(b, "  <testsuite");
    jb_attr(b, "name", r->role, sizeof(r->role));
    strbuf_printf(b, " tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"0\"", s.total, s.failed,
                  s.inconclusive);
    jb_seconds(b, "time", r->duration_ms);
    jb_timestamp(b, r->started_at);
    if (r->pod_name[0] != '\0')
        jb_attr(b, "hostname", r->pod_name, sizeof(r->pod_name));
    strbuf_puts(b, ">\n");

    /* Report-wide facts go into properties (the schema wants at least one inside). */
    size_t nd = r->n_diags < DIAG_MAX ? r->n_diags : DIAG_MAX;
    if (r->pod_namespace[0] != '\0' || nd > 0) {
        strbuf_puts(b, "    <properties>\n");
        if (r->pod_namespace[0] != '\0')
            jb_property(b, "pod.namespace", 16, r->pod_namespace, sizeof(r->pod_namespace));
        for (size_t i = 0; i < nd; i++) {
            char name[64];
            snprintf(name, sizeof(name), "diagnosis.%s", r->diags[i].code);
            jb_property(b, name, sizeof(name), r->diags[i].message, sizeof(r->diags[i].message));
        }
        strbuf_puts(b, "    </properties>\n");
    }
    for (size_t i = 0; i < r->n_results; i++)
        jb_testcase(b, r, &r->results[i]);
    /* Diagnoses again as text: GitLab and GitHub show no properties. */
    if (nd > 0) {
        strbuf_puts(b, "    <system-out>");
        for (size_t i = 0; i < nd; i++) {
            strbuf_puts(b, "diagnosis ");
            jb_xml(b, r->diags[i].code, sizeof(r->diags[i].code), false);
            strbuf_puts(b, ": ");
            jb_xml(b, r->diags[i].message, sizeof(r->diags[i].message), false);
            strbuf_puts(b, "\n");
        }
        strbuf_puts(b, "</system-out>\n");
    }
    strbuf_puts(b, "  </testsuite>\n");
}

char *report_render_junit(const report_t *reports, size_t n)
{
    strbuf_t b = {0};
    long tests = 0, failures = 0, errors = 0;
    double ms = 0;
    for (size_t i = 0; i < n; i++) {
        summary_t s = report_summary(&reports[i]);
        tests += s.total;
        failures += s.failed;
        errors += s.inconclusive;
        if (isfinite(reports[i].duration_ms) && reports[i].duration_ms > 0)
            ms += reports[i].duration_ms;
    }
    strbuf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"ztprobe\"");
    strbuf_printf(&b, " tests=\"%ld\" failures=\"%ld\" errors=\"%ld\"", tests, failures, errors);
    jb_seconds(&b, "time", ms);
    strbuf_puts(&b, ">\n");
    for (size_t i = 0; i < n; i++)
        jb_testsuite(&b, &reports[i]);
    strbuf_puts(&b, "</testsuites>\n");
    return strbuf_take(&b);
}
