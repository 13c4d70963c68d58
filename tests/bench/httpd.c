/* httpd.c: the benchmark's listener. One thread, epoll, non-blocking: it answers every HTTP
 * request with 200 {"status":"healthy"} and Connection: close, and closes a connection that
 * ends without a request (a TCP probe). The lab's own servers start a Python thread per
 * connection and drop SYNs past a few thousand at once; with this one in the pod, the scaling
 * series measures the probing tools, not the server.
 *
 * Usage: httpd --bind ADDR --port-file FILE [--port N] [--max-seconds S]
 * The port it got (N, default 0: any) is written to FILE atomically. Runs until SIGTERM/SIGINT
 * or S seconds (default 1800), so a forgotten listener does not outlive its bench for long. */
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

static int serve(int ls, int ep, time_t deadline)
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
            if (fd != ls) {
                conn_read(ep, fd);
                continue;
            }
            for (;;) {
                int c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
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

static int write_port(const char *path, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

int main(int argc, char **argv)
{
    const char *bind_addr = NULL, *port_file = NULL;
    long port = 0, max_s = 1800;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--bind") == 0)
            bind_addr = argv[i + 1];
        else if (strcmp(argv[i], "--port-file") == 0)
            port_file = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            port = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--max-seconds") == 0)
            max_s = strtol(argv[i + 1], NULL, 10);
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (!bind_addr || !port_file || port < 0 || port > 65535 || max_s <= 0 ||
        inet_pton(AF_INET, bind_addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "usage: httpd --bind IPV4 --port-file FILE [--port N] [--max-seconds S]\n");
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

    int rc = 1, one = 1, ep = -1;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof(sa);
    if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 65535) < 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &len) < 0) {
        perror("httpd: listen");
        goto out;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0) {
        perror("httpd: epoll");
        goto out;
    }
    if (write_port(port_file, ntohs(sa.sin_port)) != 0) {
        perror("httpd: port file");
        goto out;
    }
    rc = serve(ls, ep, time(NULL) + max_s);
out:
    if (ep >= 0)
        close(ep);
    if (ls >= 0)
        close(ls);
    free(matched);
    return rc;
}
