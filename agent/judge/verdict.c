/* verdict.c: the judgement of a probe's outcomes (the reference, "Verdicts") and the
 * report-wide diagnoses. Pure: the kind's properties come from its probe_ops_t; the hints live
 * in hint.c, the rendering in report.c. */
#include "verdict.h"

#include "probe.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const verdict_names[] = {
    [VERDICT_PASS] = "pass",
    [VERDICT_FAIL] = "fail",
    [VERDICT_INCONCLUSIVE] = "inconclusive",
};

const char *verdict_name(verdict_t v)
{
    /* An out-of-range value never reads as a pass. */
    if ((unsigned)v > VERDICT_INCONCLUSIVE)
        return "inconclusive";
    return verdict_names[v];
}

int verdict_parse(const char *name, verdict_t *out)
{
    if (name == NULL)
        return -1;
    for (unsigned i = 0; i <= VERDICT_INCONCLUSIVE; i++) {
        if (strcmp(name, verdict_names[i]) == 0) {
            *out = (verdict_t)i;
            return 0;
        }
    }
    return -1;
}

static verdict_t judge_allow(const outcome_t *oc, size_t n, size_t *dec)
{
    for (size_t i = 0; i < n; i++) {
        if (oc[i] == OUTCOME_OK) {
            *dec = i;
            return VERDICT_PASS;
        }
    }
    *dec = n - 1;
    return VERDICT_FAIL;
}

/* What proves a path open and what counts as denied are the kind's (probe_ops_t): a connected
 * TCP path outranks deny_outcomes; a DNS server that answered proves port 53 open unless the
 * user listed that answer (a DNS firewall answering NXDOMAIN). */
static verdict_t judge_deny(const probe_ops_t *ops, outcome_mask_t deny, const outcome_t *oc, size_t n,
                            size_t *dec)
{
    size_t first_other = n;
    for (size_t i = 0; i < n; i++) {
        if (probe_breaks_deny(ops, deny, oc[i])) {
            *dec = i;
            return VERDICT_FAIL;
        }
        if (!probe_denied(ops, deny, oc[i]) && first_other == n)
            first_other = i;
    }
    if (first_other == n) {
        *dec = n - 1;
        return VERDICT_PASS;
    }
    *dec = first_other;
    return VERDICT_INCONCLUSIVE;
}

verdict_t verdict_judge(probe_kind_t kind, expect_t expect, outcome_mask_t deny, const outcome_t *outcomes,
                        size_t n, size_t *decisive)
{
    size_t dec = 0;
    verdict_t v;

    if (outcomes == NULL || n == 0) /* nothing was measured: nothing was proven */
        v = VERDICT_INCONCLUSIVE;
    else if (expect == EXPECT_ALLOW)
        v = judge_allow(outcomes, n, &dec);
    else
        v = judge_deny(probe_ops_for(kind), deny, outcomes, n, &dec);
    if (decisive != NULL)
        *decisive = dec;
    return v;
}

/* fail > inconclusive > pass: the verdict each address alone would get. */
static int verdict_rank(verdict_t v)
{
    return v == VERDICT_FAIL ? 2 : v == VERDICT_INCONCLUSIVE ? 1 : 0;
}

size_t verdict_worst(probe_kind_t kind, expect_t expect, outcome_mask_t deny, const outcome_t *outcomes,
                     size_t n)
{
    size_t worst = 0;
    int worst_rank = -1;
    for (size_t i = 0; i < n; i++) {
        int rk = verdict_rank(verdict_judge(kind, expect, deny, &outcomes[i], 1, NULL));
        if (rk > worst_rank) {
            worst_rank = rk;
            worst = i;
        }
    }
    return worst;
}

bool verdict_settled(probe_kind_t kind, expect_t expect, outcome_mask_t deny, const outcome_t *outcomes,
                     size_t n)
{
    verdict_t v = verdict_judge(kind, expect, deny, outcomes, n, NULL);
    return expect == EXPECT_ALLOW ? v == VERDICT_PASS : v == VERDICT_FAIL;
}

/* ---- diagnoses ---------------------------------------------------------------------- */

static const char *nonempty(const char *s, const char *fallback)
{
    return (s != NULL && s[0] != '\0') ? s : fallback;
}

