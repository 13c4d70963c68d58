/* tls.c: the tls probe kind: a non-blocking TCP connect, then a TLS handshake with full
 * verification (chain against ca_file, the host name or IP address, optionally the ALPN
 * protocol and the minimum version), driven by OpenSSL on the loop. Nothing is sent after
 * the handshake, so it fits any service that speaks TLS from the first byte (a database or
 * cache TLS endpoint, a Kafka TLS listener). OpenSSL directly rather than libcurl's
 * connect-only mode: libcurl 7.88 can offer only its own ALPN ids (h2, http/1.1), never a
 * list of the config's. */
#include <arpa/inet.h>
#include <cJSON.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config_json.h"
#include "ipaddr.h"
#include "probe.h"
#include "tls.h"

/* ---- config ----------------------------------------------------------------------------- */

static const char *const tls_keys[] = {"host", "port", "ca_file", "alpn", "min_version", NULL};

static void tls_clear(config_probe_t *p)
{
    free(p->kind_data);
    p->kind_data = NULL;
}

/* "alpn": 1..TLS_ALPN_MAX distinct ids of visible ASCII, into the wire format. */
static int tls_alpn(struct config_ctx *cx, const cJSON *v, const char *fp, tls_cfg_t *tc)
{
    char ip[CONFIG_PATH_LEN];
    size_t i = 0;
    if (!cJSON_IsArray(v))
        return config_json_fail(cx, fp, "must be a list of protocol ids (\"h2\", \"postgresql\", ...)");
    if (!v->child)
        return config_json_fail(cx, fp, "must not be empty (omit it to offer no ALPN)");
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        config_json_index(ip, sizeof(ip), fp, i);
        if (i >= TLS_ALPN_MAX)
            return config_json_fail(cx, ip, "at most %d protocols", TLS_ALPN_MAX);
        if (!cJSON_IsString(c))
            return config_json_fail(cx, ip, "must be a string");
        size_t n = strlen(c->valuestring);
        if (n == 0 || n > TLS_ALPN_ID_MAX)
            return config_json_fail(cx, ip, "must be 1 to %d bytes", TLS_ALPN_ID_MAX);
        for (size_t k = 0; k < n; k++)
            if ((unsigned char)c->valuestring[k] <= 0x20 || (unsigned char)c->valuestring[k] >= 0x7f)
                return config_json_fail(cx, ip, "must be visible ASCII (no spaces)");
        for (size_t off = 0; off < tc->alpn_len; off += 1u + tc->alpn[off])
            if (tc->alpn[off] == n && memcmp(tc->alpn + off + 1, c->valuestring, n) == 0)
                return config_json_fail(cx, ip, "duplicate protocol");
        tc->alpn[tc->alpn_len] = (unsigned char)n;
        memcpy(tc->alpn + tc->alpn_len + 1, c->valuestring, n);
        tc->alpn_len += n + 1;
    }
    return 0;
}

static int tls_parse(struct config_ctx *cx, const cJSON *o, const char *path, config_probe_t *p)
{
    char fp[CONFIG_PATH_LEN];
    const cJSON *v;
    tls_cfg_t *tc = calloc(1, sizeof(*tc));
    if (!tc)
        return config_json_oom(cx);
    tc->min_version = 12;
    p->kind_data = tc;
    if (config_probe_host_port(cx, o, path, p) != 0)
        return -1;
    if ((v = config_json_field(o, path, "ca_file", fp)) && config_json_str(cx, v, fp, 4096, &p->ca_file) != 0)
        return -1;
    if ((v = config_json_field(o, path, "alpn", fp)) && tls_alpn(cx, v, fp, tc) != 0)
        return -1;
    if ((v = config_json_field(o, path, "min_version", fp))) {
        if (!cJSON_IsString(v) || (strcmp(v->valuestring, "1.2") != 0 && strcmp(v->valuestring, "1.3") != 0))
            return config_json_fail(cx, fp, "must be \"1.2\" or \"1.3\"");
        tc->min_version = v->valuestring[2] == '3' ? 13 : 12;
    }
    return 0;
}

/* ---- the attempt ------------------------------------------------------------------------ */

typedef struct {
    probe_sock_t sock; /* first: probe_sock_* work on it */
    SSL *ssl;
    bool connected;      /* TCP handshake done */
    double handshake_t0; /* probe_elapsed_ms() when the TLS handshake began */
} tls_state_t;

