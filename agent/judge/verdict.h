/* verdict.h: the judgement of a probe's outcomes (the reference, "Verdicts") and the
 * report-wide diagnoses. Pure functions of expectations and outcomes: no I/O, tested by
 * feeding values. The hints are in hint.h. */
#ifndef ZT_VERDICT_H
#define ZT_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "outcome.h"
#include "result.h"

/* Judges the outcomes of all attempts of one probe (n >= 1).
 *  allow: pass on any ok, else fail.
 *  deny: fail if any attempt proved the path open (probe_breaks_deny: the kind's "open"
 *   outcomes, e.g. a TCP connection, or an answer from a DNS server); else pass if every
 *   outcome counts as denied (probe_denied: deny_outcomes plus the kind's "closed" ones, e.g.
 *   dns_timeout for dns); else inconclusive.
 * *decisive receives the index of the outcome the verdict rests on (for allow: the first ok,
 * else the last attempt; for deny: the first attempt that broke the deny, else the last). */
verdict_t verdict_judge(probe_kind_t kind, expect_t expect, outcome_mask_t deny, const outcome_t *outcomes,
                        size_t n, size_t *decisive);

const char *verdict_name(verdict_t v);
int verdict_parse(const char *name, verdict_t *out);

/* Of the per-address outcomes of one attempt (family: all), the index of the worst: the one
 * whose verdict alone ranks fail > inconclusive > pass (first on ties). Its outcome stands
 * for the attempt, so an allow passes only if every address passed and a deny only if every
 * address was denied. */
size_t verdict_worst(probe_kind_t kind, expect_t expect, outcome_mask_t deny, const outcome_t *outcomes,
                     size_t n);

/* True when more attempts cannot change the verdict: an allow that passed, a deny that
 * failed. */
bool verdict_settled(probe_kind_t kind, expect_t expect, outcome_mask_t deny, const outcome_t *outcomes,
                     size_t n);

/* Inputs for the report-wide diagnoses. */
typedef struct {
    bool role_forced;        /* role came from --role or $ZTPROBE_ROLE */
    bool labels_known;       /* the labels file was read */
    bool labels_match;       /* the forced role's selector matches the pod labels */
    const char *labels_seen; /* "app=frontend,tier=web" */
    const char *selector;    /* the role's selector, same format */
    const char *role;
    int concurrency_cap; /* >0: concurrency was lowered to this by the fd limit */
} diag_ctx_t;

/* Computes the report-wide diagnoses (dns_blocked, policy_not_enforced, role_labels_mismatch,
 * concurrency_capped) into r->diags / r->n_diags; the kinds add theirs after
 * (probe_ops_t.diagnose). */
void verdict_diagnose(report_t *r, const diag_ctx_t *ctx);

#endif
