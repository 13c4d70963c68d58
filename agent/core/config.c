/* config.c: the config file: reading it, its syntax (JSON here, YAML through config_yaml.c,
 * both into one cJSON tree) and the top level (version, defaults, dns, roles); one probe is
 * config_probe.c, the value readers config_json.c. Every error is one "json.path: reason"
 * line; the first one wins and nothing runs on a bad config. */
#include "config.h"
#include "config_json.h"
#include "config_yaml.h"
#include "fileio.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_DEFAULT_CA "/etc/ssl/certs/ca-certificates.crt"

static int config_parse_defaults(struct config_ctx *cx, const cJSON *d, config_t *cfg)
{
    static const char *const keys[] = {"timeout_ms",    "attempts", "concurrency",
                                       "deny_outcomes", "ca_file",  NULL};
    const cJSON *v;
    if (!cJSON_IsObject(d))
        return config_json_fail(cx, "defaults", "must be an object");
    if (config_json_keys(cx, d, "defaults", keys) != 0)
        return cx->rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "timeout_ms")) &&
        config_json_int(cx, v, "defaults.timeout_ms", CONFIG_TIMEOUT_MIN_MS, CONFIG_TIMEOUT_MAX_MS,
                        &cfg->timeout_ms) != 0)
        return cx->rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "attempts")) &&
        config_json_int(cx, v, "defaults.attempts", 1, CONFIG_ATTEMPTS_MAX, &cfg->attempts) != 0)
        return cx->rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "concurrency")) &&
        config_json_int(cx, v, "defaults.concurrency", 1, CONFIG_CONCURRENCY_MAX, &cfg->concurrency) != 0)
        return cx->rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "deny_outcomes")) &&
        config_json_outcomes(cx, v, "defaults.deny_outcomes", &cfg->deny_outcomes) != 0)
        return cx->rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "ca_file")) &&
        config_json_str(cx, v, "defaults.ca_file", 4096, &cfg->ca_file) != 0)
        return cx->rc;
    return 0;
}

static int config_parse_dns(struct config_ctx *cx, const cJSON *d, config_t *cfg)
{
    static const char *const keys[] = {"servers", "search", NULL};
    char p[CONFIG_PATH_LEN];
    const cJSON *v;
    size_t i = 0;
    if (!cJSON_IsObject(d))
        return config_json_fail(cx, "dns", "must be an object");
    if (config_json_keys(cx, d, "dns", keys) != 0)
        return cx->rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "servers"))) {
        if (!cJSON_IsArray(v))
            return config_json_fail(cx, "dns.servers", "must be a list of IP addresses");
        int n = cJSON_GetArraySize(v);
        if (n > 0 && !(cfg->dns_servers = calloc((size_t)n, sizeof(char *))))
            return config_json_oom(cx);
        for (const cJSON *c = v->child; c; c = c->next, i++) {
            config_json_index(p, sizeof(p), "dns.servers", i);
            if (config_json_str(cx, c, p, 64, &cfg->dns_servers[i]) != 0)
                return cx->rc;
            cfg->n_dns_servers = i + 1;
            if (!config_json_server_ok(c->valuestring))
                return config_json_fail(cx, p,
                                        "must be an IP address with an optional port "
                                        "(10.96.0.10, 10.96.0.10:53, [fd00::10]:53)");
        }
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "search")) &&
        config_json_bool(cx, v, "dns.search", &cfg->dns_search) != 0)
        return cx->rc;
    return 0;
}

/* Label keys (optional DNS prefix and '/') and values as Kubernetes validates them. */
static bool config_label_ok(const char *s, size_t maxlen, bool is_key)
{
    size_t n = strlen(s);
    if (n > maxlen || (is_key && n == 0))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.' || (is_key && c == '/')))
            return false;
    }
    return true;
}

/* An RFC 1123 label, as namespace names are. */
static bool config_dns_label_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

