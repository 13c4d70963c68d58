/* config_probe.c: one probe of the matrix: which keys each kind takes, their validation and
 * defaults, and the per-probe views the runner and the reports use (effective timeout,
 * target text). Split from config.c along the probe / top-level seam. */
#include "config.h"
#include "config_json.h"
#include "probe.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const common_keys[] = {"name",     "kind",          "expect",          "timeout_ms",
                                          "attempts", "deny_outcomes", "resolved_within", NULL};
static const char *const families[] = {
    [FAMILY_ANY] = "any", [FAMILY_IPV4] = "ipv4", [FAMILY_IPV6] = "ipv6", [FAMILY_ALL] = "all", NULL};

const char *config_kind_name(probe_kind_t k)
{
    const probe_ops_t *ops = probe_ops_for(k);
    return ops ? ops->name : "unknown";
}

const char *config_family_name(probe_family_t f)
{
    return (unsigned)f <= FAMILY_ALL ? families[f] : "any";
}

const char *config_expect_name(expect_t e)
{
    return e == EXPECT_DENY ? "deny" : "allow";
}

/* kind -1: is k a key of any kind? "family" belongs to every kind the runner resolves for. */
static bool key_for_kind(const char *k, int kind)
{
    if (config_json_in_list(k, common_keys))
        return true;
    for (int i = 0; i < KIND_COUNT; i++) {
        const probe_ops_t *ops = probe_kinds[i];
        if ((kind < 0 || kind == i) &&
            (config_json_in_list(k, ops->keys) ||
             (ops->resolves && (strcmp(k, "family") == 0 || strcmp(k, "via") == 0))))
            return true;
    }
    return false;
}

/* "via": a non-empty list of "service" and "pods", each at most once. */
static int config_probe_via(struct config_ctx *cx, const cJSON *v, const char *fp, config_probe_t *p)
{
    bool seen[2] = {false, false};
    const cJSON *x;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0)
        return config_json_fail(cx, fp, "must be a non-empty list of \"service\" and \"pods\"");
    cJSON_ArrayForEach(x, v)
    {
        int i = !cJSON_IsString(x)                   ? -1
            : strcmp(x->valuestring, "service") == 0 ? 0
            : strcmp(x->valuestring, "pods") == 0    ? 1
                                                     : -1;
        if (i < 0 || seen[i])
            return config_json_fail(cx, fp, "must list \"service\" and \"pods\", each at most once");
        seen[i] = true;
    }
    p->via_pods = seen[1];
    p->via_service_off = !seen[0];
    return 0;
}

/* tcp/postgres "host": a name or an IP literal; "[v6]" is stored without the brackets. */
int config_probe_host(struct config_ctx *cx, const cJSON *v, const char *fp, config_probe_t *p)
{
    int fam;
    if (config_json_str(cx, v, fp, CONFIG_HOST_MAX + 2, &p->host) != 0)
        return -1;
    size_t n = strlen(p->host);
    if (n > 2 && p->host[0] == '[' && p->host[n - 1] == ']') {
        memmove(p->host, p->host + 1, n - 2);
        p->host[n - 2] = '\0';
        if (!config_json_ip_literal(p->host, &fam) || fam != AF_INET6)
            return config_json_fail(cx, fp, "brackets are only for IPv6 addresses");
        return 0;
    }
    if (!config_json_ip_literal(p->host, &fam) && !config_json_dns_name_ok(p->host))
        return config_json_fail(cx, fp, "must be a host name or an IP address");
    return 0;
}

int config_probe_host_port(struct config_ctx *cx, const cJSON *o, const char *path, config_probe_t *p)
{
    char fp[CONFIG_PATH_LEN];
    const cJSON *v;
    if (!(v = config_json_field(o, path, "host", fp)))
        return config_json_fail(cx, fp, "required for kind %s", config_kind_name(p->kind));
    if (config_probe_host(cx, v, fp, p) != 0)
        return -1;
    if (!(v = config_json_field(o, path, "port", fp)))
        return config_json_fail(cx, fp, "required for kind %s", config_kind_name(p->kind));
    return config_json_int(cx, v, fp, 1, 65535, &p->port);
}

int config_probe_deny_at(struct config_ctx *cx, const cJSON *o, const char *path, config_probe_t *p)
{
    char fp[CONFIG_PATH_LEN];
    const cJSON *v = config_json_field(o, path, "deny_at", fp);
    if (!v)
        return 0;
    if (!cJSON_IsString(v) || (strcmp(v->valuestring, "l7") != 0 && strcmp(v->valuestring, "l3") != 0))
        return config_json_fail(cx, fp, "must be l3 (the default: a dropped or rejected connection) or l7");
    p->deny_at_l7 = strcmp(v->valuestring, "l7") == 0;
    if (p->deny_at_l7 && p->expect != EXPECT_DENY)
        return config_json_fail(cx, fp, "l7 needs expect: deny");
    return 0;
}

