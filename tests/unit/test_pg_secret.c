/* test_pg_secret.c: the credential rules of docs/security.md that need no server: which probes
 * send a password and to which sslmode, the libpq keywords (no default left to libpq's
 * environment or $HOME), the capture of password_env values and the removal of PG* from the
 * environment, and the diagnosis password_to_unverified_server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "pg_classify.h"
#include "pg_secret.h"
#include "postgres.h"
#include "probe.h"
#include "hint.h"
#include "verdict.h"

static config_probe_t probe(const char *name, expect_t e, const char *env, const char *file,
                            const char *sslmode)
{
    config_probe_t p;
    memset(&p, 0, sizeof(p));
    p.name = (char *)name;
    p.kind = KIND_POSTGRES;
    p.expect = e;
    p.password_env = (char *)env;
    p.password_file = (char *)file;
    p.sslmode = (char *)sslmode;
    p.host = (char *)"db.test";
    p.user = (char *)"probe";
    p.dbname = (char *)"d";
    return p;
}

static void test_who_sends(void **state)
{
    (void)state;
    config_probe_t a = probe("a", EXPECT_ALLOW, "PW", NULL, "verify-full");
    config_probe_t b = probe("b", EXPECT_ALLOW, NULL, "/pw", "require");
    config_probe_t c = probe("c", EXPECT_DENY, "PW", NULL, "disable");
    config_probe_t d = probe("d", EXPECT_ALLOW, NULL, NULL, "disable");
    config_probe_t e = probe("e", EXPECT_ALLOW, "PW", NULL, "verify-ca");
    config_probe_t t = probe("t", EXPECT_ALLOW, NULL, NULL, NULL);
    t.kind = KIND_TCP;
    assert_true(pg_classify_sends_password(&a));
    assert_true(pg_classify_sends_password(&b));
    assert_false(pg_classify_sends_password(&c)); /* deny: never */
    assert_false(pg_classify_sends_password(&d)); /* no password configured */
    assert_false(pg_classify_sends_password(&t));
    assert_false(pg_classify_unverified(&a));
    assert_true(pg_classify_unverified(&b));
    assert_false(pg_classify_unverified(&c));
    assert_false(pg_classify_unverified(&d));
    assert_true(pg_classify_unverified(&e)); /* the CA, not the name */

    config_probe_t f = probe("f", EXPECT_ALLOW, "PW", NULL, "disable");
    const config_probe_t *all[] = {&a, &b, &c, &d, &e, &t, &f};
    char buf[64];
    assert_int_equal(pg_classify_unverified_list(all, 7, buf, sizeof(buf)), 3);
    assert_string_equal(buf, "b, e, f");
    char small[6];
    assert_int_equal(pg_classify_unverified_list(all, 7, small, sizeof(small)), 3);
    assert_string_equal(small, "b,...");
    assert_int_equal(pg_classify_unverified_list(all, 1, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
}

static const char *kwval(const char **kw, const char **val, const char *key)
{
    for (size_t i = 0; kw[i]; i++)
        if (strcmp(kw[i], key) == 0)
            return val[i];
    return NULL;
}

static void test_params(void **state)
{
    (void)state;
    const char *kw[PG_PARAMS_MAX + 1], *val[PG_PARAMS_MAX + 1];
    char port[16];
    config_probe_t p = probe("p", EXPECT_ALLOW, "PW", NULL, "verify-full");
    pg_classify_params(&p, "/ca.pem", "10.0.0.7", "s3cret", port, sizeof(port), kw, val);
    assert_string_equal(kwval(kw, val, "host"), "db.test");
    assert_string_equal(kwval(kw, val, "hostaddr"), "10.0.0.7");
    assert_string_equal(kwval(kw, val, "port"), "5432");
    assert_string_equal(kwval(kw, val, "password"), "s3cret");
    assert_string_equal(kwval(kw, val, "sslmode"), "verify-full");
    assert_string_equal(kwval(kw, val, "sslrootcert"), "/ca.pem"); /* the ca_file */
    assert_string_equal(kwval(kw, val, "channel_binding"), "prefer");
    assert_string_equal(kwval(kw, val, "options"), "-c default_transaction_read_only=on");
    /* Nothing left for libpq to find in $HOME. */
    assert_string_equal(kwval(kw, val, "passfile"), PG_NO_FILE);
    assert_string_equal(kwval(kw, val, "sslcert"), PG_NO_FILE);
    assert_string_equal(kwval(kw, val, "sslkey"), PG_NO_FILE);
    assert_string_equal(kwval(kw, val, "sslcrl"), PG_NO_FILE);
    for (size_t i = 0; kw[i]; i++)
        assert_true(val[i] && val[i][0]); /* an empty value would mean "take the default" */

    p.sslrootcert = (char *)"/own.pem";
    p.channel_binding = (char *)"require";
    p.port = 6432;
    pg_classify_params(&p, "/ca.pem", "10.0.0.7", NULL, port, sizeof(port), kw, val);
    assert_string_equal(kwval(kw, val, "sslrootcert"), "/own.pem");
    assert_string_equal(kwval(kw, val, "channel_binding"), "require");
    assert_string_equal(kwval(kw, val, "port"), "6432");
    assert_null(kwval(kw, val, "password")); /* none: not sent */

    config_probe_t q = probe("q", EXPECT_ALLOW, NULL, NULL, "prefer");
    pg_classify_params(&q, "/ca.pem", "10.0.0.7", NULL, port, sizeof(port), kw, val);
    assert_string_equal(kwval(kw, val, "sslrootcert"), PG_NO_FILE); /* not ~/.postgresql */
}

static void test_capture_and_scrub(void **state)
{
    (void)state;
    setenv("PGPASSWORD", "pg-env-secret", 1);
    setenv("PGSERVICE", "zt", 1);
    setenv("PGSSLKEY", "/k", 1);
    setenv("ZT_UNIT_PW", "unit-secret", 1);
    setenv("ZT_UNIT_OTHER", "kept", 1);
    /* Before capture, the loader sees the environment (unit tests of the loader rely on it). */
    assert_string_equal(pg_secret_env("ZT_UNIT_PW"), "unit-secret");

    config_probe_t a = probe("a", EXPECT_ALLOW, "PGPASSWORD", NULL, "verify-full");
    config_probe_t b = probe("b", EXPECT_ALLOW, "ZT_UNIT_PW", NULL, "verify-full");
    config_probe_t c = probe("c", EXPECT_ALLOW, "ZT_UNIT_UNSET", NULL, "verify-full");
    config_probe_t d = probe("d", EXPECT_DENY, "ZT_UNIT_OTHER", NULL, "verify-full");
    const config_probe_t *all[] = {&a, &b, &c, &d};
    char err[256];
    assert_int_equal(pg_secret_begin(all, 4, err, sizeof(err)), 3);
    /* Captured, and gone from the environment: PG* all, the named variables too. */
    assert_string_equal(pg_secret_env("PGPASSWORD"), "pg-env-secret");
    assert_string_equal(pg_secret_env("ZT_UNIT_PW"), "unit-secret");
    assert_null(pg_secret_env("ZT_UNIT_UNSET"));
    assert_null(getenv("PGPASSWORD"));
    assert_null(getenv("PGSERVICE"));
    assert_null(getenv("PGSSLKEY"));
    assert_null(getenv("ZT_UNIT_PW"));
    assert_string_equal(getenv("ZT_UNIT_OTHER"), "kept"); /* a deny probe's: not captured */
    /* The loader takes the captured value. */
    char pw[64];
    assert_int_equal(pg_probe_password(&b, pw, sizeof(pw), err, sizeof(err)), 1);
    assert_string_equal(pw, "unit-secret");
    assert_int_equal(pg_probe_password(&c, pw, sizeof(pw), err, sizeof(err)), -1);
    assert_string_equal(err, "password_env ZT_UNIT_UNSET is not set");
    /* A password is held: no core dump. */
    assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
    assert_int_equal(rl.rlim_cur, 0);
    assert_int_equal(rl.rlim_max, 0);
    pg_secret_end();
    assert_null(pg_secret_env("ZT_UNIT_PW")); /* released; the environment no longer has it */
    unsetenv("ZT_UNIT_OTHER");
}

static void test_scrub_only_pg(void **state)
{
    (void)state;
    setenv("PGHOST", "intruder", 1);
    setenv("PGPASSFILE", "/p", 1);
    setenv("PGX", "", 1);
    setenv("XPG", "kept", 1);
    assert_true(pg_secret_scrub_env() >= 3);
    assert_null(getenv("PGHOST"));
    assert_null(getenv("PGPASSFILE"));
    assert_null(getenv("PGX"));
    assert_string_equal(getenv("XPG"), "kept");
    assert_int_equal(pg_secret_scrub_env(), 0);
    unsetenv("XPG");
}

/* The kind's diagnosis comes through the kind table's hook, after the shared ones. */
static void test_diagnosis(void **state)
{
    (void)state;
    report_t rep;
    memset(&rep, 0, sizeof(rep));
    config_probe_t pg = probe("postgres", EXPECT_ALLOW, "PW", NULL, "require");
    config_probe_t pg2 = probe("pg2", EXPECT_ALLOW, NULL, "/pw", "verify-ca");
    config_probe_t ok = probe("ok", EXPECT_ALLOW, "PW", NULL, NULL);
    ok.sslmode = (char *)"verify-full";
    const config_probe_t *all[] = {&pg, &pg2, &ok};
    diag_ctx_t ctx = {.role = "backend"};
    verdict_diagnose(&rep, &ctx);
    probe_kinds_diagnose(all, 3, &rep);
    assert_int_equal(rep.n_diags, 1);
    assert_string_equal(rep.diags[0].code, "password_to_unverified_server");
    assert_non_null(strstr(rep.diags[0].message, "probes postgres, pg2 send the"));
    assert_non_null(strstr(rep.diags[0].message, "verify-full"));
    verdict_diagnose(&rep, &ctx);
    probe_kinds_diagnose(all, 1, &rep);
    assert_non_null(strstr(rep.diags[0].message, "probe postgres sends the"));
    verdict_diagnose(&rep, &ctx);
    probe_kinds_diagnose(&all[2], 1, &rep);
    assert_int_equal(rep.n_diags, 0);
}

/* A tls_error of a postgres probe (verify-full by default) points at sslrootcert. */
static void test_tls_hint(void **state)
{
    (void)state;
    result_t r;
    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "postgres");
    result_printf(&r, RESULT_TARGET, "postgres-service:5432");
    r.kind = KIND_POSTGRES;
    r.expect = EXPECT_ALLOW;
    r.verdict = VERDICT_FAIL;
    r.outcome = OUTCOME_TLS_ERROR;
    hint_ctx_t ctx = {.role = "backend", .namespace_ = "govtech"};
    char h[RESULT_HINT_LEN];
    hint_write(&r, &ctx, h, sizeof(h));
    assert_non_null(strstr(h, "sslrootcert"));
    assert_non_null(strstr(h, "-starttls postgres -connect postgres-service:5432"));
    r.kind = KIND_HTTPS;
    result_printf(&r, RESULT_TARGET, "https://s3.amazonaws.com/");
    hint_write(&r, &ctx, h, sizeof(h));
    assert_null(strstr(h, "sslrootcert"));
    result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_who_sends),         cmocka_unit_test(test_params),
        cmocka_unit_test(test_capture_and_scrub), cmocka_unit_test(test_scrub_only_pg),
        cmocka_unit_test(test_diagnosis),         cmocka_unit_test(test_tls_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
