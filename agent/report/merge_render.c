/* merge_render.c: the namespace-wide matrix of merge.c as a table for a terminal and as
 * JSON. Split from merge.c along the build / render seam; both walk the matrix through
 * merge_int.h. Every string comes from a file a person may have edited, so text goes through
 * strbuf_put_safe (terminal) or strbuf_json_str (JSON), never through a printf format. */
#include "merge.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "merge_int.h"
#include "report.h"
#include "strbuf.h"
#include "verdict.h"

/* ---- text --------------------------------------------------------------------------- */

/* Text from a report (names, sources, reasons) for a terminal: control bytes shown as '?'
 * and padded to width columns. */
static void text_cell(strbuf_t *b, const char *s, size_t width)
{
    strbuf_put_safe(b, s, SIZE_MAX);
    strbuf_pad(b, strbuf_utf8_width(s, SIZE_MAX), width);
}

/* Cells are padded: ends a line without the trailing blanks of its last cell. */
static void text_end_line(strbuf_t *b)
{
    while (b->len > 0 && b->buf[b->len - 1] == ' ')
        b->buf[--b->len] = '\0';
    strbuf_puts(b, "\n");
}

static void cell_text(const merge_t *m, size_t i, const char *name, char *buf, size_t len)
{
    const result_t *r = merge_find(m, i, name);
    static const char *const vname[] = {"pass", "FAIL", "inconcl."};
    char oc[RESULT_OUTCOME_TEXT_LEN];
    if (r == NULL) {
        snprintf(buf, len, "-");
        return;
    }
    report_outcome_text(r, oc, sizeof(oc));
    snprintf(buf, len, "%s %s", vname[(unsigned)r->verdict <= 2 ? r->verdict : 2], oc);
}

typedef struct {
    strbuf_t *b;
    size_t first_w; /* width of the probe column */
    size_t *col_w;  /* per source index: width of that pod's column */
} text_ctx_t;

static void width_row(const merge_t *m, const char *role, const result_t *first, void *ud)
{
    text_ctx_t *c = ud;
    char cell[RESULT_OUTCOME_TEXT_LEN + 16];
    if (2 + strbuf_utf8_width(first->name, SIZE_MAX) > c->first_w)
        c->first_w = 2 + strbuf_utf8_width(first->name, SIZE_MAX);
    for (size_t i = 0; i < m->n; i++) {
        if (!merge_in_role(m, i, role))
            continue;
        cell_text(m, i, first->name, cell, sizeof(cell));
        if (strlen(cell) > c->col_w[i])
            c->col_w[i] = strlen(cell);
    }
}

static void text_row(const merge_t *m, const char *role, const result_t *first, void *ud)
{
    text_ctx_t *c = ud;
    char cell[RESULT_OUTCOME_TEXT_LEN + 16];
    strbuf_puts(c->b, "  ");
    text_cell(c->b, first->name, c->first_w - 2 + 2);
    for (size_t i = 0; i < m->n; i++) {
        if (!merge_in_role(m, i, role))
            continue;
        cell_text(m, i, first->name, cell, sizeof(cell));
        text_cell(c->b, cell, c->col_w[i] + 2);
    }
    if (merge_row_disagrees(m, role, first->name))
        strbuf_puts(c->b, "<- pods disagree");
    text_end_line(c->b);
}

static void text_role(const merge_t *m, const char *role, text_ctx_t *c)
{
    c->first_w = strbuf_utf8_width(role, SIZE_MAX);
    for (size_t i = 0; i < m->n; i++)
        if (merge_in_role(m, i, role))
            c->col_w[i] = strbuf_utf8_width(m->src[i].pod, SIZE_MAX);
    merge_each_row(m, role, width_row, c);
    /* The role's header line names its pods: they are the columns below. */
    text_cell(c->b, role, c->first_w + 2);
    for (size_t i = 0; i < m->n; i++)
        if (merge_in_role(m, i, role))
            text_cell(c->b, m->src[i].pod, c->col_w[i] + 2);
    text_end_line(c->b);
    merge_each_row(m, role, text_row, c);
    for (size_t i = 0; i < m->n; i++) {
        const report_t *r = &m->src[i].rep;
        if (!merge_in_role(m, i, role) || r->n_diags == 0)
            continue;
        strbuf_puts(c->b, "  ! ");
        strbuf_put_safe(c->b, m->src[i].pod, SIZE_MAX);
        for (size_t d = 0; d < r->n_diags && d < DIAG_MAX; d++) {
            strbuf_puts(c->b, d ? ", " : ": ");
            strbuf_put_safe(c->b, r->diags[d].code, SIZE_MAX);
        }
        strbuf_puts(c->b, "\n");
    }
}

