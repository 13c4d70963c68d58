/* runner.h: runs a list of probes at once in one event loop, up to a concurrency limit, each
 * attempt bounded by its timeout (DNS included). I/O only: it reports each attempt's outcome
 * to its caller (the session), which judges; the caller also says whether another attempt is
 * wanted. */
#ifndef ZT_RUNNER_H
#define ZT_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "probe.h"

typedef struct {
    const config_t *cfg;
    const config_probe_t *const *probes; /* the probes to run, in report order */
    size_t n_probes;
    int concurrency; /* probes in flight at most (>= 1) */
    int verbose;
    /* Optional: when *stop becomes non-zero the run is abandoned within ~100 ms; attempts in
     * flight end in outcome error, detail "abandoned on signal"; probes not started get one
     * such attempt. */
    volatile sig_atomic_t *stop;
    /* The kind table (NULL: probe_kinds); tests inject fake kinds here. */
    const probe_ops_t *const *kinds;
    /* An attempt ended on every address it probed: addrs[0..n) (n > 1 only for family: all),
     * each with its outcome, detail, timings and duration_ms. The attempts are freed when the
     * callback returns. Returns true when another attempt is wanted (the runner still stops at
     * the probe's attempts and on stop). */
    bool (*on_attempt)(void *ud, size_t idx, probe_attempt_t *const *addrs, size_t n);
    /* The probe's last attempt ended: attempts made, whole duration. Once per probe. */
    void (*on_probe_done)(void *ud, size_t idx, int attempts, double duration_ms);
    void *ud;
} runner_opts_t;

/* Runs every probe. Returns 0, or -1 on an internal error (err says which library failed). */
int runner_run(const runner_opts_t *opts, char *err, size_t errlen);

#endif
