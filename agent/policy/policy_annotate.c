/* policy_annotate.c: the seed's troubleshooting list, answered from the policies: a failed
 * allow the policies allow is not a policy effect; a failed allow they deny names the nearest
 * rule (wrong port? labels not matching?); a deny that connected although they deny it means
 * the CNI does not enforce, or a policy outside the objects allows it; a failed allow to a
 * Service whose selector picks none of its namespace's pods names the selector. */
#include "policy_annotate.h"

#include "calico_eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_steps.h"
#include "probe.h"

static void pa_rule(const k8s_model_t *m, const netpol_ref_t *r, char *buf, size_t len)
{
    char pol[300];
    netpol_policy_name(m, r->policy, pol, sizeof(pol));
    snprintf(buf, len, "%.200s %s rule %zu", pol, r->dir == NETPOL_EGRESS ? "egress" : "ingress", r->rule);
}

/* Who denies: "govtech/default-deny-all selects the pod for egress, and none of its egress
 * rules allows it" (the first policy selecting the pod on the denying side). */
static void pa_denier(const k8s_model_t *m, const policy_intent_t *in, char *buf, size_t len)
{
    netpol_answer_t a;
    snprintf(buf, len, "no rule allows it");
    if (!in->have_pair)
        return;
    netpol_query(m, &in->src, &in->dst, in->port, in->proto, &a);
    bool eg = a.egress.verdict == NETPOL_DENY;
    const netpol_side_t *s = eg ? &a.egress : &a.ingress;
    if (s->verdict != NETPOL_DENY || s->n_selecting == 0)
        return;
    char pol[300];
    const char *d = eg ? "egress" : "ingress";
    netpol_policy_name(m, s->first_selecting, pol, sizeof(pol));
    if (s->n_selecting == 1)
        snprintf(buf, len, "%.200s selects the %s pod for %s and none of its %s rules allows it", pol,
                 eg ? "source" : "destination", d, d);
    else
        snprintf(buf, len,
                 "%zu policies, %.200s first, select the %s pod for %s and none of their rules allows it",
                 s->n_selecting, pol, eg ? "source" : "destination", d);
}

/* The admin or baseline step that decided the answer (the denying side's on a deny), in
 * words; false when the NetworkPolicies or the default decided. */
static bool pa_tier_step(const policy_intent_t *in, char *buf, size_t len, tier_stage_t *stage)
{
    for (int i = 0; i < 2; i++) {
        bool eg = i == 0;
        const tier_step_t *c = eg ? in->egress_chain : in->ingress_chain;
        size_t n = eg ? in->n_egress_chain : in->n_ingress_chain;
        netpol_verdict_t v = eg ? in->egress : in->ingress;
        if (n == 0 || (in->intended == NETPOL_DENY && v != NETPOL_DENY))
            continue;
        const tier_step_t *last = &c[n - 1];
        if (last->stage == TIER_STAGE_NAMESPACED || last->stage == TIER_STAGE_DEFAULT ||
            last->stage == TIER_STAGE_CNI_PRE ||
            (last->kind && (strncmp(last->kind, "Calico", 6) == 0 || strncmp(last->kind, "Cilium", 6) == 0)))
            continue; /* a CNI's own step: the CNI sentence says it */
        policy_step_text(last, eg, buf, len);
        *stage = last->stage;
        return true;
    }
    return false;
}

