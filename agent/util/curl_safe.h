/* curl_safe.h: the libcurl options every transfer of ztprobe shares (the probes' and the
 * Pushgateway push): only the protocols named, also for redirects; never a proxy from the
 * environment (a proxy is not the path the pod's policies allow, and it would see basic-auth
 * credentials); no signals; TLS always verified, peer and name. One place, so a transfer
 * cannot forget one. */
#ifndef ZT_CURL_SAFE_H
#define ZT_CURL_SAFE_H

#include <curl/curl.h>

/* Sets those options on e for protocols ("http", "https", "http,https"); returns the first
 * failure (CURLE_OK when all were set). */
CURLcode curl_safe_setopts(CURL *e, const char *protocols);

#endif
