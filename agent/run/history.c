/* history.c: per-probe verdict history across the runs of `watch` (see history.h). The first
 * run sets each probe's change time (there was no verdict before it, as a Kubernetes
 * condition's lastTransitionTime is set when it first appears) but is not counted as a
 * change: the counter counts flips, which is what a flapping alert wants. */
#include "history.h"

#include <stdlib.h>
#include <string.h>

#include "report.h"

int history_init(history_t *h, size_t n)
{
    memset(h, 0, sizeof(*h));
    size_t m = n ? n : 1;
    h->last = calloc(m, sizeof(*h->last));
    h->changed_at = calloc(m, sizeof(*h->changed_at));
    h->changes = calloc(m, sizeof(*h->changes));
    h->flipped = calloc(m, sizeof(*h->flipped));
    if (!h->last || !h->changed_at || !h->changes || !h->flipped) {
        history_free(h);
        return -1;
    }
    h->n = n;
    return 0;
}

void history_free(history_t *h)
{
    if (!h)
        return;
    free(h->last);
    free(h->changed_at);
    free(h->changes);
    free(h->flipped);
    memset(h, 0, sizeof(*h));
}

size_t history_update(history_t *h, report_t *rep)
{
    if (!h->last || rep->n_results != h->n)
        return 0;
    double end = report_ended_at(rep);
    size_t flips = 0;
    for (size_t i = 0; i < h->n; i++) {
        result_t *r = &rep->results[i];
        h->flipped[i] = false;
        if (h->runs == 0) {
            h->changed_at[i] = end;
        } else if (r->verdict != h->last[i]) {
            h->changed_at[i] = end;
            h->changes[i]++;
            h->flipped[i] = true;
            flips++;
        }
        h->last[i] = r->verdict;
        r->last_change_at = h->changed_at[i];
        r->verdict_changes = h->changes[i];
    }
    h->runs++;
    rep->history = true;
    return flips;
}
