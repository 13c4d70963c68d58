/* converge.c: `run --wait` bookkeeping (see converge.h). A probe's convergence time is the
 * start of the round in which it first passed, measured from the start of the first round:
 * the change it waited for happened before that round started and after the previous one
 * did, so the figure is exact to one round. */
#include "converge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int converge_init(converge_t *c, size_t n, double wait_ms, double now_ms)
{
    memset(c, 0, sizeof(*c));
    c->converged_ms = malloc((n ? n : 1) * sizeof(*c->converged_ms));
    c->streak = calloc(n ? n : 1, sizeof(*c->streak));
    c->streak_ms = calloc(n ? n : 1, sizeof(*c->streak_ms));
    if (!c->converged_ms || !c->streak || !c->streak_ms) {
        converge_free(c);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        c->converged_ms[i] = -1.0;
    c->stable = 1;
    c->gap_ms = CONVERGE_ROUND_GAP_MS;
    c->n = n;
    c->wait_ms = wait_ms;
    c->started_ms = now_ms;
    c->last_round_ms = now_ms;
    return 0;
}

void converge_free(converge_t *c)
{
    if (!c)
        return;
    free(c->converged_ms);
    free(c->streak);
    free(c->streak_ms);
    c->converged_ms = NULL;
    c->streak = NULL;
    c->streak_ms = NULL;
    c->n = 0;
}

void converge_configure(converge_t *c, int stable, double gap_ms)
{
    c->stable = stable >= 1 ? stable : 1;
    c->gap_ms = gap_ms > 0 ? gap_ms : CONVERGE_ROUND_GAP_MS;
}

void converge_record(converge_t *c, double round_ms, const size_t *idx, const result_t *results, size_t k)
{
    c->rounds++;
    c->last_round_ms = round_ms;
    double after = round_ms - c->started_ms;
    if (after < 0)
        after = 0;
    for (size_t j = 0; j < k; j++) {
        size_t i = idx ? idx[j] : j;
        if (i >= c->n || c->converged_ms[i] >= 0)
            continue;
        if (results[j].verdict != VERDICT_PASS) {
            c->streak[i] = 0; /* a flap: the probe has not settled yet */
            continue;
        }
        if (c->streak[i]++ == 0)
            c->streak_ms[i] = after;
        if (c->streak[i] >= c->stable)
            c->converged_ms[i] = c->streak_ms[i];
    }
}

size_t converge_pending(const converge_t *c, size_t *idx)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->converged_ms[i] < 0)
            idx[k++] = i;
    return k;
}

double converge_next_round(const converge_t *c, double now_ms, double budget_ms)
{
    bool pending = false;
    for (size_t i = 0; i < c->n && !pending; i++)
        pending = c->converged_ms[i] < 0;
    if (!pending)
        return -1.0;
    double next = c->last_round_ms + c->gap_ms;
    if (next < now_ms)
        next = now_ms;
    /* The wait bounds the whole run: a round that might not end in time is not started. */
    if (next + budget_ms > c->started_ms + c->wait_ms)
        return -1.0;
    return next;
}

double converge_round_budget_ms(const config_t *cfg, const config_probe_t *const *probes, const size_t *idx,
                                size_t k)
{
    double worst = 0;
    for (size_t j = 0; j < k; j++) {
        const config_probe_t *p = probes[idx ? idx[j] : j];
        int attempts = config_probe_attempts(cfg, p);
        if (attempts > CONFIG_ATTEMPTS_MAX)
            attempts = CONFIG_ATTEMPTS_MAX;
        double t = (double)config_probe_timeout_ms(cfg, p) * (double)attempts;
        if (t > worst)
            worst = t;
    }
    return worst + CONVERGE_ROUND_SLACK_MS;
}

int converge_check_wait(const config_t *cfg, const config_probe_t *const *probes, size_t n, long wait_ms,
                        const char *wait_text, char *err, size_t errlen)
{
    const config_probe_t *slowest = NULL;
    int worst = 0;
    for (size_t i = 0; i < n; i++) {
        int t = config_probe_timeout_ms(cfg, probes[i]);
        if (t > worst) {
            worst = t;
            slowest = probes[i];
        }
    }
    if (!slowest || wait_ms >= worst)
        return 0;
    snprintf(err, errlen,
             "--wait %s is shorter than the probe timeout of %d ms (probe \"%s\"): one round must fit; "
             "give --wait at least %ds, or lower --timeout-ms",
             wait_text ? wait_text : "?", worst, slowest->name, (worst + 999) / 1000);
    return -1;
}

void converge_finish(const converge_t *c, report_t *rep)
{
    double all = 0;
    rep->waited = true;
    for (size_t i = 0; i < rep->n_results; i++) {
        double v = i < c->n ? c->converged_ms[i] : -1.0;
        rep->results[i].converged_after_ms = v;
        if (v < 0 || all < 0)
            all = -1.0;
        else if (v > all)
            all = v;
    }
    rep->converged_after_ms = all;
}
