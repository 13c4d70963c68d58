/* http_int.h: what http.c (the attempt: options, classification) and http_multi.c (libcurl's
 * multi socket interface on the project's loop) share. Private to the http probe kind. */
#ifndef ZT_HTTP_INT_H
#define ZT_HTTP_INT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "probe.h"

#ifndef ZT_VERSION
#define ZT_VERSION "0.0.0"
#endif

/* libcurl's own timeouts are only a backstop: the runner's deadline timer decides, and calls
 * abort() with the phase reached. */
#define HTTP_BACKSTOP_MS 1000L
#define HTTP_MAX_REDIRS 5L

typedef struct http_xfer http_xfer_t;
struct config_ctx;
struct cJSON;
struct hint_parts;

/* The kinds' config keys and parser (http_config.c). */
extern const char *const http_config_keys[];
extern const char *const https_config_keys[];
int http_config_parse(struct config_ctx *cx, const struct cJSON *o, const char *path, config_probe_t *p);

/* The kinds' own hints (http_hint.c): an allow answered by the application, but not as wanted. */
bool http_hint(const result_t *r, const struct hint_parts *p, char *buf, size_t len);

/* Per run (env->kind_env[KIND_HTTP]). */
typedef struct {
    CURLM *multi;
    loop_t *loop;
    loop_timer_t timer;  /* libcurl's single timeout */
    http_xfer_t **owner; /* indexed by fd: the attempt whose socket it is (O(1) lookup) */
    size_t n_owner;
} http_env_t;

/* Per attempt (a->priv). */
struct http_xfer {
    probe_attempt_t *a;
    http_env_t *h;
    CURL *easy;
    int fd;         /* our socket, -1 when none is open */
    double sock_t0; /* loop_mono_ms() when it was created */
    bool tcp_connected;
    double tcp_connect_ms;
    int watch_errno; /* loop_watch failed: the transfer stalled (reported by abort) */
    struct curl_slist *headers;
    struct curl_slist *resolve;
    char errbuf[CURL_ERROR_SIZE];
    char *body; /* kept prefix, only when body_contains is set */
    size_t body_len, body_cap;
    unsigned long long body_bytes;
    bool keep_body;
    bool cap_hit;
    int redirects;           /* same-origin redirects followed */
    char redirect_note[200]; /* why a redirect was not followed ("" when none) */
};

/* Frees an attempt's transfer state (the easy handle must be out of the multi handle). */
void http_xfer_free(http_xfer_t *x);

/* Judges a transfer libcurl reports done, detaches it and ends the attempt. Never called from
 * inside a libcurl callback. */
void http_xfer_finish(http_env_t *h, http_xfer_t *x, CURLcode code);

/* Notes the moment the attempt's TCP handshake completed (for https, libcurl's own connect
 * time only arrives with the TLS handshake). */
void http_multi_note_connected(http_xfer_t *x);

/* CURLOPT_OPENSOCKETFUNCTION / CURLOPT_CLOSESOCKETFUNCTION: libcurl's sockets, each noted
 * with the attempt that owns it (clientp: the transfer / the env). */
curl_socket_t http_multi_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr);
int http_multi_close_socket(void *clientp, curl_socket_t fd);

/* Per-run state: one multi handle driven by env->loop (env->kind_env[KIND_HTTP]). */
int http_multi_env_init(probe_env_t *env, char *err, size_t errlen);
void http_multi_env_cleanup(probe_env_t *env);

#endif
