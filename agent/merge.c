/* merge.c: the namespace-wide matrix. Reports are copied in; the matrix (roles in the order
 * first seen, the probes of each role in the order first seen across its pods) is walked
 * again by every query instead of being stored, which keeps the structure a flat list of
 * reports. The walks are quadratic in pods x probes, tiny for a namespace's role pods. */
#include "merge.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "verdict.h"

#define MERGE_LABEL_LEN 256

typedef struct {
    report_t rep;               /* owned copy; rep.results malloc'd */
    char pod[MERGE_LABEL_LEN];  /* the row's label: pod name, else the source */
    char source[MERGE_LABEL_LEN];
    char reason[MERGE_LABEL_LEN];
    bool missing;               /* could not be read: only source and reason are set */
} msrc_t;

struct merge {
    msrc_t *src;
    size_t n, cap;
};

merge_t *merge_create(void)
{
    return calloc(1, sizeof(merge_t));
}

void merge_destroy(merge_t *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->src[i].rep.results);
    free(m->src);
    free(m);
}

static msrc_t *merge_slot(merge_t *m)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        msrc_t *ns = realloc(m->src, cap * sizeof(*ns));
        if (ns == NULL)
            return NULL;
        m->src = ns;
        m->cap = cap;
    }
    msrc_t *s = &m->src[m->n];
    memset(s, 0, sizeof(*s));
    return s;
}

static bool same_row(const msrc_t *a, const char *role, const char *pod)
{
    return !a->missing && strcmp(a->rep.role, role) == 0 && strcmp(a->pod, pod) == 0;
}

int merge_add(merge_t *m, const report_t *r, const char *source)
{
    msrc_t *s = merge_slot(m);
    if (s == NULL)
        return -1;
    s->rep = *r;
    s->rep.results = NULL;
    if (r->n_results > 0) {
        s->rep.results = malloc(r->n_results * sizeof(*r->results));
        if (s->rep.results == NULL)
            return -1;
        memcpy(s->rep.results, r->results, r->n_results * sizeof(*r->results));
    }
    snprintf(s->source, sizeof(s->source), "%s", source ? source : "");
    const char *label = r->pod_name[0] ? r->pod_name : s->source[0] ? s->source : "?";
    snprintf(s->pod, sizeof(s->pod), "%s", label);
    for (int k = 2; k < 10000; k++) {
        bool taken = false;
        for (size_t i = 0; i < m->n && !taken; i++)
            taken = same_row(&m->src[i], s->rep.role, s->pod);
        if (!taken)
            break;
        snprintf(s->pod, sizeof(s->pod), "%.240s#%d", label, k);
    }
    m->n++;
    return 0;
}

int merge_add_missing(merge_t *m, const char *source, const char *reason)
{
    msrc_t *s = merge_slot(m);
    if (s == NULL)
        return -1;
    s->missing = true;
    snprintf(s->source, sizeof(s->source), "%s", source ? source : "");
    snprintf(s->reason, sizeof(s->reason), "%s", reason ? reason : "");
    m->n++;
    return 0;
}

/* ---- walking the matrix ------------------------------------------------------------- */

/* True when source i is the first of its role. */
static bool first_of_role(const merge_t *m, size_t i)
{
    if (m->src[i].missing)
        return false;
    for (size_t j = 0; j < i; j++)
        if (!m->src[j].missing && strcmp(m->src[j].rep.role, m->src[i].rep.role) == 0)
            return false;
    return true;
}

static bool in_role(const merge_t *m, size_t i, const char *role)
{
    return !m->src[i].missing && strcmp(m->src[i].rep.role, role) == 0;
}

/* The first result named name in report r, or NULL. */
static const result_t *find_result(const report_t *r, const char *name)
{
    for (size_t k = 0; k < r->n_results; k++)
        if (strcmp(r->results[k].name, name) == 0)
            return &r->results[k];
    return NULL;
}

/* True when result k of source i is the first occurrence of its name in the role. */
static bool first_of_probe(const merge_t *m, size_t i, size_t k)
{
    const char *role = m->src[i].rep.role, *name = m->src[i].rep.results[k].name;
    for (size_t j = 0; j < i; j++)
        if (in_role(m, j, role) && find_result(&m->src[j].rep, name) != NULL)
            return false;
    return find_result(&m->src[i].rep, name) == &m->src[i].rep.results[k];
}

