/* test_config_yaml.c: YAML configs. config/govtech.yaml gives the same tree and the same
 * config as config/govtech.json; each error class gives the same "path: reason" from YAML as
 * from JSON; picking the syntax by extension or content. The YAML reader's own rules are
 * test_config_yaml_reader.c's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "config_json.h"
#include "config_yaml.h"
#include "config_yaml_test.h"

/* The same config in both syntaxes must give the same message. JSON is written with ' for ". */
static void same(const char *json, const char *yaml, const char *want)
{
    char *j = strdup(json);
    assert_non_null(j);
    for (char *p = j; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    check(j, CONFIG_FORMAT_JSON, want);
    check(yaml, CONFIG_FORMAT_YAML, want);
    free(j);
}

/* Probe number 2 of role backend, after two valid ones; yaml is its block mapping, one key
 * per line. */
#define JHEAD "{'version':1,'roles':{'backend':{'selector':{'app':'backend'},'probes':[" \
              "{'name':'a','kind':'tcp','host':'h','port':1,'expect':'allow'},"         \
              "{'name':'b','kind':'tcp','host':'h','port':2,'expect':'allow'},{"
#define YHEAD "version: 1\nroles:\n  backend:\n    selector: {app: backend}\n    probes:\n" \
              "      - {name: a, kind: tcp, host: h, port: 1, expect: allow}\n"            \
              "      - {name: b, kind: tcp, host: h, port: 2, expect: allow}\n"
#define P "roles.backend.probes[2]."
#define JTCP "'name':'t','kind':'tcp','host':'h','expect':'deny'"
#define YTCP "name: t\nkind: tcp\nhost: h\nexpect: deny\n"
#define JHTTP "'name':'w','kind':'http','url':'http://w:3000/','expect':'allow'"
#define YHTTP "name: w\nkind: http\nurl: http://w:3000/\nexpect: allow\n"

static void same_probe(const char *json_members, const char *yaml_lines, const char *want)
{
    char j[2048], y[2048];
    size_t n = (size_t)snprintf(y, sizeof(y), "%s      - ", YHEAD);
    snprintf(j, sizeof(j), "%s%s}]}}}", JHEAD, json_members);
    for (const char *s = yaml_lines; *s && n + 10 < sizeof(y); s++) {
        y[n++] = *s;
        if (*s == '\n' && s[1]) {
            memcpy(y + n, "        ", 8);
            n += 8;
        }
    }
    y[n] = '\0';
    same(j, y, want);
}

static const char *str_or(const char *s)
{
    return s ? s : "(null)";
}

/* Every field of two configs, probe by probe. */
static void assert_config_equal(const config_t *a, const config_t *b)
{
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->timeout_ms, b->timeout_ms);
    assert_int_equal(a->attempts, b->attempts);
    assert_int_equal(a->concurrency, b->concurrency);
    assert_int_equal(a->deny_outcomes, b->deny_outcomes);
    assert_string_equal(a->ca_file, b->ca_file);
    assert_int_equal(a->dns_search, b->dns_search);
    assert_int_equal(a->n_dns_servers, b->n_dns_servers);
    for (size_t i = 0; i < a->n_dns_servers; i++)
        assert_string_equal(a->dns_servers[i], b->dns_servers[i]);
    assert_int_equal(a->n_roles, b->n_roles);
    for (size_t r = 0; r < a->n_roles; r++) {
        const config_role_t *ra = &a->roles[r], *rb = &b->roles[r];
        assert_string_equal(ra->name, rb->name);
        assert_int_equal(ra->selector.n, rb->selector.n);
        for (size_t i = 0; i < ra->selector.n; i++) {
            assert_string_equal(ra->selector.items[i].key, rb->selector.items[i].key);
            assert_string_equal(ra->selector.items[i].value, rb->selector.items[i].value);
        }
        assert_int_equal(ra->n_probes, rb->n_probes);
        for (size_t i = 0; i < ra->n_probes; i++) {
            const config_probe_t *p = &ra->probes[i], *q = &rb->probes[i];
            const char *sp[] = {p->name, p->host, p->url, p->method, p->body_contains,
                                p->ca_file, p->user, p->dbname, p->password_env,
                                p->password_file, p->sslmode, p->sslrootcert, p->query,
                                p->server};
            const char *sq[] = {q->name, q->host, q->url, q->method, q->body_contains,
                                q->ca_file, q->user, q->dbname, q->password_env,
                                q->password_file, q->sslmode, q->sslrootcert, q->query,
                                q->server};
            for (size_t k = 0; k < sizeof(sp) / sizeof(sp[0]); k++)
                assert_string_equal(str_or(sp[k]), str_or(sq[k]));
            int ip[] = {p->kind, p->expect, p->timeout_ms, p->attempts, p->has_deny_outcomes,
                        (int)p->deny_outcomes, p->port, p->status_any, p->follow_redirects,
                        p->qtype, p->expect_nxdomain};
            int iq[] = {q->kind, q->expect, q->timeout_ms, q->attempts, q->has_deny_outcomes,
                        (int)q->deny_outcomes, q->port, q->status_any, q->follow_redirects,
                        q->qtype, q->expect_nxdomain};
            assert_memory_equal(ip, iq, sizeof(ip));
            assert_int_equal(p->n_status, q->n_status);
            for (size_t k = 0; k < p->n_status; k++)
                assert_int_equal(p->status[k], q->status[k]);
            assert_int_equal(p->n_headers, q->n_headers);
            for (size_t k = 0; k < p->n_headers; k++) {
                assert_string_equal(p->headers[k].name, q->headers[k].name);
                assert_string_equal(p->headers[k].value, q->headers[k].value);
            }
            assert_int_equal(p->resolved_within.n, q->resolved_within.n);
            assert_memory_equal(p->resolved_within.items, q->resolved_within.items,
                                p->resolved_within.n * sizeof(*p->resolved_within.items));
            assert_int_equal(p->answers_within.n, q->answers_within.n);
            assert_memory_equal(p->answers_within.items, q->answers_within.items,
                                p->answers_within.n * sizeof(*p->answers_within.items));
        }
    }
}

