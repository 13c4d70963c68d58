/* test_pg_classify.c: the postgres probe's pure half: libpq 15 messages (captured from real
 * runs against PostgreSQL 15 and test servers) -> outcomes and details; the password loader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pg_classify.h"
#include "postgres.h"

#define PFX "connection to server at \"127.0.0.1\", port 5432 failed: "

static void expect_outcome(const char *msg, bool connected, outcome_t want)
{
    outcome_t got = pg_classify_connect_error(msg, connected);
    if (got != want)
        print_error("message [%s] connected=%d: got %s, want %s\n", msg, connected,
                    outcome_name(got), outcome_name(want));
    assert_int_equal(got, want);
}

static void test_before_tcp_connect(void **state)
{
    (void)state;
    expect_outcome(PFX
                   "Connection refused\n\tIs the server running on that host and accepting TCP/IP "
                   "connections?\n",
                   false, OUTCOME_REFUSED);
    expect_outcome(PFX "No route to host\n\tIs the server running on that host and accepting "
                       "TCP/IP connections?\n",
                   false, OUTCOME_UNREACHABLE);
    expect_outcome(PFX "Network is unreachable\n", false, OUTCOME_UNREACHABLE);
    expect_outcome(PFX "Operation not permitted\n", false, OUTCOME_UNREACHABLE);
    expect_outcome(PFX "Permission denied\n", false, OUTCOME_UNREACHABLE);
    expect_outcome(PFX "Connection timed out\n", false, OUTCOME_TIMEOUT);
    expect_outcome(PFX "Cannot assign requested address\n", false, OUTCOME_ERROR);
    /* Parameters libpq refused before any socket: config problems, even when they say SSL. */
    expect_outcome("invalid sslmode value: \"bogus\"\n", false, OUTCOME_ERROR);
    expect_outcome("invalid port number: \"99999\"\n", false, OUTCOME_ERROR);
    expect_outcome("could not parse network address \"nope\": Name or service not known\n", false,
                   OUTCOME_ERROR);
    expect_outcome("", false, OUTCOME_ERROR);
    expect_outcome(NULL, false, OUTCOME_ERROR);
}

static void test_after_tcp_connect_auth(void **state)
{
    (void)state;
    expect_outcome(PFX "FATAL:  password authentication failed for user \"govtech_admin\"\n" PFX
                       "FATAL:  password authentication failed for user \"govtech_admin\"\n",
                   true, OUTCOME_AUTH_FAILED);
    expect_outcome(
        PFX "FATAL:  no pg_hba.conf entry for host \"10.0.0.7\", user \"x\", database \"y\", no "
            "encryption\n",
        true, OUTCOME_AUTH_FAILED);
    /* With TLS the server names the encryption; still a credentials matter. */
    expect_outcome(
        PFX "FATAL:  no pg_hba.conf entry for host \"10.0.0.7\", user \"x\", database \"y\", "
            "SSL encryption\n",
        true, OUTCOME_AUTH_FAILED);
    expect_outcome(PFX "FATAL:  pg_hba.conf rejects connection for host \"10.0.0.7\", user \"x\", "
                       "database \"y\", SSL encryption\n",
                   true, OUTCOME_AUTH_FAILED);
    expect_outcome(PFX "fe_sendauth: no password supplied\n", true, OUTCOME_AUTH_FAILED);
    expect_outcome(PFX "FATAL:  database \"nodb\" does not exist\n", true, OUTCOME_AUTH_FAILED);
    expect_outcome(PFX "FATAL:  role \"nobody\" does not exist\n", true, OUTCOME_AUTH_FAILED);
    expect_outcome(PFX "FATAL:  role \"ro\" is not permitted to log in\n", true,
                   OUTCOME_AUTH_FAILED);
    expect_outcome(
        PFX
        "FATAL:  permission denied for database \"govtech\"\nDETAIL:  User does not have CONNECT "
        "privilege.\n",
        true, OUTCOME_AUTH_FAILED);
    expect_outcome(PFX "none of the server's SASL authentication mechanisms are supported\n", true,
                   OUTCOME_AUTH_FAILED);
}

