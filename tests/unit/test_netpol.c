/* test_netpol.c: the object reader and the evaluator, table-driven: selectors, ipBlock
 * ranges, named ports, policyTypes defaults, foreign policy kinds, nearest rules, and the
 * reader's error messages (file, document, object, path). */
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
#include "netpol_test.h"

/* Two namespaces: "app" (labels team=a) with pods web (app=web, port http 8080) and db
 * (app=db, tier=data, port 5432), "other" with pod cli (app=cli); pods carry IPs. */
static const char BASE[] =
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: app, labels: {team: a}}\n"
    "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: app, labels: {app: web}}\n"
    "spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}\n"
    "status: {podIP: 10.0.1.1}\n"
    "---\napiVersion: apps/v1\nkind: CronJob\nmetadata: {name: db, namespace: app}\n"
    "spec: {jobTemplate: {spec: {template: {metadata: {labels: {app: db, tier: data}},\n"
    "  spec: {containers: [{name: c, ports: [{name: pg, containerPort: 5432}]}]}}}}}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: cli, namespace: other, labels: {app: cli}}\n"
    "status: {podIP: 10.0.2.1, podIPs: [{ip: 10.0.2.1}, {ip: 'fd00::21'}]}\n";

static k8s_model_t *load(const char *policies, char *err, size_t errlen, int *rc)
{
    return nt_load(BASE, policies, err, errlen, rc);
}

/* ---- evaluator cases ----------------------------------------------------------------- */

typedef struct {
    const char *what;
    const char *policies;
    const char *from; /* pod name */
    const char *to;   /* pod name, or NULL for the outside block `outside` */
    const char *outside;
    int port;
    k8s_proto_t proto;
    netpol_verdict_t want;
    netpol_near_t near; /* checked on the denying side when not NONE */
} eval_case_t;

#define NP "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"