/* Calls fn for every probe row of role (first result seen gives name, kind, expect). */
typedef void (*row_fn)(const merge_t *m, const char *role, const result_t *first, void *ud);

static void each_row(const merge_t *m, const char *role, row_fn fn, void *ud)
{
    for (size_t i = 0; i < m->n; i++) {
        if (!in_role(m, i, role))
            continue;
        for (size_t k = 0; k < m->src[i].rep.n_results; k++)
            if (first_of_probe(m, i, k))
                fn(m, role, &m->src[i].rep.results[k], ud);
    }
}

/* A cell's state: a verdict, or -1 when the pod has no such probe. */
static int cell_state(const merge_t *m, size_t i, const char *name)
{
    const result_t *r = find_result(&m->src[i].rep, name);
    return r ? (int)r->verdict : -1;
}

static bool row_disagrees(const merge_t *m, const char *role, const char *name)
{
    int seen = -2;
    for (size_t i = 0; i < m->n; i++) {
        if (!in_role(m, i, role))
            continue;
        int st = cell_state(m, i, name);
        if (seen != -2 && st != seen)
            return true;
        seen = st;
    }
    return false;
}

static void count_row(const merge_t *m, const char *role, const result_t *first, void *ud)
{
    if (row_disagrees(m, role, first->name))
        (*(size_t *)ud)++;
}

size_t merge_disagreements(const merge_t *m)
{
    size_t n = 0;
    for (size_t i = 0; m != NULL && i < m->n; i++)
        if (first_of_role(m, i))
            each_row(m, m->src[i].rep.role, count_row, &n);
    return n;
}

typedef struct {
    int reports, missing, total, passed, failed, inconclusive;
} mtotals_t;

static mtotals_t totals(const merge_t *m)
{
    mtotals_t t = {0};
    for (size_t i = 0; i < m->n; i++) {
        if (m->src[i].missing) {
            t.missing++;
            continue;
        }
        summary_t s = report_summary(&m->src[i].rep);
        t.reports++;
        t.total += s.total;
        t.passed += s.passed;
        t.failed += s.failed;
        t.inconclusive += s.inconclusive;
    }
    return t;
}

bool merge_ok(const merge_t *m)
{
    if (m == NULL)
        return false;
    mtotals_t t = totals(m);
    return t.reports > 0 && t.missing == 0 && t.failed == 0 && t.inconclusive == 0 &&
           merge_disagreements(m) == 0;
}

/* ---- text --------------------------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} mb_t;

static void mb_putn(mb_t *b, const char *s, size_t n)
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

/* Appends s with control bytes shown as '?' (names from a file reach a terminal) and pads
 * to width columns (one per UTF-8 code point). */
static void mb_cell(mb_t *b, const char *s, size_t width)
{
    size_t w = 0;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        mb_putn(b, (c < 0x20 || c == 0x7f) ? "?" : p, 1);
        if ((c & 0xc0) != 0x80)
            w++;
    }
    for (; w < width; w++)
        mb_putn(b, " ", 1);
}

static void mb_puts(mb_t *b, const char *s)
{
    mb_putn(b, s, strlen(s));
}

/* Text from a report (names, sources, reasons): control bytes shown as '?'. */
static void mb_safe(mb_t *b, const char *s)
{
    mb_cell(b, s, 0);
}

static size_t width_of(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

static void cell_text(const merge_t *m, size_t i, const char *name, char *buf, size_t len)
{
    const result_t *r = find_result(&m->src[i].rep, name);
    static const char *const vname[] = {"pass", "FAIL", "inconcl."};
    if (r == NULL)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%s %s", vname[(unsigned)r->verdict <= 2 ? r->verdict : 2],
                 outcome_name(r->outcome));
}

typedef struct {
    mb_t *b;
    size_t first_w;       /* width of the probe column */
    size_t *col_w;        /* per source index: width of that pod's column */
} text_ctx_t;

static void width_row(const merge_t *m, const char *role, const result_t *first, void *ud)
{
    text_ctx_t *c = ud;
    char cell[64];
    if (2 + width_of(first->name) > c->first_w)
        c->first_w = 2 + width_of(first->name);
    for (size_t i = 0; i < m->n; i++) {
        if (!in_role(m, i, role))
            continue;
        cell_text(m, i, first->name, cell, sizeof(cell));
        if (strlen(cell) > c->col_w[i])
            c->col_w[i] = strlen(cell);
    }
}

