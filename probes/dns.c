/* dns.c: the dns probe: one lookup through the run's resolver (or the probe's own server),
 * judged on the answer's rcode and addresses; with deny_at: l7, one query whose rcode decides. A blocked DNS path shows as dns_timeout (drop)
 * or refused (reject), which is what an expect: deny dns probe wants to see. */
#include <ares.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "probe.h"
#include "resolve.h"

typedef struct {
    resolve_req_t *req;
} dns_state_t;

static const char *dns_name(const config_probe_t *p)
{
    return p->query ? p->query : p->host;
}

static void dns_free(probe_attempt_t *a)
{
    dns_state_t *st = a->priv;
    if (!st)
        return;
    resolver_cancel(st->req);
    free(st);
    a->priv = NULL;
}

/* The resolver answered (the request is spent): the attempt's state goes, the lookup time
 * and the addresses stay on the attempt. */
static void dns_take(probe_attempt_t *a, const resolve_answer_t *ans)
{
    dns_state_t *st = a->priv;
    if (st)
        st->req = NULL;
    dns_free(a);
    a->dns_ms = probe_elapsed_ms(a);
    a->n_answers = 0;
    for (size_t i = 0; i < ans->n; i++)
        snprintf(a->answers[a->n_answers++], RESULT_ADDR_LEN, "%s", ans->text[i]);
}

static void dns_on_answer(void *ud, const resolve_answer_t *ans)
{
    probe_attempt_t *a = ud;
    const config_probe_t *p = a->probe;
    const char *name = dns_name(p);
    const char *type = p->qtype == 28 ? "AAAA" : "A";
    dns_take(a, ans);

    switch (ans->status) {
    case ARES_SUCCESS:
        if (p->expect_nxdomain) {
            a->facts |= RESULT_FACT_NOT_NXDOMAIN;
            probe_finish(a, OUTCOME_DNS_ERROR, "%s %s: expected NXDOMAIN, got %zu address(es)", name, type,
                         ans->n);
            return;
        }
        for (size_t i = 0; i < ans->n; i++) {
            if (p->answers_within.n && !cidr_list_contains_ip(&p->answers_within, &ans->addrs[i])) {
                probe_finish(a, OUTCOME_CIDR_MISMATCH, "%s %s: %s is outside answers_within", name, type,
                             ans->text[i]);
                return;
            }
        }
        probe_finish(a, OUTCOME_OK, "%s %s: %zu address(es), first %s", name, type, ans->n,
                     ans->n ? ans->text[0] : "-");
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
        probe_finish(a, resolver_dns_probe_outcome(ans->status, ans->tcp_fallback), "%s %s: %s%s", name, type,
                     ans->error, ans->tcp_fallback ? " (after a truncated UDP answer, over TCP)" : "");
        return;
    }
}

/* deny_at: l7: the answer's rcode decides. REFUSED is what Cilium's DNS proxy answers for a
 * name its L7 DNS rule does not allow (the query went no further); any other rcode means a
 * resolver answered, so the path was open; no answer at all proves nothing (the verdict for
 * anything but l7_denied is then inconclusive, see config_probe_deny_outcomes). */
