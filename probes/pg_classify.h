/* pg_classify.h: the pure half of the postgres probe: libpq's messages (C locale) -> outcomes
 * and bounded, password-free details. No libpq calls, so cmocka tests feed it strings. */
#ifndef ZT_PG_CLASSIFY_H
#define ZT_PG_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "../agent/outcome.h"

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

/* The detail of an ok answer: the value as the server sent it, cut before ", compiled by"
 * ("PostgreSQL 15.2 on x86_64-pc-linux-gnu, compiled by gcc ..."), printable, bounded. */
void pg_classify_value(const char *value, char *out, size_t len);

/* The detail of a failed query: "SQLSTATE: primary message", or fallback (libpq's own
 * message) when the server sent no fields. */
void pg_classify_query_error(const char *sqlstate, const char *primary, const char *fallback,
                             char *out, size_t len);

/* Replaces every occurrence of secret in buf (NUL-terminated, capacity len) by "***", so
 * no detail can carry the password even if a library ever echoed it. */
void pg_classify_redact(char *buf, size_t len, const char *secret);

#endif
