/* pg_config.c: the postgres kind's config keys and their parser (probe_ops_t.keys/parse):
 * host, port, the login, where its password comes from (never a literal), and the TLS and
 * channel-binding settings with their defaults (docs/security.md). */
#include <string.h>

#include "config_json.h"
#include "postgres.h"

const char *const pg_config_keys[] = {"host",
                                      "port",
                                      "user",
                                      "dbname",
                                      "password_env",
                                      "password_file",
                                      "sslmode",
                                      "sslrootcert",
                                      "channel_binding",
                                      "query",
                                      NULL};
static const char *const sslmodes[] = {"disable",   "allow",       "prefer", "require",
                                       "verify-ca", "verify-full", NULL};
static const char *const tls_sslmodes[] = {"require", "verify-ca", "verify-full", NULL};
static const char *const channel_bindings[] = {"prefer", "require", NULL};

int pg_config_parse(struct config_ctx *cx, const cJSON *o, const char *path, config_probe_t *p)
{
    char fp[CONFIG_PATH_LEN];
    const cJSON *v;
    if (!(v = config_json_field(o, path, "host", fp)))
        return config_json_fail(cx, fp, "required for kind postgres");
    if (config_probe_host(cx, v, fp, p) != 0)
        return -1;
    p->port = 5432;
    if ((v = config_json_field(o, path, "port", fp)) && config_json_int(cx, v, fp, 1, 65535, &p->port) != 0)
        return -1;
    if (!(v = config_json_field(o, path, "user", fp)))
        return config_json_fail(cx, fp, "required for kind postgres");
    if (config_json_str(cx, v, fp, 256, &p->user) != 0)
        return -1;
    if (!(v = config_json_field(o, path, "dbname", fp)))
        return config_json_fail(cx, fp, "required for kind postgres");
    if (config_json_str(cx, v, fp, 256, &p->dbname) != 0)
        return -1;
    if ((v = config_json_field(o, path, "password_env", fp))) {
        if (config_json_str(cx, v, fp, 128, &p->password_env) != 0)
            return -1;
        if (!config_json_env_name_ok(p->password_env))
            return config_json_fail(cx, fp, "must be an environment variable name");
    }
    if ((v = config_json_field(o, path, "password_file", fp))) {
        if (p->password_env)
            return config_json_fail(cx, fp,
                                    "password_env and password_file exclude each "
                                    "other: keep one");
        if (config_json_str(cx, v, fp, 4096, &p->password_file) != 0)
            return -1;
    }
    if ((v = config_json_field(o, path, "sslmode", fp))) {
        if (config_json_str(cx, v, fp, 16, &p->sslmode) != 0)
            return -1;
        if (!config_json_in_list(p->sslmode, sslmodes))
            return config_json_fail(cx, fp,
                                    "must be one of disable, allow, prefer, require, "
                                    "verify-ca, verify-full");
    }
    if ((v = config_json_field(o, path, "sslrootcert", fp)) &&
        config_json_str(cx, v, fp, 4096, &p->sslrootcert) != 0)
        return -1;
    if ((v = config_json_field(o, path, "channel_binding", fp))) {
        if (config_json_str(cx, v, fp, 16, &p->channel_binding) != 0)
            return -1;
        if (!config_json_in_list(p->channel_binding, channel_bindings))
            return config_json_fail(cx, fp, "must be one of prefer, require");
    }
    if ((v = config_json_field(o, path, "query", fp)) &&
        config_json_str(cx, v, fp, CONFIG_TEXT_MAX, &p->query) != 0)
        return -1;
    /* A password goes only to a server whose certificate names it, unless the config says
     * otherwise (docs/security.md). */
    if (config_json_default_str(cx, &p->sslmode,
                                p->password_env || p->password_file ? "verify-full" : "prefer") != 0)
        return -1;
    if (p->channel_binding && strcmp(p->channel_binding, "require") == 0 &&
        !config_json_in_list(p->sslmode, tls_sslmodes)) {
        (void)config_json_field(o, path, "channel_binding", fp);
        return config_json_fail(cx, fp,
                                "require needs TLS: sslmode require, verify-ca or "
                                "verify-full");
    }
    if (config_json_default_str(cx, &p->channel_binding, "prefer") != 0)
        return -1;
    return config_json_default_str(cx, &p->query, "SELECT 1");
}
