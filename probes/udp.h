/* udp.h: the pure parts of the udp probe kind (probes/udp.c) that tests call directly; the
 * kind itself is udp_probe_ops in the kind table. */
#ifndef ZT_UDP_H
#define ZT_UDP_H

#include <stdbool.h>
#include <stddef.h>

#include "outcome.h"

#define UDP_PAYLOAD_MAX 65536 /* bytes of "send" and of "expect_reply" after unescaping */

/* Decodes s ("\xNN" for any byte, "\\" for a backslash; other bytes as they are) into out
 * (cap bytes). Returns the length, or -1 with a reason in err (a bad escape, or more than cap
 * bytes). */
long udp_unescape(const char *s, unsigned char *out, size_t cap, char *err, size_t errlen);

/* The outcome of an ICMP error read from the error queue (origin 2 ICMP, 3 ICMP6): port
 * unreachable is refused, host/net/admin unreachable and time exceeded are unreachable. *ignore
 * is set for errors that are no verdict (fragmentation needed / packet too big). */
outcome_t udp_icmp_outcome(int origin, int type, int code, bool *ignore);

/* The reply check: "any" (expect NULL) passes any datagram, else expect must occur in it. */
bool udp_reply_matches(const unsigned char *reply, size_t n, const unsigned char *expect, size_t elen);

#endif
