/* merge_policyreport.c: the namespace-wide matrix as Kubernetes PolicyReport objects
 * (wgpolicyk8s.io/v1alpha2, the Policy Working Group's CRD that Kyverno, Policy Reporter and
 * many dashboards read): one object per namespace, one result per pod x probe. Written as
 * multi-document YAML, the form `kubectl apply -f -` and kustomize read. Every string comes from
 * a report a person may have edited, so all of them go through one YAML escaper that keeps the
 * document parseable whatever the bytes (tests/outputs checks it against the CRD's schema). */
#include "merge.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "merge_int.h"
#include "strbuf.h"
#include "verdict.h"

/* A name Kubernetes also accepts as a DNS label, so it works wherever a name may end up (a
 * label value, a Service-like name): 63 characters, [a-z0-9-], alphanumeric at both ends. */
#define PR_NAME_MAX 63

/* True for the code points a YAML stream may carry as they are (YAML 1.1/1.2 "printable",
 * without the ones a parser treats as line breaks (NEL, LS, PS) or strips (BOM)). */
static bool yaml_printable(uint32_t cp)
{
    if (cp >= 0x20 && cp <= 0x7e)
        return true;
    if (cp < 0xa0 || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff)
        return false;
    return (cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
}

/* Appends s (at most max bytes) as a double-quoted YAML scalar: quote and backslash escaped,
 * newline and tab as \n and \t, and every other character YAML does not print (controls, NEL,
 * LS, PS, BOM) and invalid UTF-8 as U+FFFD. Escaping those as \uXXXX would be valid YAML, but
 * Go's YAML emitter writes them back raw and its reader then refuses the document (seen with
 * `kubectl kustomize`); in a report they carry nothing. Double quotes keep "yes", "1", "null"
 * and a leading "-" or "#" strings. */
static void yaml_str(strbuf_t *b, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strnlen(s, max);
    strbuf_puts(b, "\"");
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0;
        size_t l = strbuf_utf8_seq_len(p + i, n - i, &cp);
        if (l == 0) {
            strbuf_puts(b, "\xef\xbf\xbd");
            i++;
            continue;
        }
        if (cp == '"' || cp == '\\')
            strbuf_printf(b, "\\%c", (char)cp);
        else if (cp == '\n')
            strbuf_puts(b, "\\n");
        else if (cp == '\t')
            strbuf_puts(b, "\\t");
        else if (!yaml_printable(cp))
            strbuf_puts(b, "\xef\xbf\xbd");
        else
            strbuf_putn(b, s + i, l);
        i += l;
    }
    strbuf_puts(b, "\"");
}

/* indent key: "value"\n */
static void yaml_kv(strbuf_t *b, const char *indent, const char *key, const char *value, size_t max)
{
    strbuf_puts(b, indent);
    strbuf_puts(b, key);
    strbuf_puts(b, ": ");
    yaml_str(b, value, max);
    strbuf_puts(b, "\n");
}

/* A namespace Kubernetes would accept: a DNS-1123 label. */
static bool pr_valid_namespace(const char *ns)
{
    size_t n = strlen(ns);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = ns[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (c != '-' || i == 0 || i == n - 1))
            return false;
    }
    return true;
}

