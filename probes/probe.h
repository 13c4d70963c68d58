/* probe.h: the plug-in point of a probe kind. A kind is one file (probes/KIND.c) that defines a
 * probe_ops_t, plus one row in the kind table of probe.c; everything the rest of the program
 * knows about a kind (config keys and parser, target text, what proves a path open, its hint)
 * comes from that struct. The runner drives attempts through start()/abort(); the session
 * judges the outcomes with the kind's properties. */
#ifndef ZT_PROBE_H
#define ZT_PROBE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "loop.h"
#include "outcome.h"
#include "result.h"

typedef struct probe_env probe_env_t;
typedef struct probe_attempt probe_attempt_t;
struct resolver;
struct config_ctx;
struct cJSON;

/* Shared by every attempt of one run. */
struct probe_env {
    loop_t *loop;
    const config_t *cfg;
    int verbose; /* -v: kinds may log progress (never secrets) */
    /* Per-kind shared state (a curl multi handle, ...), indexed by the ops' env_kind and
     * owned by that kind's env_init/env_cleanup. */
    void *kind_env[KIND_COUNT];
    /* The resolver for server (NULL: the run's default resolver, dns.servers or
     * resolv.conf). NULL with err when it cannot be created. */
    struct resolver *(*resolver_for)(probe_env_t *env, const char *server, char *err, size_t errlen);
    void *runner; /* owned by the runner */
};

/* One attempt at one address. Lifetime rule:
 *  - The runner allocates it, fills the inputs, arms the deadline and calls start().
 *  - The kind ends it exactly once: probe_finish() (which calls done) from start() itself or
 *    from any later loop callback. After probe_finish() the kind must not touch it again: done
 *    may free it at once. The kind must have released priv (sockets, handles) before calling
 *    probe_finish().
 *  - If the deadline passes first, the runner calls abort() instead: the kind releases priv
 *    and sets outcome/detail, and must NOT call probe_finish(); the runner then ends it.
 *  - The runner (never the kind) frees the attempt, after done or abort. */
struct probe_attempt {
    /* Inputs, set by the runner before start(). */
    probe_env_t *env;
    const config_probe_t *probe;
    int timeout_ms;               /* this attempt's whole budget (DNS included) */
    double t0_ms;                 /* loop_mono_ms() when the attempt began (before DNS) */
    int family;                   /* AF_INET / AF_INET6 of addr (not for kinds that don't resolve) */
    struct sockaddr_storage addr; /* resolved address, port set */
    socklen_t addrlen;
    char addr_str[RESULT_ADDR_LEN];

    /* Outputs. */
    outcome_t outcome;
    char detail[RESULT_DETAIL_LEN];
    unsigned facts;                           /* RESULT_FACT_* the hint may use */
    double dns_ms;                            /* set by the runner (or by a kind that resolves itself) */
    double connect_ms, tls_ms, first_byte_ms; /* negative: not reached */
    double duration_ms;                       /* set by the runner when the attempt ends */
    /* What the name resolved to (the report's addresses; dns kind: its answers). */
    char answers[RESULT_MAX_ADDRS][RESULT_ADDR_LEN];
    size_t n_answers;

    void *priv;                       /* the kind's own state */
    void (*done)(probe_attempt_t *a); /* the runner's completion callback */
    void *runner_ud;
    bool finished;
};

/* A kind's config parser: reads the kind's own keys of obj (the common keys are done) into p.
 * Returns 0, or the error recorded in cx (see config_json.h). */
typedef int (*probe_parse_fn)(struct config_ctx *cx, const struct cJSON *obj, const char *path,
                              config_probe_t *p);

/* Pieces of the target a hint names, each cut to a limit (with "...") so that a sentence fits
 * RESULT_HINT_LEN whatever the target. */
typedef struct hint_parts {
    char endpoint[100]; /* host:port, or the query name (dns) */
    char host[90];      /* host alone, or the query name */
    char port[8];
    char url[128];   /* http(s): scheme://host[:port]/path, no userinfo or query */
    char ns[72];     /* "-n govtech" or "-n <namespace>" */
    char rerun[200]; /* `ztprobe run ... --only NAME` */
} hint_parts_t;

/* Sentences the kinds share with the generic hints of agent/judge/hint.c (which fills the
 * parts and calls the kind's hint first). */
void hint_dns_unanswered(const hint_parts_t *p, const char *why, char *buf, size_t len);
void hint_generic(const result_t *r, const hint_parts_t *p, char *buf, size_t len);

/* A kind's hint: writes one sentence into buf and returns true when the kind has something
 * more precise than the generic hints of hint.c (which run when it returns false). */
typedef bool (*probe_hint_fn)(const result_t *r, const hint_parts_t *parts, char *buf, size_t len);

/* The transport a kind's packets use: what a NetworkPolicy port rule must name for them. */
typedef enum { PROBE_TRANSPORT_TCP, PROBE_TRANSPORT_UDP, PROBE_TRANSPORT_SCTP } probe_transport_t;

