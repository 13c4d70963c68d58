/* cidr.h: IPv4/IPv6 CIDR blocks and membership tests (pure), for resolved_within and
 * answers_within. */
#ifndef ZT_CIDR_H
#define ZT_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipaddr.h"

typedef struct {
    ip_addr_t net;   /* the network address, host bits cleared */
    unsigned prefix; /* 0..32 or 0..128 */
} cidr_t;

typedef struct {
    cidr_t *items;
    size_t n;
} cidr_list_t;

/* Parses "10.0.0.0/8", "2001:db8::/32" or a bare address (a /32 or /128). Host bits set
 * below the prefix are an error ("10.0.0.1/8"), as kubectl rejects them in an ipBlock.
 * Returns 0, or -1 with a reason in err. */
int cidr_parse(const char *text, cidr_t *out, char *err, size_t errlen);

/* As cidr_parse, but host bits below the prefix are cleared, not refused: the API server
 * accepts an ipBlock such as 10.10.0.1/4 and means 0.0.0.0/4. */
int cidr_parse_masked(const char *text, cidr_t *out, char *err, size_t errlen);

/* True when the address lies inside the block (an IPv4-mapped IPv6 address counts as its IPv4
 * address). */
bool cidr_contains(const cidr_t *c, const ip_addr_t *a);

/* True when the address lies inside one block of the list. */
bool cidr_list_contains_ip(const cidr_list_t *l, const ip_addr_t *a);

/* The same for a textual address (as ip_addr_parse takes it); false when it is not one. */
bool cidr_list_contains_str(const cidr_list_t *l, const char *addr);

/* Renders "a.b.c.d/n" into buf. */
void cidr_format(const cidr_t *c, char *buf, size_t len);

void cidr_list_free(cidr_list_t *l);

#endif
