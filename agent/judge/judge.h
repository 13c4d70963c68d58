/* judge.h: the session's side of a run: it receives each attempt from the runner, keeps the
 * outcomes, records the attempt the verdict rests on, and at the end writes verdicts and hints
 * into the results. Pure (no I/O): the runner's callbacks, testable with made-up attempts. */
#ifndef ZT_JUDGE_H
#define ZT_JUDGE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "hint.h"
#include "probe.h"
#include "result.h"

typedef struct judge judge_t;

/* results[0..n) are initialised (name, kind, expect, target, host, port; outcome error until
 * an attempt ends): they must own nothing yet (fresh memory), and own their texts and
 * addresses afterwards (report_free). NULL on OOM. */
judge_t *judge_create(const config_t *cfg, const config_probe_t *const *probes, size_t n, result_t *results);
void judge_destroy(judge_t *j);

/* runner_opts_t.on_attempt / on_probe_done, with ud the judge. An attempt on several addresses
 * (family: all) counts as its worst address (verdict_worst). */
bool judge_attempt(void *ud, size_t idx, probe_attempt_t *const *addrs, size_t n);
void judge_probe_done(void *ud, size_t idx, int attempts, double duration_ms);

/* Verdict, decisive outcome and hint of every result. -1 when a text or address list of a
 * result could not be allocated during the run (the report would lack it), else 0. */
int judge_finish(judge_t *j, const hint_ctx_t *hc);

#endif
