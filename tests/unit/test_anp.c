/* test_anp.c: the admin tiers, table-driven: ClusterNetworkPolicy (v1alpha2 and the EKS
 * group), AdminNetworkPolicy and BaselineAdminNetworkPolicy through the tier chain with
 * NetworkPolicies: priorities, Pass, Baseline under NetworkPolicies, every peer kind (pods IPs
 * in networks, nodes through Node objects, domainNames against the host name), ports, ranges,
 * named ports, hairpin, host-network pods, same-priority overlap; the chain's steps; and the
 * reader's validation messages (file, document, object, path). */
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

/* Namespaces app (team=a), other (team=b), kube-system; pods web (app, http 8080, 10.0.1.1),
 * cli (other, 10.0.2.1), hn (kube-system, hostNetwork, 192.168.1.10), the Deployment db (app, no
 * IP); Node n1 (role=worker,
 * 192.168.1.10). */
static const char BASE[] =
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: app, labels: {team: a}}\n"
    "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: other, labels: {team: b}}\n"
    "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: app, labels: {app: web}}\n"
    "spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}\n"
    "status: {podIP: 10.0.1.1}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: cli, namespace: other, labels: {app: cli}}\n"
    "status: {podIP: 10.0.2.1}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: hn, namespace: kube-system, labels: {app: agent}}\n"
    "spec: {hostNetwork: true, containers: [{name: c}]}\nstatus: {podIP: 192.168.1.10}\n"
    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db, namespace: app}\n"
    "spec: {template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c}]}}}\n";

static const char NODE[] = "---\napiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {role: worker}}\n"
                           "status: {addresses: [{type: InternalIP, address: 192.168.1.10}, "
                           "{type: Hostname, address: n1}]}\n";

#define CNP "---\napiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"
#define EKS "---\napiVersion: networking.k8s.aws/v1alpha1\nkind: ClusterNetworkPolicy\n"
#define ANP "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
#define BANP "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\n"
#define NP "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
#define ALL_NS "subject: {namespaces: {}}"

static k8s_model_t *load(const char *objs, bool nodes, char *err, size_t errlen, int *rc)
{
    k8s_model_t *m = k8s_model_create();
    assert_non_null(m);
    *rc = k8s_read_text(m, "base.yaml", BASE, sizeof(BASE) - 1, err, errlen);
    assert_int_equal(*rc, 0);
    if (nodes)
        assert_int_equal(k8s_read_text(m, "node.yaml", NODE, sizeof(NODE) - 1, err, errlen), 0);
    *rc = k8s_read_text(m, "objs.yaml", objs, strlen(objs), err, errlen);
    if (*rc == 0)
        assert_int_equal(k8s_model_finish(m), 0);
    return m;
}

static size_t pod(const k8s_model_t *m, const char *name)
{
    for (size_t i = 0; i < m->n_pods; i++)
        if (strcmp(m->pods[i].name, name) == 0)
            return i;
    fail_msg("no pod %s", name);
    return 0;
}

typedef struct {
    const char *what;
    const char *objs;
    bool nodes;       /* with Node n1 */
    const char *from; /* pod */
    const char *to;   /* pod, or an outside block */
    const char *host; /* the probe's host name, or NULL */
    int port;
    k8s_proto_t proto;
    netpol_verdict_t want;
    const char *chain; /* the deciding side's chain: "stage:action:name[:rule]|..." or NULL */
} anp_case_t;

