/* policy_steps.c: the chain's steps as text and JSON. */
#include "policy_steps.h"

#include <stdio.h>
#include <string.h>

static const char *ps_verb(tier_action_t a)
{
    switch (a) {
    case TIER_ALLOW: return "allowed by";
    case TIER_DENY: return "denied by";
    case TIER_PASS: return "passed by";
    case TIER_UNKNOWN: return "undecided at";
    case TIER_NONE: break;
    }
    return "at";
}

void policy_step_text(const tier_step_t *s, bool egress, char *buf, size_t len)
{
    const char *dir = egress ? "egress" : "ingress";
    char rule[160] = "", prio[32] = "", note[TIER_WHY_LEN + 4] = "";
    if (s->stage == TIER_STAGE_DEFAULT) {
        snprintf(buf, len, "allowed by default (no policy decides)");
        return;
    }
    /* A Cilium step's rule_name is the list its index is in (ingress, egressDeny, ...). */
    bool cni = s->kind && (strncmp(s->kind, "Cilium", 6) == 0 || strncmp(s->kind, "Calico", 6) == 0);
    if (s->has_rule && s->rule_name && cni)
        snprintf(rule, sizeof(rule), " %.20s rule %zu", s->rule_name, s->rule);
    else if (s->has_rule && s->rule_name)
        snprintf(rule, sizeof(rule), " %s rule %.100s", dir, s->rule_name);
    else if (s->has_rule)
        snprintf(rule, sizeof(rule), " %s rule %zu", dir, s->rule);
    else if (s->action == TIER_DENY)
        snprintf(rule, sizeof(rule), " (selects the pod; no %s rule allows)", dir);
    if (s->has_priority)
        snprintf(prio, sizeof(prio), " (%s %ld)",
                 s->kind && strncmp(s->kind, "Calico", 6) == 0 ? "order" : "priority", s->priority);
    if (s->why[0])
        snprintf(note, sizeof(note), " [%s]", s->why);
    const char *verb = ps_verb(s->action);
    if (s->action == TIER_UNKNOWN && s->partial == TIER_DENY)
        verb = "denied for part of the addresses by";
    else if (s->action == TIER_UNKNOWN && s->partial == TIER_ALLOW)
        verb = "allowed for part of the addresses by";
    if (s->stage == TIER_STAGE_NAMESPACED && s->ns && cni)
        snprintf(buf, len, "%s %s %.100s/%.100s%s%s%s", verb, s->kind, s->ns, s->name ? s->name : "?", prio,
                 rule, note);
    else if (s->stage == TIER_STAGE_NAMESPACED && s->ns && s->has_priority)
        /* a NetworkPolicy as Calico evaluates it: in its default tier, at order 1000 */
        snprintf(buf, len, "%s NetworkPolicy %.100s/%.100s (Calico tier default, order %ld)%s%s", verb, s->ns,
                 s->name ? s->name : "?", s->priority, rule, note);
    else if (s->stage == TIER_STAGE_NAMESPACED && s->ns)
        snprintf(buf, len, "%s %.100s/%.100s%s%s", verb, s->ns, s->name ? s->name : "?", rule, note);
    else /* a namespaced kind in another stage (a Calico NetworkPolicy in an earlier tier) keeps
          * its namespace, as the explanation's list names it */
        snprintf(buf, len, "%s %s %s %.100s%s%.100s%s%s%s", verb, tier_stage_name(s->stage),
                 s->kind ? s->kind : "policy", s->ns ? s->ns : "", s->ns ? "/" : "", s->name ? s->name : "?",
                 prio, rule, note);
}

void policy_steps_text(const tier_step_t *chain, size_t n, bool egress, char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && off < len; i++) {
        char one[600];
        policy_step_text(&chain[i], egress, one, sizeof(one));
        int w = snprintf(buf + off, len - off, "%s%s", i ? ", then " : "", one);
        off += w > 0 ? (size_t)w : 0;
    }
}

bool policy_steps_tiered(const tier_step_t *chain, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (chain[i].stage != TIER_STAGE_NAMESPACED && chain[i].stage != TIER_STAGE_DEFAULT)
            return true;
    return false;
}

cJSON *policy_steps_json(const tier_step_t *chain, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) {
        const tier_step_t *s = &chain[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_AddStringToObject(o, "stage", tier_stage_name(s->stage));
        cJSON_AddStringToObject(o, "action", tier_action_name(s->action));
        if (s->kind)
            cJSON_AddStringToObject(o, "kind", s->kind);
        if (s->ns)
            cJSON_AddStringToObject(o, "namespace", s->ns);
        if (s->name)
            cJSON_AddStringToObject(o, "name", s->name);
        if (s->has_priority)
            cJSON_AddNumberToObject(o, "priority", (double)s->priority);
        if (s->has_rule)
            cJSON_AddNumberToObject(o, "rule", (double)s->rule);
        if (s->rule_name)
            cJSON_AddStringToObject(o, "rule_name", s->rule_name);
        if (s->why[0])
            cJSON_AddStringToObject(o, "note", s->why);
        if (s->action == TIER_UNKNOWN && (s->partial == TIER_ALLOW || s->partial == TIER_DENY))
            cJSON_AddStringToObject(o, "partial", tier_action_name(s->partial));
    }
    return a;
}
