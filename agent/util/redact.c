/* redact.c: URLs without userinfo, query and fragment (redact.h). */
#include "redact.h"

#include <stdio.h>
#include <string.h>

void redact_url(const char *url, char *out, size_t len)
{
    if (len == 0)
        return;
    if (url == NULL) {
        out[0] = '\0';
        return;
    }
    const char *sep = strstr(url, "://");
    /* "://" inside a query or path is not a scheme separator. */
    if (sep != NULL && (size_t)(sep - url) > strcspn(url, "/?#@"))
        sep = NULL;
    if (sep == NULL) {
        snprintf(out, len, "%.*s", (int)strcspn(url, "?#"), url);
        return;
    }
    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *host = auth;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@')
            host = auth + i + 1; /* the last '@': a password may hold one */
    size_t rest = strcspn(host, "?#");
    snprintf(out, len, "%.*s%.*s", (int)(auth - url), url, (int)rest, host);
}
