/* pg_classify.h: the pure half of the postgres probe: libpq's messages (C locale) -> outcomes
 * and bounded, password-free details. No libpq calls, so cmocka tests feed it strings. */
#ifndef ZT_PG_CLASSIFY_H
#define ZT_PG_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "outcome.h"

/* Outcome of a failed connection from PQerrorMessage() (PG 15 has no SQLSTATE for these).
 * tcp_connected: the TCP connect completed at some point. Until then the kernel's errno text
 * decides (refused / unreachable / timeout). Server and handshake messages give auth_failed,
 * tls_error or protocol_error whatever the flag says (libpq can connect and fail within one
 * PQconnectPoll call); anything else is error. Only the last connection attempt of the
 * message counts (libpq appends one block per attempt: an SSL try, then a plain one under
 * sslmode=prefer). */
outcome_t pg_classify_connect_error(const char *msg, bool tcp_connected);

/* The start of the last connection attempt's block in a libpq message. */
const char *pg_classify_last_attempt(const char *msg);

/* The detail of a failure: the last attempt's first line, without libpq's
 * "connection to server at "h" (a), port p failed: " prefix (the report carries target and
 * addresses), whitespace collapsed, control characters dropped, cut to fit out. */
void pg_classify_detail(const char *msg, char *out, size_t len);

/* The detail of an ok answer: "PostgreSQL 15.2 (Debian ...): query ok, 3 rows". What the
 * query returned never goes into a report (it may be data); server_version is the
 * ParameterStatus the server sends at login (NULL: "PostgreSQL ?"), printable, bounded. */
void pg_classify_ok_detail(const char *server_version, long rows, char *out, size_t len);

/* The detail of a failed query: "SQLSTATE: primary message", or fallback (libpq's own
 * message) when the server sent no fields. */
void pg_classify_query_error(const char *sqlstate, const char *primary, const char *fallback, char *out,
                             size_t len);

/* Replaces every occurrence of secret in buf (NUL-terminated, capacity len) by "***", so
 * no detail can carry the password even if a library ever echoed it. */
void pg_classify_redact(char *buf, size_t len, const char *secret);

#define PG_PARAMS_MAX 24
/* A path that can never exist (/dev/null is no folder: stat fails with ENOTDIR, which libpq
 * takes as "no such file"), for every file libpq would otherwise look for in $HOME. */
#define PG_NO_FILE "/dev/null/ztprobe-no-file"

/* The connection keywords for libpq (kw/val: PG_PARAMS_MAX + 1 entries, NULL-terminated;
 * the values point into p, ca_file, addr, password and port, a buffer of portlen bytes).
 * Every default that could bring a credential or a file of $HOME is given explicitly:
 * passfile, sslcert, sslkey, sslrootcert and sslcrl name PG_NO_FILE unless the config names
 * a CA; verify-* use sslrootcert, else ca_file (the probe's or the defaults'). password NULL:
 * none is sent. The session is read-only (default_transaction_read_only=on in options). */
void pg_classify_params(const config_probe_t *p, const char *ca_file, const char *addr, const char *password,
                        char *port, size_t portlen, const char **kw, const char **val);

/* Whether probe p sends a password: an allow postgres probe with password_env or
 * password_file. A deny probe never does: any established connection already fails it. */
bool pg_classify_sends_password(const config_probe_t *p);

/* Whether p sends a password to a server it does not fully verify: sslmode weaker than
 * verify-full (verify-ca checks the CA but not the name, so any certificate of that CA,
 * for any host, would be accepted). */
bool pg_classify_unverified(const config_probe_t *p);

/* Writes the names of the probes among probes[0..n) that pg_classify_unverified picks,
 * comma-separated ("a, b"), into buf (cut with "..." when it does not fit); returns how many. */
size_t pg_classify_unverified_list(const config_probe_t *const *probes, size_t n, char *buf, size_t len);

#endif