/* A probe whose DNS went unanswered while DNS was meant to work. A dns deny probe that
 * passed on dns_timeout is the policy working, not a problem. */
static bool saw_dns_blocked(const result_t *res)
{
    if (res->verdict == VERDICT_PASS)
        return false;
    if (res->outcome == OUTCOME_DNS_TIMEOUT)
        return true;
    const probe_ops_t *ops = probe_ops_for(res->kind);
    return ops && ops->queries_dns && res->expect == EXPECT_ALLOW &&
        (res->outcome == OUTCOME_UNREACHABLE || res->outcome == OUTCOME_REFUSED ||
         res->outcome == OUTCOME_TIMEOUT);
}

static void diag_dns_blocked(report_t *r, const char *nsflag)
{
    size_t hits = 0;
    const char *first = NULL;
    for (size_t i = 0; i < r->n_results; i++) {
        if (saw_dns_blocked(&r->results[i])) {
            if (first == NULL)
                first = r->results[i].name;
            hits++;
        }
    }
    if (hits == 0)
        return;
    result_diag_add(r, "dns_blocked",
                    "DNS servers unreachable from this pod (%zu probe%s got no DNS answer, e.g. %.100s): "
                    "allow UDP and TCP 53 egress to kube-dns (namespace kube-system, "
                    "k8s-app=kube-dns) in this pod's NetworkPolicy; check with "
                    "`kubectl describe networkpolicy %.64s`.",
                    hits, hits == 1 ? "" : "s", first, nsflag);
}

static void diag_policy_not_enforced(report_t *r, const char *role, const char *nsflag)
{
    size_t deny = 0, connected = 0;
    for (size_t i = 0; i < r->n_results; i++) {
        const result_t *res = &r->results[i];
        const probe_ops_t *ops = probe_ops_for(res->kind);
        if (res->expect != EXPECT_DENY || !ops || ops->queries_dns)
            continue;
        deny++;
        if (probe_breaks_deny(ops, 0, res->outcome))
            connected++;
    }
    if (deny == 0 || connected != deny)
        return;
    result_diag_add(r, "policy_not_enforced",
                    "every expected-deny probe of role %.64s connected (%zu of %zu): no default-deny "
                    "policy selects this pod, or the CNI does not enforce NetworkPolicy; run "
                    "`kubectl get networkpolicies %.64s` and `kubectl get pods %.64s --show-labels`, and "
                    "check that the cluster's CNI supports NetworkPolicy.",
                    role, connected, deny, nsflag, nsflag);
}

static void diag_labels(report_t *r, const diag_ctx_t *ctx, const char *role)
{
    /* Without the labels file there is no evidence either way: say nothing. */
    if (!ctx->role_forced || !ctx->labels_known || ctx->labels_match)
        return;
    result_diag_add(r, "role_labels_mismatch",
                    "role %.100s was forced by --role or $ZTPROBE_ROLE, but the pod's labels (%.100s) "
                    "do not match its selector (%.100s), so this pod is not governed by the policies "
                    "the role assumes: fix the pod's labels or drop --role.",
                    role, nonempty(ctx->labels_seen, "none"), nonempty(ctx->selector, "none"));
}

static void diag_concurrency(report_t *r, const diag_ctx_t *ctx)
{
    if (ctx->concurrency_cap <= 0)
        return;
    result_diag_add(r, "concurrency_capped",
                    "concurrency lowered to %d by the open-files limit: raise ulimit -n to run more "
                    "probes at once.",
                    ctx->concurrency_cap);
}

void verdict_diagnose(report_t *r, const diag_ctx_t *ctx)
{
    static const diag_ctx_t none = {0};
    char nsflag[80];

    if (r == NULL)
        return;
    if (ctx == NULL)
        ctx = &none;
    r->n_diags = 0;
    snprintf(nsflag, sizeof(nsflag), "-n %.60s", nonempty(r->pod_namespace, "<namespace>"));
    const char *role = nonempty(ctx->role, nonempty(r->role, "?"));

    diag_dns_blocked(r, nsflag);
    diag_policy_not_enforced(r, role, nsflag);
    diag_labels(r, ctx, role);
    diag_concurrency(r, ctx);
}
