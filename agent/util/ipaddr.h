/* ipaddr.h: the one IP address type of ztprobe, and the one place an address is read from or
 * written as text (inet_pton / inet_ntop). Results, the resolver's answers, the objects' Pod and
 * Service addresses and the CIDR blocks all hold an ip_addr_t: 17 bytes where the text took 46
 * (merge keeps every result of every report in memory). */
#ifndef ZT_IPADDR_H
#define ZT_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

#define IP_ADDR_NONE 0      /* family of an empty address */
#define IP_ADDR_TEXT_LEN 46 /* INET6_ADDRSTRLEN: the longest text, NUL included */

typedef struct {
    uint8_t family;    /* AF_INET, AF_INET6, or IP_ADDR_NONE */
    uint8_t bytes[16]; /* network order; 4 used for IPv4 */
} ip_addr_t;

/* Parses an IPv4 or IPv6 literal (inet_pton: no names, no zone, no brackets). Returns true and
 * fills *out, or false with *out empty (IP_ADDR_NONE). text may be NULL. */
bool ip_addr_parse(const char *text, ip_addr_t *out);

/* The address of a socket address (AF_INET or AF_INET6; the port is left out): an ICMP error's
 * offender, a resolver's answer. Returns true and fills *out, or false with *out empty for
 * another family (AF_UNSPEC: none known). */
bool ip_addr_from_sockaddr(const struct sockaddr *sa, ip_addr_t *out);

/* Writes the canonical text (inet_ntop) into buf; "" for an empty address. Returns buf. */
const char *ip_addr_format(const ip_addr_t *ip, char buf[IP_ADDR_TEXT_LEN]);

/* True for an IPv6 address. */
bool ip_addr_is_v6(const ip_addr_t *ip);

/* 4 or 16 (0 for an empty address): the bytes that count. */
size_t ip_addr_len(const ip_addr_t *ip);

/* Same family and the same bytes. */
bool ip_addr_equal(const ip_addr_t *a, const ip_addr_t *b);

#endif
