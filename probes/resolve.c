/* resolve.c: c-ares on the project's loop. c-ares tells us which sockets to watch through the
 * sock-state callback; we feed readiness back with ares_process_fd and keep one loop timer on
 * ares_timeout() so retransmissions happen even when no packet arrives. */
#include "resolve.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Lookups of one name and family in flight at the same time share one c-ares query: a
 * matrix of many probes to a few Services would otherwise send hundreds of identical
 * datagrams (times the ndots:5 search list) on one socket at once, and the replies that
 * overflow its receive buffer would read as dns_timeout, a false "DNS is blocked". Each
 * waiter still gets its own callback, so each probe keeps its own DNS outcome. Nothing is
 * cached past the query: a later attempt asks again. */
typedef struct lookup lookup_t;

struct resolve_req {
    lookup_t *lk; /* NULL: a query of resolver_query_rcode, never shared */
    resolve_cb cb;
    void *ud;
    bool cancelled;
    bool starting; /* raw queries: inside ares_send, which may answer at once */
    bool completed;
    resolve_req_t *next; /* the lookup's waiters */
};

struct lookup {
    resolver_t *r;
    char *name;
    int family;
    resolve_req_t *waiters;
    unsigned long tcp_at_start; /* the resolver's tcp_opened when the query started */
    bool starting;              /* inside ares_getaddrinfo: it may answer at once */
    bool completed;
    lookup_t *next; /* hash chain */
};

#define RESOLVE_BUCKETS 256u

struct resolver {
    loop_t *loop;
    ares_channel channel;
    loop_timer_t timer;
    bool destroying;
    unsigned long tcp_opened; /* TCP sockets c-ares opened: only after a truncated answer */
    char *servers;            /* as given to resolver_create, for the raw channel */
    resolver_t *raw;          /* same servers, ARES_FLAG_NOCHECKRESP: made on first use */
    lookup_t *inflight[RESOLVE_BUCKETS];
};

int resolver_global_init(void)
{
    return ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS ? 0 : -1;
}

void resolver_global_cleanup(void)
{
    ares_library_cleanup();
}

static void resolver_rearm(resolver_t *r);

static void resolver_on_timer(loop_t *loop, void *ud)
{
    (void)loop;
    resolver_t *r = ud;
    ares_process_fd(r->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    resolver_rearm(r);
}

static void resolver_rearm(resolver_t *r)
{
    if (r->destroying)
        return;
    struct timeval tv;
    struct timeval *t = ares_timeout(r->channel, NULL, &tv);
    if (!t) {
        loop_timer_stop(r->loop, &r->timer);
        return;
    }
    uint64_t ms = (uint64_t)t->tv_sec * 1000u + (uint64_t)t->tv_usec / 1000u;
    /* +1: ares_timeout rounds down, and firing early just spins once more. Unarmed (out of
     * memory), c-ares would retry nothing: the probe's own deadline still ends the attempt. */
    if (loop_timer_start(r->loop, &r->timer, ms + 1, resolver_on_timer, r) < 0)
        log_error("resolver: cannot arm the c-ares timer (out of memory); lookups end at their "
                  "probe's deadline");
}

static void resolver_on_fd(loop_t *loop, int fd, unsigned events, void *ud)
{
    (void)loop;
    resolver_t *r = ud;
    ares_socket_t rfd = (events & (LOOP_READ | LOOP_ERROR)) ? fd : ARES_SOCKET_BAD;
    ares_socket_t wfd = (events & LOOP_WRITE) ? fd : ARES_SOCKET_BAD;
    ares_process_fd(r->channel, rfd, wfd);
    resolver_rearm(r);
}

static void resolver_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    resolver_t *r = data;
    unsigned ev = (readable ? LOOP_READ : 0u) | (writable ? LOOP_WRITE : 0u);
    if (ev)
        (void)loop_watch(r->loop, fd, ev, resolver_on_fd, r);
    else
        loop_unwatch(r->loop, fd);
}

