/* postgres.c: the postgres probe: libpq 15's asynchronous connect and one query, driven by
 * the loop. The runner resolved the name already: libpq gets host (for TLS verify-full) and
 * hostaddr (so it never resolves again), and the loop's deadline, not connect_timeout, ends
 * a silent attempt. */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "pg_classify.h"
#include "pg_secret.h"
#include "postgres.h"
#include "probe.h"

#define PG_PASSWORD_FILE_MAX (64u * 1024u) /* a password file, whole */
#define PG_PASSWORD_MAX 1024 /* bytes of the first line of a password file, or of the env value */

typedef enum { PG_CONNECTING, PG_QUERYING } pg_phase_t;

typedef struct {
    PGconn *conn;
    int fd; /* the socket we watch; -1: none */
    pg_phase_t phase;
    bool tcp_connected;      /* sticky: a later reconnect (sslmode=prefer fallback) does not undo it */
    bool in_ssl;             /* the last status seen was CONNECTION_SSL_STARTUP */
    bool ssl_answer_checked; /* the one-byte answer to our SSLRequest was looked at */
    bool flushing;           /* the query is not fully sent yet */
    long rows;               /* counted, never kept: what a query returns stays out of reports */
    double t_start, t_tcp, t_query;
} pg_state_t;

/* Server NOTICE/WARNING messages would go to stderr by default; the report is the output. */
static void pg_notice_ignore(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int pg_probe_password(const config_probe_t *p, char *buf, size_t len, char *err, size_t errlen)
{
    int rc = -1;
    if (len < 2) {
        snprintf(err, errlen, "password buffer too small");
        goto done;
    }
    buf[0] = '\0';
    if (p->password_env) {
        const char *v = pg_secret_env(p->password_env); /* captured at session start */
        if (!v) {
            snprintf(err, errlen, "password_env %s is not set", p->password_env);
            goto done;
        }
        size_t n = strlen(v);
        if (n == 0) {
            snprintf(err, errlen, "password_env %s is empty", p->password_env);
            goto done;
        }
        if (n >= len) {
            snprintf(err, errlen, "password_env %s is longer than %zu bytes", p->password_env, len - 1);
            goto done;
        }
        memcpy(buf, v, n + 1);
        rc = 1;
        goto done;
    }
    if (!p->password_file) {
        rc = 0;
        goto done;
    }
    /* The shared capped reader: a regular file only (a FIFO would hang the loop); read(2),
     * not stdio, and every copy it makes is wiped. Only the first line is the password. */
    char *text = NULL, ferr[512];
    size_t got = 0;
    if (fileio_read_capped(p->password_file, PG_PASSWORD_FILE_MAX, &text, &got, ferr, sizeof(ferr)) !=
        ZT_OK) {
        snprintf(err, errlen, "password_file %s", ferr);
        goto done;
    }
    size_t line = strcspn(text, "\n");
    if (line >= len) {
        snprintf(err, errlen, "password_file %s: first line longer than %zu bytes", p->password_file,
                 len - 1);
    } else {
        memcpy(buf, text, line);
        buf[line] = '\0';
    }
    explicit_bzero(text, got);
    free(text);
    if (line >= len)
        goto done;
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
    if (n == 0) {
        snprintf(err, errlen, "password_file %s is empty", p->password_file);
        goto done;
    }
    rc = 1;
done:
    if (rc < 0)
        explicit_bzero(buf, len);
    return rc;
}

static void pg_close(probe_attempt_t *a)
{
    pg_state_t *st = a->priv;
    if (!st)
        return;
    /* PQfinish closes the socket: forget it in the loop first. */
    if (st->fd >= 0)
        loop_unwatch(a->env->loop, st->fd);
    PQfinish(st->conn);
    explicit_bzero(st, sizeof(*st));
    free(st);
    a->priv = NULL;
}

/* Ends the attempt. Nothing may touch a after this: done() may start the next attempt. */
static void pg_end(probe_attempt_t *a, outcome_t o, const char *detail)
{
    char d[RESULT_DETAIL_LEN];
    snprintf(d, sizeof(d), "%s", detail);
    pg_state_t *st = a->priv;
    if (st && st->conn)
        pg_classify_redact(d, sizeof(d), PQpass(st->conn));
    pg_close(a);
    probe_finish(a, o, "%s", d);
}

/* The connection failed (or libpq refused a call on it): classify PQerrorMessage. */
static void pg_fail_conn(probe_attempt_t *a)
{
    pg_state_t *st = a->priv;
    const char *msg = PQerrorMessage(st->conn);
    char d[RESULT_DETAIL_LEN];
    pg_classify_detail(msg, d, sizeof(d));
    pg_end(a, pg_classify_connect_error(msg, st->tcp_connected || st->phase == PG_QUERYING), d);
}

static void pg_fail_errno(probe_attempt_t *a, const char *what, int e)
{
    char d[RESULT_DETAIL_LEN];
    snprintf(d, sizeof(d), "%s: %s", what, strerror(e));
    pg_end(a, OUTCOME_ERROR, d);
}

static void pg_on_event(loop_t *loop, int fd, unsigned events, void *ud);

/* Watches libpq's current socket. It can change between polls (libpq reconnects for the
 * sslmode=prefer fallback); the old number is then closed or is the new socket itself, as
 * nothing else ran in between, so unwatching it cannot hit someone else's descriptor. */
static int pg_rewatch(probe_attempt_t *a, unsigned events)
{
    pg_state_t *st = a->priv;
    int fd = PQsocket(st->conn);
    if (st->fd >= 0 && st->fd != fd)
        loop_unwatch(a->env->loop, st->fd);
    st->fd = -1;
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if (loop_watch(a->env->loop, fd, events, pg_on_event, a) < 0)
        return -1;
    st->fd = fd;
    return 0;
}

/* Phase bookkeeping after each PQconnectPoll: PQstatus past CONNECTION_STARTED means the
 * TCP connect completed; leaving CONNECTION_SSL_STARTUP means the TLS handshake is done. */
static void pg_note_phase(probe_attempt_t *a)
{
    pg_state_t *st = a->priv;
    ConnStatusType s = PQstatus(st->conn);
    double now = loop_mono_ms();
    if (!st->tcp_connected && s != CONNECTION_STARTED && s != CONNECTION_NEEDED && s != CONNECTION_BAD) {
        st->tcp_connected = true;
        st->t_tcp = now;
        a->connect_ms = now - st->t_start;
        if (a->env->verbose)
            log_verbose("%s: postgres: TCP connected in %.1f ms", a->probe->name, a->connect_ms);
    }
    if (s == CONNECTION_SSL_STARTUP) {
        st->in_ssl = true;
    } else if (st->in_ssl) {
        /* Also kept when authentication fails next: the handshake itself completed. */
        st->in_ssl = false;
        if (PQsslInUse(st->conn))
            a->tls_ms = now - st->t_tcp;
    }
}

static void pg_step_query(probe_attempt_t *a, unsigned events)
{
    pg_state_t *st = a->priv;
    PGconn *conn = st->conn;
    if (st->flushing && (events & (LOOP_WRITE | LOOP_ERROR))) {
        int f = PQflush(conn);
        if (f < 0) {
            pg_fail_conn(a);
            return;
        }
        st->flushing = f == 1;
    }
    if (events & (LOOP_READ | LOOP_ERROR)) {
        if (!PQconsumeInput(conn)) {
            pg_fail_conn(a);
            return;
        }
        while (!PQisBusy(conn)) {
            PGresult *res = PQgetResult(conn);
            if (!res) {
                char d[RESULT_DETAIL_LEN];
                pg_classify_ok_detail(PQparameterStatus(conn, "server_version"), st->rows, d, sizeof(d));
                pg_end(a, OUTCOME_OK, d);
                return;
            }
            /* Timed at the first parsed result, not the first readable event: a TLS
             * session ticket or the tail of the startup exchange can wake us first. */
            if (a->first_byte_ms < 0)
                a->first_byte_ms = loop_mono_ms() - st->t_query;
            ExecStatusType rs = PQresultStatus(res);
            if (rs == PGRES_SINGLE_TUPLE || rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK) {
                /* Single-row mode ends with an empty TUPLES_OK; without it, all rows come at once. */
                st->rows += rs == PGRES_SINGLE_TUPLE ? 1 : PQntuples(res);
                PQclear(res);
                continue;
            }
            /* No SQLSTATE on a dead connection: libpq made this result itself ("server
             * closed the connection unexpectedly"), the server never judged the query. */
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            char d[RESULT_DETAIL_LEN];
            outcome_t o = OUTCOME_QUERY_FAILED;
            if (!state && PQstatus(conn) == CONNECTION_BAD) {
                const char *msg = PQresultErrorMessage(res);
                o = pg_classify_connect_error(msg, true);
                pg_classify_detail(msg, d, sizeof(d));
            } else if (rs == PGRES_FATAL_ERROR || rs == PGRES_NONFATAL_ERROR) {
                pg_classify_query_error(state, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY),
                                        PQresultErrorMessage(res), d, sizeof(d));
            } else {
                snprintf(d, sizeof(d), "query returned %s, not rows or a command status", PQresStatus(rs));
            }
            PQclear(res);
            pg_end(a, o, d);
            return;
        }
    }
    if (pg_rewatch(a, LOOP_READ | (st->flushing ? LOOP_WRITE : 0u)) < 0)
        pg_fail_errno(a, "epoll", errno);
}

