/* cni_explain.c: Cilium's and Calico's rules in `--explain`. The evaluators answer with the
 * one step that decided (the chain); this module asks them about every rule of every policy of
 * the pod for the direction (cilium_rule_match, calico_rule_match), so that a person sees
 * which rule nearly matched and which part of it did not. */
#include "cni_explain.h"

#include <stdio.h>
#include <string.h>

#include "calico_eval.h"
#include "cilium_eval.h"

#define CX_POLICIES_MAX 256                       /* policies listed per CNI and direction */
#define CX_NETPOL_KIND "Kubernetes NetworkPolicy" /* in Calico's list: not Calico's own kind */
#define CX_ENDED "the walk ended before it (see the chain)"

static const char *cx_match(int v)
{
    return v == 2 ? "all" : v == 1 ? "part" : "none";
}

static void cx_why(cJSON *o, const char *k, const char *why)
{
    if (why[0])
        cJSON_AddStringToObject(o, k, why);
}

/* "reached" (and, when false, "reached_why"): whether the walk evaluated the entry. */
static void cx_reached(cJSON *o, bool reached, const char *why)
{
    cJSON_AddBoolToObject(o, "reached", reached);
    if (!reached)
        cJSON_AddStringToObject(o, "reached_why", why);
}

/* Whether the walk ran the Cilium stage of a list: the deny lists in cni-pre, the allow lists
 * in namespaced (an earlier step that decides ends the walk before them). */
static bool cx_cilium_ran(const tier_query_t *q, int list)
{
    bool deny = list == CIL_INGRESS_DENY || list == CIL_EGRESS_DENY;
    return !q->trace || (deny ? q->trace->cilium_deny : q->trace->cilium_allow);
}

static cJSON *cx_cilium_rule(const tier_query_t *q, size_t pi, int list, size_t r)
{
    static const char *const lists[] = {"ingress", "ingressDeny", "egress", "egressDeny"};
    bool deny = list == CIL_INGRESS_DENY || list == CIL_EGRESS_DENY;
    cilium_rule_match_t x;
    cilium_rule_match(q, pi, list, r, &x);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "list", lists[list]);
    cJSON_AddNumberToObject(o, "rule", (double)r);
    cJSON_AddStringToObject(o, "action", deny ? "deny" : "allow");
    cJSON_AddStringToObject(o, "peer", cx_match(x.peer));
    cx_why(o, "peer_why", x.peer_why);
    cJSON_AddBoolToObject(o, "ports_matched", x.ports);
    cx_why(o, "ports_why", x.ports_why);
    if (x.has_l7) {
        cJSON_AddStringToObject(o, "l7", tier_action_name(x.l7));
        cx_why(o, "l7_why", x.l7_why);
    } else {
        cJSON_AddNullToObject(o, "l7");
    }
    const char *res = "no match";
    if (x.peer == 1 && x.ports)
        res = "unknown";
    else if (x.peer == 2 && x.ports)
        res = deny               ? "denies"
            : x.l7 == TIER_ALLOW ? "allows"
            : x.l7 == TIER_DENY  ? "denies at L7"
                                 : "unknown";
    cJSON_AddStringToObject(o, "result", res);
    cx_reached(o, cx_cilium_ran(q, list), CX_ENDED);
    return o;
}

