/* tcp.c: the tcp probe: one non-blocking connect(). Established = ok; the verdict layer turns
 * that into "the path is open". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "config_json.h"
#include "probe.h"

/* The connect time excludes the name lookup, which dns_ms reports. */
static void tcp_connected(probe_attempt_t *a)
{
    a->connect_ms = probe_elapsed_ms(a) - (a->dns_ms > 0 ? a->dns_ms : 0);
    probe_sock_close(a);
    probe_finish(a, OUTCOME_OK, "connected to %s", a->addr_str);
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
    if (soerr != 0) {
        probe_sock_fail(a, probe_outcome_from_errno(soerr), "connect", soerr);
        return;
    }
    tcp_connected(a);
}

static void tcp_start(probe_attempt_t *a)
{
    int fd = probe_sock_open(a, sizeof(probe_sock_t), SOCK_STREAM, IPPROTO_TCP);
    if (fd < 0)
        return;
    if (connect(fd, (const struct sockaddr *)&a->addr, a->addrlen) == 0) {
        /* Possible for some local destinations: connected at once. */
        tcp_connected(a);
        return;
    }
    int e = errno;
    if (e != EINPROGRESS) {
        /* A local filter (EPERM) or a missing route (ENETUNREACH) answers synchronously. */
        probe_sock_fail(a, probe_outcome_from_errno(e), "connect", e);
        return;
    }
    if (loop_watch(a->env->loop, fd, LOOP_WRITE, tcp_on_event, a) < 0)
        probe_sock_fail(a, OUTCOME_ERROR, "epoll", errno);
}

static void tcp_abort(probe_attempt_t *a)
{
    probe_sock_close(a);
    a->outcome = OUTCOME_TIMEOUT;
    snprintf(a->detail, sizeof(a->detail), "no answer to TCP SYN within %d ms", a->timeout_ms);
}

static const char *const tcp_keys[] = {"host", "port", NULL};

const probe_ops_t tcp_probe_ops = {
    .name = "tcp",
    .resolves = true,
    .env_kind = KIND_TCP,
    .open = OUTCOME_CONNECTED,
    .keys = tcp_keys,
    .parse = config_probe_host_port,
    .target = probe_target_hostport,
    .start = tcp_start,
    .abort = tcp_abort,
};