static const eval_case_t EVAL[] = {
    {"no policy: allowed", "", "cli", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, NETPOL_NEAR_NONE},
    {"In selects the pod",
     NP "metadata: {name: p, namespace: app}\nspec:\n  podSelector: {matchExpressions: "
        "[{key: app, operator: In, values: [web, x]}]}\n",
     "cli", "web", NULL, 8080, K8S_TCP, NETPOL_DENY, NETPOL_NEAR_NONE},
    {"NotIn matches a pod without the key",
     NP "metadata: {name: p, namespace: app}\nspec:\n  podSelector: "
        "{matchExpressions: [{key: tier, operator: NotIn, values: [data]}]}\n",
     "cli", "web", NULL, 8080, K8S_TCP, NETPOL_DENY, NETPOL_NEAR_NONE},
    {"DoesNotExist leaves db alone",
     NP "metadata: {name: p, namespace: app}\nspec:\n  podSelector: "
        "{matchExpressions: [{key: tier, operator: DoesNotExist}]}\n",
     "cli", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, NETPOL_NEAR_NONE},
    {"Exists isolates db",
     NP "metadata: {name: p, namespace: app}\nspec:\n  podSelector: "
        "{matchExpressions: [{key: tier, operator: Exists}]}\n",
     "web", "db", NULL, 5432, K8S_TCP, NETPOL_DENY, NETPOL_NEAR_NONE},
    {"egress present: Egress type implied",
     NP "metadata: {name: p, namespace: other}\nspec:\n  podSelector: {}\n"
        "  egress: [{ports: [{port: 53, protocol: UDP}]}]\n",
     "cli", "web", NULL, 8080, K8S_TCP, NETPOL_DENY, NETPOL_NEAR_OTHER_PORT},
    {"named port on egress, resolved at the destination",
     NP "metadata: {name: p, namespace: other}\nspec:\n"
        "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{ports: [{port: http}]}]\n",
     "cli", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, NETPOL_NEAR_NONE},
    {"named port does not match another number",
     NP
     "metadata: {name: p, namespace: other}\nspec:\n"
     "  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{namespaceSelector: {}}], ports: [{port: http}]}]\n",
     "cli", "web", NULL, 8081, K8S_TCP, NETPOL_DENY, NETPOL_NEAR_OTHER_PORT},
    {"named port never matches outside",
     NP "metadata: {name: p, namespace: other}\nspec:\n  podSelector: {}\n"
        "  policyTypes: [Egress]\n  egress: [{ports: [{port: http}]}]\n",
     "cli", NULL, "192.0.2.7/32", 8080, K8S_TCP, NETPOL_DENY, NETPOL_NEAR_NONE},
    {"namespaceSelector by team label",
     NP
     "metadata: {name: p, namespace: other}\nspec:\n  podSelector: {}\n"
     "  ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {app: web}}}]}]\n",
     "web", "cli", NULL, 80, K8S_TCP, NETPOL_ALLOW, NETPOL_NEAR_NONE},
    {"AND: namespace matches, pod does not",
     NP
     "metadata: {name: p, namespace: other}\nspec:\n  podSelector: {}\n"
     "  ingress: [{from: [{namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {app: db}}}]}]\n",
     "web", "cli", NULL, 80, K8S_TCP, NETPOL_DENY, NETPOL_NEAR_OTHER_PEER},
    {"ipBlock matches a pod IP (host bits allowed)",
     NP "metadata: {name: p, namespace: other}\nspec:\n"
        "  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.1.9/24}}]}]\n",
     "web", "cli", NULL, 80, K8S_TCP, NETPOL_ALLOW, NETPOL_NEAR_NONE},
    {"outside block fully inside an ipBlock",
     NP "metadata: {name: p, namespace: app}\nspec:\n  podSelector: {}\n"
        "  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}], ports: [{port: 443}]}]\n",
     "web", NULL, "52.46.128.0/19", 443, K8S_TCP, NETPOL_ALLOW, NETPOL_NEAR_NONE},
    {"outside block inside an except",
     NP "metadata: {name: p, namespace: app}\nspec:\n  podSelector: {}\n"
        "  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}], ports: [{port: 443}]}]\n",
     "web", NULL, "10.0.0.1/32", 443, K8S_TCP, NETPOL_DENY, NETPOL_NEAR_NONE},
    {"the whole internet, partly allowed: unknown",
     NP
     "metadata: {name: p, namespace: app}\nspec:\n"
     "  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}], ports: [{port: 443}]}]\n",
     "web", NULL, "0.0.0.0/0", 443, K8S_TCP, NETPOL_UNKNOWN, NETPOL_NEAR_NONE},
    {"the whole internet on a port no rule opens",
     NP "metadata: {name: p, namespace: app}\nspec:\n"
        "  podSelector: {}\n  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}], ports: [{port: 443}]}]\n",
     "web", NULL, "0.0.0.0/0", 80, K8S_TCP, NETPOL_DENY, NETPOL_NEAR_OTHER_PORT},
    {"IPv6 ipBlock",
     NP "metadata: {name: p, namespace: app}\nspec:\n  podSelector: {}\n"
        "  egress: [{to: [{ipBlock: {cidr: '2001:db8::/32', except: ['2001:db8:1::/48']}}]}]\n",
     "web", NULL, "2001:db8:2::1/128", 443, K8S_TCP, NETPOL_ALLOW, NETPOL_NEAR_NONE},
    {"endPort range",
     NP "metadata: {name: p, namespace: app}\nspec:\n  podSelector: {}\n"
        "  ingress: [{ports: [{port: 8000, endPort: 8100}]}]\n",
     "cli", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, NETPOL_NEAR_NONE},
    {"UDP rule does not open TCP",
     NP "metadata: {name: p, namespace: app}\nspec:\n  podSelector: {}\n"
        "  ingress: [{ports: [{port: 8080, protocol: UDP}]}]\n",
     "cli", "web", NULL, 8080, K8S_TCP, NETPOL_DENY, NETPOL_NEAR_OTHER_PORT},
    {"union: a second policy allows",
     NP
     "metadata: {name: p, namespace: app}\nspec: {podSelector: {}}\n---\n" NP
     "metadata: {name: q, namespace: app}\nspec: {podSelector: {matchLabels: {app: web}}, ingress: [{}]}\n",
     "cli", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, NETPOL_NEAR_NONE},
    {"Calico policy with no rules in the namespace: its tier denies ingress",
     "apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\n"
     "metadata: {name: c, namespace: app}\nspec: {}\n",
     "cli", "web", NULL, 8080, K8S_TCP, NETPOL_DENY, NETPOL_NEAR_NONE},
    {"Calico policy with a field not evaluated: unknown",
     "apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\n"
     "metadata: {name: c, namespace: app}\nspec: {ingress: [{action: Allow, http: {methods: [GET]}}]}\n",
     "cli", "web", NULL, 8080, K8S_TCP, NETPOL_UNKNOWN, NETPOL_NEAR_NONE},
    {"AdminNetworkPolicy of a version not read (cluster-wide): unknown",
     "apiVersion: policy.networking.k8s.io/v1alpha9\n"
     "kind: AdminNetworkPolicy\nmetadata: {name: anp}\nspec: {}\n",
     "cli", "web", NULL, 8080, K8S_TCP, NETPOL_UNKNOWN, NETPOL_NEAR_NONE},
    {"NetworkPolicy with a field v1 lacks: unknown",
     NP "metadata: {name: p, namespace: app}\nspec:\n"
        "  podSelector: {}\n  ingress: [{from: [{podSelector: {}}], action: Deny}]\n",
     "cli", "web", NULL, 8080, K8S_TCP, NETPOL_UNKNOWN, NETPOL_NEAR_NONE},
    {"Cilium policy set aside elsewhere does not touch this path",
     "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
     "metadata: {name: c, namespace: kube-system}\nspec: {endpointSelector: {}, egress: [{toServices: [{}]}]}\n",
     "cli", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, NETPOL_NEAR_NONE},
};

