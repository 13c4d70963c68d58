/* merge_html.c: the namespace-wide matrix as one self-contained HTML page, for CI artifacts
 * and compliance evidence: roles (one row per pod) by targets (one column per host the probes
 * reach), a cell entry per probe with its verdict as text and colour, outcome, detail and hint.
 * No script and no external asset (a Content-Security-Policy forbids both, so a string that got
 * past the escaper could still not load or run anything). Every string from a report goes
 * through html_text. */
#include "merge.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "merge_int.h"
#include "probe.h"
#include "report.h"
#include "strbuf.h"
#include "verdict.h"

/* Appends s (at most max bytes) as HTML text or attribute value: the five markup characters as
 * entities; control characters (but tab and newline), DEL and C1 controls, and invalid UTF-8 as
 * U+FFFD, so no byte sequence from a report changes the page's structure or encoding. */
static void html_text(strbuf_t *b, const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strnlen(s, max);
    for (size_t i = 0; i < n;) {
        bool safe = false;
        /* The one terminal filter decides what is a control (a page is also read with cat). */
        size_t l = strbuf_term_seq(p + i, n - i, &safe);
        const char *rep = NULL;
        if (!safe && !(l == 1 && (p[i] == '\t' || p[i] == '\n')))
            rep = "\xef\xbf\xbd";
        else if (p[i] == '&')
            rep = "&amp;";
        else if (p[i] == '<')
            rep = "&lt;";
        else if (p[i] == '>')
            rep = "&gt;";
        else if (p[i] == '"')
            rep = "&quot;";
        else if (p[i] == '\'')
            rep = "&#39;";
        if (rep != NULL)
            strbuf_puts(b, rep);
        else
            strbuf_putn(b, s + i, l);
        i += l;
    }
}

/* <tag class="cls">escaped s</tag> */
static void html_el(strbuf_t *b, const char *tag, const char *cls, const char *s, size_t max)
{
    strbuf_printf(b, "<%s class=\"%s\">", tag, cls);
    html_text(b, s, max);
    strbuf_printf(b, "</%s>", tag);
}

/* The column of a result: the host it reaches (URL host, host of host:port), or "DNS" (and the
 * server when one is named) for dns probes, which all test the path to a resolver. */
static void html_column(const result_t *r, char *out, size_t len)
{
    const char *t = result_text(r, RESULT_TARGET);
    if (probe_kind_queries_dns(r->kind)) {
        const char *at = strstr(t, " @");
        snprintf(out, len, "DNS%s%s", at ? " " : "", at ? at + 1 : "");
        return;
    }
    const char *start = t, *end = t + strlen(t);
    const char *scheme = strstr(t, "://");
    if (scheme != NULL) {
        start = scheme + 3;
        end = start + strcspn(start, "/?#");
        const char *at = memchr(start, '@', (size_t)(end - start));
        while (at != NULL) { /* userinfo: the host is after the last '@' */
            start = at + 1;
            at = memchr(start, '@', (size_t)(end - start));
        }
    }
    if (*start == '[') { /* [v6]:port */
        const char *close = memchr(start, ']', (size_t)(end - start));
        if (close != NULL)
            end = close + 1;
    } else {
        const char *colon = memchr(start, ':', (size_t)(end - start));
        if (colon != NULL)
            end = colon;
    }
    snprintf(out, len, "%.*s", (int)(end - start), start);
}

typedef char html_col_t[RESULT_TARGET_LEN];

/* The distinct columns in the order first seen, found through a hash table, and each result's
 * column, computed once: a page costs results (plus rows x columns cells), not rows x columns
 * x results. */
typedef struct {
    html_col_t *cols;
    size_t n;
    size_t *slot;    /* open addressing: column index + 1, 0 empty */
    size_t nslot;    /* a power of two, at least twice the results */
    size_t **col_of; /* per source, per result: its column */
} html_cols_t;

static size_t html_hash(const char *s)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static void html_cols_free(html_cols_t *c, size_t n_src)
{
    for (size_t i = 0; c->col_of && i < n_src; i++)
        free(c->col_of[i]);
    free(c->col_of);
    free(c->slot);
    free(c->cols);
}

