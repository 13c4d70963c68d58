/* config_json.h: the config module's private header, shared by config.c, config_probe.c,
 * config_json.c, config_yaml.c and the probe kinds' config parsers (probe_ops_t.parse): the
 * parse context and the typed value readers that turn one cJSON node into a config field,
 * each failing with one "json.path: reason" message. */
#ifndef ZT_CONFIG_JSON_H
#define ZT_CONFIG_JSON_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define CONFIG_PATH_LEN 256
#define CONFIG_KEY_SHOWN 64    /* longer keys are cut in error paths */
#define CONFIG_OBJECT_MAX 1000 /* members per object: bounds the duplicate-key scan */
#define CONFIG_HOST_MAX 253
#define CONFIG_TEXT_MAX 65536 /* url, body_contains, query, header values */

/* Parse state: the caller's error buffer and the first failure (ZT_ERR_INPUT, ZT_ERR_NOMEM). */
struct config_ctx {
    char *err;
    size_t errlen;
    zt_status_t rc;
    bool yaml; /* the text was YAML: only the top-level type message names the syntax */
};

/* The syntax of a config text. AUTO: JSON when the first non-blank byte is '{', else YAML
 * (ConfigMaps are written in YAML; a JSON object is YAML as well, but cJSON is the stricter
 * JSON parser and keeps the JSON messages). */
typedef enum { CONFIG_FORMAT_JSON, CONFIG_FORMAT_YAML, CONFIG_FORMAT_AUTO } config_format_t;

/* config_parse with an explicit syntax (defined in config.c; config_parse is
 * config_parse_text(..., CONFIG_FORMAT_JSON, ...) and config_load_file picks the format from
 * the file name: .yaml/.yml YAML, .json JSON, anything else AUTO). Same return values and
 * the same "json.path: reason" messages for both syntaxes. */
zt_status_t config_parse_text(const char *text, size_t len, config_format_t fmt, config_t **out, char *err,
                              size_t errlen);

/* Records the first error ("path: reason"; path "" reads "(top level)") and returns cx->rc. */
int config_json_fail(struct config_ctx *cx, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int config_json_oom(struct config_ctx *cx);

/* "parent.key" (key cut and de-controlled) and "parent[i]", both cut at n bytes. */
void config_json_path(char *dst, size_t n, const char *parent, const char *key);
void config_json_index(char *dst, size_t n, const char *parent, size_t i);

/* 1-based line and column of byte offset off in text (which must hold off bytes). */
void config_json_line_col(const char *text, size_t off, int *line, int *col);

/* Rejects duplicate keys (and objects of more than CONFIG_OBJECT_MAX members) anywhere
 * under item: cJSON keeps duplicates as siblings, and no setting may be silently shadowed. */
int config_json_check_duplicates(struct config_ctx *cx, const cJSON *item, const char *path);

/* Looks up key in obj and writes its path to fp (CONFIG_PATH_LEN bytes); NULL when absent. */
const cJSON *config_json_field(const cJSON *obj, const char *path, const char *key, char *fp);

bool config_json_in_list(const char *s, const char *const *list);
int config_json_keys(struct config_ctx *cx, const cJSON *obj, const char *path, const char *const *allowed);

/* Typed readers: 0, or the error recorded in cx. config_json_str replaces *out. */
int config_json_int(struct config_ctx *cx, const cJSON *item, const char *path, int min, int max, int *out);
int config_json_str(struct config_ctx *cx, const cJSON *item, const char *path, size_t maxlen, char **out);
int config_json_bool(struct config_ctx *cx, const cJSON *item, const char *path, bool *out);
int config_json_outcomes(struct config_ctx *cx, const cJSON *item, const char *path, outcome_mask_t *out);
int config_json_cidrs(struct config_ctx *cx, const cJSON *item, const char *path, cidr_list_t *out);
/* *dst = strdup(value) when *dst is still NULL (a default). */
int config_json_default_str(struct config_ctx *cx, char **dst, const char *value);

/* Value checks. */
bool config_json_name_ok(const char *s);   /* role / probe name: 1..63 [A-Za-z0-9._-] */
bool config_json_server_ok(const char *s); /* DNS server: IP literal, optional :port */
bool config_json_dns_name_ok(const char *s);
bool config_json_ip_literal(const char *s, int *family);
bool config_json_http_token_ok(const char *s, size_t maxlen); /* RFC 9110 token */
bool config_json_env_name_ok(const char *s);

/* Defined in config_probe.c: one probe object, and freeing what it holds. */
int config_probe_parse(struct config_ctx *cx, const cJSON *obj, const char *path, config_probe_t *p);
void config_probe_clear(config_probe_t *p);

/* Readers the kinds' parsers (probe_ops_t.parse) share, in config_probe.c: a "host" (name or
 * IP literal; "[v6]" stored bare), and "host" plus "port". */
int config_probe_host(struct config_ctx *cx, const cJSON *v, const char *fp, config_probe_t *p);
/* "host" and "port" (1..65535), both required: a whole parser for kinds that need no more. */
int config_probe_host_port(struct config_ctx *cx, const cJSON *o, const char *path, config_probe_t *p);
/* deny_at: "l3" (default) | "l7" (http, https, dns; needs expect: deny). */
int config_probe_deny_at(struct config_ctx *cx, const cJSON *o, const char *path, config_probe_t *p);

#endif
