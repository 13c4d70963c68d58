/* config_yaml_test.h: what the YAML config unit tests share: the fixture folder, a file read
 * whole, and a parse that must fail with an exact message or succeed. */
#ifndef ZT_CONFIG_YAML_TEST_H
#define ZT_CONFIG_YAML_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define FIX "tests/unit/fixtures/config/"

__attribute__((unused))
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("%s: cannot open (run from the repo root)", path);
    char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* Parses text in the given syntax and checks the exact error (want NULL: must parse). */
__attribute__((unused))
static void check(const char *text, config_format_t fmt, const char *want)
{
    config_t *cfg = NULL;
    char err[512] = "";
    int rc = config_parse_text(text, strlen(text), fmt, &cfg, err, sizeof(err));
    const char *name = fmt == CONFIG_FORMAT_YAML ? "YAML" : "JSON";
    if (want == NULL && rc != 0)
        fail_msg("%s config:\n%s\n  got rc %d: %s", name, text, rc, err);
    if (want != NULL && (rc != -1 || strcmp(err, want) != 0))
        fail_msg("%s config:\n%s\n  got rc %d: %s\n  want: %s", name, text, rc, err, want);
    assert_true((rc == 0) == (cfg != NULL));
    config_free(cfg);
}

#endif
