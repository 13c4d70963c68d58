/* cidr.c: IPv4/IPv6 CIDR blocks (pure): parsing with kubectl's strictness about host bits,
 * membership tests for resolved_within / answers_within. */
#include "cidr.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define CIDR_TEXT_MAX 64 /* longest address text (45) plus "/128", with room */

static size_t cidr_addr_len(int family)
{
    return family == AF_INET ? 4u : 16u;
}

/* Clears every bit of addr below the prefix; returns true when one was set. */
static bool cidr_mask_host_bits(uint8_t *addr, size_t alen, unsigned prefix)
{
    bool had = false;
    for (size_t i = 0; i < alen; i++) {
        unsigned first_bit = (unsigned)i * 8u;
        uint8_t keep;
        if (prefix >= first_bit + 8u)
            keep = 0xff;
        else if (prefix <= first_bit)
            keep = 0x00;
        else
            keep = (uint8_t)(0xffu << (8u - (prefix - first_bit)));
        if (addr[i] & (uint8_t)~keep)
            had = true;
        addr[i] &= keep;
    }
    return had;
}

static int cidr_parse_impl(const char *text, cidr_t *out, bool strict, char *err, size_t errlen)
{
    char buf[CIDR_TEXT_MAX];
    size_t tlen = text ? strlen(text) : 0;
    if (tlen == 0 || tlen >= sizeof(buf)) {
        snprintf(err, errlen, "not a CIDR block (expected a.b.c.d/n or x:y::/n)");
        return -1;
    }
    memcpy(buf, text, tlen + 1);

    cidr_t c;
    memset(&c, 0, sizeof(c));
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (!ip_addr_parse(buf, &c.net)) {
        snprintf(err, errlen, "not a CIDR block (expected a.b.c.d/n or x:y::/n)");
        return -1;
    }
    unsigned max = c.net.family == AF_INET ? 32u : 128u;
    c.prefix = max;
    if (slash) {
        /* Digits only, at most three: strtoul alone would take "+8", " 8" or "8x". */
        const char *p = slash + 1;
        size_t n = strlen(p);
        unsigned v = 0;
        bool ok = n >= 1 && n <= 3;
        for (size_t i = 0; ok && i < n; i++) {
            if (p[i] < '0' || p[i] > '9')
                ok = false;
            else
                v = v * 10u + (unsigned)(p[i] - '0');
        }
        if (!ok || v > max) {
            snprintf(err, errlen, "prefix length must be 0..%u", max);
            return -1;
        }
        c.prefix = v;
    }
    if (cidr_mask_host_bits(c.net.bytes, cidr_addr_len(c.net.family), c.prefix) && strict) {
        char net[CIDR_TEXT_MAX];
        cidr_format(&c, net, sizeof(net));
        snprintf(err, errlen, "host bits set below the prefix (did you mean %s?)", net);
        return -1;
    }
    *out = c;
    return 0;
}

int cidr_parse(const char *text, cidr_t *out, char *err, size_t errlen)
{
    return cidr_parse_impl(text, out, true, err, errlen);
}

int cidr_parse_masked(const char *text, cidr_t *out, char *err, size_t errlen)
{
    return cidr_parse_impl(text, out, false, err, errlen);
}

bool cidr_contains(const cidr_t *c, const ip_addr_t *ip)
{
    uint8_t a[16];
    int family = ip->family;
    if (family == AF_INET6 && c->net.family == AF_INET) {
        /* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address. */
        struct in6_addr a6;
        memcpy(&a6, ip->bytes, sizeof(a6));
        if (!IN6_IS_ADDR_V4MAPPED(&a6))
            return false;
        memcpy(a, ip->bytes + 12, 4);
        family = AF_INET;
    } else if (family != c->net.family) {
        return false;
    } else {
        memcpy(a, ip->bytes, cidr_addr_len(family));
    }
    cidr_mask_host_bits(a, cidr_addr_len(family), c->prefix);
    return memcmp(a, c->net.bytes, cidr_addr_len(family)) == 0;
}

bool cidr_list_contains_ip(const cidr_list_t *l, const ip_addr_t *a)
{
    if (!l || !a)
        return false;
    for (size_t i = 0; i < l->n; i++) {
        if (cidr_contains(&l->items[i], a))
            return true;
    }
    return false;
}

bool cidr_list_contains_str(const cidr_list_t *l, const char *addr)
{
    ip_addr_t a;
    return ip_addr_parse(addr, &a) && cidr_list_contains_ip(l, &a);
}

void cidr_format(const cidr_t *c, char *buf, size_t len)
{
    char a[IP_ADDR_TEXT_LEN];
    if (len == 0)
        return;
    if (!ip_addr_format(&c->net, a)[0]) {
        snprintf(buf, len, "?");
        return;
    }
    snprintf(buf, len, "%s/%u", a, c->prefix);
}

void cidr_list_free(cidr_list_t *l)
{
    if (!l)
        return;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}