typedef struct probe_ops {
    const char *name; /* the config's "kind" */
    /* The runner resolves host (family, resolved_within) and hands start() an address.
     * false: the kind looks up names itself (dns). */
    bool resolves;
    /* The kind's transport is DNS itself: no answer means DNS egress is blocked (hints, the
     * dns_blocked diagnosis), and its deny probes say nothing about policy enforcement. */
    bool queries_dns;
    probe_transport_t transport;
    /* The port a url target means without one (http 80, https 443); 0: the kind has no url. */
    int default_port;
    probe_kind_t env_kind; /* the env slot it shares (https uses http's) */
    /* Deny judgement: outcomes that prove the path open (a deny fails on them), outcomes that
     * count as denied besides deny_outcomes, and whether deny_outcomes may list an open
     * outcome other than ok (a DNS firewall answering NXDOMAIN). */
    outcome_mask_t open;
    outcome_mask_t closed;
    bool open_listable;
    const char *const *keys; /* the kind's own config keys (NULL-terminated) */
    probe_parse_fn parse;
    void (*clear)(config_probe_t *p); /* optional: frees what parse put in p->kind_data */
    /* The report's target text ("host:port", the url, "name A @server"). */
    void (*target)(const config_probe_t *p, char *buf, size_t len);
    probe_hint_fn hint; /* optional */
    /* Optional: per-run state in env->kind_env[env_kind]. Returns 0, or -1 with err. */
    int (*env_init)(probe_env_t *env, char *err, size_t errlen);
    void (*env_cleanup)(probe_env_t *env);
    /* Optional session hooks, each called with every selected probe of every kind (a hook
     * skips the probes of other kinds): warn writes config warnings to stderr and returns how
     * many (validate, run); begin prepares the process before any attempt (the postgres
     * passwords captured, libpq's environment removed), -1 with err on failure (any other
     * value is success); end undoes it (at
     * the end of the session, also when begin never ran); diagnose appends the kind's
     * report-wide diagnoses about the config (result_diag_add). */
    size_t (*warn)(const config_probe_t *const *probes, size_t n, const char *role);
    int (*begin)(const config_probe_t *const *probes, size_t n, char *err, size_t errlen);
    void (*end)(void);
    void (*diagnose)(const config_probe_t *const *probes, size_t n, report_t *rep);
    /* Starts the attempt. May call probe_finish() synchronously (e.g. socket() failed). */
    void (*start)(probe_attempt_t *a);
    /* The deadline passed: stop all I/O, free priv, and set a->outcome/detail (timeout when
     * the path never answered, app_timeout after). Must not call probe_finish(). */
    void (*abort)(probe_attempt_t *a);
} probe_ops_t;

/* The kind table, indexed by probe_kind_t (probe.c). */
extern const probe_ops_t *const probe_kinds[KIND_COUNT];

/* The ops of kind, or NULL when out of range. */
const probe_ops_t *probe_ops_for(probe_kind_t kind);

/* The session hooks of every kind of the table, in table order (probe_ops_t.warn, begin,
 * end, diagnose). begin stops at the first error. */
size_t probe_kinds_warn(const config_probe_t *const *probes, size_t n, const char *role);
int probe_kinds_begin(const config_probe_t *const *probes, size_t n, char *err, size_t errlen);
void probe_kinds_end(void);
void probe_kinds_diagnose(const config_probe_t *const *probes, size_t n, report_t *rep);

/* The transport of kind (tcp for a kind out of range). */
probe_transport_t probe_kind_transport(probe_kind_t kind);

/* Does the kind query DNS as its transport (probe_ops_t.queries_dns)? false out of range. */
bool probe_kind_queries_dns(probe_kind_t kind);

/* Looks a kind up by its config name; returns 0 and sets *out, or -1. */
int probe_kind_parse(const char *name, probe_kind_t *out);

/* "tcp, http, ..." in table order, into buf. */
void probe_kind_list(char *buf, size_t len);

/* Does outcome o of a deny probe of this kind prove the path open (deny fails)? */
bool probe_breaks_deny(const probe_ops_t *ops, outcome_mask_t deny, outcome_t o);

/* Does outcome o of a deny probe of this kind count as denied? */
bool probe_denied(const probe_ops_t *ops, outcome_mask_t deny, outcome_t o);

/* The target formatter shared by kinds that connect to host:port ("[v6]:port" for IPv6). */
void probe_target_hostport(const config_probe_t *p, char *buf, size_t len);

/* Kinds whose attempt state is one socket (tcp, udp): the state struct starts with this. */
typedef struct {
    int fd;
} probe_sock_t;

/* Allocates the attempt's state (size bytes, starting with a probe_sock_t) into a->priv and
 * opens a non-blocking socket of type/proto for a->family in it. Returns the descriptor, or -1
 * after finishing the attempt (out of memory, socket() failed). */
int probe_sock_open(probe_attempt_t *a, size_t size, int type, int proto);

/* Unwatches and closes the socket and frees a->priv (idempotent). */
void probe_sock_close(probe_attempt_t *a);

/* probe_sock_close, then probe_finish(a, o, "what: strerror(err)"). */
void probe_sock_fail(probe_attempt_t *a, outcome_t o, const char *what, int err);

/* A non-blocking TCP connect to a->addr, for the kinds that speak TCP (tcp, tls): opens the
 * socket (state of size bytes, as probe_sock_open), then either calls connected(a) at once
 * (some local destinations), fails the attempt (a local filter's EPERM, ENETUNREACH), or
 * watches the socket with on_event, which calls probe_tcp_connect_done. */
void probe_tcp_connect(probe_attempt_t *a, size_t size, loop_fd_cb on_event,
                       void (*connected)(probe_attempt_t *a));

/* In on_event, once the socket is writable: true when the connect succeeded; else the attempt
 * has been failed with the connect's error (SO_ERROR) and false is returned. */
bool probe_tcp_connect_done(probe_attempt_t *a, int fd);

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