/* -1 on OOM. */
static int html_collect(const merge_t *m, html_cols_t *c)
{
    size_t cap = 0;
    for (size_t i = 0; i < m->n; i++)
        cap += m->src[i].missing ? 0 : m->src[i].rep.n_results;
    c->nslot = 16;
    while (c->nslot < 2 * cap)
        c->nslot *= 2;
    c->cols = calloc(cap ? cap : 1, sizeof(*c->cols));
    c->slot = calloc(c->nslot, sizeof(*c->slot));
    c->col_of = calloc(m->n ? m->n : 1, sizeof(*c->col_of));
    if (c->cols == NULL || c->slot == NULL || c->col_of == NULL)
        return -1;
    for (size_t i = 0; i < m->n; i++) {
        size_t nr = m->src[i].missing ? 0 : m->src[i].rep.n_results;
        if (nr > 0 && (c->col_of[i] = malloc(nr * sizeof(**c->col_of))) == NULL)
            return -1;
        for (size_t k = 0; k < nr; k++) {
            html_col_t col;
            html_column(&m->src[i].rep.results[k], col, sizeof(col));
            size_t h = html_hash(col) & (c->nslot - 1);
            while (c->slot[h] != 0 && strcmp(c->cols[c->slot[h] - 1], col) != 0)
                h = (h + 1) & (c->nslot - 1);
            if (c->slot[h] == 0) {
                memcpy(c->cols[c->n++], col, sizeof(col));
                c->slot[h] = c->n;
            }
            c->col_of[i][k] = c->slot[h] - 1;
        }
    }
    return 0;
}

typedef struct {
    size_t col, k;
} html_cell_t;

static int html_cell_cmp(const void *a, const void *b)
{
    const html_cell_t *x = a, *y = b;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k);
}

static const char *html_vclass(verdict_t v)
{
    return v == VERDICT_PASS ? "pass" : v == VERDICT_FAIL ? "fail" : "inconclusive";
}

/* One probe in a cell: verdict word (the colour repeats it), name, expectation, kind and
 * outcome, the exact target, detail and hint. */
static void html_probe(strbuf_t *b, const result_t *r, const result_policy_t *pol, bool disagrees)
{
    const char *v = html_vclass(r->verdict);
    char oc[RESULT_OUTCOME_TEXT_LEN]; /* family all: "timeout (v4) / ok (v6)", no markup */
    report_outcome_text(r, oc, sizeof(oc));
    strbuf_printf(b, "<div class=\"probe v-%s\"><span class=\"verdict\">%s</span> ", v, v);
    html_el(b, "strong", "name", r->name, sizeof(r->name));
    strbuf_printf(b,
                  "<div class=\"meta\">expect %s &middot; %s &middot; outcome <b>%s</b> "
                  "&middot; %.1f&nbsp;ms</div>",
                  config_expect_name(r->expect), config_kind_name(r->kind), oc,
                  r->duration_ms >= 0 && r->duration_ms < 1e9 ? r->duration_ms : 0.0);
    html_el(b, "div", "target", result_text(r, RESULT_TARGET), RESULT_TARGET_LEN);
    if (result_text(r, RESULT_DETAIL)[0])
        html_el(b, "div", "detail", result_text(r, RESULT_DETAIL), RESULT_DETAIL_LEN);
    if (result_text(r, RESULT_HINT)[0]) {
        strbuf_puts(b, "<div class=\"hint\"><b>Hint:</b> ");
        html_text(b, result_text(r, RESULT_HINT), RESULT_HINT_LEN);
        strbuf_puts(b, "</div>");
    }
    /* With --policies, a probe that did not pass carries why the policies allow or deny it:
     * the field of the rule to change, when one part of a rule is off. */
    if (pol && r->verdict != VERDICT_PASS && pol->intended[0]) {
        strbuf_puts(b, "<div class=\"policy\"><b>Policies:</b> ");
        html_text(b, pol->intended, sizeof(pol->intended));
        if (result_policy_reason(pol)[0]) {
            strbuf_puts(b, ": ");
            html_text(b, result_policy_reason(pol), RESULT_POLICY_REASON_LEN);
        }
        strbuf_puts(b, "</div>");
    }
    if (disagrees)
        strbuf_puts(b, "<div class=\"hint\"><b>Pods of this role disagree on this probe.</b></div>");
    strbuf_puts(b, "</div>");
}

/* -1 on OOM. */
static int html_row(strbuf_t *b, const merge_t *m, size_t i, const html_cols_t *c)
{
    const merge_src_t *s = &m->src[i];
    summary_t sm = report_summary(&s->rep);
    /* The row's results in column order (report order within a column). */
    html_cell_t *cells = NULL;
    if (s->rep.n_results > 0) {
        if ((cells = malloc(s->rep.n_results * sizeof(*cells))) == NULL)
            return -1;
        for (size_t k = 0; k < s->rep.n_results; k++)
            cells[k] = (html_cell_t){.col = c->col_of[i][k], .k = k};
        qsort(cells, s->rep.n_results, sizeof(*cells), html_cell_cmp);
    }
    strbuf_puts(b, "<tr><th scope=\"row\">");
    html_el(b, "span", "role", s->rep.role, sizeof(s->rep.role));
    strbuf_puts(b, "<span class=\"pod\">pod ");
    html_text(b, s->pod, sizeof(s->pod));
    strbuf_printf(b, "</span><span class=\"count v-%s\">%d of %d passed</span></th>\n",
                  sm.ok ? "pass" : "fail", sm.passed, sm.total);
    size_t at = 0;
    for (size_t j = 0; j < c->n; j++) {
        bool any = false;
        for (; at < s->rep.n_results && cells[at].col == j; at++) {
            const result_t *r = &s->rep.results[cells[at].k];
            if (!any)
                strbuf_puts(b, "<td>");
            any = true;
            html_probe(b, r, s->rep.policy ? &s->rep.policy[cells[at].k] : NULL,
                       merge_row_disagrees(m, s->rep.role, r->name));
        }
        strbuf_puts(b, any ? "</td>\n" : "<td class=\"none\">&mdash;</td>\n");
    }
    strbuf_puts(b, "</tr>\n");
    free(cells);
    return 0;
}

