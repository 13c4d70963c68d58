/* config_test.h: what the config unit tests share: JSON written with ' for " (jq), parsing
 * that must fail with an exact message or succeed, and a role skeleton for probe snippets. */
#ifndef ZT_CONFIG_TEST_H
#define ZT_CONFIG_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* Tests write JSON with ' for " to stay readable; jq() swaps them back. */
__attribute__((unused)) static char *jq(const char *s)
{
    char *j = strdup(s);
    assert_non_null(j);
    for (char *p = j; *p; p++) {
        if (*p == '\'')
            *p = '"';
    }
    return j;
}

__attribute__((unused)) static void expect_err(const char *json, const char *want)
{
    char *j = jq(json);
    config_t *cfg = NULL;
    char err[512] = "";
    int rc = config_parse(j, strlen(j), &cfg, err, sizeof(err));
    if (rc != -1 || strcmp(err, want) != 0)
        fail_msg("config: %s\n  got rc %d: %s\n  want: %s", j, rc, err, want);
    assert_null(cfg);
    free(j);
}

__attribute__((unused)) static config_t *parse_ok(const char *json)
{
    char *j = jq(json);
    config_t *cfg = NULL;
    char err[512] = "";
    int rc = config_parse(j, strlen(j), &cfg, err, sizeof(err));
    if (rc != 0)
        fail_msg("config: %s\n  got rc %d: %s", j, rc, err);
    assert_non_null(cfg);
    free(j);
    return cfg;
}

/* A role "backend" with two valid probes; the probe under test is probes[2]. */
#define HEAD "{'version':1,'roles':{'backend':{'selector':{'app':'backend'},'probes':["
#define OK2 \
    "{'name':'a','kind':'tcp','host':'h','port':1,'expect':'allow'}," \
    "{'name':'b','kind':'tcp','host':'h','port':2,'expect':'allow'},"
#define TAIL "]}}}"
#define P "roles.backend.probes[2]."
#define TCP "'name':'t','kind':'tcp','host':'h','port':80,'expect':'deny'"
#define HTTP "'name':'w','kind':'http','url':'http://w:3000/','expect':'allow'"
#define PG "'name':'pg','kind':'postgres','host':'db','user':'u','dbname':'d','expect':'allow'"
#define DNS "'name':'d','kind':'dns','query':'backend-service','expect':'allow'"

#endif