static int config_parse_role(struct config_ctx *cx, const cJSON *r, config_role_t *role)
{
    static const char *const keys[] = {"selector", "namespace", "probes", NULL};
    char path[CONFIG_PATH_LEN], p[CONFIG_PATH_LEN], q[CONFIG_PATH_LEN];
    const cJSON *v;
    size_t i = 0;
    config_json_path(path, sizeof(path), "roles", r->string);
    if (!config_json_name_ok(r->string))
        return config_json_fail(cx, path,
                                "invalid role name (1..63 letters, digits, '-', '_' "
                                "or '.')");
    if (!(role->name = strdup(r->string)))
        return config_json_oom(cx);
    if (!cJSON_IsObject(r))
        return config_json_fail(cx, path, "must be an object");
    if (config_json_keys(cx, r, path, keys) != 0)
        return cx->rc;
    /* No selector: the role is chosen only by --role / $ZTPROBE_ROLE (see role.c). */
    if ((v = cJSON_GetObjectItemCaseSensitive(r, "selector"))) {
        config_json_path(p, sizeof(p), path, "selector");
        if (!cJSON_IsObject(v))
            return config_json_fail(cx, p, "must be an object of label: value");
        for (const cJSON *c = v->child; c; c = c->next) {
            config_json_path(q, sizeof(q), p, c->string);
            if (!config_label_ok(c->string, 317, true))
                return config_json_fail(cx, q, "invalid label key");
            if (!cJSON_IsString(c))
                return config_json_fail(cx, q, "must be a string");
            if (!config_label_ok(c->valuestring, 63, false))
                return config_json_fail(cx, q,
                                        "invalid label value (up to 63 letters, "
                                        "digits, '-', '_' or '.')");
            if (labels_add(&role->selector, c->string, c->valuestring) != 0)
                return config_json_oom(cx);
        }
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(r, "namespace"))) {
        config_json_path(p, sizeof(p), path, "namespace");
        if (config_json_str(cx, v, p, 63, &role->namespace) != 0)
            return cx->rc;
        if (!config_dns_label_ok(role->namespace))
            return config_json_fail(cx, p,
                                    "must be a namespace name (1..63 of a-z, 0-9, '-', "
                                    "starting and ending with a letter or digit)");
    }
    config_json_path(p, sizeof(p), path, "probes");
    v = cJSON_GetObjectItemCaseSensitive(r, "probes");
    if (!v)
        return config_json_fail(cx, p, "required");
    if (!cJSON_IsArray(v))
        return config_json_fail(cx, p, "must be a list of probes");
    int n = cJSON_GetArraySize(v);
    if (n == 0)
        return config_json_fail(cx, p, "must not be empty (a role needs at least one probe)");
    if (!(role->probes = calloc((size_t)n, sizeof(*role->probes))))
        return config_json_oom(cx);
    /* Names seen so far, in an open-addressing table of probe index + 1: a pairwise check
     * costs half a second of start-up at 10,000 probes. */
    size_t cap = 16;
    while (cap < 2 * (size_t)n)
        cap *= 2;
    size_t *seen = calloc(cap, sizeof(*seen));
    if (!seen)
        return config_json_oom(cx);
    int rc = 0;
    for (const cJSON *c = v->child; c && rc == 0; c = c->next, i++) {
        config_json_index(q, sizeof(q), p, i);
        role->n_probes = i + 1; /* so config_free clears what this probe got so far */
        if (config_probe_parse(cx, c, q, &role->probes[i]) != 0) {
            rc = cx->rc;
            break;
        }
        uint32_t h = 2166136261u; /* FNV-1a */
        for (const unsigned char *s = (const unsigned char *)role->probes[i].name; *s; s++)
            h = (h ^ *s) * 16777619u;
        size_t k = h & (cap - 1);
        for (; seen[k]; k = (k + 1) & (cap - 1)) {
            size_t j = seen[k] - 1;
            if (strcmp(role->probes[j].name, role->probes[i].name) == 0) {
                char np[CONFIG_PATH_LEN];
                config_json_path(np, sizeof(np), q, "name");
                rc = config_json_fail(cx, np, "duplicate probe name (also %s[%zu])", p, j);
                break;
            }
        }
        seen[k] = i + 1;
    }
    free(seen);
    return rc;
}

