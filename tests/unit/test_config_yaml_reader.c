/* test_config_yaml_reader.c: the YAML reader: scalar types (core schema), refused
 * anchors/aliases/tags/documents, the depth cap, libyaml's syntax errors with line and column,
 * and exact-size buffers. */
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

/* A tree node's type and value after YAML 1.2 core-schema resolution. */
static void test_scalar_types(void **state)
{
    (void)state;
    static const char yaml[] =
        "int: 3000\ndq: \"3000\"\nsq: '3000'\nyes: yes\nno: No\non: on\nt: true\nT: TRUE\n"
        "f: False\ntilde: ~\nnul: null\nempty:\noct: 0o17\nhex: 0x1F\nneg: -12\n"
        "exp: 1.5e3\ninf: -.inf\nnan: .NaN\nlead0: 010\nunder: 1_000\nstr: !!str 80\n"
        "int2: !!int \"80\"\nblock: |\n  x\nver: 1.2.3\nplus: +5\nsexa: 12:30\nbang: ! 5\n"
        "ip: 10.0.0.1\ndot: .5\nfl: !!float 2\n";
    cJSON *t = NULL;
    char err[256] = "";
    if (config_yaml_to_cjson(yaml, strlen(yaml), &t, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    static const struct {
        const char *key;
        char type; /* n number, s string, t true, f false, 0 null */
        const char *text;
        double num;
    } want[] = {
        {"int", 'n', NULL, 3000},   {"dq", 's', "3000", 0},  {"sq", 's', "3000", 0},
        {"yes", 's', "yes", 0},     {"no", 's', "No", 0},    {"on", 's', "on", 0},
        {"t", 't', NULL, 0},        {"T", 't', NULL, 0},     {"f", 'f', NULL, 0},
        {"tilde", '0', NULL, 0},    {"nul", '0', NULL, 0},  {"empty", '0', NULL, 0},
        {"oct", 'n', NULL, 15},     {"hex", 'n', NULL, 31},  {"neg", 'n', NULL, -12},
        {"exp", 'n', NULL, 1500},   {"lead0", 'n', NULL, 10}, {"under", 's', "1_000", 0},
        {"str", 's', "80", 0},      {"int2", 'n', NULL, 80}, {"block", 's', "x\n", 0},
        {"ver", 's', "1.2.3", 0},   {"plus", 'n', NULL, 5},  {"sexa", 's', "12:30", 0},
        {"bang", 's', "5", 0},      {"ip", 's', "10.0.0.1", 0}, {"dot", 'n', NULL, 0.5},
        {"fl", 'n', NULL, 2},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, want[i].key);
        if (!v)
            fail_msg("key %s missing", want[i].key);
        bool ok = false;
        switch (want[i].type) {
        case 'n': ok = cJSON_IsNumber(v) && v->valuedouble == want[i].num; break;
        case 's': ok = cJSON_IsString(v) && strcmp(v->valuestring, want[i].text) == 0; break;
        case 't': ok = cJSON_IsTrue(v); break;
        case 'f': ok = cJSON_IsFalse(v); break;
        default: ok = cJSON_IsNull(v); break;
        }
        if (!ok)
            fail_msg("key %s: wrong type or value", want[i].key);
    }
    const cJSON *inf = cJSON_GetObjectItemCaseSensitive(t, "inf");
    assert_true(cJSON_IsNumber(inf) && isinf(inf->valuedouble) && inf->valuedouble < 0);
    assert_true(isnan(cJSON_GetObjectItemCaseSensitive(t, "nan")->valuedouble));
    cJSON_Delete(t);
}

/* Reasons the YAML reader itself gives, with the line and column they point at. */
static void yaml_err(const char *yaml, const char *want)
{
    check(yaml, CONFIG_FORMAT_YAML, want);
}

static void test_refused_constructs(void **state)
{
    (void)state;
    yaml_err("version: 1\nroles: &r {}\n",
             "line 2, column 8: anchors (&) are not supported: write the value out");
    yaml_err("version: 1\nroles: *r\n",
             "line 2, column 8: aliases (*) are not supported: write the value out");
    yaml_err("version: 1\n<<: *base\n",
             "line 2, column 5: aliases (*) are not supported: write the value out");
    yaml_err("version: 1\nroles: {}\n---\nversion: 1\n",
             "line 3, column 1: more than one YAML document (a config is exactly one)");
    yaml_err("version: 1\nroles: {}\n...\nversion: 1\n",
             "line 4, column 1: invalid YAML: did not find expected <document start>");
    yaml_err("version: 1\n1: x\n", "line 2, column 1: mapping keys must be strings (quote this "
                                    "one)");
    yaml_err("true: 1\n", "line 1, column 1: mapping keys must be strings (quote this one)");
    yaml_err("~: 1\n", "line 1, column 1: mapping keys must be strings (quote this one)");
    yaml_err("? [a]\n: 1\n", "line 1, column 3: mapping keys must be strings");
    yaml_err("{{a: 1}: 2}\n", "line 1, column 2: mapping keys must be strings");
    yaml_err("version: !!binary AAAA\n", "line 1, column 10: unsupported tag (a scalar may only "
                                         "be tagged !!str, !!int, !!float, !!bool or !!null)");
    yaml_err("version: !local 1\n", "line 1, column 10: unsupported tag (a scalar may only be "
                                    "tagged !!str, !!int, !!float, !!bool or !!null)");
    yaml_err("roles: !!set {a: 1}\n", "line 1, column 8: unsupported tag (a mapping may only be "
                                      "tagged !!map)");
    yaml_err("roles: !!omap [a]\n", "line 1, column 8: unsupported tag (a sequence may only be "
                                    "tagged !!seq)");
    yaml_err("version: !!int one\n", "line 1, column 10: not a valid !!int");
    yaml_err("version: !!bool yes\n", "line 1, column 10: not a valid !!bool");
    yaml_err("version: \"1\\0\"\n", "line 1, column 10: NUL character in a string");
    yaml_err("\"a\\0b\": 1\n", "line 1, column 1: NUL character in a string");
    yaml_err("", "empty config (expected a YAML mapping with version: 1)");
    yaml_err("# only a comment\n", "empty config (expected a YAML mapping with version: 1)");
    yaml_err("---\n", "(top level): must be a YAML mapping");
    yaml_err("- version: 1\n", "(top level): must be a YAML mapping");
    /* Quoted and typed keys are strings: "1" is a role name like any other. */
    check("version: 1\nroles:\n  '1': {probes: [{name: t, kind: tcp, host: h, port: 1, "
          "expect: deny}]}\n  !!str 2: {probes: [{name: t, kind: tcp, host: h, port: 1, "
          "expect: deny}]}\n", CONFIG_FORMAT_YAML, NULL);
}

/* Nesting stops at CONFIG_YAML_DEPTH_MAX, before anything deeper is built. */
static void test_depth_cap(void **state)
{
    (void)state;
    char buf[512], want[128];
    for (int depth = CONFIG_YAML_DEPTH_MAX; depth <= CONFIG_YAML_DEPTH_MAX + 1; depth++) {
        memset(buf, '[', (size_t)depth);
        memset(buf + depth, ']', (size_t)depth);
        buf[2 * depth] = '\0';
        if (depth == CONFIG_YAML_DEPTH_MAX)
            snprintf(want, sizeof(want), "(top level): must be a YAML mapping");
        else
            snprintf(want, sizeof(want), "line 1, column %d: nested deeper than %d levels",
                     depth, CONFIG_YAML_DEPTH_MAX);
        yaml_err(buf, want);
    }
}

/* The classic exponential alias bomb is refused at its first anchor, at once. */
static void test_billion_laughs(void **state)
{
    (void)state;
    size_t len;
    char *text = slurp(FIX "billion-laughs.yaml", &len);
    config_t *cfg = NULL;
    char err[512];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(config_parse_text(text, len, CONFIG_FORMAT_YAML, &cfg, err, sizeof(err)),
                     -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_string_equal(err, "line 3, column 4: anchors (&) are not supported: write the "
                             "value out");
    assert_null(cfg);
    assert_true(t1.tv_sec - t0.tv_sec < 2);
    free(text);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    yaml_err("version: 1\nroles:\n  a: b\n c: d\n",
             "line 4, column 2: invalid YAML: did not find expected key (while parsing a "
             "block mapping at line 1, column 1)");
    yaml_err("version: 1\nroles: [1, 2\n",
             "line 3, column 1: invalid YAML: did not find expected ',' or ']' (while parsing "
             "a flow sequence at line 2, column 8)");
    yaml_err("version: 1\nroles:\n\tr: {}\n",
             "line 3, column 1: invalid YAML: found character that cannot start any token "
             "(while scanning for the next token at line 3, column 1)");
    yaml_err("version: 'one\n", "line 2, column 1: invalid YAML: found unexpected end of stream "
                                "(while scanning a quoted scalar at line 1, column 10)");
    yaml_err("version: 1\nkey: a: b\n",
             "line 2, column 7: invalid YAML: mapping values are not allowed in this context");
    yaml_err("version: 1\nroles: \xff\n",
             "line 2, column 8: invalid YAML: invalid leading UTF-8 octet");
    config_t *cfg = NULL;
    char err[128];
    static const char nul[] = "version: 1\n\0";
    assert_int_equal(config_parse_text(nul, sizeof(nul) - 1, CONFIG_FORMAT_YAML, &cfg, err,
                                       sizeof(err)), -1);
    assert_string_equal(err, "line 2, column 1: NUL byte in the config");
    assert_int_equal(config_parse_text(nul, CONFIG_MAX_BYTES + 1, CONFIG_FORMAT_YAML, &cfg, err,
                                       sizeof(err)), -1);
    assert_string_equal(err, "config larger than 4194304 bytes");
}

/* (text, len) is honoured for YAML too: each prefix in an exact-size buffer (ASan checks
 * that nothing past len is read) gives a config or an error, never both, and no leak. */
static void test_prefixes(void **state)
{
    (void)state;
    size_t n;
    char *text = slurp("config/govtech.yaml", &n);
    size_t errors = 0;
    for (size_t len = 0; len <= n; len++) {
        char *buf = malloc(len ? len : 1);
        assert_non_null(buf);
        memcpy(buf, text, len);
        config_t *cfg = NULL;
        char err[256];
        int rc = config_parse_text(buf, len, CONFIG_FORMAT_YAML, &cfg, err, sizeof(err));
        assert_true(rc == 0 || rc == -1);
        assert_true((rc == 0) == (cfg != NULL));
        errors += rc != 0;
        if (len == n && rc != 0)
            fail_msg("full text: %s", err);
        config_free(cfg);
        free(buf);
    }
    assert_true(errors > n / 2); /* most prefixes cut a probe short */
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalar_types),
        cmocka_unit_test(test_refused_constructs),
        cmocka_unit_test(test_depth_cap),
        cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
