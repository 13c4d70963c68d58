/* calico_selector.h: Calico's label selector language (`app == 'web' && !has(debug)`), as a
 * pure parser into a small tree and a matcher over label sets. Used by the Calico policy
 * reader and evaluator; no I/O. */
#ifndef ZT_CALICO_SELECTOR_H
#define ZT_CALICO_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "labels.h"

#define CALSEL_MAX_TEXT 4096 /* longer selector text is refused */
#define CALSEL_MAX_NODES 512 /* terms, operators and set values together */
#define CALSEL_MAX_DEPTH 32  /* nested parentheses and negations */

typedef struct calsel calsel_t;

/* Parses a selector; empty or blank text is all(). Returns 0, or -1 with "column N: reason"
 * (1-based, counting bytes) in err, or -2 on OOM. */
int calsel_parse(const char *text, calsel_t **out, char *err, size_t errlen);

/* True when the labels match. A key is looked up in sets[0], then sets[1], ... (the
 * resource's own labels first, then the labels Calico implies). `global()` matches only
 * resources outside any namespace: never a pod or a namespace. */
bool calsel_match(const calsel_t *s, const labels_t *const *sets, size_t n_sets);

/* True when the selector is exactly all() (or empty text). */
bool calsel_is_all(const calsel_t *s);

/* The text it was parsed from. */
const char *calsel_text(const calsel_t *s);

void calsel_free(calsel_t *s);

#endif
