/* push.h: sending the Prometheus exposition of a run to a Pushgateway (`run -o prometheus
 * --push URL`), for CronJob and Job pods that live too briefly to be scraped. */
#ifndef ZT_PUSH_H
#define ZT_PUSH_H

#include <stddef.h>

/* PUTs body to URL/metrics/job/JOB[/instance/INSTANCE] (path parts URL-escaped, a value with
 * '/' in base64url as the Pushgateway defines; an empty instance leaves the instance
 * grouping out), Content-Type "text/plain; version=0.0.4". PUT replaces every metric of the
 * group, so series of probes no longer in the config do not linger. Blocking, bounded by
 * timeout_ms (<= 0: 10 s); TLS always verified, against ca_file when given. Returns 0 on a
 * 2xx answer, else -1 with "push URL: HTTP 400: <first line of the answer>" or
 * "push URL: <curl error>" in err; the URL there never carries user:password@ or a query. */
int push_prometheus(const char *url, const char *job, const char *instance, const char *body, long timeout_ms,
                    const char *ca_file, char *err, size_t errlen);

#endif
