/* http_config.c: the config keys of the http and https kinds and their parser
 * (probe_ops_t.keys/parse): the url read with libcurl's own parser (the one that fetches it),
 * headers, accepted statuses, body check, redirects. */
#include <cJSON.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_json.h"
#include "http_int.h"

const char *const http_config_keys[] = {"url",           "method",           "headers", "status",
                                        "body_contains", "follow_redirects", "deny_at", NULL};
const char *const https_config_keys[] = {
    "url", "method", "headers", "status", "body_contains", "follow_redirects", "ca_file", "deny_at", NULL};

/* Parses the url with libcurl's own parser (the one that will fetch it), checks the scheme
 * against the kind and derives host and port. The url is never echoed: it may hold a token. */
static int probe_url(struct config_ctx *cx, const char *fp, config_probe_t *p)
{
    const char *want = config_kind_name(p->kind); /* the kind is the scheme */
    char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *pass = NULL;
    int rc = -1;
    CURLU *u = curl_url();
    if (!u)
        return config_json_oom(cx);
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, p->url, 0);
    if (uc == CURLUE_OUT_OF_MEMORY) {
        config_json_oom(cx);
    } else if (uc == CURLUE_UNSUPPORTED_SCHEME || uc == CURLUE_BAD_SCHEME || uc == CURLUE_NO_SCHEME) {
        config_json_fail(cx, fp, "kind %s needs a %s:// URL", config_kind_name(p->kind), want);
    } else if (uc != CURLUE_OK) {
        config_json_fail(cx, fp, "not a valid URL (%s)", curl_url_strerror(uc));
    } else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK || strcasecmp(scheme, want) != 0) {
        config_json_fail(cx, fp, "kind %s needs a %s:// URL", config_kind_name(p->kind), want);
    } else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
               curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
        config_json_fail(cx, fp, "must not contain user:password@ (no secrets in the config)");
    } else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
        config_json_fail(cx, fp, "URL has no host");
    } else if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        config_json_fail(cx, fp, "URL has no port");
    } else {
        size_t n = strlen(host);
        /* libcurl keeps the brackets of an IPv6 literal; the resolver and CURLOPT_RESOLVE
         * want the bare address. */
        if (n > 2 && host[0] == '[' && host[n - 1] == ']')
            p->host = strndup(host + 1, n - 2);
        else
            p->host = strdup(host);
        p->port = atoi(port);
        if (!p->host)
            config_json_oom(cx);
        else
            rc = 0;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(user);
    curl_free(pass);
    curl_url_cleanup(u);
    return rc;
}

/* Header values are never echoed: an Authorization value is a secret. */
static int probe_headers(struct config_ctx *cx, const cJSON *v, const char *fp, config_probe_t *p)
{
    char hp[CONFIG_PATH_LEN];
    if (!cJSON_IsObject(v))
        return config_json_fail(cx, fp, "must be an object of name: value");
    int n = cJSON_GetArraySize(v);
    if (n > 0 && !(p->headers = calloc((size_t)n, sizeof(*p->headers))))
        return config_json_oom(cx);
    for (const cJSON *c = v->child; c; c = c->next) {
        config_json_path(hp, sizeof(hp), fp, c->string);
        if (!config_json_http_token_ok(c->string, 256))
            return config_json_fail(cx, hp, "invalid header name");
        for (size_t i = 0; i < p->n_headers; i++) {
            if (strcasecmp(p->headers[i].name, c->string) == 0)
                return config_json_fail(cx, hp, "duplicate header (names ignore case)");
        }
        if (!cJSON_IsString(c))
            return config_json_fail(cx, hp, "must be a string");
        if (strpbrk(c->valuestring, "\r\n"))
            return config_json_fail(cx, hp, "must not contain CR or LF");
        if (strlen(c->valuestring) > CONFIG_TEXT_MAX)
            return config_json_fail(cx, hp, "longer than %d bytes", CONFIG_TEXT_MAX);
        config_header_t *h = &p->headers[p->n_headers];
        h->name = strdup(c->string);
        h->value = strdup(c->valuestring);
        p->n_headers++;
        if (!h->name || !h->value)
            return config_json_oom(cx);
    }
    return 0;
}

static int probe_status(struct config_ctx *cx, const cJSON *v, const char *fp, config_probe_t *p)
{
    char sp[CONFIG_PATH_LEN];
    if (cJSON_IsString(v) && strcmp(v->valuestring, "any") == 0) {
        p->status_any = true;
        return 0;
    }
    if (!cJSON_IsArray(v))
        return config_json_fail(cx, fp, "must be a list of status codes or \"any\"");
    int n = cJSON_GetArraySize(v);
    if (n == 0)
        return config_json_fail(cx, fp, "must not be empty (omit it for any 2xx)");
    if (!(p->status = calloc((size_t)n, sizeof(int))))
        return config_json_oom(cx);
    for (const cJSON *c = v->child; c; c = c->next) {
        config_json_index(sp, sizeof(sp), fp, p->n_status);
        if (config_json_int(cx, c, sp, 100, 599, &p->status[p->n_status]) != 0)
            return -1;
        p->n_status++;
    }
    return 0;
}

int http_config_parse(struct config_ctx *cx, const cJSON *o, const char *path, config_probe_t *p)
{
    char fp[CONFIG_PATH_LEN];
    const cJSON *v;
    if (!(v = config_json_field(o, path, "url", fp)))
        return config_json_fail(cx, fp, "required for kind %s", config_kind_name(p->kind));
    if (config_json_str(cx, v, fp, CONFIG_TEXT_MAX, &p->url) != 0 || probe_url(cx, fp, p) != 0)
        return -1;
    if ((v = config_json_field(o, path, "method", fp))) {
        if (config_json_str(cx, v, fp, 32, &p->method) != 0)
            return -1;
        if (!config_json_http_token_ok(p->method, 32))
            return config_json_fail(cx, fp, "must be an HTTP method (GET, HEAD, POST, ...)");
    }
    if ((v = config_json_field(o, path, "headers", fp)) && probe_headers(cx, v, fp, p) != 0)
        return -1;
    if ((v = config_json_field(o, path, "status", fp)) && probe_status(cx, v, fp, p) != 0)
        return -1;
    if ((v = config_json_field(o, path, "body_contains", fp)) &&
        config_json_str(cx, v, fp, CONFIG_TEXT_MAX, &p->body_contains) != 0)
        return -1;
    if ((v = config_json_field(o, path, "ca_file", fp)) && config_json_str(cx, v, fp, 4096, &p->ca_file) != 0)
        return -1;
    if ((v = config_json_field(o, path, "follow_redirects", fp)) &&
        config_json_bool(cx, v, fp, &p->follow_redirects) != 0)
        return -1;
    if (config_probe_deny_at(cx, o, path, p) != 0)
        return -1;
    return config_json_default_str(cx, &p->method, "GET");
}