static void tls_close(probe_attempt_t *a)
{
    tls_state_t *st = a->priv;
    if (!st)
        return;
    if (st->ssl)
        SSL_free(st->ssl); /* the socket BIO does not close the descriptor */
    st->ssl = NULL;
    probe_sock_close(a);
}

/* The first queued OpenSSL error, as text ("wrong version number"). */
static void tls_ossl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_peek_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    snprintf(buf, len, "%s", r ? r : "handshake failed");
    ERR_clear_error();
}

/* A non-TLS answer (a plain-text banner, an HTTP response): the peer speaks another protocol. */
static bool tls_not_tls(unsigned long e)
{
    int r = ERR_GET_REASON(e);
    return ERR_GET_LIB(e) == ERR_LIB_SSL &&
        (r == SSL_R_WRONG_VERSION_NUMBER || r == SSL_R_PACKET_LENGTH_TOO_LONG ||
         r == SSL_R_RECORD_LENGTH_MISMATCH || r == SSL_R_UNEXPECTED_MESSAGE || r == SSL_R_UNEXPECTED_RECORD);
}

/* OpenSSL 3 reports a peer that closed mid-handshake as an error of its own, not as EOF. */
static bool tls_eof(unsigned long e)
{
    return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

static void tls_fail(probe_attempt_t *a, int sslerr)
{
    tls_state_t *st = a->priv;
    char why[160];
    outcome_t o = OUTCOME_TLS_ERROR;
    long verify = SSL_get_verify_result(st->ssl);
    a->tls_ms = -1;
    if (sslerr == SSL_ERROR_SSL && verify != X509_V_OK) {
        snprintf(why, sizeof(why), "certificate: %s", X509_verify_cert_error_string(verify));
        ERR_clear_error();
    } else if (sslerr == SSL_ERROR_SSL && tls_not_tls(ERR_peek_error())) {
        tls_ossl_reason(why, sizeof(why));
        o = OUTCOME_PROTOCOL_ERROR;
        snprintf(why + strlen(why), sizeof(why) - strlen(why), " (the peer does not speak TLS)");
    } else if (sslerr == SSL_ERROR_SSL && !tls_eof(ERR_peek_error())) {
        tls_ossl_reason(why, sizeof(why));
    } else { /* SSL_ERROR_SYSCALL, SSL_ERROR_ZERO_RETURN, EOF: reset or closed mid-handshake */
        int e = errno;
        ERR_clear_error();
        o = OUTCOME_PROTOCOL_ERROR;
        snprintf(why, sizeof(why), "connection %s during the handshake",
                 sslerr == SSL_ERROR_SYSCALL && e != 0 ? strerror(e) : "closed");
    }
    tls_close(a);
    probe_finish(a, o, "TLS handshake with %s failed: %s", a->addr_str, why);
}

static void tls_done(probe_attempt_t *a)
{
    tls_state_t *st = a->priv;
    const tls_cfg_t *tc = a->probe->kind_data;
    const unsigned char *sel = NULL;
    unsigned sel_len = 0;
    char alpn[TLS_ALPN_ID_MAX + 16] = "";
    a->tls_ms = probe_elapsed_ms(a) - st->handshake_t0;
    if (tc && tc->alpn_len > 0) {
        SSL_get0_alpn_selected(st->ssl, &sel, &sel_len);
        if (sel_len == 0) {
            /* The server ignored the extension: the protocol the config wants is not agreed. */
            tls_close(a);
            probe_finish(a, OUTCOME_TLS_ERROR, "TLS handshake with %s: the server selected no ALPN protocol",
                         a->addr_str);
            return;
        }
        snprintf(alpn, sizeof(alpn), ", ALPN %.*s",
                 (int)(sel_len > TLS_ALPN_ID_MAX ? TLS_ALPN_ID_MAX : sel_len), (const char *)sel);
    }
    char d[RESULT_DETAIL_LEN];
    snprintf(d, sizeof(d), "%s %s with %s, certificate verified%s", SSL_get_version(st->ssl),
             SSL_get_cipher_name(st->ssl), a->addr_str, alpn);
    (void)SSL_shutdown(st->ssl); /* one close_notify, not waited for */
    tls_close(a);
    probe_finish(a, OUTCOME_OK, "%s", d);
}

static void tls_on_event(loop_t *loop, int fd, unsigned events, void *ud);

/* One step of the handshake; waits on the loop for what OpenSSL needs next. */
static void tls_step(probe_attempt_t *a)
{
    tls_state_t *st = a->priv;
    ERR_clear_error();
    errno = 0;
    int rc = SSL_do_handshake(st->ssl);
    if (rc == 1) {
        tls_done(a);
        return;
    }
    int e = SSL_get_error(st->ssl, rc);
    unsigned want = e == SSL_ERROR_WANT_READ ? LOOP_READ : e == SSL_ERROR_WANT_WRITE ? LOOP_WRITE : 0;
    if (want == 0) {
        tls_fail(a, e);
        return;
    }
    if (loop_watch(a->env->loop, st->sock.fd, want, tls_on_event, a) < 0) {
        int we = errno;
        tls_close(a);
        probe_finish(a, OUTCOME_ERROR, "epoll: %s", strerror(we));
    }
}

/* Per run (env->kind_env[KIND_TLS]): the client contexts by (ca_file, min_version), so a CA
 * bundle is parsed once per run, not once per attempt. Past TLS_CTX_CACHE pairs an attempt
 * makes its own. */
#define TLS_CTX_CACHE 16
typedef struct {
    struct {
        char *ca;
        int min_version;
        SSL_CTX *ctx;
    } slot[TLS_CTX_CACHE];
    size_t n;
} tls_env_t;

static int tls_env_init(probe_env_t *env, char *err, size_t errlen)
{
    tls_env_t *e = calloc(1, sizeof(*e));
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    env->kind_env[KIND_TLS] = e;
    return 0;
}

static void tls_env_cleanup(probe_env_t *env)
{
    tls_env_t *e = env ? env->kind_env[KIND_TLS] : NULL;
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++) {
        SSL_CTX_free(e->slot[i].ctx);
        free(e->slot[i].ca);
    }
    free(e);
    env->kind_env[KIND_TLS] = NULL;
}

