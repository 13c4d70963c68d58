/* report_text.c: the report as a table for a terminal (`kubectl exec -it`): one row per
 * probe, its hint indented underneath when it did not pass, then diagnoses and a summary.
 * Strings that come from the network (detail) or a parsed report are shown with control
 * bytes replaced, so no escape sequence reaches the terminal unless color asks for one. */
#include "report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "verdict.h"

#define ANSI_GREEN "\033[32m"
#define ANSI_RED "\033[31m"
#define ANSI_YELLOW "\033[33m"
#define ANSI_RESET "\033[0m"

typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} tb_t;

static void tb_putn(tb_t *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (nb == NULL) {
            b->oom = true;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void tb_puts(tb_t *b, const char *s)
{
    tb_putn(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void tb_printf(tb_t *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        tb_putn(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Appends s (at most max bytes) with control bytes (C0, DEL) shown as '?'. */
static void tb_safe(tb_t *b, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char ch = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
        tb_putn(b, &ch, 1);
    }
}

/* Terminal columns of a UTF-8 string: one per code point (names are ASCII in practice). */
static size_t text_width(const char *s, size_t max)
{
    size_t w = 0, n = strnlen(s, max);
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            w++;
    return w;
}

static void tb_pad(tb_t *b, size_t used, size_t width)
{
    for (; used < width; used++)
        tb_putn(b, " ", 1);
}

/* A left-aligned cell followed by the two-space gutter. */
static void tb_cell(tb_t *b, const char *s, size_t max, size_t width)
{
    tb_safe(b, s, max);
    tb_pad(b, text_width(s, max), width + 2);
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

static void render_row(tb_t *b, const result_t *res, const size_t *w, bool color)
{
    char ms[32];
    const char *vn = verdict_name(res->verdict);

    tb_cell(b, res->name, sizeof(res->name), w[COL_PROBE]);
    tb_cell(b, config_kind_name(res->kind), 16, w[COL_KIND]);
    tb_cell(b, config_expect_name(res->expect), 16, w[COL_EXPECT]);
    if (color)
        tb_puts(b, verdict_color(res->verdict));
    tb_puts(b, vn);
    if (color)
        tb_puts(b, ANSI_RESET);
    tb_pad(b, strlen(vn), w[COL_VERDICT] + 2);
    tb_cell(b, outcome_name(res->outcome), 32, w[COL_OUTCOME]);
    fmt_ms(ms, sizeof(ms), res->duration_ms);
    tb_pad(b, strlen(ms), w[COL_MS]); /* numbers align right */
    tb_puts(b, ms);
    tb_puts(b, "\n");
    if (res->verdict == VERDICT_PASS)
        return;
    if (res->detail[0] != '\0') {
        tb_puts(b, "    detail: ");
        tb_safe(b, res->detail, sizeof(res->detail));
        tb_puts(b, "\n");
    }
    if (res->hint[0] != '\0') {
        tb_puts(b, "    hint: ");
        tb_safe(b, res->hint, sizeof(res->hint));
        tb_puts(b, "\n");
    }
}

static void render_table(tb_t *b, const report_t *r, bool color)
{
    size_t w[NCOL];
    char ms[32];

    for (int c = 0; c < NCOL; c++)
        w[c] = strlen(headers[c]);
    for (size_t i = 0; i < r->n_results; i++) {
        const result_t *res = &r->results[i];
        size_t cw[NCOL];
        fmt_ms(ms, sizeof(ms), res->duration_ms);
        cw[COL_PROBE] = text_width(res->name, sizeof(res->name));
        cw[COL_KIND] = strlen(config_kind_name(res->kind));
        cw[COL_EXPECT] = strlen(config_expect_name(res->expect));
        cw[COL_VERDICT] = strlen(verdict_name(res->verdict));
        cw[COL_OUTCOME] = strlen(outcome_name(res->outcome));
        cw[COL_MS] = strlen(ms);
        for (int c = 0; c < NCOL; c++)
            if (cw[c] > w[c])
                w[c] = cw[c];
    }
    for (int c = 0; c < COL_MS; c++)
        tb_cell(b, headers[c], 16, w[c]);
    tb_pad(b, strlen(headers[COL_MS]), w[COL_MS]);
    tb_puts(b, headers[COL_MS]);
    tb_puts(b, "\n");
    for (size_t i = 0; i < r->n_results; i++)
        render_row(b, &r->results[i], w, color);
}

char *report_render_text(const report_t *r, bool color)
{
    tb_t b = {0};
    summary_t s = report_summary(r);

    tb_puts(&b, "ztprobe: role ");
    tb_safe(&b, r->role, sizeof(r->role));
    tb_puts(&b, ", pod ");
    if (r->pod_namespace[0] != '\0') {
        tb_safe(&b, r->pod_namespace, sizeof(r->pod_namespace));
        tb_puts(&b, "/");
    }
    tb_safe(&b, r->pod_name[0] != '\0' ? r->pod_name : "(unknown)", sizeof(r->pod_name));
    tb_puts(&b, "\n\n");

    if (r->n_results > 0)
        render_table(&b, r, color);
    else
        tb_puts(&b, "no probes\n");

    size_t nd = r->n_diags < DIAG_MAX ? r->n_diags : DIAG_MAX;
    if (nd > 0)
        tb_puts(&b, "\ndiagnoses:\n");
    for (size_t i = 0; i < nd; i++) {
        tb_puts(&b, "  ");
        tb_safe(&b, r->diags[i].code, sizeof(r->diags[i].code));
        tb_puts(&b, ": ");
        tb_safe(&b, r->diags[i].message, sizeof(r->diags[i].message));
        tb_puts(&b, "\n");
    }

    tb_printf(&b, "\n%d probe%s: %d passed, %d failed, %d inconclusive (%.1f ms)\n", s.total,
              s.total == 1 ? "" : "s", s.passed, s.failed, s.inconclusive,
              r->duration_ms >= 0 && r->duration_ms < 1e12 ? r->duration_ms : 0.0);
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}
