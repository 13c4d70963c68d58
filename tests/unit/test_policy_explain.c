/* test_policy_explain.c: `--explain` (policy_explain_render) against the evaluator: with
 * Calico policies the Kubernetes NetworkPolicies are shown where Calico evaluates them (its
 * default tier, order 1000: after a Calico policy of order 500, before one of 2000 and one of
 * no order), in the JSON list, the text and the chain; and a Cilium rule's L7 verdict is shown
 * only when its peer and port match the connection (an L7 part applies to the traffic the
 * rule's L3/L4 part selects). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "k8s_read.h"
#include "policy_explain.h"
#include "policy_steps.h"

/* Namespace shop: pods web (app=web), mon (app=mon) and db (app=db, ports 5432 and 80), and
 * the Service db in front of db. */
static const char BASE[] =
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n"
    "status: {podIP: 10.0.0.1}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: mon, namespace: shop, labels: {app: mon}}\n"
    "status: {podIP: 10.0.0.3}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: shop, labels: {app: db}}\n"
    "spec: {containers: [{name: c, ports: [{containerPort: 5432}, {containerPort: 80}]}]}\n"
    "status: {podIP: 10.0.0.2}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
    "spec: {selector: {app: db}, ports: [{name: pg, port: 5432}, {name: http, port: 80}]}\n";

#define KNP "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
#define CNP "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"

/* Calico order: early (500, Log) -> the NetworkPolicies (1000) -> late (2000, Deny) -> last
 * (no order, Deny). The NetworkPolicy allow-web allows web, so the walk ends there. */
#define CALICO_OBJS \
    CNP "metadata: {name: late, namespace: shop}\n" \
        "spec: {order: 2000, selector: app == 'db', ingress: [{action: Deny}]}\n" \
        "---\n" CNP "metadata: {name: last, namespace: shop}\n" \
        "spec: {selector: app == 'db', ingress: [{action: Deny}]}\n" \
        "---\n" KNP "metadata: {name: allow-web, namespace: shop}\n" \
        "spec: {podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: {app: " \
        "web}}}]}]}\n" \
        "---\n" KNP "metadata: {name: other, namespace: shop}\n" \
        "spec: {podSelector: {matchLabels: {app: zzz}}, ingress: [{}]}\n" \
        "---\n" CNP "metadata: {name: early, namespace: shop}\n" \
        "spec: {order: 500, selector: app == 'db', ingress: [{action: Log}]}\n"
static const char CALICO[] = CALICO_OBJS;

/* Cilium's demo shape: db admits web on port 80 with an L7 rule (GET /ok only). */
static const char CILIUM[] =
    "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: l7, namespace: shop}\n"
    "spec:\n  endpointSelector: {matchLabels: {app: db}}\n"
    "  ingress: [{fromEndpoints: [{matchLabels: {app: web}}], toPorts: [{ports: [{port: '80'}], "
    "rules: {http: [{method: GET, path: /ok}]}}]}]\n";

static const char CFG[] = "version: 1\nroles:\n"
                          "  web:\n    namespace: shop\n    selector: {app: web}\n    probes:\n"
                          "    - {name: db, kind: tcp, host: db, port: 5432, expect: allow}\n"
                          "    - {name: bad, kind: http, url: 'http://db/bad', expect: deny}\n"
                          "  mon:\n    namespace: shop\n    selector: {app: mon}\n    probes:\n"
                          "    - {name: ok, kind: http, url: 'http://db/ok', expect: deny}\n";

typedef struct {
    k8s_model_t *m;
    config_t *cfg;
} fx_t;

static void fx_open(fx_t *f, const char *policies)
{
    char err[512] = "";
    f->m = k8s_model_create();
    assert_non_null(f->m);
    if (k8s_read_text(f->m, "base.yaml", BASE, strlen(BASE), err, sizeof(err)) != 0 ||
        k8s_read_text(f->m, "policies.yaml", policies, strlen(policies), err, sizeof(err)) != 0)
        fail_msg("objects: %s", err);
    assert_int_equal(k8s_model_finish(f->m), 0);
    f->cfg = NULL;
    if (config_parse_text(CFG, strlen(CFG), CONFIG_FORMAT_YAML, &f->cfg, err, sizeof(err)) != 0)
        fail_msg("config: %s", err);
}

static void fx_close(fx_t *f)
{
    config_free(f->cfg);
    k8s_model_destroy(f->m);
}

