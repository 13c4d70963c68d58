/* session.h: one run of a role's matrix, as `run` and `watch` share it: config and role
 * chosen once per session, then any number of runs, each producing a judged report. */
#ifndef ZT_SESSION_H
#define ZT_SESSION_H

#include <signal.h>
#include <stdbool.h>

#include "cli.h"
#include "config.h"
#include "k8s_model.h"
#include "result.h"
#include "role.h"
#include "status.h"

typedef struct {
    config_t *cfg;
    role_choice_t choice;
    const config_probe_t **probes;
    size_t n_probes;
    int concurrency;      /* after the open-files cap */
    int capped;           /* >0: the cap lowered it to this */
    bool libs_ready;      /* libcurl and c-ares initialised (undone by session_close) */
    k8s_model_t *objects; /* --policies / $ZTPROBE_POLICIES, else NULL */
    size_t objects_ns;    /* the role's namespace in objects */
    struct via *via;      /* the pod paths of "via": ["pods"] probes (via.c), else NULL */
    labels_t own;         /* the pod's labels (labels file), for --policies; none: n == 0 */
} session_t;

/* Loads the config file of o and applies the flags that override its defaults (--timeout-ms,
 * --concurrency, --ca-file; absent flags change nothing). Returns ZT_OK, or ZT_ERR_INPUT /
 * ZT_ERR_INTERNAL after logging why. Shared with validate and list. */
zt_status_t session_load_config(const cli_opts_t *o, config_t **cfg);

/* Loads the config (applying --timeout-ms, --concurrency, --ca-file), chooses the role and the
 * probes (--only), and initialises libcurl and c-ares for the session's runs. Returns ZT_OK, or ZT_ERR_INPUT / ZT_ERR_INTERNAL after logging why. */
zt_status_t session_open(const cli_opts_t *o, session_t *s);
void session_close(session_t *s);

/* Runs the matrix once into rep (results malloc'd: free with report_free), with diagnoses.
 * stop may be NULL. Returns ZT_OK or ZT_ERR_INTERNAL after logging why. */
zt_status_t session_run(const session_t *s, const cli_opts_t *o, volatile sig_atomic_t *stop, report_t *rep);

/* Recomputes rep's report-wide diagnoses for the session's role and, with --policies, what the
 * policies intend (run --wait: after the last round, on the final results). Returns 0, or
 * ZT_ERR_INTERNAL after logging why. */
zt_status_t session_diagnose(const session_t *s, report_t *rep);

/* run --wait (o->wait_ms > 0): runs the matrix, then again the probes that have not passed,
 * a round at most once a second, until all passed or no further round fits in the wait
 * (converge.h); SIGTERM/SIGINT end it, keeping the last completed round. rep gets the final
 * results with their convergence. Returns ZT_OK or ZT_ERR_INTERNAL after logging why. */
zt_status_t session_wait_run(const session_t *s, const cli_opts_t *o, report_t *rep);

/* The rounds of session_wait_run with their parameters given: a wait of wait_ms, --stable
 * (0: 1), --every (0: a second), figures measured from the monotonic moment t0 (watch
 * --startup: the start of the process; negative: the first round's start, as run --wait). */
zt_status_t session_wait_from(const session_t *s, const cli_opts_t *o, double wait_ms, int stable,
                              double every_ms, double t0, report_t *rep);

/* Renders rep in the format of o (-o), colour only for a terminal without NO_COLOR and without
 * --out. malloc'd, NULL on OOM. */
char *session_render(const cli_opts_t *o, const report_t *rep);

/* Writes text to --out atomically, or to stdout. Returns ZT_OK or ZT_ERR_INTERNAL after logging. */
zt_status_t session_emit(const cli_opts_t *o, const char *text);

/* --push: PUTs the Prometheus rendering of rep to the Pushgateway (job ztprobe, instance the
 * pod name or host name); rendered is session_render's text, reused with -o prometheus.
 * Returns ZT_OK (also without --push), or ZT_ERR_INTERNAL after logging. */
zt_status_t session_push(const cli_opts_t *o, const session_t *s, const report_t *rep, const char *rendered);

#endif