static void text_row(const merge_t *m, const char *role, const result_t *first, void *ud)
{
    text_ctx_t *c = ud;
    char cell[64];
    mb_puts(c->b, "  ");
    mb_cell(c->b, first->name, c->first_w - 2 + 2);
    for (size_t i = 0; i < m->n; i++) {
        if (!in_role(m, i, role))
            continue;
        cell_text(m, i, first->name, cell, sizeof(cell));
        mb_cell(c->b, cell, c->col_w[i] + 2);
    }
    if (row_disagrees(m, role, first->name))
        mb_puts(c->b, "<- pods disagree");
    /* Cells are padded: trim the trailing blanks of the line. */
    while (c->b->len > 0 && c->b->buf[c->b->len - 1] == ' ')
        c->b->buf[--c->b->len] = '\0';
    mb_puts(c->b, "\n");
}

static void text_role(const merge_t *m, const char *role, text_ctx_t *c)
{
    c->first_w = width_of(role);
    for (size_t i = 0; i < m->n; i++)
        if (in_role(m, i, role))
            c->col_w[i] = width_of(m->src[i].pod);
    each_row(m, role, width_row, c);
    /* The role's header line names its pods: they are the columns below. */
    mb_cell(c->b, role, c->first_w + 2);
    for (size_t i = 0; i < m->n; i++)
        if (in_role(m, i, role))
            mb_cell(c->b, m->src[i].pod, c->col_w[i] + 2);
    while (c->b->len > 0 && c->b->buf[c->b->len - 1] == ' ')
        c->b->buf[--c->b->len] = '\0';
    mb_puts(c->b, "\n");
    each_row(m, role, text_row, c);
    for (size_t i = 0; i < m->n; i++) {
        const report_t *r = &m->src[i].rep;
        if (!in_role(m, i, role) || r->n_diags == 0)
            continue;
        mb_puts(c->b, "  ! ");
        mb_safe(c->b, m->src[i].pod);
        for (size_t d = 0; d < r->n_diags && d < DIAG_MAX; d++) {
            mb_puts(c->b, d ? ", " : ": ");
            mb_safe(c->b, r->diags[d].code);
        }
        mb_puts(c->b, "\n");
    }
}

/* "role/probe: fail on a, b; pass on c". */
static void text_disagreement(const merge_t *m, const char *role, const result_t *first,
                              void *ud)
{
    mb_t *b = ud;
    if (!row_disagrees(m, role, first->name))
        return;
    static const char *const sname[] = {"missing", "pass", "fail", "inconclusive"};
    mb_puts(b, "  ");
    mb_safe(b, role);
    mb_puts(b, "/");
    mb_safe(b, first->name);
    mb_puts(b, ":");
    bool any_group = false;
    for (int st = -1; st <= 2; st++) {
        bool any = false;
        for (size_t i = 0; i < m->n; i++) {
            if (!in_role(m, i, role) || cell_state(m, i, first->name) != st)
                continue;
            if (!any) {
                mb_puts(b, any_group ? "; " : " ");
                mb_puts(b, sname[st + 1]);
                mb_puts(b, " on ");
            } else {
                mb_puts(b, ", ");
            }
            mb_safe(b, m->src[i].pod);
            any = any_group = true;
        }
    }
    mb_puts(b, "\n");
}

