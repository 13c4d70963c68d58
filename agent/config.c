/* config.c: the config file: reading, JSON syntax, the top level (version, defaults, dns,
 * roles) and the typed value readers shared with config_probe.c. Every error is one
 * "json.path: reason" line; the first one wins and nothing runs on a bad config. */
#include "config.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_PATH_LEN 256
#define CONFIG_KEY_SHOWN 64      /* longer keys are cut in error paths */
#define CONFIG_OBJECT_MAX 1000   /* members per object: bounds the duplicate-key scan */
#define CONFIG_DEFAULT_CA "/etc/ssl/certs/ca-certificates.crt"

/* Parse state: the caller's error buffer and the first failure (-1 config, -2 OOM). */
struct config_ctx {
    char *err;
    size_t errlen;
    int rc;
};

/* Shared with config_probe.c (no internal header is assigned; keep both copies in sync). */
int config_json_fail(struct config_ctx *cx, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int config_json_oom(struct config_ctx *cx);
void config_json_path(char *dst, size_t n, const char *parent, const char *key);
void config_json_index(char *dst, size_t n, const char *parent, size_t i);
int config_json_keys(struct config_ctx *cx, const cJSON *obj, const char *path,
                     const char *const *allowed);
int config_json_int(struct config_ctx *cx, const cJSON *item, const char *path, int min,
                    int max, int *out);
int config_json_str(struct config_ctx *cx, const cJSON *item, const char *path, size_t maxlen,
                    char **out);
int config_json_bool(struct config_ctx *cx, const cJSON *item, const char *path, bool *out);
int config_json_outcomes(struct config_ctx *cx, const cJSON *item, const char *path,
                         outcome_mask_t *out);
int config_json_cidrs(struct config_ctx *cx, const cJSON *item, const char *path,
                      cidr_list_t *out);
bool config_json_name_ok(const char *s);
bool config_json_server_ok(const char *s);
int config_probe_parse(struct config_ctx *cx, const cJSON *obj, const char *path,
                       config_probe_t *p);
void config_probe_clear(config_probe_t *p);

int config_json_fail(struct config_ctx *cx, const char *path, const char *fmt, ...)
{
    if (cx->rc != 0)
        return cx->rc; /* the first error wins */
    cx->rc = -1;
    if (cx->errlen == 0)
        return -1;
    int n = snprintf(cx->err, cx->errlen, "%s: ", path[0] ? path : "(top level)");
    if (n >= 0 && (size_t)n < cx->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cx->err + n, cx->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int config_json_oom(struct config_ctx *cx)
{
    if (cx->rc == 0) {
        cx->rc = -2;
        snprintf(cx->err, cx->errlen, "out of memory");
    }
    return cx->rc;
}

/* Keys come from the user: cut and de-control them so the message stays one short line. */
void config_json_path(char *dst, size_t n, const char *parent, const char *key)
{
    char k[CONFIG_KEY_SHOWN + 4];
    size_t i = 0;
    for (; key[i] && i < CONFIG_KEY_SHOWN; i++) {
        unsigned char c = (unsigned char)key[i];
        k[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (key[i])
        memcpy(k + i, "...", 4);
    else
        k[i] = '\0';
    snprintf(dst, n, "%s%s%s", parent, parent[0] ? "." : "", k);
}

void config_json_index(char *dst, size_t n, const char *parent, size_t i)
{
    /* Two steps: the path is cut at n bytes either way, and gcc cannot prove it fits. */
    int w = snprintf(dst, n, "%s", parent);
    if (w >= 0 && (size_t)w < n)
        snprintf(dst + w, n - (size_t)w, "[%zu]", i);
}

static bool config_in_list(const char *s, const char *const *list)
{
    for (; *list; list++) {
        if (strcmp(s, *list) == 0)
            return true;
    }
    return false;
}

int config_json_keys(struct config_ctx *cx, const cJSON *obj, const char *path,
                     const char *const *allowed)
{
    char p[CONFIG_PATH_LEN];
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (!config_in_list(c->string, allowed)) {
            config_json_path(p, sizeof(p), path, c->string);
            return config_json_fail(cx, p, "unknown key");
        }
    }
    return 0;
}

int config_json_int(struct config_ctx *cx, const cJSON *item, const char *path, int min,
                    int max, int *out)
{
    /* No floor(): the Makefile links no libm. The cast is safe once the range holds. */
    double v = item ? item->valuedouble : 0;
    if (!cJSON_IsNumber(item) || !isfinite(v))
        return config_json_fail(cx, path, "must be an integer %d..%d", min, max);
    if (v < min || v > max)
        return config_json_fail(cx, path, "must be %d..%d", min, max);
    if ((double)(int)v != v)
        return config_json_fail(cx, path, "must be an integer %d..%d", min, max);
    *out = (int)v;
    return 0;
}

int config_json_str(struct config_ctx *cx, const cJSON *item, const char *path, size_t maxlen,
                    char **out)
{
    if (!cJSON_IsString(item) || !item->valuestring)
        return config_json_fail(cx, path, "must be a string");
    size_t n = strlen(item->valuestring);
    if (n == 0)
        return config_json_fail(cx, path, "must not be empty");
    if (n > maxlen)
        return config_json_fail(cx, path, "longer than %zu bytes", maxlen);
    free(*out);
    *out = strdup(item->valuestring);
    return *out ? 0 : config_json_oom(cx);
}

int config_json_bool(struct config_ctx *cx, const cJSON *item, const char *path, bool *out)
{
    if (!cJSON_IsBool(item))
        return config_json_fail(cx, path, "must be true or false");
    *out = cJSON_IsTrue(item);
    return 0;
}

int config_json_outcomes(struct config_ctx *cx, const cJSON *item, const char *path,
                         outcome_mask_t *out)
{
    char p[CONFIG_PATH_LEN];
    outcome_mask_t m = 0;
    size_t i = 0;
    if (!cJSON_IsArray(item))
        return config_json_fail(cx, path, "must be a list of outcome names");
    if (!item->child)
        return config_json_fail(cx, path, "must not be empty");
    for (const cJSON *c = item->child; c; c = c->next, i++) {
        outcome_t o;
        config_json_index(p, sizeof(p), path, i);
        if (!cJSON_IsString(c))
            return config_json_fail(cx, p, "must be a string");
        if (outcome_parse(c->valuestring, &o) != 0)
            return config_json_fail(cx, p, "unknown outcome (see SPEC.md \"Outcomes\")");
        /* A connected outcome proves the path open: as a deny outcome it would hide that. */
        if (outcome_connected(o))
            return config_json_fail(cx, p, "%s means the connection was established; it "
                                    "cannot be a deny outcome", outcome_name(o));
        m |= OUTCOME_BIT(o);
    }
    *out = m;
    return 0;
}

int config_json_cidrs(struct config_ctx *cx, const cJSON *item, const char *path,
                      cidr_list_t *out)
{
    char p[CONFIG_PATH_LEN], why[128];
    size_t i = 0;
    if (!cJSON_IsArray(item))
        return config_json_fail(cx, path, "must be a list of CIDR blocks");
    int n = cJSON_GetArraySize(item);
    if (n > 0 && !(out->items = calloc((size_t)n, sizeof(*out->items))))
        return config_json_oom(cx);
    for (const cJSON *c = item->child; c; c = c->next, i++) {
        config_json_index(p, sizeof(p), path, i);
        if (!cJSON_IsString(c))
            return config_json_fail(cx, p, "must be a string");
        if (cidr_parse(c->valuestring, &out->items[i], why, sizeof(why)) != 0)
            return config_json_fail(cx, p, "%s", why);
        out->n = i + 1;
    }
    return 0;
}

bool config_json_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* "10.96.0.10", "10.96.0.10:53", "fd00::10", "[fd00::10]:53": literals only, since the
 * server is where names get resolved. */
bool config_json_server_ok(const char *s)
{
    char host[INET6_ADDRSTRLEN + 2];
    unsigned char a[16];
    const char *port = NULL;
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof(host) + 6)
        return false;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || (size_t)(rb - s - 1) >= sizeof(host))
            return false;
        memcpy(host, s + 1, (size_t)(rb - s - 1));
        host[rb - s - 1] = '\0';
        if (inet_pton(AF_INET6, host, a) != 1)
            return false;
        if (rb[1] == '\0')
            return true;
        if (rb[1] != ':')
            return false;
        port = rb + 2;
    } else if (inet_pton(AF_INET6, s, a) == 1) {
        return n < sizeof(host);
    } else {
        const char *colon = strchr(s, ':');
        size_t hl = colon ? (size_t)(colon - s) : n;
        if (hl >= sizeof(host))
            return false;
        memcpy(host, s, hl);
        host[hl] = '\0';
        if (inet_pton(AF_INET, host, a) != 1)
            return false;
        if (!colon)
            return true;
        port = colon + 1;
    }
    size_t pl = strlen(port);
    unsigned v = 0;
    if (pl < 1 || pl > 5)
        return false;
    for (size_t i = 0; i < pl; i++) {
        if (port[i] < '0' || port[i] > '9')
            return false;
        v = v * 10u + (unsigned)(port[i] - '0');
    }
    return v >= 1 && v <= 65535;
}

/* cJSON keeps duplicate keys as siblings and GetObjectItem returns the first: reject them
 * everywhere, before anything reads a value, so no setting is silently shadowed. */
static int config_check_duplicates(struct config_ctx *cx, const cJSON *item, const char *path)
{
    char p[CONFIG_PATH_LEN];
    size_t i = 0;
    for (const cJSON *c = item->child; c; c = c->next, i++) {
        if (cJSON_IsObject(item)) {
            config_json_path(p, sizeof(p), path, c->string);
            if (i >= CONFIG_OBJECT_MAX)
                return config_json_fail(cx, path, "more than %d keys", CONFIG_OBJECT_MAX);
            for (const cJSON *d = item->child; d != c; d = d->next) {
                if (strcmp(c->string, d->string) == 0)
                    return config_json_fail(cx, p, "duplicate key");
            }
        } else {
            config_json_index(p, sizeof(p), path, i);
        }
        if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && config_check_duplicates(cx, c, p) != 0)
            return cx->rc;
    }
    return 0;
}

