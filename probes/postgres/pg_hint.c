/* pg_hint.c: the postgres kind's own hints (probe_ops_t.hint): a TLS failure names
 * sslrootcert (verify-full is the default with a password, docs/security.md), and a password
 * the probe could not read says where it comes from, a rejected login or failed query that the
 * path is open (read from the result's facts, never from its detail); and the diagnosis of a
 * password sent to a server that is not verified. */
#include <stdio.h>

#include "pg_classify.h"
#include "postgres.h"
#include "probe.h"

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
    if (r->outcome == OUTCOME_AUTH_FAILED) {
        HINT("PostgreSQL at %s rejected the login, so the network path is open: check the "
             "pg_hba.conf entry for this pod's address and user, and the password secret the "
             "probe reads.",
             p->endpoint);
        return true;
    }
    if (r->outcome == OUTCOME_QUERY_FAILED) {
        HINT("PostgreSQL at %s accepted the login but the query failed, so path and "
             "credentials work: check the database name, the user's privileges and the query "
             "with psql.",
             p->endpoint);
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

/* The config's choice, not a network finding: reported every run so it is not forgotten. */
void pg_diagnose(const config_probe_t *const *probes, size_t n, report_t *rep)
{
    char names[256];
    size_t count = pg_classify_unverified_list(probes, n, names, sizeof(names));
    if (count == 0)
        return;
    result_diag_add(rep, "password_to_unverified_server",
                    "probe%s %.200s send%s the PostgreSQL password with an sslmode weaker than "
                    "verify-full, so a server that is not the intended one (a spoofed address, a "
                    "man in the middle) can receive it: remove sslmode (verify-full is the default "
                    "with a password) and name the server's CA in sslrootcert.",
                    count == 1 ? "" : "s", names[0] ? names : "?", count == 1 ? "s" : "");
}
