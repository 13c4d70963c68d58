/* test_http_classify.c: the pure half of the http/https probe, fed libcurl facts directly. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "http_classify.h"
#include "result.h"

static config_probe_t probe_http(void)
{
    config_probe_t p;
    memset(&p, 0, sizeof p);
    p.kind = KIND_HTTP;
    p.method = "GET";
    return p;
}

/* A transfer that connected at 0.3 ms and got its first byte at 0.9 ms. */
static http_facts_t answered(long code, unsigned long long bytes)
{
    http_facts_t f;
    memset(&f, 0, sizeof f);
    f.code = CURLE_OK;
    f.http_code = code;
    f.namelookup_us = 20;
    f.connect_us = 320;
    f.starttransfer_us = 920;
    f.body_bytes = bytes;
    f.tcp_connected = true;
    f.tcp_connect_ms = 0.25;
    return f;
}

static http_facts_t failed(CURLcode code, long os_errno, bool connected, const char *msg)
{
    http_facts_t f;
    memset(&f, 0, sizeof f);
    f.code = code;
    f.os_errno = os_errno;
    f.connect_us = connected ? 300 : 0;
    f.tcp_connected = connected;
    f.message = msg;
    return f;
}

static void test_resolve_entry(void **state)
{
    (void)state;
    char buf[128];
    assert_int_equal(http_classify_resolve_entry("api.example.", 8443, AF_INET, "192.0.2.7", buf, sizeof buf),
                     1);
    assert_string_equal(buf, "api.example.:8443:192.0.2.7");
    assert_int_equal(http_classify_resolve_entry("db.lab", 443, AF_INET6, "2001:db8::5", buf, sizeof buf), 1);
    assert_string_equal(buf, "db.lab:443:[2001:db8::5]");
    /* Literals need no pin. */
    assert_int_equal(http_classify_resolve_entry("192.0.2.7", 80, AF_INET, "192.0.2.7", buf, sizeof buf), 0);
    assert_int_equal(http_classify_resolve_entry("::1", 80, AF_INET6, "::1", buf, sizeof buf), 0);
    assert_int_equal(http_classify_resolve_entry("a.very.long.name", 80, AF_INET, "192.0.2.7", buf, 10), -1);
}

static void test_header_line(void **state)
{
    (void)state;
    char buf[64];
    config_header_t h = {"Authorization", "Bearer abc"};
    assert_int_equal(http_classify_header_line(&h, buf, sizeof buf), 0);
    assert_string_equal(buf, "Authorization: Bearer abc");
    h.value = "";
    assert_int_equal(http_classify_header_line(&h, buf, sizeof buf), 0);
    assert_string_equal(buf, "Authorization;");
    h.value = "x\r\nX-Injected: 1";
    assert_int_equal(http_classify_header_line(&h, buf, sizeof buf), -1);
    h.name = "X-A\n";
    h.value = "1";
    assert_int_equal(http_classify_header_line(&h, buf, sizeof buf), -1);
    h.name = "X-Long";
    h.value = "0123456789012345678901234567890123456789012345678901234567890123456789";
    assert_int_equal(http_classify_header_line(&h, buf, sizeof buf), -1);
}

static void test_status_default_2xx(void **state)
{
    (void)state;
    config_probe_t p = probe_http();
    assert_true(http_classify_status_ok(&p, 200));
    assert_true(http_classify_status_ok(&p, 299));
    assert_false(http_classify_status_ok(&p, 199));
    assert_false(http_classify_status_ok(&p, 301));
    assert_false(http_classify_status_ok(&p, 404));
}

static void test_status_list_and_any(void **state)
{
    (void)state;
    int codes[] = {301, 418};
    config_probe_t p = probe_http();
    p.status = codes;
    p.n_status = 2;
    assert_true(http_classify_status_ok(&p, 418));
    assert_true(http_classify_status_ok(&p, 301));
    assert_false(http_classify_status_ok(&p, 200));
    p.status_any = true;
    assert_true(http_classify_status_ok(&p, 200));
    assert_true(http_classify_status_ok(&p, 503));
}

static void test_body_contains_is_binary_safe(void **state)
{
    (void)state;
    static const char body[] = "\x00\x01head\x00{\"status\":\"healthy\"}";
    config_probe_t p = probe_http();
    assert_true(http_classify_body_ok(&p, NULL, 0)); /* no check configured */
    p.body_contains = "\"status\":\"healthy\"";
    assert_true(http_classify_body_ok(&p, body, sizeof body - 1));
    assert_false(http_classify_body_ok(&p, body, 10)); /* only a prefix was kept */
    assert_false(http_classify_body_ok(&p, NULL, 0));
    p.body_contains = "sick";
    assert_false(http_classify_body_ok(&p, body, sizeof body - 1));
}

