/* result.c: what a result owns: its texts, its address lists, its policy answer. Each is
 * allocated to its length, so memory follows what a report holds (a parsed-back report of
 * 10,000 minimal results would otherwise cost 2 KB of fixed fields apiece); every write goes
 * through here, so a cap and the free are in one place. */
#include "result.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static const size_t result_caps[RESULT_TEXT_N] = {
    [RESULT_TARGET] = RESULT_TARGET_LEN,
    [RESULT_DETAIL] = RESULT_DETAIL_LEN,
    [RESULT_HINT] = RESULT_HINT_LEN,
};
_Static_assert(RESULT_TARGET_LEN <= RESULT_TEXT_MAX && RESULT_DETAIL_LEN <= RESULT_TEXT_MAX &&
                   RESULT_HINT_LEN <= RESULT_TEXT_MAX,
               "RESULT_TEXT_MAX is the largest cap");

/* A malloc'd copy of s cut to cap - 1 bytes, never inside a UTF-8 sequence (a cut text still
 * renders as the characters it kept). NULL for "" (none) and when out of memory (*oom). */
static char *result_dup_cut(const char *s, size_t cap, bool *oom)
{
    *oom = false;
    size_t n = s ? strlen(s) : 0;
    if (n == 0)
        return NULL;
    n = strbuf_utf8_cut(s, n, cap - 1);
    char *d = malloc(n + 1);
    if (d == NULL) {
        *oom = true;
        return NULL;
    }
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

const char *result_text(const result_t *r, result_text_t t)
{
    return r->text[t] ? r->text[t] : "";
}

int result_set_text(result_t *r, result_text_t t, const char *s)
{
    bool oom;
    char *d = result_dup_cut(s, result_caps[t], &oom);
    free(r->text[t]);
    r->text[t] = d;
    return oom ? -1 : 0;
}

int result_printf(result_t *r, result_text_t t, const char *fmt, ...)
{
    char buf[RESULT_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return result_set_text(r, t, buf);
}

/* *dst = a malloc'd copy of n elements of size sz (NULL for none); -1 when out of memory. */
static int result_dup_list(void **dst, size_t *n_dst, const void *src, size_t n, size_t sz)
{
    free(*dst);
    *dst = NULL;
    *n_dst = 0;
    if (n > RESULT_MAX_ADDRS)
        n = RESULT_MAX_ADDRS;
    if (n == 0)
        return 0;
    if ((*dst = malloc(n * sz)) == NULL)
        return -1;
    memcpy(*dst, src, n * sz);
    *n_dst = n;
    return 0;
}

int result_set_addrs(result_t *r, const ip_addr_t *a, size_t n)
{
    void *p = r->addrs;
    int rc = result_dup_list(&p, &r->n_addrs, a, n, sizeof(*a));
    r->addrs = p;
    return rc;
}

int result_set_addr_results(result_t *r, const result_addr_t *a, size_t n)
{
    void *p = r->addr_results;
    int rc = result_dup_list(&p, &r->n_addr_results, a, n, sizeof(*a));
    r->addr_results = p;
    return rc;
}

void result_clear(result_t *r)
{
    for (int t = 0; t < RESULT_TEXT_N; t++)
        free(r->text[t]);
    free(r->addrs);
    free(r->addr_results);
    memset(r, 0, sizeof(*r));
}

void result_move(result_t *dst, result_t *src)
{
    if (dst == src)
        return;
    result_clear(dst);
    *dst = *src;
    memset(src, 0, sizeof(*src));
}

int result_copy(result_t *dst, const result_t *src)
{
    *dst = *src;
    for (int t = 0; t < RESULT_TEXT_N; t++)
        dst->text[t] = NULL;
    dst->addrs = NULL;
    dst->addr_results = NULL;
    dst->n_addrs = dst->n_addr_results = 0;
    int rc = 0;
    for (int t = 0; t < RESULT_TEXT_N; t++)
        rc |= result_set_text(dst, (result_text_t)t, src->text[t]);
    rc |= result_set_addrs(dst, src->addrs, src->n_addrs);
    rc |= result_set_addr_results(dst, src->addr_results, src->n_addr_results);
    if (rc != 0) {
        result_clear(dst);
        return -1;
    }
    return 0;
}

const char *result_policy_reason(const result_policy_t *p)
{
    return p->reason ? p->reason : "";
}

int result_policy_set_reason(result_policy_t *p, const char *s)
{
    bool oom;
    char *d = result_dup_cut(s, RESULT_POLICY_REASON_LEN, &oom);
    free(p->reason);
    p->reason = d;
    return oom ? -1 : 0;
}

int result_policy_add_by(result_policy_t *p, const char *policy, bool egress, int rule)
{
    if (p->n_by >= RESULT_POLICY_BY_MAX)
        return 0;
    if (p->by == NULL && (p->by = calloc(RESULT_POLICY_BY_MAX, sizeof(*p->by))) == NULL)
        return -1;
    bool oom = false;
    /* Never NULL: a reference is always rendered with its name. */
    char *name = policy && *policy ? result_dup_cut(policy, RESULT_POLICY_NAME_LEN, &oom) : strdup("");
    if (oom || name == NULL)
        return -1;
    p->by[p->n_by++] = (result_policy_ref_t){.policy = name, .egress = egress, .rule = rule};
    return 0;
}

void result_policy_clear(result_policy_t *p)
{
    for (size_t i = 0; i < p->n_by; i++)
        free(p->by[i].policy);
    free(p->by);
    free(p->reason);
    memset(p, 0, sizeof(*p));
}

int result_policy_copy(result_policy_t *dst, const result_policy_t *src)
{
    memset(dst, 0, sizeof(*dst));
    memcpy(dst->intended, src->intended, sizeof(dst->intended));
    int rc = result_policy_set_reason(dst, src->reason);
    for (size_t i = 0; rc == 0 && i < src->n_by; i++)
        rc = result_policy_add_by(dst, src->by[i].policy, src->by[i].egress, src->by[i].rule);
    if (rc != 0)
        result_policy_clear(dst);
    return rc;
}
