/* curl_safe.c: the libcurl options every transfer shares (see curl_safe.h). */
#include "curl_safe.h"

CURLcode curl_safe_setopts(CURL *e, const char *protocols)
{
    CURLcode rc = CURLE_OK;
#define SAFE_SET(opt, val) \
    do { \
        if (rc == CURLE_OK) \
            rc = curl_easy_setopt(e, opt, val); \
    } while (0)
    SAFE_SET(CURLOPT_PROTOCOLS_STR, protocols);
    SAFE_SET(CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    SAFE_SET(CURLOPT_PROXY, "");
    SAFE_SET(CURLOPT_NOPROXY, "*");
    SAFE_SET(CURLOPT_NOSIGNAL, 1L);
    /* There is no switch to turn verification off (the reference, "Config"). */
    SAFE_SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SAFE_SET(CURLOPT_SSL_VERIFYHOST, 2L);
#undef SAFE_SET
    return rc;
}
