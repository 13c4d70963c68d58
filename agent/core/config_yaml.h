/* config_yaml.h: YAML configs (ConfigMaps are written in YAML), read with libyaml into the same
 * cJSON tree a JSON config gives, so that config.c validates both alike, with the same paths. */
#ifndef ZT_CONFIG_YAML_H
#define ZT_CONFIG_YAML_H

#include <cJSON.h>
#include <stddef.h>

#include "status.h"

#define CONFIG_YAML_DEPTH_MAX 64 /* nested mappings/sequences; a valid config uses 6 */

/* Parses the one YAML document in text (len bytes; no terminator needed) into a new tree in
 * *out. Mapping -> object (keys in order; duplicate keys are kept as siblings, so that
 * config_json_check_duplicates reports them with the JSON message "path: duplicate key"),
 * sequence -> array. Untagged plain scalars follow the YAML 1.2 core schema: null (~, null,
 * empty), bool (true/false, also True/TRUE/False/FALSE; yes/no/on/off stay strings), int
 * (decimal, 0o octal, 0x hex) and float (including .inf, .nan) become null, booleans and
 * numbers; quoted and block scalars are strings, so "3000" is a string as in JSON.
 * Rejected, with "line L, column C: reason": YAML syntax errors (libyaml's message), anchors
 * and aliases (no expansion, so no billion laughs), tags other than the standard !!str,
 * !!int, !!float, !!bool, !!null, !!seq, !!map (and the non-specific "!"), more than one
 * document, mapping keys that are not strings (collections, or plain 1/true/null: quote
 * them), NUL characters in strings, nesting deeper than CONFIG_YAML_DEPTH_MAX.
 * Returns ZT_OK; ZT_ERR_INPUT with the reason in err; ZT_ERR_NOMEM when out of memory. A stream with no document
 * (only comments) is ZT_ERR_INPUT "empty config ...". The caller frees *out with cJSON_Delete. */
zt_status_t config_yaml_to_cjson(const char *text, size_t len, cJSON **out, char *err, size_t errlen);

/* The same for a stream of documents (`---` separated, as kubectl and kustomize write
 * objects): *out is an array with one node per document, in order (an empty document is a
 * null). An empty stream is an empty array. Same errors and return values otherwise. */
zt_status_t config_yaml_stream_to_cjson(const char *text, size_t len, cJSON **out, char *err, size_t errlen);

/* A complete node of config_yaml_stream_each: item -1 is a document (node NULL when empty),
 * item >= 0 an element of that document's top-level "items" sequence (a List), handed over as
 * soon as it is complete and removed from the document. The node is freed after the call.
 * Returns ZT_OK to go on, or the status to stop with (the callback wrote its own message). */
typedef zt_status_t (*config_yaml_doc_fn)(void *ud, cJSON *node, int doc, long item);

/* The stream of documents as config_yaml_stream_to_cjson reads it, one document (or List item)
 * at a time: only one tree is alive. budget (0: none) caps the estimated memory of that tree:
 * past it, ZT_ERR_INPUT "line L, column C: this document takes more than N MB ...". Same errors
 * and return values otherwise, or the status fn stopped with (fn wrote its own message). */
zt_status_t config_yaml_stream_each(const char *text, size_t len, size_t budget, config_yaml_doc_fn fn,
                                    void *ud, char *err, size_t errlen);

#endif