/* The explanation of ROLE/PROBE, as JSON (parsed) or text. */
static char *fx_render(const fx_t *f, const char *spec, bool json)
{
    const config_role_t *role;
    const config_probe_t *p;
    char err[512] = "";
    if (policy_explain_find(f->cfg, NULL, spec, &role, &p, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    long ns = k8s_model_find_namespace(f->m, "shop");
    assert_true(ns >= 0);
    char *out = policy_explain_render(f->m, f->cfg, role, (size_t)ns, NULL, p, json);
    assert_non_null(out);
    return out;
}

static const cJSON *dir_of(const cJSON *ex, int i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(ex, "directions"), i);
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Calico's list of the ingress side holds the NetworkPolicies at order 1000 of the default
 * tier, between the Calico policies of orders 500 and 2000; the text lists them there (and
 * not apart); the chain's step says where Calico placed the one that allowed. */
static void test_calico_places_netpols(void **state)
{
    (void)state;
    fx_t f;
    fx_open(&f, CALICO);
    char *js = fx_render(&f, "web/db", true);
    cJSON *ex = cJSON_Parse(js);
    assert_non_null(ex);
    assert_string_equal(str(ex, "answer"), "allow");
    const cJSON *in = dir_of(ex, 1);
    static const struct {
        const char *policy, *kind;
        double order; /* -1: null */
    } want[] = {
        {"shop/early", "NetworkPolicy", 500},
        {"shop/allow-web", "Kubernetes NetworkPolicy", 1000},
        {"shop/other", "Kubernetes NetworkPolicy", 1000},
        {"shop/late", "NetworkPolicy", 2000},
        {"shop/last", "NetworkPolicy", -1},
    };
    const cJSON *cal = cJSON_GetObjectItemCaseSensitive(in, "calico");
    assert_int_equal(cJSON_GetArraySize(cal), sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const cJSON *p = cJSON_GetArrayItem(cal, (int)i);
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(p, "order");
        if (strcmp(str(p, "policy"), want[i].policy) != 0 || strcmp(str(p, "kind"), want[i].kind) != 0 ||
            (want[i].order < 0 ? !cJSON_IsNull(o) : !cJSON_IsNumber(o) || o->valuedouble != want[i].order))
            fail_msg("calico[%zu]: %s %s, want %s %s", i, str(p, "kind"), str(p, "policy"), want[i].kind,
                     want[i].policy);
        assert_string_equal(str(p, "tier"), "default");
    }
    /* The NetworkPolicy entries carry their rules and selection, as in "policies". */
    const cJSON *np = cJSON_GetArrayItem(cal, 1);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(np, "selects")));
    const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(np, "rules"), 0);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r0, "allows")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cal, 2), "selects")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(in, "policies")), 2);
    const cJSON *step = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(in, "chain"), 0);
    assert_string_equal(str(step, "kind"), "NetworkPolicy");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(step, "priority")->valueint, 1000);
    cJSON_Delete(ex);
    free(js);

    char *t = fx_render(&f, "web/db", false);
    const char *early = strstr(t, "Calico NetworkPolicy shop/early (tier default, order 500) applies");
    const char *knp = strstr(t,
                             "    Kubernetes NetworkPolicy shop/allow-web (tier default, order 1000) selects "
                             "the pod\n      ingress rule 0: allows\n");
    const char *other = strstr(t,
                               "    Kubernetes NetworkPolicy shop/other (tier default, order 1000) does not "
                               "select the pod: ");
    const char *late = strstr(t, "Calico NetworkPolicy shop/late (tier default, order 2000) applies");
    if (!early || !knp || !other || !late || !(early < knp && knp < other && other < late))
        fail_msg("not in Calico's order:\n%s", t);
    if (strstr(t, "    shop/allow-web selects the pod") || strstr(t, "    shop/other does not select"))
        fail_msg("the NetworkPolicies are listed apart as well:\n%s", t);
    if (!strstr(t,
                "chain: allowed by NetworkPolicy shop/allow-web (Calico tier default, order 1000) ingress "
                "rule 0\n"))
        fail_msg("chain:\n%s", t);
    free(t);
    fx_close(&f);
}

/* A Cilium rule with L7 rules: its L7 verdict shows when its peer and port match (web asks
 * GET /bad: denied at L7), never for a peer it does not select (mon), nor on another port. */