static int config_parse_root(struct config_ctx *cx, const cJSON *root, config_t *cfg)
{
    static const char *const keys[] = {"version", "defaults", "dns", "roles", "todo", NULL};
    const cJSON *v;
    size_t i = 0;
    if (!cJSON_IsObject(root))
        return config_json_fail(cx, "(top level)",
                                cx->yaml ? "must be a YAML mapping" : "must be a JSON object");
    if (config_json_keys(cx, root, "", keys) != 0)
        return cx->rc;
    v = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (!v)
        return config_json_fail(cx, "version", "required (must be 1)");
    if (!cJSON_IsNumber(v) || v->valuedouble != 1.0)
        return config_json_fail(cx, "version", "must be 1");
    cfg->version = 1;
    /* "todo": notes `ztprobe policy plan` leaves for a person (strings), read and ignored. */
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "todo"))) {
        if (!cJSON_IsArray(v))
            return config_json_fail(cx, "todo", "must be a list of strings");
        for (const cJSON *t = v->child; t; t = t->next, i++)
            if (!cJSON_IsString(t)) {
                char tp[CONFIG_PATH_LEN];
                config_json_index(tp, sizeof(tp), "todo", i);
                return config_json_fail(cx, tp, "must be a string");
            }
        i = 0;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "defaults")) && config_parse_defaults(cx, v, cfg) != 0)
        return cx->rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "dns")) && config_parse_dns(cx, v, cfg) != 0)
        return cx->rc;
    v = cJSON_GetObjectItemCaseSensitive(root, "roles");
    if (!v)
        return config_json_fail(cx, "roles", "required");
    if (!cJSON_IsObject(v))
        return config_json_fail(cx, "roles", "must be an object of role name: role");
    int n = cJSON_GetArraySize(v);
    if (n == 0)
        return config_json_fail(cx, "roles", "must not be empty");
    if (!(cfg->roles = calloc((size_t)n, sizeof(*cfg->roles))))
        return config_json_oom(cx);
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        cfg->n_roles = i + 1;
        if (config_parse_role(cx, c, &cfg->roles[i]) != 0)
            return cx->rc;
    }
    return 0;
}

/* cJSON wants a terminated string, and its terminator check rejects trailing garbage. */
static int config_json_tree(struct config_ctx *cx, const char *text, size_t len, cJSON **root)
{
    char *copy = malloc(len + 1);
    const char *end = NULL;
    int line, col;
    if (!copy)
        return config_json_oom(cx);
    memcpy(copy, text, len);
    copy[len] = '\0';
    *root = cJSON_ParseWithOpts(copy, &end, 1);
    if (!*root) {
        size_t off = (end && end >= copy && end <= copy + len) ? (size_t)(end - copy) : len;
        config_json_line_col(copy, off, &line, &col);
        snprintf(cx->err, cx->errlen, "line %d, column %d: invalid JSON", line, col);
        cx->rc = -1;
    }
    free(copy);
    return cx->rc;
}