int config_probe_parse(struct config_ctx *cx, const cJSON *obj, const char *path, config_probe_t *p)
{
    char fp[CONFIG_PATH_LEN];
    const cJSON *v;
    int kind = -1;
    if (!cJSON_IsObject(obj))
        return config_json_fail(cx, path, "must be an object");
    /* Unknown keys first (a typo such as "kinds" is named as itself), and a literal
     * password before anything else: its value is never read, let alone echoed. */
    for (const cJSON *c = obj->child; c; c = c->next) {
        config_json_path(fp, sizeof(fp), path, c->string);
        if (strcmp(c->string, "password") == 0)
            return config_json_fail(cx, fp,
                                    "literal passwords are not allowed: use "
                                    "password_env (an environment variable) or password_file "
                                    "(a mounted Secret)");
        if (!key_for_kind(c->string, -1))
            return config_json_fail(cx, fp, "unknown key");
    }
    if (!(v = config_json_field(obj, path, "name", fp)))
        return config_json_fail(cx, fp, "required");
    if (config_json_str(cx, v, fp, 63, &p->name) != 0)
        return -1;
    if (!config_json_name_ok(p->name))
        return config_json_fail(cx, fp, "must be 1..63 letters, digits, '-', '_' or '.'");
    if (!(v = config_json_field(obj, path, "kind", fp)))
        return config_json_fail(cx, fp, "required");
    if (!cJSON_IsString(v) || probe_kind_parse(v->valuestring, &p->kind) != 0) {
        char kinds[256];
        probe_kind_list(kinds, sizeof(kinds));
        return config_json_fail(cx, fp, "must be one of %s", kinds);
    }
    kind = (int)p->kind;
    const probe_ops_t *ops = probe_kinds[kind];
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (!key_for_kind(c->string, kind)) {
            config_json_path(fp, sizeof(fp), path, c->string);
            return config_json_fail(cx, fp, "unknown key for kind %s", ops->name);
        }
    }
    if (!(v = config_json_field(obj, path, "expect", fp)))
        return config_json_fail(cx, fp, "required (allow or deny)");
    if (cJSON_IsString(v) && strcmp(v->valuestring, "allow") == 0)
        p->expect = EXPECT_ALLOW;
    else if (cJSON_IsString(v) && strcmp(v->valuestring, "deny") == 0)
        p->expect = EXPECT_DENY;
    else
        return config_json_fail(cx, fp, "must be allow or deny");
    if ((v = config_json_field(obj, path, "timeout_ms", fp)) &&
        config_json_int(cx, v, fp, CONFIG_TIMEOUT_MIN_MS, CONFIG_TIMEOUT_MAX_MS, &p->timeout_ms) != 0)
        return -1;
    if ((v = config_json_field(obj, path, "attempts", fp)) &&
        config_json_int(cx, v, fp, 1, CONFIG_ATTEMPTS_MAX, &p->attempts) != 0)
        return -1;
    if ((v = config_json_field(obj, path, "deny_outcomes", fp))) {
        if (config_json_outcomes(cx, v, fp, &p->deny_outcomes) != 0)
            return -1;
        p->has_deny_outcomes = true;
    }
    if ((v = config_json_field(obj, path, "resolved_within", fp)) &&
        config_json_cidrs(cx, v, fp, &p->resolved_within) != 0)
        return -1;

    if ((v = config_json_field(obj, path, "family", fp))) {
        int f = -1;
        for (int i = 0; families[i] && cJSON_IsString(v); i++)
            if (strcmp(v->valuestring, families[i]) == 0)
                f = i;
        if (f < 0)
            return config_json_fail(cx, fp, "must be one of any, ipv4, ipv6, all");
        p->family = (probe_family_t)f;
    }
    if ((v = config_json_field(obj, path, "via", fp)) && config_probe_via(cx, v, fp, p) != 0)
        return -1;
    return ops->parse(cx, obj, path, p);
}

void config_probe_clear(config_probe_t *p)
{
    if (!p)
        return;
    const probe_ops_t *ops = probe_ops_for(p->kind);
    if (ops && ops->clear)
        ops->clear(p);
    for (size_t i = 0; i < p->n_headers; i++) {
        free(p->headers[i].name);
        free(p->headers[i].value);
    }
    free(p->headers);
    char **strs[] = {&p->name,    &p->host,        &p->url,    &p->method,       &p->body_contains,
                     &p->ca_file, &p->user,        &p->dbname, &p->password_env, &p->password_file,
                     &p->sslmode, &p->sslrootcert, &p->query,  &p->server,       &p->channel_binding};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        free(*strs[i]);
    free(p->status);
    cidr_list_free(&p->resolved_within);
    cidr_list_free(&p->answers_within);
    memset(p, 0, sizeof(*p));
}

int config_probe_timeout_ms(const config_t *cfg, const config_probe_t *p)
{
    return p->timeout_ms > 0 ? p->timeout_ms : cfg->timeout_ms;
}

int config_probe_attempts(const config_t *cfg, const config_probe_t *p)
{
    return p->attempts > 0 ? p->attempts : cfg->attempts;
}

outcome_mask_t config_probe_deny_outcomes(const config_t *cfg, const config_probe_t *p)
{
    if (p->deny_at_l7) /* only the proxy's own refusal proves the L7 deny */
        return OUTCOME_BIT(OUTCOME_L7_DENIED);
    return p->has_deny_outcomes ? p->deny_outcomes : cfg->deny_outcomes;
}

const char *config_probe_ca_file(const config_t *cfg, const config_probe_t *p)
{
    return p->ca_file ? p->ca_file : cfg->ca_file;
}

void config_probe_target(const config_probe_t *p, char *buf, size_t len)
{
    const probe_ops_t *ops = probe_ops_for(p->kind);
    if (len == 0)
        return;
    if (ops)
        ops->target(p, buf, len);
    else
        snprintf(buf, len, "?");
}
