/* runner.c: the matrix in one loop. Each probe runs attempt after attempt; each attempt is
 * resolve (c-ares) -> connect/transfer (the kind) under one deadline timer, so a matrix of N
 * probes that all time out takes about one timeout, not N. Verdicts and hints are pure and
 * computed once every attempt has ended. */
#include "runner.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "probe.h"
#include "resolve.h"
#include "verdict.h"

typedef enum { PR_QUEUED, PR_RESOLVING, PR_CONNECTING, PR_DONE } pr_state_t;

typedef struct runner runner_t;

typedef struct {
    runner_t *rn;
    size_t idx;
    const config_probe_t *p;
    const probe_ops_t *ops;
    pr_state_t state;
    int timeout_ms, attempts_max, n_out;
    outcome_mask_t deny;
    outcome_t outcomes[CONFIG_ATTEMPTS_MAX];
    double started_ms;
    probe_attempt_t *a;          /* the attempt in flight */
    resolve_req_t *req;
    loop_timer_t deadline;
} probe_run_t;

typedef struct server_resolver {
    char *server;
    resolver_t *r;
    struct server_resolver *next;
} server_resolver_t;

struct runner {
    const runner_opts_t *opts;
    loop_t *loop;
    probe_env_t env;
    resolver_t *resolver;        /* dns.servers / resolv.conf */
    server_resolver_t *per_server;
    probe_run_t *runs;
    result_t *results;
    size_t next, in_flight, done;
    bool abandoning;
    bool env_ready[KIND_COUNT];
};

int runner_global_init(char *err, size_t errlen)
{
    CURLcode c = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (c != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init: %s", curl_easy_strerror(c));
        return -1;
    }
    if (resolver_global_init() < 0) {
        snprintf(err, errlen, "ares_library_init failed");
        curl_global_cleanup();
        return -1;
    }
    return 0;
}

void runner_global_cleanup(void)
{
    resolver_global_cleanup();
    curl_global_cleanup();
}