static void pg_start_query(probe_attempt_t *a)
{
    pg_state_t *st = a->priv;
    PGconn *conn = st->conn;
    st->phase = PG_QUERYING;
    /* sslmode=prefer may have finished a handshake, been rejected, and retried in plain. */
    if (!PQsslInUse(conn))
        a->tls_ms = -1;
    if (a->env->verbose)
        log_verbose("%s: postgres: authenticated (%s), sending the query", a->probe->name,
                    PQsslInUse(conn) ? "TLS" : "no TLS");
    st->t_query = loop_mono_ms();
    if (PQsetnonblocking(conn, 1) != 0 ||
        !PQsendQuery(conn, a->probe->query ? a->probe->query : "SELECT 1")) {
        pg_fail_conn(a);
        return;
    }
    /* One row at a time: memory stays bounded whatever the query returns. */
    (void)PQsetSingleRowMode(conn);
    int f = PQflush(conn);
    if (f < 0) {
        pg_fail_conn(a);
        return;
    }
    st->flushing = f == 1;
    if (pg_rewatch(a, LOOP_READ | (st->flushing ? LOOP_WRITE : 0u)) < 0)
        pg_fail_errno(a, "epoll", errno);
}

static void pg_step_connect(probe_attempt_t *a)
{
    pg_state_t *st = a->priv;
    PostgresPollingStatusType r = PQconnectPoll(st->conn);
    pg_note_phase(a);
    unsigned ev;
    switch (r) {
    case PGRES_POLLING_OK: pg_start_query(a); return;
    case PGRES_POLLING_READING: ev = LOOP_READ; break;
    case PGRES_POLLING_WRITING: ev = LOOP_WRITE; break;
    default: pg_fail_conn(a); return;
    }
    if (pg_rewatch(a, ev) < 0)
        pg_fail_errno(a, "epoll", errno);
}