/* A client context that verifies the peer against ca and speaks at least min_version. */
static SSL_CTX *tls_ctx_new(const char *ca, int min_version, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(err, errlen, "SSL_CTX_new failed");
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_set_min_proto_version(ctx, min_version == 13 ? TLS1_3_VERSION : TLS1_2_VERSION) != 1 ||
        SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        snprintf(err, errlen, "cannot load ca_file %s", ca ? ca : "(none)");
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return NULL;
    }
    return ctx;
}

/* The context of the attempt, with a reference the caller owns (SSL_CTX_free it). A ca_file
 * that cannot be loaded is not cached: each attempt reports it. */
static SSL_CTX *tls_ctx_get(probe_attempt_t *a, char *err, size_t errlen)
{
    const tls_cfg_t *tc = a->probe->kind_data;
    const char *ca = config_probe_ca_file(a->env->cfg, a->probe);
    int min = tc ? tc->min_version : 12;
    tls_env_t *e = a->env->kind_env[KIND_TLS];
    for (size_t i = 0; e && ca && i < e->n; i++) {
        if (e->slot[i].min_version == min && strcmp(e->slot[i].ca, ca) == 0) {
            if (SSL_CTX_up_ref(e->slot[i].ctx) == 1)
                return e->slot[i].ctx;
            snprintf(err, errlen, "SSL_CTX_up_ref failed");
            return NULL;
        }
    }
    SSL_CTX *ctx = tls_ctx_new(ca, min, err, errlen);
    if (ctx && e && ca && e->n < TLS_CTX_CACHE && SSL_CTX_up_ref(ctx) == 1) {
        char *copy = strdup(ca);
        if (copy) {
            e->slot[e->n].ca = copy;
            e->slot[e->n].min_version = min;
            e->slot[e->n].ctx = ctx; /* the cache's reference */
            e->n++;
        } else {
            SSL_CTX_free(ctx); /* the cache's reference, not kept */
        }
    }
    return ctx;
}

/* The TLS state of a connected socket: verification of the chain against ca_file and of the
 * name (or the IP address for an IP literal), SNI for a name, the minimum version, ALPN. */
