/* test_config_load.c: valid configs: every value and default of a full config, reading
 * files (size cap, unreadable, format by name), and config/govtech.json. */
#include <fcntl.h>
#include <unistd.h>

#include "config_test.h"

/* The reference's example plus every optional key: values, defaults and the derived views. */
static void test_full_config(void **state)
{
    (void)state;
    config_t *cfg = parse_ok(
        "{'version':1,'defaults':{'timeout_ms':1500,'attempts':2,'concurrency':8,"
        "'deny_outcomes':['timeout','unreachable','refused'],'ca_file':'/ca.pem'},"
        "'dns':{'servers':['10.96.0.10:53'],'search':false},'roles':{"
        "'frontend':{'selector':{'app':'frontend','tier':'web'},'probes':["
        "{'name':'backend-health','kind':'http','url':'http://backend-service:3000/health',"
        "'expect':'allow','status':[200,204],'body_contains':'\\'status\\':\\'healthy\\'',"
        "'headers':{'X-Probe':'ztprobe','Accept':'application/json'},'method':'HEAD',"
        "'follow_redirects':true,'timeout_ms':500,'attempts':3},"
        "{'name':'v6','kind':'https','url':'https://[::1]/x','expect':'allow','status':'any',"
        "'ca_file':'/own.pem','resolved_within':['::1/128','52.46.128.0/19']},"
        "{'name':'plain','kind':'http','url':'http://example.test/','expect':'deny',"
        "'deny_outcomes':['refused']}]},"
        "'backend':{'selector':{'app':'backend'},'probes':["
        "{'name':'pg','kind':'postgres','host':'::1','user':'govtech_admin','dbname':'govtech',"
        "'password_file':'/secrets/pg','sslrootcert':'/ca.pem','expect':'allow'},"
        "{'name':'pg2','kind':'postgres','host':'postgres-service','port':6432,'user':'u',"
        "'dbname':'d','password_env':'PGPASSWORD','sslmode':'verify-full','channel_binding':'require',"
        "'query':'SELECT version()','expect':'allow'},"
        "{'name':'dns','kind':'dns','query':'backend-service','expect':'allow'},"
        "{'name':'dns6','kind':'dns','query':'nope.example.','type':'AAAA',"
        "'server':'[fd00::10]:53','expect_rcode':'nxdomain','answers_within':['fd00::/8'],"
        "'expect':'allow'},"
        "{'name':'t','kind':'tcp','host':'[2001:db8::1]','port':443,'expect':'deny'}]}}}");
    char t[256];
    assert_int_equal(cfg->version, 1);
    assert_int_equal(cfg->timeout_ms, 1500);
    assert_int_equal(cfg->attempts, 2);
    assert_int_equal(cfg->concurrency, 8);
    assert_int_equal(cfg->deny_outcomes, OUTCOME_BIT(OUTCOME_TIMEOUT) |
                                             OUTCOME_BIT(OUTCOME_UNREACHABLE) |
                                             OUTCOME_BIT(OUTCOME_REFUSED));
    assert_string_equal(cfg->ca_file, "/ca.pem");
    assert_int_equal(cfg->n_dns_servers, 1);
    assert_false(cfg->dns_search);
    assert_int_equal(cfg->n_roles, 2);

    const config_role_t *fe = config_find_role(cfg, "frontend");
    assert_non_null(fe);
    assert_null(config_find_role(cfg, "postgres"));
    assert_int_equal(fe->selector.n, 2);
    assert_string_equal(labels_get(&fe->selector, "tier"), "web");
    assert_int_equal(fe->n_probes, 3);
    const config_probe_t *h = &fe->probes[0];
    assert_int_equal(h->kind, KIND_HTTP);
    assert_string_equal(h->host, "backend-service");
    assert_int_equal(h->port, 3000);
    assert_string_equal(h->method, "HEAD");
    assert_int_equal(h->n_status, 2);
    assert_int_equal(h->status[1], 204);
    assert_false(h->status_any);
    assert_string_equal(h->body_contains, "\"status\":\"healthy\"");
    assert_int_equal(h->n_headers, 2);
    assert_string_equal(h->headers[1].name, "Accept");
    assert_string_equal(h->headers[1].value, "application/json");
    assert_true(h->follow_redirects);
    assert_int_equal(config_probe_timeout_ms(cfg, h), 500);
    assert_int_equal(config_probe_attempts(cfg, h), 3);
    assert_string_equal(config_probe_ca_file(cfg, h), "/ca.pem");
    config_probe_target(h, t, sizeof(t));
    assert_string_equal(t, "http://backend-service:3000/health");

    const config_probe_t *v6 = &fe->probes[1];
    assert_int_equal(v6->kind, KIND_HTTPS);
    assert_string_equal(v6->host, "::1"); /* brackets dropped */
    assert_int_equal(v6->port, 443);      /* from the scheme */
    assert_true(v6->status_any);
    assert_string_equal(config_probe_ca_file(cfg, v6), "/own.pem");
    assert_int_equal(v6->resolved_within.n, 2);
    assert_true(cidr_list_contains_str(&v6->resolved_within, "52.46.130.1"));
    assert_int_equal(config_probe_timeout_ms(cfg, v6), 1500); /* inherited */
    assert_int_equal(config_probe_attempts(cfg, v6), 2);
    assert_int_equal(config_probe_deny_outcomes(cfg, v6), cfg->deny_outcomes);

    const config_probe_t *pl = &fe->probes[2];
    assert_int_equal(pl->expect, EXPECT_DENY);
    assert_int_equal(pl->port, 80);
    assert_string_equal(pl->method, "GET"); /* default */
    assert_false(pl->follow_redirects);
    assert_int_equal(pl->n_status, 0);
    assert_false(pl->status_any); /* default: any 2xx */
    assert_null(pl->body_contains);
    assert_int_equal(config_probe_deny_outcomes(cfg, pl), OUTCOME_BIT(OUTCOME_REFUSED));

    const config_role_t *be = config_find_role(cfg, "backend");
    assert_non_null(be);
    const config_probe_t *pg = &be->probes[0];
    assert_int_equal(pg->kind, KIND_POSTGRES);
    assert_int_equal(pg->port, 5432);
    assert_string_equal(pg->sslmode, "verify-full"); /* default with a password */
    assert_string_equal(pg->channel_binding, "prefer");
    assert_string_equal(pg->query, "SELECT 1");
    assert_string_equal(pg->password_file, "/secrets/pg");
    assert_null(pg->password_env);
    assert_string_equal(pg->sslrootcert, "/ca.pem");
    config_probe_target(pg, t, sizeof(t));
    assert_string_equal(t, "[::1]:5432");
    const config_probe_t *pg2 = &be->probes[1];
    assert_int_equal(pg2->port, 6432);
    assert_string_equal(pg2->sslmode, "verify-full");
    assert_string_equal(pg2->query, "SELECT version()");
    assert_string_equal(pg2->channel_binding, "require");
    assert_string_equal(pg2->password_env, "PGPASSWORD");
    config_probe_target(pg2, t, sizeof(t));
    assert_string_equal(t, "postgres-service:6432");

    const config_probe_t *d = &be->probes[2];
    assert_int_equal(d->kind, KIND_DNS);
    assert_int_equal(d->qtype, 1);
    assert_false(d->expect_nxdomain);
    assert_null(d->server);
    assert_string_equal(d->host, "backend-service");
    assert_int_equal(d->port, 0);
    config_probe_target(d, t, sizeof(t));
    assert_string_equal(t, "backend-service A");
    const config_probe_t *d6 = &be->probes[3];
    assert_int_equal(d6->qtype, 28);
    assert_true(d6->expect_nxdomain);
    assert_int_equal(d6->answers_within.n, 1);
    config_probe_target(d6, t, sizeof(t));
    assert_string_equal(t, "nope.example. AAAA @[fd00::10]:53");
    const config_probe_t *tc = &be->probes[4];
    assert_string_equal(tc->host, "2001:db8::1");
    config_probe_target(tc, t, sizeof(t));
    assert_string_equal(t, "[2001:db8::1]:443");
    config_probe_target(tc, t, 6);
    assert_string_equal(t, "[2001");

    assert_string_equal(config_kind_name(KIND_POSTGRES), "postgres");
    assert_string_equal(config_kind_name(KIND_COUNT), "unknown");
    assert_string_equal(config_expect_name(EXPECT_DENY), "deny");
    config_free(cfg);
    config_free(NULL);
}

