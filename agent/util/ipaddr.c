/* ipaddr.c: the IP address type (ipaddr.h). A hand-written non-canonical IPv6 text
 * ("2001:DB8:0::1") reads back as its canonical form ("2001:db8::1"), which then stays stable:
 * the agent writes inet_ntop's text, so its reports round-trip byte for byte. */
#include "ipaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

bool ip_addr_parse(const char *text, ip_addr_t *out)
{
    memset(out, 0, sizeof(*out));
    if (text == NULL)
        return false;
    if (inet_pton(AF_INET, text, out->bytes) == 1)
        out->family = AF_INET;
    else if (inet_pton(AF_INET6, text, out->bytes) == 1)
        out->family = AF_INET6;
    else
        memset(out, 0, sizeof(*out)); /* inet_pton may have written part of it */
    return out->family != IP_ADDR_NONE;
}

bool ip_addr_from_sockaddr(const struct sockaddr *sa, ip_addr_t *out)
{
    memset(out, 0, sizeof(*out));
    if (sa->sa_family == AF_INET)
        memcpy(out->bytes, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    else if (sa->sa_family == AF_INET6)
        memcpy(out->bytes, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
    else
        return false;
    out->family = (uint8_t)sa->sa_family;
    return true;
}

const char *ip_addr_format(const ip_addr_t *ip, char buf[IP_ADDR_TEXT_LEN])
{
    buf[0] = '\0';
    if ((ip->family == AF_INET || ip->family == AF_INET6) &&
        inet_ntop(ip->family, ip->bytes, buf, IP_ADDR_TEXT_LEN) == NULL)
        buf[0] = '\0';
    return buf;
}

bool ip_addr_is_v6(const ip_addr_t *ip)
{
    return ip->family == AF_INET6;
}

size_t ip_addr_len(const ip_addr_t *ip)
{
    return ip->family == AF_INET ? 4 : ip->family == AF_INET6 ? 16 : 0;
}

bool ip_addr_equal(const ip_addr_t *a, const ip_addr_t *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, ip_addr_len(a)) == 0;
}
