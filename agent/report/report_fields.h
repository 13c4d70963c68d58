/* report_fields.h: the field readers of report_parse.c (a JSON report read back): each checks
 * one member's type and bounds and, on an error, writes "PATH.KEY: why" into the context's
 * error buffer and returns -1. Private to agent/report. */
#ifndef ZT_REPORT_FIELDS_H
#define ZT_REPORT_FIELDS_H

#include <cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* Where the parser is and where its error goes. */
typedef struct {
    char *err;
    size_t errlen;
    char path[48]; /* "results[12]" */
} rf_ctx_t;

/* Formats the error for member key at the context's path; returns -1. */
int rf_err(rf_ctx_t *c, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

enum { RF_REQUIRED = 0, RF_NULLABLE = 1, RF_TRUNCATE = 2 };

/* A string member into dst (cap bytes). Identifiers that do not fit, or are not valid UTF-8,
 * are an error; with RF_TRUNCATE (free text) the string is cut on a character boundary;
 * RF_NULLABLE: null reads as "". */
int rf_str(rf_ctx_t *c, const cJSON *obj, const char *key, int flags, char *dst, size_t cap);
/* A finite number >= 0; null gives -1 when nullable (timings). */
int rf_ms(rf_ctx_t *c, const cJSON *obj, const char *key, bool nullable, double *out);
/* An integer 0..INT_MAX. */
int rf_int(rf_ctx_t *c, const cJSON *obj, const char *key, int *out);
/* The enum named by key ("kind", "expect", "verdict", else an outcome) from its name. */
int rf_enum(rf_ctx_t *c, const cJSON *obj, const char *key, int *out);

#endif
