/* test_config.c: config validation, one test per error class, each asserting the exact
 * "json.path: reason" message (test_config_load.c: valid configs, defaults, files). */
#include "config_test.h"

static void probe_err(const char *probe, const char *want)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), "%s%s{%s}%s", HEAD, OK2, probe, TAIL);
    expect_err(buf, want);
}

/* A config with the given top-level members around one valid role. */
static void top_err(const char *members, const char *want)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), "{'version':1,%s'roles':{'r':{'probes':[{%s}]}}}", members, TCP);
    expect_err(buf, want);
}

static void test_json_syntax(void **state)
{
    (void)state;
    /* cJSON stops just past the offending ',' here: the position is near, not exact. */
    expect_err("{\n  'version': 1,\n  'roles': {,}\n}", "line 3, column 14: invalid JSON");
    expect_err("{'version':1} trailing", "line 1, column 15: invalid JSON");
    expect_err("", "empty config (expected a JSON object with \"version\": 1)");
    expect_err(" \n\t", "empty config (expected a JSON object with \"version\": 1)");
    expect_err("\n\n  ]", "line 3, column 3: invalid JSON");
    expect_err("[1, 2]", "(top level): must be a JSON object");
    config_t *cfg = NULL;
    char err[128];
    static const char nul[] = "{'version'\0:1}";
    assert_int_equal(config_parse(nul, sizeof(nul) - 1, &cfg, err, sizeof(err)), -1);
    assert_string_equal(err, "line 1, column 11: NUL byte in the config");
    assert_null(cfg);
}

/* config_parse takes (text, len): nothing may be read past len, and every proper prefix of
 * a valid config is an error (run under ASan to catch over-reads and leaks). */
static void test_unterminated_and_prefixes(void **state)
{
    (void)state;
    char *j = jq("{'version':1,'defaults':{'deny_outcomes':['timeout']},'roles':{'r':{"
                 "'selector':{'app':'r'},'probes':[{" HTTP ",'status':[200],'headers':{'A':'b'}},"
                 "{" DNS ",'answers_within':['10.0.0.0/8']},{" PG "}]}}}");
    size_t n = strlen(j);
    for (size_t len = 0; len <= n; len++) {
        char *buf = malloc(len ? len : 1); /* exactly len bytes, no terminator */
        assert_non_null(buf);
        memcpy(buf, j, len);
        config_t *cfg = NULL;
        char err[256];
        int rc = config_parse(buf, len, &cfg, err, sizeof(err));
        if (len < n) {
            if (rc != -1)
                fail_msg("prefix of %zu bytes accepted", len);
            assert_null(cfg);
        } else {
            if (rc != 0)
                fail_msg("full text: %s", err);
            assert_int_equal(cfg->roles[0].n_probes, 3);
            config_free(cfg);
        }
        free(buf);
    }
    free(j);
}

static void test_duplicate_json_keys(void **state)
{
    (void)state;
    expect_err("{'version':1,'version':1,'roles':{}}", "version: duplicate key");
    probe_err(TCP ",'port':81", P "port: duplicate key");
    expect_err("{'version':1,'roles':{'r':{'probes':[{" TCP "}]},'r':{'probes':[]}}}",
               "roles.r: duplicate key");
}

static void test_version(void **state)
{
    (void)state;
    expect_err("{'roles':{}}", "version: required (must be 1)");
    expect_err("{'version':2,'roles':{}}", "version: must be 1");
    expect_err("{'version':'1','roles':{}}", "version: must be 1");
}

static void test_unknown_keys(void **state)
{
    (void)state;
    top_err("'vesion':1,", "vesion: unknown key");
    top_err("'defaults':{'timeout':5},", "defaults.timeout: unknown key");
    top_err("'dns':{'server':['10.96.0.10']},", "dns.server: unknown key");
    expect_err("{'version':1,'roles':{'r':{'selectors':{},'probes':[{" TCP "}]}}}",
               "roles.r.selectors: unknown key");
    expect_err(
        "{'version':1,'roles':{'r':{'namespace':'Gov_Tech','probes':[{" TCP "}]}}}",
        "roles.r.namespace: must be a namespace name (1..63 of a-z, 0-9, '-', starting and ending with a letter or digit)");
    expect_err("{'version':1,'roles':{'r':{'namespace':7,'probes':[{" TCP "}]}}}",
               "roles.r.namespace: must be a string");
    probe_err("'name':'x','kinds':'tcp'", P "kinds: unknown key");
    probe_err(TCP ",'_comment':'why'", P "_comment: unknown key");
}

