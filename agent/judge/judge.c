/* judge.c: the verdicts of a run, attempt by attempt (judge.h). */
#include "judge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"

typedef struct {
    outcome_t outcomes[CONFIG_ATTEMPTS_MAX];
    size_t n;
    outcome_mask_t deny;
} judge_probe_t;

struct judge {
    const config_probe_t *const *probes;
    result_t *results;
    judge_probe_t *jp;
    size_t n;
    bool oom; /* a result's text or addresses could not be kept: judge_finish fails */
};

judge_t *judge_create(const config_t *cfg, const config_probe_t *const *probes, size_t n, result_t *results)
{
    judge_t *j = calloc(1, sizeof(*j));
    if (!j || !(j->jp = calloc(n ? n : 1, sizeof(*j->jp)))) {
        free(j);
        return NULL;
    }
    j->probes = probes;
    j->results = results;
    j->n = n;
    for (size_t i = 0; i < n; i++) {
        const config_probe_t *p = probes[i];
        result_t *r = &results[i];
        char target[RESULT_TARGET_LEN];
        memset(r, 0, sizeof(*r));
        snprintf(r->name, sizeof(r->name), "%s", p->name);
        r->kind = p->kind;
        r->expect = p->expect;
        config_probe_target(p, target, sizeof(target));
        j->oom |= result_set_text(r, RESULT_TARGET, target) < 0;
        snprintf(r->host, sizeof(r->host), "%s", p->host ? p->host : "");
        r->port = p->port;
        r->outcome = OUTCOME_ERROR;
        r->dns_ms = r->connect_ms = r->tls_ms = r->first_byte_ms = -1;
        j->jp[i].deny = config_probe_deny_outcomes(cfg, p);
    }
    return j;
}

void judge_destroy(judge_t *j)
{
    if (!j)
        return;
    free(j->jp);
    free(j);
}

/* Copies what the report shows of the attempt the verdict rests on. */
static bool record(result_t *r, probe_attempt_t *const *addrs, size_t n, size_t worst, bool per_address)
{
    const probe_attempt_t *a = addrs[worst];
    int rc;
    r->outcome = a->outcome;
    if (n > 1)
        rc = result_printf(r, RESULT_DETAIL, "%.46s: %.200s", a->addr_str, a->detail);
    else
        rc = result_set_text(r, RESULT_DETAIL, a->detail);
    r->facts = a->facts;
    r->dns_ms = a->dns_ms;
    r->connect_ms = a->connect_ms;
    r->tls_ms = a->tls_ms;
    r->first_byte_ms = a->first_byte_ms;
    /* Answers and addresses are inet_ntop text (runner, dns): they parse, and render back
     * byte for byte. */
    ip_addr_t ans[RESULT_MAX_ADDRS];
    size_t na = 0;
    for (size_t i = 0; i < a->n_answers && i < RESULT_MAX_ADDRS; i++)
        if (ip_addr_parse(a->answers[i], &ans[na]))
            na++;
    result_addr_t per[RESULT_MAX_ADDRS];
    size_t np = 0;
    for (size_t i = 0; per_address && i < n && np < RESULT_MAX_ADDRS; i++) {
        result_addr_t *ra = &per[np];
        if (!ip_addr_parse(addrs[i]->addr_str, &ra->address))
            continue; /* no address (""): nothing to show */
        ra->outcome = addrs[i]->outcome;
        ra->duration_ms = addrs[i]->duration_ms;
        np++;
    }
    rc |= result_set_addrs(r, ans, na);
    rc |= result_set_addr_results(r, per, np);
    return rc == 0;
}

bool judge_attempt(void *ud, size_t idx, probe_attempt_t *const *addrs, size_t n)
{
    judge_t *j = ud;
    judge_probe_t *jp = &j->jp[idx];
    const config_probe_t *p = j->probes[idx];
    outcome_t per[RESULT_MAX_ADDRS];
    if (n == 0 || jp->n >= CONFIG_ATTEMPTS_MAX)
        return false;
    for (size_t i = 0; i < n && i < RESULT_MAX_ADDRS; i++)
        per[i] = addrs[i]->outcome;
    size_t worst = n > 1 ? verdict_worst(p->kind, p->expect, jp->deny, per, n) : 0;
    jp->outcomes[jp->n++] = per[worst];
    size_t decisive = 0;
    (void)verdict_judge(p->kind, p->expect, jp->deny, jp->outcomes, jp->n, &decisive);
    if (decisive == jp->n - 1 && !record(&j->results[idx], addrs, n, worst, p->family == FAMILY_ALL))
        j->oom = true;
    return !verdict_settled(p->kind, p->expect, jp->deny, jp->outcomes, jp->n);
}

void judge_probe_done(void *ud, size_t idx, int attempts, double duration_ms)
{
    judge_t *j = ud;
    j->results[idx].attempts = attempts;
    j->results[idx].duration_ms = duration_ms;
}

int judge_finish(judge_t *j, const hint_ctx_t *hc)
{
    for (size_t i = 0; i < j->n; i++) {
        judge_probe_t *jp = &j->jp[i];
        const config_probe_t *p = j->probes[i];
        result_t *r = &j->results[i];
        size_t decisive = 0;
        if (jp->n == 0) {
            jp->outcomes[0] = OUTCOME_ERROR;
            jp->n = 1;
        }
        r->verdict = verdict_judge(p->kind, p->expect, jp->deny, jp->outcomes, jp->n, &decisive);
        r->outcome = jp->outcomes[decisive];
        char hint[RESULT_HINT_LEN] = "";
        if (r->verdict != VERDICT_PASS)
            hint_write(r, hc, hint, sizeof(hint));
        j->oom |= result_set_text(r, RESULT_HINT, hint) < 0;
    }
    return j->oom ? -1 : 0;
}