/* c-ares' socket-creation callback: counts TCP connections, which (without ARES_FLAG_USEVC)
 * it opens only to retry a query whose UDP answer was truncated. */
static int resolver_on_socket(ares_socket_t fd, int type, void *data)
{
    (void)fd;
    resolver_t *r = data;
    if (type == SOCK_STREAM)
        r->tcp_opened++;
    return ARES_SUCCESS;
}

static resolver_t *resolver_create_flags(loop_t *loop, const char *servers, bool search, int flags, char *err,
                                         size_t errlen)
{
    resolver_t *r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->loop = loop;
    struct ares_options o;
    memset(&o, 0, sizeof(o));
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_RCVBUF;
    o.sock_state_cb = resolver_sock_state;
    /* Room for bursts of replies (the kernel caps it at net.core.rmem_max). */
    o.socket_receive_buffer_size = 1 << 20;
    o.sock_state_cb_data = r;
    /* A pod's resolv.conf says timeout:5 attempts:2: far longer than a probe's budget. Retry
     * every second instead; the attempt's own deadline ends the lookup as dns_timeout. */
    o.timeout = 1000;
    o.tries = 4;
    if (flags) {
        mask |= ARES_OPT_FLAGS;
        o.flags = flags;
    }
    if (!search) {
        mask |= ARES_OPT_DOMAINS | ARES_OPT_NDOTS;
        o.domains = NULL;
        o.ndomains = 0;
        o.ndots = 1;
    }
    int st = ares_init_options(&r->channel, &o, mask);
    if (st != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares init: %s", ares_strerror(st));
        free(r);
        return NULL;
    }
    ares_set_socket_callback(r->channel, resolver_on_socket, r);
    if (servers && *servers) {
        st = ares_set_servers_ports_csv(r->channel, servers);
        if (st != ARES_SUCCESS) {
            snprintf(err, errlen, "c-ares servers \"%s\": %s", servers, ares_strerror(st));
            ares_destroy(r->channel);
            free(r);
            return NULL;
        }
        if (!(r->servers = strdup(servers))) {
            snprintf(err, errlen, "out of memory");
            ares_destroy(r->channel);
            free(r);
            return NULL;
        }
    }
    return r;
}

resolver_t *resolver_create(loop_t *loop, const char *servers, bool search, char *err, size_t errlen)
{
    return resolver_create_flags(loop, servers, search, 0, err, errlen);
}

void resolver_destroy(resolver_t *r)
{
    if (!r)
        return;
    r->destroying = true;
    loop_timer_stop(r->loop, &r->timer);
    /* Runs every pending callback with ARES_EDESTRUCTION: they free their requests. */
    ares_destroy(r->channel);
    resolver_destroy(r->raw);
    free(r->servers);
    free(r);
}

static unsigned lookup_bucket(const char *name, int family)
{
    uint32_t h = 2166136261u ^ (uint32_t)family; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % RESOLVE_BUCKETS;
}

static void lookup_unlink(lookup_t *lk)
{
    lookup_t **pp = &lk->r->inflight[lookup_bucket(lk->name, lk->family)];
    for (; *pp; pp = &(*pp)->next) {
        if (*pp == lk) {
            *pp = lk->next;
            return;
        }
    }
}

static void lookup_free(lookup_t *lk)
{
    for (resolve_req_t *w = lk->waiters, *nx; w; w = nx) {
        nx = w->next;
        free(w);
    }
    free(lk->name);
    free(lk);
}

