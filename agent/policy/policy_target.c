/* policy_target.c: one probe's intent. The role's pods are the pods of its namespace that
 * its selector matches (or, when the objects hold none, a pod carrying exactly the selector's
 * labels); the target is a Service's pods on the targetPort, a pod or Service by IP, an
 * outside address, or an outside name (its resolved_within blocks, else anywhere). Every
 * (source pod, target) pair is asked; they must all agree, else the answer is unknown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_check.h"
#include "policy_dst.h"
#include "policy_l7.h"
#include "policy_reason.h"
#include "policy_steps.h"
#include "probe.h"
#include "result.h"

_Static_assert(POLICY_WHY_LEN == POLICY_REASON_LEN, "a destination's why becomes the reason whole");

#define PT_MAX_SRC 64 /* role pods asked (distinct templates; replicas are one entry) */

zt_status_t policy_role_namespace(k8s_model_t *m, const config_role_t *role, const char *ns_flag, size_t *ns,
                                  char *err, size_t errlen)
{
    const char *name = role->namespace ? role->namespace : ns_flag;
    if (!name) {
        char seen[256] = "";
        long found = -1;
        for (size_t i = 0; i < m->n_pods; i++) {
            if (!labels_match(&role->selector, &m->pods[i].labels) || (long)m->pods[i].ns == found)
                continue;
            const char *nn = m->namespaces[m->pods[i].ns].name;
            if (found >= 0 && !strstr(seen, nn)) {
                size_t l = strlen(seen);
                snprintf(seen + l, sizeof(seen) - l, ", %s", nn);
            } else if (found < 0) {
                snprintf(seen, sizeof(seen), "%s", nn);
            }
            if (found < 0)
                found = (long)m->pods[i].ns;
            else
                found = -2;
        }
        if (found == -1 || strchr(seen, ',')) {
            char sel[256];
            labels_format(&role->selector, sel, sizeof(sel));
            if (found == -1)
                snprintf(err, errlen,
                         "roles.%s: no namespace: no pod or workload in the objects carries %s; "
                         "set roles.%s.namespace or --namespace",
                         role->name, *sel ? sel : "its labels", role->name);
            else
                snprintf(err, errlen,
                         "roles.%s: ambiguous namespace: workloads matching %s are in %s; set "
                         "roles.%s.namespace or --namespace",
                         role->name, *sel ? sel : "{}", seen, role->name);
            return ZT_ERR_INPUT;
        }
        *ns = (size_t)found;
        return ZT_OK;
    }
    return k8s_model_namespace(m, name, ns) == 0 ? ZT_OK : ZT_ERR_NOMEM;
}

static void pt_add_cal_by(policy_intent_t *o, const netpol_side_t *s, netpol_dir_t dir)
{
    const cal_step_t *c = &s->calico;
    if (c->by != CAL_BY_RULE || c->verdict != CAL_V_ALLOW)
        return;
    for (size_t j = 0; j < o->n_cal_by; j++)
        if (o->cal_by[j].policy == c->policy && o->cal_by[j].dir == dir && o->cal_by[j].rule == c->rule)
            return;
    if (o->n_cal_by < POLICY_BY_MAX)
        o->cal_by[o->n_cal_by++] = (netpol_ref_t){c->policy, dir, c->rule};
}

/* The Cilium allow rule that decided a side (the chain's final step), for coverage. */
static void pt_add_cil_by(policy_intent_t *o, const netpol_side_t *s, netpol_dir_t dir)
{
    const tier_step_t *st = s->n_chain ? &s->chain[s->n_chain - 1] : NULL;
    if (!st || st->action != TIER_ALLOW || !st->kind || strncmp(st->kind, "Cilium", 6) != 0 || !st->has_rule)
        return;
    for (size_t j = 0; j < o->n_cil_by; j++)
        if (o->cil_by[j].policy == st->policy && o->cil_by[j].dir == dir && o->cil_by[j].rule == st->rule)
            return;
    if (o->n_cil_by < POLICY_BY_MAX)
        o->cil_by[o->n_cil_by++] = (netpol_ref_t){st->policy, dir, st->rule};
}