static void test_after_tcp_connect_tls(void **state)
{
    (void)state;
    expect_outcome(PFX "SSL error: certificate verify failed\n", true, OUTCOME_TLS_ERROR);
    expect_outcome(
        PFX "server certificate for \"localhost\" (and 4 other names) does not match host name "
            "\"db.wrong.example\"\n",
        true, OUTCOME_TLS_ERROR);
    expect_outcome(
        PFX
        "root certificate file \"/nonexistent/ca.pem\" does not exist\nEither provide the file or "
        "change sslmode to disable server certificate verification.\n",
        true, OUTCOME_TLS_ERROR);
    expect_outcome(PFX "server does not support SSL, but SSL was required\n", true,
                   OUTCOME_TLS_ERROR);
    expect_outcome(PFX "SSL SYSCALL error: EOF detected\n", true, OUTCOME_TLS_ERROR);
    expect_outcome(
        PFX "SSL error: tlsv1 alert protocol version\nThis may indicate that the server does not "
            "support any SSL protocol version between TLSv1.2 and TLSv1.2.\n",
        true, OUTCOME_TLS_ERROR);
}

static void test_after_tcp_connect_protocol(void **state)
{
    (void)state;
    /* An HTTP server answering the SSLRequest / the startup packet with "HTTP/1.1 400". */
    expect_outcome(PFX "received invalid response to SSL negotiation: H\n", true,
                   OUTCOME_PROTOCOL_ERROR);
    expect_outcome(PFX "expected authentication request from server, but received H\n", true,
                   OUTCOME_PROTOCOL_ERROR);
    expect_outcome(
        PFX
        "server closed the connection unexpectedly\n\tThis probably means the server terminated "
        "abnormally\n\tbefore or while processing the request.\n",
        true, OUTCOME_PROTOCOL_ERROR);
    expect_outcome(PFX "could not receive data from server: Connection reset by peer\n", true,
                   OUTCOME_PROTOCOL_ERROR);
    expect_outcome(PFX "malformed SCRAM message (invalid salt)\n", true, OUTCOME_PROTOCOL_ERROR);
    expect_outcome(PFX "error received from server in SCRAM exchange: invalid-proof\n", true,
                   OUTCOME_AUTH_FAILED);
    /* Connected and failed within one PQconnectPoll call: the text proves the connect. */
    expect_outcome(PFX "could not send startup packet: Connection reset by peer\n", false,
                   OUTCOME_PROTOCOL_ERROR);
    expect_outcome(PFX "could not send SSL negotiation packet: Broken pipe\n", false,
                   OUTCOME_PROTOCOL_ERROR);
    /* The server answered, but not about the path or the credentials. */
    expect_outcome(PFX "FATAL:  sorry, too many clients already\n", true, OUTCOME_ERROR);
    expect_outcome(PFX "FATAL:  the database system is starting up\n", true, OUTCOME_ERROR);
}

static void test_last_attempt_counts(void **state)
{
    (void)state;
    /* sslmode=prefer: the TLS try failed, the plain retry was rejected: credentials. */
    const char *m1 = PFX "SSL error: tlsv1 alert protocol version\n" PFX
                         "FATAL:  password authentication failed for user \"u\"\n";
    expect_outcome(m1, true, OUTCOME_AUTH_FAILED);
    assert_string_equal(pg_classify_last_attempt(m1),
                        PFX "FATAL:  password authentication failed for user \"u\"\n");
    const char *m2 = PFX "FATAL:  password authentication failed for user \"u\"\n" PFX
                         "SSL error: certificate verify failed\n";
    expect_outcome(m2, true, OUTCOME_TLS_ERROR);
    assert_string_equal(pg_classify_last_attempt("no prefix at all"), "no prefix at all");
}