static void answer_fill(resolve_answer_t *ans, int status, const struct ares_addrinfo *res)
{
    memset(ans, 0, sizeof(*ans));
    ans->rcode = -1;
    ans->status = status;
    ans->error = ares_strerror(status);
    for (const struct ares_addrinfo_node *n = res ? res->nodes : NULL; n && ans->n < RESULT_MAX_ADDRS;
         n = n->ai_next) {
        ip_addr_t *a = &ans->addrs[ans->n]; /* a duplicate's slot is reused */
        if (!ip_addr_from_sockaddr(n->ai_addr, a))
            continue;
        ip_addr_format(a, ans->text[ans->n]);
        /* c-ares may list the same address twice (one per socktype). */
        bool dup = false;
        for (size_t i = 0; i < ans->n; i++)
            dup |= ip_addr_equal(&ans->addrs[i], a);
        if (!dup)
            ans->n++;
    }
    if (status == ARES_SUCCESS && ans->n == 0)
        ans->status = ARES_ENODATA;
}

static void resolver_on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
    (void)timeouts;
    lookup_t *lk = arg;
    lookup_unlink(lk); /* a lookup starting from a callback below must not join this one */
    if (!lk->r->destroying) {
        resolve_answer_t ans;
        answer_fill(&ans, status, res);
        /* Shared by the lookups in flight on this channel; a UDP server that refuses never
         * leads to a TCP socket, so the count cannot turn a refusal into a fallback. */
        ans.tcp_fallback = lk->r->tcp_opened != lk->tcp_at_start;
        /* A callback may cancel another waiter of this lookup (an attempt ending frees its
         * state), so the flag is read just before each call. */
        for (resolve_req_t *w = lk->waiters; w; w = w->next)
            if (!w->cancelled) {
                w->cancelled = true; /* answered: a later resolver_cancel is a no-op */
                w->cb(w->ud, &ans);
            }
    }
    if (res)
        ares_freeaddrinfo(res);
    if (lk->starting)
        lk->completed = true; /* resolver_lookup frees it */
    else
        lookup_free(lk);
}

resolve_req_t *resolver_lookup(resolver_t *r, const char *name, int family, resolve_cb cb, void *ud)
{
    resolve_req_t *w = calloc(1, sizeof(*w));
    lookup_t *lk = NULL;
    unsigned b = lookup_bucket(name, family);
    if (w) {
        for (lk = r->inflight[b]; lk; lk = lk->next)
            if (lk->family == family && strcmp(lk->name, name) == 0)
                break;
    }
    if (w && !lk) {
        lk = calloc(1, sizeof(*lk));
        if (lk && !(lk->name = strdup(name))) {
            free(lk);
            lk = NULL;
        }
        if (!lk) {
            free(w);
            w = NULL;
        }
    }
    if (!w) {
        resolve_answer_t ans;
        answer_fill(&ans, ARES_ENOMEM, NULL);
        cb(ud, &ans);
        return NULL;
    }
    w->cb = cb;
    w->ud = ud;
    w->lk = lk;
    w->next = lk->waiters;
    lk->waiters = w;
    if (lk->r) /* joined a query in flight */
        return w;

    lk->r = r;
    lk->family = family;
    lk->tcp_at_start = r->tcp_opened;
    lk->next = r->inflight[b];
    r->inflight[b] = lk;
    struct ares_addrinfo_hints hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM; /* one node per address, not one per socktype */
    lk->starting = true;
    ares_getaddrinfo(r->channel, name, NULL, &hints, resolver_on_addrinfo, lk);
    lk->starting = false;
    if (lk->completed) {
        lookup_free(lk);
        return NULL;
    }
    resolver_rearm(r);
    return w;
}

/* The addresses of a NOERROR answer, for the result's "addresses"; c-ares bounds the parse
 * (naddrttls) and rejects a malformed answer (then no address is listed, the rcode stands). */