static void cx_cilium(const tier_query_t *q, cJSON *arr)
{
    const k8s_model_t *m = q->m;
    bool in = q->dir == NETPOL_INGRESS;
    int lists[2] = {in ? CIL_INGRESS_DENY : CIL_EGRESS_DENY, in ? CIL_INGRESS : CIL_EGRESS};
    size_t listed = 0;
    for (size_t pi = 0; pi < m->cilium.n_policies && listed < CX_POLICIES_MAX; pi++) {
        const cil_policy_t *p = &m->cilium.policies[pi];
        if (p->n_rules[lists[0]] + p->n_rules[lists[1]] == 0 || !cilium_policy_selects(m, pi, q->self))
            continue;
        cJSON *po = cJSON_CreateObject();
        if (!po)
            return;
        cJSON_AddItemToArray(arr, po);
        listed++;
        char name[300];
        snprintf(name, sizeof(name), "%s%s%s", p->clusterwide ? "" : m->namespaces[p->ns].name,
                 p->clusterwide ? "" : "/", p->name);
        cJSON_AddStringToObject(po, "policy", name);
        cJSON_AddStringToObject(po, "kind", p->kind);
        cJSON_AddBoolToObject(po, "default_deny", in ? p->default_deny_ingress : p->default_deny_egress);
        bool reached = false;
        for (int l = 0; l < 2; l++)
            reached = reached || (p->n_rules[lists[l]] && cx_cilium_ran(q, lists[l]));
        cx_reached(po, reached, CX_ENDED);
        cJSON *rules = cJSON_AddArrayToObject(po, "rules");
        for (int l = 0; l < 2 && rules; l++)
            for (size_t r = 0; r < p->n_rules[lists[l]]; r++)
                cJSON_AddItemToArray(rules, cx_cilium_rule(q, pi, lists[l], r));
    }
}

/* One rule of a Calico policy the walk reached or not. Reached: "decides" is the rule that
 * ended the walk in the policy, as the walk recorded it (reach; NULL: no record, the first rule
 * that matches and is not Log, which is where the walk ends in a policy). Not reached:
 * "would_decide" is that first rule. decided: a rule before this one did (or would). */
static cJSON *cx_calico_rule(const tier_query_t *q, size_t pi, size_t r, bool reached,
                             const netpol_reach_t *reach, bool *decided)
{
    static const char *const actions[] = {"Allow", "Deny", "Pass", "Log"};
    calico_rule_match_t x;
    calico_rule_match(q, pi, r, &x);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "rule", (double)r);
    cJSON_AddStringToObject(o, "action", actions[x.action]);
    cJSON_AddBoolToObject(o, "protocol_matched", x.protocol);
    cJSON_AddStringToObject(o, "source", cx_match(x.source));
    cx_why(o, "source_why", x.source_why);
    cJSON_AddStringToObject(o, "destination", cx_match(x.destination));
    cx_why(o, "destination_why", x.destination_why);
    cJSON_AddBoolToObject(o, "ports_matched", x.ports);
    cx_why(o, "ports_why", x.ports_why);
    cJSON_AddStringToObject(o, "matches", cx_match(x.matches));
    bool decides = reached && reach ? reach->ended && reach->rule == r
                                    : !*decided && x.matches != 0 && x.action != CAL_LOG;
    cJSON_AddBoolToObject(o, "decides", reached && decides);
    if (!reached)
        cJSON_AddBoolToObject(o, "would_decide", decides);
    *decided = *decided || decides;
    return o;
}

/* The NetworkPolicies where Calico evaluates them: each entry of netpols, with the kind, the
 * tier and the order put after its name. */
static void cx_calico_netpols(const cJSON *netpols, bool reached, const char *why, cJSON *arr)
{
    const cJSON *np;
    cJSON_ArrayForEach(np, netpols)
    {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            return;
        }
        const cJSON *f;
        cJSON_ArrayForEach(f, np)
        {
            /* Calico's own walk says whether it came to them (a key once, never twice). */
            if (strcmp(f->string, "reached") == 0 || strcmp(f->string, "reached_why") == 0)
                continue;
            cJSON_AddItemToObject(o, f->string, cJSON_Duplicate(f, true));
            if (strcmp(f->string, "policy") != 0)
                continue;
            cJSON_AddStringToObject(o, "kind", CX_NETPOL_KIND);
            cJSON_AddStringToObject(o, "tier", CAL_DEFAULT_TIER);
            cJSON_AddNumberToObject(o, "order", CAL_K8S_ORDER);
            cx_reached(o, reached, why);
        }
    }
}

