/* http.c: the http and https probe kinds: one libcurl easy handle per attempt, all of them in
 * one multi handle that the project's event loop drives through the multi *socket* API.
 * The judging of what libcurl reports lives in http_classify.c, the loop glue in
 * http_multi.c. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_json.h"
#include "curl_safe.h"
#include "http_classify.h"
#include "http_int.h"
#include "log.h"
#include "redact.h"
#include "probe.h"

void http_xfer_free(http_xfer_t *x)
{
    if (x == NULL)
        return;
    if (x->easy != NULL)
        curl_easy_cleanup(x->easy);
    /* libcurl closes its sockets through http_multi_close_socket; this is only a safety net. */
    if (x->fd >= 0 && (size_t)x->fd < x->h->n_owner && x->h->owner[x->fd] == x)
        x->h->owner[x->fd] = NULL;
    curl_slist_free_all(x->headers);
    curl_slist_free_all(x->resolve);
    free(x->body);
    free(x);
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

/* follow_redirects: a 3xx answer with a Location of the same origin (scheme, host, port) is
 * fetched again on this handle, at most HTTP_MAX_REDIRS times; the pinned address
 * (CURLOPT_RESOLVE) covers it, so no other resolver is asked and custom headers stay with the
 * origin the config names. Any other redirect is the answer, judged as its status, and
 * redirect_note says why it was not followed. Returns true when the transfer restarted. */
static bool http_follow(http_env_t *h, http_xfer_t *x)
{
    const config_probe_t *p = x->a->probe;
    long code = 0;
    char *loc = NULL, shown[120];
    if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK || code < 300 || code > 399 ||
        curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || loc == NULL)
        return false;
    redact_url(loc, shown, sizeof shown);
    if (!http_classify_same_origin(p->url, loc)) {
        snprintf(x->redirect_note, sizeof x->redirect_note,
                 "redirect to %s not followed: another origin (only same-origin redirects are)", shown);
        return false;
    }
    if (x->redirects >= HTTP_MAX_REDIRS) {
        snprintf(x->redirect_note, sizeof x->redirect_note,
                 "redirect to %s not followed: %ld redirects already", shown, HTTP_MAX_REDIRS);
        return false;
    }
    curl_multi_remove_handle(h->multi, x->easy);
    CURLcode rc = curl_easy_setopt(x->easy, CURLOPT_URL, loc); /* copied: loc may go now */
    /* 303, and 301/302 after a POST, continue as GET, as browsers and libcurl do. */
    const char *method = p->method != NULL ? p->method : "GET";
    if (rc == CURLE_OK && (code == 303 || ((code == 301 || code == 302) && strcmp(method, "POST") == 0)) &&
        strcmp(method, "HEAD") != 0) {
        rc = curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, (char *)NULL);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(x->easy, CURLOPT_HTTPGET, 1L);
    }
    x->body_len = 0;
    x->body_bytes = 0;
    x->cap_hit = false;
    x->errbuf[0] = '\0';
    x->redirects++;
    if (rc != CURLE_OK || curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
        snprintf(x->redirect_note, sizeof x->redirect_note, "redirect to %s: cannot restart", shown);
        return false;
    }
    return true;
}

