/* json_print.c: cJSON trees (the policy check report, the plan) printed through the one JSON
 * string escaper, so what came from an object reaches a terminal or a YAML reader only as
 * escapes. */
#include "json_print.h"

#include <math.h>
#include <stdlib.h>

static void json_print_number(strbuf_t *b, double d)
{
    if (!isfinite(d))
        strbuf_puts(b, "null");
    else if (d > -1e15 && d < 1e15 && d == (double)(long long)d) /* counts, ports: integers */
        strbuf_printf(b, "%lld", (long long)d);
    else
        strbuf_printf(b, "%.17g", d);
}

static void json_print_newline(strbuf_t *b, int indent)
{
    if (indent < 0)
        return;
    strbuf_puts(b, "\n");
    strbuf_pad(b, 0, (size_t)indent);
}

void json_print(strbuf_t *b, const cJSON *v, int indent)
{
    if (cJSON_IsString(v)) {
        strbuf_json_str(b, v->valuestring ? v->valuestring : "", SIZE_MAX);
    } else if (cJSON_IsNumber(v)) {
        json_print_number(b, v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        strbuf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        bool obj = cJSON_IsObject(v);
        int inner = indent < 0 ? -1 : indent + 2;
        strbuf_puts(b, obj ? "{" : "[");
        const cJSON *c;
        bool first = true;
        cJSON_ArrayForEach(c, v)
        {
            strbuf_puts(b, first ? "" : ",");
            first = false;
            json_print_newline(b, inner);
            if (obj) {
                strbuf_json_str(b, c->string ? c->string : "", SIZE_MAX);
                strbuf_puts(b, indent < 0 ? ":" : ": ");
            }
            json_print(b, c, inner);
        }
        if (!first)
            json_print_newline(b, indent);
        strbuf_puts(b, obj ? "}" : "]");
    } else {
        strbuf_puts(b, "null"); /* null, raw and invalid items */
    }
}

char *json_print_take(const cJSON *v, bool pretty)
{
    strbuf_t b = {0};
    json_print(&b, v, pretty ? 0 : -1);
    if (pretty)
        strbuf_puts(&b, "\n");
    return strbuf_take(&b);
}