static void pt_add_by(policy_intent_t *o, const netpol_side_t *s)
{
    for (size_t i = 0; i < s->n_by; i++) {
        bool dup = false;
        for (size_t j = 0; j < o->n_by; j++)
            dup = dup ||
                (o->by[j].policy == s->by[i].policy && o->by[j].dir == s->by[i].dir &&
                 o->by[j].rule == s->by[i].rule);
        if (!dup && o->n_by < POLICY_BY_MAX)
            o->by[o->n_by++] = s->by[i];
    }
}

static netpol_verdict_t pt_merge(netpol_verdict_t acc, netpol_verdict_t v, bool first)
{
    return first ? v : acc == v ? acc : NETPOL_UNKNOWN;
}

static k8s_proto_t pt_proto(const config_probe_t *p)
{
    switch (probe_kind_transport(p->kind)) {
    case PROBE_TRANSPORT_UDP: return K8S_UDP;
    case PROBE_TRANSPORT_SCTP: return K8S_SCTP;
    default: return K8S_TCP;
    }
}

/* The one part to change, on the side that denies (egress first, as a packet meets it). */
static void pt_mismatch(const k8s_model_t *m, const config_role_t *role, const netpol_answer_t *a,
                        policy_intent_t *o)
{
    char me[120];
    snprintf(me, sizeof(me), "role %.60s's pod", role->name);
    const char *target = o->dst.is_pod ? "the target's pod" : "the target";
    const netpol_side_t *den = a->egress.verdict == NETPOL_DENY ? &a->egress : &a->ingress;
    /* Only when the NetworkPolicies decided: an admin or baseline deny is told by its chain. */
    if (den->n_chain == 0 || den->chain[den->n_chain - 1].stage != TIER_STAGE_NAMESPACED)
        return;
    if (a->egress.verdict == NETPOL_DENY)
        netpol_explain_mismatch(m, &a->egress, NETPOL_EGRESS, &o->src, &o->dst, &o->dst, o->port, o->proto,
                                me, target, &o->mismatch);
    else
        netpol_explain_mismatch(m, &a->ingress, NETPOL_INGRESS, &o->dst, &o->src, &o->dst, o->port, o->proto,
                                target, me, &o->mismatch);
}

/* The reason when an admin or baseline policy takes part: each side's chain that does. */
/* An admin or baseline policy (ClusterNetworkPolicy, AdminNetworkPolicy) took part: the
 * tier sentence says it, CNI steps included. */
static bool pt_admin_step(const netpol_answer_t *a)
{
    const netpol_side_t *sides[2] = {&a->egress, &a->ingress};
    for (int i = 0; i < 2; i++)
        for (size_t k = 0; k < sides[i]->n_chain; k++) {
            const tier_step_t *st = &sides[i]->chain[k];
            bool cni = st->kind &&
                (strncmp(st->kind, "Calico", 6) == 0 || strncmp(st->kind, "Cilium", 6) == 0);
            if ((st->stage == TIER_STAGE_ADMIN || st->stage == TIER_STAGE_BASELINE) && !cni)
                return true;
        }
    return false;
}

static bool pt_tiered(const netpol_answer_t *last, policy_intent_t *o)
{
    const netpol_side_t *sides[2] = {&last->egress, &last->ingress};
    size_t off = 0;
    if (!policy_steps_tiered(last->egress.chain, last->egress.n_chain) &&
        !policy_steps_tiered(last->ingress.chain, last->ingress.n_chain))
        return false;
    for (int i = 0; i < 2; i++) {
        const netpol_side_t *s = sides[i];
        if (!s->applies || (s->n_chain == 1 && s->chain[0].stage == TIER_STAGE_DEFAULT))
            continue;
        if (o->intended == NETPOL_DENY && s->verdict != NETPOL_DENY)
            continue;
        char t[POLICY_REASON_LEN];
        policy_steps_text(s->chain, s->n_chain, i == 0, t, sizeof(t));
        int w = snprintf(o->reason + off, sizeof(o->reason) - off, "%s%s: %s", off ? "; " : "",
                         i == 0 ? "egress" : "ingress", t);
        off += w > 0 ? (size_t)w : 0;
        if (off >= sizeof(o->reason))
            break;
    }
    return true;
}

