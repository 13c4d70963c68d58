/* json_scan.h: a JSON syntax walker that allocates nothing. merge reads reports it cannot
 * trust: the walker finds the spans of the top-level members and of each result, so cJSON only
 * ever builds the tree of one small piece at a time, and a hostile document cannot make a
 * tree of tens of bytes per input byte. */
#ifndef ZT_JSON_SCAN_H
#define ZT_JSON_SCAN_H

#include <stddef.h>

#define JSON_SCAN_MAX_DEPTH 64 /* a report nests 4 deep */

/* Where a value lies in the text. */
typedef struct {
    size_t off, len;
} json_span_t;

/* Moves *pos past blanks (space, tab, CR, LF). */
void json_scan_ws(const char *s, size_t n, size_t *pos);

/* Checks the one JSON value at *pos (blanks before it skipped) and moves *pos past it.
 * Strings must be well-formed (escapes, no raw control byte); numbers are checked only for
 * their alphabet, as cJSON parses the pieces that are used. Returns 0, or -1 with *pos at the
 * offending byte (also for nesting deeper than JSON_SCAN_MAX_DEPTH). */
int json_scan_value(const char *s, size_t n, size_t *pos);

#endif
