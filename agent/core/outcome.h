/* outcome.h: the one status enum of ztprobe. Every attempt of every probe ends in exactly
 * one outcome (the reference, "Outcomes"); names are printed only at the edge (reports, logs). */
#ifndef ZT_OUTCOME_H
#define ZT_OUTCOME_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    OUTCOME_OK = 0,
    OUTCOME_DNS_NXDOMAIN,
    OUTCOME_DNS_NODATA,
    OUTCOME_DNS_TIMEOUT,
    OUTCOME_DNS_ERROR,
    OUTCOME_CIDR_MISMATCH,
    OUTCOME_TIMEOUT,
    OUTCOME_REFUSED,
    OUTCOME_UNREACHABLE,
    OUTCOME_TLS_ERROR,
    OUTCOME_APP_TIMEOUT,
    OUTCOME_PROTOCOL_ERROR,
    OUTCOME_HTTP_STATUS,
    OUTCOME_BODY_MISMATCH,
    OUTCOME_AUTH_FAILED,
    OUTCOME_QUERY_FAILED,
    OUTCOME_ERROR,
    OUTCOME_L7_DENIED, /* an L7 proxy's own refusal (deny_at: l7): Envoy's 403, DNS REFUSED */
    OUTCOME_COUNT
} outcome_t;

/* A set of outcomes, one bit each (deny_outcomes). */
typedef uint32_t outcome_mask_t;
#define OUTCOME_BIT(o) ((outcome_mask_t)1u << (unsigned)(o))
/* The outcomes that prove a connection was established (the path is open): the one list,
 * read by outcome_connected and by the kinds' probe_ops_t.open. */
#define OUTCOME_CONNECTED \
    (OUTCOME_BIT(OUTCOME_OK) | OUTCOME_BIT(OUTCOME_APP_TIMEOUT) | OUTCOME_BIT(OUTCOME_PROTOCOL_ERROR) | \
     OUTCOME_BIT(OUTCOME_TLS_ERROR) | OUTCOME_BIT(OUTCOME_HTTP_STATUS) | \
     OUTCOME_BIT(OUTCOME_BODY_MISMATCH) | OUTCOME_BIT(OUTCOME_AUTH_FAILED) | \
     OUTCOME_BIT(OUTCOME_QUERY_FAILED))
#define OUTCOME_DEFAULT_DENY (OUTCOME_BIT(OUTCOME_TIMEOUT) | OUTCOME_BIT(OUTCOME_UNREACHABLE))

/* The name of an outcome ("dns_timeout"); "error" for out-of-range values. */
const char *outcome_name(outcome_t o);

/* Parses an outcome name; returns 0 and sets *out, or -1 when the name is unknown. */
int outcome_parse(const char *name, outcome_t *out);

/* True when the outcome is in OUTCOME_CONNECTED. */
bool outcome_connected(outcome_t o);

/* True for the outcomes of the name-resolution phase (dns_*). */
bool outcome_is_dns(outcome_t o);

#endif
