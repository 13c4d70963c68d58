/* runner.c: the matrix in one loop. Each probe runs attempt after attempt; each attempt is
 * resolve (c-ares) -> connect/transfer (the kind, on one address, or on every address at once
 * for family: all) under one deadline timer, so a matrix of N probes that all time out takes
 * about one timeout, not N. The runner only does I/O: its caller judges each attempt. */
#include "runner.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipaddr.h"
#include "log.h"
#include "loop.h"
#include "resolve.h"

typedef enum { PR_QUEUED, PR_RESOLVING, PR_CONNECTING, PR_DONE } pr_state_t;

typedef struct runner runner_t;

typedef struct {
    runner_t *rn;
    size_t idx;
    const config_probe_t *p;
    const probe_ops_t *ops;
    pr_state_t state;
    int timeout_ms, attempts_max, n_attempts;
    double started_ms;
    probe_attempt_t *subs[RESULT_MAX_ADDRS]; /* the attempt in flight, one per address */
    size_t n_subs, n_pending;
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
    const probe_ops_t *const *kinds;
    loop_t *loop;
    probe_env_t env;
    resolver_t *resolver; /* dns.servers / resolv.conf, created on first use */
    server_resolver_t *per_server;
    probe_run_t *runs;
    size_t next, in_flight, done;
    bool abandoning;
    bool env_ready[KIND_COUNT];
};

