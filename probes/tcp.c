/* tcp.c: the tcp probe: one non-blocking connect(). Established = ok; the verdict layer turns
 * that into "the path is open". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config_json.h"
#include "probe.h"

typedef struct {
    int fd;
} tcp_state_t;

static void tcp_close(probe_attempt_t *a)
{
    tcp_state_t *st = a->priv;
    if (!st)
        return;
    if (st->fd >= 0) {
        loop_unwatch(a->env->loop, st->fd);
        close(st->fd);
    }
    free(st);
    a->priv = NULL;
}

static void tcp_on_event(loop_t *loop, int fd, unsigned events, void *ud)
{
    (void)loop;
    (void)events;
    probe_attempt_t *a = ud;
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        soerr = errno;
    a->connect_ms = probe_elapsed_ms(a) - (a->dns_ms > 0 ? a->dns_ms : 0);
    tcp_close(a);
    if (soerr == 0) {
        probe_finish(a, OUTCOME_OK, "connected to %s", a->addr_str);
        return;
    }
    a->connect_ms = -1;
    probe_finish(a, probe_outcome_from_errno(soerr), "connect: %s", strerror(soerr));
}

static void tcp_start(probe_attempt_t *a)
{
    tcp_state_t *st = calloc(1, sizeof(*st));
    if (!st) {
        probe_finish(a, OUTCOME_ERROR, "out of memory");
        return;
    }
    st->fd = -1;
    a->priv = st;
    int fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0) {
        int e = errno;
        tcp_close(a);
        probe_finish(a, OUTCOME_ERROR, "socket: %s", strerror(e));
        return;
    }
    st->fd = fd;
    if (connect(fd, (const struct sockaddr *)&a->addr, a->addrlen) == 0) {
        /* Possible for some local destinations: connected at once. */
        a->connect_ms = probe_elapsed_ms(a) - (a->dns_ms > 0 ? a->dns_ms : 0);
        tcp_close(a);
        probe_finish(a, OUTCOME_OK, "connected to %s", a->addr_str);
        return;
    }
    int e = errno;
    if (e != EINPROGRESS) {
        /* A local filter (EPERM) or a missing route (ENETUNREACH) answers synchronously. */
        tcp_close(a);
        probe_finish(a, probe_outcome_from_errno(e), "connect: %s", strerror(e));
        return;
    }
    if (loop_watch(a->env->loop, fd, LOOP_WRITE, tcp_on_event, a) < 0) {
        e = errno;
        tcp_close(a);
        probe_finish(a, OUTCOME_ERROR, "epoll: %s", strerror(e));
    }
}

static void tcp_abort(probe_attempt_t *a)
{
    tcp_close(a);
    a->outcome = OUTCOME_TIMEOUT;
    snprintf(a->detail, sizeof(a->detail), "no answer to TCP SYN within %d ms", a->timeout_ms);
}

static const char *const tcp_keys[] = {"host", "port", NULL};

static int tcp_parse(struct config_ctx *cx, const cJSON *o, const char *path, config_probe_t *p)
{
    char fp[CONFIG_PATH_LEN];
    const cJSON *v;
    if (!(v = config_json_field(o, path, "host", fp)))
        return config_json_fail(cx, fp, "required for kind tcp");
    if (config_probe_host(cx, v, fp, p) != 0)
        return -1;
    if (!(v = config_json_field(o, path, "port", fp)))
        return config_json_fail(cx, fp, "required for kind tcp");
    return config_json_int(cx, v, fp, 1, 65535, &p->port);
}

const probe_ops_t tcp_probe_ops = {
    .name = "tcp",
    .resolves = true,
    .env_kind = KIND_TCP,
    .open = PROBE_TCP_OPEN,
    .keys = tcp_keys,
    .parse = tcp_parse,
    .target = probe_target_hostport,
    .start = tcp_start,
    .abort = tcp_abort,
};