static void cx_calico(const tier_query_t *q, const cJSON *netpols, cJSON *arr)
{
    const k8s_model_t *m = q->m;
    const cal_model_t *c = &m->calico;
    size_t listed = 0;
    for (size_t k = 0; k < c->n_sorted && listed < CX_POLICIES_MAX; k++) {
        size_t pi = c->sorted[k];
        /* Where the walk came (its own record; none: all of it), and why not elsewhere. */
        const netpol_reach_t *reach = q->trace && q->trace->calico ? &q->trace->calico[k] : NULL;
        bool reached = !reach || reach->state == NETPOL_REACH_YES;
        char why[120];
        snprintf(why, sizeof(why), "%s", CX_ENDED);
        if (reach && reach->state == NETPOL_REACH_PASSED)
            snprintf(why, sizeof(why), "a Pass before it in tier %.50s went on to the next tier",
                     pi == CAL_K8S_MARK || !c->policies[pi].tier ? CAL_DEFAULT_TIER : c->policies[pi].tier);
        if (pi == CAL_K8S_MARK) {
            cx_calico_netpols(netpols, reached, why, arr);
            continue;
        }
        if (!calico_policy_applies(m, pi, q->dir, q->self))
            continue;
        const cal_policy_t *p = &c->policies[pi];
        cJSON *po = cJSON_CreateObject();
        if (!po)
            return;
        cJSON_AddItemToArray(arr, po);
        listed++;
        char name[300];
        calico_policy_name(m, pi, name, sizeof(name));
        cJSON_AddStringToObject(po, "policy", name);
        cJSON_AddStringToObject(po, "kind", p->kind);
        cJSON_AddStringToObject(po, "tier", p->tier ? p->tier : "default");
        if (p->has_order)
            cJSON_AddNumberToObject(po, "order", p->order);
        else
            cJSON_AddNullToObject(po, "order");
        cx_reached(po, reached, why);
        cJSON *rules = cJSON_AddArrayToObject(po, "rules");
        size_t n = q->dir == NETPOL_INGRESS ? p->n_ingress : p->n_egress;
        bool decided = false;
        for (size_t r = 0; r < n && rules; r++)
            cJSON_AddItemToArray(rules, cx_calico_rule(q, pi, r, reached, reach, &decided));
    }
}

void cni_explain_json(const tier_query_t *q, const cJSON *netpols, cJSON *o)
{
    if (!q->self->is_pod)
        return;
    if (q->m->cilium.n_policies) {
        cJSON *a = cJSON_AddArrayToObject(o, "cilium");
        if (a)
            cx_cilium(q, a);
    }
    if (q->m->calico.n_policies) {
        cJSON *a = cJSON_AddArrayToObject(o, "calico");
        if (a)
            cx_calico(q, netpols, a);
    }
}

