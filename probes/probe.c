/* probe.c: what every probe kind shares: the kind table, finishing an attempt, deadlines and
 * the errno -> outcome map used by every connect. */
#include "probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROBE_KIND_EXTERN(id, ops) extern const probe_ops_t ops;
PROBE_KIND_TABLE(PROBE_KIND_EXTERN)
#undef PROBE_KIND_EXTERN

/* The kind table (kind_table.h's rows), indexed by probe_kind_t. */
#define PROBE_KIND_ROW(id, ops) [KIND_##id] = &ops,
const probe_ops_t *const probe_kinds[KIND_COUNT] = {PROBE_KIND_TABLE(PROBE_KIND_ROW)};
#undef PROBE_KIND_ROW

const probe_ops_t *probe_ops_for(probe_kind_t kind)
{
    return (unsigned)kind < KIND_COUNT ? probe_kinds[kind] : NULL;
}

size_t probe_kinds_warn(const config_probe_t *const *probes, size_t n, const char *role)
{
    size_t warned = 0;
    for (int k = 0; k < KIND_COUNT; k++)
        if (probe_kinds[k]->warn)
            warned += probe_kinds[k]->warn(probes, n, role);
    return warned;
}

int probe_kinds_begin(const config_probe_t *const *probes, size_t n, char *err, size_t errlen)
{
    for (int k = 0; k < KIND_COUNT; k++)
        if (probe_kinds[k]->begin && probe_kinds[k]->begin(probes, n, err, errlen) < 0)
            return -1;
    return 0;
}

void probe_kinds_end(void)
{
    for (int k = 0; k < KIND_COUNT; k++)
        if (probe_kinds[k]->end)
            probe_kinds[k]->end();
}

void probe_kinds_diagnose(const config_probe_t *const *probes, size_t n, report_t *rep)
{
    for (int k = 0; k < KIND_COUNT; k++)
        if (probe_kinds[k]->diagnose)
            probe_kinds[k]->diagnose(probes, n, rep);
}

probe_transport_t probe_kind_transport(probe_kind_t kind)
{
    const probe_ops_t *ops = probe_ops_for(kind);
    return ops ? ops->transport : PROBE_TRANSPORT_TCP;
}

bool probe_kind_queries_dns(probe_kind_t kind)
{
    const probe_ops_t *ops = probe_ops_for(kind);
    return ops && ops->queries_dns;
}

int probe_kind_parse(const char *name, probe_kind_t *out)
{
    for (int k = 0; name && k < KIND_COUNT; k++) {
        if (probe_kinds[k] && strcmp(name, probe_kinds[k]->name) == 0) {
            *out = (probe_kind_t)k;
            return 0;
        }
    }
    return -1;
}

