/* result_ip.c: the binary addresses of a result (result.h): parsed from and rendered to the
 * text inet_pton / inet_ntop know. The agent writes inet_ntop's text, so its own reports
 * round-trip byte for byte; a hand-written non-canonical IPv6 text ("2001:DB8:0::1") reads
 * back as its canonical form ("2001:db8::1"), which then stays stable. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "result.h"

bool result_ip_parse(const char *text, result_ip_t *ip)
{
    memset(ip, 0, sizeof(*ip));
    if (inet_pton(AF_INET, text, ip->bytes) == 1)
        ip->family = RESULT_IP_V4;
    else if (inet_pton(AF_INET6, text, ip->bytes) == 1)
        ip->family = RESULT_IP_V6;
    else
        memset(ip, 0, sizeof(*ip)); /* inet_pton may have written part of it */
    return ip->family != RESULT_IP_NONE;
}

const char *result_ip_format(const result_ip_t *ip, char buf[RESULT_ADDR_LEN])
{
    buf[0] = '\0';
    if (ip->family == RESULT_IP_V4 || ip->family == RESULT_IP_V6) {
        int af = ip->family == RESULT_IP_V4 ? AF_INET : AF_INET6;
        if (inet_ntop(af, ip->bytes, buf, RESULT_ADDR_LEN) == NULL)
            buf[0] = '\0';
    }
    return buf;
}

bool result_ip_is_v6(const result_ip_t *ip)
{
    return ip->family == RESULT_IP_V6;
}
