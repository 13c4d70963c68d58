/* converge.h: the bookkeeping of `run --wait`: which probes still have to pass, when each
 * first passed, and whether another round fits before the deadline. Pure: the caller passes
 * the clock in, so unit tests drive it with made-up times. */
#ifndef ZT_CONVERGE_H
#define ZT_CONVERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "result.h"

/* Rounds start at least this far apart (ms) by default: a probe is tried at most once a
 * second (--every changes it). */
#define CONVERGE_ROUND_GAP_MS 1000.0
/* Added to a round's worst case (timeouts x attempts) for setup and scheduling. */
#define CONVERGE_ROUND_SLACK_MS 100.0

typedef struct {
    size_t n;             /* probes of the matrix */
    double *converged_ms; /* per probe: ms after the start, < 0: not passed yet */
    double wait_ms;       /* --wait */
    double started_ms;    /* monotonic start of the first round */
    double last_round_ms; /* monotonic start of the latest round */
    int rounds;
    int stable;        /* --stable: consecutive passes that make a probe converged */
    double gap_ms;     /* --every: rounds start at least this far apart */
    int *streak;       /* per probe: consecutive passes so far */
    double *streak_ms; /* per probe: ms after the start of the streak's first pass */
} converge_t;

/* Starts the bookkeeping of n probes for a wait of wait_ms, the first round starting at
 * now_ms. Returns 0, or -1 on OOM. Undo with converge_free. */
int converge_init(converge_t *c, size_t n, double wait_ms, double now_ms);
void converge_free(converge_t *c);

/* --stable N (>= 1) and --every (ms, > 0); converge_init sets 1 and CONVERGE_ROUND_GAP_MS. */
void converge_configure(converge_t *c, int stable, double gap_ms);

/* Records the round that started at round_ms: results[j] is the result of probe idx[j]
 * (idx NULL: probe j). A probe converges at its stable-th consecutive pass, with the time of
 * the first pass of that streak; a result that does not pass restarts the streak. */
void converge_record(converge_t *c, double round_ms, const size_t *idx, const result_t *results, size_t k);

/* Writes the indexes of the probes that have not passed yet into idx (room for n); returns
 * how many. */
size_t converge_pending(const converge_t *c, size_t *idx);

/* When the next round may start (monotonic ms): not before the gap (--every) after the
 * latest round started, nor before now_ms. Negative when there is none: every probe passed,
 * or a round whose worst case is budget_ms would end after the wait. */
double converge_next_round(const converge_t *c, double now_ms, double budget_ms);

/* The worst case of a round of probes[idx[0..k)]: the longest timeout x attempts, plus
 * CONVERGE_ROUND_SLACK_MS. */
double converge_round_budget_ms(const config_t *cfg, const config_probe_t *const *probes, const size_t *idx,
                                size_t k);

/* --wait must cover one attempt of the slowest probe. Returns 0, or -1 with a message naming
 * the wait and the probe timeout in err. */
int converge_check_wait(const config_t *cfg, const config_probe_t *const *probes, size_t n, long wait_ms,
                        const char *wait_text, char *err, size_t errlen);

/* Writes the convergence into rep (whose results are the matrix's, in order): waited, each
 * result's converged_after_ms, and the report's (the largest, when every probe passed). */
void converge_finish(const converge_t *c, report_t *rep);

#endif