static void test_eval_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(EVAL) / sizeof(EVAL[0]); i++) {
        const eval_case_t *c = &EVAL[i];
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
        if (c->want == NETPOL_ALLOW && (a.egress.isolated || a.ingress.isolated))
            assert_true(a.egress.n_by + a.ingress.n_by > 0);
        if (c->near != NETPOL_NEAR_NONE) {
            const netpol_side_t *side = a.egress.verdict == NETPOL_DENY ? &a.egress : &a.ingress;
            if (side->near != c->near)
                fail_msg("%s: nearest kind %d, want %d", c->what, side->near, c->near);
        }
        k8s_model_destroy(m);
    }
}

/* ---- reader errors ------------------------------------------------------------------- */

typedef struct {
    const char *text;
    const char *want; /* substring of the message */
} err_case_t;

static const err_case_t ERRS[] = {
    {NP
     "metadata: {name: p, namespace: app}\nspec:\n  podSelector: {matchExpressions: [{key: a, operator: Has}]}\n",
     "objs.yaml: document 1 (NetworkPolicy app/p): spec.podSelector.matchExpressions[0].operator: must be In, NotIn"},
    {"---\n" NP
     "metadata: {name: p, namespace: app}\nspec:\n  podSelector: {matchExpressions: [{key: a, operator: "
     "Exists, values: [x]}]}\n",
     "document 1 (NetworkPolicy app/p): spec.podSelector.matchExpressions[0].values: "
     "must be empty with Exists"},
    {"kind: Service\napiVersion: v1\nmetadata: {name: s}\n---\n" NP
     "metadata: {name: b, namespace: g}\nspec:\n"
     "  podSelector: {}\n  egress: [{}, {ports: [{port: 'Not_A_Name'}]}]\n",
     "objs.yaml: document 2 (NetworkPolicy g/b): spec.egress[1].ports[0].port: must be a number or an IANA port name"},
    {NP
     "metadata: {name: p, namespace: app}\nspec: {podSelector: {}, ingress: [{ports: [{port: http, endPort: 90}]}]}\n",
     "spec.ingress[0].ports[0].endPort: needs a numeric port"},
    {NP
     "metadata: {name: p, namespace: app}\nspec: {podSelector: {}, ingress: [{ports: [{port: 90, endPort: 80}]}]}\n",
     "spec.ingress[0].ports[0].endPort: must be at least port (90)"},
    {NP
     "metadata: {name: p, namespace: app}\nspec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}\n",
     "spec.ingress[0].from[0].ipBlock.cidr: prefix length must be 0..32"},
    {NP
     "metadata: {name: p, namespace: app}\nspec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, "
     "except: [11.0.0.0/16]}}]}]}\n",
     "ipBlock.except[0]: must lie strictly inside cidr"},
    {NP
     "metadata: {name: p, namespace: app}\nspec: {podSelector: {}, ingress: [{ports: [{protocol: ICMP}]}]}\n",
     "spec.ingress[0].ports[0].protocol: must be TCP, UDP or SCTP"},
    {NP "metadata: {name: p, namespace: app}\nspec: {podSelector: {}, policyTypes: [Both]}\n",
     "spec.policyTypes[0]: must be Ingress or Egress"},
    {"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: x, labels: {a: 1}}}\n",
     "objs.yaml: document 1 (Pod default/x): items[0].metadata.labels.a: must be a string (quote it)"},
    {"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: n}\nspec: {}\n",
     "document 1 (Deployment n/d): spec.template: required"},
    {"{\"kind\": \"Service\", \"apiVersion\": \"v1\", \"metadata\": {\"name\": \"s\"}, \"spec\": {\"ports\": "
     "[{\"port\": 70000}]}}",
     "objs.yaml: document 1 (Service default/s): spec.ports[0].port: must be an integer 1..65535"},
    {"- just a list\n", "document 1: (top level): must be a Kubernetes object"},
    {"kind: [1]\n", "document 1: kind: required"},
    {"a: b\n  c: d\n", "objs.yaml: line"},
    {"{\"kind\": ", "objs.yaml: invalid JSON at line 1"},
};