/* "role/probe: fail on a, b; pass on c". */
static void text_disagreement(const merge_t *m, const char *role, const result_t *first, void *ud)
{
    strbuf_t *b = ud;
    if (!merge_row_disagrees(m, role, first->name))
        return;
    static const char *const sname[] = {"missing", "pass", "fail", "inconclusive"};
    strbuf_puts(b, "  ");
    strbuf_put_safe(b, role, SIZE_MAX);
    strbuf_puts(b, "/");
    strbuf_put_safe(b, first->name, SIZE_MAX);
    strbuf_puts(b, ":");
    bool any_group = false;
    for (int st = -1; st <= 2; st++) {
        bool any = false;
        for (size_t i = 0; i < m->n; i++) {
            if (!merge_in_role(m, i, role) || merge_cell_state(m, i, first->name) != st)
                continue;
            if (!any) {
                strbuf_puts(b, any_group ? "; " : " ");
                strbuf_puts(b, sname[st + 1]);
                strbuf_puts(b, " on ");
            } else {
                strbuf_puts(b, ", ");
            }
            strbuf_put_safe(b, m->src[i].pod, SIZE_MAX);
            any = any_group = true;
        }
    }
    strbuf_puts(b, "\n");
}

char *merge_render_text(const merge_t *m)
{
    strbuf_t b = {0};
    text_ctx_t c = {.b = &b};
    c.col_w = calloc(m->n ? m->n : 1, sizeof(*c.col_w));
    if (c.col_w == NULL)
        return NULL;
    for (size_t i = 0; i < m->n; i++) {
        if (!merge_first_of_role(m, i))
            continue;
        if (b.len > 0)
            strbuf_puts(&b, "\n");
        text_role(m, m->src[i].rep.role, &c);
    }
    size_t nd = merge_disagreements(m);
    if (nd > 0) {
        strbuf_puts(&b, "\ndisagreements (same role, different verdicts):\n");
        for (size_t i = 0; i < m->n; i++)
            if (merge_first_of_role(m, i))
                merge_each_row(m, m->src[i].rep.role, text_disagreement, &b);
    }
    merge_totals_t t = merge_totals(m);
    if (t.missing > 0) {
        strbuf_puts(&b, "\nmissing reports:\n");
        for (size_t i = 0; i < m->n; i++) {
            if (!m->src[i].missing)
                continue;
            strbuf_puts(&b, "  ");
            strbuf_put_safe(&b, m->src[i].source, SIZE_MAX);
            strbuf_puts(&b, ": ");
            strbuf_put_safe(&b, m->src[i].reason, SIZE_MAX);
            strbuf_puts(&b, "\n");
        }
    }
    strbuf_printf(&b,
                  "%s%d report%s (%d missing), %d probe result%s: %d passed, %d failed, "
                  "%d inconclusive; %zu disagreement%s: %s\n",
                  b.len ? "\n" : "", t.reports + t.missing, t.reports + t.missing == 1 ? "" : "s", t.missing,
                  t.total, t.total == 1 ? "" : "s", t.passed, t.failed, t.inconclusive, nd,
                  nd == 1 ? "" : "s", merge_ok(m) ? "OK" : "NOT OK");
    free(c.col_w);
    return strbuf_take(&b);
}

/* ---- JSON --------------------------------------------------------------------------- */

/* prefix, then s as a JSON string (a hand-edited report may hold any bytes; this must
 * parse). */
static void json_field(strbuf_t *b, const char *prefix, const char *s)
{
    strbuf_puts(b, prefix);
    strbuf_json_str(b, s, SIZE_MAX);
}

/* Arrays with one object per line: compact, and grep finds a pod or a probe. */
typedef struct {
    strbuf_t *b;
    bool any;
} json_ctx_t;

static void json_item(json_ctx_t *c)
{
    strbuf_puts(c->b, c->any ? ",\n    " : "\n    ");
    c->any = true;
}

static void json_close(json_ctx_t *c, const char *next)
{
    strbuf_puts(c->b, c->any ? "\n  ]" : "]");
    strbuf_puts(c->b, next);
    c->any = false;
}

