/* http.c: the http and https probe kinds: one libcurl easy handle per attempt, all of them in
 * one multi handle that the project's event loop drives through the multi *socket* API.
 * The judging of what libcurl reports lives in http_classify.c. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_classify.h"
#include "log.h"
#include "probe.h"

#ifndef ZT_VERSION
#define ZT_VERSION "0.0.0"
#endif

/* libcurl's own timeouts are only a backstop: the runner's deadline timer decides, and calls
 * abort() with the phase reached. */
#define HTTP_BACKSTOP_MS 1000L
#define HTTP_MAX_REDIRS 5L

typedef struct http_xfer http_xfer_t;

/* Per run (env->http). */
typedef struct {
    CURLM *multi;
    loop_t *loop;
    loop_timer_t timer;      /* libcurl's single timeout */
    http_xfer_t **owner;     /* indexed by fd: the attempt whose socket it is (O(1) lookup) */
    size_t n_owner;
} http_env_t;

/* Per attempt (a->priv). */
struct http_xfer {
    probe_attempt_t *a;
    http_env_t *h;
    CURL *easy;
    int fd;                  /* our socket, -1 when none is open */
    double sock_t0;          /* loop_mono_ms() when it was created */
    bool tcp_connected;
    double tcp_connect_ms;
    int watch_errno;         /* loop_watch failed: the transfer stalled (reported by abort) */
    struct curl_slist *headers;
    struct curl_slist *resolve;
    char errbuf[CURL_ERROR_SIZE];
    char *body;              /* kept prefix, only when body_contains is set */
    size_t body_len, body_cap;
    unsigned long long body_bytes;
    bool keep_body;
    bool cap_hit;
};

static void http_xfer_free(http_xfer_t *x)
{
    if (x == NULL)
        return;
    if (x->easy != NULL)
        curl_easy_cleanup(x->easy);
    /* libcurl closes its sockets through http_close_socket; this is only a safety net. */
    if (x->fd >= 0 && (size_t)x->fd < x->h->n_owner && x->h->owner[x->fd] == x)
        x->h->owner[x->fd] = NULL;
    curl_slist_free_all(x->headers);
    curl_slist_free_all(x->resolve);
    free(x->body);
    free(x);
}

/* ---- the loop <-> libcurl glue ---------------------------------------------------------- */

static void http_drain(http_env_t *h);

/* Notes the moment the TCP handshake of an attempt's socket completed. getpeername() does not
 * consume SO_ERROR, which libcurl still has to read to see a refused connect. */
static void http_note_connected(http_xfer_t *x)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;

    if (x->tcp_connected || x->fd < 0)
        return;
    if (getpeername(x->fd, (struct sockaddr *)&ss, &sl) == 0) {
        x->tcp_connected = true;
        x->tcp_connect_ms = loop_mono_ms() - x->sock_t0;
    }
}

static void http_on_fd(loop_t *loop, int fd, unsigned events, void *ud)
{
    http_env_t *h = ud;
    int flags = 0, running = 0;

    (void)loop;
    if ((size_t)fd < h->n_owner && h->owner[fd] != NULL)
        http_note_connected(h->owner[fd]);
    if (events & LOOP_READ)
        flags |= CURL_CSELECT_IN;
    if (events & LOOP_WRITE)
        flags |= CURL_CSELECT_OUT;
    if (events & LOOP_ERROR)
        flags |= CURL_CSELECT_ERR;
    curl_multi_socket_action(h->multi, fd, flags, &running);
    http_drain(h);
}

static void http_on_timer(loop_t *loop, void *ud)
{
    http_env_t *h = ud;
    int running = 0;

    (void)loop;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    http_drain(h);
}

