/* http_classify.c: libcurl's result of an http/https transfer -> outcome, detail, timings.
 * Pure: only libcurl's header (for the CURLE_* codes), no library call. */
#include "http_classify.h"
#include "ipaddr.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "probe.h"
#include "strbuf.h"

/* Copies a library message into out as one printable line (no newline, no control bytes
 * C0, DEL or C1, nothing that is not UTF-8, no trailing blanks: curl's OpenSSL messages end in
 * a space); the terminal filter of strbuf decides. */
static void clean_line(const char *in, char *out, size_t len)
{
    size_t n = 0, left = in != NULL ? strlen(in) : 0;
    bool safe;

    if (len == 0)
        return;
    while (left > 0) {
        size_t l = strbuf_term_seq((const unsigned char *)in, left, &safe);
        if (n + (safe ? l : 1) + 1 > len)
            break;
        if (safe)
            memcpy(out + n, in, l);
        else
            out[n] = ' ';
        n += safe ? l : 1;
        in += l;
        left -= l;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

int http_classify_resolve_entry(const char *host, int port, int family, const char *addr, char *buf,
                                size_t len)
{
    ip_addr_t literal;
    int w;

    if (ip_addr_parse(host, &literal))
        return 0;
    w = snprintf(buf, len, family == AF_INET6 ? "%s:%d:[%s]" : "%s:%d:%s", host, port, addr);
    return (w < 0 || (size_t)w >= len) ? -1 : 1;
}

int http_classify_header_line(const config_header_t *h, char *buf, size_t len)
{
    int w;

    if (strpbrk(h->name, "\r\n") != NULL || strpbrk(h->value, "\r\n") != NULL)
        return -1;
    if (h->value[0] == '\0')
        w = snprintf(buf, len, "%s;", h->name);
    else
        w = snprintf(buf, len, "%s: %s", h->name, h->value);
    return (w < 0 || (size_t)w >= len) ? -1 : 0;
}

bool http_classify_status_ok(const config_probe_t *p, long code)
{
    if (p->status_any)
        return true;
    if (p->n_status == 0)
        return code >= 200 && code <= 299;
    for (size_t i = 0; i < p->n_status; i++) {
        if (p->status[i] == code)
            return true;
    }
    return false;
}

bool http_classify_body_ok(const config_probe_t *p, const char *body, size_t len)
{
    size_t want;

    if (p->body_contains == NULL)
        return true;
    want = strlen(p->body_contains);
    if (want == 0)
        return true;
    if (body == NULL || len < want)
        return false;
    return memmem(body, len, p->body_contains, want) != NULL;
}

/* "2xx", "any" or "200, 204" (bounded; "..." when the list does not fit). */
static void expected_codes(const config_probe_t *p, char *out, size_t len)
{
    size_t used = 0;

    if (p->status_any || p->n_status == 0) {
        snprintf(out, len, "%s", p->status_any ? "any" : "2xx");
        return;
    }
    out[0] = '\0';
    for (size_t i = 0; i < p->n_status; i++) {
        int w = snprintf(out + used, len - used, "%s%d", i ? ", " : "", p->status[i]);
        if (w < 0 || (size_t)w >= len - used) {
            if (len > 4)
                memcpy(out + len - 4, "...", 4);
            return;
        }
        used += (size_t)w;
    }
}

/* scheme, host and port of url into the three buffers of len bytes each; false when it does
 * not parse. */
static bool origin_of(const char *url, char *scheme, char *host, char *port, size_t len)
{
    CURLU *u = curl_url();
    char *sc = NULL, *ho = NULL, *po = NULL;
    bool ok = u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &sc, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &ho, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &po, CURLU_DEFAULT_PORT) == CURLUE_OK;
    if (ok) {
        snprintf(scheme, len, "%s", sc);
        snprintf(host, len, "%s", ho);
        snprintf(port, len, "%s", po);
    }
    curl_free(sc);
    curl_free(ho);
    curl_free(po);
    curl_url_cleanup(u);
    return ok;
}

bool http_classify_same_origin(const char *a, const char *b)
{
    char sa[300], ha[300], pa[300], sb[300], hb[300], pb[300];
    if (a == NULL || b == NULL || !origin_of(a, sa, ha, pa, sizeof(sa)) ||
        !origin_of(b, sb, hb, pb, sizeof(sb)))
        return false;
    return strcasecmp(sa, sb) == 0 && strcasecmp(ha, hb) == 0 && strcmp(pa, pb) == 0;
}

bool http_classify_l7_refusal(long code, const char *body, size_t len)
{
    static const char envoy[] = "Access denied"; /* Envoy's local reply for an RBAC/L7 deny */
    while (len > 0 && body && (body[len - 1] == '\n' || body[len - 1] == '\r' || body[len - 1] == ' '))
        len--;
    return code == 403 && body && len == sizeof(envoy) - 1 && memcmp(body, envoy, len) == 0;
}

/* The transfer completed (or our own body cap stopped it): judge status, then body. */
static outcome_t judge_answer(const config_probe_t *p, const http_facts_t *f, char *detail, size_t len)
{
    char exp[64], want[52], size[48];

    if (f->http_code <= 0) {
        snprintf(detail, len, "no HTTP status line in the answer");
        return OUTCOME_PROTOCOL_ERROR;
    }
    if (p->deny_at_l7 && http_classify_l7_refusal(f->http_code, f->body, f->body_len)) {
        snprintf(detail, len, "HTTP 403 \"Access denied\": the L7 proxy refused the request");
        return OUTCOME_L7_DENIED;
    }
    if (!http_classify_status_ok(p, f->http_code)) {
        expected_codes(p, exp, sizeof exp);
        snprintf(detail, len, "HTTP %ld (expected %s)", f->http_code, exp);
        return OUTCOME_HTTP_STATUS;
    }
    if (f->cap_hit)
        snprintf(size, sizeof size, "body truncated at %u bytes", HTTP_BODY_CAP);
    else
        snprintf(size, sizeof size, "%llu bytes", f->body_bytes);
    if (!http_classify_body_ok(p, f->body, f->body_len)) {
        clean_line(p->body_contains, want, sizeof want);
        snprintf(detail, len, "HTTP %ld, %s, body does not contain \"%s%s\"", f->http_code, size, want,
                 strlen(p->body_contains) >= sizeof want ? "..." : "");
        return OUTCOME_BODY_MISMATCH;
    }
    snprintf(detail, len, "HTTP %ld, %s", f->http_code, size);
    return OUTCOME_OK;
}

/* A TLS handshake that the peer broke off (reset, close without alert, or plain text where a
 * TLS record was expected) says "connected, then the peer reset/closed/spoke another
 * protocol": protocol_error. A real handshake or certificate failure stays tls_error. The
 * texts are those of libcurl 7.88 with OpenSSL 3 (Debian 12). */
static bool tls_broken_off(const http_facts_t *f, const char *msg)
{
    static const char *const marks[] = {
        "SSL_ERROR_SYSCALL",    "reset by peer",          "unexpected eof",       "Broken pipe",
        "wrong version number", "packet length too long", "record layer failure",
    };

    if (f->os_errno == ECONNRESET || f->os_errno == EPIPE)
        return true;
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        if (strstr(msg, marks[i]) != NULL)
            return true;
    }
    return false;
}