/* PostgreSQL answers an SSLRequest with one byte, 'S' or 'N', then waits for the client. More
 * bytes at once after an 'S' are another protocol that happens to start with it (an SSH
 * banner): libpq 15 would take the 'S' for "SSL accepted" and wait for a TLS answer until the
 * deadline, and the probe would say app_timeout where protocol_error is the truth. */
static bool pg_ssl_answer_foreign(int fd)
{
    unsigned char buf[8];
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
    return n > 1 && buf[0] == 'S';
}

static void pg_on_event(loop_t *loop, int fd, unsigned events, void *ud)
{
    (void)loop;
    probe_attempt_t *a = ud;
    pg_state_t *st = a->priv;
    if (!st)
        return;
    if (st->phase == PG_CONNECTING && !st->ssl_answer_checked && (events & LOOP_READ) &&
        PQstatus(st->conn) == CONNECTION_SSL_STARTUP && !PQsslInUse(st->conn)) {
        st->ssl_answer_checked = true;
        if (pg_ssl_answer_foreign(fd)) {
            pg_end(a, OUTCOME_PROTOCOL_ERROR,
                   "the server answered the SSL request with more than one byte: not PostgreSQL");
            return;
        }
    }
    if (st->phase == PG_CONNECTING)
        pg_step_connect(a);
    else
        pg_step_query(a, events);
}