/* CURLMOPT_SOCKETFUNCTION: libcurl says which descriptor it wants watched for what. */
static int http_on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    http_env_t *h = userp;
    http_xfer_t *x = (size_t)s < h->n_owner ? h->owner[s] : NULL;
    unsigned ev = 0;

    (void)easy;
    (void)socketp;
    if (what == CURL_POLL_REMOVE) {
        loop_unwatch(h->loop, s);
        return 0;
    }
    /* libcurl may find a loopback connect done at once and go on without an event. */
    if (x != NULL)
        http_note_connected(x);
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev |= LOOP_READ;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev |= LOOP_WRITE;
    /* Returning -1 would fail every transfer of the multi handle: this one stalls instead,
     * and abort() reports why when its deadline comes. */
    if (loop_watch(h->loop, s, ev, http_on_fd, h) != 0 && x != NULL && x->watch_errno == 0)
        x->watch_errno = errno;
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: one timer for the whole multi handle. A 0 delay runs from the loop,
 * never from here: socket_action must not be called from inside a libcurl callback. */
static int http_on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    http_env_t *h = userp;

    (void)multi;
    if (timeout_ms < 0) {
        loop_timer_stop(h->loop, &h->timer);
        return 0;
    }
    return loop_timer_start(h->loop, &h->timer, (uint64_t)timeout_ms, http_on_timer, h) == 0 ? 0
                                                                                             : -1;
}

/* CURLOPT_OPENSOCKETFUNCTION: libcurl's own socket(), plus a note of which attempt owns the
 * descriptor, so that readiness events can tell when its TCP handshake completed. */
static curl_socket_t http_open_socket(void *clientp, curlsocktype purpose,
                                      struct curl_sockaddr *addr)
{
    http_xfer_t *x = clientp;
    http_env_t *h = x->h;
    int fd;

    (void)purpose;
    fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    if (fd < 0)
        return CURL_SOCKET_BAD;
    if ((size_t)fd >= h->n_owner) {
        size_t n = h->n_owner ? h->n_owner : 256;
        http_xfer_t **o;
        while (n <= (size_t)fd)
            n *= 2;
        o = realloc(h->owner, n * sizeof *o);
        if (o == NULL) {
            close(fd);
            errno = ENOMEM;
            return CURL_SOCKET_BAD;
        }
        memset(o + h->n_owner, 0, (n - h->n_owner) * sizeof *o);
        h->owner = o;
        h->n_owner = n;
    }
    h->owner[fd] = x;
    x->fd = fd;
    x->sock_t0 = loop_mono_ms();
    return fd;
}

/* CURLOPT_CLOSESOCKETFUNCTION (clientp: the env, which outlives every connection). */
static int http_close_socket(void *clientp, curl_socket_t fd)
{
    http_env_t *h = clientp;

    if (fd >= 0 && (size_t)fd < h->n_owner && h->owner[fd] != NULL) {
        if (h->owner[fd]->fd == fd)
            h->owner[fd]->fd = -1;
        h->owner[fd] = NULL;
    }
    return close(fd);
}

/* ---- classification glue ---------------------------------------------------------------- */

static long long info_us(CURL *e, CURLINFO what)
{
    curl_off_t v = 0;

    if (curl_easy_getinfo(e, what, &v) != CURLE_OK || v < 0)
        return 0;
    return (long long)v;
}

static void http_facts(const http_xfer_t *x, int code, http_facts_t *f)
{
    long v = 0;

    memset(f, 0, sizeof *f);
    f->code = code;
    f->https = x->a->probe->kind == KIND_HTTPS;
    f->cap_hit = x->cap_hit;
    f->tcp_connected = x->tcp_connected;
    f->tcp_connect_ms = x->tcp_connect_ms;
    if (curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &v) == CURLE_OK)
        f->os_errno = v;
    v = 0;
    if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &v) == CURLE_OK)
        f->http_code = v;
    f->namelookup_us = info_us(x->easy, CURLINFO_NAMELOOKUP_TIME_T);
    f->connect_us = info_us(x->easy, CURLINFO_CONNECT_TIME_T);
    f->appconnect_us = info_us(x->easy, CURLINFO_APPCONNECT_TIME_T);
    f->starttransfer_us = info_us(x->easy, CURLINFO_STARTTRANSFER_TIME_T);
    f->body = x->body;
    f->body_len = x->body_len;
    f->body_bytes = x->body_bytes;
    f->message = x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror((CURLcode)code);
}

