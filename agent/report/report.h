/* report.h: rendering a report (the reference, "Report") as JSON or as a text table, and parsing a
 * JSON report back (merge). Pure: renderers write into memory, the caller does the I/O. */
#ifndef ZT_REPORT_H
#define ZT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "result.h"

#define REPORT_SCHEMA "ztprobe/report/v1"

/* The report as a JSON document (malloc'd, newline-terminated, pretty-printed), or NULL on
 * OOM. */
char *report_render_json(const report_t *r, const char *agent_version);

/* The text table a person reads in `kubectl exec -it`: one row per probe (probe, expect,
 * verdict, outcome, ms, hint), then the diagnoses and the summary. color: ANSI colours for
 * verdicts. malloc'd, or NULL on OOM. */
char *report_render_text(const report_t *r, bool color);

#define REPORT_MAX_RESULTS 10000       /* results in one report (one pod's role) */
#define REPORT_PIECE_MAX (64u * 1024u) /* one result, or one top-level member, as JSON */

/* Parses a JSON report (as report_render_json writes it) into *out (results malloc'd).
 * The input is treated as hostile, and memory stays near the input's size: the document is
 * walked without a tree, each top-level member and each result is parsed on its own (at most
 * REPORT_PIECE_MAX bytes) and freed once converted, at most REPORT_MAX_RESULTS results, and
 * unknown top-level members are skipped unparsed. Returns 0, or -1 with a reason in err. */
int report_parse_json(const char *text, size_t len, report_t *out, char *err, size_t errlen);

/* The outcome as a person reads it: the outcome's name, or for a family: all probe each
 * address's, compactly ("timeout (v4) / ok (v6)"). */
void report_outcome_text(const result_t *res, char *buf, size_t len);

/* Frees the results (and what they own) and the policy answers; r itself belongs to the
 * caller. report_free_policy frees the policy answers alone (re-annotating a report). */
void report_free(report_t *r);
void report_free_policy(report_t *r);
/* Unix time at which the run ended: started_at plus the duration when it is known. */
double report_ended_at(const report_t *r);

#endif
