/* test_netpol_explain.c: the mismatch a denying side names (which part of which rule: the
 * field, what it wants, what the endpoint has, the sentence), table-driven over the parts a
 * rule has; and the re-examination agrees with the evaluator on every rule of every case. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_read.h"
#include "netpol.h"
#include "netpol_explain.h"

/* Namespaces "app" (team=a: pods web app=web with port http 8080, db app=db with port pg 5432)
 * and "other" (pod cli app=cli). */
static const char BASE[] =
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: app, labels: {team: a}}\n"
    "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: app, labels: {app: web}}\n"
    "spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}\n"
    "status: {podIP: 10.0.1.1}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: app, labels: {app: db}}\n"
    "spec: {containers: [{name: c, ports: [{name: pg, containerPort: 5432}]}]}\n"
    "status: {podIP: 10.0.1.2}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: cli, namespace: other, labels: {app: cli}}\n"
    "status: {podIP: 10.0.2.1}\n";

#define NP "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
#define DB_IN NP "metadata: {name: db-in, namespace: app}\nspec:\n  podSelector: {matchLabels: {app: db}}\n"
#define WEB_OUT \
    NP "metadata: {name: web-out, namespace: app}\nspec:\n  podSelector: {matchLabels: {app: web}}\n"

typedef struct {
    const char *what;
    const char *policies;
    const char *from, *to; /* pods; to NULL: the outside block `outside` */
    const char *outside;
    int port;
    k8s_proto_t proto;
    bool set; /* a mismatch is named */
    npx_why_t why;
    const char *field, *key, *wanted, *found;
    const char *sentence; /* a part of it */
} mm_case_t;

