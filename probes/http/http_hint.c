/* http_hint.c: the http and https kinds' own hints (probe_ops_t.hint): the application
 * answered, so the path is open, but not with the status or body the probe wants. Read from
 * the outcome and the parsed url, never from the detail. */
#include <stdio.h>

#include "http_int.h"

#define HINT(...) snprintf(buf, len, __VA_ARGS__)

bool http_hint(const result_t *r, const hint_parts_t *p, char *buf, size_t len)
{
    if (r->expect != EXPECT_ALLOW)
        return false;
    switch (r->outcome) {
    case OUTCOME_HTTP_STATUS:
        HINT("The application at %s answered with an unexpected HTTP status, so the network "
             "path is open and the application check failed: see the detail, the "
             "application's logs, or `curl -sv %s` from this pod.",
             p->url, p->url);
        return true;
    case OUTCOME_BODY_MISMATCH:
        HINT("The application at %s answered without the expected body text, so the network "
             "path is open and the application check failed: see its logs or `curl -s %s` "
             "from this pod.",
             p->url, p->url);
        return true;
    default: return false;
    }
}