static void test_detail(void **state)
{
    (void)state;
    char d[256];
    pg_classify_detail(
        PFX "Connection refused\n\tIs the server running on that host and accepting TCP/IP "
            "connections?\n",
        d, sizeof(d));
    assert_string_equal(d, "Connection refused");
    pg_classify_detail(PFX "FATAL:  password authentication failed for user \"govtech_admin\"\n" PFX
                           "FATAL:  password authentication failed for user \"govtech_admin\"\n",
                       d, sizeof(d));
    assert_string_equal(d, "FATAL: password authentication failed for user \"govtech_admin\"");
    pg_classify_detail("invalid sslmode value: \"bogus\"\n", d, sizeof(d));
    assert_string_equal(d, "invalid sslmode value: \"bogus\"");
    pg_classify_detail("  fe_sendauth:\tno\x01password  \n", d, sizeof(d));
    assert_string_equal(d, "fe_sendauth: no password");
    pg_classify_detail("", d, sizeof(d));
    assert_string_equal(d, "connection failed (libpq gave no message)");
    pg_classify_detail(NULL, d, sizeof(d));
    assert_string_equal(d, "connection failed (libpq gave no message)");

    /* Bounded, and never cut inside a UTF-8 sequence (the report is JSON). */
    char small[8];
    pg_classify_detail(PFX "abcdefghij\n", small, sizeof(small));
    assert_string_equal(small, "abcdefg");
    pg_classify_detail(PFX "abcde\xc3\xa9z\n", small,
                       sizeof(small)); /* room for "abcde" + 1 byte */
    assert_string_equal(small, "abcde\xc3\xa9");
    pg_classify_detail(PFX "abcdef\xc3\xa9z\n", small, sizeof(small));
    assert_string_equal(small, "abcdef");
    pg_classify_detail(PFX "abcd\xe2\x82\xacz\n", small, sizeof(small));
    assert_string_equal(small, "abcd\xe2\x82\xac");
    pg_classify_detail(PFX "abcde\xe2\x82\xacz\n", small, sizeof(small));
    assert_string_equal(small, "abcde");

    char big[1200];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    pg_classify_detail(big, d, sizeof(d));
    assert_int_equal(strlen(d), sizeof(d) - 1);
}

static void test_value(void **state)
{
    (void)state;
    char d[256];
    pg_classify_ok_detail("15.20 (Debian 15.20-0+deb12u1)", 1, d, sizeof(d));
    assert_string_equal(d, "PostgreSQL 15.20 (Debian 15.20-0+deb12u1): query ok, 1 row");
    pg_classify_ok_detail("15.2", 0, d, sizeof(d));
    assert_string_equal(d, "PostgreSQL 15.2: query ok, 0 rows");
    pg_classify_ok_detail(NULL, 3, d, sizeof(d));
    assert_string_equal(d, "PostgreSQL ?: query ok, 3 rows");
    /* A hostile server's parameter: control characters dropped, length bounded. */
    char longv[400];
    memset(longv, 'v', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = '\0';
    longv[3] = '\n';
    pg_classify_ok_detail(longv, 2, d, sizeof(d));
    assert_null(strchr(d, '\n'));
    assert_true(strlen(d) < 140);
    char small[4];
    pg_classify_ok_detail("15", 1, small, sizeof(small));
    assert_string_equal(small, "Pos");
}

static void test_query_error(void **state)
{
    (void)state;
    char d[256];
    pg_classify_query_error("42P01", "relation \"nope\" does not exist", "ERROR:  relation ...", d,
                            sizeof(d));
    assert_string_equal(d, "42P01: relation \"nope\" does not exist");
    pg_classify_query_error(NULL, "boom", NULL, d, sizeof(d));
    assert_string_equal(d, "ERROR: boom");
    pg_classify_query_error(
        NULL, NULL, "server closed the connection unexpectedly\n\tThis probably...", d, sizeof(d));
    assert_string_equal(d, "server closed the connection unexpectedly");
    pg_classify_query_error(NULL, NULL, NULL, d, sizeof(d));
    assert_string_equal(d, "query failed");
}

static void test_redact(void **state)
{
    (void)state;
    char b[64];
    snprintf(b, sizeof(b), "user hunter2 said hunter2!");
    pg_classify_redact(b, sizeof(b), "hunter2");
    assert_string_equal(b, "user *** said ***!");
    snprintf(b, sizeof(b), "a-b-c");
    pg_classify_redact(b, sizeof(b), "-");
    assert_string_equal(b, "a***b***c");
    /* A secret made of stars must not match its own mask forever. */
    snprintf(b, sizeof(b), "x*y");
    pg_classify_redact(b, sizeof(b), "*");
    assert_string_equal(b, "x***y");
    snprintf(b, sizeof(b), "nothing here");
    pg_classify_redact(b, sizeof(b), "");
    pg_classify_redact(b, sizeof(b), NULL);
    assert_string_equal(b, "nothing here");
    /* Growth past the buffer's end is cut, and the secret's bytes are gone. */
    char t[6];
    snprintf(t, sizeof(t), "ab");
    pg_classify_redact(t, sizeof(t), "a");
    assert_string_equal(t, "***b");
    snprintf(t, sizeof(t), "xxxxa");
    pg_classify_redact(t, sizeof(t), "a");
    assert_string_equal(t, "xxxx*");
}

/* ---- pg_probe_password ---- */

static char tmpdir[64];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/zt-pgpw-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *content, size_t n)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, n, f), n);
    fclose(f);
    return path;
}