char *merge_render_text(const merge_t *m)
{
    mb_t b = {0};
    text_ctx_t c = {.b = &b};
    c.col_w = calloc(m->n ? m->n : 1, sizeof(*c.col_w));
    if (c.col_w == NULL)
        return NULL;
    for (size_t i = 0; i < m->n; i++) {
        if (!first_of_role(m, i))
            continue;
        if (b.len > 0)
            mb_puts(&b, "\n");
        text_role(m, m->src[i].rep.role, &c);
    }
    size_t nd = merge_disagreements(m);
    if (nd > 0) {
        mb_puts(&b, "\ndisagreements (same role, different verdicts):\n");
        for (size_t i = 0; i < m->n; i++)
            if (first_of_role(m, i))
                each_row(m, m->src[i].rep.role, text_disagreement, &b);
    }
    mtotals_t t = totals(m);
    if (t.missing > 0) {
        mb_puts(&b, "\nmissing reports:\n");
        for (size_t i = 0; i < m->n; i++) {
            if (!m->src[i].missing)
                continue;
            mb_puts(&b, "  ");
            mb_safe(&b, m->src[i].source);
            mb_puts(&b, ": ");
            mb_safe(&b, m->src[i].reason);
            mb_puts(&b, "\n");
        }
    }
    char line[256];
    snprintf(line, sizeof(line),
             "\n%d report%s (%d missing), %d probe result%s: %d passed, %d failed, "
             "%d inconclusive; %zu disagreement%s: %s\n",
             t.reports + t.missing, t.reports + t.missing == 1 ? "" : "s", t.missing, t.total,
             t.total == 1 ? "" : "s", t.passed, t.failed, t.inconclusive, nd,
             nd == 1 ? "" : "s", merge_ok(m) ? "OK" : "NOT OK");
    mb_puts(&b, b.len == 0 ? line + 1 : line);
    free(c.col_w);
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}

/* ---- JSON --------------------------------------------------------------------------- */

/* A copy of s that is valid UTF-8 (invalid bytes as U+FFFD): cJSON prints bytes as given. */
static cJSON *jstr(const char *s)
{
    char out[4 * MERGE_LABEL_LEN + 4];
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, n = strnlen(s, MERGE_LABEL_LEN * 2);
    for (size_t i = 0; i < n && o + 4 < sizeof(out);) {
        size_t len = p[i] < 0x80 ? 1 : p[i] >= 0xc2 && p[i] <= 0xdf ? 2
                                  : p[i] >= 0xe0 && p[i] <= 0xef ? 3
                                  : p[i] >= 0xf0 && p[i] <= 0xf4 ? 4 : 0;
        uint32_t cp = len == 1 ? p[i] : len ? p[i] & (0x7fu >> len) : 0;
        for (size_t k = 1; k < len; k++) {
            if (i + k >= n || (p[i + k] & 0xc0) != 0x80) {
                len = 0;
                break;
            }
            cp = (cp << 6) | (p[i + k] & 0x3fu);
        }
        if (len == 0 || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, s + i, len);
            o += len;
            i += len;
        }
    }
    out[o] = '\0';
    return cJSON_CreateString(out);
}

/* Adds item to obj (or to an array when name is NULL); false when item is NULL (OOM) or
 * cannot be added (then it is freed here, so the caller never tracks half-built items). */
static bool jadd(cJSON *obj, const char *name, cJSON *item)
{
    if (item == NULL)
        return false;
    bool ok = obj != NULL && (name == NULL ? cJSON_AddItemToArray(obj, item)
                                           : cJSON_AddItemToObject(obj, name, item)) != 0;
    if (!ok)
        cJSON_Delete(item);
    return ok;
}

typedef struct {
    cJSON *matrix, *disagreements;
    bool oom;
} json_ctx_t;

static void json_row(const merge_t *m, const char *role, const result_t *first, void *ud)
{
    json_ctx_t *c = ud;
    cJSON *verdicts = NULL;
    bool disagree = row_disagrees(m, role, first->name);
    if (disagree) {
        cJSON *d = cJSON_CreateObject();
        verdicts = cJSON_CreateObject();
        if (!jadd(c->disagreements, NULL, d) || !jadd(d, "role", jstr(role)) ||
            !jadd(d, "probe", jstr(first->name)) || !jadd(d, "verdicts", verdicts)) {
            c->oom = true;
            return;
        }
    }
    for (size_t i = 0; i < m->n; i++) {
        if (!in_role(m, i, role))
            continue;
        const result_t *r = find_result(&m->src[i].rep, first->name);
        if (disagree &&
            !jadd(verdicts, m->src[i].pod, jstr(r ? verdict_name(r->verdict) : "missing")))
            c->oom = true;
        if (r == NULL)
            continue;
        cJSON *e = cJSON_CreateObject();
        if (!jadd(c->matrix, NULL, e) || !jadd(e, "role", jstr(role)) ||
            !jadd(e, "pod", jstr(m->src[i].pod)) || !jadd(e, "probe", jstr(r->name)) ||
            !jadd(e, "kind", jstr(config_kind_name(r->kind))) ||
            !jadd(e, "expect", jstr(config_expect_name(r->expect))) ||
            !jadd(e, "verdict", jstr(verdict_name(r->verdict))) ||
            !jadd(e, "outcome", jstr(outcome_name(r->outcome))))
            c->oom = true;
    }
}

