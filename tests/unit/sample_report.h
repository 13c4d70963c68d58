/* sample_report.h: the unit tests' one sample report, built in place (the results live in the
 * struct, so two samples never share storage; their texts and addresses are owned as in a real
 * report: sample_free frees them, and the sanitizer build finds a test that forgets).
 *
 *   sample_init/sample_add: a report and its results one by one (merge and convergence tests
 *   build the matrices they need with these);
 *   sample_report: the representative report the renderer tests share (JSON, text, JUnit,
 *   Prometheus): role backend, pod backend-7d9f in govtech, one result of each verdict, an
 *   allow and a deny, addresses and phase timings, bytes each format must escape, and one
 *   diagnosis;
 *   sample_family, sample_policies, sample_waited: what only some runs carry (a family: all
 *   probe with an outcome per address, `run --policies`' policy fields, `run --wait`'s
 *   converged_after_ms), added on top of sample_report.
 * Header-only: each unit test is its own program. */
#ifndef ZT_SAMPLE_REPORT_H
#define ZT_SAMPLE_REPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"

#define SAMPLE_MAX 8

typedef struct {
    report_t r;
    result_t res[SAMPLE_MAX];
    result_policy_t policy[SAMPLE_MAX];
} sample_t;

#define SAMPLE_STARTED_AT 1795669200.123 /* 2026-11-26T05:00:00.123Z */

/* An empty report of role in pod (NULL or "": null) of namespace ns (NULL or "": null). */
static inline void sample_init(sample_t *s, const char *role, const char *pod, const char *ns)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->r.role, sizeof(s->r.role), "%s", role);
    snprintf(s->r.pod_name, sizeof(s->r.pod_name), "%s", pod ? pod : "");
    snprintf(s->r.pod_namespace, sizeof(s->r.pod_namespace), "%s", ns ? ns : "");
    s->r.started_at = SAMPLE_STARTED_AT;
    s->r.duration_ms = 1012.44;
    s->r.results = s->res;
    s->r.converged_after_ms = -1;
}

/* Frees what the results and policy answers own (the struct itself is the caller's). */
static inline void sample_free(sample_t *s)
{
    for (size_t i = 0; i < SAMPLE_MAX; i++) {
        result_clear(&s->res[i]);
        result_policy_clear(&s->policy[i]);
    }
}

static inline void sample_free_n(sample_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sample_free(&s[i]);
}

/* Sets the address list of x from text literals. */
static inline void sample_addrs(result_t *x, const char *const *addr, size_t n)
{
    ip_addr_t a[RESULT_MAX_ADDRS];
    for (size_t i = 0; i < n && i < RESULT_MAX_ADDRS; i++)
        if (!ip_addr_parse(addr[i], &a[i]))
            abort();
    if (result_set_addrs(x, a, n) < 0)
        abort();
}

/* Appends a result: one attempt, no phase timed (null), never converged. */
static inline result_t *sample_add(sample_t *s, const char *name, probe_kind_t kind, expect_t e, verdict_t v,
                                   outcome_t o)
{
    if (s->r.n_results >= SAMPLE_MAX)
        abort(); /* a test that needs more raises SAMPLE_MAX */
    result_t *x = &s->res[s->r.n_results++];
    snprintf(x->name, sizeof(x->name), "%s", name);
    x->kind = kind;
    x->expect = e;
    x->verdict = v;
    x->outcome = o;
    x->attempts = 1;
    x->dns_ms = x->connect_ms = x->tls_ms = x->first_byte_ms = -1;
    x->converged_after_ms = -1;
    return x;
}

static inline void sample_diag(sample_t *s, const char *code, const char *message)
{
    if (s->r.n_diags >= DIAG_MAX)
        abort();
    diagnosis_t *d = &s->r.diags[s->r.n_diags++];
    snprintf(d->code, sizeof(d->code), "%s", code);
    snprintf(d->message, sizeof(d->message), "%s", message);
}

