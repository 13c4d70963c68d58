/* json_print.h: a cJSON tree written as JSON text with every string and key through
 * strbuf_json_str, the escaper the hand-made renderers use: C0, DEL, C1 controls and the
 * line separators escaped, bytes that are not UTF-8 as \ufffd. cJSON's own printer passes
 * C1 controls and stray bytes through, so no output of ours is printed by it. */
#ifndef ZT_JSON_PRINT_H
#define ZT_JSON_PRINT_H

#include <cJSON.h>
#include <stdbool.h>

#include "strbuf.h"

/* Appends v: on one line when indent < 0, else pretty-printed with nested lines indented two
 * spaces more than indent. A number that is not finite is written as null. */
void json_print(strbuf_t *b, const cJSON *v, int indent);

/* v as a malloc'd string (pretty-printed, ending in a newline, when pretty), or NULL when out
 * of memory. */
char *json_print_take(const cJSON *v, bool pretty);

#endif