static void test_ok_and_status(void **state)
{
    (void)state;
    char d[RESULT_DETAIL_LEN];
    config_probe_t p = probe_http();
    http_facts_t f = answered(200, 1234);
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_OK);
    assert_string_equal(d, "HTTP 200, 1234 bytes");
    f = answered(404, 3);
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_HTTP_STATUS);
    assert_string_equal(d, "HTTP 404 (expected 2xx)");
    int codes[] = {200, 204};
    p.status = codes;
    p.n_status = 2;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_HTTP_STATUS);
    assert_string_equal(d, "HTTP 404 (expected 200, 204)");
    /* A 200 without a status line never reaches OK. */
    f = answered(0, 0);
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_PROTOCOL_ERROR);
}

/* deny_at l7: only a 403 whose body is Envoy's "Access denied" is the proxy's refusal. */
static void test_l7_refusal(void **state)
{
    (void)state;
    char d[RESULT_DETAIL_LEN];
    static const struct {
        long code;
        const char *body;
        outcome_t want;
    } cases[] = {
        {403, "Access denied\r\n", OUTCOME_L7_DENIED},
        {403, "Access denied", OUTCOME_L7_DENIED},
        {403, "Access denied!", OUTCOME_HTTP_STATUS},
        {403, "<h1>Access denied</h1>", OUTCOME_HTTP_STATUS},
        {403, "forbidden", OUTCOME_HTTP_STATUS},
        {401, "Access denied", OUTCOME_HTTP_STATUS},
        {200, "Access denied", OUTCOME_OK},
    };
    config_probe_t p = probe_http();
    p.deny_at_l7 = true;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_facts_t f = answered(cases[i].code, strlen(cases[i].body));
        f.body = cases[i].body;
        f.body_len = strlen(cases[i].body);
        assert_int_equal(http_classify_done(&p, &f, d, sizeof d), cases[i].want);
    }
    /* Without deny_at l7 Envoy's 403 is an answer like any other. */
    p.deny_at_l7 = false;
    http_facts_t f = answered(403, 13);
    f.body = "Access denied";
    f.body_len = 13;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_HTTP_STATUS);
}

static void test_body_mismatch_and_cap(void **state)
{
    (void)state;
    char d[RESULT_DETAIL_LEN];
    static const char body[] = "all good";
    config_probe_t p = probe_http();
    p.body_contains = "healthy";
    http_facts_t f = answered(200, sizeof body - 1);
    f.body = body;
    f.body_len = sizeof body - 1;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_BODY_MISMATCH);
    assert_non_null(strstr(d, "does not contain \"healthy\""));

    /* Our own cap stops an endless body with CURLE_WRITE_ERROR: judged on the prefix. */
    p.body_contains = "good";
    f.code = CURLE_WRITE_ERROR;
    f.cap_hit = true;
    f.body_bytes = HTTP_BODY_CAP;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_OK);
    assert_string_equal(d, "HTTP 200, body truncated at 65536 bytes");
    /* A write error that is not our cap is an internal error. */
    f.cap_hit = false;
    f.message = "Failure writing output to destination";
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_ERROR);
}

static void test_connect_errors(void **state)
{
    (void)state;
    char d[RESULT_DETAIL_LEN];
    config_probe_t p = probe_http();
    const char *m = "Failed to connect to h port 1 after 0 ms: Couldn't connect to server";
    http_facts_t f = failed(CURLE_COULDNT_CONNECT, ECONNREFUSED, false, m);
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_REFUSED);
    assert_non_null(strstr(d, strerror(ECONNREFUSED)));
    f.os_errno = EHOSTUNREACH;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_UNREACHABLE);
    f.os_errno = ENETUNREACH;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_UNREACHABLE);
    f.os_errno = EACCES;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_UNREACHABLE);
    f.os_errno = EPERM;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_UNREACHABLE);
    f.os_errno = 0;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_ERROR);
}