static void json_matrix_row(const merge_t *m, const char *role, const result_t *first, void *ud)
{
    json_ctx_t *c = ud;
    for (size_t i = 0; i < m->n; i++) {
        const result_t *r = merge_in_role(m, i, role) ? merge_find(m, i, first->name) : NULL;
        if (r == NULL)
            continue;
        json_item(c);
        json_field(c->b, "{ \"role\": ", role);
        json_field(c->b, ", \"pod\": ", m->src[i].pod);
        json_field(c->b, ", \"probe\": ", r->name);
        json_field(c->b, ", \"kind\": ", config_kind_name(r->kind));
        json_field(c->b, ", \"expect\": ", config_expect_name(r->expect));
        json_field(c->b, ", \"verdict\": ", verdict_name(r->verdict));
        json_field(c->b, ", \"outcome\": ", outcome_name(r->outcome));
        strbuf_puts(c->b, " }");
    }
}

/* Pods are unique within a role (merge_add's "#2"), so they can be keys. */
static void json_disagreement(const merge_t *m, const char *role, const result_t *first, void *ud)
{
    json_ctx_t *c = ud;
    if (!merge_row_disagrees(m, role, first->name))
        return;
    json_item(c);
    json_field(c->b, "{ \"role\": ", role);
    json_field(c->b, ", \"probe\": ", first->name);
    strbuf_puts(c->b, ", \"verdicts\": {");
    bool any = false;
    for (size_t i = 0; i < m->n; i++) {
        if (!merge_in_role(m, i, role))
            continue;
        const result_t *r = merge_find(m, i, first->name);
        json_field(c->b, any ? ", " : " ", m->src[i].pod);
        json_field(c->b, ": ", r ? verdict_name(r->verdict) : "missing");
        any = true;
    }
    strbuf_puts(c->b, " } }");
}

char *merge_render_json(const merge_t *m)
{
    strbuf_t b = {0};
    json_ctx_t c = {.b = &b};
    strbuf_puts(&b, "{\n  \"schema\": \"" MERGE_SCHEMA "\",\n  \"reports\": [");
    for (size_t i = 0; i < m->n; i++) {
        const merge_src_t *s = &m->src[i];
        if (s->missing)
            continue;
        summary_t sm = report_summary(&s->rep);
        json_item(&c);
        json_field(&b, "{ \"role\": ", s->rep.role);
        json_field(&b, ", \"pod\": ", s->pod);
        json_field(&b, ", \"source\": ", s->source);
        strbuf_printf(&b,
                      ", \"summary\": { \"total\": %d, \"passed\": %d, \"failed\": %d, "
                      "\"inconclusive\": %d, \"ok\": %s }, \"diagnoses\": [",
                      sm.total, sm.passed, sm.failed, sm.inconclusive, sm.ok ? "true" : "false");
        for (size_t d = 0; d < s->rep.n_diags && d < DIAG_MAX; d++)
            json_field(&b, d ? ", " : "", s->rep.diags[d].code);
        strbuf_puts(&b, "] }");
    }
    json_close(&c, ",\n  \"missing\": [");
    for (size_t i = 0; i < m->n; i++) {
        if (!m->src[i].missing)
            continue;
        json_item(&c);
        json_field(&b, "{ \"source\": ", m->src[i].source);
        json_field(&b, ", \"reason\": ", m->src[i].reason);
        strbuf_puts(&b, " }");
    }
    json_close(&c, ",\n  \"matrix\": [");
    for (size_t i = 0; i < m->n; i++)
        if (merge_first_of_role(m, i))
            merge_each_row(m, m->src[i].rep.role, json_matrix_row, &c);
    json_close(&c, ",\n  \"disagreements\": [");
    for (size_t i = 0; i < m->n; i++)
        if (merge_first_of_role(m, i))
            merge_each_row(m, m->src[i].rep.role, json_disagreement, &c);
    json_close(&c, ",\n  \"summary\": ");
    merge_totals_t t = merge_totals(m);
    strbuf_printf(&b,
                  "{ \"reports\": %d, \"missing_reports\": %d, \"total\": %d, "
                  "\"passed\": %d, \"failed\": %d, \"inconclusive\": %d, "
                  "\"disagreements\": %zu, \"ok\": %s }\n}\n",
                  t.reports + t.missing, t.missing, t.total, t.passed, t.failed, t.inconclusive,
                  merge_disagreements(m), merge_ok(m) ? "true" : "false");
    return strbuf_take(&b);
}
