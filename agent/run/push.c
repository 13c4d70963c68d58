/* push.c: one blocking PUT to a Pushgateway with libcurl's easy interface. It runs after the
 * probes are done, so blocking costs nothing and keeps this file small. The URL a user gives
 * may carry basic-auth credentials; every message prints a redacted copy. */
#include "push.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "curl_safe.h"
#include "log.h"
#include "redact.h"
#include "strbuf.h"

#define PUSH_ANSWER_MAX 512 /* the start of the gateway's answer, for the error message */
#define PUSH_URL_MAX 4096
#define PUSH_DEFAULT_TIMEOUT_MS 10000L

typedef struct {
    char buf[PUSH_ANSWER_MAX];
    size_t len;
} answer_t;

/* Keeps the first bytes of the answer and drops the rest (an error page may be large). */
static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    answer_t *a = ud;
    size_t n = size * nmemb, room = sizeof(a->buf) - 1 - a->len;
    size_t k = n < room ? n : room;
    memcpy(a->buf + a->len, p, k);
    a->len += k;
    a->buf[a->len] = '\0';
    return n;
}

/* The authority of url ("user:pw@host:port") and its last '@' inside (NULL: no userinfo). */
static const char *push_authority(const char *url, const char **at)
{
    const char *sep = strstr(url, "://");
    const char *auth = sep ? sep + 3 : url;
    size_t auth_len = strcspn(auth, "/?#");
    *at = NULL;
    for (size_t i = 0; i < auth_len; i++)
        if (auth[i] == '@')
            *at = auth + i;
    return auth;
}

/* The URL for messages: scheme, host[:port] and path; user:password@, query and fragment
 * left out (a token may hide in either); control bytes as '?'. */
static void push_safe_url(const char *url, char *out, size_t len)
{
    redact_url(url, out, len);
    strbuf_term_clean(out, strlen(out));
}

/* True when url carries userinfo (sent as Basic credentials) and its scheme is not https. */
static bool push_plain_basic(const char *url)
{
    const char *at;
    push_authority(url, &at);
    return at != NULL && strncasecmp(url, "https://", 8) != 0;
}

/* Replaces every occurrence of secret (if not empty) in msg with "***", in place, cutting
 * the message if it no longer fits cap. */
static void scrub(char *msg, size_t cap, const char *secret, size_t slen)
{
    size_t pos = 0;
    while (slen > 0) {
        size_t len = strlen(msg);
        char *p = memmem(msg + pos, len - pos, secret, slen);
        if (p == NULL)
            return;
        size_t off = (size_t)(p - msg), tail = len - off - slen;
        if (off + 4 > cap) {
            msg[off] = '\0';
            return;
        }
        if (off + 3 + tail + 1 > cap)
            tail = cap - off - 4;
        memmove(p + 3, p + slen, tail);
        p[3 + tail] = '\0';
        memcpy(p, "***", 3);
        pos = off + 3; /* past the stars: a secret of '*' must not loop */
    }
}

/* Belt and braces: a curl message might quote the URL; no part of user:password survives. */
static void scrub_userinfo(char *msg, size_t cap, const char *url)
{
    const char *at;
    const char *auth = push_authority(url, &at);
    if (at == NULL)
        return;
    size_t ui_len = (size_t)(at - auth);
    const char *colon = memchr(auth, ':', ui_len);
    size_t user_len = colon ? (size_t)(colon - auth) : ui_len;
    scrub(msg, cap, auth, ui_len);
    if (colon)
        scrub(msg, cap, colon + 1, ui_len - user_len - 1);
}

/* RFC 4648 base64url with padding, the Pushgateway's "label@base64/VALUE" form. */
static void base64url(const char *s, char *out, size_t cap)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
}

/* Appends "/label/VALUE" (percent-escaped) or "/label@base64/VALUE" when the value holds a
 * '/', which the Pushgateway cannot take escaped. Returns 0, or -1 when it does not fit. */
static int append_part(CURL *h, char *url, size_t cap, const char *label, const char *value)
{
    size_t len = strlen(url);
    int n;
    if (strchr(value, '/') != NULL) {
        char enc[1024];
        if (strlen(value) > sizeof(enc) / 4 * 3 - 3)
            return -1;
        base64url(value, enc, sizeof(enc));
        n = snprintf(url + len, cap - len, "/%s@base64/%s", label, enc);
    } else {
        char *esc = curl_easy_escape(h, value, 0);
        if (esc == NULL)
            return -1;
        n = snprintf(url + len, cap - len, "/%s/%s", label, esc);
        curl_free(esc);
    }
    return n < 0 || (size_t)n >= cap - len ? -1 : 0;
}

/* The checks that need no libcurl: a URL and a job, no query or fragment, room for the path.
 * Returns the URL's length without trailing slashes, or -1 with msg set. */
static long push_check(const char *url, const char *job, const char *safe, char *msg, size_t msglen)
{
    if (job == NULL || job[0] == '\0') {
        snprintf(msg, msglen, "push %s: the job name must not be empty", safe);
        return -1;
    }
    if (strpbrk(url, "?#") != NULL) {
        snprintf(msg, msglen, "push %s: the URL must not carry a query or fragment", safe);
        return -1;
    }
    size_t base = strlen(url);
    while (base > 0 && url[base - 1] == '/') /* "http://gw:9091/" is common */
        base--;
    if (base + 16 >= PUSH_URL_MAX) {
        snprintf(msg, msglen, "push %s: URL too long", safe);
        return -1;
    }
    return (long)base;
}