static void test_timeouts_by_phase(void **state)
{
    (void)state;
    char d[RESULT_DETAIL_LEN];
    config_probe_t p = probe_http();
    http_facts_t f = failed(CURLE_OPERATION_TIMEDOUT, 0, false, "Connection timed out");
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_TIMEOUT);
    f = failed(CURLE_OPERATION_TIMEDOUT, 0, true, "Operation timed out");
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_APP_TIMEOUT);
    /* https: libcurl 7.88 records no CONNECT time while TLS is unfinished; our own note of
     * the TCP handshake still says "connected". */
    p.kind = KIND_HTTPS;
    f = failed(CURLE_OPERATION_TIMEDOUT, 0, false, "Connection timed out");
    f.https = true;
    f.tcp_connected = true;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_APP_TIMEOUT);
    assert_non_null(strstr(d, "TLS handshake did not complete"));
}

static void test_tls_errors(void **state)
{
    (void)state;
    char d[RESULT_DETAIL_LEN];
    config_probe_t p = probe_http();
    p.kind = KIND_HTTPS;
    http_facts_t f = failed(CURLE_PEER_FAILED_VERIFICATION, 0, false,
                            "SSL certificate problem: unable to get local issuer certificate");
    f.https = true;
    f.tcp_connected = true;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_TLS_ERROR);
    assert_string_equal(d, "SSL certificate problem: unable to get local issuer certificate");
    f.code = CURLE_SSL_CACERT_BADFILE;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_TLS_ERROR);
    f.code = CURLE_SSL_CONNECT_ERROR;
    f.message = "OpenSSL/3.0.11: error:0A000410:SSL routines::sslv3 alert handshake failure";
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_TLS_ERROR);
    /* The peer broke the handshake off, or is no TLS server at all: protocol_error. */
    f.message = "OpenSSL/3.0.11: error:0A00010B:SSL routines::wrong version number";
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_PROTOCOL_ERROR);
    f.message = "OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to h:443 ";
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_PROTOCOL_ERROR);
    assert_string_equal(d, "OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to h:443");
    f.message = "OpenSSL SSL_connect: something new";
    f.os_errno = ECONNRESET;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_PROTOCOL_ERROR);
}

static void test_protocol_errors(void **state)
{
    (void)state;
    char d[RESULT_DETAIL_LEN];
    config_probe_t p = probe_http();
    http_facts_t f = failed(CURLE_GOT_NOTHING, 0, true, "Empty reply from server");
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_PROTOCOL_ERROR);
    f = failed(CURLE_UNSUPPORTED_PROTOCOL, 0, true, "Received HTTP/0.9 when not allowed");
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_PROTOCOL_ERROR);
    f = failed(CURLE_PARTIAL_FILE, 0, true, "transfer closed with 95 bytes remaining to read");
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_PROTOCOL_ERROR);
    /* A redirect to the other scheme is the answer itself: a status. */
    f = failed(CURLE_UNSUPPORTED_PROTOCOL, 0, true, "Protocol \"https\" not supported");
    f.http_code = 302;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_HTTP_STATUS);
    /* Not connected: the errno decides; none: internal error. */
    f = failed(CURLE_RECV_ERROR, EHOSTUNREACH, false, "Recv failure");
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_UNREACHABLE);
    f = failed(CURLE_SEND_ERROR, 0, false, "Send failure");
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_ERROR);
}

static void test_other_codes(void **state)
{
    (void)state;
    char d[RESULT_DETAIL_LEN];
    config_probe_t p = probe_http();
    http_facts_t f = failed(CURLE_TOO_MANY_REDIRECTS, 0, true, "Maximum (5) redirects followed");
    f.http_code = 302;
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_HTTP_STATUS);
    assert_string_equal(d, "HTTP 302, Maximum (5) redirects followed");
    f = failed(CURLE_COULDNT_RESOLVE_HOST, 0, true, "Could not resolve host: elsewhere");
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_DNS_ERROR);
    f = failed(CURLE_OUT_OF_MEMORY, 0, false, NULL);
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_ERROR);
}

static void test_detail_is_bounded_and_clean(void **state)
{
    (void)state;
    char msg[600], d[64];
    config_probe_t p = probe_http();
    memset(msg, 'x', sizeof msg - 1);
    msg[sizeof msg - 1] = '\0';
    msg[5] = '\n';
    http_facts_t f = failed(CURLE_GOT_NOTHING, 0, true, msg);
    memset(d, 'Z', sizeof d);
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_PROTOCOL_ERROR);
    assert_true(strlen(d) < sizeof d);
    assert_null(strchr(d, '\n'));
    /* C1 controls (U+009B CSI, a raw 0x9b) and ESC from a peer's message are blanked. */
    f = failed(CURLE_GOT_NOTHING, 0, true,
               "a\xc2\x9b"
               "2J b\x9b"
               "c \x1b[5m d \xc3\xa9");
    assert_int_equal(http_classify_done(&p, &f, d, sizeof d), OUTCOME_PROTOCOL_ERROR);
    assert_string_equal(d, "a 2J b c  [5m d \xc3\xa9");
}