static int config_parse_defaults(struct config_ctx *cx, const cJSON *d, config_t *cfg)
{
    static const char *const keys[] = {"timeout_ms", "attempts", "concurrency",
                                       "deny_outcomes", "ca_file", NULL};
    const cJSON *v;
    if (!cJSON_IsObject(d))
        return config_json_fail(cx, "defaults", "must be an object");
    if (config_json_keys(cx, d, "defaults", keys) != 0)
        return cx->rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "timeout_ms")) &&
        config_json_int(cx, v, "defaults.timeout_ms", CONFIG_TIMEOUT_MIN_MS,
                        CONFIG_TIMEOUT_MAX_MS, &cfg->timeout_ms) != 0)
        return cx->rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "attempts")) &&
        config_json_int(cx, v, "defaults.attempts", 1, CONFIG_ATTEMPTS_MAX, &cfg->attempts) != 0)
        return cx->rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(d, "concurrency")) &&
        config_json_int(cx, v, "defaults.concurrency", 1, CONFIG_CONCURRENCY_MAX,
                        &cfg->concurrency) != 0)
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
                return config_json_fail(cx, p, "must be an IP address with an optional port "
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
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || (is_key && c == '/')))
            return false;
    }
    return true;
}

static int config_parse_role(struct config_ctx *cx, const cJSON *r, config_role_t *role)
{
    static const char *const keys[] = {"selector", "probes", NULL};
    char path[CONFIG_PATH_LEN], p[CONFIG_PATH_LEN], q[CONFIG_PATH_LEN];
    const cJSON *v;
    size_t i = 0;
    config_json_path(path, sizeof(path), "roles", r->string);
    if (!config_json_name_ok(r->string))
        return config_json_fail(cx, path, "invalid role name (1..63 letters, digits, '-', '_' "
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
                return config_json_fail(cx, q, "invalid label value (up to 63 letters, "
                                        "digits, '-', '_' or '.')");
            if (labels_add(&role->selector, c->string, c->valuestring) != 0)
                return config_json_oom(cx);
        }
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
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        config_json_index(q, sizeof(q), p, i);
        role->n_probes = i + 1; /* so config_free clears what this probe got so far */
        if (config_probe_parse(cx, c, q, &role->probes[i]) != 0)
            return cx->rc;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(role->probes[j].name, role->probes[i].name) == 0) {
                char np[CONFIG_PATH_LEN];
                config_json_path(np, sizeof(np), q, "name");
                return config_json_fail(cx, np, "duplicate probe name (also %s[%zu])", p, j);
            }
        }
    }
    return 0;
}

