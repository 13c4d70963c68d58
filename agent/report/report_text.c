/* report_text.c: the report as a table for a terminal (`kubectl exec -it`): one row per
 * probe, its hint indented underneath when it did not pass, then diagnoses and a summary.
 * Strings that come from the network (detail) or a parsed report are shown with control
 * bytes replaced, so no escape sequence reaches the terminal unless color asks for one. */
#include "report.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "strbuf.h"
#include "verdict.h"

#define ANSI_GREEN "\033[32m"
#define ANSI_RED "\033[31m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RESET "\033[0m"

/* A left-aligned cell followed by the two-space gutter. */
static void text_cell(strbuf_t *b, const char *s, size_t max, size_t width)
{
    strbuf_put_safe(b, s, max);
    strbuf_pad(b, strbuf_utf8_width(s, max), width + 2);
}

enum { COL_PROBE, COL_KIND, COL_EXPECT, COL_VERDICT, COL_OUTCOME, COL_MS, NCOL };

static const char *const headers[NCOL] = {"PROBE", "KIND", "EXPECT", "VERDICT", "OUTCOME", "MS"};

static void fmt_ms(char *buf, size_t len, double ms)
{
    snprintf(buf, len, "%.1f", ms >= 0 && ms < 1e12 ? ms : 0.0);
}

static const char *verdict_color(verdict_t v)
{
    return v == VERDICT_PASS ? ANSI_GREEN : v == VERDICT_FAIL ? ANSI_RED : ANSI_YELLOW;
}

static void render_row(strbuf_t *b, const result_t *res, const size_t *w, bool color)
{
    char ms[32];
    const char *vn = verdict_name(res->verdict);

    text_cell(b, res->name, sizeof(res->name), w[COL_PROBE]);
    text_cell(b, config_kind_name(res->kind), 16, w[COL_KIND]);
    text_cell(b, config_expect_name(res->expect), 16, w[COL_EXPECT]);
    if (color)
        strbuf_puts(b, verdict_color(res->verdict));
    strbuf_puts(b, vn);
    if (color)
        strbuf_puts(b, ANSI_RESET);
    strbuf_pad(b, strlen(vn), w[COL_VERDICT] + 2);
    char oc[RESULT_OUTCOME_TEXT_LEN];
    report_outcome_text(res, oc, sizeof(oc));
    text_cell(b, oc, sizeof(oc), w[COL_OUTCOME]);
    fmt_ms(ms, sizeof(ms), res->duration_ms);
    strbuf_pad(b, strlen(ms), w[COL_MS]); /* numbers align right */
    strbuf_puts(b, ms);
    strbuf_puts(b, "\n");
    if (res->verdict == VERDICT_PASS)
        return;
    if (result_text(res, RESULT_DETAIL)[0] != '\0') {
        strbuf_puts(b, "    detail: ");
        strbuf_put_safe(b, result_text(res, RESULT_DETAIL), RESULT_DETAIL_LEN);
        strbuf_puts(b, "\n");
    }
    if (result_text(res, RESULT_HINT)[0] != '\0') {
        strbuf_puts(b, "    hint: ");
        strbuf_put_safe(b, result_text(res, RESULT_HINT), RESULT_HINT_LEN);
        strbuf_puts(b, "\n");
    }
}

