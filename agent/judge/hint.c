/* hint.c: the one-sentence "likely cause and next command" of a failed or inconclusive probe
 * (hint.h). Hints see only the target, never credentials; URLs lose userinfo and query on the
 * way. A kind's own sentences come first (probe_ops_t.hint); these are the shared ones.
 * hint_write retries with tighter limits when a sentence did not fit, so a hint is always a
 * whole sentence. */
#include "hint.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "strbuf.h"
#include "verdict.h"

typedef struct {
    size_t host, ns, path, name;
} hint_limits_t;

#define HINT_HOST_MAX 80 /* the widest host cut; result_t keeps hosts only a little longer */
static const hint_limits_t hint_limits[] = {{HINT_HOST_MAX, 63, 30, 80}, {40, 40, 20, 40}, {20, 20, 8, 20}};
/* copy_cut reads the first max bytes and whether there are more: a host cut to
 * RESULT_HOST_LEN - 1 bytes gives the same hint as the whole one. */
_Static_assert(HINT_HOST_MAX + 1 < RESULT_HOST_LEN - 1, "result_t.host too short for hints");
#define HINT_LEVELS (sizeof(hint_limits) / sizeof(hint_limits[0]))

/* Copies n bytes of s into dst (size cap); beyond max bytes, cuts and appends "...". */
static void copy_cut(char *dst, size_t cap, const char *s, size_t n, size_t max)
{
    bool cut = false;
    if (max >= cap)
        max = cap - 1;
    if (n > max) {
        n = strbuf_utf8_cut(s, n, max > 3 ? max - 3 : 0);
        cut = true;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
    if (cut)
        memcpy(dst + n, "...", 4);
}

/* Splits "host:port", "[v6]:port" or a bare host. */
static void split_host_port(hint_parts_t *p, const char *s, size_t n, const char *defport,
                            const hint_limits_t *lim)
{
    const char *colon = NULL;
    if (n > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (close != NULL && close + 1 < s + n && close[1] == ':')
            colon = close + 1;
    } else {
        const char *first = memchr(s, ':', n);
        /* Only one colon: a v6 literal without brackets has no port we can tell apart. */
        if (first != NULL && memchr(first + 1, ':', (size_t)(s + n - first - 1)) == NULL)
            colon = first;
    }
    if (colon != NULL) {
        copy_cut(p->host, sizeof(p->host), s, (size_t)(colon - s), lim->host);
        copy_cut(p->port, sizeof(p->port), colon + 1, (size_t)(s + n - colon - 1), 7);
    } else {
        copy_cut(p->host, sizeof(p->host), s, n, lim->host);
        snprintf(p->port, sizeof(p->port), "%s", defport);
    }
    snprintf(p->endpoint, sizeof(p->endpoint), "%.88s%s%.7s", p->host, p->port[0] ? ":" : "", p->port);
}

/* A url target: the scheme as written, the port the kind gives a url without one
 * (probe_ops_t.default_port). */
static void parse_url(hint_parts_t *p, const char *t, int default_port, const hint_limits_t *lim)
{
    char defport[8] = "", scheme[9] = "";
    const char *auth = strstr(t, "://");
    if (default_port > 0 && default_port <= 65535)
        snprintf(defport, sizeof(defport), "%d", default_port & 0xffff);
    if (auth != NULL) {
        auth += 3;
        if ((size_t)(auth - t) < sizeof(scheme))
            copy_cut(scheme, sizeof(scheme), t, (size_t)(auth - t), sizeof(scheme) - 1);
    } else {
        auth = t;
    }
    size_t alen = strcspn(auth, "/?#");
    /* Drop userinfo: a "user:secret@" must never reach a report. */
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@')
            at = auth + i;
    const char *host = at != NULL ? at + 1 : auth;
    size_t hlen = alen - (size_t)(host - auth);
    split_host_port(p, host, hlen, defport, lim);

    char hostpart[96], path[40];
    copy_cut(hostpart, sizeof(hostpart), host, hlen, lim->host + 8);
    copy_cut(path, sizeof(path), auth + alen, strcspn(auth + alen, "?#"), lim->path);
    snprintf(p->url, sizeof(p->url), "%.8s%.88s%.30s", scheme, hostpart, path);
}

/* dns targets read "name A @server" (config_probe_target); "name/A@server" and a bare
 * name are tolerated too. */
static void parse_dns(hint_parts_t *p, const char *t, const hint_limits_t *lim)
{
    copy_cut(p->host, sizeof(p->host), t, strcspn(t, " /@"), lim->host);
    snprintf(p->endpoint, sizeof(p->endpoint), "%s", p->host);
    snprintf(p->url, sizeof(p->url), "%s", p->host);
    snprintf(p->port, sizeof(p->port), "53");
}

static void parts_init(hint_parts_t *p, const result_t *r, const hint_ctx_t *ctx, const hint_limits_t *lim)
{
    char name[96], role[96];
    const char *ns = ctx != NULL ? ctx->namespace_ : NULL;
    const char *ro = ctx != NULL ? ctx->role : NULL;
    const probe_ops_t *ops = probe_ops_for(r->kind);

    memset(p, 0, sizeof(*p));
    if (ns == NULL || ns[0] == '\0')
        ns = "<namespace>";
    copy_cut(role, sizeof(role), ns, strlen(ns), lim->ns);
    snprintf(p->ns, sizeof(p->ns), "-n %.64s", role);
    copy_cut(name, sizeof(name), r->name, strnlen(r->name, sizeof(r->name)), lim->name);
    if (ro != NULL && ro[0] != '\0') {
        copy_cut(role, sizeof(role), ro, strlen(ro), lim->name);
        snprintf(p->rerun, sizeof(p->rerun), "`ztprobe run --role %.80s -v --only %.80s`", role, name);
    } else {
        snprintf(p->rerun, sizeof(p->rerun), "`ztprobe run -v --only %.80s`", name);
    }

    /* The url of a url target (its path is worth naming), else host:port. */
    const char *target = result_text(r, RESULT_TARGET);
    if (strstr(target, "://") != NULL)
        parse_url(p, target, ops ? ops->default_port : 0, lim);
    else if (!r->host[0] && strpbrk(target, " /@") != NULL)
        parse_dns(p, target, lim); /* "name A @server", read back from a report */
    else if (!r->host[0])
        split_host_port(p, target, strlen(target), "", lim);
    if (r->host[0]) { /* the parsed target the session recorded wins */
        char port[8] = "";
        if (r->port > 0 && r->port <= 65535)
            snprintf(port, sizeof(port), "%d", r->port & 0xffff);
        copy_cut(p->host, sizeof(p->host), r->host, strnlen(r->host, sizeof(r->host)), lim->host);
        snprintf(p->port, sizeof(p->port), "%s", port);
        bool v6 = strchr(p->host, ':') != NULL;
        snprintf(p->endpoint, sizeof(p->endpoint), "%s%.88s%s%s%.7s", v6 && port[0] ? "[" : "", p->host,
                 v6 && port[0] ? "]" : "", port[0] ? ":" : "", port);
    }
    if (!p->url[0])
        snprintf(p->url, sizeof(p->url), "%s", p->endpoint);
}

#define HINT(...) snprintf(buf, len, __VA_ARGS__)

/* Shared by allow probes and, for the DNS phase, every probe. */
static bool hint_resolution(const result_t *r, const hint_parts_t *p, char *buf, size_t len)
{
    const char *within = "resolved_within";
    switch (r->outcome) {
    case OUTCOME_DNS_TIMEOUT: hint_dns_unanswered(p, "dns_timeout", buf, len); return true;
    case OUTCOME_DNS_NXDOMAIN:
        HINT("The name %s does not exist: check the Service name and its namespace (another "
             "namespace needs NAME.NAMESPACE.svc.cluster.local) with `kubectl get svc %s`.",
             p->host, p->ns);
        return true;
    case OUTCOME_DNS_NODATA:
        HINT("%s exists but has no address of the requested type: check the record type (A or "
             "AAAA) and that the Service has ready endpoints with `kubectl get svc,endpoints %s`.",
             p->host, p->ns);
        return true;
    case OUTCOME_DNS_ERROR:
        HINT("Resolving %s failed with a DNS server error (SERVFAIL, REFUSED or a malformed "
             "answer): check the DNS server with `kubectl logs -n kube-system -l "
             "k8s-app=kube-dns`.",
             p->host);
        return true;
    case OUTCOME_CIDR_MISMATCH:
        HINT("%s resolved to an address outside %s, so the policy's ipBlock would not cover "
             "it: compare `nslookup %s` with the ipBlock CIDR and update the ipBlock or %s.",
             p->host, within, p->host, within);
        return true;
    default: return false;
    }
}

static void hint_allow(const result_t *r, const hint_parts_t *p, char *buf, size_t len)
{
    if (hint_resolution(r, p, buf, len))
        return;
    switch (r->outcome) {
    case OUTCOME_TIMEOUT:
        HINT("The connection to %s timed out (packets dropped): an egress rule for this pod is "
             "missing or names the wrong port, or the pod's labels do not match the policy's "
             "podSelector; check port %s in `kubectl describe networkpolicy %s` and `kubectl "
             "get pods %s --show-labels`.",
             p->endpoint, p->port, p->ns, p->ns);
        break;
    case OUTCOME_REFUSED:
        HINT("%s refused the connection: nothing listens on port %s or the Service has no "
             "ready endpoints; check `kubectl get endpoints %s` and the container's port.",
             p->endpoint, p->port, p->ns);
        break;
    case OUTCOME_UNREACHABLE:
        HINT("%s is unreachable (ICMP unreachable or prohibited, or a local filter): a policy "
             "or firewall rejects this path; look for an egress rule to it on port %s with "
             "`kubectl describe networkpolicy %s`.",
             p->endpoint, p->port, p->ns);
        break;
    case OUTCOME_TLS_ERROR:
        HINT("The TLS handshake with %s failed though the path is open: the certificate is not "
             "signed by the CA in ca_file or does not name the host; inspect it with `openssl "
             "s_client -connect %s -servername %s`.",
             p->endpoint, p->endpoint, p->host);
        break;
    case OUTCOME_APP_TIMEOUT:
        HINT("%s accepted the connection but did not answer in time: the application is "
             "overloaded or hung, or an egress proxy or sidecar accepted the connection; check "
             "the application's logs, or raise timeout_ms if it is only slow.",
             p->endpoint);
        break;
    case OUTCOME_PROTOCOL_ERROR:
        HINT("%s accepted the connection, then reset or closed it or spoke another protocol: "
             "check that port %s serves this kind of probe (http or https, postgres) with "
             "`kubectl get svc %s`.",
             p->endpoint, p->port, p->ns);
        break;
    case OUTCOME_ERROR:
        HINT("The probe failed with an internal error: see the detail and rerun with %s.", p->rerun);
        break;
    default: hint_generic(r, p, buf, len); break;
    }
}

static void hint_deny_fail(const result_t *r, const hint_parts_t *p, char *buf, size_t len)
{
    HINT("The path to %s that the policy should block is open (%s): no default-deny "
         "policy selects this pod (its labels do not match the podSelector), an allow rule "
         "is too broad, or the CNI does not enforce NetworkPolicy; run `kubectl get "
         "networkpolicies %s` and `kubectl get pods %s --show-labels`.",
         p->endpoint, outcome_name(r->outcome), p->ns, p->ns);
}

static void hint_deny_inconclusive(const result_t *r, const hint_parts_t *p, char *buf, size_t len)
{
    const char *o = outcome_name(r->outcome);
    if (r->outcome == OUTCOME_ERROR) {
        HINT("The probe failed with an internal error, so the path was not tested: see the "
             "detail and rerun with %s.",
             p->rerun);
    } else if (outcome_is_dns(r->outcome)) {
        HINT("%s could not be resolved (%s), so the path was not tested: fix DNS first (the "
             "name, or UDP and TCP port 53 egress to kube-dns in kube-system), then rerun.",
             p->host, o);
    } else if (r->outcome == OUTCOME_CIDR_MISMATCH) {
        HINT("%s resolved outside resolved_within, so the probe did not connect and the path "
             "was not tested: update resolved_within (or the ipBlock) to the addresses "
             "`nslookup %s` returns.",
             p->host, p->host);
    } else if (r->outcome == OUTCOME_REFUSED) {
        HINT("%s refused the connection, which proves neither way: a policy rejected it (add "
             "\"refused\" to deny_outcomes if your CNI rejects instead of dropping) or nothing "
             "listens on port %s (check `kubectl get endpoints %s`).",
             p->endpoint, p->port, p->ns);
    } else {
        HINT("The outcome %s is not in deny_outcomes, so the path was not proven closed: add "
             "\"%s\" to deny_outcomes if that is how your network denies, or rerun with %s.",
             o, o, p->rerun);
    }
}

/* family: all, where one family passed and the other did not: the classic cause is an
 * ipBlock (or its except ranges) written for one family only. */
static bool hint_families(const result_t *r, const hint_parts_t *p, char *buf, size_t len)
{
    const probe_ops_t *ops = probe_ops_for(r->kind);
    bool seen[2] = {false, false}, bad[2] = {false, false};
    outcome_t bad_o[2] = {OUTCOME_ERROR, OUTCOME_ERROR};
    char bad_a[2][RESULT_ADDR_LEN] = {"", ""};
    for (size_t i = 0; i < r->n_addr_results && i < RESULT_MAX_ADDRS; i++) {
        const result_addr_t *a = &r->addr_results[i];
        int f = ip_addr_is_v6(&a->address);
        bool broke = r->expect == EXPECT_DENY ? probe_breaks_deny(ops, 0, a->outcome)
                                              : a->outcome != OUTCOME_OK;
        seen[f] = true;
        if (broke && !bad[f]) {
            bad[f] = true;
            bad_o[f] = a->outcome;
            ip_addr_format(&a->address, bad_a[f]);
        }
    }
    if (!seen[0] || !seen[1] || bad[0] == bad[1])
        return false;
    int b = bad[1], g = !b;
    const char *fam[2] = {"IPv4", "IPv6"};
    if (r->expect == EXPECT_DENY)
        HINT("The deny held over %s but not over %s (%s at %.46s): the policy's ipBlocks or "
             "their except ranges are written for %s only, so the %s path is open; add the %s "
             "CIDRs to them (`kubectl get networkpolicy %s -o yaml`).",
             fam[g], fam[b], outcome_name(bad_o[b]), bad_a[b], fam[g], fam[b], fam[b], p->ns);
    else
        HINT("%s answers over %s but not over %s (%s at %.46s): the allow rule's ipBlock covers "
             "%s only, or the service does not listen on %s; check `kubectl get networkpolicy "
             "%s -o yaml` and the Service's ipFamilies.",
             p->endpoint, fam[g], fam[b], outcome_name(bad_o[b]), bad_a[b], fam[g], fam[b], p->ns);
    return true;
}

void hint_write(const result_t *r, const hint_ctx_t *ctx, char *buf, size_t len)
{
    hint_parts_t p;

    if (buf == NULL || len == 0)
        return;
    buf[0] = '\0';
    if (r == NULL || r->verdict == VERDICT_PASS)
        return;
    for (size_t level = 0; level < HINT_LEVELS; level++) {
        parts_init(&p, r, ctx, &hint_limits[level]);
        const probe_ops_t *ops = probe_ops_for(r->kind);
        if (hint_families(r, &p, buf, len))
            ;
        else if (ops && ops->hint && ops->hint(r, &p, buf, len))
            ;
        else if (r->expect == EXPECT_ALLOW)
            hint_allow(r, &p, buf, len);
        else if (r->verdict == VERDICT_FAIL)
            hint_deny_fail(r, &p, buf, len);
        else
            hint_deny_inconclusive(r, &p, buf, len);
        if (strlen(buf) + 1 < len) /* it fit */
            break;
    }
}
