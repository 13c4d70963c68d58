/* session_wait.c: `run --wait DURATION`: the matrix once, then rounds of the probes that have
 * not passed yet, until every probe passed or the wait is used up. Each round is an ordinary
 * run of a subset (session_run), so the probes run exactly as without --wait; the bookkeeping
 * (what is pending, when each passed, whether a round still fits) is converge.c's. */
#include <stdlib.h>
#include <string.h>

#include "converge.h"
#include "log.h"
#include "loop.h"
#include "report.h"
#include "session.h"
#include "stop.h"

/* The flag whose rounds these are, in log lines: run --wait or watch --startup. */
#define SW_TAG(o) ((o)->wait_ms > 0 ? "--wait" : "--startup")

/* One round of the pending probes idx[0..k): their results replace those of rep. Returns ZT_OK,
 * ZT_DONE when a signal abandoned the round (rep unchanged), or ZT_ERR_INTERNAL. */
static zt_status_t wait_round(const session_t *s, const cli_opts_t *o, converge_t *cv, const size_t *idx,
                              size_t k, report_t *rep)
{
    session_t sub = *s;
    const config_probe_t **probes = calloc(k ? k : 1, sizeof(*probes));
    if (!probes) {
        log_error("out of memory");
        return ZT_ERR_INTERNAL;
    }
    for (size_t j = 0; j < k; j++)
        probes[j] = s->probes[idx[j]];
    sub.probes = probes;
    sub.n_probes = k;
    report_t round;
    double started = loop_mono_ms();
    zt_status_t rc = session_run(&sub, o, &stop_requested, &round);
    if (rc == 0 && stop_requested) {
        rc = ZT_DONE; /* abandoned mid-round: its "abandoned" outcomes would hide the last real ones */
    } else if (rc == 0) {
        converge_record(cv, started, idx, round.results, k);
        size_t left = 0;
        for (size_t j = 0; j < k; j++)
            left += round.results[j].verdict != VERDICT_PASS;
        /* Moved, not copied: the round's texts now belong to rep (report_free below frees
         * only what is left in round). */
        for (size_t j = 0; j < k; j++)
            result_move(&rep->results[idx[j]], &round.results[j]);
        log_verbose("%s: round %d at %.0f ms: %zu of %zu probes still not passed", SW_TAG(o), cv->rounds,
                    started - cv->started_ms, left, k);
    }
    report_free(&round);
    free(probes);
    return rc;
}

zt_status_t session_wait_run(const session_t *s, const cli_opts_t *o, report_t *rep)
{
    /* t0 < 0: measured from the first round's start, so a probe that passes there has 0 */
    return session_wait_from(s, o, (double)o->wait_ms, o->stable, (double)o->every_ms, -1.0, rep);
}

zt_status_t session_wait_from(const session_t *s, const cli_opts_t *o, double wait_ms, int stable,
                              double every_ms, double t0, report_t *rep)
{
    stop_saved_t saved;
    stop_begin(&saved); /* a Job's pod gets SIGTERM at its deadline */

    converge_t cv;
    size_t *idx = NULL;
    zt_status_t rc = ZT_ERR_INTERNAL;
    double first = loop_mono_ms(); /* the first round's start */
    if (t0 < 0)
        t0 = first;
    if (converge_init(&cv, s->n_probes, wait_ms, t0) < 0 ||
        !(idx = calloc(s->n_probes ? s->n_probes : 1, sizeof(*idx)))) {
        log_error("out of memory");
        goto done;
    }
    converge_configure(&cv, stable, every_ms);
    /* The first round is a whole run: its report (role, pod, start time) is the final one's. */
    if ((rc = session_run(s, o, &stop_requested, rep)) != 0)
        goto done;
    converge_record(&cv, first, NULL, rep->results, rep->n_results);
    while (!stop_requested) {
        size_t k = converge_pending(&cv, idx);
        double next = converge_next_round(&cv, loop_mono_ms(),
                                          converge_round_budget_ms(s->cfg, s->probes, idx, k));
        if (next < 0)
            break;
        stop_sleep_until(next);
        if (stop_requested)
            break;
        zt_status_t r = wait_round(s, o, &cv, idx, k, rep);
        if (r == ZT_ERR_INTERNAL) {
            rc = r;
            goto done;
        }
    }
    rep->duration_ms = loop_mono_ms() - t0;
    converge_finish(&cv, rep);
    if ((rc = session_diagnose(s, rep)) != 0)
        goto done;
    /* Only with -v: a Job's log (`kubectl logs` merges stderr in) must be the report alone. */
    if (stop_requested)
        log_verbose("%s: stopped by a signal after %.1f s (%d rounds); reporting the last completed rounds",
                    SW_TAG(o), rep->duration_ms / 1000.0, cv.rounds);
    else if (rep->converged_after_ms >= 0)
        log_verbose("%s: converged after %.1f s (%d round%s)", SW_TAG(o), rep->converged_after_ms / 1000.0,
                    cv.rounds, cv.rounds == 1 ? "" : "s");
    else
        log_verbose("%s: not converged within %s (%d round%s in %.1f s)", SW_TAG(o),
                    o->wait ? o->wait : o->startup, cv.rounds, cv.rounds == 1 ? "" : "s",
                    rep->duration_ms / 1000.0);
    rc = 0;
done:
    free(idx);
    converge_free(&cv);
    stop_end(&saved);
    return rc;
}