void probe_kind_list(char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (int k = 0; k < KIND_COUNT; k++) {
        int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", probe_kinds[k]->name);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
}

static bool in_mask(outcome_mask_t m, outcome_t o)
{
    return (unsigned)o < OUTCOME_COUNT && (m & OUTCOME_BIT(o)) != 0;
}

/* An ok always breaks a deny; another open outcome does unless the kind lets deny_outcomes
 * list it. A connected TCP path outranks deny_outcomes: it is open whatever else happened. */
bool probe_breaks_deny(const probe_ops_t *ops, outcome_mask_t deny, outcome_t o)
{
    if (o == OUTCOME_OK)
        return true;
    if (!ops || !in_mask(ops->open, o))
        return false;
    return !(ops->open_listable && in_mask(deny, o));
}

bool probe_denied(const probe_ops_t *ops, outcome_mask_t deny, outcome_t o)
{
    if (probe_breaks_deny(ops, deny, o))
        return false;
    /* deny_at: l7: only the proxy's own refusal denies; a kind's closed outcomes (a dns
     * probe's silence or ICMP reject) would be an L3 deny, which the probe says it is not. */
    if (deny == OUTCOME_BIT(OUTCOME_L7_DENIED))
        return o == OUTCOME_L7_DENIED;
    return in_mask(deny, o) || (ops && in_mask(ops->closed, o));
}

void probe_target_hostport(const config_probe_t *p, char *buf, size_t len)
{
    if (strchr(p->host ? p->host : "", ':'))
        snprintf(buf, len, "[%s]:%d", p->host, p->port);
    else
        snprintf(buf, len, "%s:%d", p->host ? p->host : "?", p->port);
}

int probe_sock_open(probe_attempt_t *a, size_t size, int type, int proto)
{
    probe_sock_t *st = calloc(1, size < sizeof(*st) ? sizeof(*st) : size);
    if (!st) {
        probe_finish(a, OUTCOME_ERROR, "out of memory");
        return -1;
    }
    st->fd = socket(a->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (st->fd < 0) {
        int e = errno;
        free(st);
        probe_finish(a, OUTCOME_ERROR, "socket: %s", strerror(e));
        return -1;
    }
    a->priv = st;
    return st->fd;
}

void probe_sock_close(probe_attempt_t *a)
{
    probe_sock_t *st = a->priv;
    if (!st)
        return;
    if (st->fd >= 0) {
        loop_unwatch(a->env->loop, st->fd);
        close(st->fd);
    }
    free(st);
    a->priv = NULL;
}

void probe_sock_fail(probe_attempt_t *a, outcome_t o, const char *what, int err)
{
    probe_sock_close(a);
    probe_finish(a, o, "%s: %s", what, strerror(err));
}

void probe_tcp_connect(probe_attempt_t *a, size_t size, loop_fd_cb on_event,
                       void (*connected)(probe_attempt_t *a))
{
    int fd = probe_sock_open(a, size, SOCK_STREAM, IPPROTO_TCP);
    if (fd < 0)
        return;
    if (connect(fd, (const struct sockaddr *)&a->addr, a->addrlen) == 0) {
        connected(a);
        return;
    }
    int e = errno;
    if (e != EINPROGRESS) {
        /* A local filter (EPERM) or a missing route (ENETUNREACH) answers synchronously. */
        probe_sock_fail(a, probe_outcome_from_errno(e), "connect", e);
        return;
    }
    if (loop_watch(a->env->loop, fd, LOOP_WRITE, on_event, a) < 0)
        probe_sock_fail(a, OUTCOME_ERROR, "epoll", errno);
}

bool probe_tcp_connect_done(probe_attempt_t *a, int fd)
{
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        soerr = errno;
    if (soerr != 0) {
        probe_sock_fail(a, probe_outcome_from_errno(soerr), "connect", soerr);
        return false;
    }
    return true;
}

void probe_finish(probe_attempt_t *a, outcome_t o, const char *fmt, ...)
{
    if (a->finished)
        return;
    a->finished = true;
    a->outcome = o;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
        va_end(ap);
    }
    if (a->done)
        a->done(a);
}

double probe_elapsed_ms(const probe_attempt_t *a)
{
    return loop_mono_ms() - a->t0_ms;
}

long probe_remaining_ms(const probe_attempt_t *a)
{
    double left = (double)a->timeout_ms - probe_elapsed_ms(a);
    return left < 1.0 ? 1 : (long)left;
}

outcome_t probe_outcome_from_errno(int err)
{
    switch (err) {
    case ECONNREFUSED: return OUTCOME_REFUSED;
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EACCES:
    case EPERM: return OUTCOME_UNREACHABLE;
    case ETIMEDOUT: return OUTCOME_TIMEOUT;
    case ECONNRESET:
    case EPIPE: return OUTCOME_PROTOCOL_ERROR;
    default: return OUTCOME_ERROR;
    }
}

/* The hint sentences every kind may use (probe.h). */
#define HINT(...) snprintf(buf, len, __VA_ARGS__)

void hint_dns_unanswered(const hint_parts_t *p, const char *why, char *buf, size_t len)
{
    HINT("No DNS server answered the query for %s (%s): DNS egress from this pod is probably "
         "blocked, so allow UDP and TCP port 53 to kube-dns (namespace kube-system, "
         "k8s-app=kube-dns) in its egress policy and check `kubectl describe networkpolicy %s`.",
         p->host, why, p->ns);
}

void hint_generic(const result_t *r, const hint_parts_t *p, char *buf, size_t len)
{
    HINT("The probe ended in %s: see the detail and rerun with %s.", outcome_name(r->outcome), p->rerun);
}