void merge_policyreport_name(const char *want, char *out, size_t outlen)
{
    char name[PR_NAME_MAX + 1];
    size_t n = 0, len = strlen(want);
    bool changed = false;
    for (size_t i = 0; i < len; i++) {
        char c = want[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            c = '-';
        changed |= c != want[i];
        if (c == '-' && (n == 0 || name[n - 1] == '-')) {
            changed = true; /* no leading dash, no runs: "a__b" reads "a-b" (and a hash) */
            continue;
        }
        if (n < PR_NAME_MAX)
            name[n++] = c;
        else
            changed = true;
    }
    while (n > 0 && name[n - 1] == '-')
        n--;
    /* Shortened or rewritten: a hash of the whole wanted name keeps two such names apart
     * (FNV-1a, 64 bits; 10 hex digits). */
    if (changed || n == 0) {
        uint64_t h = 0xcbf29ce484222325ull;
        for (size_t i = 0; i < len; i++)
            h = (h ^ (unsigned char)want[i]) * 0x100000001b3ull;
        size_t keep = PR_NAME_MAX - 11;
        if (n > keep)
            n = keep;
        while (n > 0 && name[n - 1] == '-')
            n--;
        snprintf(name + n, sizeof(name) - n, "%s%010llx", n ? "-" : "",
                 (unsigned long long)(h & 0xffffffffffull));
        n = strlen(name);
    }
    name[n] = '\0';
    snprintf(out, outlen, "%s", name);
}

static const char *pr_result(verdict_t v)
{
    return v == VERDICT_PASS ? "pass" : v == VERDICT_FAIL ? "fail" : "error";
}

/* One results[] entry for result r of source s. */
static void pr_entry(strbuf_t *b, const merge_src_t *s, const result_t *r)
{
    const char *in = "    ";
    strbuf_puts(b, "  - policy: \"ztprobe\"\n");
    strbuf_puts(b, "    rule: ");
    char rule[sizeof(s->rep.role) + sizeof(r->name) + 2];
    snprintf(rule, sizeof(rule), "%s/%s", s->rep.role, r->name);
    yaml_str(b, rule, sizeof(rule));
    strbuf_puts(b, "\n");
    yaml_kv(b, in, "result", pr_result(r->verdict), SIZE_MAX);
    yaml_kv(b, in, "source", "ztprobe", SIZE_MAX);
    yaml_kv(b, in, "category", "NetworkPolicy", SIZE_MAX);
    /* The hint says what to do; a passed probe has none, and says what was proven. */
    char msg[RESULT_HINT_LEN + RESULT_TARGET_LEN + 64];
    if (result_text(r, RESULT_HINT)[0])
        snprintf(msg, sizeof(msg), "%s", result_text(r, RESULT_HINT));
    else
        snprintf(msg, sizeof(msg), "expect %s %s: %s", config_expect_name(r->expect),
                 result_text(r, RESULT_TARGET), outcome_name(r->outcome));
    yaml_kv(b, in, "message", msg, sizeof(msg));
    double t = s->rep.started_at;
    long long sec = (isfinite(t) && t > 0 && t < 253402300800.0) ? (long long)t : 0;
    long nanos = sec > 0 ? (long)((t - (double)sec) * 1e9) : 0;
    strbuf_printf(b, "    timestamp:\n      seconds: %lld\n      nanos: %ld\n", sec,
                  nanos < 0 || nanos > 999999999 ? 0 : nanos);
    if (s->rep.pod_name[0]) {
        strbuf_puts(b, "    resources:\n    - apiVersion: \"v1\"\n      kind: \"Pod\"\n");
        yaml_kv(b, "      ", "name", s->rep.pod_name, sizeof(s->rep.pod_name));
        if (s->rep.pod_namespace[0])
            yaml_kv(b, "      ", "namespace", s->rep.pod_namespace, sizeof(s->rep.pod_namespace));
    }
    /* Properties are strings only (the CRD's additionalProperties: string). */
    const char *pi = "      ";
    strbuf_puts(b, "    properties:\n");
    yaml_kv(b, pi, "role", s->rep.role, sizeof(s->rep.role));
    yaml_kv(b, pi, "pod", s->pod, sizeof(s->pod));
    yaml_kv(b, pi, "probe", r->name, sizeof(r->name));
    yaml_kv(b, pi, "kind", config_kind_name(r->kind), SIZE_MAX);
    yaml_kv(b, pi, "expect", config_expect_name(r->expect), SIZE_MAX);
    yaml_kv(b, pi, "verdict", verdict_name(r->verdict), SIZE_MAX);
    yaml_kv(b, pi, "outcome", outcome_name(r->outcome), SIZE_MAX);
    yaml_kv(b, pi, "target", result_text(r, RESULT_TARGET), RESULT_TARGET_LEN);
    if (result_text(r, RESULT_DETAIL)[0])
        yaml_kv(b, pi, "detail", result_text(r, RESULT_DETAIL), RESULT_DETAIL_LEN);
    if (result_text(r, RESULT_HINT)[0])
        yaml_kv(b, pi, "hint", result_text(r, RESULT_HINT), RESULT_HINT_LEN);
    char num[32];
    snprintf(num, sizeof(num), "%d", r->attempts);
    yaml_kv(b, pi, "attempts", num, SIZE_MAX);
    snprintf(num, sizeof(num), "%.1f", isfinite(r->duration_ms) ? r->duration_ms : 0.0);
    yaml_kv(b, pi, "duration_ms", num, SIZE_MAX);
}

/* A report that could not be read: an error result in every object, since its namespace is
 * unknown and every namespace's evidence is the poorer for it. */
static void pr_missing(strbuf_t *b, const merge_src_t *s)
{
    strbuf_puts(b,
                "  - policy: \"ztprobe\"\n    rule: \"report\"\n    result: \"error\"\n"
                "    source: \"ztprobe\"\n    category: \"NetworkPolicy\"\n");
    char msg[2 * MERGE_LABEL_LEN + 48];
    snprintf(msg, sizeof(msg), "report %s could not be read: %s", s->source, s->reason);
    yaml_kv(b, "    ", "message", msg, sizeof(msg));
    strbuf_puts(b, "    properties:\n");
    yaml_kv(b, "      ", "report", s->source, sizeof(s->source));
    yaml_kv(b, "      ", "reason", s->reason, sizeof(s->reason));
}

static bool pr_in_ns(const merge_src_t *s, const char *ns)
{
    return !s->missing && strcmp(s->rep.pod_namespace, ns) == 0;
}

/* One PolicyReport for the reports of namespace ns ("" when the pods did not know theirs:
 * no metadata.namespace then, so `kubectl apply -n NS` places it). */
static void pr_object(strbuf_t *b, const merge_t *m, const char *ns, const char *now)
{
    int pass = 0, fail = 0, error = 0;
    for (size_t i = 0; i < m->n; i++) {
        const merge_src_t *s = &m->src[i];
        if (s->missing)
            error++;
        for (size_t k = 0; pr_in_ns(s, ns) && k < s->rep.n_results; k++) {
            verdict_t v = s->rep.results[k].verdict;
            pass += v == VERDICT_PASS;
            fail += v == VERDICT_FAIL;
            error += v != VERDICT_PASS && v != VERDICT_FAIL;
        }
    }
    char want[80], name[PR_NAME_MAX + 1];
    snprintf(want, sizeof(want), "ztprobe%s%s", ns[0] ? "-" : "", ns);
    merge_policyreport_name(want, name, sizeof(name));
    strbuf_puts(b,
                "---\napiVersion: \"wgpolicyk8s.io/v1alpha2\"\nkind: \"PolicyReport\"\n"
                "metadata:\n");
    yaml_kv(b, "  ", "name", name, SIZE_MAX);
    if (ns[0])
        yaml_kv(b, "  ", "namespace", ns, SIZE_MAX);
    strbuf_puts(b,
                "  labels:\n    app.kubernetes.io/managed-by: \"ztprobe\"\n"
                "    app.kubernetes.io/name: \"ztprobe\"\n  annotations:\n");
    yaml_kv(b, "    ", "ztprobe/generated-at", now, SIZE_MAX);
    /* This namespace's verdict: a missing report counts in every namespace (an error). */
    yaml_kv(b, "    ", "ztprobe/ok", fail + error == 0 ? "true" : "false", SIZE_MAX);
    if (ns[0]) {
        strbuf_puts(b, "scope:\n  apiVersion: \"v1\"\n  kind: \"Namespace\"\n");
        yaml_kv(b, "  ", "name", ns, SIZE_MAX);
    }
    strbuf_printf(b, "summary:\n  pass: %d\n  fail: %d\n  warn: 0\n  error: %d\n  skip: 0\n", pass, fail,
                  error);
    strbuf_puts(b, pass + fail + error ? "results:\n" : "results: []\n");
    for (size_t i = 0; i < m->n; i++) {
        const merge_src_t *s = &m->src[i];
        if (s->missing)
            pr_missing(b, s);
        for (size_t k = 0; pr_in_ns(s, ns) && k < s->rep.n_results; k++)
            pr_entry(b, s, &s->rep.results[k]);
    }
}

/* True when source i is the first report of its namespace. */
static bool pr_first_of_ns(const merge_t *m, size_t i)
{
    if (m->src[i].missing)
        return false;
    for (size_t j = 0; j < i; j++)
        if (pr_in_ns(&m->src[j], m->src[i].rep.pod_namespace))
            return false;
    return true;
}

char *merge_render_policyreport(const merge_t *m, double now, char *err, size_t errlen)
{
    if (errlen > 0)
        err[0] = '\0';
    for (size_t i = 0; i < m->n; i++) {
        const char *ns = m->src[i].rep.pod_namespace;
        if (!m->src[i].missing && ns[0] && !pr_valid_namespace(ns)) {
            strbuf_t q = {0};
            yaml_str(&q, ns, SIZE_MAX);
            char *quoted = strbuf_take(&q);
            snprintf(err, errlen,
                     "%s: pod.namespace %s is not a Kubernetes namespace name (a DNS-1123 "
                     "label: a-z, 0-9, '-', at most 63); no PolicyReport can be written for it",
                     m->src[i].source, quoted ? quoted : "?");
            free(quoted);
            return NULL;
        }
    }
    char when[80];
    merge_time_rfc3339(when, sizeof(when), now);
    strbuf_t b = {0};
    bool any = false;
    for (size_t i = 0; i < m->n; i++) {
        if (pr_first_of_ns(m, i)) {
            pr_object(&b, m, m->src[i].rep.pod_namespace, when);
            any = true;
        }
    }
    if (!any) /* nothing readable: the missing reports still show, in a namespace-less object */
        pr_object(&b, m, "", when);
    return strbuf_take(&b);
}
