/* redact.h: the one place a URL loses what may be a secret before it is shown anywhere (report
 * target in every format, list, logs, error messages, the Pushgateway URL in messages). */
#ifndef ZT_REDACT_H
#define ZT_REDACT_H

#include <stddef.h>

/* Writes url into out (len bytes, always NUL-terminated) without its userinfo ("user:pw@"),
 * query ("?token=...") and fragment: scheme://host[:port]/path. A string without "://" is
 * not a URL (a "host:port" or dns target, whose '@' names a server) and is copied unchanged,
 * except that it is cut at a '?' or '#'. Pure. */
void redact_url(const char *url, char *out, size_t len);

#endif
