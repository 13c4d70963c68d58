/* merge_int.h: private to merge.c (building and walking the matrix) and merge_render.c (the
 * text and JSON views of it): the merge's layout and the walks both sides need. */
#ifndef ZT_MERGE_INT_H
#define ZT_MERGE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "merge.h"
#include "result.h"

#define MERGE_LABEL_LEN 256

typedef struct {
    report_t rep;              /* owned copy; rep.results malloc'd */
    char pod[MERGE_LABEL_LEN]; /* the row's label: pod name, else the source */
    char source[MERGE_LABEL_LEN];
    char reason[MERGE_LABEL_LEN];
    bool missing; /* could not be read: only source and reason are set */
    /* The results sorted by name (equal names in report order): a lookup by name is a binary
     * search, so rendering a matrix costs rows x results x log, not rows x results^2. */
    const result_t **by_name;
} merge_src_t;

struct merge {
    merge_src_t *src;
    size_t n, cap;
};

/* True when source i is the first of its role: the roles, in the order first seen. */
bool merge_first_of_role(const merge_t *m, size_t i);

/* True when source i is a report (not missing) of role. */
bool merge_in_role(const merge_t *m, size_t i, const char *role);

/* The first result named name in the report of source i, or NULL (missing sources have none). */
const result_t *merge_find(const merge_t *m, size_t i, const char *name);

/* Called for every probe row of role; first is the result seen first for that probe (it gives
 * name, kind, expect). */
typedef void (*merge_row_fn)(const merge_t *m, const char *role, const result_t *first, void *ud);

/* Calls fn for every probe row of role, in the order first seen across its pods. */
void merge_each_row(const merge_t *m, const char *role, merge_row_fn fn, void *ud);

/* A cell's state: the verdict of probe name on source i, or -1 when the pod has no such
 * probe. */
int merge_cell_state(const merge_t *m, size_t i, const char *name);

/* True when the pods of role do not all have the same state for probe name. */
bool merge_row_disagrees(const merge_t *m, const char *role, const char *name);

typedef struct {
    int reports, missing, total, passed, failed, inconclusive;
} merge_totals_t;

/* Reports read and missing, and the verdicts of all their results. */
merge_totals_t merge_totals(const merge_t *m);

/* unix_s as RFC 3339 in UTC with milliseconds ("2026-11-26T05:00:00.123Z", 25 bytes with the
 * NUL); a time that is not finite, not positive or past year 9999 reads as the epoch. */
void merge_time_rfc3339(char *buf, size_t len, double unix_s);

#endif