/* Detaches and frees the attempt's transfer. Never called from inside a libcurl callback. */
static void http_release(http_env_t *h, http_xfer_t *x)
{
    probe_attempt_t *a = x->a;

    curl_multi_remove_handle(h->multi, x->easy);
    http_xfer_free(x);
    a->priv = NULL;
}

static void http_finish(http_env_t *h, http_xfer_t *x, CURLcode code)
{
    probe_attempt_t *a = x->a;
    http_facts_t f;
    char detail[RESULT_DETAIL_LEN];
    outcome_t o;

    http_facts(x, (int)code, &f);
    o = http_classify_done(a->probe, &f, detail, sizeof detail);
    http_classify_timings(&f, &a->connect_ms, &a->tls_ms, &a->first_byte_ms);
    http_release(h, x);
    probe_finish(a, o, "%s", detail);
}

/* Finishes every transfer libcurl reports done. probe_finish may start the next attempt
 * (curl_multi_add_handle), which is allowed here: we are outside every libcurl callback. */
static void http_drain(http_env_t *h)
{
    CURLMsg *m;
    int left = 0;

    while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
        CURL *easy = m->easy_handle;
        CURLcode code = m->data.result;
        char *priv = NULL;

        if (m->msg != CURLMSG_DONE)
            continue;
        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) != CURLE_OK || priv == NULL) {
            curl_multi_remove_handle(h->multi, easy); /* not ours: cannot happen */
            continue;
        }
        http_finish(h, (http_xfer_t *)(void *)priv, code);
    }
}

/* ---- the attempt -------------------------------------------------------------------------- */

/* CURLOPT_WRITEFUNCTION: counts the body, keeps a prefix for body_contains, and stops the
 * transfer at HTTP_BODY_CAP so an endless stream is judged on what came first. */
static size_t http_on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    http_xfer_t *x = ud;
    size_t n = size * nmemb, room = HTTP_BODY_CAP - (size_t)x->body_bytes;
    size_t take = n < room ? n : room;

    if (x->keep_body && take > 0) {
        if (x->body_len + take > x->body_cap) {
            size_t cap = x->body_cap ? x->body_cap : 4096;
            char *nb;
            while (cap < x->body_len + take)
                cap *= 2;
            if (cap > HTTP_BODY_CAP)
                cap = HTTP_BODY_CAP;
            nb = realloc(x->body, cap);
            if (nb == NULL)
                return CURL_WRITEFUNC_ERROR; /* CURLE_WRITE_ERROR without cap_hit: error */
            x->body = nb;
            x->body_cap = cap;
        }
        memcpy(x->body + x->body_len, ptr, take);
        x->body_len += take;
    }
    x->body_bytes += take;
    if (take < n) {
        x->cap_hit = true;
        return CURL_WRITEFUNC_ERROR;
    }
    return n;
}

/* The runner resolved the name: pin libcurl to that address, so the Host header and SNI
 * keep the name and libcurl's own resolver is never asked. */
