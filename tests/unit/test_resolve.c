/* test_resolve.c: every c-ares status a lookup can end with, mapped to an outcome
 * (probes/resolve.c). A name lookup for another probe kind never ends as the probe's own
 * "refused"; a dns probe does only when the server refused over UDP, never after a truncated
 * UDP answer whose TCP retry was refused, reset or dropped (issue 11, item 11). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ares.h>
#include <stdbool.h>
#include <stdio.h>

#include "resolve.h"

typedef struct {
    int status;
    const char *name;
    outcome_t lookup; /* resolver_outcome: a probe's host */
    outcome_t udp;    /* resolver_dns_probe_outcome, no TCP fallback */
    outcome_t tcp;    /* resolver_dns_probe_outcome after a truncated UDP answer */
} row_t;

#define R(s, l, u, t) \
    { \
        s, #s, l, u, t \
    }

static const row_t rows[] = {
    R(ARES_SUCCESS, OUTCOME_OK, OUTCOME_OK, OUTCOME_OK),
    R(ARES_ENOTFOUND, OUTCOME_DNS_NXDOMAIN, OUTCOME_DNS_NXDOMAIN, OUTCOME_DNS_NXDOMAIN),
    R(ARES_ENODATA, OUTCOME_DNS_NODATA, OUTCOME_DNS_NODATA, OUTCOME_DNS_NODATA),
    R(ARES_ETIMEOUT, OUTCOME_DNS_TIMEOUT, OUTCOME_DNS_TIMEOUT, OUTCOME_DNS_TIMEOUT),
    /* The server's port refused (ICMP) over UDP: the dns probe's "refused"; after a
     * truncated answer, the TCP retry was refused or reset: a DNS failure. */
    R(ARES_ECONNREFUSED, OUTCOME_DNS_ERROR, OUTCOME_REFUSED, OUTCOME_DNS_ERROR),
    /* The server answered with an error or nonsense. */
    R(ARES_EREFUSED, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR),
    R(ARES_ESERVFAIL, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR),
    R(ARES_EFORMERR, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR),
    R(ARES_ENOTIMP, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR),
    R(ARES_EBADRESP, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR),
    R(ARES_EOF, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR),
    R(ARES_EBADNAME, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR),
    R(ARES_EBADSTR, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR),
    R(ARES_ENONAME, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR, OUTCOME_DNS_ERROR),
    /* Ours: an internal error, not a DNS answer. */
    R(ARES_ENOMEM, OUTCOME_ERROR, OUTCOME_ERROR, OUTCOME_ERROR),
    R(ARES_ECANCELLED, OUTCOME_ERROR, OUTCOME_ERROR, OUTCOME_ERROR),
    R(ARES_EDESTRUCTION, OUTCOME_ERROR, OUTCOME_ERROR, OUTCOME_ERROR),
    R(ARES_EBADFAMILY, OUTCOME_ERROR, OUTCOME_ERROR, OUTCOME_ERROR),
    R(ARES_EBADFLAGS, OUTCOME_ERROR, OUTCOME_ERROR, OUTCOME_ERROR),
    R(ARES_EBADHINTS, OUTCOME_ERROR, OUTCOME_ERROR, OUTCOME_ERROR),
    R(ARES_EBADQUERY, OUTCOME_ERROR, OUTCOME_ERROR, OUTCOME_ERROR),
    R(ARES_ENOTINITIALIZED, OUTCOME_ERROR, OUTCOME_ERROR, OUTCOME_ERROR),
    R(ARES_EFILE, OUTCOME_ERROR, OUTCOME_ERROR, OUTCOME_ERROR),
};

static void test_every_status(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const row_t *r = &rows[i];
        outcome_t l = resolver_outcome(r->status);
        outcome_t u = resolver_dns_probe_outcome(r->status, false);
        outcome_t t = resolver_dns_probe_outcome(r->status, true);
        if (l != r->lookup || u != r->udp || t != r->tcp)
            fail_msg("%s: lookup %s udp %s tcp %s, want %s %s %s", r->name, outcome_name(l), outcome_name(u),
                     outcome_name(t), outcome_name(r->lookup), outcome_name(r->udp), outcome_name(r->tcp));
        /* Only a dns probe's UDP refusal is "refused": a lookup never is. */
        assert_int_not_equal(l, OUTCOME_REFUSED);
        assert_int_not_equal(t, OUTCOME_REFUSED);
    }
}

/* The header of an answer: the rcode (REFUSED is Cilium's DNS proxy refusing a name) and
 * the answer count; anything shorter than a header or not a response is rejected. */
static void test_header_parse(void **state)
{
    (void)state;
    /* id 0x1234, QR AA RD RA, rcode 5, qd 1, an 0 */
    unsigned char refused[12] = {0x12, 0x34, 0x85, 0x85, 0, 1, 0, 0, 0, 0, 0, 0};
    unsigned char noerror[12] = {0x12, 0x34, 0x81, 0x80, 0, 1, 0x01, 0x02, 0, 0, 0, 0};
    unsigned char query[12] = {0x12, 0x34, 0x01, 0x05, 0, 1, 0, 0, 0, 0, 0, 0};
    int rc = -1;
    unsigned an = 99;
    assert_int_equal(resolver_header_parse(refused, sizeof(refused), &rc, &an), 0);
    assert_int_equal(rc, 5);
    assert_int_equal(an, 0);
    assert_int_equal(resolver_header_parse(noerror, sizeof(noerror), &rc, &an), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(an, 258);
    assert_int_equal(resolver_header_parse(query, sizeof(query), &rc, &an), -1);
    assert_int_equal(resolver_header_parse(refused, 11, &rc, &an), -1);
    assert_int_equal(resolver_header_parse(NULL, 12, &rc, &an), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_status),
        cmocka_unit_test(test_header_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