static resolver_t *runner_resolver_for(probe_env_t *env, const char *server, char *err, size_t errlen)
{
    runner_t *rn = env->runner;
    if (!server)
        return rn->resolver;
    for (server_resolver_t *s = rn->per_server; s; s = s->next)
        if (strcmp(s->server, server) == 0)
            return s->r;
    server_resolver_t *s = calloc(1, sizeof(*s));
    if (!s || !(s->server = strdup(server))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->r = resolver_create(rn->loop, server, rn->opts->cfg->dns_search, err, errlen);
    if (!s->r) {
        free(s->server);
        free(s);
        return NULL;
    }
    s->next = rn->per_server;
    rn->per_server = s;
    return s->r;
}

static void run_attempt(probe_run_t *pr);

/* Copies what the report shows of an attempt (the one the verdict rests on). */
static void record_attempt(probe_run_t *pr, const probe_attempt_t *a)
{
    result_t *r = &pr->rn->results[pr->idx];
    r->outcome = a->outcome;
    snprintf(r->detail, sizeof(r->detail), "%s", a->detail);
    r->dns_ms = a->dns_ms;
    r->connect_ms = a->connect_ms;
    r->tls_ms = a->tls_ms;
    r->first_byte_ms = a->first_byte_ms;
    r->n_addrs = a->n_answers;
    memcpy(r->addrs, a->answers, sizeof(r->addrs));
}

static void attempt_ended(probe_run_t *pr)
{
    runner_t *rn = pr->rn;
    probe_attempt_t *a = pr->a;
    loop_timer_stop(rn->loop, &pr->deadline);
    if (pr->req) {
        resolver_cancel(pr->req);
        pr->req = NULL;
    }
    pr->outcomes[pr->n_out++] = a->outcome;
    log_verbose("%s: attempt %d/%d: %s (%s) in %.1f ms", pr->p->name, pr->n_out, pr->attempts_max,
                outcome_name(a->outcome), a->detail, probe_elapsed_ms(a));
    size_t decisive = 0;
    (void)verdict_judge(pr->p->kind, pr->p->expect, pr->deny, pr->outcomes, (size_t)pr->n_out, &decisive);
    if (decisive == (size_t)pr->n_out - 1)
        record_attempt(pr, a);
    free(a);
    pr->a = NULL;

    bool settled = (pr->p->expect == EXPECT_ALLOW && pr->outcomes[pr->n_out - 1] == OUTCOME_OK) ||
                   (pr->p->expect == EXPECT_DENY && pr->p->kind != KIND_DNS &&
                    outcome_connected(pr->outcomes[pr->n_out - 1]));
    bool abandon = rn->opts->stop && *rn->opts->stop;
    if (!settled && !abandon && pr->n_out < pr->attempts_max) {
        run_attempt(pr);
        return;
    }
    result_t *r = &rn->results[pr->idx];
    r->attempts = pr->n_out;
    r->duration_ms = loop_mono_ms() - pr->started_ms;
    pr->state = PR_DONE;
    rn->in_flight--;
    rn->done++;
}

static void on_attempt_done(probe_attempt_t *a)
{
    attempt_ended(a->runner_ud);
}

static void on_deadline(loop_t *loop, void *ud)
{
    (void)loop;
    probe_run_t *pr = ud;
    probe_attempt_t *a = pr->a;
    if (!a || a->finished)
        return;
    a->finished = true;
    if (pr->state == PR_RESOLVING) {
        a->outcome = OUTCOME_DNS_TIMEOUT;
        snprintf(a->detail, sizeof(a->detail), "no DNS answer for %s within %d ms", pr->p->host,
                 pr->timeout_ms);
    } else {
        pr->ops->abort(a);
    }
    if (pr->rn->abandoning) {
        a->outcome = OUTCOME_ERROR;
        snprintf(a->detail, sizeof(a->detail), "abandoned on signal");
    }
    attempt_ended(pr);
}

static bool addr_within(const cidr_list_t *l, const resolve_answer_t *ans, const char **bad)
{
    if (l->n == 0)
        return true;
    for (size_t i = 0; i < ans->n; i++) {
        if (!cidr_list_contains_str(l, ans->addrs[i].text)) {
            *bad = ans->addrs[i].text;
            return false;
        }
    }
    return true;
}

static void start_transfer(probe_run_t *pr, const resolve_addr_t *ad)
{
    probe_attempt_t *a = pr->a;
    a->family = ad->family;
    snprintf(a->addr_str, sizeof(a->addr_str), "%s", ad->text);
    memset(&a->addr, 0, sizeof(a->addr));
    if (ad->family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&a->addr;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)pr->p->port);
        memcpy(&sin->sin_addr, ad->bytes, 4);
        a->addrlen = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->addr;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)pr->p->port);
        memcpy(&sin6->sin6_addr, ad->bytes, 16);
        a->addrlen = sizeof(*sin6);
    }
    pr->state = PR_CONNECTING;
    pr->ops->start(a);
}

static void on_resolved(void *ud, const resolve_answer_t *ans)
{
    probe_run_t *pr = ud;
    probe_attempt_t *a = pr->a;
    pr->req = NULL;
    if (!a || a->finished)
        return;
    a->dns_ms = probe_elapsed_ms(a);
    a->n_answers = 0;
    for (size_t i = 0; i < ans->n; i++)
        snprintf(a->answers[a->n_answers++], RESULT_ADDR_LEN, "%s", ans->addrs[i].text);
    if (ans->status != 0) {
        probe_finish(a, resolver_outcome(ans->status), "lookup %s: %s", pr->p->host, ans->error);
        return;
    }
    const char *bad = NULL;
    if (!addr_within(&pr->p->resolved_within, ans, &bad)) {
        probe_finish(a, OUTCOME_CIDR_MISMATCH, "%s resolved to %s, outside resolved_within; not connected",
                     pr->p->host, bad);
        return;
    }
    /* Clusters are mostly IPv4: prefer an A record, as curl's happy eyeballs would first. */
    size_t pick = 0;
    for (size_t i = 0; i < ans->n; i++) {
        if (ans->addrs[i].family == AF_INET) {
            pick = i;
            break;
        }
    }
    start_transfer(pr, &ans->addrs[pick]);
}