/* The tier chain: the decisive steps of each side, in walk order. */
static void test_chain(void **state)
{
    (void)state;
    char err[512];
    int rc;
    k8s_model_t *m = load(
        NP "metadata: {name: web-in, namespace: app}\nspec:\n  podSelector: {matchLabels: {app: web}}\n"
           "  ingress: [{ports: [{port: http}]}]\n",
        err, sizeof(err), &rc);
    netpol_endpoint_t s, d;
    netpol_endpoint_pod(m, nt_pod(m, "cli"), &s);
    netpol_endpoint_pod(m, nt_pod(m, "web"), &d);
    netpol_answer_t a;
    netpol_query(m, &s, &d, 8080, K8S_TCP, &a);
    assert_int_equal(a.verdict, NETPOL_ALLOW);
    /* egress at cli: nothing selects it, the default allows */
    assert_int_equal(a.egress.n_chain, 1);
    assert_int_equal(a.egress.chain[0].stage, TIER_STAGE_DEFAULT);
    assert_int_equal(a.egress.chain[0].action, TIER_ALLOW);
    /* ingress at web: the NetworkPolicy's rule 0 allows */
    assert_int_equal(a.ingress.n_chain, 1);
    const tier_step_t *st = &a.ingress.chain[0];
    assert_int_equal(st->stage, TIER_STAGE_NAMESPACED);
    assert_int_equal(st->action, TIER_ALLOW);
    assert_string_equal(st->kind, "NetworkPolicy");
    assert_string_equal(st->ns, "app");
    assert_string_equal(st->name, "web-in");
    assert_true(st->has_rule);
    assert_int_equal(st->rule, 0);
    assert_string_equal(tier_stage_name(st->stage), "namespaced");
    /* another port: the selecting policy denies, no rule named */
    netpol_query(m, &s, &d, 9090, K8S_TCP, &a);
    assert_int_equal(a.verdict, NETPOL_DENY);
    assert_int_equal(a.ingress.n_chain, 1);
    assert_int_equal(a.ingress.chain[0].action, TIER_DENY);
    assert_false(a.ingress.chain[0].has_rule);
    assert_string_equal(tier_action_name(a.ingress.chain[0].action), "deny");
    k8s_model_destroy(m);
}

static void test_reader_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ERRS) / sizeof(ERRS[0]); i++) {
        char err[512] = "";
        k8s_model_t *m = k8s_model_create();
        int rc = k8s_read_text(m, "objs.yaml", ERRS[i].text, strlen(ERRS[i].text), err, sizeof(err));
        if (rc != -1 || !strstr(err, ERRS[i].want))
            fail_msg("case %zu: rc %d, message \"%s\", want \"%s\"", i, rc, err, ERRS[i].want);
        k8s_model_destroy(m);
    }
}

static void test_reader_kinds(void **state)
{
    (void)state;
    static const char text[] =
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n"
        " {\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}},\n"
        " {\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"s\", \"namespace\": \"n\"},\n"
        "  \"spec\": {\"selector\": {\"app\": \"x\"}, \"clusterIP\": \"10.96.0.5\", \"ports\": [\n"
        "   {\"name\": \"http\", \"port\": 80, \"targetPort\": \"web\", \"appProtocol\": \"http\"},\n"
        "   {\"port\": 53, \"protocol\": \"UDP\"}]}},\n"
        " {\"apiVersion\": \"apps/v1\", \"kind\": \"StatefulSet\", \"metadata\": {\"name\": \"st\", \"namespace\": \"n\"},\n"
        "  \"spec\": {\"template\": {\"metadata\": {\"labels\": {\"app\": \"x\"}}, \"spec\": {\"containers\": [\n"
        "   {\"name\": \"c\", \"ports\": [{\"name\": \"web\", \"containerPort\": 8080}]}]}}}}]}\n";
    char err[512] = "";
    k8s_model_t *m = k8s_model_create();
    assert_int_equal(k8s_read_text(m, "l.json", text, sizeof(text) - 1, err, sizeof(err)), 0);
    assert_int_equal(m->objects, 3);
    assert_int_equal(m->n_skipped, 1);
    assert_string_equal(m->skipped[0].kind, "ConfigMap");
    assert_int_equal(m->n_services, 1);
    const k8s_service_t *s = &m->services[0];
    assert_int_equal(s->n_ports, 2);
    assert_string_equal(s->ports[0].target_name, "web");
    assert_int_equal(s->ports[1].target_port, 53);
    assert_int_equal(s->ports[1].proto, K8S_UDP);
    assert_true(s->has_cluster_ip);
    assert_int_equal(m->n_pods, 1);
    assert_string_equal(m->pods[0].owner, "StatefulSet/st");
    assert_int_equal(m->pods[0].ports[0].port, 8080);
    /* The implied namespace label. */
    assert_string_equal(labels_get(&m->namespaces[m->pods[0].ns].labels, K8S_NS_LABEL), "n");
    k8s_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_table),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_reader_errors),
        cmocka_unit_test(test_reader_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
