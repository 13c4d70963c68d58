/* postgres.h: helpers of the postgres probe (probes/postgres/postgres.c) that tests call directly;
 * the probe itself is pg_probe_ops in probe.h. */
#ifndef ZT_POSTGRES_H
#define ZT_POSTGRES_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "result.h"

/* The probe's password: $password_env, or the first line of password_file (newline and a
 * trailing CR stripped). Returns 1 with it in buf, 0 when the probe names neither, -1 with
 * err set (naming the variable or file and strerror, never any content; unset, empty, or
 * longer than len - 1 bytes are errors). buf is wiped on error; the caller wipes it after use. */
int pg_probe_password(const config_probe_t *p, char *buf, size_t len, char *err, size_t errlen);

/* The postgres kind's config keys and parser (pg_config.c, probe_ops_t.keys/parse). */
struct config_ctx;
struct cJSON;
extern const char *const pg_config_keys[];
int pg_config_parse(struct config_ctx *cx, const struct cJSON *o, const char *path, config_probe_t *p);

/* The postgres kind's hints (pg_hint.c, probe_ops_t.hint). */
struct hint_parts;
bool pg_hint(const result_t *r, const struct hint_parts *parts, char *buf, size_t len);

/* The diagnosis password_to_unverified_server (pg_hint.c, probe_ops_t.diagnose). */
void pg_diagnose(const config_probe_t *const *probes, size_t n, report_t *rep);

#endif
