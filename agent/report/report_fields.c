/* report_fields.c: the field readers of a report read back (report_fields.h). The input is
 * hostile: every type is checked, every copy bounded. */
#include "report_fields.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "outcome.h"
#include "strbuf.h"
#include "verdict.h"

int rf_err(rf_ctx_t *c, const char *key, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->err == NULL || c->errlen == 0)
        return -1;
    /* A root-level error has no path: "not valid JSON", not ": not valid JSON" (the caller
     * puts the file name in front). */
    if (c->path[0] == '\0' && key[0] == '\0')
        snprintf(c->err, c->errlen, "%s", msg);
    else
        snprintf(c->err, c->errlen, "%s%s%s: %s", c->path, c->path[0] && key[0] ? "." : "", key, msg);
    return -1;
}

/* Cuts s to fit cap bytes without splitting a UTF-8 sequence. */
static void rf_copy_cut(char *dst, size_t cap, const char *s)
{
    size_t n = strbuf_utf8_cut(s, strlen(s), cap - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static bool rf_valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = strbuf_utf8_seq_len(p + i, n - i, NULL);
        if (l == 0)
            return false;
        i += l;
    }
    return true;
}

/* A string field into a fixed buffer. Identifiers that do not fit are an error (a cut name
 * would merge with another); free text (target, detail, hint, message) is cut. */
int rf_str(rf_ctx_t *c, const cJSON *obj, const char *key, int flags, char *dst, size_t cap)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    dst[0] = '\0';
    if (it == NULL)
        return rf_err(c, key, "missing");
    if ((flags & RF_NULLABLE) && cJSON_IsNull(it))
        return 0;
    if (!cJSON_IsString(it) || it->valuestring == NULL)
        return rf_err(c, key, (flags & RF_NULLABLE) ? "must be a string or null" : "must be a string");
    if (strlen(it->valuestring) >= cap && !(flags & RF_TRUNCATE))
        return rf_err(c, key, "longer than %zu bytes", cap - 1);
    /* The renderer writes each invalid byte as U+FFFD (3 bytes): an identifier with one could
     * outgrow its field when rendered and read again, so only valid UTF-8 is an identifier. */
    if (!(flags & RF_TRUNCATE) && !rf_valid_utf8(it->valuestring))
        return rf_err(c, key, "not valid UTF-8");
    rf_copy_cut(dst, cap, it->valuestring);
    return 0;
}

/* A finite number >= 0; null gives -1 when nullable (timings). */
int rf_ms(rf_ctx_t *c, const cJSON *obj, const char *key, bool nullable, double *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (it == NULL)
        return rf_err(c, key, "missing");
    if (nullable && cJSON_IsNull(it)) {
        *out = -1.0;
        return 0;
    }
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble) || it->valuedouble < 0)
        return rf_err(c, key, nullable ? "must be a number >= 0 or null" : "must be a number >= 0");
    *out = it->valuedouble;
    return 0;
}

int rf_int(rf_ctx_t *c, const cJSON *obj, const char *key, int *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (it == NULL)
        return rf_err(c, key, "missing");
    double v = cJSON_IsNumber(it) ? it->valuedouble : -1.0;
    if (!isfinite(v) || v < 0 || v > INT_MAX || v != (double)(int)v)
        return rf_err(c, key, "must be an integer >= 0");
    *out = (int)v;
    return 0;
}

int rf_enum(rf_ctx_t *c, const cJSON *obj, const char *key, int *out)
{
    char name[32];
    if (rf_str(c, obj, key, RF_TRUNCATE, name, sizeof(name)) < 0)
        return -1;
    int n = -1;
    if (strcmp(key, "kind") == 0) {
        for (int k = 0; k < KIND_COUNT && n < 0; k++)
            if (strcmp(name, config_kind_name((probe_kind_t)k)) == 0)
                n = k;
    } else if (strcmp(key, "expect") == 0) {
        for (int e = EXPECT_ALLOW; e <= EXPECT_DENY && n < 0; e++)
            if (strcmp(name, config_expect_name((expect_t)e)) == 0)
                n = e;
    } else if (strcmp(key, "verdict") == 0) {
        verdict_t v;
        if (verdict_parse(name, &v) == 0)
            n = (int)v;
    } else {
        outcome_t o;
        if (outcome_parse(name, &o) == 0)
            n = (int)o;
    }
    if (n < 0)
        return rf_err(c, key, "unknown %s", key);
    *out = n;
    return 0;
}