/* The shipped YAML example is the JSON one: the same tree, node for node, and the same
 * config. Keeps the two files from drifting apart. */
static void test_govtech_yaml_equals_json(void **state)
{
    (void)state;
    size_t jl, yl;
    char *jt = slurp("config/govtech.json", &jl), *yt = slurp("config/govtech.yaml", &yl);
    char err[512] = "";
    cJSON *jtree = cJSON_ParseWithLength(jt, jl), *ytree = NULL;
    assert_non_null(jtree);
    if (config_yaml_to_cjson(yt, yl, &ytree, err, sizeof(err)) != 0)
        fail_msg("config/govtech.yaml: %s", err);
    assert_true(cJSON_Compare(jtree, ytree, 1));

    config_t *a = NULL, *b = NULL;
    if (config_load_file("config/govtech.json", &a, err, sizeof(err)) != 0 ||
        config_load_file("config/govtech.yaml", &b, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(b->n_roles, 3);
    assert_string_equal(config_find_role(b, "backend")->probes[0].password_env, "PGPASSWORD");
    assert_config_equal(a, b);
    config_free(a);
    config_free(b);
    cJSON_Delete(jtree);
    cJSON_Delete(ytree);
    free(jt);
    free(yt);
}

/* Every optional key, in block and flow YAML with tags and a folded scalar (full.yaml),
 * against the same config in JSON (full.json). */
static void test_full_config_equal(void **state)
{
    (void)state;
    config_t *a = NULL, *b = NULL;
    char err[512] = "";
    if (config_load_file(FIX "full.json", &a, err, sizeof(err)) != 0 ||
        config_load_file(FIX "full.yaml", &b, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_config_equal(a, b);
    /* The comparison above is only worth something if the values are not the defaults. */
    assert_int_equal(b->roles[0].probes[0].status[1], 204);
    assert_int_equal(b->roles[0].probes[0].timeout_ms, 500);
    assert_int_equal(b->roles[0].n_probes, 2);
    assert_int_equal(b->n_dns_servers, 2);
    assert_string_equal(b->roles[1].probes[0].query, "SELECT 1");
    assert_int_equal(b->roles[1].probes[1].qtype, 28);
    config_free(a);
    config_free(b);
}

/* The error classes of test_config.c, each in JSON and YAML, with one message. */
static void test_same_error_paths(void **state)
{
    (void)state;
    same_probe(JTCP ",'port':70000", YTCP "port: 70000\n", P "port: must be 1..65535");
    same_probe(JTCP ",'port':0", YTCP "port: 0x0\n", P "port: must be 1..65535");
    same_probe(JTCP ",'port':'3000'", YTCP "port: \"3000\"\n",
               P "port: must be an integer 1..65535");
    same_probe(JTCP ",'port':'3000'", YTCP "port: '3000'\n",
               P "port: must be an integer 1..65535");
    same_probe(JTCP ",'port':80.5", YTCP "port: 80.5\n", P "port: must be an integer 1..65535");
    same_probe(JTCP ",'port':null", YTCP "port: ~\n", P "port: must be an integer 1..65535");
    same_probe(JTCP ",'port':null", YTCP "port:\n", P "port: must be an integer 1..65535");
    same_probe(JTCP ",'port':[80]", YTCP "port:\n  - 80\n", P "port: must be an integer 1..65535");
    same_probe(JTCP ",'port':80,'port':81", YTCP "port: 80\nport: 81\n", P "port: duplicate key");
    same_probe(JTCP ",'port':80,'kinds':1", YTCP "port: 80\nkinds: 1\n", P "kinds: unknown key");
    same_probe(JTCP ",'port':80,'url':'http://x/'", YTCP "port: 80\nurl: http://x/\n",
               P "url: unknown key for kind tcp");
    same_probe(JTCP, YTCP, P "port: required for kind tcp");
    same_probe("'name':'t','kind':'tcp','host':'h','port':80",
               "name: t\nkind: tcp\nhost: h\nport: 80\n", P "expect: required (allow or deny)");
    same_probe(JTCP ",'port':80,'password':'hunter2'", YTCP "port: 80\npassword: hunter2\n",
               P "password: literal passwords are not allowed: use password_env (an "
                 "environment variable) or password_file (a mounted Secret)");
    same_probe("'name':'a','kind':'tcp','host':'h','port':3,'expect':'deny'",
               "name: a\nkind: tcp\nhost: h\nport: 3\nexpect: deny\n",
               P "name: duplicate probe name (also roles.backend.probes[0])");
    same_probe(JHTTP ",'follow_redirects':'yes'", YHTTP "follow_redirects: yes\n",
               P "follow_redirects: must be true or false");
    same_probe(JHTTP ",'status':[200,99]", YHTTP "status: [200, 99]\n",
               P "status[1]: must be 100..599");
    same_probe(JHTTP ",'headers':{'X-A':'1','x-a':'2'}", YHTTP "headers: {X-A: '1', x-a: '2'}\n",
               P "headers.x-a: duplicate header (names ignore case)");
    same_probe(JHTTP ",'headers':{'X-A':1}", YHTTP "headers:\n  X-A: 1\n",
               P "headers.X-A: must be a string");
    same_probe(JTCP ",'port':80,'deny_outcomes':['refused','ok']",
               YTCP "port: 80\ndeny_outcomes: [refused, ok]\n",
               P "deny_outcomes[1]: ok means the connection was established; it cannot be a "
                 "deny outcome");
    same("{'version':2,'roles':{}}", "version: 2\nroles: {}\n", "version: must be 1");
    same("{'version':'1','roles':{}}", "version: '1'\nroles: {}\n", "version: must be 1");
    same("{'version':1,'roles':{}}", "version: 1\nroles: {}\n", "roles: must not be empty");
    same("{'version':1}", "version: 1\n", "roles: required");
    same("{'version':1,'version':1,'roles':{}}", "version: 1\nversion: 1\nroles: {}\n",
         "version: duplicate key");
    same("{'version':1,'dns':{'search':'no'},'roles':{}}",
         "version: 1\ndns:\n  search: no\nroles: {}\n", "dns.search: must be true or false");
    same("{'version':1,'defaults':{'timeout_ms':'3000'},'roles':{}}",
         "version: 1\ndefaults:\n  timeout_ms: !!str 3000\nroles: {}\n",
         "defaults.timeout_ms: must be an integer 1..300000");
    same("{'version':1,'defaults':{'timeout_ms':1e300},'roles':{}}",
         "version: 1\ndefaults: {timeout_ms: 1e300}\nroles: {}\n",
         "defaults.timeout_ms: must be 1..300000");
    check("version: 1\ndefaults: {timeout_ms: .inf}\nroles: {}\n", CONFIG_FORMAT_YAML,
          "defaults.timeout_ms: must be an integer 1..300000");
    same("{'version':1,'roles':{'r':{'selector':{'app':'a b'}}}}",
         "version: 1\nroles:\n  r:\n    selector:\n      app: a b\n",
         "roles.r.selector.app: invalid label value (up to 63 letters, digits, '-', '_' or '.')");
    same("{'version':1,'roles':{'r':{'probes':[]},'r':{}}}",
         "version: 1\nroles:\n  r: {probes: []}\n  r: {}\n", "roles.r: duplicate key");
}

/* .yaml/.yml are YAML, .json is JSON, anything else is judged by its first character. */
static void test_load_file_format(void **state)
{
    (void)state;
    static const char *const ok[] = {FIX "minimal.yml", FIX "minimal-yaml.conf",
                                     FIX "minimal-json.conf", FIX "minimal.YAML"};
    config_t *cfg = NULL;
    char err[512];
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (config_load_file(ok[i], &cfg, err, sizeof(err)) != 0)
            fail_msg("%s", err);
        assert_int_equal(cfg->roles[0].probes[0].port, 5432);
        assert_string_equal(cfg->roles[0].name, "backend");
        config_free(cfg);
    }
    assert_int_equal(config_load_file(FIX "yaml-in.json", &cfg, err, sizeof(err)), -1);
    assert_string_equal(err, FIX "yaml-in.json: line 1, column 1: invalid JSON");
    assert_int_equal(config_load_file(FIX "bad-port.yaml", &cfg, err, sizeof(err)), -1);
    assert_string_equal(err, FIX "bad-port.yaml: roles.backend.probes[0].port: must be "
                             "1..65535");
    assert_null(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_govtech_yaml_equals_json),
        cmocka_unit_test(test_full_config_equal),
        cmocka_unit_test(test_same_error_paths),
        cmocka_unit_test(test_load_file_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