bool policy_annotate_hint(const result_t *r, const policy_intent_t *in, const k8s_model_t *m,
                          const char *role, const char *ns, char *buf, size_t len)
{
    char rule[320] = "";
    tier_stage_t stage;
    if (r->verdict != VERDICT_FAIL)
        return false;
    /* A name that did not resolve never tried the path: the DNS hint says more. But a name
     * that does not exist while its Service selects no pod is the Service's doing: a headless
     * Service without endpoints has no DNS records at all. */
    bool unresolved = !probe_kind_queries_dns(r->kind) && strncmp(outcome_name(r->outcome), "dns_", 4) == 0;
    bool headless = unresolved && r->outcome == OUTCOME_DNS_NXDOMAIN && in->unselected;
    if (unresolved && !headless)
        return false;
    if (r->expect == EXPECT_ALLOW && in->intended == NETPOL_UNKNOWN && in->unselected) {
        /* Unknown to the policies, but a cause a run meets whatever they say. */
        if (headless)
            snprintf(buf, len,
                     "The name does not exist, and %.330s: a headless Service without endpoints has no DNS "
                     "records; fix the labels in the pod template or the Service's spec.selector.",
                     in->reason);
        else
            snprintf(buf, len,
                     "%.360s: nothing answers behind the Service, whatever the policies say; fix the labels "
                     "in the pod template or the Service's spec.selector.",
                     in->reason);
        return true;
    }
    if (in->intended == NETPOL_UNKNOWN)
        return false;
    if (in->n_by > 0)
        pa_rule(m, &in->by[0], rule, sizeof(rule));
    if (in->cni && in->n_cal_by > 0) {
        char pol[300];
        calico_policy_name(m, in->cal_by[0].policy, pol, sizeof(pol));
        snprintf(rule, sizeof(rule), "Calico %.200s %s rule %zu", pol,
                 in->cal_by[0].dir == NETPOL_EGRESS ? "egress" : "ingress", in->cal_by[0].rule);
    }
    if (in->cni && in->n_cil_by > 0) {
        const cil_policy_t *cp = &m->cilium.policies[in->cil_by[0].policy];
        snprintf(rule, sizeof(rule), "%s %s%s%.150s %s rule %zu", cp->kind,
                 cp->clusterwide ? "" : m->namespaces[cp->ns].name, cp->clusterwide ? "" : "/", cp->name,
                 in->cil_by[0].dir == NETPOL_EGRESS ? "egress" : "ingress", in->cil_by[0].rule);
    }
    bool by = in->n_by > 0 || (in->cni && (in->n_cal_by > 0 || in->n_cil_by > 0));
    if (in->cni && in->intended == NETPOL_DENY && r->expect == EXPECT_DENY &&
        r->outcome == OUTCOME_HTTP_STATUS && strstr(in->reason, "at L7")) {
        /* The proxy answered, as the policies intend; the probe took its 403 for the server's. */
        snprintf(buf, len,
                 "The policies deny this request at L7 (%.300s): if the answer was the proxy's 403 "
                 "\"Access denied\", write deny_at: l7 on the probe so that it passes on it.",
                 in->reason);
        return true;
    }
    if (in->cni && in->intended == NETPOL_DENY) {
        /* A CNI's policies decided: the reason names the steps (policy, tier or order, rule). */
        if (r->expect == EXPECT_ALLOW)
            snprintf(buf, len, "The policies deny this path: %.300s; allow it there, or expect deny.",
                     in->reason);
        else
            snprintf(
                buf, len,
                "The policies deny this path (%.300s), yet it connected: the CNI does not enforce them, or "
                "a policy outside the objects read allows it (role %.60s).",
                in->reason, role);
        return true;
    }
    bool tiered = pa_tier_step(in, rule, sizeof(rule), &stage);
    if (tiered && r->expect == EXPECT_ALLOW && in->intended == NETPOL_DENY) {
        if (stage == TIER_STAGE_BASELINE)
            snprintf(
                buf, len,
                "The cluster's Baseline denies this path (%.200s): a NetworkPolicy selecting the pod "
                "that allows it takes precedence over the Baseline (kubectl get clusternetworkpolicies).",
                rule);
        else
            snprintf(
                buf, len,
                "A cluster admin policy denies this path (%.200s): no NetworkPolicy can open it; ask the "
                "platform team, or expect deny (kubectl get clusternetworkpolicies).",
                rule);
        return true;
    }
    if (r->expect == EXPECT_ALLOW && in->intended == NETPOL_ALLOW) {
        snprintf(buf, len,
                 "The policies allow this path (%s), so this is not a policy effect: check the server, "
                 "the Service's endpoints (kubectl get endpoints -n %.60s) and DNS.",
                 by ? rule : "no policy isolates it", ns);
        return true;
    }
    if (r->expect == EXPECT_ALLOW && probe_kind_queries_dns(r->kind) && in->intended == NETPOL_DENY &&
        in->mismatch.set) {
        snprintf(buf, len, "The policies deny DNS from this pod: %s. Allow UDP and TCP 53 to kube-dns.",
                 in->mismatch.sentence);
        return true;
    }
    if (r->expect == EXPECT_ALLOW && probe_kind_queries_dns(r->kind) && in->intended == NETPOL_DENY) {
        snprintf(buf, len,
                 "The policies deny DNS from this pod: no %s rule allows UDP 53 to the cluster DNS; allow "
                 "UDP and TCP 53 to kube-dns (kubectl describe networkpolicy -n %.60s).",
                 in->egress == NETPOL_DENY ? "egress" : "ingress", ns);
        return true;
    }
    if (r->expect == EXPECT_ALLOW && in->mismatch.set) {
        snprintf(buf, len, "The policies deny this path: %s.", in->mismatch.sentence);
        return true;
    }
    if (r->expect == EXPECT_ALLOW) {
        if (in->near == NETPOL_NEAR_NONE) {
            snprintf(buf, len,
                     "The policies deny this path: no %s rule allows it; add one, or expect deny (ztprobe "
                     "policy check shows which).",
                     in->egress == NETPOL_DENY ? "egress" : "ingress");
            return true;
        }
        pa_rule(m, &in->nearest, rule, sizeof(rule));
        if (in->near == NETPOL_NEAR_OTHER_PORT)
            snprintf(buf, len,
                     "The policies deny this path; the nearest rule, %s, allows this peer on other ports: "
                     "wrong port in the policy?",
                     rule);
        else
            snprintf(buf, len,
                     "The policies deny this path; the nearest rule, %s, allows this port to other pods: "
                     "pod labels don't match the podSelector? (kubectl get pods -n %.60s --show-labels)",
                     rule, ns);
        return true;
    }
    if (in->intended == NETPOL_DENY) {
        if (!tiered) /* else rule already names the admin or baseline step */
            pa_denier(m, in, rule, sizeof(rule));
        snprintf(
            buf, len,
            "The policies deny this path (%s), yet it connected: the CNI does not enforce NetworkPolicy "
            "(the EKS VPC CNI add-on needs enableNetworkPolicy: \"true\"), or a policy outside the objects "
            "read allows it (role %.60s).",
            rule, role);
        return true;
    }
    snprintf(buf, len, "The policies allow this path (%s): the matrix's expect: deny contradicts them.",
             by ? rule : "no policy isolates it");
    return true;
}

