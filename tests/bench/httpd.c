/* httpd.c: the benchmark's listener. One thread, epoll, non-blocking: it answers every HTTP
 * request with 200 {"status":"healthy"} and Connection: close, and closes a connection that
 * ends without a request (a TCP probe). The lab's own servers start a Python thread per
 * connection and drop SYNs past a few thousand at once; with this one in the pod, the scaling
 * series measures the probing tools, not the server.
 *
 * Usage: httpd --bind ADDR --port-file FILE [--listeners K] [--max-seconds S]
 * It listens on K ports (default 1, each one the kernel picks) and writes them to FILE
 * atomically, space-separated. Several ports, because thousands of connects a second to one
 * address and port fill that 4-tuple space with TIME_WAIT within a few runs. Runs until
 * SIGTERM/SIGINT or S seconds (default 1800), so a forgotten listener does not outlive its
 * bench for long. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BODY "{\"status\":\"healthy\"}"
#define MAX_LISTENERS 64
static const char RESPONSE[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Content-Length: 20\r\nConnection: close\r\n\r\n" BODY;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* Per descriptor: how many bytes of "\r\n\r\n" the stream has matched so far. */
static unsigned char *matched;
static size_t n_matched;

static void conn_close(int ep, int fd)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
    close(fd);
}

static void conn_read(int ep, int fd)
{
    static const char end[] = "\r\n\r\n";
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            conn_close(ep, fd);
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; /* EAGAIN: the rest of the request comes later */
        }
        for (ssize_t i = 0; i < n; i++) {
            unsigned char m = matched[fd];
            m = buf[i] == end[m] ? (unsigned char)(m + 1) : (buf[i] == '\r' ? 1 : 0);
            matched[fd] = m;
            if (m == 4) {
                /* Small enough for one write into an empty socket buffer. */
                if (write(fd, RESPONSE, sizeof(RESPONSE) - 1) < 0) {
                    /* the client left: nothing to tell */
                }
                conn_close(ep, fd);
                return;
            }
        }
    }
}

static int is_listener(const int *ls, int n, int fd)
{
    for (int i = 0; i < n; i++)
        if (ls[i] == fd)
            return 1;
    return 0;
}

static int serve(const int *ls, int n_ls, int ep, time_t deadline)
{
    struct epoll_event evs[256];
    while (!stop && time(NULL) < deadline) {
        int n = epoll_wait(ep, evs, 256, 500);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("httpd: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (!is_listener(ls, n_ls, fd)) {
                conn_read(ep, fd);
                continue;
            }
            for (;;) {
                int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (c < 0)
                    break; /* EAGAIN, or out of descriptors: retried on the next event */
                if ((size_t)c >= n_matched) {
                    close(c);
                    continue;
                }
                matched[c] = 0;
                struct epoll_event ev = {.events = EPOLLIN, .data.fd = c};
                if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0)
                    close(c);
            }
        }
    }
    return 0;
}

static int write_ports(const char *path, const int *ports, int n)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    for (int i = 0; i < n; i++)
        fprintf(f, "%d%c", ports[i], i + 1 < n ? ' ' : '\n');
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

int main(int argc, char **argv)
{
    const char *bind_addr = NULL, *port_file = NULL;
    long n_ls = 1, max_s = 1800;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--bind") == 0)
            bind_addr = argv[i + 1];
        else if (strcmp(argv[i], "--port-file") == 0)
            port_file = argv[i + 1];
        else if (strcmp(argv[i], "--listeners") == 0)
            n_ls = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--max-seconds") == 0)
            max_s = strtol(argv[i + 1], NULL, 10);
    }
    struct in_addr addr;
    if (!bind_addr || !port_file || n_ls < 1 || n_ls > MAX_LISTENERS || max_s <= 0 ||
        inet_pton(AF_INET, bind_addr, &addr) != 1) {
        fprintf(stderr,
                "usage: httpd --bind IPV4 --port-file FILE [--listeners 1..%d] "
                "[--max-seconds S]\n",
                MAX_LISTENERS);
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1u << 20)
        rl.rlim_cur = 1u << 20;
    n_matched = rl.rlim_cur;
    if (!(matched = calloc(n_matched, 1))) {
        fprintf(stderr, "httpd: out of memory\n");
        return 3;
    }
    struct sigaction sig = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sig, NULL);
    sigaction(SIGINT, &sig, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = 1, one = 1, ep = -1, ls[MAX_LISTENERS], ports[MAX_LISTENERS], n = 0;
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        perror("httpd: epoll");
        goto out;
    }
    for (; n < (int)n_ls; n++) {
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = addr};
        socklen_t len = sizeof(sa);
        struct epoll_event ev = {.events = EPOLLIN};
        ls[n] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (ls[n] < 0)
            break;
        ev.data.fd = ls[n];
        if (setsockopt(ls[n], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(ls[n], (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls[n], 65535) < 0 ||
            getsockname(ls[n], (struct sockaddr *)&sa, &len) < 0 ||
            epoll_ctl(ep, EPOLL_CTL_ADD, ls[n], &ev) < 0) {
            close(ls[n]);
            break;
        }
        ports[n] = ntohs(sa.sin_port);
    }
    if (n < (int)n_ls) {
        perror("httpd: listen");
        goto out;
    }
    if (write_ports(port_file, ports, n) != 0) {
        perror("httpd: port file");
        goto out;
    }
    rc = serve(ls, n, ep, time(NULL) + max_s);
out:
    for (int i = 0; i < n; i++)
        close(ls[i]);
    if (ep >= 0)
        close(ep);
    free(matched);
    return rc;
}
