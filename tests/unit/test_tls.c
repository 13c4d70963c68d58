/* test_tls.c: the tls kind's config keys (probes/tls.c): the ALPN list in its wire format,
 * min_version, ca_file, and every error with its JSON path; and its table properties. */
#include "config_test.h"

#include "probe.h"
#include "tls.h"

#define TLS "'name':'k','kind':'tls','host':'kafka.example','port':9093,'expect':'allow'"

static void test_config(void **state)
{
    (void)state;
    config_t *cfg = parse_ok(HEAD OK2 "{" TLS "}" TAIL);
    const config_probe_t *p = &cfg->roles[0].probes[2];
    const tls_cfg_t *tc = p->kind_data;
    assert_int_equal(p->kind, KIND_TLS);
    assert_non_null(tc);
    assert_int_equal(tc->alpn_len, 0);
    assert_int_equal(tc->min_version, 12);
    assert_null(p->ca_file);
    char t[64];
    config_probe_target(p, t, sizeof(t));
    assert_string_equal(t, "kafka.example:9093");
    config_free(cfg);

    cfg = parse_ok(HEAD OK2 "{" TLS ",'alpn':['h2','postgresql'],'min_version':'1.3','ca_file':'/ca.pem',"
                            "'family':'ipv6'}" TAIL);
    p = &cfg->roles[0].probes[2];
    tc = p->kind_data;
    assert_int_equal(tc->alpn_len, 14);
    assert_memory_equal(tc->alpn, "\x02h2\x0apostgresql", 14);
    assert_int_equal(tc->min_version, 13);
    assert_string_equal(p->ca_file, "/ca.pem");
    assert_int_equal(p->family, FAMILY_IPV6);
    config_free(cfg);

    expect_err(HEAD OK2 "{'name':'k','kind':'tls','port':443,'expect':'allow'}" TAIL,
               P "host: required for kind tls");
    expect_err(HEAD OK2 "{'name':'k','kind':'tls','host':'h','expect':'allow'}" TAIL,
               P "port: required for kind tls");
    expect_err(HEAD OK2 "{" TLS ",'alpn':'h2'}" TAIL,
               P "alpn: must be a list of protocol ids (\"h2\", \"postgresql\", ...)");
    expect_err(HEAD OK2 "{" TLS ",'alpn':[]}" TAIL, P "alpn: must not be empty (omit it to offer no ALPN)");
    expect_err(HEAD OK2 "{" TLS ",'alpn':['h2',2]}" TAIL, P "alpn[1]: must be a string");
    expect_err(HEAD OK2 "{" TLS ",'alpn':['']}" TAIL, P "alpn[0]: must be 1 to 64 bytes");
    expect_err(HEAD OK2 "{" TLS ",'alpn':['h 2']}" TAIL, P "alpn[0]: must be visible ASCII (no spaces)");
    expect_err(HEAD OK2 "{" TLS ",'alpn':['h2','h3','h2']}" TAIL, P "alpn[2]: duplicate protocol");
    expect_err(HEAD OK2 "{" TLS ",'alpn':['a','b','c','d','e','f','g','h','i']}" TAIL,
               P "alpn[8]: at most 8 protocols");
    expect_err(HEAD OK2 "{" TLS ",'alpn':['0123456789012345678901234567890123456789012345678901234567890123"
                        "4']}" TAIL,
               P "alpn[0]: must be 1 to 64 bytes");
    expect_err(HEAD OK2 "{" TLS ",'min_version':'1.1'}" TAIL, P "min_version: must be \"1.2\" or \"1.3\"");
    expect_err(HEAD OK2 "{" TLS ",'min_version':1.3}" TAIL, P "min_version: must be \"1.2\" or \"1.3\"");
    expect_err(HEAD OK2 "{" TLS ",'url':'https://x/'}" TAIL, P "url: unknown key for kind tls");
    expect_err(HEAD OK2 "{" TCP ",'alpn':['h2']}" TAIL, P "alpn: unknown key for kind tcp");
}

/* The kind's facts come from its table row: TCP transport, a connected outcome is open. */
static void test_table(void **state)
{
    (void)state;
    probe_kind_t k;
    assert_int_equal(probe_kind_parse("tls", &k), 0);
    assert_int_equal(k, KIND_TLS);
    const probe_ops_t *ops = probe_ops_for(k);
    assert_true(ops->resolves);
    assert_false(ops->queries_dns);
    assert_int_equal(ops->transport, PROBE_TRANSPORT_TCP);
    assert_true(probe_breaks_deny(ops, OUTCOME_DEFAULT_DENY, OUTCOME_TLS_ERROR));
    assert_true(probe_breaks_deny(ops, OUTCOME_DEFAULT_DENY, OUTCOME_APP_TIMEOUT));
    assert_true(probe_denied(ops, OUTCOME_DEFAULT_DENY, OUTCOME_TIMEOUT));
    assert_false(probe_denied(ops, OUTCOME_DEFAULT_DENY, OUTCOME_REFUSED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
