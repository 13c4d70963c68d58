/* merge.c: the namespace-wide matrix. Reports are copied in; the matrix (roles in the order
 * first seen, the probes of each role in the order first seen across its pods) is walked
 * again by every query instead of being stored, which keeps the structure a flat list of
 * reports. The walks are quadratic in pods x probes, tiny for a namespace's role pods.
 * Rendering the matrix as text or JSON is in merge_render.c. */
#include "merge.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "merge_int.h"
#include "report.h"

merge_t *merge_create(void)
{
    return calloc(1, sizeof(merge_t));
}

void merge_destroy(merge_t *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n; i++) {
        report_free(&m->src[i].rep);
        free(m->src[i].by_name);
    }
    free(m->src);
    free(m);
}

static merge_src_t *merge_slot(merge_t *m)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        merge_src_t *ns = realloc(m->src, cap * sizeof(*ns));
        if (ns == NULL)
            return NULL;
        m->src = ns;
        m->cap = cap;
    }
    merge_src_t *s = &m->src[m->n];
    memset(s, 0, sizeof(*s));
    return s;
}

static bool same_row(const merge_src_t *a, const char *role, const char *pod)
{
    return !a->missing && strcmp(a->rep.role, role) == 0 && strcmp(a->pod, pod) == 0;
}

/* Fills the next slot with r, whose results the merge now owns. */
static int merge_by_name_cmp(const void *a, const void *b)
{
    const result_t *x = *(const result_t *const *)a, *y = *(const result_t *const *)b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : (x > y) - (x < y);
}

/* The index of r's results by name (merge_src_t.by_name): NULL with *ok false on OOM. */
static const result_t **merge_index(const report_t *r, bool *ok)
{
    *ok = true;
    if (r->n_results == 0)
        return NULL;
    const result_t **ix = malloc(r->n_results * sizeof(*ix));
    if (ix == NULL) {
        *ok = false;
        return NULL;
    }
    for (size_t k = 0; k < r->n_results; k++)
        ix[k] = &r->results[k];
    qsort(ix, r->n_results, sizeof(*ix), merge_by_name_cmp);
    return ix;
}

static void merge_fill(merge_t *m, merge_src_t *s, const report_t *r, const char *source, const result_t **ix)
{
    s->rep = *r;
    s->by_name = ix;
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
}

int merge_add(merge_t *m, const report_t *r, const char *source)
{
    merge_src_t *s = merge_slot(m);
    if (s == NULL)
        return -1;
    /* A deep copy: the results own their texts and addresses. */
    report_t copy = *r;
    copy.results = NULL;
    copy.policy = NULL;
    copy.n_results = 0;
    if (r->n_results > 0 && (copy.results = calloc(r->n_results, sizeof(*r->results))) == NULL)
        return -1;
    if (r->n_results > 0 && r->policy && (copy.policy = calloc(r->n_results, sizeof(*r->policy))) == NULL) {
        free(copy.results);
        return -1;
    }
    for (; copy.n_results < r->n_results; copy.n_results++) {
        size_t i = copy.n_results;
        if (result_copy(&copy.results[i], &r->results[i]) < 0)
            break;
        if (copy.policy && result_policy_copy(&copy.policy[i], &r->policy[i]) < 0) {
            result_clear(&copy.results[i]);
            break;
        }
    }
    bool ok = copy.n_results == r->n_results;
    const result_t **ix = ok ? merge_index(&copy, &ok) : NULL;
    if (!ok) {
        report_free(&copy);
        return -1;
    }
    merge_fill(m, s, &copy, source, ix);
    return 0;
}

int merge_add_take(merge_t *m, report_t *r, const char *source)
{
    merge_src_t *s = merge_slot(m);
    if (s == NULL)
        return -1;
    bool ok;
    const result_t **ix = merge_index(r, &ok);
    if (!ok)
        return -1;
    merge_fill(m, s, r, source, ix);
    r->results = NULL;
    r->policy = NULL;
    r->n_results = 0;
    return 0;
}

