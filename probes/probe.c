/* probe.c: what every probe kind shares: the kind table, finishing an attempt, deadlines and
 * the errno -> outcome map used by every connect. */
#include "probe.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

const probe_ops_t *probe_ops_for(probe_kind_t kind)
{
    switch (kind) {
    case KIND_TCP:
        return &tcp_probe_ops;
    case KIND_HTTP:
    case KIND_HTTPS:
        return &http_probe_ops;
    case KIND_POSTGRES:
        return &pg_probe_ops;
    case KIND_DNS:
        return &dns_probe_ops;
    default:
        return NULL;
    }
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

double probe_elapsed_ms(const probe_attempt_t *a) { return loop_mono_ms() - a->t0_ms; }

long probe_remaining_ms(const probe_attempt_t *a)
{
    double left = (double)a->timeout_ms - probe_elapsed_ms(a);
    return left < 1.0 ? 1 : (long)left;
}

outcome_t probe_outcome_from_errno(int err)
{
    switch (err) {
    case ECONNREFUSED:
        return OUTCOME_REFUSED;
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EACCES:
    case EPERM:
        return OUTCOME_UNREACHABLE;
    case ETIMEDOUT:
        return OUTCOME_TIMEOUT;
    case ECONNRESET:
    case EPIPE:
        return OUTCOME_PROTOCOL_ERROR;
    default:
        return OUTCOME_ERROR;
    }
}
