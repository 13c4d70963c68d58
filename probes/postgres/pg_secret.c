/* pg_secret.c: the postgres probes' secrets, held by the process (see pg_secret.h).
 *
 * Why the environment is emptied of PG* rather than every libpq default passed explicitly:
 * libpq treats an empty value given to PQconnectStartParams as "not given" and then falls back
 * to the environment (PGPASSWORD, PGPASSFILE, PGSERVICE, PGSSLKEY, ...), so no explicit value
 * can switch a default off. Without the variables there is nothing to fall back to. The
 * values the config names (password_env: PGPASSWORD in the shipped manifests) are captured
 * first; the process is single-threaded at that point (before the runner starts). */
#include "pg_secret.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "log.h"
#include "pg_classify.h"

extern char **environ;

typedef struct {
    char *name;
    char *value; /* NULL: unset at capture */
} pg_secret_var_t;

static pg_secret_var_t *pg_vars;
static size_t pg_n_vars;
static bool pg_protected;

static pg_secret_var_t *pg_secret_find(const char *name)
{
    for (size_t i = 0; i < pg_n_vars; i++)
        if (strcmp(pg_vars[i].name, name) == 0)
            return &pg_vars[i];
    return NULL;
}

/* Unsets name after overwriting its value where it lives (the initial environment block on
 * the stack, or libc's copy from setenv), so the bytes do not linger in /proc/PID/environ. */
static void pg_secret_wipe_var(const char *name)
{
    char *v = getenv(name);
    if (v)
        explicit_bzero(v, strlen(v));
    unsetenv(name);
}

size_t pg_secret_scrub_env(void)
{
    size_t n = 0;
    for (;;) {
        char name[256];
        name[0] = '\0';
        for (char **e = environ; e && *e; e++) {
            size_t len = strcspn(*e, "=");
            if (strncmp(*e, "PG", 2) == 0 && len < sizeof(name)) {
                memcpy(name, *e, len);
                name[len] = '\0';
                break;
            }
        }
        if (!name[0])
            return n;
        pg_secret_wipe_var(name);
        n++;
    }
}

int pg_secret_no_core(char *err, size_t errlen)
{
    /* Not dumpable: no core file, and /proc/PID/{environ,mem} and ptrace are closed to other
     * processes of the same user (a shared process namespace in a pod). */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        int e = errno;
        snprintf(err, errlen, "prctl(PR_SET_DUMPABLE, 0): %s", strerror(e));
        return -1;
    }
    struct rlimit rl = {0, 0};
    if (setrlimit(RLIMIT_CORE, &rl) != 0) {
        int e = errno;
        snprintf(err, errlen, "setrlimit(RLIMIT_CORE, 0): %s", strerror(e));
        return -1;
    }
    return 0;
}

static int pg_secret_capture(const char *name)
{
    if (pg_secret_find(name))
        return 0;
    pg_secret_var_t *grown = realloc(pg_vars, (pg_n_vars + 1) * sizeof(*pg_vars));
    if (!grown)
        return -1;
    pg_vars = grown;
    pg_secret_var_t *v = &pg_vars[pg_n_vars];
    const char *val = getenv(name);
    v->name = strdup(name);
    v->value = val ? strdup(val) : NULL;
    if (!v->name || (val && !v->value)) {
        free(v->name);
        free(v->value);
        return -1;
    }
    pg_n_vars++;
    pg_secret_wipe_var(name);
    return 0;
}

size_t pg_secret_warn(const config_probe_t *const *probes, size_t n, const char *role)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const config_probe_t *p = probes[i];
        if (!pg_classify_unverified(p))
            continue;
        count++;
        log_error("warning: role %s probe %s sends its password with sslmode %s: the server's "
                  "certificate and name are not both verified, so another server can receive "
                  "it; remove sslmode (verify-full is the default) and set sslrootcert "
                  "(docs/security.md)",
                  role, p->name, p->sslmode ? p->sslmode : "prefer");
    }
    return count;
}

int pg_secret_begin(const config_probe_t *const *probes, size_t n, char *err, size_t errlen)
{
    int holders = 0;
    for (size_t i = 0; i < n; i++)
        if (pg_classify_sends_password(probes[i]))
            holders++;
    /* Protection before the first byte of a password enters our memory. */
    if (holders > 0 && !pg_protected) {
        if (pg_secret_no_core(err, errlen) < 0)
            return -1;
        pg_protected = true;
    }
    for (size_t i = 0; i < n; i++) {
        const config_probe_t *p = probes[i];
        if (pg_classify_sends_password(p) && p->password_env && pg_secret_capture(p->password_env) < 0) {
            snprintf(err, errlen, "out of memory capturing password_env %s", p->password_env);
            return -1;
        }
        /* Said once at the start, not only in each run's report. */
        const char *v = pg_classify_sends_password(p) && p->password_env ? pg_secret_env(p->password_env)
                                                                         : "-";
        if (!v || !*v)
            log_error("warning: probe %s: password_env %s is %s: the probe will fail until the "
                      "container's environment provides it",
                      p->name, p->password_env, v ? "empty" : "not set");
    }
    (void)pg_secret_scrub_env();
    return holders;
}

void pg_secret_end(void)
{
    for (size_t i = 0; i < pg_n_vars; i++) {
        if (pg_vars[i].value) {
            explicit_bzero(pg_vars[i].value, strlen(pg_vars[i].value));
            free(pg_vars[i].value);
        }
        free(pg_vars[i].name);
    }
    free(pg_vars);
    pg_vars = NULL;
    pg_n_vars = 0;
}

const char *pg_secret_env(const char *name)
{
    const pg_secret_var_t *v = pg_secret_find(name);
    return v ? v->value : getenv(name);
}
