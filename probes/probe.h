/* probe.h: the small interface every probe kind implements (tcp, http/https, postgres, dns).
 * The runner resolves the name, arms the attempt's deadline and calls start(); the kind does
 * its I/O through the loop and ends the attempt with probe_finish(), or, when the deadline
 * fires first, the runner calls abort() and the kind classifies by how far it got. */
#ifndef ZT_PROBE_H
#define ZT_PROBE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../agent/config.h"
#include "../agent/loop.h"
#include "../agent/outcome.h"
#include "../agent/result.h"

typedef struct probe_env probe_env_t;
typedef struct probe_attempt probe_attempt_t;
struct resolver;

/* Shared by every attempt of one run. */
struct probe_env {
    loop_t *loop;
    const config_t *cfg;
    int verbose;                 /* -v: kinds may log progress (never secrets) */
    void *http;                  /* owned by probes/http.c */
    void *pg;                    /* owned by probes/postgres.c (may stay NULL) */
    /* The resolver for a dns probe's own "server" (NULL: the run's default resolver). */
    struct resolver *(*resolver_for)(probe_env_t *env, const char *server, char *err, size_t errlen);
    void *runner;                /* owned by the runner */
};

struct probe_attempt {
    /* Inputs, set by the runner before start(). */
    probe_env_t *env;
    const config_probe_t *probe;
    int timeout_ms;              /* this attempt's whole budget (DNS included) */
    double t0_ms;                /* loop_mono_ms() when the attempt began (before DNS) */
    int family;                  /* AF_INET / AF_INET6 of addr (not for dns probes) */
    struct sockaddr_storage addr;/* resolved address, port set */
    socklen_t addrlen;
    char addr_str[RESULT_ADDR_LEN];

    /* Outputs. */
    outcome_t outcome;
    char detail[RESULT_DETAIL_LEN];
    double dns_ms;               /* set by the runner (or by the dns kind) */
    double connect_ms, tls_ms, first_byte_ms; /* negative: not reached */
    /* dns kind: the answers it got (for answers_within and the report). */
    char answers[RESULT_MAX_ADDRS][RESULT_ADDR_LEN];
    size_t n_answers;

    void *priv;                  /* the kind's own state */
    void (*done)(probe_attempt_t *a); /* the runner's completion callback */
    void *runner_ud;
    bool finished;
};

typedef struct {
    const char *name;
    /* Optional: per-run state (e.g. a curl multi handle) in env. Returns 0, or -1 with err. */
    int (*env_init)(probe_env_t *env, char *err, size_t errlen);
    void (*env_cleanup)(probe_env_t *env);
    /* Starts the attempt. May call probe_finish() synchronously (e.g. socket() failed). */
    void (*start)(probe_attempt_t *a);
    /* The deadline passed: stop all I/O, free priv, and set a->outcome/detail (timeout when
     * TCP never connected, app_timeout after). Must not call probe_finish(). */
    void (*abort)(probe_attempt_t *a);
} probe_ops_t;

extern const probe_ops_t tcp_probe_ops;
extern const probe_ops_t http_probe_ops;   /* http and https */
extern const probe_ops_t pg_probe_ops;
extern const probe_ops_t dns_probe_ops;

const probe_ops_t *probe_ops_for(probe_kind_t kind);

/* Ends an attempt: sets outcome and detail (printf-style, may be NULL), then calls done.
 * Idempotent guard: a second call is ignored. */
void probe_finish(probe_attempt_t *a, outcome_t o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Milliseconds since the attempt began. */
double probe_elapsed_ms(const probe_attempt_t *a);

/* Milliseconds left before the attempt's deadline (>= 1). */
long probe_remaining_ms(const probe_attempt_t *a);

/* Maps a connect() errno to an outcome: ECONNREFUSED refused; EHOSTUNREACH, ENETUNREACH,
 * EACCES, EPERM unreachable; ETIMEDOUT timeout; else error. */
outcome_t probe_outcome_from_errno(int err);

#endif
