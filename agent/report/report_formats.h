/* report_formats.h: the report for machines other than ztprobe: JUnit XML for CI test views
 * (Jenkins, GitLab, GitHub Actions) and the Prometheus text exposition for monitoring.
 * Pure: renderers write into memory, the caller does the I/O (stdout, --out, --push). */
#ifndef ZT_REPORT_FORMATS_H
#define ZT_REPORT_FORMATS_H

#include <stddef.h>

#include "result.h"

/* JUnit XML: a <testsuites> root with totals, one <testsuite> per report (name = role,
 * hostname = pod name when known), one <testcase classname="ztprobe.ROLE" name="PROBE"> per
 * result, <failure> for a failed probe and <error> for an inconclusive one (see
 * report_junit.c for why not <skipped>). Well-formed XML 1.0 for any input bytes: control
 * characters are dropped and invalid UTF-8 becomes U+FFFD. malloc'd, NULL on OOM. */
char *report_render_junit(const report_t *reports, size_t n);

/* Prometheus text exposition format 0.0.4: every family with # HELP and # TYPE, all samples
 * of a family together, no timestamps (a Pushgateway refuses them). Series are labelled by
 * role, not by pod: the pod is the scrape target or the Pushgateway instance, so the reports
 * given must have distinct roles (one process renders its own run). malloc'd, NULL on OOM. */
char *report_render_prometheus(const report_t *reports, size_t n);

#endif