static void test_key_of_another_kind(void **state)
{
    (void)state;
    probe_err(TCP ",'url':'http://x/'", P "url: unknown key for kind tcp");
    probe_err(HTTP ",'ca_file':'/ca.pem'", P "ca_file: unknown key for kind http");
    probe_err(DNS ",'port':53", P "port: unknown key for kind dns");
    probe_err(PG ",'method':'GET'", P "method: unknown key for kind postgres");
}

static void test_wrong_types(void **state)
{
    (void)state;
    top_err("'defaults':{'timeout_ms':'3000'},", "defaults.timeout_ms: must be an integer 1..300000");
    top_err("'defaults':[],", "defaults: must be an object");
    top_err("'dns':{'search':'yes'},", "dns.search: must be true or false");
    top_err("'dns':{'servers':'10.96.0.10'},", "dns.servers: must be a list of IP addresses");
    expect_err("{'version':1,'roles':[]}", "roles: must be an object of role name: role");
    expect_err("{'version':1,'roles':{'r':[]}}", "roles.r: must be an object");
    expect_err("{'version':1,'roles':{'r':{'probes':{}}}}", "roles.r.probes: must be a list of probes");
    expect_err("{'version':1,'roles':{'r':{'selector':{'app':1},'probes':[{" TCP "}]}}}",
               "roles.r.selector.app: must be a string");
    probe_err("'name':'t','kind':'tcp','host':'h','port':'80','expect':'deny'",
              P "port: must be an integer 1..65535");
    probe_err("'name':'t','kind':'tcp','host':'h','port':80.5,'expect':'deny'",
              P "port: must be an integer 1..65535");
    probe_err("'name':'t','kind':'tcp','host':7,'port':80,'expect':'deny'", P "host: must be a string");
    probe_err(HTTP ",'status':'200'", P "status: must be a list of status codes or \"any\"");
    probe_err(HTTP ",'headers':[]", P "headers: must be an object of name: value");
    probe_err(HTTP ",'follow_redirects':1", P "follow_redirects: must be true or false");
    expect_err(HEAD OK2 "[]" TAIL, "roles.backend.probes[2]: must be an object");
}

static void test_out_of_range(void **state)
{
    (void)state;
    probe_err("'name':'t','kind':'tcp','host':'h','port':0,'expect':'deny'", P "port: must be 1..65535");
    probe_err("'name':'t','kind':'tcp','host':'h','port':65536,'expect':'deny'", P "port: must be 1..65535");
    top_err("'defaults':{'timeout_ms':0},", "defaults.timeout_ms: must be 1..300000");
    top_err("'defaults':{'timeout_ms':300001},", "defaults.timeout_ms: must be 1..300000");
    top_err("'defaults':{'attempts':11},", "defaults.attempts: must be 1..10");
    top_err("'defaults':{'concurrency':0},", "defaults.concurrency: must be 1..10000");
    top_err("'defaults':{'concurrency':10001},", "defaults.concurrency: must be 1..10000");
    top_err("'defaults':{'timeout_ms':1e300},", "defaults.timeout_ms: must be 1..300000");
    probe_err(TCP ",'attempts':0", P "attempts: must be 1..10");
    probe_err(TCP ",'timeout_ms':-5", P "timeout_ms: must be 1..300000");
    probe_err(PG ",'port':70000", P "port: must be 1..65535");
}

static void test_status_codes(void **state)
{
    (void)state;
    probe_err(HTTP ",'status':[200,99]", P "status[1]: must be 100..599");
    probe_err(HTTP ",'status':[600]", P "status[0]: must be 100..599");
    probe_err(HTTP ",'status':[]", P "status: must not be empty (omit it for any 2xx)");
    probe_err(HTTP ",'status':'all'", P "status: must be a list of status codes or \"any\"");
}