static resolver_t *runner_resolver_for(probe_env_t *env, const char *server, char *err, size_t errlen)
{
    runner_t *rn = env->runner;
    if (!server) {
        if (!rn->resolver) {
            char servers[1024];
            const config_t *cfg = rn->opts->cfg;
            if (resolver_servers_csv(cfg->dns_servers, cfg->n_dns_servers, servers, sizeof(servers)) < 0) {
                snprintf(err, errlen, "dns.servers: too long");
                return NULL;
            }
            rn->resolver = resolver_create(rn->loop, servers, cfg->dns_search, err, errlen);
        }
        return rn->resolver;
    }
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

static void probe_done(probe_run_t *pr)
{
    runner_t *rn = pr->rn;
    pr->state = PR_DONE;
    rn->in_flight--;
    rn->done++;
    if (rn->opts->on_probe_done)
        rn->opts->on_probe_done(rn->opts->ud, pr->idx, pr->n_attempts, loop_mono_ms() - pr->started_ms);
}

/* An attempt that never reached the I/O (out of memory, abandoned before it started). */
static void attempt_synthetic(probe_run_t *pr, const char *detail, bool counts)
{
    probe_attempt_t a;
    probe_attempt_t *ap = &a;
    memset(&a, 0, sizeof(a));
    a.probe = pr->p;
    a.outcome = OUTCOME_ERROR;
    a.dns_ms = a.connect_ms = a.tls_ms = a.first_byte_ms = -1;
    snprintf(a.detail, sizeof(a.detail), "%s", detail);
    if (counts)
        pr->n_attempts++;
    if (pr->rn->opts->on_attempt)
        (void)pr->rn->opts->on_attempt(pr->rn->opts->ud, pr->idx, &ap, 1);
}

static void attempt_ended(probe_run_t *pr)
{
    runner_t *rn = pr->rn;
    loop_timer_stop(rn->loop, &pr->deadline);
    if (pr->req) {
        resolver_cancel(pr->req);
        pr->req = NULL;
    }
    pr->n_attempts++;
    for (size_t i = 0; i < pr->n_subs; i++) {
        probe_attempt_t *a = pr->subs[i];
        log_verbose("%s: attempt %d/%d%s%s: %s (%s) in %.1f ms", pr->p->name, pr->n_attempts,
                    pr->attempts_max, a->addr_str[0] ? " to " : "", a->addr_str, outcome_name(a->outcome),
                    a->detail, a->duration_ms);
    }
    bool more = rn->opts->on_attempt ? rn->opts->on_attempt(rn->opts->ud, pr->idx, pr->subs, pr->n_subs)
                                     : true;
    for (size_t i = 0; i < pr->n_subs; i++) {
        free(pr->subs[i]);
        pr->subs[i] = NULL;
    }
    pr->n_subs = pr->n_pending = 0;
    bool abandon = rn->opts->stop && *rn->opts->stop;
    if (more && !abandon && pr->n_attempts < pr->attempts_max) {
        run_attempt(pr);
        return;
    }
    probe_done(pr);
}

static void on_sub_done(probe_attempt_t *a)
{
    probe_run_t *pr = a->runner_ud;
    a->duration_ms = probe_elapsed_ms(a);
    if (pr->n_pending > 0 && --pr->n_pending == 0)
        attempt_ended(pr);
}

static void on_deadline(loop_t *loop, void *ud)
{
    (void)loop;
    probe_run_t *pr = ud;
    if (pr->n_pending == 0)
        return;
    for (size_t i = 0; i < pr->n_subs; i++) {
        probe_attempt_t *a = pr->subs[i];
        if (a->finished)
            continue;
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
        a->duration_ms = probe_elapsed_ms(a);
    }
    pr->n_pending = 0;
    attempt_ended(pr);
}

static bool addr_within(const cidr_list_t *l, const resolve_answer_t *ans, const char **bad)
{
    if (l->n == 0)
        return true;
    for (size_t i = 0; i < ans->n; i++) {
        if (!cidr_list_contains_ip(l, &ans->addrs[i])) {
            *bad = ans->text[i];
            return false;
        }
    }
    return true;
}

static void set_addr(probe_attempt_t *a, int port, const ip_addr_t *ad)
{
    a->family = ad->family;
    ip_addr_format(ad, a->addr_str);
    memset(&a->addr, 0, sizeof(a->addr));
    if (ad->family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&a->addr;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        memcpy(&sin->sin_addr, ad->bytes, 4);
        a->addrlen = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->addr;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        memcpy(&sin6->sin6_addr, ad->bytes, 16);
        a->addrlen = sizeof(*sin6);
    }
}

/* Starts the transfer on each chosen address at once (family: all), each a copy of the first
 * attempt. Every copy exists before any starts: a start may finish synchronously. */
static void start_transfers(probe_run_t *pr, const ip_addr_t *const *ads, size_t n)
{
    probe_attempt_t *a0 = pr->subs[0];
    probe_attempt_t *run[RESULT_MAX_ADDRS];
    size_t made = 1;
    for (; made < n; made++) {
        probe_attempt_t *c = malloc(sizeof(*c));
        if (!c)
            break;
        memcpy(c, a0, sizeof(*c));
        pr->subs[made] = c;
    }
    pr->n_subs = pr->n_pending = made;
    for (size_t i = 0; i < made; i++) {
        set_addr(pr->subs[i], pr->p->port, ads[i]);
        run[i] = pr->subs[i];
    }
    pr->state = PR_CONNECTING;
    for (size_t i = 0; i < made; i++)
        pr->ops->start(run[i]); /* the last start may end the attempt (and free it) */
}

static bool family_ok(probe_family_t f, int af)
{
    return f == FAMILY_ANY || f == FAMILY_ALL || (f == FAMILY_IPV4 && af == AF_INET) ||
        (f == FAMILY_IPV6 && af == AF_INET6);
}

/* family any: one address, IPv4 first as curl's happy eyeballs would try it (clusters are mostly
 * IPv4); ipv4/ipv6: the first of that family; all: every distinct address. */
static size_t pick_addrs(probe_family_t f, const resolve_answer_t *ans, const ip_addr_t **out)
{
    size_t n = 0;
    for (size_t i = 0; i < ans->n; i++) {
        const ip_addr_t *ad = &ans->addrs[i];
        if (!family_ok(f, ad->family))
            continue;
        bool dup = false;
        for (size_t j = 0; j < n; j++)
            dup |= ip_addr_equal(out[j], ad);
        if (dup)
            continue;
        if (f == FAMILY_ANY && ad->family == AF_INET && n == 1 && out[0]->family != AF_INET)
            out[0] = ad;
        else if (f != FAMILY_ALL && n == 1)
            continue;
        else
            out[n++] = ad;
    }
    return n;
}

static const char *family_word(probe_family_t f)
{
    return f == FAMILY_IPV6 ? "IPv6" : "IPv4";
}

static void resolved(probe_run_t *pr, const resolve_answer_t *ans)
{
    probe_attempt_t *a = pr->subs[0];
    a->n_answers = 0;
    for (size_t i = 0; i < ans->n; i++)
        snprintf(a->answers[a->n_answers++], RESULT_ADDR_LEN, "%s", ans->text[i]);
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
    const ip_addr_t *pick[RESULT_MAX_ADDRS];
    size_t n = pick_addrs(pr->p->family, ans, pick);
    if (n == 0) {
        probe_finish(a, OUTCOME_DNS_NODATA, "%s has no %s address (family %s)", pr->p->host,
                     family_word(pr->p->family), config_family_name(pr->p->family));
        return;
    }
    start_transfers(pr, pick, n);
}

static void on_resolved(void *ud, const resolve_answer_t *ans)
{
    probe_run_t *pr = ud;
    pr->req = NULL;
    if (pr->n_subs == 0 || pr->subs[0]->finished)
        return;
    pr->subs[0]->dns_ms = probe_elapsed_ms(pr->subs[0]);
    resolved(pr, ans);
}

static void run_attempt(probe_run_t *pr)
{
    runner_t *rn = pr->rn;
    probe_attempt_t *a = calloc(1, sizeof(*a));
    if (!a) {
        /* Record the failure as an outcome rather than losing the probe. */
        attempt_synthetic(pr, "out of memory", true);
        probe_done(pr);
        return;
    }
    a->env = &rn->env;
    a->probe = pr->p;
    a->timeout_ms = pr->timeout_ms;
    a->t0_ms = loop_mono_ms();
    a->dns_ms = a->connect_ms = a->tls_ms = a->first_byte_ms = -1;
    a->outcome = OUTCOME_ERROR;
    a->done = on_sub_done;
    a->runner_ud = pr;
    pr->subs[0] = a;
    pr->n_subs = pr->n_pending = 1;
    /* Without a deadline an attempt could wait forever: end it now instead. */
    if (loop_timer_start(rn->loop, &pr->deadline, (uint64_t)pr->timeout_ms, on_deadline, pr) < 0) {
        probe_finish(a, OUTCOME_ERROR, "out of memory arming the deadline");
        return;
    }
    if (!pr->ops->resolves) {
        pr->state = PR_CONNECTING; /* the kind does its own lookup and abort */
        pr->ops->start(a);
        return;
    }
    ip_addr_t lit;
    if (ip_addr_parse(pr->p->host, &lit)) {
        resolve_answer_t ans = {.status = 0, .error = "", .n = 1};
        ans.addrs[0] = lit;
        ip_addr_format(&lit, ans.text[0]);
        resolved(pr, &ans);
        return;
    }
    char err[256] = "";
    resolver_t *r = runner_resolver_for(&rn->env, NULL, err, sizeof(err));
    if (!r) {
        probe_finish(a, OUTCOME_ERROR, "resolver: %s", err);
        return;
    }
    int af = pr->p->family == FAMILY_IPV4 ? AF_INET : pr->p->family == FAMILY_IPV6 ? AF_INET6 : AF_UNSPEC;
    pr->state = PR_RESOLVING;
    /* May complete synchronously (hosts file): on_resolved then already moved the attempt on. */
    pr->req = resolver_lookup(r, pr->p->host, af, on_resolved, pr);
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
            attempt_synthetic(pr, "not run: abandoned on signal", false);
            pr->started_ms = loop_mono_ms();
            rn->in_flight++; /* probe_done counts it out again */
            probe_done(pr);
            continue;
        }
        on_deadline(rn->loop, pr);
    }
}

