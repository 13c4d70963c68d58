/* dns.c: the dns probe: one lookup through the run's resolver (or the probe's own server),
 * judged on the answer's rcode and addresses. A blocked DNS path shows as dns_timeout (drop)
 * or refused (reject), which is what an expect: deny dns probe wants to see. */
#include <ares.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "resolve.h"

typedef struct {
    resolve_req_t *req;
} dns_state_t;

static const char *dns_name(const config_probe_t *p) { return p->query ? p->query : p->host; }

static void dns_free(probe_attempt_t *a)
{
    dns_state_t *st = a->priv;
    if (!st)
        return;
    resolver_cancel(st->req);
    free(st);
    a->priv = NULL;
}

static void dns_on_answer(void *ud, const resolve_answer_t *ans)
{
    probe_attempt_t *a = ud;
    const config_probe_t *p = a->probe;
    const char *name = dns_name(p);
    const char *type = p->qtype == 28 ? "AAAA" : "A";
    dns_state_t *st = a->priv;
    if (st)
        st->req = NULL;
    dns_free(a);
    a->dns_ms = probe_elapsed_ms(a);
    a->n_answers = 0;
    for (size_t i = 0; i < ans->n; i++)
        snprintf(a->answers[a->n_answers++], RESULT_ADDR_LEN, "%s", ans->addrs[i].text);

    switch (ans->status) {
    case ARES_SUCCESS:
        if (p->expect_nxdomain) {
            probe_finish(a, OUTCOME_DNS_ERROR, "%s %s: expected NXDOMAIN, got %zu address(es)", name, type,
                         ans->n);
            return;
        }
        for (size_t i = 0; i < ans->n; i++) {
            if (p->answers_within.n && !cidr_list_contains_str(&p->answers_within, ans->addrs[i].text)) {
                probe_finish(a, OUTCOME_CIDR_MISMATCH, "%s %s: %s is outside answers_within", name, type,
                             ans->addrs[i].text);
                return;
            }
        }
        probe_finish(a, OUTCOME_OK, "%s %s: %zu address(es), first %s", name, type, ans->n,
                     ans->n ? ans->addrs[0].text : "-");
        return;
    case ARES_ENOTFOUND:
        if (p->expect_nxdomain)
            probe_finish(a, OUTCOME_OK, "%s %s: NXDOMAIN, as expected", name, type);
        else
            probe_finish(a, OUTCOME_DNS_NXDOMAIN, "%s %s: NXDOMAIN", name, type);
        return;
    case ARES_ECONNREFUSED:
        /* c-ares reports an ICMP port/host unreachable from the server this way, and also a
         * refused or reset TCP fallback after a truncated answer: the server answered then. */
        if (ans->tcp_fallback)
            probe_finish(a, resolver_dns_probe_outcome(ans->status, true),
                         "%s %s: truncated UDP answer, then the TCP retry failed (%s)", name, type,
                         ans->error);
        else
            probe_finish(a, resolver_dns_probe_outcome(ans->status, false),
                         "%s %s: DNS server unreachable (%s)", name, type, ans->error);
        return;
    default:
        probe_finish(a, resolver_dns_probe_outcome(ans->status, ans->tcp_fallback), "%s %s: %s%s", name,
                     type, ans->error, ans->tcp_fallback ? " (after a truncated UDP answer, over TCP)" : "");
        return;
    }
}

static void dns_start(probe_attempt_t *a)
{
    char err[256] = "";
    const config_probe_t *p = a->probe;
    resolver_t *r = a->env->resolver_for(a->env, p->server, err, sizeof(err));
    if (!r) {
        probe_finish(a, OUTCOME_ERROR, "resolver for %s: %s", p->server ? p->server : "dns.servers", err);
        return;
    }
    dns_state_t *st = calloc(1, sizeof(*st));
    if (!st) {
        probe_finish(a, OUTCOME_ERROR, "out of memory");
        return;
    }
    a->priv = st;
    int family = p->qtype == 28 ? AF_INET6 : AF_INET;
    resolve_req_t *req = resolver_lookup(r, dns_name(p), family, dns_on_answer, a);
    /* NULL: the answer already came (synchronously) and a->priv is gone. */
    if (req && a->priv)
        st->req = req;
}

static void dns_abort(probe_attempt_t *a)
{
    dns_free(a);
    a->outcome = OUTCOME_DNS_TIMEOUT;
    snprintf(a->detail, sizeof(a->detail), "no DNS answer for %s within %d ms", dns_name(a->probe),
             a->timeout_ms);
}

const probe_ops_t dns_probe_ops = {
    .name = "dns",
    .env_init = NULL,
    .env_cleanup = NULL,
    .start = dns_start,
    .abort = dns_abort,
};
