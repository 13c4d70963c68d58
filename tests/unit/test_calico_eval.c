/* test_calico_eval.c: Calico's policies read and evaluated, table-driven: tiers and orders,
 * Allow/Deny/Pass/Log, types defaults, NetworkPolicies at order 1000 in the default tier,
 * a tier's default deny, namespace scope of selectors, namespaceSelector, service accounts,
 * nets/notNets, ports/notPorts, protocols; each answer names the deciding step. Then the
 * reader: malformed objects (path and selector column), fields not evaluated (foreign),
 * staged policies (skipped). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calico_eval.h"
#include "k8s_read.h"
#include "netpol.h"
#include "netpol_test.h"

/* shop (team=shop): web (app=web, sa web-sa, port http 8080, 10.0.0.1), db (app=db, 5432,
 * 10.0.0.2); ops (team=ops): mon (app=mon, 10.0.1.1). ServiceAccount shop/web-sa has
 * role=frontend. */
static const char BASE[] =
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: shop}}\n"
    "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ops, labels: {team: ops}}\n"
    "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web-sa, namespace: shop, labels: {role: "
    "frontend}}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n"
    "spec: {serviceAccountName: web-sa, containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}\n"
    "status: {podIP: 10.0.0.1}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: shop, labels: {app: db}}\n"
    "spec: {containers: [{name: c, ports: [{containerPort: 5432}]}]}\nstatus: {podIP: 10.0.0.2}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: mon, namespace: ops, labels: {app: mon}}\n"
    "status: {podIP: 10.0.1.1}\n";

#define GNP "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\n"
#define CNP "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
#define KNP "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
#define TIER(name, order) \
    "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: " name "}\nspec: {order: " order \
    "}\n---\n"

static k8s_model_t *load(const char *policies, char *err, size_t errlen, int *rc)
{
    return nt_load(BASE, policies, err, errlen, rc);
}

typedef struct {
    const char *what;
    const char *policies;
    const char *from, *to; /* pods; to NULL: the outside block `outside` */
    const char *outside;
    int port;
    k8s_proto_t proto;
    netpol_verdict_t want;
    const char *says; /* a piece of the deciding side's explanation */
} cal_case_t;