static int http_request_lists(http_xfer_t *x, char *err, size_t errlen)
{
    const config_probe_t *p = x->a->probe;
    char line[HTTP_LINE_MAX];
    struct curl_slist *l;
    int pin = http_classify_resolve_entry(p->host, p->port, x->a->family, x->a->addr_str, line,
                                          sizeof line);

    if (pin < 0) {
        snprintf(err, errlen, "host name too long");
        return -1;
    }
    if (pin > 0 && (x->resolve = curl_slist_append(NULL, line)) == NULL)
        goto oom;
    for (size_t i = 0; i < p->n_headers; i++) {
        if (http_classify_header_line(&p->headers[i], line, sizeof line) != 0) {
            /* Named, never shown: the value may be a secret. */
            snprintf(err, errlen, "header %.64s: line break or longer than %d bytes",
                     p->headers[i].name, HTTP_LINE_MAX - 1);
            return -1;
        }
        if ((l = curl_slist_append(x->headers, line)) == NULL)
            goto oom;
        x->headers = l;
    }
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* Sets every option of one attempt; returns the first failure. */
static CURLcode http_setup(http_xfer_t *x)
{
    probe_attempt_t *a = x->a;
    const config_probe_t *p = a->probe;
    CURL *e = x->easy;
    const char *proto = p->kind == KIND_HTTPS ? "https" : "http";
    const char *method = p->method != NULL ? p->method : "GET";
    long backstop = probe_remaining_ms(a) + HTTP_BACKSTOP_MS;
    CURLcode rc = CURLE_OK;

#define HTTP_SET(opt, val)                                                                     \
    do {                                                                                       \
        if (rc == CURLE_OK)                                                                    \
            rc = curl_easy_setopt(e, opt, val);                                                \
    } while (0)
    HTTP_SET(CURLOPT_PRIVATE, x);
    HTTP_SET(CURLOPT_ERRORBUFFER, x->errbuf);
    HTTP_SET(CURLOPT_URL, p->url);
    HTTP_SET(CURLOPT_PROTOCOLS_STR, proto);
    HTTP_SET(CURLOPT_REDIR_PROTOCOLS_STR, proto);
    HTTP_SET(CURLOPT_NOSIGNAL, 1L);
    /* A probe reads a status line, headers and at most a 64 KiB prefix: libcurl's 16 KiB
     * default receive buffer per transfer is most of a probe's memory when thousands run. */
    HTTP_SET(CURLOPT_BUFFERSIZE, 4096L);
    /* The probe tests the direct path: never a proxy, whatever the environment says. */
    HTTP_SET(CURLOPT_PROXY, "");
    HTTP_SET(CURLOPT_NOPROXY, "*");
    HTTP_SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    /* Each attempt is its own connection, so each one tests the path again. */
    HTTP_SET(CURLOPT_FORBID_REUSE, 1L);
    HTTP_SET(CURLOPT_FRESH_CONNECT, 1L);
    HTTP_SET(CURLOPT_USERAGENT, "ztprobe/" ZT_VERSION);
    HTTP_SET(CURLOPT_TIMEOUT_MS, backstop);
    HTTP_SET(CURLOPT_CONNECTTIMEOUT_MS, backstop);
    HTTP_SET(CURLOPT_WRITEFUNCTION, http_on_body);
    HTTP_SET(CURLOPT_WRITEDATA, x);
    HTTP_SET(CURLOPT_OPENSOCKETFUNCTION, http_open_socket);
    HTTP_SET(CURLOPT_OPENSOCKETDATA, x);
    HTTP_SET(CURLOPT_CLOSESOCKETFUNCTION, http_close_socket);
    HTTP_SET(CURLOPT_CLOSESOCKETDATA, x->h);
    if (x->resolve != NULL)
        HTTP_SET(CURLOPT_RESOLVE, x->resolve);
    if (x->headers != NULL)
        HTTP_SET(CURLOPT_HTTPHEADER, x->headers);
    if (strcmp(method, "HEAD") == 0)
        HTTP_SET(CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0)
        HTTP_SET(CURLOPT_CUSTOMREQUEST, method);
    if (p->follow_redirects) {
        HTTP_SET(CURLOPT_FOLLOWLOCATION, 1L);
        HTTP_SET(CURLOPT_MAXREDIRS, HTTP_MAX_REDIRS);
    }
    /* TLS is always verified; there is no switch to turn it off (SPEC). */
    HTTP_SET(CURLOPT_SSL_VERIFYPEER, 1L);
    HTTP_SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (p->kind == KIND_HTTPS) {
        HTTP_SET(CURLOPT_CAINFO, config_probe_ca_file(a->env->cfg, p));
        HTTP_SET(CURLOPT_CAPATH, (char *)NULL);
    }
#undef HTTP_SET
    return rc;
}

static void http_start(probe_attempt_t *a)
{
    http_env_t *h = a->env->http;
    http_xfer_t *x = NULL;
    char err[128] = "";
    CURLcode rc;
    CURLMcode mrc;

    a->connect_ms = a->tls_ms = a->first_byte_ms = -1.0;
    x = calloc(1, sizeof *x);
    if (x != NULL) {
        x->a = a;
        x->h = h;
        x->fd = -1;
    }
    if (h == NULL || x == NULL) {
        snprintf(err, sizeof err, h == NULL ? "http: no libcurl multi handle" : "out of memory");
        goto fail;
    }
    x->keep_body = a->probe->body_contains != NULL;
    x->easy = curl_easy_init();
    if (x->easy == NULL) {
        snprintf(err, sizeof err, "curl_easy_init failed");
        goto fail;
    }
    if (http_request_lists(x, err, sizeof err) != 0)
        goto fail;
    rc = http_setup(x);
    if (rc != CURLE_OK) {
        snprintf(err, sizeof err, "curl_easy_setopt: %s", curl_easy_strerror(rc));
        goto fail;
    }
    log_verbose("%s: %s via %s", a->probe->name, a->probe->kind == KIND_HTTPS ? "https" : "http",
                a->addr_str);
    mrc = curl_multi_add_handle(h->multi, x->easy);
    if (mrc != CURLM_OK) {
        snprintf(err, sizeof err, "curl_multi_add_handle: %s", curl_multi_strerror(mrc));
        goto fail;
    }
    a->priv = x;
    return;
fail:
    http_xfer_free(x);
    a->priv = NULL;
    probe_finish(a, OUTCOME_ERROR, "%s", err);
}

static void http_abort(probe_attempt_t *a)
{
    http_env_t *h = a->env->http;
    http_xfer_t *x = a->priv;
    http_facts_t f;

    if (x == NULL)
        return;
    /* Read how far it got before the handle goes: a handshake that completed after the last
     * event libcurl saw still counts. */
    http_note_connected(x);
    http_facts(x, CURLE_OK, &f);
    a->outcome = http_classify_abort(&f, (long)a->timeout_ms, a->detail, sizeof a->detail);
    if (x->watch_errno != 0) {
        a->outcome = OUTCOME_ERROR;
        snprintf(a->detail, sizeof a->detail, "loop_watch: %s", strerror(x->watch_errno));
    }
    http_classify_timings(&f, &a->connect_ms, &a->tls_ms, &a->first_byte_ms);
    http_release(h, x);
}

static int http_env_init(probe_env_t *env, char *err, size_t errlen)
{
    http_env_t *h = NULL;
    CURLMcode mrc = CURLM_OK;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init failed");
        return -1;
    }
    h = calloc(1, sizeof *h);
    if (h == NULL || (h->multi = curl_multi_init()) == NULL) {
        snprintf(err, errlen, "libcurl: cannot create a multi handle");
        goto fail;
    }
    h->loop = env->loop;
    mrc = curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_on_socket);
    if (mrc == CURLM_OK)
        mrc = curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    if (mrc == CURLM_OK)
        mrc = curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_on_curl_timer);
    if (mrc == CURLM_OK)
        mrc = curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    if (mrc != CURLM_OK) {
        snprintf(err, errlen, "curl_multi_setopt: %s", curl_multi_strerror(mrc));
        goto fail;
    }
    env->http = h;
    return 0;
fail:
    if (h != NULL && h->multi != NULL)
        curl_multi_cleanup(h->multi);
    free(h);
    curl_global_cleanup();
    return -1;
}

/* Every attempt is finished or aborted by now; the loop must still exist (libcurl unwatches
 * its last descriptors during cleanup). */
static void http_env_cleanup(probe_env_t *env)
{
    http_env_t *h;

    if (env == NULL || env->http == NULL)
        return;
    h = env->http;
    curl_multi_cleanup(h->multi);
    loop_timer_stop(h->loop, &h->timer);
    free(h->owner);
    free(h);
    env->http = NULL;
    curl_global_cleanup();
}

const probe_ops_t http_probe_ops = {
    .name = "http",
    .env_init = http_env_init,
    .env_cleanup = http_env_cleanup,
    .start = http_start,
    .abort = http_abort,
};
