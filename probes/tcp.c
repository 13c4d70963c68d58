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
    if (probe_tcp_connect_done(a, fd))
        tcp_connected(a);
}

static void tcp_start(probe_attempt_t *a)
{
    probe_tcp_connect(a, sizeof(probe_sock_t), tcp_on_event, tcp_connected);
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