static const anp_case_t CASES[] = {
    {"admin Deny of the metadata address",
     CNP "metadata: {name: meta}\nspec: {tier: Admin, priority: 10, " ALL_NS ",\n"
         "  egress: [{name: no-imds, action: Deny, to: [{networks: [169.254.169.254/32]}]}]}\n",
     false, "web", "169.254.169.254/32", NULL, 80, K8S_TCP, NETPOL_DENY, "admin:deny:meta:no-imds"},
    {"admin Deny elsewhere leaves the path to the default",
     CNP "metadata: {name: meta}\nspec: {tier: Admin, priority: 10, " ALL_NS ",\n"
         "  egress: [{action: Deny, to: [{networks: [169.254.169.254/32]}]}]}\n",
     false, "web", "203.0.113.10/32", NULL, 80, K8S_TCP, NETPOL_ALLOW, "default:allow:-"},
    {"admin Pass, then the NetworkPolicy allows",
     CNP
     "metadata: {name: delegate}\nspec: {tier: Admin, priority: 5, " ALL_NS ",\n"
     "  ingress: [{name: to-owners, action: Pass, from: [{namespaces: {}}]}, {action: Deny, from: [{namespaces: "
     "{}}]}]}\n" NP "metadata: {name: web-in, namespace: app}\nspec: {podSelector: {}, ingress: [{}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW,
     "admin:pass:delegate:to-owners|namespaced:allow:web-in:0"},
    {"admin Pass, the NetworkPolicy selects and denies",
     CNP "metadata: {name: delegate}\nspec: {tier: Admin, priority: 5, " ALL_NS ",\n"
         "  ingress: [{action: Pass, from: [{namespaces: {}}]}]}\n" NP
         "metadata: {name: iso, namespace: app}\nspec: {podSelector: {}}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_DENY, NULL},
    {"admin Pass and no NetworkPolicy: the Baseline decides",
     CNP "metadata: {name: delegate}\nspec: {tier: Admin, priority: 5, " ALL_NS ",\n"
         "  ingress: [{action: Pass, from: [{namespaces: {}}]}]}\n" CNP
         "metadata: {name: base}\nspec: {tier: Baseline, priority: 5, " ALL_NS ",\n"
         "  ingress: [{name: iso, action: Deny, from: [{namespaces: {}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_DENY, "admin:pass:delegate:0|baseline:deny:base:iso"},
    {"admin Accept wins over an isolating NetworkPolicy",
     NP
     "metadata: {name: iso, namespace: app}\nspec: {podSelector: {}}\n" CNP
     "metadata: {name: ok}\nspec: {tier: Admin, priority: 1, subject: {pods: {namespaceSelector: {matchLabels: "
     "{team: a}}, podSelector: {matchLabels: {app: web}}}},\n"
     "  ingress: [{action: Accept, from: [{namespaces: {matchLabels: {team: b}}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, "admin:allow:ok:0"},
    {"lower priority value first",
     CNP "metadata: {name: deny20}\nspec: {tier: Admin, priority: 20, " ALL_NS ",\n"
         "  ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n" CNP
         "metadata: {name: accept10}\nspec: {tier: Admin, priority: 10, " ALL_NS ",\n"
         "  ingress: [{action: Accept, from: [{namespaces: {}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, "admin:allow:accept10:0"},
    {"one priority, two actions: unknown",
     CNP "metadata: {name: a}\nspec: {tier: Admin, priority: 10, " ALL_NS ",\n"
         "  ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n" CNP
         "metadata: {name: b}\nspec: {tier: Admin, priority: 10, " ALL_NS ",\n"
         "  ingress: [{action: Accept, from: [{namespaces: {}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_UNKNOWN, "admin:unknown:a:0"},
    {"one priority, one action: agreed",
     CNP "metadata: {name: a}\nspec: {tier: Admin, priority: 10, " ALL_NS ",\n"
         "  ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n" CNP
         "metadata: {name: b}\nspec: {tier: Admin, priority: 10, " ALL_NS ",\n"
         "  ingress: [{action: Deny, from: [{pods: {podSelector: {}}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_DENY, "admin:deny:a:0"},
    {"EKS: one priority, the agent's order (Deny first)",
     EKS "metadata: {name: a}\nspec: {tier: Admin, priority: 10, " ALL_NS ",\n"
         "  ingress: [{action: Accept, from: [{namespaces: {}}]}]}\n" EKS
         "metadata: {name: b}\nspec: {tier: Admin, priority: 10, " ALL_NS ",\n"
         "  ingress: [{action: Deny, from: [{namespaces: {}}], ports: [{portNumber: {port: 8080}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_DENY, "admin:deny:b:0"},
    {"Baseline denies between namespaces",
     CNP
     "metadata: {name: base}\nspec: {tier: Baseline, priority: 100, " ALL_NS ",\n"
     "  ingress: [{action: Deny, from: [{namespaces: {matchExpressions: [{key: team, operator: NotIn, values: "
     "[a]}]}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_DENY, "baseline:deny:base:0"},
    {"a NetworkPolicy opens what the Baseline closes",
     CNP
     "metadata: {name: base}\nspec: {tier: Baseline, priority: 100, " ALL_NS ",\n"
     "  ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n" NP
     "metadata: {name: open, namespace: app}\nspec: {podSelector: {}, ingress: [{from: [{namespaceSelector: "
     "{matchLabels: {team: b}}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, "namespaced:allow:open:0"},
    {"BaselineAdminNetworkPolicy default denies",
     BANP "metadata: {name: default}\nspec: {" ALL_NS ",\n"
          "  ingress: [{name: iso, action: Deny, from: [{namespaces: {matchLabels: {team: b}}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_DENY, "baseline:deny:default:iso"},
    {"Baseline Pass goes to the default allow",
     CNP "metadata: {name: base}\nspec: {tier: Baseline, priority: 1, " ALL_NS ",\n"
         "  ingress: [{action: Pass, from: [{namespaces: {}}]}, {action: Deny, from: [{namespaces: {}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, "baseline:pass:base:0|default:allow:-"},
    {"networks match pod IPs",
     CNP
     "metadata: {name: net}\nspec: {tier: Admin, priority: 3, subject: {namespaces: {matchLabels: {team: b}}},\n"
     "  egress: [{action: Deny, to: [{networks: [10.0.1.0/24]}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_DENY, "admin:deny:net:0"},
    {"nodes: a host-network pod on a selected node",
     CNP "metadata: {name: nodes}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
         "  egress: [{action: Deny, to: [{nodes: {matchLabels: {role: worker}}}]}]}\n",
     true, "web", "hn", NULL, 10250, K8S_TCP, NETPOL_DENY, "admin:deny:nodes:0"},
    {"nodes: the node's address",
     CNP "metadata: {name: nodes}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
         "  egress: [{action: Deny, to: [{nodes: {}}]}]}\n",
     true, "web", "192.168.1.10/32", NULL, 10250, K8S_TCP, NETPOL_DENY, NULL},
    {"nodes: no Node objects, unknown",
     CNP "metadata: {name: nodes}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
         "  egress: [{action: Deny, to: [{nodes: {}}]}]}\n",
     false, "web", "192.168.1.10/32", NULL, 10250, K8S_TCP, NETPOL_UNKNOWN, NULL},
    {"nodes never match a pod",
     CNP "metadata: {name: nodes}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
         "  egress: [{action: Deny, to: [{nodes: {}}]}]}\n",
     true, "web", "cli", NULL, 80, K8S_TCP, NETPOL_ALLOW, NULL},
    {"host-network pods are not subjects",
     CNP "metadata: {name: all}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
         "  ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n",
     false, "web", "hn", NULL, 10250, K8S_TCP, NETPOL_ALLOW, NULL},
    {"host-network pods are not namespace peers",
     CNP "metadata: {name: all}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
         "  ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n",
     false, "hn", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, NULL},
    {"domainNames: the host name matches a wildcard",
     CNP "metadata: {name: fqdn}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
         "  egress: [{name: api, action: Accept, to: [{domainNames: ['*.example.com']}]},\n"
         "           {name: rest, action: Deny, to: [{networks: [0.0.0.0/0]}]}]}\n",
     false, "web", "203.0.113.10/32", "api.eu.example.com", 443, K8S_TCP, NETPOL_ALLOW,
     "admin:allow:fqdn:api"},
    {"domainNames: the wildcard does not match the bare domain",
     CNP "metadata: {name: fqdn}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
         "  egress: [{action: Accept, to: [{domainNames: ['*.example.com']}]},\n"
         "           {name: rest, action: Deny, to: [{networks: [0.0.0.0/0]}]}]}\n",
     false, "web", "203.0.113.10/32", "example.com", 443, K8S_TCP, NETPOL_DENY, "admin:deny:fqdn:rest"},
    {"domainNames: an address target is unknown",
     CNP "metadata: {name: fqdn}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
         "  egress: [{action: Accept, to: [{domainNames: [example.com]}]},\n"
         "           {action: Deny, to: [{networks: [0.0.0.0/0]}]}]}\n",
     false, "web", "203.0.113.10/32", NULL, 443, K8S_TCP, NETPOL_UNKNOWN, NULL},
    {"a named port",
     CNP
     "metadata: {name: np}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
     "  ingress: [{action: Accept, from: [{namespaces: {}}], protocols: [{destinationNamedPort: http}]},\n"
     "            {action: Deny, from: [{namespaces: {}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, "admin:allow:np:0"},
    {"a named port does not match another port",
     CNP
     "metadata: {name: np}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
     "  ingress: [{action: Accept, from: [{namespaces: {}}], protocols: [{destinationNamedPort: http}]},\n"
     "            {action: Deny, from: [{namespaces: {}}]}]}\n",
     false, "cli", "web", NULL, 9090, K8S_TCP, NETPOL_DENY, "admin:deny:np:1"},
    {"a port range",
     CNP
     "metadata: {name: r}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
     "  ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {range: {start: "
     "8000, end: 8100}}}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_DENY, NULL},
    {"a port range, other protocol",
     CNP
     "metadata: {name: r}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
     "  ingress: [{action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {range: {start: "
     "8000, end: 8100}}}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_UDP, NETPOL_ALLOW, NULL},
    {"v1alpha1 AdminNetworkPolicy: Allow on a portNumber, Deny the rest",
     ANP
     "metadata: {name: anp}\nspec: {priority: 3, " ALL_NS ",\n"
     "  ingress: [{name: web, action: Allow, from: [{namespaces: {}}], ports: [{portNumber: {protocol: TCP, port: "
     "8080}}]},\n            {action: Deny, from: [{namespaces: {}}]}]}\n",
     false, "cli", "web", NULL, 8081, K8S_TCP, NETPOL_DENY, "admin:deny:anp:1"},
    {"a field the version lacks: unknown",
     CNP "metadata: {name: new}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
         "  ingress: [{action: Deny, from: [{serviceAccounts: {}}]}]}\n",
     false, "cli", "web", NULL, 8080, K8S_TCP, NETPOL_UNKNOWN, NULL},
    {"a network covering part of an outside range: unknown",
     CNP "metadata: {name: part}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
         "  egress: [{action: Deny, to: [{networks: [203.0.113.10/32]}]}]}\n",
     false, "web", "203.0.113.0/24", NULL, 443, K8S_TCP, NETPOL_UNKNOWN, NULL},
    {"a Deny of part of the range, and the NetworkPolicies deny the rest: deny",
     CNP "metadata: {name: meta}\nspec: {tier: Admin, priority: 10, " ALL_NS ",\n"
         "  egress: [{name: imds, action: Deny, to: [{networks: [169.254.169.254/32]}]}]}\n" NP
         "metadata: {name: iso, namespace: app}\nspec: {podSelector: {}, policyTypes: [Egress]}\n",
     false, "web", "0.0.0.0/0", NULL, 80, K8S_TCP, NETPOL_DENY,
     "admin:unknown:meta:imds|namespaced:deny:iso"},
    {"a Deny of part of the range, the default allows the rest: unknown",
     CNP "metadata: {name: meta}\nspec: {tier: Admin, priority: 10, " ALL_NS ",\n"
         "  egress: [{name: imds, action: Deny, to: [{networks: [169.254.169.254/32]}]}]}\n",
     false, "web", "0.0.0.0/0", NULL, 80, K8S_TCP, NETPOL_UNKNOWN, NULL},
    {"a Deny of part of the range, another admin policy may act on the rest: unknown",
     CNP "metadata: {name: meta}\nspec: {tier: Admin, priority: 10, " ALL_NS ",\n"
         "  egress: [{name: imds, action: Deny, to: [{networks: [169.254.169.254/32]}]}]}\n" CNP
         "metadata: {name: acc}\nspec: {tier: Admin, priority: 20, " ALL_NS ",\n"
         "  egress: [{action: Accept, to: [{networks: [0.0.0.0/1]}]}]}\n" NP
         "metadata: {name: iso, namespace: app}\nspec: {podSelector: {}, policyTypes: [Egress]}\n",
     false, "web", "0.0.0.0/0", NULL, 80, K8S_TCP, NETPOL_UNKNOWN, NULL},
    {"a pod without a known IP is never in the metadata address",
     CNP "metadata: {name: meta}\nspec: {tier: Admin, priority: 10, " ALL_NS ",\n"
         "  egress: [{action: Deny, to: [{networks: [169.254.169.254/32, 'fd00:ec2::254/128']}]}]}\n",
     false, "cli", "db", NULL, 5432, K8S_TCP, NETPOL_ALLOW, "default:allow:-"},
    {"hairpin: a pod to its own pod IP is not subject",
     CNP "metadata: {name: all}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
         "  ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n",
     false, "web", "web", NULL, 8080, K8S_TCP, NETPOL_ALLOW, NULL},
};

/* "stage:action:name[:rule]" of each step, joined with '|'. */
static void chain_text(const netpol_side_t *s, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < s->n_chain; i++) {
        const tier_step_t *st = &s->chain[i];
        size_t l = strlen(buf);
        char rule[120] = "";
        if (st->has_rule && st->rule_name)
            snprintf(rule, sizeof(rule), ":%s", st->rule_name);
        else if (st->has_rule)
            snprintf(rule, sizeof(rule), ":%zu", st->rule);
        snprintf(buf + l, len - l, "%s%s:%s:%s%s", i ? "|" : "", tier_stage_name(st->stage),
                 tier_action_name(st->action), st->name ? st->name : "-", rule);
    }
}

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        const anp_case_t *c = &CASES[i];
        char err[512] = "";
        int rc;
        k8s_model_t *m = load(c->objs, c->nodes, err, sizeof(err), &rc);
        if (rc != 0)
            fail_msg("%s: %s", c->what, err);
        netpol_endpoint_t s, d;
        netpol_endpoint_pod(m, pod(m, c->from), &s);
        if (strchr(c->to, '/')) {
            cidr_t r;
            assert_int_equal(cidr_parse(c->to, &r, err, sizeof(err)), 0);
            netpol_endpoint_range(&r, &d);
        } else {
            netpol_endpoint_pod(m, pod(m, c->to), &d);
        }
        d.host = c->host;
        netpol_answer_t a;
        netpol_query(m, &s, &d, c->port, c->proto, &a);
        if (a.verdict != c->want)
            fail_msg("%s: want %s, got %s", c->what, netpol_verdict_name(c->want),
                     netpol_verdict_name(a.verdict));
        if (c->chain) {
            char eg[600], in[600];
            chain_text(&a.egress, eg, sizeof(eg));
            chain_text(&a.ingress, in, sizeof(in));
            if (strcmp(eg, c->chain) != 0 && strcmp(in, c->chain) != 0)
                fail_msg("%s: chain egress \"%s\", ingress \"%s\", want \"%s\"", c->what, eg, in, c->chain);
        }
        k8s_model_destroy(m);
    }
}

/* Through a Service, a pod reaching itself is subject to the admin tiers. */
static void test_hairpin_service(void **state)
{
    (void)state;
    char err[512];
    int rc;
    k8s_model_t *m = load(CNP "metadata: {name: all}\nspec: {tier: Admin, priority: 3, " ALL_NS ",\n"
                              "  ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n",
                          false, err, sizeof(err), &rc);
    assert_int_equal(rc, 0);
    netpol_endpoint_t s, d;
    netpol_endpoint_pod(m, pod(m, "web"), &s);
    netpol_endpoint_pod(m, pod(m, "web"), &d);
    d.via_service = true;
    netpol_answer_t a;
    netpol_query(m, &s, &d, 8080, K8S_TCP, &a);
    assert_int_equal(a.verdict, NETPOL_DENY);
    k8s_model_destroy(m);
}

/* Same-priority overlap names both policies in the step. */
static void test_overlap_named(void **state)
{
    (void)state;
    char err[512];
    int rc;
    k8s_model_t *m = load(CASES[7].objs, false, err, sizeof(err), &rc);
    assert_int_equal(rc, 0);
    netpol_endpoint_t s, d;
    netpol_endpoint_pod(m, pod(m, "cli"), &s);
    netpol_endpoint_pod(m, pod(m, "web"), &d);
    netpol_answer_t a;
    netpol_query(m, &s, &d, 8080, K8S_TCP, &a);
    assert_int_equal(a.ingress.n_chain, 1);
    const char *why = a.ingress.chain[0].why;
    if (!strstr(why, "a and b both match at priority 10") || !strstr(why, "undefined"))
        fail_msg("why: %s", why);
    assert_true(a.ingress.chain[0].has_priority);
    assert_int_equal(a.ingress.chain[0].priority, 10);
    assert_string_equal(a.ingress.chain[0].kind, "ClusterNetworkPolicy");
    k8s_model_destroy(m);
}

typedef struct {
    const char *text;
    const char *want;
} err_case_t;

static const err_case_t ERRS[] = {
    {CNP "metadata: {name: p}\nspec: {tier: Admin, priority: 1001, " ALL_NS "}\n",
     "objs.yaml: document 1 (ClusterNetworkPolicy p): spec.priority: must be an integer 0..1000"},
    {CNP "metadata: {name: p}\nspec: {priority: 1, " ALL_NS "}\n", "spec.tier: required: Admin or Baseline"},
    {CNP
     "metadata: {name: p}\nspec: {tier: Admin, priority: 1, subject: {namespaces: {}, pods: {podSelector: "
     "{}}}}\n",
     "spec.subject: must set exactly one of namespaces, pods"},
    {CNP "metadata: {name: p}\nspec: {tier: Admin, priority: 1, " ALL_NS ", ingress: [{action: Allow, from: "
         "[{namespaces: {}}]}]}\n",
     "spec.ingress[0].action: must be Accept, Deny or Pass"},
    {CNP "metadata: {name: p}\nspec: {tier: Admin, priority: 1, " ALL_NS
         ", ingress: [{action: Deny, from: []}]}\n",
     "spec.ingress[0].from: must hold 1 to 25 peers (has 0)"},
    {CNP "metadata: {name: p}\nspec: {tier: Admin, priority: 1, " ALL_NS ", egress: [{action: Deny, to: "
         "[{networks: [10.0.0.0/8]}], protocols: [{destinationNamedPort: http}]}]}\n",
     "spec.egress[0].protocols[0]: networks/nodes/domainNames peer cannot be set with named ports"},
    {CNP "metadata: {name: p}\nspec: {tier: Admin, priority: 1, " ALL_NS ", ingress: [{action: Deny, from: "
         "[{namespaces: {}}], protocols: [{tcp: {destinationPort: {range: {start: 90, end: 90}}}}]}]}\n",
     "spec.ingress[0].protocols[0].tcp.destinationPort.range.end: must be greater than start (90)"},
    {CNP "metadata: {name: p}\nspec: {tier: Admin, priority: 1, " ALL_NS ", egress: [{action: Accept, to: "
         "[{domainNames: ['www.*.com']}]}]}\n",
     "spec.egress[0].to[0].domainNames[0]: must be a domain name"},
    {CNP "metadata: {name: p}\nspec: {tier: Admin, priority: 1, " ALL_NS ", egress: [{action: Deny, to: "
         "[{networks: [10.0.0.0/40]}]}]}\n",
     "spec.egress[0].to[0].networks[0]: prefix length must be 0..32"},
    {EKS "metadata: {name: p}\nspec: {tier: Admin, priority: 1, " ALL_NS ", egress: [{action: Deny, to: "
         "[{domainNames: [example.com]}]}]}\n",
     "(ClusterNetworkPolicy p): spec.egress[0].to: domainNames peer can only be used with Accept action"},
    {BANP "metadata: {name: other}\nspec: {" ALL_NS "}\n", "metadata.name: must be \"default\""},
    {BANP "metadata: {name: default}\nspec: {" ALL_NS
          ", ingress: [{action: Pass, from: [{namespaces: {}}]}]}\n",
     "spec.ingress[0].action: must be Allow, Deny"},
    {ANP "metadata: {name: p}\nspec: {priority: 1, " ALL_NS ", ingress: [{action: Allow, from: [{namespaces: "
         "{}}], ports: [{portNumber: {protocol: TCP, port: 80}, namedPort: http}]}]}\n",
     "spec.ingress[0].ports[0]: must set exactly one of portNumber, namedPort, portRange"},
    {ANP "metadata: {name: p}\nspec: {priority: 1, subject: {pods: {namespaceSelector: {}}}}\n",
     "spec.subject.pods.podSelector: required"},
    {"apiVersion: v1\nkind: Node\nmetadata: {name: n}\nstatus: {addresses: [{type: InternalIP}]}\n",
     "(Node n): status.addresses[0].address: required: a string"},
};

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

/* 26 rules in v1alpha2 (at most 25), 101 in v1alpha1 (at most 100). */
static void test_reader_limits(void **state)
{
    (void)state;
    static const struct {
        const char *head;
        int n;
        const char *want;
    } L[] = {
        {CNP "metadata: {name: p}\nspec: {tier: Admin, priority: 1, " ALL_NS ", ingress: [", 26,
         "spec.ingress: must hold 0 to 25 rules (has 26)"},
        {ANP "metadata: {name: p}\nspec: {priority: 1, " ALL_NS ", ingress: [", 101,
         "spec.ingress: must hold 0 to 100 rules (has 101)"},
    };
    for (size_t k = 0; k < 2; k++) {
        size_t cap = 64 * 200;
        char *t = malloc(cap);
        assert_non_null(t);
        size_t l = (size_t)snprintf(t, cap, "%s", L[k].head);
        for (int i = 0; i < L[k].n; i++)
            l += (size_t)snprintf(t + l, cap - l, "%s{action: Deny, from: [{namespaces: {}}]}",
                                  i ? ", " : "");
        snprintf(t + l, cap - l, "]}\n");
        char err[512] = "";
        k8s_model_t *m = k8s_model_create();
        int rc = k8s_read_text(m, "objs.yaml", t, strlen(t), err, sizeof(err));
        if (rc != -1 || !strstr(err, L[k].want))
            fail_msg("limit %zu: rc %d, message \"%s\"", k, rc, err);
        k8s_model_destroy(m);
        free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),         cmocka_unit_test(test_hairpin_service),
        cmocka_unit_test(test_overlap_named), cmocka_unit_test(test_reader_errors),
        cmocka_unit_test(test_reader_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
