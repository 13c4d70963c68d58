/* resolve.h: name resolution with c-ares, driven by the loop. Names are resolved here, before
 * any transfer, so that a DNS failure has its own outcome and is never taken for a blocked
 * path. One resolver per distinct server set (the run's default, each dns probe's "server"). */
#ifndef ZT_RESOLVE_H
#define ZT_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include "ipaddr.h"
#include "loop.h"
#include "outcome.h"
#include "result.h"

typedef struct resolver resolver_t;
typedef struct resolve_req resolve_req_t;

typedef struct {
    int status;        /* ARES_SUCCESS, ARES_ENOTFOUND, ARES_ENODATA, ARES_ETIMEOUT... */
    const char *error; /* ares_strerror(status) */
    int rcode;         /* resolver_query_rcode: the answer header's RCODE (0 NOERROR, 3
                        * NXDOMAIN, 5 REFUSED...) when status is ARES_SUCCESS; else -1 */
    bool tcp_fallback; /* c-ares opened a TCP connection during this lookup: a server
                                  * answered over UDP, truncated (TC), so it is reachable */
    size_t n;
    ip_addr_t addrs[RESULT_MAX_ADDRS];
    char text[RESULT_MAX_ADDRS][RESULT_ADDR_LEN]; /* addrs[i] as text (ip_addr_format) */
} resolve_answer_t;

typedef void (*resolve_cb)(void *ud, const resolve_answer_t *ans);

/* Process-wide c-ares init/cleanup (ares_library_init). Return 0 or -1. */
int resolver_global_init(void);
void resolver_global_cleanup(void);

/* servers: NULL or empty for /etc/resolv.conf; else "ip[:port],[ip6]:port,...".
 * search false: names are resolved as given (no search list). Returns NULL with err. */
resolver_t *resolver_create(loop_t *loop, const char *servers, bool search, char *err, size_t errlen);
void resolver_destroy(resolver_t *r); /* cancels outstanding requests silently */

/* Starts a lookup of name for family (AF_INET, AF_INET6 or AF_UNSPEC). cb runs exactly once
 * unless the request is cancelled first: usually later from the loop, but synchronously when
 * c-ares answers at once (hosts file, bad name) or memory ran out (status ARES_ENOMEM); the
 * return value is then NULL. Otherwise returns the handle for resolver_cancel. */
resolve_req_t *resolver_lookup(resolver_t *r, const char *name, int family, resolve_cb cb, void *ud);

/* Sends one query of qtype (1 A, 28 AAAA) for name as written (no search list) and reports
 * the answer's rcode whatever it is (status ARES_SUCCESS, rcode set, the addresses of a
 * NOERROR answer), or a failure to get one (ARES_ETIMEOUT, ARES_ECONNREFUSED...). For a deny
 * decided by a DNS proxy (Cilium answers REFUSED), which the lookups above cannot see. The
 * callback contract is resolver_lookup's. */
resolve_req_t *resolver_query_rcode(resolver_t *r, const char *name, int qtype, resolve_cb cb, void *ud);

/* Reads a DNS answer's header (12 bytes, nothing past them): the rcode and the answer count.
 * Returns 0, or -1 when it is shorter or not a response (QR clear). Pure. */
int resolver_header_parse(const unsigned char *buf, size_t len, int *rcode, unsigned *ancount);

/* The callback of req will not run; its memory is released when c-ares lets go of it. */
void resolver_cancel(resolve_req_t *req);

/* The outcome of a lookup that resolves a probe's host: SUCCESS ok, ENOTFOUND dns_nxdomain,
 * ENODATA dns_nodata, ETIMEOUT dns_timeout; our own failures (ENOMEM, ECANCELLED,
 * EDESTRUCTION, EBADFAMILY, EBADFLAGS, EBADHINTS, EBADQUERY, ENOTINITIALIZED, EFILE) error;
 * anything the servers did (ECONNREFUSED, EREFUSED, ESERVFAIL, EFORMERR, EBADRESP, EOF,
 * ENOTIMP, EBADNAME...) dns_error. Never refused: that is the probe's own connection. */
outcome_t resolver_outcome(int ares_status);

/* The outcome of a dns probe, whose "connection" is the DNS server: as resolver_outcome, but
 * ECONNREFUSED (ICMP port/host unreachable from the server) is refused, unless the lookup
 * fell back to TCP after a truncated UDP answer: the server answered, so a refused or reset
 * TCP connection is a DNS failure (dns_error), never a blocked path. Pure. */
outcome_t resolver_dns_probe_outcome(int ares_status, bool tcp_fallback);

/* Joins the config's dns.servers into c-ares' csv form, adding no default port. Returns 0, or
 * -1 when buf is too small. */
int resolver_servers_csv(char *const *servers, size_t n, char *buf, size_t len);

#endif
