/* pg_secret.h: what the process does with the postgres probes' secrets before libpq runs:
 * the password_env values are captured into private memory, every PG* variable leaves the
 * environment (libpq would take them as defaults), and core dumps are off while a password
 * is held. See docs/security.md. */
#ifndef ZT_PG_SECRET_H
#define ZT_PG_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Starts holding the secrets of probes[0..n): for each probe that sends a password
 * (pg_classify_sends_password) and names password_env, the variable's value is copied into
 * private memory, wiped in the environment block (so /proc/PID/environ no longer shows it)
 * and unset; then every variable whose name starts with "PG" is unset. When any probe sends a
 * password (from a variable or a file), the process is made non-dumpable and RLIMIT_CORE is
 * set to 0 first. Once per process (a second call only adds values not captured yet).
 * Returns the number of probes that send a password, or -1 with err (out of memory, or the
 * core-dump protection could not be set). */
int pg_secret_begin(const config_probe_t *const *probes, size_t n, char *err, size_t errlen);

/* Wipes and frees the captured values. */
void pg_secret_end(void);

/* The value captured for variable name (NULL: it was unset at capture); for a name never
 * captured (no pg_secret_begin yet, as in unit tests) it is getenv(name). */
const char *pg_secret_env(const char *name);

/* Warns on stderr, once per probe of probes[0..n) that sends its password with an sslmode
 * weaker than verify-full (pg_classify_unverified). Returns how many. */
size_t pg_secret_warn(const config_probe_t *const *probes, size_t n, const char *role);

/* Unsets every environment variable whose name starts with "PG"; returns how many. */
size_t pg_secret_scrub_env(void);

/* prctl(PR_SET_DUMPABLE, 0) and RLIMIT_CORE 0 (soft and hard). 0, or -1 with err. */
int pg_secret_no_core(char *err, size_t errlen);

#endif