static const mm_case_t CASES[] = {
    {"podSelector: the label that differs",
     DB_IN "  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], "
           "ports: [{port: 5432}]}]\n",
     "web", "db", NULL, 5432, K8S_TCP, true, NPX_POD_LABELS,
     "spec.ingress[0].from[0].podSelector.matchLabels.app", "app", "api", "web",
     "app/db-in ingress rule 0 would allow this but for its podSelector: "
     "spec.ingress[0].from[0].podSelector.matchLabels.app is api; role web's pod carries app=web"},
    {"podSelector: the nearest of two peers (one label off, not the ipBlock)",
     DB_IN
     "  ingress: [{from: [{ipBlock: {cidr: 192.0.2.0/24}}, {podSelector: {matchLabels: {app: web, v: '2'}}}], "
     "ports: [{port: 5432}]}]\n",
     "web", "db", NULL, 5432, K8S_TCP, true, NPX_POD_LABELS,
     "spec.ingress[0].from[1].podSelector.matchLabels.v", "v", "2", "", "role web's pod has no label v"},
    {"matchExpressions: the requirement that fails",
     DB_IN "  ingress: [{from: [{podSelector: {matchExpressions: [{key: app, operator: In, values: [api, "
           "batch]}]}}]}]\n",
     "web", "db", NULL, 5432, K8S_TCP, true, NPX_POD_LABELS,
     "spec.ingress[0].from[0].podSelector.matchExpressions[0]", "app", "In (api, batch)", "web", NULL},
    {"namespaceSelector: the namespace's labels",
     DB_IN "  ingress: [{from: [{namespaceSelector: {matchLabels: {team: b}}}], ports: [{port: 5432}]}]\n",
     "web", "db", NULL, 5432, K8S_TCP, true, NPX_NS_LABELS,
     "spec.ingress[0].from[0].namespaceSelector.matchLabels.team", "team", "b", "a",
     "namespace app carries team=a"},
    {"namespaceSelector: a key with dots and a slash in brackets",
     DB_IN "  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ops}}}]}]\n",
     "cli", "db", NULL, 5432, K8S_TCP, true, NPX_NS_LABELS,
     "spec.ingress[0].from[0].namespaceSelector.matchLabels[\"kubernetes.io/metadata.name\"]",
     "kubernetes.io/metadata.name", "ops", "other", NULL},
    {"no namespaceSelector: the policy's own namespace only",
     DB_IN "  ingress: [{from: [{podSelector: {matchLabels: {app: cli}}}]}]\n", "cli", "db", NULL, 5432,
     K8S_TCP, true, NPX_NS_OTHER, "spec.ingress[0].from[0]", "namespace", "app", "other",
     "has no namespaceSelector, so it means namespace app; role cli's pod is in namespace other"},
    {"port: the number in the policy",
     DB_IN "  ingress: [{from: [{podSelector: {}}], ports: [{port: 5433}]}]\n", "web", "db", NULL, 5432,
     K8S_TCP, true, NPX_PORT, "spec.ingress[0].ports[0].port", "port", "5433", "5432",
     "app/db-in ingress rule 0 would allow this but for its port: spec.ingress[0].ports[0].port is 5433; the probe "
     "connects to 5432"},
    {"protocol differs", DB_IN "  ingress: [{ports: [{protocol: UDP, port: 5432}]}]\n", "web", "db", NULL,
     5432, K8S_TCP, true, NPX_PROTOCOL, "spec.ingress[0].ports[0].protocol", "protocol", "UDP", "TCP",
     "the probe uses TCP"},
    {"port outside port..endPort", DB_IN "  ingress: [{ports: [{port: 3000, endPort: 3010}]}]\n", "web", "db",
     NULL, 5432, K8S_TCP, true, NPX_RANGE, "spec.ingress[0].ports[0].endPort", "port", "3000-3010", "5432",
     NULL},
    {"named port the destination does not declare", DB_IN "  ingress: [{ports: [{port: metrics}]}]\n", "web",
     "db", NULL, 5432, K8S_TCP, true, NPX_NAMED, "spec.ingress[0].ports[0].port", "port", "metrics", "",
     "declares no container port of that name"},
    {"named port declared on another number", DB_IN "  ingress: [{ports: [{port: pg}]}]\n", "web", "db", NULL,
     5433, K8S_TCP, true, NPX_NAMED, "spec.ingress[0].ports[0].port", "port",
     "pg (5432 on the destination pod)", "5433", NULL},
    {"egress ipBlock: the address outside the cidr",
     WEB_OUT
     "  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: 192.0.2.0/24}}], ports: [{port: 443}]}]\n",
     "web", NULL, "198.51.100.7/32", 443, K8S_TCP, true, NPX_IPBLOCK, "spec.egress[0].to[0].ipBlock.cidr",
     "cidr", "192.0.2.0/24", "198.51.100.7/32", "the target (198.51.100.7/32) is outside it"},
    {"egress ipBlock: the address in an except block",
     WEB_OUT
     "  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]}]\n",
     "web", "db", NULL, 5432, K8S_TCP, true, NPX_EXCEPT, "spec.egress[0].to[0].ipBlock.except[0]", "except",
     "10.0.0.0/8", "10.0.1.2", NULL},
    {"a policy with the rule does not select the pod: its spec.podSelector",
     NP "metadata: {name: deny, namespace: app}\nspec: {podSelector: {}, policyTypes: [Egress]}\n---\n" NP
        "metadata: {name: db-out, namespace: app}\nspec:\n  podSelector: {matchLabels: {app: webb}}\n"
        "  egress: [{to: [{podSelector: {matchLabels: {app: db}}}], ports: [{port: 5432}]}]\n",
     "web", "db", NULL, 5432, K8S_TCP, true, NPX_SUBJECT, "spec.podSelector.matchLabels.app", "app", "webb",
     "web",
     "app/db-out egress rule 0 would allow this, but the policy does not select role web's pod: "
     "spec.podSelector.matchLabels.app is webb; role web's pod carries app=web"},
    {"peer and port both off: nothing single to name",
     DB_IN "  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: 1}]}]\n", "web",
     "db", NULL, 5432, K8S_TCP, false, NPX_MATCH, NULL, NULL, NULL, NULL, NULL},
    {"allowed: no mismatch", DB_IN "  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]\n", "web",
     "db", NULL, 5432, K8S_TCP, false, NPX_MATCH, NULL, NULL, NULL, NULL, NULL},
};

static k8s_model_t *load(const char *policies)
{
    char err[512];
    k8s_model_t *m = k8s_model_create();
    assert_non_null(m);
    assert_int_equal(k8s_read_text(m, "base.yaml", BASE, sizeof(BASE) - 1, err, sizeof(err)), 0);
    int rc = k8s_read_text(m, "policies.yaml", policies, strlen(policies), err, sizeof(err));
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(k8s_model_finish(m), 0);
    return m;
}

static void endpoint(const k8s_model_t *m, const char *pod, const char *outside, netpol_endpoint_t *e)
{
    if (!pod) {
        cidr_t r;
        char err[64];
        assert_int_equal(cidr_parse(outside, &r, err, sizeof(err)), 0);
        netpol_endpoint_range(&r, e);
        return;
    }
    for (size_t i = 0; i < m->n_pods; i++)
        if (strcmp(m->pods[i].name, pod) == 0) {
            netpol_endpoint_pod(m, i, e);
            return;
        }
    fail_msg("no pod %s", pod);
}