static void test_abort_by_phase(void **state)
{
    (void)state;
    char d[RESULT_DETAIL_LEN];
    http_facts_t f;
    memset(&f, 0, sizeof f);
    assert_int_equal(http_classify_abort(&f, 3000, d, sizeof d), OUTCOME_TIMEOUT);
    assert_string_equal(d, "no answer to TCP SYN within 3000 ms");
    f.tcp_connected = true;
    assert_int_equal(http_classify_abort(&f, 3000, d, sizeof d), OUTCOME_APP_TIMEOUT);
    assert_string_equal(d, "connected, no answer within 3000 ms");
    f.https = true;
    assert_int_equal(http_classify_abort(&f, 3000, d, sizeof d), OUTCOME_APP_TIMEOUT);
    assert_non_null(strstr(d, "TLS handshake did not complete"));
    f.appconnect_us = 900;
    f.http_code = 200;
    f.body_bytes = 3;
    assert_int_equal(http_classify_abort(&f, 3000, d, sizeof d), OUTCOME_APP_TIMEOUT);
    assert_non_null(strstr(d, "HTTP 200"));
}

static void test_timings(void **state)
{
    (void)state;
    double c, t, fb;
    http_facts_t f = answered(200, 1);
    http_classify_timings(&f, &c, &t, &fb);
    assert_true(c > 0.2999 && c < 0.3001);
    assert_true(t < 0);
    assert_true(fb > 0.5999 && fb < 0.6001);

    f.https = true;
    f.appconnect_us = 2320;
    f.starttransfer_us = 2820;
    http_classify_timings(&f, &c, &t, &fb);
    assert_true(t > 1.9999 && t < 2.0001);
    assert_true(fb > 0.4999 && fb < 0.5001);

    /* TLS failed: libcurl has no CONNECT time, ours stands in; no tls, no first byte. */
    f = failed(CURLE_PEER_FAILED_VERIFICATION, 0, false, "x");
    f.https = true;
    f.tcp_connected = true;
    f.tcp_connect_ms = 0.4;
    http_classify_timings(&f, &c, &t, &fb);
    assert_true(c > 0.3999 && c < 0.4001);
    assert_true(t < 0 && fb < 0);

    f = failed(CURLE_COULDNT_CONNECT, ECONNREFUSED, false, "x");
    http_classify_timings(&f, &c, &t, &fb);
    assert_true(c < 0 && t < 0 && fb < 0);
}

/* Redirects are followed only within one origin (issue 11, item 4). */
static void test_same_origin(void **state)
{
    (void)state;
    assert_true(http_classify_same_origin("http://svc:8080/a", "http://svc:8080/b?x=1"));
    assert_true(http_classify_same_origin("http://svc/a", "http://SVC:80/b"));
    assert_true(http_classify_same_origin("https://svc/a", "https://svc:443/"));
    assert_true(http_classify_same_origin("http://[2001:db8::1]:81/", "http://[2001:db8::1]:81/x"));
    assert_false(http_classify_same_origin("http://svc:8080/a", "http://svc:8081/a"));
    assert_false(http_classify_same_origin("http://svc/a", "https://svc/a"));
    assert_false(http_classify_same_origin("http://svc/a", "http://svc.other/a"));
    assert_false(http_classify_same_origin("http://127.0.0.1:80/", "http://localhost:80/"));
    assert_false(http_classify_same_origin("http://svc/a", "http://evil@svc.attacker:80/"));
    assert_false(http_classify_same_origin("http://svc/a", "not a url"));
    assert_false(http_classify_same_origin("http://svc/a", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_origin),         cmocka_unit_test(test_resolve_entry),
        cmocka_unit_test(test_header_line),         cmocka_unit_test(test_status_default_2xx),
        cmocka_unit_test(test_status_list_and_any), cmocka_unit_test(test_body_contains_is_binary_safe),
        cmocka_unit_test(test_ok_and_status),       cmocka_unit_test(test_body_mismatch_and_cap),
        cmocka_unit_test(test_connect_errors),      cmocka_unit_test(test_timeouts_by_phase),
        cmocka_unit_test(test_tls_errors),          cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_other_codes),         cmocka_unit_test(test_detail_is_bounded_and_clean),
        cmocka_unit_test(test_abort_by_phase),      cmocka_unit_test(test_timings),
        cmocka_unit_test(test_l7_refusal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
