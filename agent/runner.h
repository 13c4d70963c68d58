/* runner.h: runs a list of probes at once in one event loop, up to a concurrency limit, each
 * attempt bounded by its timeout (DNS included), and judges each probe. */
#ifndef ZT_RUNNER_H
#define ZT_RUNNER_H

#include <signal.h>
#include <stddef.h>

#include "config.h"
#include "result.h"

typedef struct {
    const config_t *cfg;
    const config_probe_t *const *probes; /* the probes to run, in report order */
    size_t n_probes;
    int concurrency;             /* attempts in flight at most (>= 1) */
    int verbose;
    const char *role;            /* for hints */
    const char *namespace_;      /* for hints, may be NULL */
    /* Optional: when *stop becomes non-zero the run is abandoned within ~100 ms; unfinished
     * probes end in outcome error, detail "abandoned". */
    volatile sig_atomic_t *stop;
} runner_opts_t;

/* Runs every probe and fills results[0..n_probes) (verdict, outcome, detail, hint, timings,
 * addresses). Returns 0, or -1 on an internal error (err says which library failed). */
int runner_run(const runner_opts_t *opts, result_t *results, char *err, size_t errlen);

/* Process-wide library init/cleanup (curl_global_init, ares_library_init): once around any
 * number of runner_run calls (the probe kinds rely on it and do not repeat it). */
int runner_global_init(char *err, size_t errlen);
void runner_global_cleanup(void);

#endif