static int init_runs(runner_t *rn, char *err, size_t errlen)
{
    const runner_opts_t *o = rn->opts;
    for (size_t i = 0; i < o->n_probes; i++) {
        const config_probe_t *p = o->probes[i];
        probe_run_t *pr = &rn->runs[i];
        pr->rn = rn;
        pr->idx = i;
        pr->p = p;
        pr->ops = (unsigned)p->kind < KIND_COUNT ? rn->kinds[p->kind] : NULL;
        if (!pr->ops) {
            snprintf(err, errlen, "probe %s: no such kind", p->name);
            return -1;
        }
        pr->timeout_ms = config_probe_timeout_ms(o->cfg, p);
        pr->attempts_max = config_probe_attempts(o->cfg, p);
        if (pr->attempts_max > CONFIG_ATTEMPTS_MAX)
            pr->attempts_max = CONFIG_ATTEMPTS_MAX;
        pr->state = PR_QUEUED;
        /* One env_init per environment actually used (http and https share one). */
        probe_kind_t k = pr->ops->env_kind;
        if ((unsigned)k >= KIND_COUNT || rn->env_ready[k])
            continue;
        if (pr->ops->env_init && pr->ops->env_init(&rn->env, err, errlen) < 0)
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
        if (!rn->env_ready[k])
            continue;
        /* The env's owner: the first kind whose env_kind it is. */
        for (int j = 0; j < KIND_COUNT; j++) {
            const probe_ops_t *ops = rn->kinds[j];
            if (ops && ops->env_kind == (probe_kind_t)k) {
                if (ops->env_cleanup)
                    ops->env_cleanup(&rn->env);
                break;
            }
        }
    }
}

int runner_run(const runner_opts_t *opts, char *err, size_t errlen)
{
    int rc = -1;
    runner_t rn;
    memset(&rn, 0, sizeof(rn));
    rn.opts = opts;
    rn.kinds = opts->kinds ? opts->kinds : probe_kinds;
    rn.runs = calloc(opts->n_probes ? opts->n_probes : 1, sizeof(*rn.runs));
    rn.loop = loop_create();
    if (!rn.runs || !rn.loop) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    rn.env.loop = rn.loop;
    rn.env.cfg = opts->cfg;
    rn.env.verbose = opts->verbose;
    rn.env.runner = &rn;
    rn.env.resolver_for = runner_resolver_for;
    if (init_runs(&rn, err, errlen) < 0)
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
    rc = 0;
done:
    if (rn.loop)
        env_teardown(&rn);
    loop_destroy(rn.loop);
    free(rn.runs);
    return rc;
}
