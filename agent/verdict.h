/* verdict.h: the judgement of SPEC.md "Verdicts", the hints and the report-wide diagnoses.
 * Pure functions of expectations and outcomes: no I/O, tested by feeding values. */
#ifndef ZT_VERDICT_H
#define ZT_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "outcome.h"
#include "result.h"

/* Judges the outcomes of all attempts of one probe (n >= 1).
 *  allow: pass on any ok, else fail.
 *  deny (tcp/http/https/postgres): fail if any attempt connected (outcome_connected); else
 *   pass if every outcome is in deny; else inconclusive.
 *  deny (dns): pass if every attempt is dns_timeout, unreachable, refused or in deny; fail if
 *   any attempt got an answer from the server (ok, nxdomain, nodata, dns_error, cidr_mismatch);
 *   else inconclusive.
 * *decisive receives the index of the outcome the verdict rests on (for allow: the first ok,
 * else the last attempt; for deny: the first attempt that broke the deny, else the last). */
verdict_t verdict_judge(probe_kind_t kind, expect_t expect, outcome_mask_t deny,
                        const outcome_t *outcomes, size_t n, size_t *decisive);

const char *verdict_name(verdict_t v);
int verdict_parse(const char *name, verdict_t *out);

/* Context a hint may name. */
typedef struct {
    const char *role;       /* the role the pod plays */
    const char *namespace_; /* pod namespace, or NULL */
} hint_ctx_t;

/* Writes one sentence for a failed or inconclusive result (r->verdict, r->outcome, r->kind,
 * r->expect, r->target are read): the likely cause among the seed's common causes (labels not
 * matching the podSelector, missing DNS egress rule, wrong port, CNI without NetworkPolicy
 * support, nothing listening, ...) and the next command to run. Empty for a pass. */
void verdict_hint(const result_t *r, const hint_ctx_t *ctx, char *buf, size_t len);

/* Inputs for the report-wide diagnoses. */
typedef struct {
    bool role_forced;            /* role came from --role or $ZTPROBE_ROLE */
    bool labels_known;           /* the labels file was read */
    bool labels_match;           /* the forced role's selector matches the pod labels */
    const char *labels_seen;     /* "app=frontend,tier=web" */
    const char *selector;        /* the role's selector, same format */
    const char *role;
    int concurrency_cap;         /* >0: concurrency was lowered to this by the fd limit */
    size_t n_unverified;         /* probes sending a password with sslmode < verify-full */
    const char *unverified;      /* their names, "a, b" */
} diag_ctx_t;

/* Computes the report-wide diagnoses (dns_blocked, policy_not_enforced, role_labels_mismatch,
 * password_to_unverified_server) plus concurrency_capped, into r->diags / r->n_diags. */
void verdict_diagnose(report_t *r, const diag_ctx_t *ctx);

#endif