outcome_t http_classify_done(const config_probe_t *p, const http_facts_t *f, char *detail, size_t len)
{
    char msg[200];
    bool connected = f->connect_us > 0 || f->tcp_connected;

    clean_line(f->message, msg, sizeof msg);
    switch ((CURLcode)f->code) {
    case CURLE_OK: return judge_answer(p, f, detail, len);
    case CURLE_WRITE_ERROR:
        if (f->cap_hit)
            return judge_answer(p, f, detail, len);
        snprintf(detail, len, "%s", msg);
        return OUTCOME_ERROR;
    case CURLE_COULDNT_CONNECT: {
        /* libcurl 7.88 no longer names the errno in its message: say it ourselves. */
        int err = (int)f->os_errno;
        if (err == 0) {
            snprintf(detail, len, "connect: %s", msg);
            return OUTCOME_ERROR;
        }
        snprintf(detail, len, "connect: %s (%s)", strerror(err), msg);
        return probe_outcome_from_errno(err);
    }
    case CURLE_OPERATION_TIMEDOUT:
        if (!connected) {
            snprintf(detail, len, "no answer to TCP SYN (%s)", msg);
            return OUTCOME_TIMEOUT;
        }
        if (f->https && f->appconnect_us <= 0)
            snprintf(detail, len, "TLS handshake did not complete (%s)", msg);
        else
            snprintf(detail, len, "connected, no answer (%s)", msg);
        return OUTCOME_APP_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
        snprintf(detail, len, "%s", msg);
        return tls_broken_off(f, msg) ? OUTCOME_PROTOCOL_ERROR : OUTCOME_TLS_ERROR;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED: snprintf(detail, len, "%s", msg); return OUTCOME_TLS_ERROR;
    case CURLE_UNSUPPORTED_PROTOCOL:
        /* A redirect to the other scheme (http <-> https) is not followed: the answer was
         * that redirect. Otherwise it is HTTP/0.9-style garbage, below. */
        if (connected && f->http_code >= 300 && f->http_code <= 399) {
            snprintf(detail, len, "HTTP %ld, redirect not followed: %s", f->http_code, msg);
            return OUTCOME_HTTP_STATUS;
        }
        /* fall through */
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_PARTIAL_FILE:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_RANGE_ERROR:
        snprintf(detail, len, "%s", msg);
        if (connected)
            return OUTCOME_PROTOCOL_ERROR;
        return f->os_errno != 0 ? probe_outcome_from_errno((int)f->os_errno) : OUTCOME_ERROR;
    case CURLE_TOO_MANY_REDIRECTS:
        snprintf(detail, len, "HTTP %ld, %s", f->http_code, msg);
        return OUTCOME_HTTP_STATUS;
    case CURLE_COULDNT_RESOLVE_HOST:
        /* Only a redirect target can get here: the probe's own name comes pre-resolved. */
        snprintf(detail, len, "redirect: %s", msg);
        return OUTCOME_DNS_ERROR;
    default: snprintf(detail, len, "libcurl error %d: %s", f->code, msg); return OUTCOME_ERROR;
    }
}