static void pg_probe_start(probe_attempt_t *a)
{
    const config_probe_t *p = a->probe;
    a->connect_ms = a->tls_ms = a->first_byte_ms = -1;
    pg_state_t *st = calloc(1, sizeof(*st));
    if (!st) {
        probe_finish(a, OUTCOME_ERROR, "out of memory");
        return;
    }
    st->fd = -1;
    a->priv = st;

    /* libpq drops empty values and would then resolve host itself, behind c-ares' back. */
    if (!a->addr_str[0] || !p->host) {
        pg_end(a, OUTCOME_ERROR, "postgres: no resolved address or host");
        return;
    }
    char pw[PG_PASSWORD_MAX + 1];
    char err[RESULT_DETAIL_LEN];
    /* A deny probe never reads nor sends the password (docs/security.md). */
    int has_pw = pg_classify_sends_password(p) ? pg_probe_password(p, pw, sizeof(pw), err, sizeof(err)) : 0;
    if (has_pw < 0) {
        a->facts |= p->password_env ? RESULT_FACT_PASSWORD_ENV : RESULT_FACT_PASSWORD_FILE;
        pg_end(a, OUTCOME_ERROR, err);
        return;
    }
    const char *kw[PG_PARAMS_MAX + 1], *val[PG_PARAMS_MAX + 1];
    char port[16];
    pg_classify_params(p, a->env->cfg ? config_probe_ca_file(a->env->cfg, p) : NULL, a->addr_str,
                       has_pw > 0 ? pw : NULL, port, sizeof(port), kw, val);

    st->t_start = loop_mono_ms();
    st->conn = PQconnectStartParams(kw, val, 0);
    explicit_bzero(pw, sizeof(pw));
    if (!st->conn) {
        pg_end(a, OUTCOME_ERROR, "libpq: out of memory");
        return;
    }
    PQsetNoticeProcessor(st->conn, pg_notice_ignore, NULL);
    if (PQstatus(st->conn) == CONNECTION_BAD) {
        /* connect() failed at once (a local filter, no route), or a parameter was refused. */
        pg_note_phase(a);
        pg_fail_conn(a);
        return;
    }
    pg_note_phase(a);
    /* libpq's contract after PQconnectStart: wait until the socket is writable, then poll. */
    if (pg_rewatch(a, LOOP_WRITE) < 0)
        pg_fail_errno(a, "epoll", errno);
}

static const char *pg_waiting_for(const pg_state_t *st)
{
    if (st->phase == PG_QUERYING)
        return "the query result";
    switch (PQstatus(st->conn)) {
    case CONNECTION_MADE: return "the startup exchange";
    case CONNECTION_SSL_STARTUP: return "SSL negotiation";
    case CONNECTION_AWAITING_RESPONSE: return "authentication";
    case CONNECTION_STARTED:
    case CONNECTION_NEEDED: return "a reconnect";
    default: return "session setup";
    }
}

static void pg_probe_abort(probe_attempt_t *a)
{
    pg_state_t *st = a->priv;
    if (!st) {
        a->outcome = OUTCOME_ERROR;
        snprintf(a->detail, sizeof(a->detail), "postgres: aborted without state");
        return;
    }
    if (st->tcp_connected || st->phase == PG_QUERYING) {
        a->outcome = OUTCOME_APP_TIMEOUT;
        snprintf(a->detail, sizeof(a->detail),
                 "TCP connected, but no answer from PostgreSQL within %d ms (waiting for %s)", a->timeout_ms,
                 pg_waiting_for(st));
    } else {
        a->outcome = OUTCOME_TIMEOUT;
        snprintf(a->detail, sizeof(a->detail), "no answer to TCP SYN within %d ms", a->timeout_ms);
    }
    pg_close(a);
}

const probe_ops_t pg_probe_ops = {
    .name = "postgres",
    .resolves = true,
    .env_kind = KIND_POSTGRES,
    .open = OUTCOME_CONNECTED,
    .keys = pg_config_keys,
    .parse = pg_config_parse,
    .target = probe_target_hostport,
    .hint = pg_hint,
    .warn = pg_secret_warn,
    .begin = pg_secret_begin,
    .end = pg_secret_end,
    .diagnose = pg_diagnose,
    .start = pg_probe_start,
    .abort = pg_probe_abort,
};