static void pt_sentence(const k8s_model_t *m, const config_role_t *role, const config_probe_t *p,
                        const netpol_answer_t *last, k8s_proto_t proto, int port, policy_intent_t *o,
                        const char *why)
{
    char pol[300], near[420] = "";
    if (why) {
        snprintf(o->reason, sizeof(o->reason), "%s", why);
        return;
    }
    if (last) {
        memcpy(o->egress_chain, last->egress.chain, sizeof(o->egress_chain));
        o->n_egress_chain = last->egress.n_chain;
        memcpy(o->ingress_chain, last->ingress.chain, sizeof(o->ingress_chain));
        o->n_ingress_chain = last->ingress.n_chain;
    }
    if (last && !pt_admin_step(last) && !(last->egress.foreign || last->ingress.foreign) &&
        policy_reason_cni(m, last, o->reason, sizeof(o->reason))) {
        o->cni = true; /* a CNI's own policies decided: their steps, named */
        return;
    }
    if (last && !(o->intended == NETPOL_UNKNOWN && (last->egress.foreign || last->ingress.foreign)) &&
        (o->intended != NETPOL_UNKNOWN || last->verdict == NETPOL_UNKNOWN) && pt_tiered(last, o))
        return;
    if (o->intended == NETPOL_ALLOW) {
        if (o->n_by == 0) {
            snprintf(o->reason, sizeof(o->reason), "no policy isolates either end for %s %d",
                     k8s_proto_name(proto), port);
            return;
        }
        netpol_policy_name(m, o->by[0].policy, pol, sizeof(pol));
        snprintf(o->reason, sizeof(o->reason), "allowed by %s %s rule %zu%s", pol,
                 o->by[0].dir == NETPOL_EGRESS ? "egress" : "ingress", o->by[0].rule,
                 o->n_by > 1 ? " and the other rules in by" : "");
        return;
    }
    if (o->intended == NETPOL_UNKNOWN) {
        snprintf(o->reason, sizeof(o->reason), "%s",
                 o->cause ? o->cause : "the pods of the role or of the target are not treated alike");
        if (last && (last->egress.foreign || last->ingress.foreign)) {
            const k8s_foreign_t *f =
                &m->foreign[last->egress.foreign ? last->egress.foreign_idx : last->ingress.foreign_idx];
            snprintf(o->reason, sizeof(o->reason), "%s %s%s%s (%s) may change this path", f->kind,
                     f->ns ? f->ns : "", f->ns ? "/" : "", f->name, f->why);
        }
        return;
    }
    bool eg = o->egress == NETPOL_DENY;
    const netpol_side_t *s = last ? (eg ? &last->egress : &last->ingress) : NULL;
    if (!s) {
        snprintf(o->reason, sizeof(o->reason), "denied");
        return;
    }
    netpol_policy_name(m, s->first_selecting, pol, sizeof(pol));
    if (o->mismatch.set) {
        snprintf(near, sizeof(near), "; %s", o->mismatch.sentence);
    } else if (o->near != NETPOL_NEAR_NONE) {
        char np[300];
        netpol_policy_name(m, o->nearest.policy, np, sizeof(np));
        snprintf(near, sizeof(near), "; nearest: %.200s %s rule %zu (%s)", np,
                 o->nearest.dir == NETPOL_EGRESS ? "egress" : "ingress", o->nearest.rule,
                 o->near == NETPOL_NEAR_OTHER_PORT ? "same peer, other ports" : "this port, other peers");
    }
    char target[RESULT_TARGET_LEN];
    config_probe_target(p, target, sizeof(target));
    if (s->n_selecting > 1)
        snprintf(pol, sizeof(pol), "the %zu policies selecting %s", s->n_selecting,
                 eg ? "the role" : "the target");
    if (eg)
        snprintf(o->reason, sizeof(o->reason), "no egress rule of %.100s allows %s %d to %.80s%.420s", pol,
                 k8s_proto_name(proto), port, target, near);
    else
        snprintf(o->reason, sizeof(o->reason), "no ingress rule of %.100s allows %s %d from role %.60s%.420s",
                 pol, k8s_proto_name(proto), port, role->name, near);
}