static void render_table(strbuf_t *b, const report_t *r, bool color)
{
    size_t w[NCOL];
    char ms[32];

    for (int c = 0; c < NCOL; c++)
        w[c] = strlen(headers[c]);
    for (size_t i = 0; i < r->n_results; i++) {
        const result_t *res = &r->results[i];
        size_t cw[NCOL];
        fmt_ms(ms, sizeof(ms), res->duration_ms);
        cw[COL_PROBE] = strbuf_utf8_width(res->name, sizeof(res->name));
        cw[COL_KIND] = strlen(config_kind_name(res->kind));
        cw[COL_EXPECT] = strlen(config_expect_name(res->expect));
        cw[COL_VERDICT] = strlen(verdict_name(res->verdict));
        char oc[RESULT_OUTCOME_TEXT_LEN];
        report_outcome_text(res, oc, sizeof(oc));
        cw[COL_OUTCOME] = strlen(oc);
        cw[COL_MS] = strlen(ms);
        for (int c = 0; c < NCOL; c++)
            if (cw[c] > w[c])
                w[c] = cw[c];
    }
    for (int c = 0; c < COL_MS; c++)
        text_cell(b, headers[c], 16, w[c]);
    strbuf_pad(b, strlen(headers[COL_MS]), w[COL_MS]);
    strbuf_puts(b, headers[COL_MS]);
    strbuf_puts(b, "\n");
    for (size_t i = 0; i < r->n_results; i++)
        render_row(b, &r->results[i], w, color);
}

/* run --wait: when the matrix converged and which probe was last, or which never passed. */
static void render_convergence(strbuf_t *b, const report_t *r, summary_t s)
{
    bool converged = r->converged_after_ms >= 0 && r->converged_after_ms < 1e12;
    if (converged)
        strbuf_printf(b, "converged after %.1f s", r->converged_after_ms / 1000.0);
    else
        strbuf_printf(b, "not converged: %d probe%s never passed while waiting", s.total - s.passed,
                      s.total - s.passed == 1 ? "" : "s");
    size_t shown = 0, n = 0;
    for (size_t i = 0; i < r->n_results; i++) {
        const result_t *res = &r->results[i];
        /* Converged: the probes that took longest; not converged: those that never passed. */
        bool pick = converged
            ? res->converged_after_ms > 0 && res->converged_after_ms >= r->converged_after_ms
            : res->converged_after_ms < 0;
        if (!pick)
            continue;
        if (shown < 5) {
            strbuf_puts(b, shown == 0 ? (converged ? " (last: " : " (") : ", ");
            strbuf_put_safe(b, res->name, sizeof(res->name));
            shown++;
        }
        n++;
    }
    if (n > shown)
        strbuf_printf(b, ", and %zu more", n - shown);
    strbuf_puts(b, shown > 0 ? ")\n" : "\n");
}

char *report_render_text(const report_t *r, bool color)
{
    strbuf_t b = {0};
    summary_t s = report_summary(r);

    strbuf_puts(&b, "ztprobe: role ");
    strbuf_put_safe(&b, r->role, sizeof(r->role));
    strbuf_puts(&b, ", pod ");
    if (r->pod_namespace[0] != '\0') {
        strbuf_put_safe(&b, r->pod_namespace, sizeof(r->pod_namespace));
        strbuf_puts(&b, "/");
    }
    strbuf_put_safe(&b, r->pod_name[0] != '\0' ? r->pod_name : "(unknown)", sizeof(r->pod_name));
    strbuf_puts(&b, "\n\n");

    if (r->n_results > 0)
        render_table(&b, r, color);
    else
        strbuf_puts(&b, "no probes\n");

    size_t nd = r->n_diags < DIAG_MAX ? r->n_diags : DIAG_MAX;
    if (nd > 0)
        strbuf_puts(&b, "\ndiagnoses:\n");
    for (size_t i = 0; i < nd; i++) {
        strbuf_puts(&b, "  ");
        strbuf_put_safe(&b, r->diags[i].code, sizeof(r->diags[i].code));
        strbuf_puts(&b, ": ");
        strbuf_put_safe(&b, r->diags[i].message, sizeof(r->diags[i].message));
        strbuf_puts(&b, "\n");
    }

    strbuf_printf(&b, "\n%d probe%s: %d passed, %d failed, %d inconclusive (%.1f ms)\n", s.total,
                  s.total == 1 ? "" : "s", s.passed, s.failed, s.inconclusive,
                  r->duration_ms >= 0 && r->duration_ms < 1e12 ? r->duration_ms : 0.0);
    if (r->waited)
        render_convergence(&b, r, s);
    return strbuf_take(&b);
}