static cJSON *json_summary(const mtotals_t *t, int reports, size_t nd, bool ok)
{
    cJSON *s = cJSON_CreateObject();
    if (s == NULL || !jadd(s, "reports", cJSON_CreateNumber(reports)) ||
        !jadd(s, "missing_reports", cJSON_CreateNumber(t->missing)) ||
        !jadd(s, "total", cJSON_CreateNumber(t->total)) ||
        !jadd(s, "passed", cJSON_CreateNumber(t->passed)) ||
        !jadd(s, "failed", cJSON_CreateNumber(t->failed)) ||
        !jadd(s, "inconclusive", cJSON_CreateNumber(t->inconclusive)) ||
        !jadd(s, "disagreements", cJSON_CreateNumber((double)nd)) ||
        !jadd(s, "ok", cJSON_CreateBool(ok))) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

static bool json_report(cJSON *reports, const msrc_t *s)
{
    summary_t sm = report_summary(&s->rep);
    cJSON *o = cJSON_CreateObject();
    if (!jadd(reports, NULL, o))
        return false;
    cJSON *sj = cJSON_AddObjectToObject(o, "summary");
    bool ok = sj != NULL && jadd(o, "role", jstr(s->rep.role)) && jadd(o, "pod", jstr(s->pod)) &&
              jadd(o, "source", jstr(s->source)) &&
              jadd(sj, "total", cJSON_CreateNumber(sm.total)) &&
              jadd(sj, "passed", cJSON_CreateNumber(sm.passed)) &&
              jadd(sj, "failed", cJSON_CreateNumber(sm.failed)) &&
              jadd(sj, "inconclusive", cJSON_CreateNumber(sm.inconclusive)) &&
              jadd(sj, "ok", cJSON_CreateBool(sm.ok));
    cJSON *diags = ok ? cJSON_AddArrayToObject(o, "diagnoses") : NULL;
    ok = diags != NULL;
    for (size_t d = 0; ok && d < s->rep.n_diags && d < DIAG_MAX; d++)
        ok = jadd(diags, NULL, jstr(s->rep.diags[d].code));
    return ok;
}

char *merge_render_json(const merge_t *m)
{
    char *out = NULL, *text = NULL;
    json_ctx_t c = {0};
    cJSON *root = cJSON_CreateObject();
    /* The schema first, as in a report: a reader checks it before anything else. */
    bool ok = cJSON_AddStringToObject(root, "schema", MERGE_SCHEMA) != NULL;
    cJSON *reports = cJSON_AddArrayToObject(root, "reports");
    cJSON *missing = cJSON_AddArrayToObject(root, "missing");
    c.matrix = cJSON_AddArrayToObject(root, "matrix");
    c.disagreements = cJSON_AddArrayToObject(root, "disagreements");
    ok = ok && reports && missing && c.matrix && c.disagreements;
    for (size_t i = 0; ok && i < m->n; i++) {
        const msrc_t *s = &m->src[i];
        if (s->missing) {
            cJSON *o = cJSON_CreateObject();
            ok = jadd(missing, NULL, o) && jadd(o, "source", jstr(s->source)) &&
                 jadd(o, "reason", jstr(s->reason));
        } else {
            ok = json_report(reports, s);
        }
    }
    for (size_t i = 0; ok && i < m->n; i++)
        if (first_of_role(m, i))
            each_row(m, m->src[i].rep.role, json_row, &c);
    mtotals_t t = totals(m);
    ok = ok && !c.oom &&
         jadd(root, "summary",
              json_summary(&t, t.reports + t.missing, merge_disagreements(m), merge_ok(m)));
    if (ok && (text = cJSON_Print(root)) != NULL) {
        size_t n = strlen(text);
        if ((out = malloc(n + 2)) != NULL) {
            memcpy(out, text, n);
            memcpy(out + n, "\n", 2);
        }
    }
    cJSON_free(text);
    cJSON_Delete(root);
    return out;
}