/* The pod's own labels (own, when known) decide which of the role's pods it is: the workloads
 * whose labels it carries (a template's labels plus pod-template-hash), else a pod carrying
 * exactly its labels; without them, the pods the role's selector matches. */
static bool pt_is_source(const config_role_t *role, const labels_t *own, const labels_t *pod)
{
    return own ? pod->n > 0 && labels_match(pod, own) : labels_match(&role->selector, pod);
}

static void pt_probe(const k8s_model_t *m, const config_t *cfg, const config_role_t *role, size_t ns,
                     const labels_t *own, const config_probe_t *p, k8s_proto_t proto, policy_intent_t *o)
{
    policy_dst_t d[POLICY_MAX_DST];
    size_t nsrc = 0, src[PT_MAX_SRC], nd = 0;
    policy_why_t why = {.text = "", .unselected = false};
    memset(o, 0, sizeof(*o));
    for (size_t k = 0; k < m->namespaces[ns].n_pods && nsrc < PT_MAX_SRC; k++)
        if (pt_is_source(role, own, &m->pods[m->namespaces[ns].pods[k]].labels))
            src[nsrc++] = m->namespaces[ns].pods[k];
    if (probe_kind_queries_dns(p->kind)) {
        nd = policy_dst_dns(m, cfg, p, proto, d, &why);
    } else if (ip_addr_parse(p->host, &(ip_addr_t){0})) {
        nd = policy_dst_ip(m, p->host, p->port, proto, d, &why);
    } else {
        const k8s_service_t *s = policy_dst_find_service(m, ns, p->host);
        if (s) {
            nd = policy_dst_service(m, s, p->port, proto, d, &why);
        } else if (policy_dst_cluster_name(p->host)) {
            snprintf(why.text, sizeof(why.text), "the Service %s is not in the objects (add it and its pods)",
                     p->host);
        } else if (p->resolved_within.n > 0) {
            for (size_t i = 0; i < p->resolved_within.n && nd < POLICY_MAX_DST; i++, nd++) {
                memset(&d[nd], 0, sizeof(d[nd]));
                netpol_endpoint_range(&p->resolved_within.items[i], &d[nd].ep);
                d[nd].port = p->port;
            }
        } else { /* anywhere: every IPv4 and IPv6 address */
            memset(d, 0, 2 * sizeof(d[0]));
            policy_dst_range("0.0.0.0/0", &d[0].ep);
            policy_dst_range("::/0", &d[1].ep);
            d[0].port = d[1].port = p->port;
            nd = 2;
        }
    }
    /* The name the probe connects to: what domainNames peers match. */
    for (size_t j = 0; !probe_kind_queries_dns(p->kind) && !ip_addr_parse(p->host, &(ip_addr_t){0}) && j < nd;
         j++)
        d[j].ep.host = p->host;
    if (probe_kind_queries_dns(p->kind) && nd == 1 && d[0].ep.unknown)
        o->cause =
            "the cluster DNS is not in the objects (add the kube-dns Service and its pods): only a rule "
            "open to every peer on port 53 could decide";
    else if (nd > 0 && !d[0].ep.is_pod && !d[0].ep.unknown && p->resolved_within.n == 0 &&
             !ip_addr_parse(p->host, &(ip_addr_t){0}))
        o->cause =
            "an outside name with no resolved_within may resolve anywhere, and an ipBlock allows only part "
            "of that: give the probe resolved_within";
    else if (nd > 0 && !d[0].ep.is_pod && !d[0].ep.unknown)
        o->cause = "an ipBlock allows only part of the target's addresses";
    if (nd == 0) {
        o->intended = o->egress = o->ingress = NETPOL_UNKNOWN;
        o->unselected = why.unselected;
        pt_sentence(m, role, p, NULL, proto, p->port, o, why.text);
        return;
    }
    /* What the probe names and asks: FQDN rules match the name, L7 rules the request. */
    /* Kept in the intent, not on this stack: the decisive pair below is asked again after
     * this returns (--explain, the hints), L7 rules and all. */
    bool asks = policy_l7_request(p, &o->l7);
    bool named = !probe_kind_queries_dns(p->kind) && p->host && !ip_addr_parse(p->host, &(ip_addr_t){0});
    for (size_t j = 0; j < nd; j++) {
        d[j].ep.host = named ? p->host : NULL;
        d[j].ep.l7 = asks ? &o->l7.req : NULL;
    }
    netpol_endpoint_t virt;
    memset(&virt, 0, sizeof(virt));
    virt.is_pod = true;
    virt.ns = ns;
    virt.labels = own ? own : &role->selector;
    netpol_answer_t a, last;
    bool first = true, have_last = false;
    for (size_t i = 0; i < (nsrc ? nsrc : 1); i++) {
        netpol_endpoint_t s;
        if (nsrc)
            netpol_endpoint_pod(m, src[i], &s);
        else
            s = virt;
        for (size_t j = 0; j < nd; j++) {
            netpol_query(m, &s, &d[j].ep, d[j].port, proto, &a);
            o->intended = pt_merge(o->intended, a.verdict, first);
            o->egress = pt_merge(o->egress, a.egress.verdict, first);
            o->ingress = pt_merge(o->ingress, a.ingress.verdict, first);
            o->egress_isolated |= a.egress.isolated;
            o->ingress_isolated |= a.ingress.isolated;
            first = false;
            /* A direction that allows names its rules, whatever the other one says. */
            if (a.egress.verdict == NETPOL_ALLOW)
                pt_add_by(o, &a.egress);
            if (a.ingress.verdict == NETPOL_ALLOW)
                pt_add_by(o, &a.ingress);
            if (a.verdict == NETPOL_ALLOW) { /* the CNI rules that allowed the whole path */
                pt_add_cal_by(o, &a.egress, NETPOL_EGRESS);
                pt_add_cal_by(o, &a.ingress, NETPOL_INGRESS);
                pt_add_cil_by(o, &a.egress, NETPOL_EGRESS);
                pt_add_cil_by(o, &a.ingress, NETPOL_INGRESS);
            }
            if (!have_last || (a.verdict != NETPOL_ALLOW && last.verdict == NETPOL_ALLOW)) {
                last = a;
                have_last = true;
                o->have_pair = true;
                o->src = s;
                o->dst = d[j].ep;
                o->port = d[j].port;
                o->proto = proto;
            }
            const netpol_side_t *den = a.egress.verdict == NETPOL_DENY ? &a.egress : &a.ingress;
            if (a.verdict == NETPOL_DENY && o->near == NETPOL_NEAR_NONE && den->near != NETPOL_NEAR_NONE) {
                o->near = den->near;
                o->nearest = den->nearest;
            }
        }
    }
    if (o->intended == NETPOL_DENY && last.verdict == NETPOL_DENY) {
        o->egress = last.egress.verdict == NETPOL_DENY ? NETPOL_DENY : o->egress;
        pt_mismatch(m, role, &last, o);
    }
    pt_sentence(m, role, p, &last, proto, d[0].port, o, NULL);
}

void policy_check_probe(const k8s_model_t *m, const config_t *cfg, const config_role_t *role, size_t ns,
                        const config_probe_t *p, policy_intent_t *o)
{
    policy_check_probe_as(m, cfg, role, ns, NULL, p, o);
}

void policy_check_probe_as(const k8s_model_t *m, const config_t *cfg, const config_role_t *role, size_t ns,
                           const labels_t *own, const config_probe_t *p, policy_intent_t *o)
{
    pt_probe(m, cfg, role, ns, own, p, pt_proto(p), o);
    if (!probe_kind_queries_dns(p->kind) || o->intended != NETPOL_ALLOW)
        return;
    /* The probe asks over UDP, which decides; DNS needs TCP 53 too for large answers. */
    policy_intent_t tcp;
    pt_probe(m, cfg, role, ns, own, p, K8S_TCP, &tcp);
    if (tcp.intended == NETPOL_DENY) {
        size_t l = strlen(o->reason);
        snprintf(o->reason + l, sizeof(o->reason) - l,
                 "; but TCP 53 is denied: answers larger than a datagram "
                 "will fail");
    }
}
