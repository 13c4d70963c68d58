/* report_policy.h: a result's "policy" object (`run --policies`) read back from a report, so
 * that merge keeps what the NetworkPolicies intend (merge -o html shows it) and a report
 * renders back byte for byte. Pure. */
#ifndef ZT_REPORT_POLICY_H
#define ZT_REPORT_POLICY_H

#include <cJSON.h>
#include <stddef.h>

#include "result.h"

/* Reads {"intended": "allow"|"deny"|"unknown", "by": [{"policy", "direction", "rule"}],
 * "reason": string|null} into out (by: at most RESULT_POLICY_BY_MAX; strings too long for
 * their field are refused, the reason is cut). Returns 0, or -1 with the field and why in
 * err ("by[0].direction: must be ingress or egress"). out owns what it read, also after an
 * error: result_policy_clear frees it. */
int report_policy_parse(const cJSON *obj, result_policy_t *out, char *err, size_t errlen);

#endif