/* The shared report: results[0] passes, [1] fails, [2] is inconclusive. */
static inline void sample_report(sample_t *s)
{
    sample_init(s, "backend", "backend-7d9f", "govtech");

    result_t *a = sample_add(s, "postgres", KIND_POSTGRES, EXPECT_ALLOW, VERDICT_PASS, OUTCOME_OK);
    result_set_text(a, RESULT_TARGET, "postgres-service:5432");
    result_set_text(a, RESULT_DETAIL, "PostgreSQL 15.20 on x86_64-pc-linux-gnu");
    a->duration_ms = 8.06;
    sample_addrs(a, (const char *const[]){"10.96.12.7", "fd00::7"}, 2);
    a->dns_ms = 0.94;
    a->connect_ms = 0.4;
    a->first_byte_ms = 6.25; /* a half: rounds up */

    /* The characters JSON, XML and the text table must escape: quote, tab, backslash, &, <,
     * >, the CDATA end, an apostrophe (in the target's path: a query is stripped as a
     * possible secret, and a report read back would differ). */
    result_t *b = sample_add(s, "no-plain-http-out", KIND_HTTP, EXPECT_DENY, VERDICT_FAIL,
                             OUTCOME_HTTP_STATUS);
    result_set_text(b, RESULT_TARGET, "http://www.example.test/a&b=<2>");
    result_set_text(b, RESULT_DETAIL, "HTTP 301 \"moved\" ]]> 'q'\ttab\\");
    result_set_text(b, RESULT_HINT, "The path is open: check the policy & labels.");
    b->attempts = 3;
    b->duration_ms = 30.0;
    sample_addrs(b, (const char *const[]){"192.0.2.7"}, 1);
    b->dns_ms = 1.0;
    b->connect_ms = 2.0;
    b->first_byte_ms = 3.0;

    result_t *c = sample_add(s, "cluster-dns", KIND_DNS, EXPECT_ALLOW, VERDICT_INCONCLUSIVE,
                             OUTCOME_DNS_TIMEOUT);
    result_set_text(c, RESULT_TARGET, "backend-service/A@10.96.0.10");
    result_set_text(c, RESULT_HINT, "No DNS server answered.");
    c->duration_ms = 3000;

    sample_diag(s, "dns_blocked", "allow UDP and TCP 53 to kube-dns");
}

/* Appends a family: all tcp probe, allow, that passed on IPv6 and timed out on IPv4. */
static inline result_t *sample_family(sample_t *s)
{
    result_t *f = sample_add(s, "api-dual", KIND_TCP, EXPECT_ALLOW, VERDICT_FAIL, OUTCOME_TIMEOUT);
    result_set_text(f, RESULT_TARGET, "api.example.test:443");
    f->duration_ms = 1000.5;
    const char *addr[] = {"203.0.113.9", "2001:db8::9"};
    const outcome_t out[] = {OUTCOME_TIMEOUT, OUTCOME_OK};
    const double ms[] = {1000.5, 0.7};
    result_addr_t per[2];
    for (size_t i = 0; i < 2; i++) {
        ip_addr_parse(addr[i], &per[i].address);
        per[i].outcome = out[i];
        per[i].duration_ms = ms[i];
    }
    sample_addrs(f, addr, 2);
    if (result_set_addr_results(f, per, 2) < 0)
        abort();
    return f;
}

/* `run --policies`: what the NetworkPolicies intend for each result so far (allow by a rule
 * for the allow probes, deny for the deny probes, unknown for dns). */
static inline void sample_policies(sample_t *s)
{
    s->r.policy = s->policy;
    for (size_t i = 0; i < s->r.n_results; i++) {
        result_policy_t *p = &s->policy[i];
        result_policy_clear(p);
        if (s->res[i].kind == KIND_DNS) {
            snprintf(p->intended, sizeof(p->intended), "unknown");
            result_policy_set_reason(p, "no kube-dns objects given");
        } else if (s->res[i].expect == EXPECT_DENY) {
            snprintf(p->intended, sizeof(p->intended), "deny");
            result_policy_set_reason(p, "no egress rule allows it");
        } else {
            snprintf(p->intended, sizeof(p->intended), "allow");
            result_policy_add_by(p, "govtech/backend-egress", true, (int)i);
        }
    }
}

/* `run --wait`: the passed results converged in the first round (0 ms), the others never;
 * the report's converged_after_ms is then null. */
static inline void sample_waited(sample_t *s)
{
    bool all = true;
    double most = 0;
    s->r.waited = true;
    for (size_t i = 0; i < s->r.n_results; i++) {
        s->res[i].converged_after_ms = s->res[i].verdict == VERDICT_PASS ? 0 : -1;
        all = all && s->res[i].converged_after_ms >= 0;
        if (s->res[i].converged_after_ms > most)
            most = s->res[i].converged_after_ms;
    }
    s->r.converged_after_ms = all ? most : -1;
}

#endif
