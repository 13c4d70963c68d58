/* resolve_status.c: the resolver's pure parts: a c-ares status as an outcome, a DNS answer's
 * header, the server list as c-ares takes it. Unit-tested without sockets. */
#include "resolve.h"

#include <ares.h>
#include <stdio.h>
#include <string.h>

int resolver_header_parse(const unsigned char *buf, size_t len, int *rcode, unsigned *ancount)
{
    /* The 12-byte header: id, flags (QR is the top bit of byte 2, RCODE the low nibble of
     * byte 3), qdcount, ancount. Nothing past it is read. */
    if (!buf || len < 12 || !(buf[2] & 0x80))
        return -1;
    *rcode = buf[3] & 0x0f;
    *ancount = (unsigned)buf[6] << 8 | buf[7];
    return 0;
}

outcome_t resolver_outcome(int status)
{
    switch (status) {
    case ARES_SUCCESS: return OUTCOME_OK;
    case ARES_ENOTFOUND: return OUTCOME_DNS_NXDOMAIN;
    case ARES_ENODATA: return OUTCOME_DNS_NODATA;
    case ARES_ETIMEOUT: return OUTCOME_DNS_TIMEOUT;
    /* Ours, not the network's: memory, a cancelled or destroyed channel, bad arguments, an
     * unreadable resolv.conf or hosts file. */
    case ARES_ENOMEM:
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
    case ARES_EBADFAMILY:
    case ARES_EBADFLAGS:
    case ARES_EBADHINTS:
    case ARES_EBADQUERY:
    case ARES_ENOTINITIALIZED:
    case ARES_EFILE: return OUTCOME_ERROR;
    default: return OUTCOME_DNS_ERROR;
    }
}

outcome_t resolver_dns_probe_outcome(int status, bool tcp_fallback)
{
    if (status == ARES_ECONNREFUSED && !tcp_fallback)
        return OUTCOME_REFUSED;
    return resolver_outcome(status);
}

int resolver_servers_csv(char *const *servers, size_t n, char *buf, size_t len)
{
    size_t off = 0;
    if (len == 0)
        return -1;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + off, len - off, "%s%s", i ? "," : "", servers[i]);
        if (w < 0 || (size_t)w >= len - off)
            return -1;
        off += (size_t)w;
    }
    return 0;
}