outcome_t http_classify_abort(const http_facts_t *f, long budget_ms, char *detail, size_t len)
{
    if (f->connect_us <= 0 && !f->tcp_connected) {
        snprintf(detail, len, "no answer to TCP SYN within %ld ms", budget_ms);
        return OUTCOME_TIMEOUT;
    }
    if (f->https && f->appconnect_us <= 0)
        snprintf(detail, len, "connected, TLS handshake did not complete within %ld ms", budget_ms);
    else if (f->http_code > 0)
        snprintf(detail, len, "connected, HTTP %ld, body not complete within %ld ms (%llu bytes)",
                 f->http_code, budget_ms, f->body_bytes);
    else
        snprintf(detail, len, "connected, no answer within %ld ms", budget_ms);
    return OUTCOME_APP_TIMEOUT;
}

void http_classify_timings(const http_facts_t *f, double *connect_ms, double *tls_ms, double *first_byte_ms)
{
    long long ready = f->connect_us;

    *connect_ms = *tls_ms = *first_byte_ms = -1.0;
    if (f->connect_us <= 0) {
        /* libcurl recorded no connection (https whose handshake failed): our own clock. */
        if (f->tcp_connected)
            *connect_ms = f->tcp_connect_ms;
        return;
    }
    /* With CURLOPT_RESOLVE the lookup is a cache hit, but subtract it all the same. */
    *connect_ms = (double)(f->connect_us - f->namelookup_us) / 1000.0;
    if (f->https && f->appconnect_us > 0) {
        *tls_ms = (double)(f->appconnect_us - f->connect_us) / 1000.0;
        ready = f->appconnect_us;
    }
    if (f->starttransfer_us > 0 && (!f->https || f->appconnect_us > 0))
        *first_byte_ms = (double)(f->starttransfer_us - ready) / 1000.0;
}
