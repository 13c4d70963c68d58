/* http_classify.h: the pure half of the http/https probe: the request's pieces (address pin,
 * header lines) and the judging of what libcurl reported about a finished or aborted transfer
 * (outcome, short detail, phase timings). No I/O: tests/unit/test_http_classify.c feeds it. */
#ifndef ZT_HTTP_CLASSIFY_H
#define ZT_HTTP_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "outcome.h"

/* Body bytes kept (body_contains) and read at most: a stream of unknown size stops here. */
#define HTTP_BODY_CAP 65536u

/* Longest CURLOPT_RESOLVE entry or header line we build. */
#define HTTP_LINE_MAX 8192

/* Writes the CURLOPT_RESOLVE entry "HOST:PORT:ADDR" ("[ADDR]" for IPv6) that pins host to
 * the resolved address. Returns 1, or 0 when host is an IP literal (no pin needed; an IPv6
 * literal cannot even be written in one), or -1 when it does not fit. libcurl 7.88 matches
 * the name as spelled in the URL, trailing dot included. */
int http_classify_resolve_entry(const char *host, int port, int family, const char *addr, char *buf,
                                size_t len);

/* Writes "Name: value" ("Name;" for an empty value, libcurl's spelling). Returns 0, or -1
 * when it does not fit or name/value holds a line break (which would smuggle in a header). */
int http_classify_header_line(const config_header_t *h, char *buf, size_t len);

/* What libcurl said about one transfer. Times are libcurl's *_TIME_T values in microseconds
 * since the transfer began; 0 means the phase was not reached. */
typedef struct {
    int code;       /* CURLcode of the finished transfer (unused by abort) */
    long os_errno;  /* CURLINFO_OS_ERRNO */
    long http_code; /* CURLINFO_RESPONSE_CODE; 0: no status line yet */
    bool https;
    bool cap_hit; /* our write callback stopped the body at HTTP_BODY_CAP */
    /* Our own record of the TCP handshake: libcurl 7.88 sets CONNECT_TIME_T only once the
     * whole connection (TLS included) is up, so a failed TLS handshake looks unconnected. */
    bool tcp_connected;
    double tcp_connect_ms; /* socket() to connected, valid when tcp_connected */
    long long namelookup_us, connect_us, appconnect_us, starttransfer_us;
    const char *body; /* the kept prefix (may be NULL when nothing was kept) */
    size_t body_len;
    unsigned long long body_bytes; /* body bytes received (kept or not) */
    const char *message;           /* libcurl's error buffer, else curl_easy_strerror (may be NULL) */
} http_facts_t;

/* True when the status code is accepted: the probe's list, "any", or by default 2xx. */
bool http_classify_status_ok(const config_probe_t *p, long code);

/* True when the absolute URLs a and b have the same origin: scheme, host and port (default
 * ports filled in, host compared without case). A URL libcurl cannot parse is no match. The
 * probe follows only such redirects: the name stays the one c-ares resolved and the
 * resolved_within checks covered, and custom headers never go to another host. */
bool http_classify_same_origin(const char *a, const char *b);

/* True when there is no body_contains, or it occurs (binary-safe) in body[0..len). */
bool http_classify_body_ok(const config_probe_t *p, const char *body, size_t len);

/* Classifies a transfer that libcurl finished (the reference, "Outcomes"); writes a bounded detail. */
/* True for an L7 proxy's own refusal: HTTP 403 whose body is exactly Envoy's "Access denied"
 * (trailing CR/LF aside). Any other 403 is the server's own answer. */
bool http_classify_l7_refusal(long code, const char *body, size_t len);

outcome_t http_classify_done(const config_probe_t *p, const http_facts_t *f, char *detail, size_t len);

/* Classifies a transfer that the deadline (budget_ms) stopped, by how far it got. */
outcome_t http_classify_abort(const http_facts_t *f, long budget_ms, char *detail, size_t len);

/* Phase durations in ms, negative for phases not reached: connect = TCP handshake, tls = TLS
 * handshake (https only), first_byte = connection ready to first byte of the answer. */
void http_classify_timings(const http_facts_t *f, double *connect_ms, double *tls_ms, double *first_byte_ms);

#endif