size_t merge_reports(const merge_t *m, report_t *out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n && k < max; i++)
        if (!m->src[i].missing)
            out[k++] = m->src[i].rep;
    return k;
}

int merge_add_missing(merge_t *m, const char *source, const char *reason)
{
    merge_src_t *s = merge_slot(m);
    if (s == NULL)
        return -1;
    s->missing = true;
    snprintf(s->source, sizeof(s->source), "%s", source ? source : "");
    snprintf(s->reason, sizeof(s->reason), "%s", reason ? reason : "");
    m->n++;
    return 0;
}

/* ---- walking the matrix ------------------------------------------------------------- */

bool merge_first_of_role(const merge_t *m, size_t i)
{
    if (m->src[i].missing)
        return false;
    for (size_t j = 0; j < i; j++)
        if (!m->src[j].missing && strcmp(m->src[j].rep.role, m->src[i].rep.role) == 0)
            return false;
    return true;
}

bool merge_in_role(const merge_t *m, size_t i, const char *role)
{
    return !m->src[i].missing && strcmp(m->src[i].rep.role, role) == 0;
}

const result_t *merge_find(const merge_t *m, size_t i, const char *name)
{
    const merge_src_t *s = &m->src[i];
    size_t lo = 0, hi = s->missing || s->by_name == NULL ? 0 : s->rep.n_results;
    while (lo < hi) { /* the first whose name is not below name */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->by_name[mid]->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->rep.n_results && s->by_name != NULL && strcmp(s->by_name[lo]->name, name) == 0
        ? s->by_name[lo]
        : NULL;
}

static bool first_of_probe(const merge_t *m, size_t i, size_t k)
{
    const char *role = m->src[i].rep.role, *name = m->src[i].rep.results[k].name;
    for (size_t j = 0; j < i; j++)
        if (merge_in_role(m, j, role) && merge_find(m, j, name) != NULL)
            return false;
    return merge_find(m, i, name) == &m->src[i].rep.results[k];
}

void merge_each_row(const merge_t *m, const char *role, merge_row_fn fn, void *ud)
{
    for (size_t i = 0; i < m->n; i++) {
        if (!merge_in_role(m, i, role))
            continue;
        for (size_t k = 0; k < m->src[i].rep.n_results; k++)
            if (first_of_probe(m, i, k))
                fn(m, role, &m->src[i].rep.results[k], ud);
    }
}

int merge_cell_state(const merge_t *m, size_t i, const char *name)
{
    const result_t *r = merge_find(m, i, name);
    return r ? (int)r->verdict : -1;
}

bool merge_row_disagrees(const merge_t *m, const char *role, const char *name)
{
    int seen = -2;
    for (size_t i = 0; i < m->n; i++) {
        if (!merge_in_role(m, i, role))
            continue;
        int st = merge_cell_state(m, i, name);
        if (seen != -2 && st != seen)
            return true;
        seen = st;
    }
    return false;
}

static void count_row(const merge_t *m, const char *role, const result_t *first, void *ud)
{
    if (merge_row_disagrees(m, role, first->name))
        (*(size_t *)ud)++;
}

size_t merge_disagreements(const merge_t *m)
{
    size_t n = 0;
    for (size_t i = 0; m != NULL && i < m->n; i++)
        if (merge_first_of_role(m, i))
            merge_each_row(m, m->src[i].rep.role, count_row, &n);
    return n;
}

merge_totals_t merge_totals(const merge_t *m)
{
    merge_totals_t t = {0};
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
    merge_totals_t t = merge_totals(m);
    return t.reports > 0 && t.missing == 0 && t.failed == 0 && t.inconclusive == 0 &&
        merge_disagreements(m) == 0;
}

void merge_time_rfc3339(char *buf, size_t len, double unix_s)
{
    time_t t = (isfinite(unix_s) && unix_s > 0 && unix_s < 253402300800.0) ? (time_t)unix_s : 0;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        memset(&tm, 0, sizeof(tm));
    int ms = t > 0 ? (int)((unix_s - (double)t) * 1000.0) : 0;
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100,
             ms < 0 || ms > 999 ? 0 : ms);
}
