/* report_perf.h: the convergence figures of `run --wait` under the metric names of
 * kubernetes/perf-tests' network policy enforcement latency measurement, so a user can set
 * them beside published figures. Pure rendering. */
#ifndef ZT_REPORT_PERF_H
#define ZT_REPORT_PERF_H

#include <stddef.h>

#include "result.h"
#include "strbuf.h"

/* The histogram families (perf-tests' buckets) of every converged probe of the waited
 * reports; nothing when no report waited. */
void report_perf_render(strbuf_t *b, const report_t *reports, size_t n);

#endif
