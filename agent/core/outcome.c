/* outcome.c: names and classes of outcomes (pure). */
#include "outcome.h"

#include <string.h>

static const char *const outcome_names[OUTCOME_COUNT] = {
    [OUTCOME_OK] = "ok",
    [OUTCOME_DNS_NXDOMAIN] = "dns_nxdomain",
    [OUTCOME_DNS_NODATA] = "dns_nodata",
    [OUTCOME_DNS_TIMEOUT] = "dns_timeout",
    [OUTCOME_DNS_ERROR] = "dns_error",
    [OUTCOME_CIDR_MISMATCH] = "cidr_mismatch",
    [OUTCOME_TIMEOUT] = "timeout",
    [OUTCOME_REFUSED] = "refused",
    [OUTCOME_UNREACHABLE] = "unreachable",
    [OUTCOME_TLS_ERROR] = "tls_error",
    [OUTCOME_APP_TIMEOUT] = "app_timeout",
    [OUTCOME_PROTOCOL_ERROR] = "protocol_error",
    [OUTCOME_HTTP_STATUS] = "http_status",
    [OUTCOME_BODY_MISMATCH] = "body_mismatch",
    [OUTCOME_AUTH_FAILED] = "auth_failed",
    [OUTCOME_QUERY_FAILED] = "query_failed",
    [OUTCOME_ERROR] = "error",
    [OUTCOME_L7_DENIED] = "l7_denied",
};

const char *outcome_name(outcome_t o)
{
    if ((unsigned)o >= OUTCOME_COUNT)
        return "error";
    return outcome_names[o];
}

int outcome_parse(const char *name, outcome_t *out)
{
    for (unsigned i = 0; i < OUTCOME_COUNT; i++) {
        if (strcmp(name, outcome_names[i]) == 0) {
            *out = (outcome_t)i;
            return 0;
        }
    }
    return -1;
}

bool outcome_connected(outcome_t o)
{
    return (unsigned)o < OUTCOME_COUNT && (OUTCOME_CONNECTED & OUTCOME_BIT(o)) != 0;
}

bool outcome_is_dns(outcome_t o)
{
    return o == OUTCOME_DNS_NXDOMAIN || o == OUTCOME_DNS_NODATA || o == OUTCOME_DNS_TIMEOUT ||
        o == OUTCOME_DNS_ERROR;
}