zt_status_t config_parse_text(const char *text, size_t len, config_format_t fmt, config_t **out, char *err,
                              size_t errlen)
{
    struct config_ctx cx = {err, errlen, 0, false};
    cJSON *root = NULL;
    config_t *cfg = NULL;
    int line, col;

    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (len > CONFIG_MAX_BYTES) {
        snprintf(err, errlen, "config larger than %u bytes", CONFIG_MAX_BYTES);
        cx.rc = ZT_ERR_INPUT;
        goto done;
    }
    if (!text) {
        text = "";
        len = 0;
    }
    const char *nul = len ? memchr(text, '\0', len) : NULL;
    if (nul) {
        config_json_line_col(text, (size_t)(nul - text), &line, &col);
        snprintf(err, errlen, "line %d, column %d: NUL byte in the config", line, col);
        cx.rc = ZT_ERR_INPUT;
        goto done;
    }
    size_t ws = 0; /* text need not be terminated: count within len */
    while (ws < len && (text[ws] == ' ' || text[ws] == '\t' || text[ws] == '\r' || text[ws] == '\n'))
        ws++;
    if (fmt == CONFIG_FORMAT_AUTO)
        fmt = ws < len && text[ws] == '{' ? CONFIG_FORMAT_JSON : CONFIG_FORMAT_YAML;
    cx.yaml = fmt == CONFIG_FORMAT_YAML;
    if (ws == len) {
        snprintf(err, errlen, "empty config (expected a %s)",
                 cx.yaml ? "YAML mapping with version: 1" : "JSON object with \"version\": 1");
        cx.rc = ZT_ERR_INPUT;
        goto done;
    }
    if (cx.yaml)
        cx.rc = config_yaml_to_cjson(text, len, &root, err, errlen);
    else
        config_json_tree(&cx, text, len, &root);
    if (cx.rc != 0)
        goto done;
    if (!(cfg = calloc(1, sizeof(*cfg)))) {
        config_json_oom(&cx);
        goto done;
    }
    cfg->timeout_ms = 3000;
    cfg->attempts = 1;
    cfg->concurrency = 64;
    cfg->deny_outcomes = OUTCOME_DEFAULT_DENY;
    cfg->dns_search = true;
    if (config_json_check_duplicates(&cx, root, "") != 0 || config_parse_root(&cx, root, cfg) != 0)
        goto done;
    if (!cfg->ca_file && !(cfg->ca_file = strdup(CONFIG_DEFAULT_CA))) {
        config_json_oom(&cx);
        goto done;
    }
    *out = cfg;
    cfg = NULL;
done:
    config_free(cfg);
    cJSON_Delete(root);
    return cx.rc;
}

zt_status_t config_parse(const char *text, size_t len, config_t **out, char *err, size_t errlen)
{
    return config_parse_text(text, len, CONFIG_FORMAT_JSON, out, err, errlen);
}

/* The syntax a file name promises: ConfigMap keys keep their extension when mounted. */
static config_format_t config_format_of(const char *path)
{
    const char *base = strrchr(path, '/');
    const char *dot = strrchr(base ? base + 1 : path, '.');
    if (dot && (strcasecmp(dot, ".yaml") == 0 || strcasecmp(dot, ".yml") == 0))
        return CONFIG_FORMAT_YAML;
    if (dot && strcasecmp(dot, ".json") == 0)
        return CONFIG_FORMAT_JSON;
    return CONFIG_FORMAT_AUTO;
}

zt_status_t config_load_file(const char *path, config_t **out, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t have = 0;
    char perr[512];

    *out = NULL;
    int rc = fileio_read_stream_capped(path, CONFIG_MAX_BYTES, &buf, &have, err, errlen);
    if (rc != ZT_OK)
        return rc;
    rc = config_parse_text(buf, have, config_format_of(path), out, perr, sizeof(perr));
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, perr);
    free(buf);
    return rc;
}

void config_free(config_t *cfg)
{
    if (!cfg)
        return;
    for (size_t r = 0; r < cfg->n_roles; r++) {
        config_role_t *role = &cfg->roles[r];
        for (size_t i = 0; i < role->n_probes; i++)
            config_probe_clear(&role->probes[i]);
        free(role->probes);
        free(role->name);
        labels_free(&role->selector);
        free(role->namespace);
    }
    free(cfg->roles);
    for (size_t i = 0; i < cfg->n_dns_servers; i++)
        free(cfg->dns_servers[i]);
    free(cfg->dns_servers);
    free(cfg->ca_file);
    free(cfg);
}

const config_role_t *config_find_role(const config_t *cfg, const char *name)
{
    for (size_t i = 0; cfg && name && i < cfg->n_roles; i++) {
        if (strcmp(cfg->roles[i].name, name) == 0)
            return &cfg->roles[i];
    }
    return NULL;
}
