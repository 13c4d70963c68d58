/* merge.h: the namespace-wide matrix of `ztprobe merge`: reports of several pods (one per
 * role pod, read by the caller), the verdict of every probe on every pod, the pods of one
 * role that disagree, and one verdict for the whole namespace. Pure: no file I/O. */
#ifndef ZT_MERGE_H
#define ZT_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"

#define MERGE_SCHEMA "ztprobe/merge/v1"

typedef struct merge merge_t;

merge_t *merge_create(void);
void merge_destroy(merge_t *m); /* accepts NULL */

/* Adds a copy of report r (the caller keeps r). source names where it came from (the file);
 * it labels the report's row when the report has no pod name. Two reports with the same
 * role and pod get "#2", "#3" appended so that every row stays distinct. Returns 0, or -1
 * when out of memory. */
int merge_add(merge_t *m, const report_t *r, const char *source);

/* As merge_add, but the merge takes r's results instead of copying them (r->results is NULL
 * afterwards): a large report is never held twice. */
int merge_add_take(merge_t *m, report_t *r, const char *source);

/* Shallow copies of the reports added (not the missing ones), in order, into out (at most
 * max): their results belong to the merge and live as long as it does. Returns the count. */
size_t merge_reports(const merge_t *m, report_t *out, size_t max);

/* Records a report that could not be read or parsed (reason: why). It is listed, and the
 * merge is not ok: a pod whose verdict is unknown was not proven. Returns 0 or -1 (OOM). */
int merge_add_missing(merge_t *m, const char *source, const char *reason);

/* Disagreements: a (role, probe) whose verdict differs between pods of that role, a probe
 * run on one pod and absent from another counting as a difference (the pods ran different
 * configs). */
size_t merge_disagreements(const merge_t *m);

/* True when at least one report was added, none is missing, every probe passed on every
 * pod, and no pods disagree (with all passes, only an absent probe can disagree). */
bool merge_ok(const merge_t *m);

/* The matrix for a terminal: per role, a header line naming its pods (the columns), one
 * line per probe with one cell per pod ("pass ok", "FAIL ok", "inconcl. dns_timeout", "-"
 * when the pod did not run it), the pods' diagnoses; then the disagreements, the missing
 * reports and a summary line. malloc'd, NULL on OOM. */
char *merge_render_text(const merge_t *m);

/* The same as JSON (schema MERGE_SCHEMA): reports [{role, pod, source, summary,
 * diagnoses}], missing [{source, reason}], matrix [{role, pod, probe, kind, expect, verdict,
 * outcome}], disagreements [{role, probe, verdicts: {pod: verdict | "missing"}}], summary
 * {reports, missing_reports, total, passed, failed, inconclusive, disagreements, ok}.
 * malloc'd, NULL on OOM. */
char *merge_render_json(const merge_t *m);

/* Kubernetes PolicyReports (wgpolicyk8s.io/v1alpha2) as multi-document YAML: one object per
 * namespace of the pods (pod.namespace; reports without one share an object with no
 * metadata.namespace), named "ztprobe-NAMESPACE" (merge_policyreport_name), one result per pod
 * x probe (policy "ztprobe", rule "ROLE/PROBE", result pass / fail / error for inconclusive,
 * source "ztprobe", the pod as resource, outcome, target, detail and hint as properties), the
 * summary counts, and an error result per missing report. now (Unix seconds) is the
 * generated-at annotation. NULL with err set when a namespace is not a DNS-1123 label (no
 * object could hold it); NULL with err empty when out of memory. */
char *merge_render_policyreport(const merge_t *m, double now, char *err, size_t errlen);

/* The object name for want: lower-cased, characters outside [a-z0-9-] as '-', at most 63
 * characters (a DNS-1123 label); a name that had to change ends in "-" and 10 hex digits of a
 * hash of want, so two long names never collide into one. */
void merge_policyreport_name(const char *want, char *out, size_t outlen);

/* One self-contained HTML page: the matrix of roles (rows, one per pod) by targets (columns),
 * a cell entry per probe with verdict (as text and colour), outcome, detail and hint; the
 * summary, the diagnoses, disagreements and missing reports, and the time now (Unix seconds).
 * No script, no external asset; every string HTML-escaped. malloc'd, NULL on OOM. */
char *merge_render_html(const merge_t *m, double now);

#endif