int policy_annotate(report_t *rep, const k8s_model_t *m, const config_t *cfg, const config_role_t *role,
                    size_t ns, const labels_t *own, const config_probe_t *const *probes)
{
    result_policy_t *pol = calloc(rep->n_results ? rep->n_results : 1, sizeof(*pol));
    if (!pol)
        return -1;
    char list[DIAG_MESSAGE_LEN] = "";
    size_t off = 0, contra = 0;
    int rc = 0;
    /* Owned by rep from here, so report_free frees what is built even when a later one fails. */
    rep->policy = pol;
    for (size_t i = 0; i < rep->n_results && rc == 0; i++) {
        policy_intent_t in;
        result_t *r = &rep->results[i];
        char name[RESULT_POLICY_NAME_LEN];
        policy_check_probe_as(m, cfg, role, ns, own, probes[i], &in);
        snprintf(pol[i].intended, sizeof(pol[i].intended), "%s", netpol_verdict_name(in.intended));
        rc |= result_policy_set_reason(&pol[i], in.reason);
        for (size_t k = 0; k < in.n_by; k++) {
            netpol_policy_name(m, in.by[k].policy, name, sizeof(name));
            rc |= result_policy_add_by(&pol[i], name, in.by[k].dir == NETPOL_EGRESS, (int)in.by[k].rule);
        }
        for (size_t k = 0; k < in.n_cal_by; k++) {
            char cname[300];
            calico_policy_name(m, in.cal_by[k].policy, cname, sizeof(cname));
            snprintf(name, sizeof(name), "Calico %.240s", cname);
            rc |= result_policy_add_by(&pol[i], name, in.cal_by[k].dir == NETPOL_EGRESS,
                                       (int)in.cal_by[k].rule);
        }
        for (size_t k = 0; k < in.n_cil_by; k++) {
            const cil_policy_t *cp = &m->cilium.policies[in.cil_by[k].policy];
            snprintf(name, sizeof(name), "%s %s%s%.150s", cp->kind,
                     cp->clusterwide ? "" : m->namespaces[cp->ns].name, cp->clusterwide ? "" : "/", cp->name);
            rc |= result_policy_add_by(&pol[i], name, in.cil_by[k].dir == NETPOL_EGRESS,
                                       (int)in.cil_by[k].rule);
        }
        char hint[RESULT_HINT_LEN];
        if (policy_annotate_hint(r, &in, m, role->name, m->namespaces[ns].name, hint, sizeof(hint)))
            rc |= result_set_text(r, RESULT_HINT, hint);
        netpol_verdict_t want = r->expect == EXPECT_ALLOW ? NETPOL_ALLOW : NETPOL_DENY;
        if (in.intended == NETPOL_UNKNOWN || in.intended == want)
            continue;
        contra++;
        if (off < sizeof(list)) {
            int n = snprintf(list + off, sizeof(list) - off, "%s%s (expect %s, policies %s)",
                             contra > 1 ? ", " : "", r->name, config_expect_name(r->expect),
                             netpol_verdict_name(in.intended));
            off += n > 0 ? (size_t)n : 0;
        }
    }
    if (rc != 0)
        return -1;
    if (contra > 0 && rep->n_diags < DIAG_MAX) {
        diagnosis_t *d = &rep->diags[rep->n_diags++];
        memset(d, 0, sizeof(*d));
        snprintf(d->code, sizeof(d->code), "matrix_contradicts_policies");
        snprintf(d->message, sizeof(d->message),
                 "%zu probe%s expect what the policies do not intend: %.380s; fix "
                 "the matrix or the policies (ztprobe policy check)",
                 contra, contra == 1 ? "" : "s", list);
    }
    return 0;
}
