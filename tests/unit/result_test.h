/* result_test.h: what the verdict, hint and diagnosis unit tests share: a result_t built from
 * its judged fields (it owns its target: result_clear), and a realistic target for each kind. */
#ifndef ZT_RESULT_TEST_H
#define ZT_RESULT_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"

__attribute__((unused)) static result_t mk(const char *name, probe_kind_t k, expect_t e, const char *target,
                                           outcome_t o, verdict_t v)
{
    result_t r;
    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "%s", name);
    if (result_set_text(&r, RESULT_TARGET, target) < 0)
        abort();
    r.kind = k;
    r.expect = e;
    r.outcome = o;
    r.verdict = v;
    r.dns_ms = r.connect_ms = r.tls_ms = r.first_byte_ms = -1;
    return r;
}

__attribute__((unused)) static const char *target_for(probe_kind_t k)
{
    switch (k) {
    case KIND_HTTP: return "http://backend-service:3000/health";
    case KIND_HTTPS: return "https://secretsmanager.us-east-1.amazonaws.com/";
    case KIND_POSTGRES: return "postgres-service:5432";
    case KIND_DNS: return "backend-service A @10.96.0.10";
    case KIND_UDP: return "dns.google:53";
    default: return "postgres-service:5432";
    }
}

#endif