static void test_names(void **state)
{
    (void)state;
    probe_err("'name':'bad name','kind':'tcp'", P "name: must be 1..63 letters, digits, '-', '_' or '.'");
    probe_err("'name':'','kind':'tcp'", P "name: must not be empty");
    probe_err("'name':'a123456789a123456789a123456789a123456789a123456789a123456789abcd'",
              P "name: longer than 63 bytes");
    probe_err("'kind':'tcp'", P "name: required");
    expect_err("{'version':1,'roles':{'bad/role':{'probes':[{" TCP "}]}}}",
               "roles.bad/role: invalid role name (1..63 letters, digits, '-', '_' or '.')");
    expect_err("{'version':1,'roles':{'r':{'selector':{'app':'a b'},'probes':[{" TCP "}]}}}",
               "roles.r.selector.app: invalid label value (up to 63 letters, digits, '-', "
               "'_' or '.')");
}

static void test_duplicate_probe_names(void **state)
{
    (void)state;
    probe_err("'name':'a','kind':'tcp','host':'h','port':3,'expect':'deny'",
              P "name: duplicate probe name (also roles.backend.probes[0])");
}

static void test_kind_and_expect(void **state)
{
    (void)state;
    probe_err("'name':'x','kind':'sctp'", P "kind: must be one of tcp, http, https, postgres, dns, udp, tls");
    probe_err("'name':'x','kind':7", P "kind: must be one of tcp, http, https, postgres, dns, udp, tls");
    probe_err("'name':'x'", P "kind: required");
    probe_err("'name':'t','kind':'tcp','host':'h','port':80,'expect':'block'",
              P "expect: must be allow or deny");
    probe_err("'name':'t','kind':'tcp','host':'h','port':80", P "expect: required (allow or deny)");
}

static void test_deny_outcomes(void **state)
{
    (void)state;
    top_err("'defaults':{'deny_outcomes':['timeout','droped']},",
            "defaults.deny_outcomes[1]: unknown outcome (see \"Outcomes\" in docs/reference.md)");
    top_err("'defaults':{'deny_outcomes':[]},", "defaults.deny_outcomes: must not be empty");
    top_err("'defaults':{'deny_outcomes':'timeout'},",
            "defaults.deny_outcomes: must be a list of outcome names");
    probe_err(TCP ",'deny_outcomes':['refused','ok']",
              P "deny_outcomes[1]: ok means the connection was established; it cannot be a "
                "deny outcome");
}

static void test_literal_password(void **state)
{
    (void)state;
    char buf[1024];
    char err[512];
    config_t *cfg = NULL;
    static const char want[] = P "password: literal passwords are not allowed: use "
                                 "password_env (an environment variable) or password_file "
                                 "(a mounted Secret)";
    probe_err(PG ",'password':'hunter2-s3cret'", want);
    /* Also on other kinds, and before any other complaint about the probe. */
    probe_err("'password':'hunter2-s3cret','kind':'nope'", want);
    snprintf(buf, sizeof(buf), "%s%s{%s,'password':'hunter2-s3cret'}%s", HEAD, OK2, PG, TAIL);
    char *j = jq(buf);
    assert_int_equal(config_parse(j, strlen(j), &cfg, err, sizeof(err)), -1);
    assert_null(strstr(err, "hunter2"));
    free(j);
}

static void test_password_env_and_file(void **state)
{
    (void)state;
    probe_err(PG ",'password_env':'PGPASSWORD','password_file':'/secrets/pg'",
              P "password_file: password_env and password_file exclude each other: keep one");
    probe_err(PG ",'password_env':'PG PASSWORD'", P "password_env: must be an environment variable name");
}

static void test_missing_required(void **state)
{
    (void)state;
    probe_err("'name':'t','kind':'tcp','port':80,'expect':'deny'", P "host: required for kind tcp");
    probe_err("'name':'t','kind':'tcp','host':'h','expect':'deny'", P "port: required for kind tcp");
    probe_err("'name':'w','kind':'http','expect':'allow'", P "url: required for kind http");
    probe_err("'name':'w','kind':'https','expect':'allow'", P "url: required for kind https");
    probe_err("'name':'p','kind':'postgres','user':'u','dbname':'d','expect':'allow'",
              P "host: required for kind postgres");
    probe_err("'name':'p','kind':'postgres','host':'db','dbname':'d','expect':'allow'",
              P "user: required for kind postgres");
    probe_err("'name':'p','kind':'postgres','host':'db','user':'u','expect':'allow'",
              P "dbname: required for kind postgres");
    probe_err("'name':'d','kind':'dns','expect':'allow'", P "query: required for kind dns");
    expect_err("{'version':1}", "roles: required");
}

