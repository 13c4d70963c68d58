/* sample_report.h: the unit tests' one sample report, built in place (the results live in the
 * struct: nothing to free, and two samples never share storage).
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
    snprintf(a->target, sizeof(a->target), "postgres-service:5432");
    snprintf(a->detail, sizeof(a->detail), "PostgreSQL 15.20 on x86_64-pc-linux-gnu");
    a->duration_ms = 8.06;
    ip_addr_parse("10.96.12.7", &a->addrs[0]);
    ip_addr_parse("fd00::7", &a->addrs[1]);
    a->n_addrs = 2;
    a->dns_ms = 0.94;
    a->connect_ms = 0.4;
    a->first_byte_ms = 6.25; /* a half: rounds up */

    /* The characters JSON, XML and the text table must escape: quote, tab, backslash, &, <,
     * >, the CDATA end, an apostrophe (in the target's path: a query is stripped as a
     * possible secret, and a report read back would differ). */
    result_t *b = sample_add(s, "no-plain-http-out", KIND_HTTP, EXPECT_DENY, VERDICT_FAIL,
                             OUTCOME_HTTP_STATUS);
    snprintf(b->target, sizeof(b->target), "http://www.example.test/a&b=<2>");
    snprintf(b->detail, sizeof(b->detail), "HTTP 301 \"moved\" ]]> 'q'\ttab\\");
    snprintf(b->hint, sizeof(b->hint), "The path is open: check the policy & labels.");
    b->attempts = 3;
    b->duration_ms = 30.0;
    ip_addr_parse("192.0.2.7", &b->addrs[0]);
    b->n_addrs = 1;
    b->dns_ms = 1.0;
    b->connect_ms = 2.0;
    b->first_byte_ms = 3.0;

    result_t *c = sample_add(s, "cluster-dns", KIND_DNS, EXPECT_ALLOW, VERDICT_INCONCLUSIVE,
                             OUTCOME_DNS_TIMEOUT);
    snprintf(c->target, sizeof(c->target), "backend-service/A@10.96.0.10");
    snprintf(c->hint, sizeof(c->hint), "No DNS server answered.");
    c->duration_ms = 3000;

    sample_diag(s, "dns_blocked", "allow UDP and TCP 53 to kube-dns");
}

/* Appends a family: all tcp probe, allow, that passed on IPv6 and timed out on IPv4. */
static inline result_t *sample_family(sample_t *s)
{
    result_t *f = sample_add(s, "api-dual", KIND_TCP, EXPECT_ALLOW, VERDICT_FAIL, OUTCOME_TIMEOUT);
    snprintf(f->target, sizeof(f->target), "api.example.test:443");
    f->duration_ms = 1000.5;
    const char *addr[] = {"203.0.113.9", "2001:db8::9"};
    const outcome_t out[] = {OUTCOME_TIMEOUT, OUTCOME_OK};
    const double ms[] = {1000.5, 0.7};
    for (size_t i = 0; i < 2; i++) {
        ip_addr_parse(addr[i], &f->addrs[i]);
        ip_addr_parse(addr[i], &f->addr_results[i].address);
        f->addr_results[i].outcome = out[i];
        f->addr_results[i].duration_ms = ms[i];
    }
    f->n_addrs = f->n_addr_results = 2;
    return f;
}

/* `run --policies`: what the NetworkPolicies intend for each result so far (allow by a rule
 * for the allow probes, deny for the deny probes, unknown for dns). */
static inline void sample_policies(sample_t *s)
{
    s->r.policy = s->policy;
    for (size_t i = 0; i < s->r.n_results; i++) {
        result_policy_t *p = &s->policy[i];
        memset(p, 0, sizeof(*p));
        if (s->res[i].kind == KIND_DNS) {
            snprintf(p->intended, sizeof(p->intended), "unknown");
            snprintf(p->reason, sizeof(p->reason), "no kube-dns objects given");
        } else if (s->res[i].expect == EXPECT_DENY) {
            snprintf(p->intended, sizeof(p->intended), "deny");
            snprintf(p->reason, sizeof(p->reason), "no egress rule allows it");
        } else {
            snprintf(p->intended, sizeof(p->intended), "allow");
            snprintf(p->by[0].policy, sizeof(p->by[0].policy), "govtech/backend-egress");
            p->by[0].egress = true;
            p->by[0].rule = (int)i;
            p->n_by = 1;
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
