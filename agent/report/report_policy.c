/* report_policy.c: the "policy" object of a result, read back. Exactly what report.c writes
 * is accepted; the reason (free text, like a hint) is cut to its field, names are refused
 * when too long, so a report that parses renders back as it was. */
#include "report_policy.h"

#include <stdio.h>
#include <string.h>

static bool rp_fits(const char *s, size_t cap)
{
    return strlen(s) < cap;
}

int report_policy_parse(const cJSON *obj, result_policy_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(obj)) {
        snprintf(err, errlen, "must be an object");
        return -1;
    }
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(obj, "intended");
    if (!cJSON_IsString(in) ||
        (strcmp(in->valuestring, "allow") != 0 && strcmp(in->valuestring, "deny") != 0 &&
         strcmp(in->valuestring, "unknown") != 0)) {
        snprintf(err, errlen, "intended: must be allow, deny or unknown");
        return -1;
    }
    snprintf(out->intended, sizeof(out->intended), "%s", in->valuestring);
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(obj, "by"), *b;
    if (!cJSON_IsArray(by)) {
        snprintf(err, errlen, "by: must be an array");
        return -1;
    }
    cJSON_ArrayForEach(b, by)
    {
        size_t i = out->n_by;
        if (i >= RESULT_POLICY_BY_MAX) {
            snprintf(err, errlen, "by: more than %d entries", RESULT_POLICY_BY_MAX);
            return -1;
        }
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(b, "policy");
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(b, "direction");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(b, "rule");
        if (!cJSON_IsString(p) || !rp_fits(p->valuestring, RESULT_POLICY_NAME_LEN)) {
            snprintf(err, errlen, "by[%zu].policy: must be a string of at most %d bytes", i,
                     RESULT_POLICY_NAME_LEN - 1);
            return -1;
        }
        if (!cJSON_IsString(d) ||
            (strcmp(d->valuestring, "egress") != 0 && strcmp(d->valuestring, "ingress") != 0)) {
            snprintf(err, errlen, "by[%zu].direction: must be ingress or egress", i);
            return -1;
        }
        if (!cJSON_IsNumber(r) || r->valuedouble < 0 || r->valuedouble > 1e6 ||
            r->valuedouble != (double)(int)r->valuedouble) {
            snprintf(err, errlen, "by[%zu].rule: must be an integer 0..1000000", i);
            return -1;
        }
        if (result_policy_add_by(out, p->valuestring, strcmp(d->valuestring, "egress") == 0,
                                 (int)r->valuedouble) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(obj, "reason");
    if (cJSON_IsString(why)) {
        /* Cut on a character boundary: a UTF-8 sequence is never split. */
        if (result_policy_set_reason(out, why->valuestring) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    } else if (!cJSON_IsNull(why)) {
        snprintf(err, errlen, "reason: must be a string or null");
        return -1;
    }
    return 0;
}
