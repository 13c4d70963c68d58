/* config_json.c: the config module's shared value readers: error and path formatting, the
 * duplicate-key check, and the typed readers and value checks that config.c (top level) and
 * config_probe.c (one probe) apply to the cJSON tree, whether it came from JSON or YAML. */
#include "config_json.h"
#include "ipaddr.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int config_json_fail(struct config_ctx *cx, const char *path, const char *fmt, ...)
{
    if (cx->rc != 0)
        return cx->rc; /* the first error wins */
    cx->rc = ZT_ERR_INPUT;
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
        cx->rc = ZT_ERR_NOMEM;
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

bool config_json_in_list(const char *s, const char *const *list)
{
    for (; *list; list++) {
        if (strcmp(s, *list) == 0)
            return true;
    }
    return false;
}

int config_json_keys(struct config_ctx *cx, const cJSON *obj, const char *path, const char *const *allowed)
{
    char p[CONFIG_PATH_LEN];
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (!config_json_in_list(c->string, allowed)) {
            config_json_path(p, sizeof(p), path, c->string);
            return config_json_fail(cx, p, "unknown key");
        }
    }
    return 0;
}

int config_json_int(struct config_ctx *cx, const cJSON *item, const char *path, int min, int max, int *out)
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

int config_json_str(struct config_ctx *cx, const cJSON *item, const char *path, size_t maxlen, char **out)
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

int config_json_outcomes(struct config_ctx *cx, const cJSON *item, const char *path, outcome_mask_t *out)
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
            return config_json_fail(cx, p, "unknown outcome (see \"Outcomes\" in docs/reference.md)");
        /* A connected outcome proves the path open: as a deny outcome it would hide that. */
        if (outcome_connected(o))
            return config_json_fail(cx, p,
                                    "%s means the connection was established; it "
                                    "cannot be a deny outcome",
                                    outcome_name(o));
        m |= OUTCOME_BIT(o);
    }
    *out = m;
    return 0;
}

int config_json_cidrs(struct config_ctx *cx, const cJSON *item, const char *path, cidr_list_t *out)
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
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* "10.96.0.10", "10.96.0.10:53", "fd00::10", "[fd00::10]:53": literals only, since the
 * server is where names get resolved. */
bool config_json_server_ok(const char *s)
{
    char host[IP_ADDR_TEXT_LEN + 2];
    ip_addr_t a;
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
        if (!ip_addr_parse(host, &a) || a.family != AF_INET6)
            return false;
        if (rb[1] == '\0')
            return true;
        if (rb[1] != ':')
            return false;
        port = rb + 2;
    } else if (ip_addr_parse(s, &a) && a.family == AF_INET6) {
        return n < sizeof(host);
    } else {
        const char *colon = strchr(s, ':');
        size_t hl = colon ? (size_t)(colon - s) : n;
        if (hl >= sizeof(host))
            return false;
        memcpy(host, s, hl);
        host[hl] = '\0';
        if (!ip_addr_parse(host, &a) || a.family != AF_INET)
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
int config_json_check_duplicates(struct config_ctx *cx, const cJSON *item, const char *path)
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
        if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && config_json_check_duplicates(cx, c, p) != 0)
            return cx->rc;
    }
    return 0;
}

/* Counted by hand: the JSON syntax errors, the NUL check and libyaml's reader errors only
 * have a byte offset. */
void config_json_line_col(const char *text, size_t off, int *line, int *col)
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

const cJSON *config_json_field(const cJSON *obj, const char *path, const char *key, char *fp)
{
    config_json_path(fp, CONFIG_PATH_LEN, path, key);
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

int config_json_default_str(struct config_ctx *cx, char **dst, const char *value)
{
    if (!*dst && !(*dst = strdup(value)))
        return config_json_oom(cx);
    return 0;
}

/* A DNS name (labels of letters, digits, '-', '_'; optional trailing dot). */
bool config_json_dns_name_ok(const char *s)
{
    size_t n = strlen(s), label = 0;
    if (n > 0 && s[n - 1] == '.')
        n--;
    if (n == 0 || n > CONFIG_HOST_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                   c == '_') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0;
}

bool config_json_ip_literal(const char *s, int *family)
{
    ip_addr_t a;
    if (!ip_addr_parse(s, &a))
        return false;
    *family = a.family;
    return true;
}

/* RFC 9110 token characters (method and header names). */
bool config_json_http_token_ok(const char *s, size_t maxlen)
{
    size_t n = strlen(s);
    if (n == 0 || n > maxlen)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("!#$%&'*+-.^_`|~", c)))
            return false;
    }
    return true;
}

bool config_json_env_name_ok(const char *s)
{
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    for (const char *c = s + 1; *c; c++) {
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    }
    return true;
}