static void test_cilium_l7_only_when_l3l4_match(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        const char *l7;     /* NULL: JSON null, no "L7" in the text */
        const char *result; /* the rule's result */
    } cases[] = {
        {"web/bad", "deny", "denies at L7"},
        {"mon/ok", NULL, "no match"},
        {"web/db", NULL, "no match"},
    };
    fx_t f;
    fx_open(&f, CILIUM);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *js = fx_render(&f, cases[i].spec, true);
        cJSON *ex = cJSON_Parse(js);
        assert_non_null(ex);
        const cJSON *pol = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(dir_of(ex, 1), "cilium"), 0);
        const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(pol, "rules"), 0);
        const cJSON *l7 = cJSON_GetObjectItemCaseSensitive(r, "l7");
        if (cases[i].l7 ? strcmp(str(r, "l7"), cases[i].l7) != 0 : !cJSON_IsNull(l7))
            fail_msg("%s: l7 %s, want %s", cases[i].spec, cJSON_IsString(l7) ? l7->valuestring : "(null)",
                     cases[i].l7 ? cases[i].l7 : "null");
        assert_string_equal(str(r, "result"), cases[i].result);
        if (!cases[i].l7)
            assert_null(cJSON_GetObjectItemCaseSensitive(r, "l7_why"));
        cJSON_Delete(ex);
        free(js);
        char *t = fx_render(&f, cases[i].spec, false);
        if ((strstr(t, "; L7 ") != NULL) != (cases[i].l7 != NULL))
            fail_msg("%s: text:\n%s", cases[i].spec, t);
        free(t);
    }
    fx_close(&f);
}

#define TIER \
    "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: security}\nspec: {order: 100}\n---\n"
#define SEC(name, order, rules) \
    "---\n" CNP "metadata: {name: security." name ", namespace: shop}\n" \
    "spec: {tier: security, order: " order ", selector: app == 'db', ingress: [" rules "]}\n"
#define ANP_ALLOW \
    "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: adm}\n" \
    "spec: {priority: 1, subject: {namespaces: {}}, ingress: [{name: a, action: Allow, from: [{namespaces: " \
    "{}}]}]}\n"
#define CIL_DENY \
    "---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: cd, namespace: shop}\n" \
    "spec:\n  endpointSelector: {matchLabels: {app: db}}\n" \
    "  ingress: [{fromEndpoints: [{matchLabels: {app: web}}]}]\n" \
    "  ingressDeny: [{fromEndpoints: [{matchLabels: {app: web}}]}]\n"

/* One Calico entry as --explain should show it: reached or why not ("ended", "pass"), and the
 * rule that decides (reached) or would decide (not reached), -1 for none. */
typedef struct {
    const char *policy;
    const char *reach; /* "yes", "ended", "pass" */
    int decides, would;
} reach_want_t;

#define REACH_MAX 8

/* Each entry of the ingress side's calico list of web/db against want (in order). */
static void check_reach(const char *what, const cJSON *cal, const reach_want_t *want, size_t n)
{
    if ((size_t)cJSON_GetArraySize(cal) != n)
        fail_msg("%s: %d Calico entries, want %zu", what, cJSON_GetArraySize(cal), n);
    for (size_t i = 0; i < n; i++) {
        const cJSON *p = cJSON_GetArrayItem(cal, (int)i);
        const cJSON *reached = cJSON_GetObjectItemCaseSensitive(p, "reached");
        bool yes = strcmp(want[i].reach, "yes") == 0;
        if (strcmp(str(p, "policy"), want[i].policy) != 0 || !cJSON_IsBool(reached) ||
            cJSON_IsTrue(reached) != yes)
            fail_msg("%s: calico[%zu] %s reached %s, want %s %s", what, i, str(p, "policy"),
                     cJSON_IsBool(reached) ? (cJSON_IsTrue(reached) ? "true" : "false") : "(absent)",
                     want[i].policy, want[i].reach);
        const char *why = str(p, "reached_why");
        if (yes ? why[0] != '\0'
                : strstr(why,
                         strcmp(want[i].reach, "pass") == 0 ? "a Pass before it in tier" : "ended before") ==
                    NULL)
            fail_msg("%s: %s: reached_why \"%s\", want %s", what, want[i].policy, why, want[i].reach);
        int dec = -1, would = -1, k = 0;
        const cJSON *r;
        cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(p, "rules"))
        {
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "decides")))
                dec = k;
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "would_decide")))
                would = k;
            k++;
        }
        if (dec != want[i].decides || would != want[i].would)
            fail_msg("%s: %s: decides %d would_decide %d, want %d %d", what, want[i].policy, dec, would,
                     want[i].decides, want[i].would);
    }
}

/* Only what Calico's walk evaluated is "reached", and only there does a rule "decide": after
 * an Allow in Calico (the NetworkPolicy at order 1000), after an earlier stage decided (an
 * AdminNetworkPolicy, a Cilium deny), after a Pass (the rest of its tier), after a tier's
 * implicit end-of-tier deny (the later tiers). */