static int tls_setup(probe_attempt_t *a, char *err, size_t errlen)
{
    tls_state_t *st = a->priv;
    const tls_cfg_t *tc = a->probe->kind_data;
    const char *host = a->probe->host;
    ip_addr_t ip;
    bool literal = ip_addr_parse(host, &ip);
    SSL_CTX *ctx = tls_ctx_get(a, err, errlen);
    if (!ctx)
        return -1;
    st->ssl = SSL_new(ctx);
    SSL_CTX_free(ctx); /* the SSL holds its own reference */
    if (!st->ssl || SSL_set_fd(st->ssl, st->sock.fd) != 1) {
        snprintf(err, errlen, "SSL_new failed");
        return -1;
    }
    SSL_set_connect_state(st->ssl);
    X509_VERIFY_PARAM *vp = SSL_get0_param(st->ssl);
    int ok = literal ? X509_VERIFY_PARAM_set1_ip_asc(vp, host)
                     : SSL_set_tlsext_host_name(st->ssl, host) == 1 && SSL_set1_host(st->ssl, host) == 1;
    if (ok == 1 && tc && tc->alpn_len > 0)
        ok = SSL_set_alpn_protos(st->ssl, tc->alpn, (unsigned)tc->alpn_len) == 0; /* 0 is success */
    if (ok != 1) {
        snprintf(err, errlen, "cannot set the name to verify or the ALPN list");
        return -1;
    }
    return 0;
}

static void tls_connected(probe_attempt_t *a)
{
    tls_state_t *st = a->priv;
    char err[256];
    st->connected = true;
    a->connect_ms = probe_elapsed_ms(a) - (a->dns_ms > 0 ? a->dns_ms : 0);
    st->handshake_t0 = probe_elapsed_ms(a);
    if (tls_setup(a, err, sizeof(err)) != 0) {
        ERR_clear_error();
        tls_close(a);
        probe_finish(a, OUTCOME_ERROR, "%s", err);
        return;
    }
    tls_step(a);
}

static void tls_on_event(loop_t *loop, int fd, unsigned events, void *ud)
{
    (void)loop;
    (void)events;
    probe_attempt_t *a = ud;
    tls_state_t *st = a->priv;
    if (st->connected) {
        tls_step(a);
        return;
    }
    if (probe_tcp_connect_done(a, fd))
        tls_connected(a);
}

static void tls_start(probe_attempt_t *a)
{
    probe_tcp_connect(a, sizeof(tls_state_t), tls_on_event, tls_connected);
}

static void tls_abort(probe_attempt_t *a)
{
    tls_state_t *st = a->priv;
    bool connected = st && st->connected;
    tls_close(a);
    if (connected) {
        a->outcome = OUTCOME_APP_TIMEOUT;
        snprintf(a->detail, sizeof(a->detail),
                 "TCP connected, but the TLS handshake did not finish within %d ms", a->timeout_ms);
    } else {
        a->outcome = OUTCOME_TIMEOUT;
        snprintf(a->detail, sizeof(a->detail), "no answer to TCP SYN within %d ms", a->timeout_ms);
    }
}

/* ---- hint ------------------------------------------------------------------------------- */

#define HINT(...) snprintf(buf, len, __VA_ARGS__)

static bool tls_hint(const result_t *r, const hint_parts_t *p, char *buf, size_t len)
{
    if (r->expect != EXPECT_ALLOW || r->outcome != OUTCOME_TLS_ERROR)
        return false;
    HINT("The TLS handshake with %s failed though the path is open: the certificate is not signed "
         "by the CA in ca_file, has expired or does not name the host, or the server refused the "
         "minimum version or the ALPN protocols offered (see the detail); inspect it with `openssl "
         "s_client -connect %s -servername %s`.",
         p->endpoint, p->endpoint, p->host);
    return true;
}

const probe_ops_t tls_probe_ops = {
    .name = "tls",
    .resolves = true,
    .env_kind = KIND_TLS,
    .env_init = tls_env_init,
    .env_cleanup = tls_env_cleanup,
    .open = OUTCOME_CONNECTED,
    .keys = tls_keys,
    .parse = tls_parse,
    .clear = tls_clear,
    .target = probe_target_hostport,
    .hint = tls_hint,
    .start = tls_start,
    .abort = tls_abort,
};
