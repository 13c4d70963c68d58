/* cni_text.c: the "cni" member of a policy check report as text, after the check's table:
 * per deviation its versions, source and title, the rules, the probes whose answers change
 * and what catches it in a real run. */
#include <stdlib.h>
#include <string.h>

#include "cni_check.h"
#include "json_print.h"
#include "strbuf.h"

static const char *ct_str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

char *cni_check_text(const cJSON *rep)
{
    strbuf_t b = {0};
    const cJSON *cni = cJSON_GetObjectItemCaseSensitive(rep, "cni");
    strbuf_puts(&b, "");
    if (!cni)
        return strbuf_take(&b);
    const cJSON *devs = cJSON_GetObjectItemCaseSensitive(cni, "deviations"), *d, *x;
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(cni, "version");
    strbuf_printf(&b, "\ncni %s%s%s (table as of %s): %d known deviation%s to these objects\n",
                  ct_str(cni, "profile"), cJSON_IsString(ver) ? "@" : "",
                  cJSON_IsString(ver) ? ver->valuestring : "", ct_str(cni, "table_date"),
                  cJSON_GetArraySize(devs), cJSON_GetArraySize(devs) == 1 ? " applies" : "s apply");
    cJSON_ArrayForEach(d, devs)
    {
        strbuf_printf(&b, "  %s (%s; versions %s; ", ct_str(d, "id"), ct_str(d, "effect"),
                      ct_str(d, "versions"));
        strbuf_puts(&b, ct_str(d, "source")); /* long texts: strbuf_printf formats a bounded line */
        strbuf_puts(&b, ")\n    ");
        strbuf_puts(&b, ct_str(d, "title"));
        strbuf_puts(&b, "\n");
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(d, "rules"))
        {
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(x, "rule");
            strbuf_printf(&b, "    rule:  %s %s", ct_str(x, "policy"), ct_str(x, "direction"));
            if (cJSON_IsNumber(r))
                strbuf_printf(&b, " rule %d", r->valueint);
            strbuf_puts(&b, "\n");
        }
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(d, "probes"))
        {
            strbuf_printf(&b, "    probe: %s/%s: %s -> %s\n", ct_str(x, "role"), ct_str(x, "name"),
                          ct_str(x, "intended"), ct_str(x, "on_cni"));
        }
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(d, "catch"))
        {
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(x, "probe");
            if (p) {
                strbuf_printf(&b, "    catch: %s: add ", ct_str(x, "role"));
                json_print(&b, p, -1); /* escaped: the probe's host comes from the objects */
                strbuf_puts(&b, " (policy plan --cni adds it)\n");
            } else if (cJSON_GetObjectItemCaseSensitive(x, "existing")) {
                strbuf_printf(&b, "    catch: %s/%s (in the matrix)\n", ct_str(x, "role"),
                              ct_str(x, "existing"));
            } else {
                strbuf_printf(&b, "    catch: %s: %s\n", ct_str(x, "role"), ct_str(x, "measure"));
            }
        }
    }
    return strbuf_take(&b);
}