static void test_calico_reached(void **state)
{
    (void)state;
    static const struct {
        const char *what, *objs, *answer;
        reach_want_t want[REACH_MAX];
        size_t n;
    } cases[] = {
        {"an Allow at order 1000",
         CALICO_OBJS,
         "allow",
         {{"shop/early", "yes", -1, -1},
          {"shop/allow-web", "yes", -1, -1},
          {"shop/other", "yes", -1, -1},
          {"shop/late", "ended", -1, 0},
          {"shop/last", "ended", -1, 0}},
         5},
        {"an AdminNetworkPolicy allow",
         ANP_ALLOW "---\n" CALICO_OBJS,
         "allow",
         {{"shop/early", "ended", -1, -1},
          {"shop/allow-web", "ended", -1, -1},
          {"shop/other", "ended", -1, -1},
          {"shop/late", "ended", -1, 0},
          {"shop/last", "ended", -1, 0}},
         5},
        {"a Cilium ingressDeny",
         CIL_DENY "---\n" CALICO_OBJS,
         "deny",
         {{"shop/early", "ended", -1, -1},
          {"shop/allow-web", "ended", -1, -1},
          {"shop/other", "ended", -1, -1},
          {"shop/late", "ended", -1, 0},
          {"shop/last", "ended", -1, 0}},
         5},
        {"a Pass",
         TIER CALICO_OBJS SEC("pass", "10", "{action: Log}, {action: Pass}, {action: Deny}")
             SEC("deny", "20", "{action: Deny}"),
         "allow",
         {{"shop/security.pass", "yes", 1, -1},
          {"shop/security.deny", "pass", -1, 0},
          {"shop/early", "yes", -1, -1},
          {"shop/allow-web", "yes", -1, -1},
          {"shop/other", "yes", -1, -1},
          {"shop/late", "ended", -1, 0},
          {"shop/last", "ended", -1, 0}},
         7},
        {"a tier's end",
         TIER CALICO_OBJS SEC("none", "10", "{action: Allow, source: {selector: app == 'zzz'}}"),
         "deny",
         {{"shop/security.none", "yes", -1, -1},
          {"shop/early", "ended", -1, -1},
          {"shop/allow-web", "ended", -1, -1},
          {"shop/other", "ended", -1, -1},
          {"shop/late", "ended", -1, 0},
          {"shop/last", "ended", -1, 0}},
         6},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fx_t f;
        fx_open(&f, cases[i].objs);
        char *js = fx_render(&f, "web/db", true);
        cJSON *ex = cJSON_Parse(js);
        assert_non_null(ex);
        if (strcmp(str(ex, "answer"), cases[i].answer) != 0)
            fail_msg("%s: answer %s, want %s", cases[i].what, str(ex, "answer"), cases[i].answer);
        check_reach(cases[i].what, cJSON_GetObjectItemCaseSensitive(dir_of(ex, 1), "calico"), cases[i].want,
                    cases[i].n);
        cJSON_Delete(ex);
        free(js);
        char *t = fx_render(&f, "web/db", false);
        /* The text never says a rule the walk did not come to decides. */
        const char *late = strstr(
            t,
            "Calico NetworkPolicy shop/late (tier default, order 2000) applies to the pod; "
            "not reached: the walk ended before it (see the chain)\n"
            "      rule 0 (Deny): not reached (would decide);");
        if (!late || strstr(late, "decides;") ||
            (strstr(cases[i].what, "Pass") &&
             !strstr(t, "rule 1 (Pass): decides (Pass: on to the next tier)")))
            fail_msg("%s: text:\n%s", cases[i].what, t);
        free(t);
        fx_close(&f);
    }
}

/* Cilium: a list whose stage never ran is not reached. With an ingressDeny that decides, the
 * allow rules are not reached; with an AdminNetworkPolicy that allows first, nothing is. */
