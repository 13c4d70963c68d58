/* policy_explain_text.c: the decision tree of policy_explain.c as text a person reads: the
 * connection, then per direction the chain in words, every NetworkPolicy (or, when the objects
 * hold Calico policies, the NetworkPolicies inside Calico's order, where Calico evaluates
 * them) and the CNI policies (cni_explain.c), then the answer and the reason. */
#include "policy_explain.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cni_explain.h"
#include "strbuf.h"

static const char *px_s(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double px_n(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static bool px_b(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

/* Text from the objects (names, labels) through the one terminal filter. */
static void px_put(strbuf_t *b, const char *s)
{
    strbuf_put_safe(b, s, SIZE_MAX);
}

static void px_text_part(strbuf_t *b, const cJSON *p)
{
    px_put(b, px_s(p, "field"));
    strbuf_puts(b, " is ");
    px_put(b, px_s(p, "wanted"));
    strbuf_puts(b, ", found ");
    const char *f = px_s(p, "found");
    px_put(b, f[0] ? f : "nothing");
    strbuf_puts(b, " (");
    px_put(b, px_s(p, "part"));
    strbuf_puts(b, ")");
}

static void px_text_endpoint(strbuf_t *b, const char *what, const cJSON *e)
{
    strbuf_printf(b, "  %s: ", what);
    if (strcmp(px_s(e, "where"), "pod") == 0) {
        strbuf_puts(b, "pod in namespace ");
        px_put(b, px_s(e, "namespace"));
        strbuf_puts(b, " with labels ");
        px_put(b, px_s(e, "labels")[0] ? px_s(e, "labels") : "(none)");
        if (px_s(e, "address")[0]) {
            strbuf_puts(b, ", ");
            px_put(b, px_s(e, "address"));
        }
    } else {
        px_put(b, px_s(e, "where"));
        if (px_s(e, "range")[0]) {
            strbuf_puts(b, " ");
            px_put(b, px_s(e, "range"));
        }
    }
    strbuf_puts(b, "\n");
}

static void px_text_items(strbuf_t *b, const cJSON *rule, const char *list, const char *idx,
                          const char *every)
{
    if (px_b(rule, every)) {
        strbuf_printf(b, "        %s: every %s (none listed)\n", list, idx);
        return;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rule, list))
    {
        strbuf_printf(b, "        %s %.0f: ", idx, px_n(it, idx));
        if (px_b(it, "matched"))
            strbuf_puts(b, "matches");
        else
            px_text_part(b, it);
        strbuf_puts(b, "\n");
    }
}

/* One NetworkPolicy of direction d and its rules (a cni_netpol_text_fn). Inside Calico's
 * order (a prefix) a policy without rules allows nothing and the tier goes on: Calico denies
 * only at the tier's end. */
static void px_text_netpol(strbuf_t *b, const cJSON *d, const cJSON *p, const char *prefix,
                           const char *suffix)
{
    strbuf_puts(b, "    ");
    strbuf_puts(b, prefix);
    px_put(b, px_s(p, "policy"));
    px_put(b, suffix);
    if (!px_b(p, "selects")) {
        strbuf_puts(b, " does not select the pod: ");
        px_text_part(b, cJSON_GetObjectItemCaseSensitive(p, "not_selected"));
        strbuf_puts(b, "\n");
        return;
    }
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(p, "rules"), *r;
    bool reached = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(p, "reached"));
    strbuf_printf(b, " selects the pod%s",
                  cJSON_GetArraySize(rules) || !reached ? ""
                      : prefix[0] ? "; it has no rules: allows nothing, the tier goes on"
                                  : "; it has no rules: denies");
    if (!reached) {
        strbuf_puts(b, "; not reached: ");
        px_put(b, px_s(p, "reached_why"));
    }
    strbuf_puts(b, "\n");
    cJSON_ArrayForEach(r, rules)
    {
        strbuf_printf(b, "      %s rule %.0f: %s\n", px_s(d, "direction"), px_n(r, "rule"),
                      !px_b(r, "allows") ? "does not allow"
                          : reached      ? "allows"
                                         : "would allow (not reached)");
        px_text_items(b, r, "peers", "peer", "every_peer");
        px_text_items(b, r, "ports", "port", "every_port");
    }
}

char *policy_explain_text(const cJSON *ex)
{
    strbuf_t b = {0};
    px_put(&b, px_s(ex, "role"));
    strbuf_puts(&b, "/");
    px_put(&b, px_s(ex, "probe"));
    strbuf_printf(&b, ": %s ", px_s(ex, "kind"));
    px_put(&b, px_s(ex, "target"));
    strbuf_printf(&b, ", expect %s\n", px_s(ex, "expect"));
    const cJSON *dirs = cJSON_GetObjectItemCaseSensitive(ex, "directions");
    if (cJSON_GetArraySize(dirs) > 0) {
        strbuf_printf(&b, "  connection: %s %.0f\n", px_s(ex, "protocol"), px_n(ex, "port"));
        px_text_endpoint(&b, "source", cJSON_GetObjectItemCaseSensitive(ex, "source"));
        px_text_endpoint(&b, "destination", cJSON_GetObjectItemCaseSensitive(ex, "destination"));
    }
    const cJSON *d;
    cJSON_ArrayForEach(d, dirs)
    {
        strbuf_printf(&b, "  %s, judged at the %s: ", px_s(d, "direction"), px_s(d, "at"));
        if (!px_b(d, "applies")) {
            strbuf_puts(&b, "no policy side (not a pod)\n");
            continue;
        }
        /* A CNI's deny stage can decide before its allow stage marks the pod isolated. */
        bool cni = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "cilium")) +
                cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(d, "calico")) >
            0;
        strbuf_printf(&b, "%s%s\n", px_s(d, "verdict"),
                      px_b(d, "isolated") || cni ? "" : " (no policy selects the pod for this direction)");
        const cJSON *p;
        if (px_s(d, "chain_text")[0]) {
            strbuf_puts(&b, "    chain: ");
            px_put(&b, px_s(d, "chain_text"));
            strbuf_puts(&b, "\n");
        }
        /* With Calico policies, the NetworkPolicies are listed where Calico evaluates them. */
        if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(d, "calico")))
            cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(d, "policies"))
                px_text_netpol(&b, d, p, "", "");
        cni_explain_text(&b, d, px_text_netpol);
    }
    strbuf_printf(&b, "  answer: %s (expect %s)\n  reason: ", px_s(ex, "intended"), px_s(ex, "expect"));
    px_put(&b, px_s(ex, "reason"));
    strbuf_puts(&b, "\n");
    return strbuf_take(&b);
}
