/* pg_hint.c: the postgres kind's own hints (probe_ops_t.hint): a TLS failure names
 * sslrootcert (verify-full is the default with a password, docs/security.md), and a password
 * the probe could not read says where it comes from. Read from the result's facts, never from
 * its detail. */
#include <stdio.h>

#include "probe.h"
#include "postgres.h"

#define HINT(...) snprintf(buf, len, __VA_ARGS__)

bool pg_hint(const result_t *r, const hint_parts_t *p, char *buf, size_t len)
{
    if (r->expect != EXPECT_ALLOW)
        return false;
    if (r->outcome == OUTCOME_TLS_ERROR) {
        HINT("The TLS handshake with PostgreSQL at %s failed though the path is open: the "
             "server offers no TLS, or its certificate is not signed by the CA in "
             "sslrootcert (else ca_file) or does not name %s; inspect it with `openssl "
             "s_client -starttls postgres -connect %s`.",
             p->endpoint, p->host, p->endpoint);
        return true;
    }
    if (r->outcome == OUTCOME_ERROR && (r->facts & RESULT_FACT_PASSWORD_ENV)) {
        HINT("The probe's password variable is not available, so the path was not tested: "
             "set it in the container's environment (env valueFrom secretKeyRef) or fix "
             "password_env in the config.");
        return true;
    }
    if (r->outcome == OUTCOME_ERROR && (r->facts & RESULT_FACT_PASSWORD_FILE)) {
        HINT("The probe's password_file could not be read, so the path was not tested: "
             "mount the Secret at that path (readable by the agent's user) or fix "
             "password_file in the config.");
        return true;
    }
    return false;
}