static int load(const char *env, const char *file, char *pw, size_t len, char *err, size_t errlen)
{
    config_probe_t p;
    memset(&p, 0, sizeof(p));
    p.password_env = (char *)env;
    p.password_file = (char *)file;
    err[0] = '\0';
    return pg_probe_password(&p, pw, len, err, errlen);
}

static void test_password_env(void **state)
{
    (void)state;
    char pw[1025], err[256];
    assert_int_equal(load(NULL, NULL, pw, sizeof(pw), err, sizeof(err)), 0);
    setenv("ZT_TEST_PGPW", "s3cret-Pw", 1);
    assert_int_equal(load("ZT_TEST_PGPW", NULL, pw, sizeof(pw), err, sizeof(err)), 1);
    assert_string_equal(pw, "s3cret-Pw");
    unsetenv("ZT_TEST_PGPW");
    assert_int_equal(load("ZT_TEST_PGPW", NULL, pw, sizeof(pw), err, sizeof(err)), -1);
    assert_string_equal(err, "password_env ZT_TEST_PGPW is not set");
    setenv("ZT_TEST_PGPW", "", 1);
    assert_int_equal(load("ZT_TEST_PGPW", NULL, pw, sizeof(pw), err, sizeof(err)), -1);
    assert_string_equal(err, "password_env ZT_TEST_PGPW is empty");
    setenv("ZT_TEST_PGPW", "0123456789", 1);
    assert_int_equal(load("ZT_TEST_PGPW", NULL, pw, 8, err, sizeof(err)), -1);
    assert_null(strstr(err, "0123"));
    unsetenv("ZT_TEST_PGPW");
}

static void test_password_file(void **state)
{
    (void)state;
    char pw[1025], err[256];
    const char *f = write_file("nl", "s3cret-Pw\nsecond line\n", 22);
    assert_int_equal(load(NULL, f, pw, sizeof(pw), err, sizeof(err)), 1);
    assert_string_equal(pw, "s3cret-Pw");
    f = write_file("crlf", "s3cret-Pw\r\n", 11);
    assert_int_equal(load(NULL, f, pw, sizeof(pw), err, sizeof(err)), 1);
    assert_string_equal(pw, "s3cret-Pw");
    f = write_file("bare", "s3cret-Pw", 9); /* Kubernetes secret files have no newline */
    assert_int_equal(load(NULL, f, pw, sizeof(pw), err, sizeof(err)), 1);
    assert_string_equal(pw, "s3cret-Pw");

    f = write_file("empty", "", 0);
    assert_int_equal(load(NULL, f, pw, sizeof(pw), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "is empty"));

    /* Exactly 1024 bytes fit; 1025 do not, and the error never quotes the content. */
    char big[1100];
    memset(big, 'k', sizeof(big));
    f = write_file("max", big, 1024);
    assert_int_equal(load(NULL, f, pw, sizeof(pw), err, sizeof(err)), 1);
    assert_int_equal(strlen(pw), 1024);
    f = write_file("long", big, 1025);
    assert_int_equal(load(NULL, f, pw, sizeof(pw), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer than 1024 bytes"));
    assert_null(strstr(err, "kkkk"));
    assert_int_equal(pw[0], '\0'); /* wiped on error */

    char missing[160];
    snprintf(missing, sizeof(missing), "%s/absent", tmpdir);
    assert_int_equal(load(NULL, missing, pw, sizeof(pw), err, sizeof(err)), -1);
    char want[256];
    snprintf(want, sizeof(want), "password_file %s: cannot read: No such file or directory",
             missing);
    assert_string_equal(err, want);
    /* A folder: refused as not a regular file; named, not quoted. */
    assert_int_equal(load(NULL, tmpdir, pw, sizeof(pw), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "is a directory"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_before_tcp_connect),
        cmocka_unit_test(test_after_tcp_connect_auth),
        cmocka_unit_test(test_after_tcp_connect_tls),
        cmocka_unit_test(test_after_tcp_connect_protocol),
        cmocka_unit_test(test_last_attempt_counts),
        cmocka_unit_test(test_detail),
        cmocka_unit_test(test_value),
        cmocka_unit_test(test_query_error),
        cmocka_unit_test(test_redact),
        cmocka_unit_test(test_password_env),
        cmocka_unit_test(test_password_file),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
