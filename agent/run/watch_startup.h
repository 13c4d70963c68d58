/* watch_startup.h: `watch --startup DURATION`: the unprotected window at a pod's start. From
 * the start of the process, rounds at a fast cadence until every probe has passed --stable
 * rounds in a row (or the duration is used up); each deny probe's figure is how long it was
 * not yet enforced. The figures then ride on every report of the watch. */
#ifndef ZT_WATCH_STARTUP_H
#define ZT_WATCH_STARTUP_H

#include "cli.h"
#include "result.h"
#include "session.h"

#define WATCH_STARTUP_STABLE 3     /* --stable's default for the startup rounds */
#define WATCH_STARTUP_EVERY_MS 250 /* --every's default */

typedef struct {
    size_t n;
    double *ms;    /* per probe: ms from the start until its stable streak began; < 0: never */
    double all_ms; /* the largest, < 0 unless every probe converged */
    bool on;       /* --startup was given and its rounds ran */
} watch_startup_t;

/* --startup must hold one round of the slowest probe. Returns ZT_OK, or ZT_ERR_INPUT after
 * logging. */
zt_status_t watch_startup_check(const session_t *s, const cli_opts_t *o);

/* Runs the startup rounds (t0: the monotonic start of the process), writes and pushes their
 * report as the watch's first, logs one "startup" line. Returns ZT_OK, or ZT_ERR_INTERNAL after
 * logging. A signal ends it early, keeping what was measured. */
zt_status_t watch_startup_run(const session_t *s, const cli_opts_t *o, double t0, watch_startup_t *ws);

/* Copies the startup figures into a later report of the watch. */
void watch_startup_apply(const watch_startup_t *ws, report_t *rep);

void watch_startup_free(watch_startup_t *ws);

#endif