static void test_mismatch_table(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(CASES) / sizeof(CASES[0]); k++) {
        const mm_case_t *c = &CASES[k];
        k8s_model_t *m = load(c->policies);
        netpol_endpoint_t s, d;
        netpol_answer_t a;
        npx_mismatch_t x;
        char me[64];
        endpoint(m, c->from, NULL, &s);
        endpoint(m, c->to, c->outside, &d);
        netpol_query(m, &s, &d, c->port, c->proto, &a);
        snprintf(me, sizeof(me), "role %s's pod", c->from);
        const char *target = d.is_pod ? "the target's pod" : "the target";
        bool got;
        if (a.egress.verdict == NETPOL_DENY)
            got = netpol_explain_mismatch(m, &a.egress, NETPOL_EGRESS, &s, &d, &d, c->port, c->proto, me,
                                          target, &x);
        else
            got = netpol_explain_mismatch(m, &a.ingress, NETPOL_INGRESS, &d, &s, &d, c->port, c->proto,
                                          target, me, &x);
        if (got != c->set)
            fail_msg("%s: mismatch %s, want %s (%s)", c->what, got ? "named" : "none",
                     c->set ? "named" : "none", x.sentence);
        assert_int_equal(got, x.set);
        if (c->set) {
            if (x.part.why != c->why || strcmp(x.part.field, c->field) != 0 ||
                strcmp(x.part.key, c->key) != 0 || strcmp(x.part.wanted, c->wanted) != 0 ||
                strcmp(x.part.found, c->found) != 0)
                fail_msg("%s: got %s %s key=%s wanted=%s found=%s", c->what,
                         netpol_explain_why_name(x.part.why), x.part.field, x.part.key, x.part.wanted,
                         x.part.found);
            if (c->sentence && !strstr(x.sentence, c->sentence))
                fail_msg("%s: sentence \"%s\" lacks \"%s\"", c->what, x.sentence, c->sentence);
        }
        k8s_model_destroy(m);
    }
}

/* netpol_explain_rule's `allows` is the evaluator's `by`: for every case, every rule of every
 * policy selecting either end, both directions. */
static void test_agrees_with_evaluator(void **state)
{
    (void)state;
    size_t checked = 0;
    for (size_t k = 0; k < sizeof(CASES) / sizeof(CASES[0]); k++) {
        const mm_case_t *c = &CASES[k];
        k8s_model_t *m = load(c->policies);
        netpol_endpoint_t s, d;
        netpol_answer_t a;
        endpoint(m, c->from, NULL, &s);
        endpoint(m, c->to, c->outside, &d);
        netpol_query(m, &s, &d, c->port, c->proto, &a);
        for (int dir = 0; dir < 2; dir++) {
            netpol_dir_t nd = dir ? NETPOL_EGRESS : NETPOL_INGRESS;
            const netpol_side_t *side = dir ? &a.egress : &a.ingress;
            const netpol_endpoint_t *self = dir ? &s : &d, *other = dir ? &d : &s;
            for (size_t pi = 0; pi < m->n_policies; pi++) {
                npx_part_t why;
                if (!netpol_explain_selects(m, pi, nd, self, &why))
                    continue;
                size_t nr = dir ? m->policies[pi].n_egress : m->policies[pi].n_ingress;
                for (size_t r = 0; r < nr; r++) {
                    netpol_ref_t ref = {pi, nd, r};
                    npx_rule_t ex;
                    bool in_by = false;
                    for (size_t b = 0; b < side->n_by; b++)
                        in_by |= side->by[b].policy == pi && side->by[b].rule == r;
                    netpol_explain_rule(m, &ref, other, &d, c->port, c->proto, &ex);
                    if (ex.allows != in_by)
                        fail_msg("%s: %s rule %zu: explain says %s, evaluator %s", c->what,
                                 dir ? "egress" : "ingress", r, ex.allows ? "allows" : "not",
                                 in_by ? "allows" : "not");
                    checked++;
                }
            }
        }
        k8s_model_destroy(m);
    }
    /* One rule per case at least, bar the two with rules only in a policy not selecting. */
    assert_true(checked + 2 >= sizeof(CASES) / sizeof(CASES[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mismatch_table),
        cmocka_unit_test(test_agrees_with_evaluator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