static const char *cx_s(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static bool cx_b(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static double cx_n(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* Object text (names, selectors) through the one terminal filter. */
static void cx_put(strbuf_t *b, const char *s)
{
    strbuf_put_safe(b, s, SIZE_MAX);
}

/* "; peer part none (why)": one part of a rule. */
static void cx_part(strbuf_t *b, const char *what, const char *match, const char *why)
{
    strbuf_printf(b, "; %s %s", what,
                  strcmp(match, "all") == 0        ? "matches"
                      : strcmp(match, "part") == 0 ? "matches in part"
                                                   : "does not match");
    if (why[0]) {
        strbuf_puts(b, " (");
        cx_put(b, why);
        strbuf_puts(b, ")");
    }
}

/* "; not reached: WHY" when the entry says the walk never came to it. */
static void cx_not_reached(strbuf_t *b, const cJSON *p)
{
    if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(p, "reached")))
        return;
    strbuf_puts(b, "; not reached: ");
    cx_put(b, cx_s(p, "reached_why"));
}

/* A Calico rule's state: "decides", "no match", ... (its policy reached), or what it would do
 * (not reached). */
static const char *cx_calico_state(const cJSON *r, bool reached)
{
    bool none = strcmp(cx_s(r, "matches"), "none") == 0, log = strcmp(cx_s(r, "action"), "Log") == 0;
    bool pass = strcmp(cx_s(r, "action"), "Pass") == 0; /* ends its tier, not the walk */
    if (!reached)
        return cx_b(r, "would_decide") ? "not reached (would decide)"
            : none                     ? "not reached (no match)"
            : log                      ? "not reached (matches, Log)"
                                       : "not reached (matches, after the rule that would decide)";
    return cx_b(r, "decides") && pass ? "decides (Pass: on to the next tier)"
        : cx_b(r, "decides")          ? "decides"
        : none                        ? "no match"
        : log                         ? "matches (Log: the walk goes on)"
                                      : "matches, after the deciding rule";
}

static void cx_text_cilium(strbuf_t *b, const cJSON *arr)
{
    const cJSON *p, *r;
    cJSON_ArrayForEach(p, arr)
    {
        strbuf_puts(b, "    ");
        cx_put(b, cx_s(p, "kind"));
        strbuf_puts(b, " ");
        cx_put(b, cx_s(p, "policy"));
        strbuf_printf(b, " selects the pod%s", cx_b(p, "default_deny") ? " (default deny)" : "");
        cx_not_reached(b, p);
        strbuf_puts(b, "\n");
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(p, "rules"))
        {
            /* A rule the walk never came to says what it would do, not that it does. */
            bool ran = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "reached"));
            strbuf_printf(b, "      %s rule %.0f (%s): %s%s%s", cx_s(r, "list"), cx_n(r, "rule"),
                          cx_s(r, "action"), ran ? "" : "not reached (", cx_s(r, "result"), ran ? "" : ")");
            cx_part(b, "peer", cx_s(r, "peer"), cx_s(r, "peer_why"));
            cx_part(b, "port", cx_b(r, "ports_matched") ? "all" : "none", cx_s(r, "ports_why"));
            if (cx_s(r, "l7")[0]) {
                strbuf_printf(b, "; L7 %s", cx_s(r, "l7"));
                if (cx_s(r, "l7_why")[0]) {
                    strbuf_puts(b, " (");
                    cx_put(b, cx_s(r, "l7_why"));
                    strbuf_puts(b, ")");
                }
            }
            strbuf_puts(b, "\n");
        }
    }
}

static void cx_text_calico(strbuf_t *b, const cJSON *d, cni_netpol_text_fn netpol)
{
    const cJSON *p, *r;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(d, "calico"))
    {
        if (strcmp(cx_s(p, "kind"), CX_NETPOL_KIND) == 0) {
            char suffix[120];
            snprintf(suffix, sizeof(suffix), " (tier %.60s, order %g)", cx_s(p, "tier"), cx_n(p, "order"));
            netpol(b, d, p, CX_NETPOL_KIND " ", suffix);
            continue;
        }
        strbuf_puts(b, "    Calico ");
        cx_put(b, cx_s(p, "kind"));
        strbuf_puts(b, " ");
        cx_put(b, cx_s(p, "policy"));
        strbuf_puts(b, " (tier ");
        cx_put(b, cx_s(p, "tier"));
        if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, "order")))
            strbuf_printf(b, ", order %g", cx_n(p, "order"));
        else
            strbuf_puts(b, ", no order");
        bool reached = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(p, "reached"));
        strbuf_printf(b, ") applies to the pod%s",
                      cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "rules")) || !reached
                          ? ""
                          : "; no rule for this direction: the tier's end unless a policy before decides");
        cx_not_reached(b, p);
        strbuf_puts(b, "\n");
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(p, "rules"))
        {
            strbuf_printf(b, "      rule %.0f (%s): %s", cx_n(r, "rule"), cx_s(r, "action"),
                          cx_calico_state(r, reached));
            if (!cx_b(r, "protocol_matched"))
                strbuf_puts(b, "; protocol does not match");
            cx_part(b, "source", cx_s(r, "source"), cx_s(r, "source_why"));
            cx_part(b, "destination", cx_s(r, "destination"), cx_s(r, "destination_why"));
            cx_part(b, "port", cx_b(r, "ports_matched") ? "all" : "none", cx_s(r, "ports_why"));
            strbuf_puts(b, "\n");
        }
    }
}

void cni_explain_text(strbuf_t *b, const cJSON *d, cni_netpol_text_fn netpol)
{
    cx_text_cilium(b, cJSON_GetObjectItemCaseSensitive(d, "cilium"));
    cx_text_calico(b, d, netpol);
}