static void test_cilium_reached(void **state)
{
    (void)state;
    static const struct {
        const char *objs;
        bool policy, deny_rule, allow_rule;
        const char *text;
    } cases[] = {
        {CIL_DENY, true, true, false,
         "      ingressDeny rule 0 (deny): denies;"
         " peer matches; port matches\n      ingress rule 0 (allow): not reached (allows);"},
        {ANP_ALLOW CIL_DENY, false, false, false,
         "    CiliumNetworkPolicy shop/cd selects the pod (default deny); not reached: the walk ended before it "
         "(see the chain)\n      ingressDeny rule 0 (deny): not reached (denies);"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fx_t f;
        fx_open(&f, cases[i].objs);
        char *js = fx_render(&f, "web/db", true);
        cJSON *ex = cJSON_Parse(js);
        assert_non_null(ex);
        const cJSON *pol = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(dir_of(ex, 1), "cilium"), 0);
        const cJSON *rules = cJSON_GetObjectItemCaseSensitive(pol, "rules");
        const cJSON *dr = cJSON_GetArrayItem(rules, 0), *ar = cJSON_GetArrayItem(rules, 1);
        assert_string_equal(str(dr, "list"), "ingressDeny");
        assert_string_equal(str(ar, "list"), "ingress");
        if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(pol, "reached")) ||
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pol, "reached")) != cases[i].policy ||
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dr, "reached")) != cases[i].deny_rule ||
            !cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(ar, "reached")) ||
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ar, "reached")) != cases[i].allow_rule)
            fail_msg("case %zu: %s", i, js);
        cJSON_Delete(ex);
        free(js);
        char *t = fx_render(&f, "web/db", false);
        if (!strstr(t, cases[i].text))
            fail_msg("case %zu: text:\n%s", i, t);
        free(t);
        fx_close(&f);
    }
}

/* The NetworkPolicies' own list (no Calico policies): when an admin policy decides first,
 * the policy that selects the pod was never evaluated, and its allowing rule says so. */
static void test_netpol_reached(void **state)
{
    (void)state;
#define ALLOW_WEB \
    "---\n" KNP "metadata: {name: allow-web, namespace: shop}\n" \
    "spec: {podSelector: {matchLabels: {app: db}}, ingress: [{from: [{podSelector: {matchLabels: " \
    "{app: web}}}]}]}\n"
    static const struct {
        const char *objs;
        bool reached;
        const char *text;
    } cases[] = {
        {ALLOW_WEB, true, "    shop/allow-web selects the pod\n      ingress rule 0: allows"},
        {ANP_ALLOW ALLOW_WEB, false,
         "    shop/allow-web selects the pod; not reached: the walk ended before it (see the chain)\n"
         "      ingress rule 0: would allow (not reached)"},
    };
#undef ALLOW_WEB
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fx_t f;
        fx_open(&f, cases[i].objs);
        char *js = fx_render(&f, "web/db", true);
        cJSON *ex = cJSON_Parse(js);
        assert_non_null(ex);
        const cJSON *pol = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(dir_of(ex, 1), "policies"), 0);
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(pol, "reached");
        if (strcmp(str(pol, "policy"), "shop/allow-web") != 0 || !cJSON_IsBool(r) ||
            cJSON_IsTrue(r) != cases[i].reached ||
            (cJSON_GetObjectItemCaseSensitive(pol, "reached_why") != NULL) == cases[i].reached)
            fail_msg("case %zu: %s", i, js);
        cJSON_Delete(ex);
        free(js);
        char *t = fx_render(&f, "web/db", false);
        if (!strstr(t, cases[i].text))
            fail_msg("case %zu: text:\n%s", i, t);
        free(t);
        fx_close(&f);
    }
}

/* A chain step of a namespaced kind in a stage before the namespaced one (a Calico
 * NetworkPolicy in a tier before default) keeps its namespace, as the list names it. */
static void test_step_keeps_namespace(void **state)
{
    (void)state;
    tier_step_t s = {.stage = TIER_STAGE_CNI_PRE,
                     .action = TIER_PASS,
                     .kind = "Calico NetworkPolicy",
                     .ns = "advanced-policy-demo",
                     .name = "security.pass",
                     .has_priority = true,
                     .priority = 10,
                     .has_rule = true,
                     .rule = 0,
                     .rule_name = "ingress"};
    char buf[512];
    policy_step_text(&s, false, buf, sizeof(buf));
    if (!strstr(buf, "Calico NetworkPolicy advanced-policy-demo/security.pass (order 10)"))
        fail_msg("%s", buf);
    s.ns = NULL; /* cluster-scoped: the name alone */
    s.kind = "Calico GlobalNetworkPolicy";
    s.name = "deny-all";
    policy_step_text(&s, false, buf, sizeof(buf));
    if (!strstr(buf, "Calico GlobalNetworkPolicy deny-all (order 10)"))
        fail_msg("%s", buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calico_places_netpols), cmocka_unit_test(test_cilium_l7_only_when_l3l4_match),
        cmocka_unit_test(test_calico_reached),        cmocka_unit_test(test_cilium_reached),
        cmocka_unit_test(test_netpol_reached),        cmocka_unit_test(test_step_keeps_namespace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
