/* history.h: what `watch` remembers between runs, per probe: the last verdict, when it last
 * changed and how often it changed, for the Prometheus families that show flapping. Pure:
 * the run's own times are used, no clock is read. */
#ifndef ZT_HISTORY_H
#define ZT_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"

typedef struct {
    size_t n;  /* probes of the matrix (the same every run of a session) */
    long runs; /* runs recorded */
    verdict_t *last;
    double *changed_at;     /* Unix s: end of the run that saw the current verdict first */
    unsigned long *changes; /* verdict changes between consecutive runs */
    bool *flipped;          /* changed in the latest run recorded */
} history_t;

/* Returns 0, or -1 on OOM. Undo with history_free (NULL and twice are harmless). */
int history_init(history_t *h, size_t n);
void history_free(history_t *h);

/* Records a completed run (results in the matrix's order; a report with another number of
 * results is not recorded) and copies the history into its results (last_change_at,
 * verdict_changes) with rep->history set. The run's moment is its end, as
 * ztprobe_last_run_timestamp_seconds. Returns how many verdicts changed in this run. */
size_t history_update(history_t *h, report_t *rep);

#endif
