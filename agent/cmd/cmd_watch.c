/* cmd_watch.c: `ztprobe watch`: the matrix every --interval (with jitter, so many pods do not
 * probe in step), each report written atomically, one JSON log line per run on stderr, and a
 * clean exit 0 within a second of SIGTERM/SIGINT (the run in flight is abandoned). */
#include <cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_exit.h"
#include "history.h"
#include "log.h"
#include "loop.h"
#include "report.h"
#include "session.h"
#include "stop.h"
#include "verdict.h"
#include "watch_startup.h"

int watch_parse_interval(const char *s, long *ms)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || v <= 0)
        return -1;
    long mult;
    if (strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "s") == 0)
        mult = 1000;
    else if (strcmp(end, "m") == 0)
        mult = 60000;
    else if (strcmp(end, "h") == 0)
        mult = 3600000;
    else
        return -1;
    if (v > 7L * 24 * 3600000 / mult) /* a week is plenty for a check interval */
        return -1;
    *ms = v * mult;
    return 0;
}

/* The one JSON line per run: enough for a log pipeline to alert on, no report body. */
static void watch_log_run(const report_t *rep, long run, zt_status_t rc, const history_t *hist, size_t flips)
{
    summary_t s = report_summary(rep);
    cJSON *o = cJSON_CreateObject();
    char when[32];
    time_t t = (time_t)rep->started_at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cJSON_AddStringToObject(o, "time", when);
    cJSON_AddStringToObject(o, "event", "run");
    cJSON_AddNumberToObject(o, "run", (double)run);
    cJSON_AddStringToObject(o, "role", rep->role);
    cJSON_AddBoolToObject(o, "ok", s.ok && rc == ZT_OK);
    cJSON_AddNumberToObject(o, "total", s.total);
    cJSON_AddNumberToObject(o, "passed", s.passed);
    cJSON_AddNumberToObject(o, "failed", s.failed);
    cJSON_AddNumberToObject(o, "inconclusive", s.inconclusive);
    cJSON_AddNumberToObject(o, "duration_ms", (double)(long)(rep->duration_ms * 10) / 10);
    cJSON *bad = cJSON_AddArrayToObject(o, "not_passed");
    for (size_t i = 0; i < rep->n_results; i++)
        if (rep->results[i].verdict != VERDICT_PASS)
            cJSON_AddItemToArray(bad, cJSON_CreateString(rep->results[i].name));
    /* The probes whose verdict differs from the previous run's (none on the first run). */
    cJSON *ch = cJSON_AddArrayToObject(o, "changed");
    for (size_t i = 0; flips > 0 && i < rep->n_results && i < hist->n; i++)
        if (hist->flipped[i])
            cJSON_AddItemToArray(ch, cJSON_CreateString(rep->results[i].name));
    cJSON *d = cJSON_AddArrayToObject(o, "diagnoses");
    for (size_t i = 0; i < rep->n_diags; i++)
        cJSON_AddItemToArray(d, cJSON_CreateString(rep->diags[i].code));
    log_json_line(o);
}

int cmd_watch(const cli_opts_t *o)
{
    double t0 = loop_mono_ms(); /* the container's start, as near as the process sees it */
    long interval = 0;
    if (!o->interval || watch_parse_interval(o->interval, &interval) < 0) {
        log_error("watch: --interval is required, like 30s, 5m or 1h (got \"%s\")",
                  o->interval ? o->interval : "");
        return EXIT_USAGE;
    }
    stop_begin(NULL);

    session_t s;
    zt_status_t rc = session_open(o, &s);
    if (rc != ZT_OK)
        return cmd_exit_code(rc); /* a bad config at start is the user's to fix now, not to retry */
    history_t hist;
    if (history_init(&hist, s.n_probes) < 0) {
        log_error("out of memory");
        session_close(&s);
        return EXIT_INTERNAL;
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    watch_startup_t startup = {0};
    if (o->startup_ms > 0 &&
        ((rc = watch_startup_check(&s, o)) != ZT_OK ||
         (rc = watch_startup_run(&s, o, t0, &startup)) != ZT_OK)) {
        watch_startup_free(&startup);
        history_free(&hist);
        session_close(&s);
        return cmd_exit_code(rc);
    }
    long run = 0;
    while (!stop_requested) {
        double started = loop_mono_ms();
        report_t rep;
        run++;
        rc = session_run(&s, o, &stop_requested, &rep);
        if (stop_requested) {
            /* Abandoned mid-run: a partial report would claim errors that did not happen. */
            report_free(&rep);
            break;
        }
        size_t flips = 0;
        if (rc == ZT_OK) {
            watch_startup_apply(&startup, &rep); /* --startup's figures ride on every report */
            flips = history_update(&hist, &rep);
            char *text = session_render(o, &rep);
            rc = text ? session_emit(o, text) : ZT_ERR_NOMEM;
            if (rc == ZT_OK)
                rc = session_push(o, &s, &rep, text); /* logged; the next run tries again */
            free(text);
        }
        watch_log_run(&rep, run, rc, &hist, flips);
        report_free(&rep);
        /* Next start: one interval after this one started, plus up to 10% jitter. A run that
         * overran the interval is followed at once by the next, never by two. */
        double jitter = (double)interval * 0.1 * ((double)rand() / (double)RAND_MAX);
        stop_sleep_until(started + (double)interval + jitter);
    }
    watch_startup_free(&startup);
    history_free(&hist);
    session_close(&s);
    fprintf(stderr, "{\"event\":\"stop\",\"runs\":%ld}\n", run);
    return 0;
}