void http_xfer_finish(http_env_t *h, http_xfer_t *x, CURLcode code)
{
    probe_attempt_t *a = x->a;
    http_facts_t f;
    char detail[RESULT_DETAIL_LEN];
    outcome_t o;

    if (code == CURLE_OK && a->probe->follow_redirects && http_follow(h, x))
        return;
    http_facts(x, (int)code, &f);
    o = http_classify_done(a->probe, &f, detail, sizeof detail);
    size_t dl = strlen(detail);
    if (x->redirect_note[0] != '\0')
        snprintf(detail + dl, sizeof detail - dl, "; %s", x->redirect_note);
    else if (x->redirects > 0)
        snprintf(detail + dl, sizeof detail - dl, " (after %d same-origin redirect%s)", x->redirects,
                 x->redirects == 1 ? "" : "s");
    http_classify_timings(&f, &a->connect_ms, &a->tls_ms, &a->first_byte_ms);
    http_release(h, x);
    probe_finish(a, o, "%s", detail);
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
    int pin = http_classify_resolve_entry(p->host, p->port, x->a->family, x->a->addr_str, line, sizeof line);

    if (pin < 0) {
        snprintf(err, errlen, "host name too long");
        return -1;
    }
    if (pin > 0 && (x->resolve = curl_slist_append(NULL, line)) == NULL)
        goto oom;
    for (size_t i = 0; i < p->n_headers; i++) {
        if (http_classify_header_line(&p->headers[i], line, sizeof line) != 0) {
            /* Named, never shown: the value may be a secret. */
            snprintf(err, errlen, "header %.64s: line break or longer than %d bytes", p->headers[i].name,
                     HTTP_LINE_MAX - 1);
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

#define HTTP_SET(opt, val) \
    do { \
        if (rc == CURLE_OK) \
            rc = curl_easy_setopt(e, opt, val); \
    } while (0)
    HTTP_SET(CURLOPT_PRIVATE, x);
    HTTP_SET(CURLOPT_ERRORBUFFER, x->errbuf);
    HTTP_SET(CURLOPT_URL, p->url);
    if (rc == CURLE_OK)
        rc = curl_safe_setopts(e, proto); /* protocols, no proxy, verified TLS */
    /* A probe reads a status line, headers and at most a 64 KiB prefix: libcurl's 16 KiB
     * default receive buffer per transfer is most of a probe's memory when thousands run. */
    HTTP_SET(CURLOPT_BUFFERSIZE, 4096L);
    HTTP_SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    /* Each attempt is its own connection, so each one tests the path again. */
    HTTP_SET(CURLOPT_FORBID_REUSE, 1L);
    HTTP_SET(CURLOPT_FRESH_CONNECT, 1L);
    HTTP_SET(CURLOPT_USERAGENT, "ztprobe/" ZT_VERSION);
    HTTP_SET(CURLOPT_TIMEOUT_MS, backstop);
    HTTP_SET(CURLOPT_CONNECTTIMEOUT_MS, backstop);
    HTTP_SET(CURLOPT_WRITEFUNCTION, http_on_body);
    HTTP_SET(CURLOPT_WRITEDATA, x);
    HTTP_SET(CURLOPT_OPENSOCKETFUNCTION, http_multi_open_socket);
    HTTP_SET(CURLOPT_OPENSOCKETDATA, x);
    HTTP_SET(CURLOPT_CLOSESOCKETFUNCTION, http_multi_close_socket);
    HTTP_SET(CURLOPT_CLOSESOCKETDATA, x->h);
    if (x->resolve != NULL)
        HTTP_SET(CURLOPT_RESOLVE, x->resolve);
    if (x->headers != NULL)
        HTTP_SET(CURLOPT_HTTPHEADER, x->headers);
    if (strcmp(method, "HEAD") == 0)
        HTTP_SET(CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0)
        HTTP_SET(CURLOPT_CUSTOMREQUEST, method);
    /* Redirects are never libcurl's to follow: http_follow takes same-origin ones only. */
    HTTP_SET(CURLOPT_FOLLOWLOCATION, 0L);
    if (p->kind == KIND_HTTPS) {
        HTTP_SET(CURLOPT_CAINFO, config_probe_ca_file(a->env->cfg, p));
        HTTP_SET(CURLOPT_CAPATH, (char *)NULL);
    }
#undef HTTP_SET
    return rc;
}

static void http_start(probe_attempt_t *a)
{
    http_env_t *h = a->env->kind_env[KIND_HTTP];
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
    x->keep_body = a->probe->body_contains != NULL || a->probe->deny_at_l7; /* Envoy's body decides */
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
    http_env_t *h = a->env->kind_env[KIND_HTTP];
    http_xfer_t *x = a->priv;
    http_facts_t f;

    if (x == NULL)
        return;
    /* Read how far it got before the handle goes: a handshake that completed after the last
     * event libcurl saw still counts. */
    http_multi_note_connected(x);
    http_facts(x, CURLE_OK, &f);
    a->outcome = http_classify_abort(&f, (long)a->timeout_ms, a->detail, sizeof a->detail);
    if (x->watch_errno != 0) {
        a->outcome = OUTCOME_ERROR;
        snprintf(a->detail, sizeof a->detail, "loop_watch: %s", strerror(x->watch_errno));
    }
    http_classify_timings(&f, &a->connect_ms, &a->tls_ms, &a->first_byte_ms);
    http_release(h, x);
}

/* Reports, list and logs show the URL without userinfo, query and fragment. */
static void http_target(const config_probe_t *p, char *buf, size_t len)
{
    redact_url(p->url ? p->url : "?", buf, len);
}

/* https shares http's code and its multi handle; only the name and the keys differ. */
#define HTTP_OPS(kind_name, kind_keys, port) \
    { \
        .name = kind_name, .resolves = true, .default_port = port, .env_kind = KIND_HTTP, \
        .open = OUTCOME_CONNECTED, .keys = kind_keys, .parse = http_config_parse, .target = http_target, \
        .hint = http_hint, .env_init = http_multi_env_init, .env_cleanup = http_multi_env_cleanup, \
        .start = http_start, .abort = http_abort, \
    }

const probe_ops_t http_probe_ops = HTTP_OPS("http", http_config_keys, 80);
const probe_ops_t https_probe_ops = HTTP_OPS("https", https_config_keys, 443);