static const cal_case_t CASES[] = {
    {"a GlobalNetworkPolicy Deny rule",
     GNP
     "metadata: {name: deny-web}\nspec:\n  order: 10\n  selector: app == 'db'\n"
     "  ingress: [{action: Deny, protocol: TCP, source: {selector: app == 'web'}, destination: {ports: [5432]}}]\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY,
     "denied by Calico GlobalNetworkPolicy deny-web (tier default, order 10) ingress rule 0 (Deny)"},
    {"lower order first: Allow at 10 before Deny at 20",
     GNP
     "metadata: {name: b-allow}\nspec: {order: 10, selector: app == 'db', ingress: [{action: Allow}]}\n---\n" GNP
     "metadata: {name: a-deny}\nspec: {order: 20, selector: app == 'db', ingress: [{action: Deny}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW,
     "b-allow (tier default, order 10) ingress rule 0 (Allow)"},
    {"no order sorts last",
     GNP
     "metadata: {name: a-deny}\nspec: {selector: app == 'db', ingress: [{action: Deny}]}\n---\n" GNP
     "metadata: {name: z-allow}\nspec: {order: 5000, selector: app == 'db', ingress: [{action: Allow}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, "z-allow (tier default, order 5000)"},
    {"equal orders: by name",
     GNP
     "metadata: {name: a-deny}\nspec: {order: 5, selector: app == 'db', ingress: [{action: Deny}]}\n---\n" GNP
     "metadata: {name: b-allow}\nspec: {order: 5, selector: app == 'db', ingress: [{action: Allow}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY, "a-deny (tier default, order 5) ingress rule 0 (Deny)"},
    {"Log does not decide",
     GNP "metadata: {name: p}\nspec: {selector: app == 'db', ingress: [{action: Log}, {action: Allow}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, "ingress rule 1 (Allow)"},
    {"a policy applies, no rule matches: the tier denies",
     GNP
     "metadata: {name: only-mon}\nspec: {order: 1, selector: app == 'db', ingress: [{action: Allow, source: "
     "{selector: app == 'mon'}}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY,
     "denied by the end of tier default (defaultAction Deny): Calico GlobalNetworkPolicy only-mon"},
    {"the selector does not pick db: nothing applies, the profile allows",
     GNP "metadata: {name: p}\nspec: {selector: app == 'nothing', ingress: [{action: Deny}]}\n", "web", "db",
     NULL, 5432, K8S_TCP, NETPOL_ALLOW, NULL},
    {"types default: only egress rules means Egress only",
     GNP "metadata: {name: p}\nspec: {selector: app == 'db', egress: [{action: Deny, destination: {nets: "
         "[192.0.2.0/24]}}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, NULL},
    {"types default: no rules at all means Ingress (deny all ingress)",
     GNP "metadata: {name: p}\nspec: {selector: app == 'db'}\n", "web", "db", NULL, 5432, K8S_TCP,
     NETPOL_DENY, "end of tier default"},
    {"types given: Egress alone leaves ingress open",
     GNP "metadata: {name: p}\nspec: {selector: app == 'db', types: [Egress]}\n", "web", "db", NULL, 5432,
     K8S_TCP, NETPOL_ALLOW, NULL},
    {"a Calico Deny at order 500 comes before a NetworkPolicy allow (1000)",
     GNP
     "metadata: {name: early-deny}\nspec: {order: 500, selector: app == 'db', ingress: [{action: Deny}]}\n---\n" KNP
     "metadata: {name: np, namespace: shop}\nspec: {podSelector: {}, ingress: [{}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY,
     "early-deny (tier default, order 500) ingress rule 0 (Deny)"},
    {"a Calico Deny at order 2000 comes after a NetworkPolicy allow",
     GNP
     "metadata: {name: late-deny}\nspec: {order: 2000, selector: app == 'db', ingress: [{action: Deny}]}\n---\n" KNP
     "metadata: {name: np, namespace: shop}\nspec: {podSelector: {}, ingress: [{}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW,
     "allowed by the NetworkPolicies (order 1000 in tier default)"},
    {"a NetworkPolicy isolates, a later Calico Allow in the tier allows",
     GNP
     "metadata: {name: late-allow}\nspec: {order: 2000, selector: app == 'db', ingress: [{action: Allow}]}\n---\n" KNP
     "metadata: {name: np, namespace: shop}\nspec: {podSelector: {}}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW,
     "late-allow (tier default, order 2000) ingress rule 0 (Allow)"},
    {"a NetworkPolicy alone still denies by the tier's end",
     GNP "metadata: {name: other}\nspec: {selector: app == 'nothing'}\n---\n" KNP
         "metadata: {name: np, namespace: shop}\nspec: {podSelector: {}}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY,
     "the NetworkPolicies (order 1000 in tier default) applied"},
    {"tiers: a Pass skips the rest of its tier; the default tier allows",
     TIER("security", "100") GNP
     "metadata: {name: security.pass-db}\nspec: {tier: security, order: 1, selector: app == 'db', ingress: [{action: "
     "Pass, source: {selector: app == 'web'}}]}\n---\n" GNP
     "metadata: {name: security.deny}\nspec: {tier: security, order: 2, selector: app == 'db', ingress: [{action: "
     "Deny}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW,
     "passed by Calico GlobalNetworkPolicy security.pass-db (tier security) ingress rule 0, then no Calico tier "
     "decides"},
    {"tiers: the earlier tier's Deny wins over the default tier's Allow",
     TIER("security", "100") GNP
     "metadata: {name: security.deny}\nspec: {tier: security, selector: app == 'db', ingress: [{action: Deny}]}\n---\n" GNP
     "metadata: {name: allow}\nspec: {order: 1, selector: app == 'db', ingress: [{action: Allow}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY,
     "security.deny (tier security, no order) ingress rule 0 (Deny)"},
    {"tiers: a later tier (order above the default's) comes after the default tier",
     TIER("late", "2000000") GNP
     "metadata: {name: late.deny}\nspec: {tier: late, selector: app == 'db', ingress: [{action: Deny}]}\n---\n" GNP
     "metadata: {name: allow}\nspec: {order: 1, selector: app == 'db', ingress: [{action: Allow}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, "allow (tier default, order 1) ingress rule 0 (Allow)"},
    {"tiers: defaultAction Pass goes on to the next tier",
     "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: soft}\nspec: {order: 100, defaultAction: "
     "Pass}\n---\n" GNP
     "metadata: {name: soft.only-mon}\nspec: {tier: soft, selector: app == 'db', ingress: [{action: Allow, "
     "source: {selector: app == 'mon'}}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, "passed by the end of tier soft (defaultAction Pass)"},
    {"a policy in a tier the objects lack: unknown",
     GNP "metadata: {name: x.p}\nspec: {tier: x, selector: app == 'db', ingress: [{action: Allow}]}\n", "web",
     "db", NULL, 5432, K8S_TCP, NETPOL_UNKNOWN, "the policy's tier is not among the objects"},
    {"namespaced policy: its rule selectors stay in its namespace",
     CNP
     "metadata: {name: p, namespace: shop}\nspec: {selector: app == 'db', ingress: [{action: Allow, source: "
     "{selector: all()}}]}\n",
     "mon", "db", NULL, 5432, K8S_TCP, NETPOL_DENY, "Calico NetworkPolicy shop/p"},
    {"namespaced policy: rule selectors match in its namespace",
     CNP
     "metadata: {name: p, namespace: shop}\nspec: {selector: app == 'db', ingress: [{action: Allow, source: "
     "{selector: all()}}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW,
     "shop/p (tier default, no order) ingress rule 0 (Allow)"},
    {"namespaced policy: a namespaceSelector widens the rule",
     CNP
     "metadata: {name: p, namespace: shop}\nspec: {selector: app == 'db', ingress: [{action: Allow, source: "
     "{namespaceSelector: team == 'ops'}}]}\n",
     "mon", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, "ingress rule 0 (Allow)"},
    {"namespaced policy selects only its namespace's pods",
     CNP "metadata: {name: p, namespace: ops}\nspec: {selector: all(), ingress: [{action: Deny}]}\n", "web",
     "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, NULL},
    {"implied label projectcalico.org/namespace in a global policy",
     GNP
     "metadata: {name: p}\nspec: {selector: projectcalico.org/namespace == 'shop' && app == 'db', ingress: "
     "[{action: Deny, source: {selector: projectcalico.org/namespace == 'ops'}}]}\n",
     "mon", "db", NULL, 5432, K8S_TCP, NETPOL_DENY, "ingress rule 0 (Deny)"},
    {"GlobalNetworkPolicy namespaceSelector picks the namespaces it applies in",
     GNP
     "metadata: {name: p}\nspec: {namespaceSelector: team == 'ops', selector: all(), ingress: [{action: Deny}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, NULL},
    {"serviceAccounts names in a rule",
     GNP
     "metadata: {name: p}\nspec: {selector: app == 'db', ingress: [{action: Allow, source: {serviceAccounts: "
     "{names: [web-sa]}}}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, "ingress rule 0 (Allow)"},
    {"serviceAccounts selector reads the ServiceAccount's labels",
     GNP
     "metadata: {name: p}\nspec: {selector: app == 'db', ingress: [{action: Allow, source: {serviceAccounts: "
     "{selector: role == 'frontend'}}}]}\n",
     "mon", "db", NULL, 5432, K8S_TCP, NETPOL_DENY, "end of tier default"},
    {"serviceAccountSelector on the policy",
     GNP
     "metadata: {name: p}\nspec: {serviceAccountSelector: role == 'frontend', egress: [{action: Deny}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY, "egress rule 0 (Deny)"},
    {"serviceAccountSelector: a pod with the default account is not selected",
     GNP
     "metadata: {name: p}\nspec: {serviceAccountSelector: role == 'frontend', egress: [{action: Deny}]}\n",
     "db", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, NULL},
    {"egress nets: an outside block inside them",
     GNP "metadata: {name: p}\nspec: {selector: app == 'web', egress: [{action: Allow, destination: {nets: "
         "[192.0.2.0/24]}}]}\n",
     "web", NULL, "192.0.2.10/32", 443, K8S_TCP, NETPOL_ALLOW, "egress rule 0 (Allow)"},
    {"egress nets: another block is denied by the tier",
     GNP "metadata: {name: p}\nspec: {selector: app == 'web', egress: [{action: Allow, destination: {nets: "
         "[192.0.2.0/24]}}]}\n",
     "web", NULL, "198.51.100.1/32", 443, K8S_TCP, NETPOL_DENY, "end of tier default"},
    {"egress nets: a block only partly inside: unknown",
     GNP "metadata: {name: p}\nspec: {selector: app == 'web', egress: [{action: Allow, destination: {nets: "
         "[192.0.2.0/25]}}]}\n",
     "web", NULL, "192.0.2.0/24", 443, K8S_TCP, NETPOL_UNKNOWN, "matches only part"},
    {"notNets: the internet but private ranges",
     GNP
     "metadata: {name: p}\nspec: {selector: app == 'web', egress: [{action: Allow, destination: {notNets: "
     "[10.0.0.0/8, 192.168.0.0/16]}}]}\n",
     "web", NULL, "203.0.113.5/32", 443, K8S_TCP, NETPOL_ALLOW, "egress rule 0 (Allow)"},
    {"notNets: a pod in a private range is not matched",
     GNP
     "metadata: {name: p}\nspec: {selector: app == 'web', egress: [{action: Allow, destination: {notNets: "
     "[10.0.0.0/8]}}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY, "end of tier default"},
    {"nets match pod addresses",
     GNP "metadata: {name: p}\nspec: {selector: app == 'db', ingress: [{action: Deny, source: {nets: "
         "[10.0.0.1/32]}}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY, "ingress rule 0 (Deny)"},
    {"selectors never match an outside address",
     GNP
     "metadata: {name: p}\nspec: {selector: app == 'web', egress: [{action: Allow, destination: {selector: "
     "all()}}]}\n",
     "web", NULL, "203.0.113.5/32", 443, K8S_TCP, NETPOL_DENY, "end of tier default"},
    {"notSelector: every endpoint but the selected ones",
     GNP
     "metadata: {name: p}\nspec: {selector: app == 'db', ingress: [{action: Allow, source: {notSelector: app "
     "== 'web'}}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY, "end of tier default"},
    {"destination ports: a range string",
     GNP
     "metadata: {name: p}\nspec: {selector: app == 'db', ingress: [{action: Allow, protocol: TCP, destination: "
     "{ports: ['5000:6000']}}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, "ingress rule 0 (Allow)"},
    {"destination notPorts",
     GNP
     "metadata: {name: p}\nspec: {selector: app == 'db', ingress: [{action: Allow, protocol: TCP, destination: "
     "{notPorts: [5432]}}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY, "end of tier default"},
    {"named port resolves at the destination",
     GNP
     "metadata: {name: p}\nspec: {selector: app == 'web', ingress: [{action: Allow, protocol: TCP, destination: "
     "{ports: [http]}}]}\n",
     "db", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, "ingress rule 0 (Allow)"},
    {"a UDP rule does not match TCP",
     GNP "metadata: {name: p}\nspec: {selector: app == 'db', ingress: [{action: Allow, protocol: UDP}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY, "end of tier default"},
    {"notProtocol",
     GNP "metadata: {name: p}\nspec: {selector: app == 'db', ingress: [{action: Deny, notProtocol: UDP}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY, "ingress rule 0 (Deny)"},
    {"ipVersion 6 does not match IPv4",
     GNP
     "metadata: {name: p}\nspec: {selector: app == 'db', ingress: [{action: Deny, ipVersion: 6}, {action: "
     "Allow}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, "ingress rule 1 (Allow)"},
    {"source ports cannot be known: unknown",
     GNP
     "metadata: {name: p}\nspec: {selector: app == 'db', ingress: [{action: Allow, protocol: TCP, source: "
     "{ports: [1024]}}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_UNKNOWN, "source ports"},
    {"doNotTrack policies apply to hosts only",
     GNP
     "metadata: {name: p}\nspec: {selector: all(), doNotTrack: true, applyOnForward: true, ingress: [{action: "
     "Deny}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, NULL},
    {"staged policies never change traffic",
     "apiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata: {name: p}\nspec: {selector: "
     "all(), ingress: [{action: Deny}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, NULL},
    {"crd.projectcalico.org/v1 reads the same",
     "apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkPolicy\nmetadata: {name: default.p}\nspec: "
     "{selector: app == 'db', ingress: [{action: Deny}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY,
     "default.p (tier default, no order) ingress rule 0 (Deny)"},
    {"an http match is not evaluated: unknown",
     GNP
     "metadata: {name: p}\nspec: {selector: app == 'db', ingress: [{action: Allow, http: {methods: [GET]}}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_UNKNOWN, NULL},
};

static void test_eval_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        const cal_case_t *c = &CASES[i];
        char err[512] = "";
        int rc;
        k8s_model_t *m = load(c->policies, err, sizeof(err), &rc);
        if (rc != 0)
            fail_msg("%s: %s", c->what, err);
        netpol_endpoint_t s, d;
        nt_ends(m, c->from, c->to, c->outside, &s, &d);
        netpol_answer_t a;
        netpol_query(m, &s, &d, c->port, c->proto, &a);
        if (a.verdict != c->want)
            fail_msg("%s: want %s, got %s", c->what, netpol_verdict_name(c->want),
                     netpol_verdict_name(a.verdict));
        if (c->says) {
            /* The side that decided: a deny's side, else the one a Calico step decided. */
            const netpol_side_t *side = &a.ingress;
            netpol_dir_t dir = NETPOL_INGRESS;
            if (a.egress.verdict != NETPOL_ALLOW || (a.verdict == NETPOL_ALLOW && a.egress.calico.applied)) {
                side = &a.egress;
                dir = NETPOL_EGRESS;
            }
            char text[600];
            calico_step_text(m, dir, &side->calico, text, sizeof(text));
            if (!strstr(text, c->says))
                fail_msg("%s: explanation \"%s\" lacks \"%s\"", c->what, text, c->says);
        }
        k8s_model_destroy(m);
    }
}

/* Calico's tiers take their places in the tier chain: tiers before the default tier are
 * stage cni-pre, the default tier (with the NetworkPolicies) namespaced, later ones baseline;
 * a Pass is kept in the chain before the step that decided. */
static void test_chain_stages(void **state)
{
    (void)state;
    static const char objs[] = TIER("early", "100") TIER("late", "2000000") GNP
        "metadata: {name: early.pass}\nspec: {tier: early, selector: app == 'db', ingress: [{action: Pass, "
        "source: {selector: app == 'web'}}, {action: Deny}]}\n---\n" KNP
        "metadata: {name: np, namespace: shop}\nspec: {podSelector: {matchLabels: {app: none}}}\n---\n" GNP
        "metadata: {name: late.deny-mon}\nspec: {tier: late, selector: app == 'db', ingress: [{action: Deny}]}\n";
    char err[512] = "";
    int rc;
    k8s_model_t *m = load(objs, err, sizeof(err), &rc);
    if (rc != 0)
        fail_msg("%s", err);
    netpol_endpoint_t web, db, mon;
    netpol_endpoint_pod(m, nt_pod(m, "web"), &web);
    netpol_endpoint_pod(m, nt_pod(m, "db"), &db);
    netpol_endpoint_pod(m, nt_pod(m, "mon"), &mon);
    netpol_answer_t a;
    /* web: passed by early.pass (cni-pre), nothing in the default tier, denied by late. */
    netpol_query(m, &web, &db, 5432, K8S_TCP, &a);
    assert_int_equal(a.verdict, NETPOL_DENY);
    assert_int_equal(a.ingress.n_chain, 2);
    assert_int_equal(a.ingress.chain[0].stage, TIER_STAGE_CNI_PRE);
    assert_int_equal(a.ingress.chain[0].action, TIER_PASS);
    assert_string_equal(a.ingress.chain[0].name, "early.pass");
    assert_string_equal(a.ingress.chain[0].kind, "Calico GlobalNetworkPolicy");
    assert_int_equal(a.ingress.chain[1].stage, TIER_STAGE_BASELINE);
    assert_int_equal(a.ingress.chain[1].action, TIER_DENY);
    assert_string_equal(a.ingress.chain[1].name, "late.deny-mon");
    assert_true(a.ingress.chain[1].has_rule);
    /* mon: denied in the early tier by rule 1. */
    netpol_query(m, &mon, &db, 5432, K8S_TCP, &a);
    assert_int_equal(a.verdict, NETPOL_DENY);
    assert_int_equal(a.ingress.n_chain, 1);
    assert_int_equal(a.ingress.chain[0].stage, TIER_STAGE_CNI_PRE);
    assert_int_equal(a.ingress.chain[0].rule, 1);
    assert_true(a.ingress.chain[0].has_priority == false);
    /* egress of web: no Calico policy selects it: the default allow ends the chain. */
    assert_int_equal(a.egress.n_chain, 1);
    assert_int_equal(a.egress.chain[0].stage, TIER_STAGE_DEFAULT);
    k8s_model_destroy(m);
}

/* calico_rule_match (--explain): each part of a rule and what did not match. */
static void test_rule_match(void **state)
{
    (void)state;
    char err[512] = "";
    int rc;
    k8s_model_t *m = load(
        CNP
        "metadata: {name: p, namespace: shop}\nspec:\n  selector: app == 'db'\n  ingress:\n"
        "  - {action: Allow, protocol: TCP, source: {namespaceSelector: team == 'ops'}}\n"
        "  - {action: Deny, protocol: TCP, source: {nets: [10.0.1.0/24]}, destination: {notPorts: [5432]}}\n"
        "  - {action: Pass, protocol: UDP}\n"
        "  - {action: Allow, protocol: TCP, source: {selector: app == 'web'}, destination: {ports: [5432]}}\n",
        err, sizeof(err), &rc);
    if (rc != 0)
        fail_msg("%s", err);
    netpol_endpoint_t web, db;
    netpol_endpoint_pod(m, nt_pod(m, "web"), &web);
    netpol_endpoint_pod(m, nt_pod(m, "db"), &db);
    netpol_side_t side;
    memset(&side, 0, sizeof(side));
    tier_query_t q = {m, NETPOL_INGRESS, &db, &web, &db, 5432, K8S_TCP, &side, NULL};
    calico_rule_match_t x;
    calico_rule_match(&q, 0, 0, &x);
    assert_int_equal(x.action, CAL_ALLOW);
    assert_true(x.protocol);
    assert_int_equal(x.source, 0);
    assert_non_null(strstr(x.source_why, "namespaceSelector team == 'ops': namespace shop does not match"));
    assert_int_equal(x.matches, 0);
    calico_rule_match(&q, 0, 1, &x);
    assert_int_equal(x.source, 0);
    assert_string_equal(x.source_why, "nets: the address is outside them");
    assert_false(x.ports);
    assert_string_equal(x.ports_why, "destination notPorts: port 5432 is listed");
    calico_rule_match(&q, 0, 2, &x);
    assert_int_equal(x.action, CAL_PASS);
    assert_false(x.protocol);
    calico_rule_match(&q, 0, 3, &x);
    assert_int_equal(x.matches, 2);
    assert_int_equal(x.source, 2);
    assert_int_equal(x.destination, 2);
    assert_true(x.ports);
    assert_string_equal(x.source_why, "");
    k8s_model_destroy(m);
}

static void test_read_errors(void **state)
{
    (void)state;
    static const struct {
        const char *obj, *err;
    } cases[] = {
        {GNP "metadata: {name: p}\nspec: {selector: app = 'db'}\n",
         "policies.yaml: document 1 (GlobalNetworkPolicy p): spec.selector: column 5: expected an operator"},
        {GNP "metadata: {name: p}\nspec: {ingress: [{action: Allow, source: {notSelector: \"has(a\"}}]}\n",
         "spec.ingress[0].source.notSelector: column 6: expected ')' after has(KEY"},
        {GNP "metadata: {name: p}\nspec: {ingress: [{action: allow}]}\n",
         "spec.ingress[0].action: required: Allow, Deny, Pass or Log"},
        {GNP "metadata: {name: p}\nspec: {ingress: [{action: Allow, destination: {ports: [80]}}]}\n",
         "spec.ingress[0]: ports and notPorts need protocol TCP, UDP, SCTP or UDPLite"},
        {GNP
         "metadata: {name: p}\nspec: {ingress: [{action: Allow, protocol: TCP, destination: {ports: ['90:80']}}]}\n",
         "spec.ingress[0].destination.ports[0]: a port range must be LOW:HIGH within 0..65535"},
        {GNP "metadata: {name: p}\nspec: {egress: [{action: Allow, destination: {nets: [10.0.0.0/33]}}]}\n",
         "spec.egress[0].destination.nets[0]: must be a CIDR"},
        {GNP "metadata: {name: p}\nspec: {order: first}\n", "spec.order: must be a number"},
        {GNP "metadata: {name: p}\nspec: {types: [Both]}\n", "spec.types[0]: must be Ingress or Egress"},
        {CNP "metadata: {name: p, namespace: shop}\nspec: {ingress: [{action: Allow, protocol: XTP}]}\n",
         "spec.ingress[0].protocol: must be TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number 1..255"},
        {"apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\nspec: {defaultAction: Allow}\n",
         "spec.defaultAction: must be Deny or Pass"},
        {"apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: shop}\nspec: {serviceAccountName: 3}\n",
         "spec.serviceAccountName: must be a string"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512] = "";
        int rc;
        k8s_model_t *m = load(cases[i].obj, err, sizeof(err), &rc);
        if (rc != -1 || !strstr(err, cases[i].err))
            fail_msg("case %zu: rc %d, \"%s\" lacks \"%s\"", i, rc, err, cases[i].err);
        k8s_model_destroy(m);
    }
}

/* Fields this evaluator does not read set the object aside as foreign, naming the field. */
static void test_foreign_fields(void **state)
{
    (void)state;
    static const struct {
        const char *obj, *why;
    } cases[] = {
        {GNP "metadata: {name: p}\nspec: {ingress: [{action: Allow, http: {methods: [GET]}}]}\n",
         "field spec.ingress[0].http is not evaluated for Calico policies"},
        {GNP "metadata: {name: p}\nspec: {egress: [{action: Allow, destination: {services: {name: s}}}]}\n",
         "field spec.egress[0].destination.services is not evaluated for Calico policies"},
        {CNP "metadata: {name: p, namespace: shop}\nspec: {namespaceSelector: all()}\n",
         "field spec.namespaceSelector is not evaluated for Calico policies"},
        {GNP
         "metadata: {name: p}\nspec: {ingress: [{action: Allow, source: {serviceAccounts: {all: true}}}]}\n",
         "field spec.ingress[0].source.serviceAccounts.all is not evaluated for Calico policies"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512] = "";
        int rc;
        k8s_model_t *m = load(cases[i].obj, err, sizeof(err), &rc);
        assert_int_equal(rc, 0);
        assert_int_equal(m->n_foreign, 1);
        assert_int_equal(m->calico.n_policies, 0);
        assert_string_equal(m->foreign[0].why, cases[i].why);
        k8s_model_destroy(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_table),  cmocka_unit_test(test_chain_stages),
        cmocka_unit_test(test_read_errors), cmocka_unit_test(test_foreign_fields),
        cmocka_unit_test(test_rule_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