static void test_url(void **state)
{
    (void)state;
    probe_err("'name':'w','kind':'http','url':'https://x/','expect':'allow'",
              P "url: kind http needs a http:// URL");
    probe_err("'name':'w','kind':'https','url':'http://x/','expect':'allow'",
              P "url: kind https needs a https:// URL");
    probe_err("'name':'w','kind':'https','url':'ftp://x/','expect':'allow'",
              P "url: kind https needs a https:// URL");
    probe_err("'name':'w','kind':'http','url':'backend-service:3000','expect':'allow'",
              P "url: kind http needs a http:// URL");
    probe_err("'name':'w','kind':'http','url':'http://','expect':'allow'",
              P "url: not a valid URL (No host part in the URL)");
    probe_err("'name':'w','kind':'http','url':'http://a b/','expect':'allow'",
              P "url: not a valid URL (Bad hostname)");
    probe_err("'name':'w','kind':'http','url':'http://u:pw-s3cret@x/','expect':'allow'",
              P "url: must not contain user:password@ (no secrets in the config)");
    probe_err("'name':'w','kind':'http','url':'http://x/','method':'GE T','expect':'allow'",
              P "method: must be an HTTP method (GET, HEAD, POST, ...)");
}

static void test_hosts(void **state)
{
    (void)state;
    probe_err("'name':'t','kind':'tcp','host':'a..b','port':1,'expect':'deny'",
              P "host: must be a host name or an IP address");
    probe_err("'name':'t','kind':'tcp','host':'[10.0.0.1]','port':1,'expect':'deny'",
              P "host: brackets are only for IPv6 addresses");
    probe_err("'name':'d','kind':'dns','query':'10.0.0.1','expect':'allow'", P "query: must be a DNS name");
}

static void test_cidrs(void **state)
{
    (void)state;
    probe_err(TCP ",'resolved_within':['10.0.0.0/8','10.0.0.1/8']",
              P "resolved_within[1]: host bits set below the prefix (did you mean 10.0.0.0/8?)");
    probe_err(TCP ",'resolved_within':'10.0.0.0/8'", P "resolved_within: must be a list of CIDR blocks");
    probe_err(DNS ",'answers_within':['10.0.0.0/33']", P "answers_within[0]: prefix length must be 0..32");
    probe_err(DNS ",'answers_within':[8]", P "answers_within[0]: must be a string");
}

static void test_roles_and_probes_empty(void **state)
{
    (void)state;
    expect_err("{'version':1,'roles':{}}", "roles: must not be empty");
    expect_err("{'version':1,'roles':{'r':{'probes':[]}}}",
               "roles.r.probes: must not be empty (a role needs at least one probe)");
    expect_err("{'version':1,'roles':{'r':{'selector':{'app':'r'}}}}", "roles.r.probes: required");
}

static void test_dns_servers(void **state)
{
    (void)state;
    static const char want_fmt[] = "dns.servers[%d]: must be an IP address with an optional "
                                   "port (10.96.0.10, 10.96.0.10:53, [fd00::10]:53)";
    static const char *const bad[] = {"kube-dns",        "10.96.0.10:0", "10.96.0.10:70000",
                                      "10.96.0.10:",     "[fd00::10]:x", "fd00::10]:53",
                                      "[10.96.0.10]:53", "10.96.0.300",  "[fd00::10]x53"};
    char members[256], want[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(members, sizeof(members), "'dns':{'servers':['10.96.0.10','%s']},", bad[i]);
        snprintf(want, sizeof(want), want_fmt, 1);
        top_err(members, want);
    }
    config_t *cfg = parse_ok("{'version':1,'dns':{'servers':['10.96.0.10','10.96.0.10:53',"
                             "'[fd00::10]:53','fd00::10','[fd00::10]'],'search':false},"
                             "'roles':{'r':{'probes':[{" TCP "}]}}}");
    assert_int_equal(cfg->n_dns_servers, 5);
    assert_string_equal(cfg->dns_servers[2], "[fd00::10]:53");
    assert_false(cfg->dns_search);
    config_free(cfg);
    probe_err(DNS ",'server':'dns.local'",
              P "server: must be an IP address with an optional port (10.96.0.10, "
                "10.96.0.10:53, [fd00::10]:53)");
}