/* The namespaces of the reports, for the title: "govtech", "a, b", or "namespace unknown". */
static void html_namespaces(strbuf_t *b, const merge_t *m)
{
    bool any = false;
    for (size_t i = 0; i < m->n; i++) {
        const char *ns = m->src[i].rep.pod_namespace;
        if (m->src[i].missing || !ns[0])
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !m->src[j].missing && strcmp(m->src[j].rep.pod_namespace, ns) == 0;
        if (seen)
            continue;
        strbuf_puts(b, any ? ", " : "");
        html_text(b, ns, sizeof(m->src[i].rep.pod_namespace));
        any = true;
    }
    if (!any)
        strbuf_puts(b, "namespace unknown");
}

static const char html_style[] =
    "body{font-family:'DejaVu Sans',Arial,sans-serif;color:#1a1a1a;background:#fff;"
    "margin:1em;font-size:13px;line-height:1.3}\n"
    "h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.4em 0 .4em}\n"
    ".status{display:inline-block;padding:.25em .6em;border-radius:4px;font-weight:bold;"
    "color:#fff}\n"
    ".status.v-pass{background:#1e6b30}.status.v-fail{background:#a61b1b}\n"
    "table{border-collapse:collapse}caption{text-align:left;padding:.4em 0;color:#333}\n"
    "th,td{border:1px solid #8c8c8c;padding:3px;vertical-align:top;text-align:left}\n"
    "thead th{background:#eceff3;font-size:.95em;word-break:break-all}\n"
    "tbody th{background:#f5f6f8;white-space:nowrap}\n"
    "th .role{display:block;font-size:1.1em}th .pod,th .count{display:block;font-weight:normal;"
    "font-size:.85em;color:#333}\n"
    "td.none{color:#595959;text-align:center;vertical-align:middle}\n"
    ".probe{border-left:6px solid;padding:2px 4px;margin:0 0 4px;min-width:8em;max-width:18em}\n"
    ".probe:last-child{margin-bottom:0}\n"
    ".v-fail.probe,.v-inconclusive.probe{min-width:14em}\n"
    ".probe .verdict{display:inline-block;color:#fff;font-weight:bold;font-size:.8em;"
    "padding:0 .4em;border-radius:3px;text-transform:uppercase}\n"
    ".v-pass.probe{background:#e9f6ec;border-color:#1e6b30}.v-pass .verdict{background:#1e6b30}\n"
    ".v-fail.probe{background:#fdecec;border-color:#a61b1b}.v-fail .verdict{background:#a61b1b}\n"
    ".v-inconclusive.probe{background:#fff5dc;border-color:#7a4f00}"
    ".v-inconclusive .verdict{background:#7a4f00}\n"
    ".count.v-fail{color:#a61b1b}\n"
    ".meta,.target,.detail,.hint,.policy{font-size:.8em}.target{color:#333;word-break:break-all}\n"
    ".detail{white-space:pre-wrap;word-break:break-word}.hint,.policy{margin-top:2px}\n"
    "ul{margin:.2em 0;padding-left:1.4em}code{font-size:.95em}\n";

/* A titled list whose items the caller writes; an empty one says "none". */
static void html_list_open(strbuf_t *b, const char *title)
{
    strbuf_printf(b, "<h2>%s</h2>\n<ul>\n", title);
}

static void html_list_close(strbuf_t *b, bool any)
{
    strbuf_puts(b, any ? "</ul>\n" : "<li>none</li>\n</ul>\n");
}

