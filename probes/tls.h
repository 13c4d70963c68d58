/* tls.h: the tls probe kind's own config (config_probe_t.kind_data), which its unit test reads.
 * The kind itself is tls_probe_ops in the kind table. */
#ifndef ZT_TLS_H
#define ZT_TLS_H

#include <stddef.h>

#include "config.h"

#define TLS_ALPN_MAX 8     /* protocols in "alpn" */
#define TLS_ALPN_ID_MAX 64 /* bytes of one protocol id (the wire allows 255; none is that long) */

typedef struct {
    /* "alpn" in the wire format of the ClientHello extension (length-prefixed ids), empty:
     * no ALPN offered. */
    unsigned char alpn[TLS_ALPN_MAX * (TLS_ALPN_ID_MAX + 1)];
    size_t alpn_len;
    int min_version; /* 12 or 13: TLS 1.2 (default) or 1.3 */
} tls_cfg_t;

#endif