static void test_dns_probe_values(void **state)
{
    (void)state;
    probe_err(DNS ",'type':'MX'", P "type: must be A or AAAA");
    probe_err(DNS ",'type':'a'", P "type: must be A or AAAA");
    probe_err(DNS ",'expect_rcode':'servfail'", P "expect_rcode: must be noerror or nxdomain");
}

static void test_sslmode(void **state)
{
    (void)state;
    probe_err(PG ",'sslmode':'on'",
              P "sslmode: must be one of disable, allow, prefer, require, "
                "verify-ca, verify-full");
    probe_err(PG ",'channel_binding':'disable'", P "channel_binding: must be one of prefer, require");
    probe_err(PG ",'sslmode':'prefer','channel_binding':'require'",
              P "channel_binding: require needs TLS: sslmode require, verify-ca or verify-full");
}

/* Without sslmode, a password goes to verify-full; without a password, prefer stays. */
static void test_sslmode_default(void **state)
{
    (void)state;
    static const struct {
        const char *extra, *want;
    } cases[] = {
        {"", "prefer"},
        {",'password_env':'PGPASSWORD'", "verify-full"},
        {",'password_file':'/s/pw'", "verify-full"},
        {",'password_env':'PGPASSWORD','sslmode':'require'", "require"},
        {",'sslmode':'disable'", "disable"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[1024], err[512];
        snprintf(text, sizeof(text),
                 "{'version':1,'roles':{'r':{'selector':{},'probes':[{'name':'p','kind':'postgres',"
                 "'host':'h','user':'u','dbname':'d','expect':'allow'%s}]}}}",
                 cases[i].extra);
        for (char *c = text; *c; c++)
            if (*c == '\'')
                *c = '"';
        config_t *cfg = NULL;
        assert_int_equal(config_parse(text, strlen(text), &cfg, err, sizeof(err)), 0);
        assert_string_equal(cfg->roles[0].probes[0].sslmode, cases[i].want);
        assert_string_equal(cfg->roles[0].probes[0].channel_binding, "prefer");
        config_free(cfg);
    }
}

static void test_headers(void **state)
{
    (void)state;
    char buf[1024], err[512];
    config_t *cfg = NULL;
    probe_err(HTTP ",'headers':{'Authorization':'Bearer tok-s3cret\\r\\nX-Evil: 1'}",
              P "headers.Authorization: must not contain CR or LF");
    probe_err(HTTP ",'headers':{'X-A':'ok\\nb'}", P "headers.X-A: must not contain CR or LF");
    probe_err(HTTP ",'headers':{'Bad Name':'v'}", P "headers.Bad Name: invalid header name");
    probe_err(HTTP ",'headers':{'X-A':'1','x-a':'2'}", P "headers.x-a: duplicate header (names ignore case)");
    probe_err(HTTP ",'headers':{'X-A':1}", P "headers.X-A: must be a string");
    snprintf(buf, sizeof(buf), "%s%s{%s,'headers':{'Authorization':'Bearer tok-s3cret\\r\\n'}}%s", HEAD, OK2,
             HTTP, TAIL);
    char *j = jq(buf);
    assert_int_equal(config_parse(j, strlen(j), &cfg, err, sizeof(err)), -1);
    assert_null(strstr(err, "s3cret"));
    free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_syntax),
        cmocka_unit_test(test_unterminated_and_prefixes),
        cmocka_unit_test(test_duplicate_json_keys),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_key_of_another_kind),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_status_codes),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_duplicate_probe_names),
        cmocka_unit_test(test_kind_and_expect),
        cmocka_unit_test(test_deny_outcomes),
        cmocka_unit_test(test_literal_password),
        cmocka_unit_test(test_password_env_and_file),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_cidrs),
        cmocka_unit_test(test_roles_and_probes_empty),
        cmocka_unit_test(test_dns_servers),
        cmocka_unit_test(test_dns_probe_values),
        cmocka_unit_test(test_sslmode),
        cmocka_unit_test(test_sslmode_default),
        cmocka_unit_test(test_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