static void test_defaults(void **state)
{
    (void)state;
    config_t *cfg = parse_ok("{'version':1,'roles':{'r':{'probes':[{" TCP "}]}}}");
    assert_int_equal(cfg->timeout_ms, 3000);
    assert_int_equal(cfg->attempts, 1);
    assert_int_equal(cfg->concurrency, 64);
    assert_int_equal(cfg->deny_outcomes, OUTCOME_DEFAULT_DENY);
    assert_string_equal(cfg->ca_file, "/etc/ssl/certs/ca-certificates.crt");
    assert_int_equal(cfg->n_dns_servers, 0);
    assert_true(cfg->dns_search);
    const config_probe_t *p = &cfg->roles[0].probes[0];
    assert_int_equal(p->timeout_ms, 0);
    assert_int_equal(config_probe_timeout_ms(cfg, p), 3000);
    assert_int_equal(config_probe_attempts(cfg, p), 1);
    assert_false(p->has_deny_outcomes);
    assert_int_equal(config_probe_deny_outcomes(cfg, p), OUTCOME_DEFAULT_DENY);
    assert_int_equal(cfg->roles[0].selector.n, 0);
    config_free(cfg);
}

static char *temp_file(const char *content, size_t len)
{
    char *path = strdup("/tmp/zt-config-XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    if (content)
        assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

static void test_load_file(void **state)
{
    (void)state;
    config_t *cfg = NULL;
    char err[512], want[512];
    assert_int_equal(config_load_file("/nonexistent/zt.json", &cfg, err, sizeof(err)), -1);
    assert_string_equal(err, "/nonexistent/zt.json: cannot read: No such file or directory");
    assert_null(cfg);
    assert_int_equal(config_load_file("/tmp", &cfg, err, sizeof(err)), -1);
    assert_string_equal(err, "/tmp: cannot read: is a directory");

    static const char bad[] = "{\"version\":1,\"roles\":{}}";
    char *path = temp_file(bad, sizeof(bad) - 1);
    assert_int_equal(config_load_file(path, &cfg, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: roles: must not be empty", path);
    assert_string_equal(err, want);
    unlink(path);
    free(path);

    /* A sparse file over the cap: refused from its size, never read. */
    path = temp_file(NULL, 0);
    assert_int_equal(truncate(path, (off_t)CONFIG_MAX_BYTES + 1), 0);
    assert_int_equal(config_load_file(path, &cfg, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: 4194305 bytes, larger than the 4194304-byte limit", path);
    assert_string_equal(err, want);
    assert_null(cfg);
    unlink(path);
    free(path);
}

static void test_govtech(void **state)
{
    (void)state;
    config_t *cfg = NULL;
    char err[512] = "";
    int rc = config_load_file("config/govtech.json", &cfg, err, sizeof(err));
    if (rc != 0)
        fail_msg("config/govtech.json (run from the repo root): %s", err);
    assert_int_equal(cfg->n_roles, 3);
    static const char *const roles[] = {"frontend", "backend", "postgres"};
    for (size_t i = 0; i < 3; i++) {
        const config_role_t *r = config_find_role(cfg, roles[i]);
        assert_non_null(r);
        assert_string_equal(labels_get(&r->selector, "app"), roles[i]);
        assert_int_equal(r->selector.n, 1);
    }
    const config_role_t *be = config_find_role(cfg, "backend");
    const config_probe_t *pg = &be->probes[0];
    assert_int_equal(pg->kind, KIND_POSTGRES);
    assert_string_equal(pg->password_env, "PGPASSWORD");
    /* The probe's own least-privilege login, and its password only to a verified server. */
    assert_string_equal(pg->user, "ztprobe");
    assert_string_equal(pg->sslmode, "verify-full");
    assert_non_null(pg->sslrootcert);
    size_t deny = 0;
    for (size_t i = 0; i < be->n_probes; i++) {
        if (strcmp(be->probes[i].name, "secretsmanager") == 0)
            assert_true(cidr_list_contains_str(&be->probes[i].resolved_within, "52.46.130.5"));
        if (be->probes[i].expect == EXPECT_DENY)
            deny++;
    }
    assert_true(deny >= 4);
    const config_probe_t *fh = &config_find_role(cfg, "frontend")->probes[0];
    assert_string_equal(fh->body_contains, "\"status\":\"healthy\"");
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_govtech),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
