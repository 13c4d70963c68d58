/* udp.c: the udp probe kind: one connected UDP socket per attempt on the run's loop. It sends
 * the payload and waits for one datagram; ICMP errors come from the socket's error queue
 * (IP_RECVERR / IPV6_RECVERR), which needs no capability, so a reject is told apart from a
 * drop: port unreachable is refused, host/net/admin unreachable is unreachable, silence is
 * timeout. A reply proves the path open. */
#include "udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <time.h> /* before linux/errqueue.h, which uses struct timespec */
#include <linux/errqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config_json.h"
#include "ipaddr.h"
#include "probe.h"

/* The kind's own config keys (config_probe_t.kind_data). */
typedef struct {
    unsigned char *send;
    size_t send_len;
    unsigned char *expect; /* NULL: "any" */
    size_t expect_len;
} udp_cfg_t;

typedef struct {
    probe_sock_t sock; /* first: probe_sock_open/close */
    double sent_ms;
} udp_state_t;

/* One receive buffer for every attempt: the loop is single-threaded and a datagram is read
 * and judged in one callback, so no probe holds 64 KiB of its own. */
static unsigned char udp_rx[UDP_PAYLOAD_MAX];

long udp_unescape(const char *s, unsigned char *out, size_t cap, char *err, size_t errlen)
{
    size_t n = 0;
    for (size_t i = 0; s[i]; i++) {
        unsigned c = (unsigned char)s[i];
        if (c == '\\') {
            if (s[i + 1] == '\\') {
                i++;
            } else if (s[i + 1] == 'x') {
                unsigned v = 0;
                for (int k = 2; k <= 3; k++) {
                    char h = s[i + (size_t)k];
                    unsigned d = h >= '0' && h <= '9' ? (unsigned)(h - '0')
                        : h >= 'a' && h <= 'f'        ? (unsigned)(h - 'a' + 10)
                        : h >= 'A' && h <= 'F'        ? (unsigned)(h - 'A' + 10)
                                                      : 16u;
                    if (d > 15) {
                        snprintf(err, errlen, "bad escape at byte %zu: \\x needs two hex digits", i);
                        return -1;
                    }
                    v = v * 16 + d;
                }
                c = v;
                i += 3;
            } else {
                snprintf(err, errlen, "bad escape at byte %zu: only \\xNN and \\\\ are escapes", i);
                return -1;
            }
        }
        if (n >= cap) {
            snprintf(err, errlen, "longer than %zu bytes", cap);
            return -1;
        }
        out[n++] = (unsigned char)c;
    }
    return (long)n;
}

outcome_t udp_icmp_outcome(int origin, int type, int code, bool *ignore)
{
    *ignore = false;
    if (origin == SO_EE_ORIGIN_ICMP) {
        if (type == 3 && code == 3)
            return OUTCOME_REFUSED;
        if (type == 3 && code == 4) { /* fragmentation needed: path MTU, not a verdict */
            *ignore = true;
            return OUTCOME_ERROR;
        }
        if (type == 3 || type == 11) /* net, host, admin-prohibited ...; TTL exceeded */
            return OUTCOME_UNREACHABLE;
    } else if (origin == SO_EE_ORIGIN_ICMP6) {
        if (type == 1 && code == 4)
            return OUTCOME_REFUSED;
        if (type == 2) { /* packet too big */
            *ignore = true;
            return OUTCOME_ERROR;
        }
        if (type == 1 || type == 3)
            return OUTCOME_UNREACHABLE;
    }
    *ignore = true; /* a local error (e.g. EMSGSIZE): the socket's errno tells the rest */
    return OUTCOME_ERROR;
}

bool udp_reply_matches(const unsigned char *reply, size_t n, const unsigned char *expect, size_t elen)
{
    if (!expect)
        return true;
    return elen == 0 || (n >= elen && memmem(reply, n, expect, elen) != NULL);
}

/* Reads one ICMP error from the error queue: 1 with *o set, 0 when the queue held nothing that
 * decides, -1 when it was empty. */