static int config_parse_root(struct config_ctx *cx, const cJSON *root, config_t *cfg)
{
    static const char *const keys[] = {"version", "defaults", "dns", "roles", NULL};
    const cJSON *v;
    size_t i = 0;
    if (!cJSON_IsObject(root))
        return config_json_fail(cx, "(top level)", "must be a JSON object");
    if (config_json_keys(cx, root, "", keys) != 0)
        return cx->rc;
    v = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (!v)
        return config_json_fail(cx, "version", "required (must be 1)");
    if (!cJSON_IsNumber(v) || v->valuedouble != 1.0)
        return config_json_fail(cx, "version", "must be 1");
    cfg->version = 1;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "defaults")) &&
        config_parse_defaults(cx, v, cfg) != 0)
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

/* 1-based line and column of byte offset off, for JSON syntax errors. */
static void config_line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

int config_parse(const char *text, size_t len, config_t **out, char *err, size_t errlen)
{
    struct config_ctx cx = {err, errlen, 0};
    char *copy = NULL;
    cJSON *root = NULL;
    config_t *cfg = NULL;
    int line, col;

    *out = NULL;
    if (errlen)
        err[0] = '\0';
    if (len > CONFIG_MAX_BYTES) {
        snprintf(err, errlen, "config larger than %u bytes", CONFIG_MAX_BYTES);
        cx.rc = -1;
        goto done;
    }
    if (!text) {
        text = "";
        len = 0;
    }
    const char *nul = len ? memchr(text, '\0', len) : NULL;
    if (nul) {
        config_line_col(text, (size_t)(nul - text), &line, &col);
        snprintf(err, errlen, "line %d, column %d: NUL byte in the config", line, col);
        cx.rc = -1;
        goto done;
    }
    size_t ws = 0; /* text need not be terminated: count within len */
    while (ws < len && (text[ws] == ' ' || text[ws] == '\t' || text[ws] == '\r' ||
                        text[ws] == '\n'))
        ws++;
    if (ws == len) {
        snprintf(err, errlen, "empty config (expected a JSON object with \"version\": 1)");
        cx.rc = -1;
        goto done;
    }
    /* cJSON wants a terminated string, and a terminator check rejects trailing garbage. */
    if (!(copy = malloc(len + 1))) {
        config_json_oom(&cx);
        goto done;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    const char *end = NULL;
    root = cJSON_ParseWithOpts(copy, &end, 1);
    if (!root) {
        size_t off = (end && end >= copy && end <= copy + len) ? (size_t)(end - copy) : len;
        config_line_col(copy, off, &line, &col);
        snprintf(err, errlen, "line %d, column %d: invalid JSON", line, col);
        cx.rc = -1;
        goto done;
    }
    if (!(cfg = calloc(1, sizeof(*cfg)))) {
        config_json_oom(&cx);
        goto done;
    }
    cfg->timeout_ms = 3000;
    cfg->attempts = 1;
    cfg->concurrency = 64;
    cfg->deny_outcomes = OUTCOME_DEFAULT_DENY;
    cfg->dns_search = true;
    if (config_check_duplicates(&cx, root, "") != 0 || config_parse_root(&cx, root, cfg) != 0)
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
    free(copy);
    return cx.rc;
}

int config_load_file(const char *path, config_t **out, char *err, size_t errlen)
{
    int rc = -1, fd = -1;
    char *buf = NULL;
    size_t have = 0;
    struct stat st;
    char perr[512];

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: cannot read: is a directory", path);
        goto done;
    }
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > CONFIG_MAX_BYTES) {
        snprintf(err, errlen, "%s: %jd bytes, larger than the %u-byte limit for a config",
                 path, (intmax_t)st.st_size, CONFIG_MAX_BYTES);
        goto done;
    }
    if (!(buf = malloc(CONFIG_MAX_BYTES + 1))) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = -2;
        goto done;
    }
    /* Read one byte past the cap: a pipe or /proc file has no trustworthy st_size. */
    for (;;) {
        ssize_t r = read(fd, buf + have, CONFIG_MAX_BYTES + 1 - have);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
            goto done;
        }
        if (r == 0)
            break;
        have += (size_t)r;
        if (have > CONFIG_MAX_BYTES) {
            snprintf(err, errlen, "%s: larger than the %u-byte limit for a config", path,
                     CONFIG_MAX_BYTES);
            goto done;
        }
    }
    rc = config_parse(buf, have, out, perr, sizeof(perr));
    if (rc != 0)
        snprintf(err, errlen, "%s: %s", path, perr);
done:
    if (fd >= 0)
        close(fd);
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
