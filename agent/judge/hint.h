/* hint.h: the one-sentence "likely cause and next command" of a failed or inconclusive probe.
 * Pure: reads the result's structured fields (outcome, kind, expect, the parsed target, facts),
 * never the wording of its detail. A kind may add its own sentences (probe_ops_t.hint). */
#ifndef ZT_HINT_H
#define ZT_HINT_H

#include <stdbool.h>
#include <stddef.h>

#include "probe.h"
#include "result.h"

/* Context a hint may name. */
typedef struct {
    const char *role;       /* the role the pod plays */
    const char *namespace_; /* pod namespace, or NULL */
} hint_ctx_t;

/* Writes one sentence for a failed or inconclusive result (r->verdict, r->outcome, r->kind,
 * r->expect, r->host/port or else r->target, r->facts are read): the likely cause among the
 * common causes (labels not matching the podSelector, missing DNS egress rule, wrong port, CNI
 * without NetworkPolicy support, nothing listening, ...) and the next command to run. Empty
 * for a pass. */
void hint_write(const result_t *r, const hint_ctx_t *ctx, char *buf, size_t len);

#endif
