/* watch_startup.c: `watch --startup` (watch_startup.h). The rounds are run --wait's
 * (session_wait_from) with the clock started at the process' start rather than at the first
 * round, a fast default cadence and a stable streak: the first round that a deny passed in,
 * followed by --stable - 1 more, bounds from above the moment its policy took effect. */
#include "watch_startup.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "loop.h"
#include "report.h"
#include "stop.h"

zt_status_t watch_startup_check(const session_t *s, const cli_opts_t *o)
{
    for (size_t i = 0; i < s->n_probes; i++) {
        int t = config_probe_timeout_ms(s->cfg, s->probes[i]);
        if (o->startup_ms < t) {
            log_error(
                "--startup %s is shorter than the probe timeout of %d ms (probe \"%s\"): one round must fit",
                o->startup, t, s->probes[i]->name);
            return ZT_ERR_INPUT;
        }
    }
    return 0;
}

/* One JSON line: each probe's figure (null: not enforced, or not reachable, within --startup). */
static void ws_log(const report_t *rep, const watch_startup_t *ws, double took_ms)
{
    cJSON *o = cJSON_CreateObject(), *un = cJSON_CreateObject(), *reach = cJSON_CreateObject();
    if (!o || !un || !reach) {
        cJSON_Delete(o);
        cJSON_Delete(un);
        cJSON_Delete(reach);
        return;
    }
    cJSON_AddStringToObject(o, "event", "startup");
    cJSON_AddStringToObject(o, "role", rep->role);
    cJSON_AddBoolToObject(o, "converged", ws->all_ms >= 0);
    cJSON_AddNumberToObject(o, "duration_ms", (double)(long)(took_ms * 10) / 10);
    for (size_t i = 0; i < rep->n_results && i < ws->n; i++) {
        cJSON *to = rep->results[i].expect == EXPECT_DENY ? un : reach;
        if (ws->ms[i] < 0)
            cJSON_AddNullToObject(to, rep->results[i].name);
        else
            cJSON_AddNumberToObject(to, rep->results[i].name, (double)(long)(ws->ms[i] * 10) / 10);
    }
    cJSON_AddItemToObject(o, "unprotected_ms", un);
    cJSON_AddItemToObject(o, "reachable_after_ms", reach);
    log_json_line(o);
}

zt_status_t watch_startup_run(const session_t *s, const cli_opts_t *o, double t0, watch_startup_t *ws)
{
    report_t rep;
    ws->on = false;
    ws->n = s->n_probes;
    ws->all_ms = -1.0;
    if (!(ws->ms = malloc((ws->n ? ws->n : 1) * sizeof(*ws->ms)))) {
        log_error("out of memory");
        return ZT_ERR_INTERNAL;
    }
    zt_status_t rc = session_wait_from(
        s, o, (double)o->startup_ms, o->stable ? o->stable : WATCH_STARTUP_STABLE,
        (double)(o->every_ms ? o->every_ms : WATCH_STARTUP_EVERY_MS), t0, &rep);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < ws->n; i++)
        ws->ms[i] = i < rep.n_results ? rep.results[i].converged_after_ms : -1.0;
    ws->all_ms = rep.converged_after_ms;
    ws->on = true;
    rep.startup = true;
    ws_log(&rep, ws, loop_mono_ms() - t0);
    if (!stop_requested) {
        /* As for the watch's runs: a failed write or push is logged, and the next run tries
         * again (now with these figures on board). */
        char *text = session_render(o, &rep);
        if (text && session_emit(o, text) == 0)
            (void)session_push(o, s, &rep, text);
        free(text);
    }
    report_free(&rep);
    return 0;
}

void watch_startup_apply(const watch_startup_t *ws, report_t *rep)
{
    if (!ws->on)
        return;
    rep->waited = true;
    rep->startup = true;
    rep->converged_after_ms = ws->all_ms;
    for (size_t i = 0; i < rep->n_results && i < ws->n; i++)
        rep->results[i].converged_after_ms = ws->ms[i];
}

void watch_startup_free(watch_startup_t *ws)
{
    free(ws->ms);
    ws->ms = NULL;
}