/* URL/metrics/job/JOB[/instance/INSTANCE] into full (PUSH_URL_MAX bytes); -1: too long. */
static int push_full_url(CURL *h, const char *url, long base, const char *job, const char *instance,
                         char *full)
{
    snprintf(full, PUSH_URL_MAX, "%.*s/metrics", (int)base, url);
    if (append_part(h, full, PUSH_URL_MAX, "job", job) < 0)
        return -1;
    if (instance != NULL && instance[0] != '\0' &&
        append_part(h, full, PUSH_URL_MAX, "instance", instance) < 0)
        return -1;
    return 0;
}

/* The options of the one PUT; returns the first failure. */
static CURLcode push_setopts(CURL *h, const char *full, char *cerr, struct curl_slist *hdrs, answer_t *answer,
                             const char *body, long timeout_ms, const char *ca_file)
{
    long t = timeout_ms > 0 ? timeout_ms : PUSH_DEFAULT_TIMEOUT_MS;
    size_t blen = body ? strlen(body) : 0;
    CURLcode c = CURLE_OK;
#define PUSH_SET(opt, val) \
    do { \
        if (c == CURLE_OK) \
            c = curl_easy_setopt(h, opt, val); \
    } while (0)
    PUSH_SET(CURLOPT_URL, full);
    PUSH_SET(CURLOPT_ERRORBUFFER, cerr);
    /* Like the probes: never a proxy from the environment. A proxy would see the basic-auth
     * credentials of an http:// URL, and it is not the path the pod's policies allow. */
    if (c == CURLE_OK)
        c = curl_safe_setopts(h, "http,https");
    PUSH_SET(CURLOPT_CUSTOMREQUEST, "PUT");
    PUSH_SET(CURLOPT_POSTFIELDS, body ? body : "");
    PUSH_SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    PUSH_SET(CURLOPT_HTTPHEADER, hdrs);
    PUSH_SET(CURLOPT_WRITEFUNCTION, on_body);
    PUSH_SET(CURLOPT_WRITEDATA, answer);
    PUSH_SET(CURLOPT_TIMEOUT_MS, t);
    PUSH_SET(CURLOPT_CONNECTTIMEOUT_MS, t);
    if (ca_file != NULL && ca_file[0] != '\0')
        PUSH_SET(CURLOPT_CAINFO, ca_file);
    PUSH_SET(CURLOPT_USERAGENT, "ztprobe");
#undef PUSH_SET
    return c;
}

/* Content-Type, and no "Expect: 100-continue" round trip for a body over 1 kB. NULL: out of
 * memory. */
static struct curl_slist *push_headers(void)
{
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: text/plain; version=0.0.4");
    if (hdrs == NULL)
        return NULL;
    struct curl_slist *h2 = curl_slist_append(hdrs, "Expect:");
    if (h2 == NULL) {
        curl_slist_free_all(hdrs);
        return NULL;
    }
    return h2;
}

/* Performs the PUT; 0 on a 2xx answer, else -1 with msg. */
static int push_perform(CURL *h, const char *url, const char *safe, const char *cerr, answer_t *answer,
                        char *msg, size_t msglen)
{
    if (push_plain_basic(url))
        log_error("push %s: warning: the URL's user:password go over plain http, readable on the "
                  "way; use https",
                  safe);
    CURLcode c = curl_easy_perform(h);
    if (c != CURLE_OK) {
        snprintf(msg, msglen, "push %s: %s", safe, cerr[0] ? cerr : curl_easy_strerror(c));
        return -1;
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        /* The gateway says why in its first line ("pushed metrics are invalid ..."). */
        size_t line = strcspn(answer->buf, "\r\n");
        answer->buf[line] = '\0';
        strbuf_term_clean(answer->buf, line);
        snprintf(msg, msglen, "push %s: HTTP %ld%s%.200s", safe, status, answer->buf[0] ? ": " : "",
                 answer->buf);
        return -1;
    }
    return 0;
}

int push_prometheus(const char *url, const char *job, const char *instance, const char *body, long timeout_ms,
                    const char *ca_file, char *err, size_t errlen)
{
    char safe[512], full[PUSH_URL_MAX], cerr[CURL_ERROR_SIZE] = "";
    char msg[1024] = "";
    answer_t answer = {.len = 0};
    struct curl_slist *hdrs = NULL;
    CURL *h = NULL;
    bool global = false;
    int rc = -1;
    long base;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (url == NULL || url[0] == '\0') {
        snprintf(msg, sizeof(msg), "push: no Pushgateway URL");
        goto done;
    }
    push_safe_url(url, safe, sizeof(safe));
    if ((base = push_check(url, job, safe, msg, sizeof(msg))) < 0)
        goto done;
    /* The libcurl counter makes this pair safe next to the runner's own. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(msg, sizeof(msg), "push %s: curl_global_init failed", safe);
        goto done;
    }
    global = true;
    if ((h = curl_easy_init()) == NULL) {
        snprintf(msg, sizeof(msg), "push %s: curl_easy_init failed", safe);
        goto done;
    }
    if (push_full_url(h, url, base, job, instance, full) < 0) {
        snprintf(msg, sizeof(msg), "push %s: URL too long", safe);
        goto done;
    }
    push_safe_url(full, safe, sizeof(safe));
    if ((hdrs = push_headers()) == NULL) {
        snprintf(msg, sizeof(msg), "push %s: out of memory", safe);
        goto done;
    }
    CURLcode c = push_setopts(h, full, cerr, hdrs, &answer, body, timeout_ms, ca_file);
    if (c != CURLE_OK) {
        snprintf(msg, sizeof(msg), "push %s: curl_easy_setopt: %s", safe, curl_easy_strerror(c));
        goto done;
    }
    rc = push_perform(h, url, safe, cerr, &answer, msg, sizeof(msg));
done:
    if (url != NULL)
        scrub_userinfo(msg, sizeof(msg), url);
    if (rc != 0 && err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", msg);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    if (global)
        curl_global_cleanup();
    return rc;
}