static void dns_on_rcode(void *ud, const resolve_answer_t *ans)
{
    probe_attempt_t *a = ud;
    const config_probe_t *p = a->probe;
    const char *name = dns_name(p);
    const char *type = p->qtype == 28 ? "AAAA" : "A";
    dns_take(a, ans);
    if (ans->status != ARES_SUCCESS) {
        probe_finish(a, resolver_dns_probe_outcome(ans->status, false),
                     "%s %s: %s (no answer, so no DNS proxy refusal)", name, type, ans->error);
        return;
    }
    switch (ans->rcode) {
    case 5:
        probe_finish(a, OUTCOME_L7_DENIED,
                     "%s %s: REFUSED, as a DNS proxy answers for a name its L7 rule denies", name, type);
        return;
    case 0:
        probe_finish(a, ans->n ? OUTCOME_OK : OUTCOME_DNS_NODATA, "%s %s: NOERROR, %zu address(es)%s%s", name,
                     type, ans->n, ans->n ? ", first " : "", ans->n ? ans->text[0] : "");
        return;
    case 3:
        probe_finish(a, OUTCOME_DNS_NXDOMAIN, "%s %s: NXDOMAIN (a resolver answered)", name, type);
        return;
    default:
        probe_finish(a, OUTCOME_DNS_ERROR, "%s %s: rcode %d (a resolver answered)", name, type, ans->rcode);
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
    if (p->deny_at_l7) /* also for the deadline's dns_timeout: the hint says why it is no pass */
        a->facts |= RESULT_FACT_DNS_L7;
    int family = p->qtype == 28 ? AF_INET6 : AF_INET;
    resolve_req_t *req = p->deny_at_l7 ? resolver_query_rcode(r, dns_name(p), p->qtype, dns_on_rcode, a)
                                       : resolver_lookup(r, dns_name(p), family, dns_on_answer, a);
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

static const char *const dns_keys[] = {"query",          "type",    "server", "expect_rcode",
                                       "answers_within", "deny_at", NULL};

static int dns_parse(struct config_ctx *cx, const cJSON *o, const char *path, config_probe_t *p)
{
    char fp[CONFIG_PATH_LEN];
    const cJSON *v;
    int fam;
    if (!(v = config_json_field(o, path, "query", fp)))
        return config_json_fail(cx, fp, "required for kind dns");
    if (config_json_str(cx, v, fp, CONFIG_HOST_MAX + 1, &p->query) != 0)
        return -1;
    if (config_json_ip_literal(p->query, &fam) || !config_json_dns_name_ok(p->query))
        return config_json_fail(cx, fp, "must be a DNS name");
    if (!(p->host = strdup(p->query)))
        return config_json_oom(cx);
    p->port = 0;
    p->qtype = 1;
    if ((v = config_json_field(o, path, "type", fp))) {
        if (!cJSON_IsString(v))
            return config_json_fail(cx, fp, "must be A or AAAA");
        if (strcmp(v->valuestring, "AAAA") == 0)
            p->qtype = 28;
        else if (strcmp(v->valuestring, "A") != 0)
            return config_json_fail(cx, fp, "must be A or AAAA");
    }
    if ((v = config_json_field(o, path, "server", fp))) {
        if (config_json_str(cx, v, fp, 64, &p->server) != 0)
            return -1;
        if (!config_json_server_ok(p->server))
            return config_json_fail(cx, fp,
                                    "must be an IP address with an optional port "
                                    "(10.96.0.10, 10.96.0.10:53, [fd00::10]:53)");
    }
    if ((v = config_json_field(o, path, "expect_rcode", fp))) {
        if (!cJSON_IsString(v))
            return config_json_fail(cx, fp, "must be noerror or nxdomain");
        if (strcmp(v->valuestring, "nxdomain") == 0)
            p->expect_nxdomain = true;
        else if (strcmp(v->valuestring, "noerror") != 0)
            return config_json_fail(cx, fp, "must be noerror or nxdomain");
    }
    if ((v = config_json_field(o, path, "answers_within", fp)) &&
        config_json_cidrs(cx, v, fp, &p->answers_within) != 0)
        return -1;
    /* l7: pass only on REFUSED, Cilium's DNS proxy refusing a name its rule denies. */
    if (config_probe_deny_at(cx, o, path, p) != 0)
        return -1;
    if (p->deny_at_l7 && (p->expect_nxdomain || p->answers_within.n) &&
        config_json_field(o, path, "deny_at", fp))
        return config_json_fail(cx, fp, "l7 takes no expect_rcode or answers_within: only REFUSED passes");
    return 0;
}

static void dns_target(const config_probe_t *p, char *buf, size_t len)
{
    snprintf(buf, len, "%s %s%s%s", p->query ? p->query : "?", p->qtype == 28 ? "AAAA" : "A",
             p->server ? " @" : "", p->server ? p->server : "");
}

#define HINT(...) snprintf(buf, len, __VA_ARGS__)

/* The dns kind's own sentences: its transport is DNS, so no answer means blocked DNS egress,
 * and any answer breaks a deny. */
static bool dns_hint(const result_t *r, const hint_parts_t *p, char *buf, size_t len)
{
    if (r->expect == EXPECT_DENY && (r->facts & RESULT_FACT_DNS_L7)) {
        if (r->verdict == VERDICT_FAIL)
            HINT("A DNS server answered for %s (%s) where an L7 DNS rule should have it refused "
                 "(REFUSED from Cilium's DNS proxy): the name matches the rule's matchName or "
                 "matchPattern, or no rules.dns applies to this pod's port 53 egress; run "
                 "`kubectl get ciliumnetworkpolicies %s -o yaml`.",
                 p->host, outcome_name(r->outcome), p->ns);
        else
            HINT("No answer from the DNS server for %s (%s): deny_at l7 passes only on the DNS "
                 "proxy's REFUSED, and silence or a reject is an L3 drop or a missing server; "
                 "check that DNS egress is allowed to the server with a rules.dns rule.",
                 p->host, outcome_name(r->outcome));
        return true;
    }
    if (r->expect == EXPECT_DENY && r->verdict == VERDICT_FAIL) {
        HINT("The DNS server answered for %s (%s) though DNS egress should be blocked: no "
             "policy blocks port 53 from this pod (check its labels against the podSelector), "
             "or the CNI does not enforce NetworkPolicy; run `kubectl get networkpolicies %s` "
             "and `kubectl get pods %s --show-labels`.",
             p->host, outcome_name(r->outcome), p->ns, p->ns);
        return true;
    }
    if (outcome_connected(r->outcome)) { /* not a dns probe's outcome */
        hint_generic(r, p, buf, len);
        return true;
    }
    if (r->expect == EXPECT_DENY)
        return false;
    if (r->outcome == OUTCOME_TIMEOUT || r->outcome == OUTCOME_UNREACHABLE || r->outcome == OUTCOME_REFUSED) {
        hint_dns_unanswered(p, outcome_name(r->outcome), buf, len);
        return true;
    }
    if (r->outcome == OUTCOME_DNS_ERROR && (r->facts & RESULT_FACT_NOT_NXDOMAIN)) {
        HINT("%s exists although the probe expects NXDOMAIN: remove the record or fix the "
             "name or expect_rcode; see `nslookup %s`.",
             p->host, p->host);
        return true;
    }
    if (r->outcome == OUTCOME_CIDR_MISMATCH) {
        HINT("%s resolved to an address outside answers_within, so the policy's ipBlock would "
             "not cover it: compare `nslookup %s` with the ipBlock CIDR and update the ipBlock "
             "or answers_within.",
             p->host, p->host);
        return true;
    }
    return false;
}

const probe_ops_t dns_probe_ops = {
    .name = "dns",
    .resolves = false,
    .queries_dns = true,
    .transport = PROBE_TRANSPORT_UDP,
    .env_kind = KIND_DNS,
    /* A server that answered at all (even "no such name") proves port 53 open. */
    .open = OUTCOME_BIT(OUTCOME_OK) | OUTCOME_BIT(OUTCOME_DNS_NXDOMAIN) | OUTCOME_BIT(OUTCOME_DNS_NODATA) |
        OUTCOME_BIT(OUTCOME_DNS_ERROR) | OUTCOME_BIT(OUTCOME_CIDR_MISMATCH),
    /* What a blocked DNS path looks like from the client: no answer, or a reject. */
    .closed = OUTCOME_BIT(OUTCOME_DNS_TIMEOUT) | OUTCOME_BIT(OUTCOME_UNREACHABLE) |
        OUTCOME_BIT(OUTCOME_REFUSED),
    .open_listable = true,
    .keys = dns_keys,
    .parse = dns_parse,
    .target = dns_target,
    .hint = dns_hint,
    .start = dns_start,
    .abort = dns_abort,
};