static int udp_read_errqueue(probe_attempt_t *a, int fd, outcome_t *o)
{
    char ctrl[512];
    struct sockaddr_storage from;
    struct msghdr msg = {
        .msg_name = &from, .msg_namelen = sizeof(from), .msg_control = ctrl, .msg_controllen = sizeof(ctrl)};
    if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
        return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
              (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)))
            continue;
        struct sock_extended_err ee;
        memcpy(&ee, CMSG_DATA(c), sizeof(ee));
        bool ignore;
        outcome_t out = udp_icmp_outcome(ee.ee_origin, ee.ee_type, ee.ee_code, &ignore);
        if (ignore)
            continue;
        char who[IP_ADDR_TEXT_LEN] = "?";
        ip_addr_t off;
        if (ip_addr_from_sockaddr(SO_EE_OFFENDER((struct sock_extended_err *)CMSG_DATA(c)), &off))
            ip_addr_format(&off, who);
        snprintf(a->detail, sizeof(a->detail), "ICMP%s type %u code %u from %s (%s)",
                 ee.ee_origin == SO_EE_ORIGIN_ICMP6 ? "v6" : "", ee.ee_type, ee.ee_code, who,
                 out == OUTCOME_REFUSED ? "port unreachable" : "unreachable");
        *o = out;
        return 1;
    }
    return 0;
}

static void udp_on_event(loop_t *loop, int fd, unsigned events, void *ud)
{
    (void)loop;
    (void)events;
    probe_attempt_t *a = ud;
    udp_state_t *st = a->priv;
    const udp_cfg_t *uc = a->probe->kind_data;
    outcome_t o;
    int r;
    /* ICMP errors first: they say who answered and why. */
    while ((r = udp_read_errqueue(a, fd, &o)) >= 0) {
        if (r == 1) {
            probe_sock_close(a);
            probe_finish(a, o, NULL);
            return;
        }
    }
    ssize_t n = recv(fd, udp_rx, sizeof(udp_rx), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
        int e = errno;
        if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)
            return; /* spurious wake-up: keep waiting for the deadline */
        probe_sock_fail(a, probe_outcome_from_errno(e), "recv", e);
        return;
    }
    size_t got = (size_t)n > sizeof(udp_rx) ? sizeof(udp_rx) : (size_t)n;
    a->first_byte_ms = loop_mono_ms() - st->sent_ms;
    probe_sock_close(a);
    if (udp_reply_matches(udp_rx, got, uc ? uc->expect : NULL, uc ? uc->expect_len : 0))
        probe_finish(a, OUTCOME_OK, "reply of %zd bytes from %s", n, a->addr_str);
    else
        probe_finish(a, OUTCOME_BODY_MISMATCH, "reply of %zd bytes from %s without expect_reply", n,
                     a->addr_str);
}

static void udp_start(probe_attempt_t *a)
{
    const udp_cfg_t *uc = a->probe->kind_data;
    int one = 1;
    int fd = probe_sock_open(a, sizeof(udp_state_t), SOCK_DGRAM, IPPROTO_UDP);
    if (fd < 0)
        return;
    if (a->family == AF_INET6 ? setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &one, sizeof(one))
                              : setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one))) {
        probe_sock_fail(a, OUTCOME_ERROR, "IP_RECVERR", errno);
        return;
    }
    if (connect(fd, (const struct sockaddr *)&a->addr, a->addrlen) < 0) {
        probe_sock_fail(a, probe_outcome_from_errno(errno), "connect", errno);
        return;
    }
    ((udp_state_t *)a->priv)->sent_ms = loop_mono_ms();
    if (send(fd, uc && uc->send ? uc->send : (const unsigned char *)"", uc ? uc->send_len : 0, 0) < 0) {
        /* A local filter (EPERM) or a missing route answers at once. */
        probe_sock_fail(a, probe_outcome_from_errno(errno), "send", errno);
        return;
    }
    if (loop_watch(a->env->loop, fd, LOOP_READ, udp_on_event, a) < 0)
        probe_sock_fail(a, OUTCOME_ERROR, "epoll", errno);
}

static void udp_abort(probe_attempt_t *a)
{
    probe_sock_close(a);
    a->outcome = OUTCOME_TIMEOUT;
    snprintf(a->detail, sizeof(a->detail), "no UDP reply within %d ms", a->timeout_ms);
}

/* ---- config ----------------------------------------------------------------------------- */

static const char *const udp_keys[] = {"host", "port", "send", "expect_reply", NULL};

static void udp_clear(config_probe_t *p)
{
    udp_cfg_t *uc = p->kind_data;
    if (!uc)
        return;
    free(uc->send);
    free(uc->expect);
    free(uc);
    p->kind_data = NULL;
}

