/* labels.h: pod label sets: the Downward API labels file parser (pure) and selector
 * matching, used to pick the role a pod plays. */
#ifndef ZT_LABELS_H
#define ZT_LABELS_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* A pod has at most a few dozen labels of <= 63+253 bytes; anything near this is not a
 * Downward API file. */
#define LABELS_MAX_BYTES (256u * 1024u)

typedef struct {
    char *key;
    char *value;
} label_t;

typedef struct {
    label_t *items;
    size_t n;
    /* items are in strictly ascending key order: labels_get is a binary search. Kept by
     * labels_add and labels_sort; false (a linear search) is always safe. A pod may carry tens
     * of thousands of labels, and selectors are matched against them per policy. */
    bool sorted;
} labels_t;

/* Parses the Downward API format: one `key="value"` per line, the value quoted and escaped
 * as Go's strconv.Quote writes it (\" \\ \n \t \xNN \uNNNN ...). Blank lines are skipped.
 * Returns ZT_OK, or ZT_ERR_INPUT with "line N: reason" in err (out is left empty). */
zt_status_t labels_parse(const char *text, size_t len, labels_t *out, char *err, size_t errlen);

/* Reads (fileio_read_capped: a regular file of at most LABELS_MAX_BYTES) and parses a labels
 * file. Returns ZT_OK, ZT_ERR_INPUT when it cannot be read or parsed, ZT_ERR_NOMEM
 * (status.h); err says why, starting with the path. */
zt_status_t labels_load_file(const char *path, labels_t *out, char *err, size_t errlen);

/* Sorts l by key. Returns the first key present twice, or NULL (then
 * l->sorted is set). */
const char *labels_sort(labels_t *l);

/* The value for key, or NULL. */
const char *labels_get(const labels_t *l, const char *key);

/* True when every key=value of selector is present in pod (an empty selector matches all). */
bool labels_match(const labels_t *selector, const labels_t *pod);

/* Renders "a=b,c=d" (as kubectl --show-labels does) into buf, truncating safely. */
void labels_format(const labels_t *l, char *buf, size_t len);

/* Appends a copy of key/value. Returns 0 or -1 on OOM. */
int labels_add(labels_t *l, const char *key, const char *value);

/* Appends key/value, taking them (malloc'd; freed on failure). Returns 0 or -1 on OOM. */
int labels_add_take(labels_t *l, char *key, char *value);

void labels_free(labels_t *l);

#endif