static void raw_addrs(resolve_answer_t *ans, const unsigned char *abuf, int alen, int qtype)
{
    int n = RESULT_MAX_ADDRS;
    if (qtype == 28) {
        struct ares_addr6ttl t6[RESULT_MAX_ADDRS];
        if (ares_parse_aaaa_reply(abuf, alen, NULL, t6, &n) != ARES_SUCCESS)
            return;
        for (int i = 0; i < n; i++) {
            ans->addrs[ans->n].family = AF_INET6;
            memcpy(ans->addrs[ans->n].bytes, &t6[i].ip6addr, 16);
            ip_addr_format(&ans->addrs[ans->n], ans->text[ans->n]);
            ans->n++;
        }
        return;
    }
    struct ares_addrttl t4[RESULT_MAX_ADDRS];
    if (ares_parse_a_reply(abuf, alen, NULL, t4, &n) != ARES_SUCCESS)
        return;
    for (int i = 0; i < n; i++) {
        ans->addrs[ans->n].family = AF_INET;
        memcpy(ans->addrs[ans->n].bytes, &t4[i].ipaddr, 4);
        ip_addr_format(&ans->addrs[ans->n], ans->text[ans->n]);
        ans->n++;
    }
}

typedef struct {
    resolve_req_t *w;
    resolver_t *r;
    int qtype;
} raw_query_t;

static void resolver_on_raw(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    raw_query_t *q = arg;
    resolve_req_t *w = q->w;
    if (!q->r->destroying && !w->cancelled) {
        resolve_answer_t ans;
        answer_fill(&ans, status, NULL);
        ans.status = status; /* answer_fill's ENODATA is for lookups: here the rcode tells */
        ans.error = ares_strerror(status);
        unsigned an = 0;
        if (status == ARES_SUCCESS && alen > 0 &&
            resolver_header_parse(abuf, (size_t)alen, &ans.rcode, &an) != 0) {
            ans.status = ARES_EBADRESP;
            ans.error = ares_strerror(ARES_EBADRESP);
        } else if (status == ARES_SUCCESS && ans.rcode == 0 && an > 0) {
            raw_addrs(&ans, abuf, alen, q->qtype);
        }
        w->cancelled = true;
        w->cb(w->ud, &ans);
    }
    if (w->starting) {
        w->completed = true; /* resolver_query_rcode frees it */
    } else {
        free(w);
    }
    free(q);
}

resolve_req_t *resolver_query_rcode(resolver_t *r, const char *name, int qtype, resolve_cb cb, void *ud)
{
    char err[256];
    int st = ARES_ENOMEM;
    unsigned char *qbuf = NULL;
    int qlen = 0;
    resolve_req_t *w = calloc(1, sizeof(*w));
    raw_query_t *q = calloc(1, sizeof(*q));
    /* c-ares 1.18 turns a REFUSED (and SERVFAIL, NOTIMP) answer into "Could not contact DNS
     * servers" unless the channel has ARES_FLAG_NOCHECKRESP, which the lookups must not have
     * (they should move on to the next server): hence a second channel, made on first use. */
    if (w && q && !r->raw)
        r->raw = resolver_create_flags(r->loop, r->servers, false, ARES_FLAG_NOCHECKRESP, err, sizeof(err));
    if (w && q && r->raw)
        st = ares_create_query(name, 1 /* C_IN */, qtype, 0, 1, &qbuf, &qlen, 0);
    if (st != ARES_SUCCESS) {
        resolve_answer_t ans;
        answer_fill(&ans, st, NULL);
        free(w);
        free(q);
        cb(ud, &ans);
        return NULL;
    }
    w->cb = cb;
    w->ud = ud;
    q->w = w;
    q->r = r->raw;
    q->qtype = qtype;
    w->starting = true;
    ares_send(r->raw->channel, qbuf, qlen, resolver_on_raw, q); /* sets its own query id */
    ares_free_string(qbuf);
    w->starting = false;
    if (w->completed) {
        free(w);
        return NULL;
    }
    resolver_rearm(r->raw);
    return w;
}

void resolver_cancel(resolve_req_t *req)
{
    /* The waiter stays on its lookup until the query ends, and is freed with it. */
    if (req)
        req->cancelled = true;
}
