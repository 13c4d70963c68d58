/* http_multi.c: libcurl's multi *socket* interface on the project's event loop: libcurl
 * says which descriptors to watch and when to time out; the loop calls back into
 * curl_multi_socket_action; finished transfers are drained and handed to http.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_int.h"

static void http_drain(http_env_t *h);

/* Notes the moment the TCP handshake of an attempt's socket completed. getpeername() does not
 * consume SO_ERROR, which libcurl still has to read to see a refused connect. */
void http_multi_note_connected(http_xfer_t *x)
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
        http_multi_note_connected(h->owner[fd]);
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
        http_multi_note_connected(x);
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
    return loop_timer_start(h->loop, &h->timer, (uint64_t)timeout_ms, http_on_timer, h) == 0 ? 0 : -1;
}

/* CURLOPT_OPENSOCKETFUNCTION: libcurl's own socket(), plus a note of which attempt owns the
 * descriptor, so that readiness events can tell when its TCP handshake completed. */
curl_socket_t http_multi_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
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
int http_multi_close_socket(void *clientp, curl_socket_t fd)
{
    http_env_t *h = clientp;

    if (fd >= 0 && (size_t)fd < h->n_owner && h->owner[fd] != NULL) {
        if (h->owner[fd]->fd == fd)
            h->owner[fd]->fd = -1;
        h->owner[fd] = NULL;
    }
    return close(fd);
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
        http_xfer_finish(h, (http_xfer_t *)(void *)priv, code);
    }
}

int http_multi_env_init(probe_env_t *env, char *err, size_t errlen)
{
    http_env_t *h = NULL;
    CURLMcode mrc = CURLM_OK;

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
    env->kind_env[KIND_HTTP] = h;
    return 0;
fail:
    if (h != NULL && h->multi != NULL)
        curl_multi_cleanup(h->multi);
    free(h);
    return -1;
}

/* Every attempt is finished or aborted by now; the loop must still exist (libcurl unwatches
 * its last descriptors during cleanup). */
void http_multi_env_cleanup(probe_env_t *env)
{
    http_env_t *h;

    if (env == NULL || env->kind_env[KIND_HTTP] == NULL)
        return;
    h = env->kind_env[KIND_HTTP];
    curl_multi_cleanup(h->multi);
    loop_timer_stop(h->loop, &h->timer);
    free(h->owner);
    free(h);
    env->kind_env[KIND_HTTP] = NULL;
}
