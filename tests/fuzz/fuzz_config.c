/* fuzz_config.c: libFuzzer target for the config parser and validator (JSON and YAML, the
 * format chosen as config_load_file does for a file without an extension: JSON when the first
 * non-blank byte is '{'). On success it walks every accessor the runner uses, so a config
 * that validates but carries a value the accessors cannot handle is found too.
 * The input is the file's bytes, unterminated: an over-read past len is an ASan report. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_config_walk(const config_t *cfg)
{
    char buf[512];
    for (size_t i = 0; i < cfg->n_roles; i++) {
        const config_role_t *role = &cfg->roles[i];
        if (config_find_role(cfg, role->name) == NULL)
            abort(); /* a parsed role must be found by its own name */
        labels_format(&role->selector, buf, sizeof(buf));
        for (size_t j = 0; j < role->n_probes; j++) {
            const config_probe_t *p = &role->probes[j];
            int t = config_probe_timeout_ms(cfg, p);
            int a = config_probe_attempts(cfg, p);
            if (t < CONFIG_TIMEOUT_MIN_MS || t > CONFIG_TIMEOUT_MAX_MS || a < 1 || a > CONFIG_ATTEMPTS_MAX)
                abort(); /* the validator promised these ranges */
            (void)config_probe_deny_outcomes(cfg, p);
            (void)config_probe_ca_file(cfg, p);
            config_probe_target(p, buf, sizeof(buf));
            if (strlen(buf) >= sizeof(buf))
                abort();
            (void)config_kind_name(p->kind);
            (void)config_expect_name(p->expect);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    config_t *cfg = NULL;
    /* An exact-size copy: the parser must not read past len (no terminator given). */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    err[0] = '\0';
    int rc = config_parse_text(text, size, CONFIG_FORMAT_AUTO, &cfg, err, sizeof(err));
    if (rc == 0) {
        if (!cfg)
            abort();
        fuzz_config_walk(cfg);
    } else if (cfg != NULL || err[0] == '\0') {
        abort(); /* a failure leaves no config and always says why */
    }
    config_free(cfg);
    free(text);
    return 0;
}