static int udp_bytes(struct config_ctx *cx, const cJSON *v, const char *fp, unsigned char **out, size_t *len)
{
    char *text = NULL, err[128];
    /* Four characters per escaped byte at most. */
    if (config_json_str(cx, v, fp, 4 * UDP_PAYLOAD_MAX, &text) != 0)
        return -1;
    unsigned char *buf = malloc(strlen(text) + 1);
    if (!buf) {
        free(text);
        return config_json_oom(cx);
    }
    long n = udp_unescape(text, buf, UDP_PAYLOAD_MAX, err, sizeof(err));
    free(text);
    if (n < 0) {
        free(buf);
        return config_json_fail(cx, fp, "%s", err);
    }
    *out = buf;
    *len = (size_t)n;
    return 0;
}

static int udp_parse(struct config_ctx *cx, const cJSON *o, const char *path, config_probe_t *p)
{
    char fp[CONFIG_PATH_LEN];
    const cJSON *v;
    udp_cfg_t *uc = calloc(1, sizeof(*uc));
    if (!uc)
        return config_json_oom(cx);
    p->kind_data = uc;
    if (config_probe_host_port(cx, o, path, p) != 0)
        return -1;
    if ((v = config_json_field(o, path, "send", fp)) && udp_bytes(cx, v, fp, &uc->send, &uc->send_len) != 0)
        return -1;
    if ((v = config_json_field(o, path, "expect_reply", fp)) &&
        !(cJSON_IsString(v) && strcmp(v->valuestring, "any") == 0) &&
        udp_bytes(cx, v, fp, &uc->expect, &uc->expect_len) != 0)
        return -1;
    return 0;
}

/* ---- hint ------------------------------------------------------------------------------- */

#define HINT(...) snprintf(buf, len, __VA_ARGS__)

static bool udp_hint(const result_t *r, const hint_parts_t *p, char *buf, size_t len)
{
    if (r->expect == EXPECT_DENY && r->verdict == VERDICT_INCONCLUSIVE && r->outcome == OUTCOME_REFUSED) {
        HINT("%s answered ICMP port unreachable, which proves neither way: a policy rejected the "
             "datagram (add \"refused\" to deny_outcomes if your CNI rejects instead of dropping) "
             "or nothing listens on UDP port %s (check `kubectl get endpoints %s`).",
             p->endpoint, p->port, p->ns);
        return true;
    }
    /* A DNS server that answers a deny probe: the classic cause is a DNS egress rule with
     * ports 53 and no `to`, which lets every pod use any resolver (and tunnel through it). */
    if (r->expect == EXPECT_DENY && r->verdict == VERDICT_FAIL && strcmp(p->port, "53") == 0) {
        HINT("A DNS server at %s answered (%s), so pods can use any resolver: a DNS egress "
             "rule has port 53 and no `to` (limit it to podSelector k8s-app: kube-dns in "
             "namespace kube-system), or the CNI does not enforce NetworkPolicy; see `kubectl "
             "describe networkpolicy %s`.",
             p->endpoint, outcome_name(r->outcome), p->ns);
        return true;
    }
    if (r->expect != EXPECT_ALLOW)
        return false;
    switch (r->outcome) {
    case OUTCOME_TIMEOUT:
        HINT("No UDP reply from %s: a policy drops UDP port %s (the egress rule is missing, or "
             "lists the port for TCP only: UDP needs protocol: UDP), or the service ignores this "
             "payload; check `kubectl describe networkpolicy %s` and the send key.",
             p->endpoint, p->port, p->ns);
        return true;
    case OUTCOME_REFUSED:
        HINT("%s answered ICMP port unreachable: nothing listens on UDP port %s or the Service "
             "has no ready endpoints; check `kubectl get endpoints %s` and the container's UDP "
             "port.",
             p->endpoint, p->port, p->ns);
        return true;
    case OUTCOME_BODY_MISMATCH:
        HINT("%s replied, so the UDP path is open, but not with expect_reply: check the send "
             "payload and expect_reply against what the service answers.",
             p->endpoint);
        return true;
    default: return false;
    }
}

const probe_ops_t udp_probe_ops = {
    .name = "udp",
    .transport = PROBE_TRANSPORT_UDP,
    .resolves = true,
    .env_kind = KIND_UDP,
    .open = OUTCOME_BIT(OUTCOME_OK) | OUTCOME_BIT(OUTCOME_BODY_MISMATCH), /* a reply came back */
    .keys = udp_keys,
    .parse = udp_parse,
    .clear = udp_clear,
    .target = probe_target_hostport,
    .hint = udp_hint,
    .start = udp_start,
    .abort = udp_abort,
};