static bool parse_literal(const char *host, resolve_addr_t *out)
{
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, host, out->bytes) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, host, out->bytes) == 1)
        out->family = AF_INET6;
    else
        return false;
    inet_ntop(out->family, out->bytes, out->text, sizeof(out->text));
    return true;
}

static void run_attempt(probe_run_t *pr)
{
    runner_t *rn = pr->rn;
    probe_attempt_t *a = calloc(1, sizeof(*a));
    if (!a) {
        /* Record the failure as an outcome rather than losing the probe. */
        pr->outcomes[pr->n_out++] = OUTCOME_ERROR;
        rn->results[pr->idx].outcome = OUTCOME_ERROR;
        snprintf(rn->results[pr->idx].detail, RESULT_DETAIL_LEN, "out of memory");
        rn->results[pr->idx].attempts = pr->n_out;
        pr->state = PR_DONE;
        rn->in_flight--;
        rn->done++;
        return;
    }
    a->env = &rn->env;
    a->probe = pr->p;
    a->timeout_ms = pr->timeout_ms;
    a->t0_ms = loop_mono_ms();
    a->dns_ms = a->connect_ms = a->tls_ms = a->first_byte_ms = -1;
    a->outcome = OUTCOME_ERROR;
    a->done = on_attempt_done;
    a->runner_ud = pr;
    pr->a = a;
    loop_timer_start(rn->loop, &pr->deadline, (uint64_t)pr->timeout_ms, on_deadline, pr);

    if (pr->p->kind == KIND_DNS) {
        pr->state = PR_CONNECTING; /* the dns kind does its own lookup and abort */
        pr->ops->start(a);
        return;
    }
    resolve_addr_t lit;
    if (parse_literal(pr->p->host, &lit)) {
        snprintf(a->answers[0], RESULT_ADDR_LEN, "%s", lit.text);
        a->n_answers = 1;
        start_transfer(pr, &lit);
        return;
    }
    pr->state = PR_RESOLVING;
    /* May complete synchronously (hosts file): on_resolved then already moved the attempt on. */
    pr->req = resolver_lookup(rn->resolver, pr->p->host, AF_UNSPEC, on_resolved, pr);
}

static void pump(runner_t *rn)
{
    const runner_opts_t *o = rn->opts;
    while (rn->next < o->n_probes && rn->in_flight < (size_t)o->concurrency && !(o->stop && *o->stop)) {
        probe_run_t *pr = &rn->runs[rn->next++];
        rn->in_flight++;
        pr->started_ms = loop_mono_ms();
        run_attempt(pr);
    }
}

/* SIGTERM during watch: end what is in flight now, as if every deadline had passed. */
static void abandon_all(runner_t *rn)
{
    rn->abandoning = true;
    for (size_t i = 0; i < rn->opts->n_probes; i++) {
        probe_run_t *pr = &rn->runs[i];
        if (pr->state == PR_DONE)
            continue;
        if (pr->state == PR_QUEUED) {
            result_t *r = &rn->results[i];
            r->outcome = OUTCOME_ERROR;
            snprintf(r->detail, sizeof(r->detail), "not run: abandoned on signal");
            pr->outcomes[pr->n_out++] = OUTCOME_ERROR;
            pr->state = PR_DONE;
            rn->done++;
            continue;
        }
        on_deadline(rn->loop, pr);
    }
}

static void finish_results(runner_t *rn)
{
    const runner_opts_t *o = rn->opts;
    hint_ctx_t hc = {.role = o->role, .namespace_ = o->namespace_};
    for (size_t i = 0; i < o->n_probes; i++) {
        probe_run_t *pr = &rn->runs[i];
        result_t *r = &rn->results[i];
        size_t decisive = 0;
        if (pr->n_out == 0) {
            pr->outcomes[0] = OUTCOME_ERROR;
            pr->n_out = 1;
        }
        r->verdict = verdict_judge(pr->p->kind, pr->p->expect, pr->deny, pr->outcomes,
                                   (size_t)pr->n_out, &decisive);
        r->outcome = pr->outcomes[decisive];
        r->hint[0] = '\0';
        if (r->verdict != VERDICT_PASS)
            verdict_hint(r, &hc, r->hint, sizeof(r->hint));
    }
}