/* Diagnoses, disagreements and missing reports: what the matrix alone does not say. */
static void html_notes(strbuf_t *b, const merge_t *m)
{
    html_list_open(b, "Diagnoses");
    bool any = false;
    for (size_t i = 0; i < m->n; i++) {
        const report_t *r = &m->src[i].rep;
        for (size_t d = 0; !m->src[i].missing && d < r->n_diags && d < DIAG_MAX; d++) {
            strbuf_puts(b, "<li>");
            html_el(b, "b", "role", r->role, sizeof(r->role));
            strbuf_puts(b, " (");
            html_text(b, m->src[i].pod, sizeof(m->src[i].pod));
            strbuf_puts(b, "): <code>");
            html_text(b, r->diags[d].code, sizeof(r->diags[d].code));
            strbuf_puts(b, "</code> ");
            html_text(b, r->diags[d].message, sizeof(r->diags[d].message));
            strbuf_puts(b, "</li>\n");
            any = true;
        }
    }
    html_list_close(b, any);
    html_list_open(b, "Missing reports");
    any = false;
    for (size_t i = 0; i < m->n; i++) {
        if (!m->src[i].missing)
            continue;
        strbuf_puts(b, "<li><code>");
        html_text(b, m->src[i].source, sizeof(m->src[i].source));
        strbuf_puts(b, "</code>: ");
        html_text(b, m->src[i].reason, sizeof(m->src[i].reason));
        strbuf_puts(b, "</li>\n");
        any = true;
    }
    html_list_close(b, any);
}

char *merge_render_html(const merge_t *m, double now)
{
    html_cols_t c = {0};
    if (html_collect(m, &c) < 0) {
        html_cols_free(&c, m->n);
        return NULL;
    }
    merge_totals_t t = merge_totals(m);
    size_t nd = merge_disagreements(m);
    bool ok = merge_ok(m);
    char when[40];
    merge_time_rfc3339(when, sizeof(when), now);
    strbuf_t b = {0};
    strbuf_puts(&b,
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                "style-src 'unsafe-inline'\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<title>ztprobe: ");
    html_namespaces(&b, m);
    /* strbuf_printf cuts at STRBUF_PRINTF_MAX: long fixed text goes through strbuf_puts. */
    strbuf_printf(&b, ": %s</title>\n<style>\n", ok ? "OK" : "NOT OK");
    strbuf_puts(&b, html_style);
    strbuf_puts(&b, "</style>\n</head>\n<body>\n<main>\n");
    strbuf_puts(&b, "<h1>NetworkPolicy probes: ");
    html_namespaces(&b, m);
    strbuf_printf(&b, "</h1>\n<p><span class=\"status v-%s\">%s</span> ", ok ? "pass" : "fail",
                  ok ? "OK" : "NOT OK");
    strbuf_printf(&b, "%d probe result%s: %d passed, %d failed, %d inconclusive; ", t.total,
                  t.total == 1 ? "" : "s", t.passed, t.failed, t.inconclusive);
    strbuf_printf(&b, "%d report%s, %d missing; %zu disagreement%s between pods of one role.</p>\n",
                  t.reports + t.missing, t.reports + t.missing == 1 ? "" : "s", t.missing, nd,
                  nd == 1 ? "" : "s");
    strbuf_printf(&b,
                  "<p>Generated <time datetime=\"%s\">%s</time> by <code>ztprobe merge -o "
                  "html</code>",
                  when, when);
    double first = 0;
    for (size_t i = 0; i < m->n; i++)
        if (!m->src[i].missing && m->src[i].rep.started_at > 0 &&
            (first == 0 || m->src[i].rep.started_at < first))
            first = m->src[i].rep.started_at;
    if (first > 0) {
        char ran[40];
        merge_time_rfc3339(ran, sizeof(ran), first);
        strbuf_printf(&b, "; the first probe run started <time datetime=\"%s\">%s</time>", ran, ran);
    }
    strbuf_puts(&b,
                ".</p>\n<table>\n<caption>Roles (rows, one per pod) by targets (columns): "
                "each probe shows its verdict, expectation, kind, outcome, target, detail "
                "and, when it did not pass, a hint.</caption>\n<thead><tr><th scope=\"col\">"
                "Role and pod</th>");
    for (size_t j = 0; j < c.n; j++) {
        strbuf_puts(&b, "<th scope=\"col\">");
        html_text(&b, c.cols[j], sizeof(c.cols[j]));
        strbuf_puts(&b, "</th>");
    }
    strbuf_puts(&b, "</tr></thead>\n<tbody>\n");
    bool oom = false;
    for (size_t i = 0; i < m->n && !oom; i++)
        oom = !m->src[i].missing && html_row(&b, m, i, &c) < 0;
    strbuf_puts(&b, "</tbody>\n</table>\n");
    html_notes(&b, m);
    strbuf_puts(&b, "</main>\n</body>\n</html>\n");
    html_cols_free(&c, m->n);
    if (oom) {
        strbuf_free(&b);
        return NULL;
    }
    return strbuf_take(&b);
}