static void init_results(runner_t *rn)
{
    const runner_opts_t *o = rn->opts;
    for (size_t i = 0; i < o->n_probes; i++) {
        const config_probe_t *p = o->probes[i];
        probe_run_t *pr = &rn->runs[i];
        result_t *r = &rn->results[i];
        memset(r, 0, sizeof(*r));
        snprintf(r->name, sizeof(r->name), "%s", p->name);
        r->kind = p->kind;
        r->expect = p->expect;
        config_probe_target(p, r->target, sizeof(r->target));
        r->outcome = OUTCOME_ERROR;
        r->dns_ms = r->connect_ms = r->tls_ms = r->first_byte_ms = -1;
        pr->rn = rn;
        pr->idx = i;
        pr->p = p;
        pr->ops = probe_ops_for(p->kind);
        pr->timeout_ms = config_probe_timeout_ms(o->cfg, p);
        pr->attempts_max = config_probe_attempts(o->cfg, p);
        if (pr->attempts_max > CONFIG_ATTEMPTS_MAX)
            pr->attempts_max = CONFIG_ATTEMPTS_MAX;
        pr->deny = config_probe_deny_outcomes(o->cfg, p);
        pr->state = PR_QUEUED;
    }
}

static int env_setup(runner_t *rn, char *err, size_t errlen)
{
    const runner_opts_t *o = rn->opts;
    rn->env.loop = rn->loop;
    rn->env.cfg = o->cfg;
    rn->env.verbose = o->verbose;
    rn->env.runner = rn;
    rn->env.resolver_for = runner_resolver_for;
    char servers[1024];
    if (resolver_servers_csv(o->cfg->dns_servers, o->cfg->n_dns_servers, servers, sizeof(servers)) < 0) {
        snprintf(err, errlen, "dns.servers: too long");
        return -1;
    }
    rn->resolver = resolver_create(rn->loop, servers, o->cfg->dns_search, err, errlen);
    if (!rn->resolver)
        return -1;
    /* One env_init per kind actually used (http and https share one). */
    for (size_t i = 0; i < o->n_probes; i++) {
        probe_kind_t k = o->probes[i]->kind == KIND_HTTPS ? KIND_HTTP : o->probes[i]->kind;
        const probe_ops_t *ops = probe_ops_for(k);
        if (rn->env_ready[k] || !ops)
            continue;
        if (ops->env_init && ops->env_init(&rn->env, err, errlen) < 0)
            return -1;
        rn->env_ready[k] = true;
    }
    return 0;
}

static void env_teardown(runner_t *rn)
{
    for (server_resolver_t *s = rn->per_server, *nx; s; s = nx) {
        nx = s->next;
        resolver_destroy(s->r);
        free(s->server);
        free(s);
    }
    resolver_destroy(rn->resolver);
    for (int k = 0; k < KIND_COUNT; k++) {
        const probe_ops_t *ops = probe_ops_for((probe_kind_t)k);
        if (rn->env_ready[k] && ops && ops->env_cleanup)
            ops->env_cleanup(&rn->env);
    }
}

int runner_run(const runner_opts_t *opts, result_t *results, char *err, size_t errlen)
{
    int rc = -1;
    runner_t rn;
    memset(&rn, 0, sizeof(rn));
    rn.opts = opts;
    rn.results = results;
    rn.runs = calloc(opts->n_probes ? opts->n_probes : 1, sizeof(*rn.runs));
    rn.loop = loop_create();
    if (!rn.runs || !rn.loop) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    init_results(&rn);
    if (env_setup(&rn, err, errlen) < 0)
        goto done;
    while (rn.done < opts->n_probes) {
        if (opts->stop && *opts->stop && !rn.abandoning)
            abandon_all(&rn);
        pump(&rn);
        if (rn.done >= opts->n_probes)
            break;
        /* With a stop flag, wake at least every 100 ms to notice a signal. */
        if (loop_run_once(rn.loop, opts->stop ? 100 : -1) < 0) {
            snprintf(err, errlen, "epoll_wait failed");
            goto done;
        }
    }
    finish_results(&rn);
    rc = 0;
done:
    if (rn.loop)
        env_teardown(&rn);
    loop_destroy(rn.loop);
    free(rn.runs);
    return rc;
}
