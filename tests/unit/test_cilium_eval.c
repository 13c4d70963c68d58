/* test_cilium_eval.c: Cilium's policies read and evaluated, table-driven: default deny as
 * Cilium defines it (ingress: [{}] denies all, [] nothing, enableDefaultDeny), namespace scope
 * of peer selectors, implied labels, deny rules over every allow (NetworkPolicies too), CIDR
 * rules that never match pods, entities, toPorts (ANY, ranges, no peer), toFQDNs from the
 * probe's name, L7 http and dns rules; each answer names the deciding rule. Then FQDN
 * patterns, the reader's errors and the fields it sets aside. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cilium_eval.h"
#include "k8s_read.h"
#include "netpol.h"
#include "netpol_test.h"
#include "policy_reason.h"

/* shop (team=shop): web (app=web, sa web-sa, port http 8080, 10.0.0.1), db (app=db, 5432,
 * 10.0.0.2); ops (team=ops): mon (app=mon, 10.0.1.1); kube-system: dns (k8s-app=kube-dns). */
static const char BASE[] =
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: shop}}\n"
    "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: ops, labels: {team: ops}}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n"
    "spec: {serviceAccountName: web-sa, containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}\n"
    "status: {podIP: 10.0.0.1}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: shop, labels: {app: db}}\n"
    "spec: {containers: [{name: c, ports: [{containerPort: 5432}]}]}\nstatus: {podIP: 10.0.0.2}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: mon, namespace: ops, labels: {app: mon}}\n"
    "status: {podIP: 10.0.1.1}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: dns, namespace: kube-system, labels: {k8s-app: kube-dns}}\n"
    "status: {podIP: 10.0.9.9}\n";

#define CNP "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n"
#define CCNP "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\n"
#define KNP "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
#define DBPOL \
    CNP "metadata: {name: p, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: db}}\n"
#define WEBPOL \
    CNP "metadata: {name: p, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n"
/* The DNS proxy rule toFQDNs needs, as a second policy on web. */
#define DNSVIS \
    "---\n" CNP \
    "metadata: {name: dns, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n" \
    "  egress: [{toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system}}], toPorts: " \
    "[{ports: [{port: '53', protocol: ANY}], rules: {dns: [{matchPattern: '*'}]}}]}]\n"

static k8s_model_t *load(const char *policies, char *err, size_t errlen, int *rc)
{
    return nt_load(BASE, policies, err, errlen, rc);
}

typedef struct {
    const char *what;
    const char *policies;
    const char *from, *to; /* pods; to NULL: the outside block `outside` */
    const char *outside;
    const char *host; /* the probe's name, or NULL */
    int port;
    k8s_proto_t proto;
    const char *http; /* "GET /path" for an http request, "dns NAME" for a dns query, or NULL */
    netpol_verdict_t want;
    const char *says; /* a piece of the answer's sentence */
} cil_case_t;

static const cil_case_t CASES[] = {
    {"fromEndpoints allows the selected peer",
     DBPOL "  ingress: [{fromEndpoints: [{matchLabels: {app: web}}]}]\n", "web", "db", NULL, NULL, 5432,
     K8S_TCP, NULL, NETPOL_ALLOW, "allowed by CiliumNetworkPolicy shop/p ingress rule 0"},
    {"a CNP peer selector {} stays in the policy's namespace", DBPOL "  ingress: [{fromEndpoints: [{}]}]\n",
     "mon", "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_DENY,
     "selected (default deny for ingress), no rule allows"},
    {"a CCNP peer selector {} is every pod",
     CCNP
     "metadata: {name: c}\nspec:\n  endpointSelector: {matchLabels: {app: db}}\n  ingress: [{fromEndpoints: "
     "[{}]}]\n",
     "mon", "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_ALLOW,
     "allowed by CiliumClusterwideNetworkPolicy c"},
    {"the namespace key opens another namespace",
     DBPOL "  ingress: [{fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: ops}}]}]\n", "mon",
     "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_ALLOW, "ingress rule 0"},
    {"namespace labels open other namespaces",
     DBPOL "  ingress: [{fromEndpoints: [{matchLabels: {io.cilium.k8s.namespace.labels.team: ops}}]}]\n",
     "mon", "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_ALLOW, "ingress rule 0"},
    {"k8s: and any: prefixes are the plain key",
     DBPOL "  ingress: [{fromEndpoints: [{matchLabels: {'k8s:app': web}}, {matchLabels: {'any:app': x}}]}]\n",
     "web", "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"implied service account label",
     DBPOL "  ingress: [{fromEndpoints: [{matchLabels: {io.cilium.k8s.policy.serviceaccount: web-sa}}]}]\n",
     "web", "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"matchExpressions NotIn",
     DBPOL "  ingress: [{fromEndpoints: [{matchExpressions: [{key: app, operator: NotIn, "
           "values: [web]}]}]}]\n",
     "web", "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_DENY, NULL},
    {"ingress: [{}] denies everything", DBPOL "  ingress: [{}]\n", "web", "db", NULL, NULL, 5432, K8S_TCP,
     NULL, NETPOL_DENY, "default deny for ingress"},
    {"ingress: [] enables nothing", DBPOL "  ingress: []\n", "web", "db", NULL, NULL, 5432, K8S_TCP, NULL,
     NETPOL_ALLOW, NULL},
    {"enableDefaultDeny ingress false: a rule that does not match leaves the rest open",
     DBPOL "  enableDefaultDeny: {ingress: false}\n  ingress: [{fromEndpoints: [{matchLabels: {app: x}}]}]\n",
     "web", "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"the endpointSelector of a CNP stays in its namespace",
     CNP "metadata: {name: p, namespace: ops}\nspec:\n  endpointSelector: {}\n  ingress: [{}]\n", "web", "db",
     NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"ingressDeny wins over an allow of everything",
     DBPOL
     "  ingress: [{fromEntities: [all]}]\n  ingressDeny: [{fromEndpoints: [{matchLabels: {app: web}}]}]\n",
     "web", "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_DENY,
     "denied by CiliumNetworkPolicy shop/p ingressDeny rule 0"},
    {"ingressDeny wins over a NetworkPolicy allow",
     DBPOL
     "  ingressDeny: [{fromEndpoints: [{matchLabels: {app: web}}], toPorts: [{ports: [{port: '5432'}]}]}]\n---\n" KNP
     "metadata: {name: np, namespace: shop}\nspec: {podSelector: {}, ingress: [{}]}\n",
     "web", "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_DENY, "ingressDeny rule 0"},
    {"an ingressDeny on another port leaves a NetworkPolicy allow",
     DBPOL
     "  ingressDeny: [{fromEndpoints: [{matchLabels: {app: web}}], toPorts: [{ports: [{port: '80'}]}]}]\n---\n" KNP
     "metadata: {name: np, namespace: shop}\nspec: {podSelector: {}, ingress: [{}]}\n",
     "web", "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"a deny list switches on default deny",
     DBPOL "  ingressDeny: [{fromEndpoints: [{matchLabels: {app: web}}]}]\n", "mon", "db", NULL, NULL, 5432,
     K8S_TCP, NULL, NETPOL_DENY, "default deny"},
    {"CNP allows and NetworkPolicy allows add up",
     DBPOL "  ingress: [{fromEndpoints: [{matchLabels: {app: x}}]}]\n---\n" KNP
           "metadata: {name: np, namespace: shop}\nspec: {podSelector: {}, ingress: [{}]}\n",
     "web", "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"CIDR rules never match pods", WEBPOL "  egress: [{toCIDR: [10.0.0.0/8]}]\n", "web", "db", NULL, NULL,
     5432, K8S_TCP, NULL, NETPOL_DENY, "default deny for egress"},
    {"toCIDRSet allows inside",
     WEBPOL "  egress: [{toCIDRSet: [{cidr: 192.0.2.0/24, except: [192.0.2.128/25]}]}]\n", "web", NULL,
     "192.0.2.10/32", NULL, 443, K8S_TCP, NULL, NETPOL_ALLOW, "egress rule 0"},
    {"toCIDRSet: every entry counts, also after one without except",
     WEBPOL
     "  egressDeny: [{toCIDRSet: [{cidr: 10.0.0.0/8}, {cidr: 192.168.0.0/16}]}]\n  egress: [{toEntities: [all]}]\n",
     "web", NULL, "192.168.0.1/32", NULL, 443, K8S_TCP, NULL, NETPOL_DENY, "egressDeny rule 0"},
    {"toCIDRSet except", WEBPOL "  egress: [{toCIDRSet: [{cidr: 192.0.2.0/24, except: [192.0.2.128/25]}]}]\n",
     "web", NULL, "192.0.2.129/32", NULL, 443, K8S_TCP, NULL, NETPOL_DENY, NULL},
    {"toCIDR covering part of a block: unknown", WEBPOL "  egress: [{toCIDR: [192.0.2.0/25]}]\n", "web", NULL,
     "192.0.2.0/24", NULL, 443, K8S_TCP, NULL, NETPOL_UNKNOWN, "only part"},
    {"toEntities world: outside", WEBPOL "  egress: [{toEntities: [world]}]\n", "web", NULL, "203.0.113.5/32",
     NULL, 443, K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"toEntities world: never a pod", WEBPOL "  egress: [{toEntities: [world]}]\n", "web", "db", NULL, NULL,
     5432, K8S_TCP, NULL, NETPOL_DENY, NULL},
    {"toEntities cluster: pods", WEBPOL "  egress: [{toEntities: [cluster]}]\n", "web", "mon", NULL, NULL, 80,
     K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"toEntities cluster: not outside", WEBPOL "  egress: [{toEntities: [cluster]}]\n", "web", NULL,
     "203.0.113.5/32", NULL, 443, K8S_TCP, NULL, NETPOL_DENY, NULL},
    {"toEntities kube-apiserver: the objects do not say where it is",
     WEBPOL "  egress: [{toEntities: [kube-apiserver]}]\n", "web", NULL, "203.0.113.5/32", NULL, 443, K8S_TCP,
     NULL, NETPOL_UNKNOWN, NULL},
    {"toEntities kube-apiserver: the endpoints of default/kubernetes",
     WEBPOL
     "  egress: [{toEntities: [kube-apiserver]}]\n---\napiVersion: v1\nkind: Endpoints\nmetadata: {name: "
     "kubernetes, namespace: default}\nsubsets: [{addresses: [{ip: 192.0.2.50}], ports: [{port: 6443}]}]\n",
     "web", NULL, "192.0.2.50/32", NULL, 6443, K8S_TCP, NULL, NETPOL_ALLOW, "egress rule 0"},
    {"toEntities kube-apiserver: not another address",
     WEBPOL
     "  egress: [{toEntities: [kube-apiserver]}]\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
     "metadata: {name: kubernetes, namespace: default, labels: {kubernetes.io/service-name: kubernetes}}\n"
     "addressType: IPv4\nendpoints: [{addresses: [192.0.2.50]}]\n",
     "web", NULL, "192.0.2.51/32", NULL, 6443, K8S_TCP, NULL, NETPOL_DENY, NULL},
    {"toPorts alone: every peer on that port",
     DBPOL "  ingress: [{toPorts: [{ports: [{port: '5432', protocol: TCP}]}]}]\n", "mon", "db", NULL, NULL,
     5432, K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"toPorts alone: not another port",
     DBPOL "  ingress: [{toPorts: [{ports: [{port: '5432', protocol: TCP}]}]}]\n", "mon", "db", NULL, NULL,
     5433, K8S_TCP, NULL, NETPOL_DENY, NULL},
    {"protocol ANY opens UDP", DBPOL "  ingress: [{toPorts: [{ports: [{port: '5432', protocol: ANY}]}]}]\n",
     "mon", "db", NULL, NULL, 5432, K8S_UDP, NULL, NETPOL_ALLOW, NULL},
    {"protocol TCP does not open UDP",
     DBPOL "  ingress: [{toPorts: [{ports: [{port: '5432', protocol: TCP}]}]}]\n", "mon", "db", NULL, NULL,
     5432, K8S_UDP, NULL, NETPOL_DENY, NULL},
    {"endPort range", DBPOL "  ingress: [{toPorts: [{ports: [{port: '5000', endPort: 6000}]}]}]\n", "mon",
     "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"named port",
     CNP "metadata: {name: p, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n"
         "  ingress: [{toPorts: [{ports: [{port: http}]}]}]\n",
     "mon", "web", NULL, NULL, 8080, K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"toFQDNs matchName: the probe's name",
     WEBPOL
     "  egress: [{toFQDNs: [{matchName: api.example.com}], toPorts: [{ports: [{port: '443'}]}]}]\n" DNSVIS,
     "web", NULL, "0.0.0.0/0", "api.example.com", 443, K8S_TCP, NULL, NETPOL_ALLOW, "egress rule 0"},
    {"toFQDNs without a DNS proxy rule: never matches",
     WEBPOL "  egress: [{toFQDNs: [{matchName: api.example.com}], toPorts: [{ports: [{port: '443'}]}]}]\n",
     "web", NULL, "0.0.0.0/0", "api.example.com", 443, K8S_TCP, NULL, NETPOL_DENY, NULL},
    {"toFQDNs matchName: another name",
     WEBPOL "  egress: [{toFQDNs: [{matchName: api.example.com}]}]\n" DNSVIS, "web", NULL, "0.0.0.0/0",
     "evil.example.org", 443, K8S_TCP, NULL, NETPOL_DENY, NULL},
    {"toFQDNs matchPattern", WEBPOL "  egress: [{toFQDNs: [{matchPattern: '*.example.com'}]}]\n" DNSVIS,
     "web", NULL, "0.0.0.0/0", "API.example.com.", 443, K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"toFQDNs with an address, no name: unknown",
     WEBPOL "  egress: [{toFQDNs: [{matchName: api.example.com}]}]\n" DNSVIS, "web", NULL, "192.0.2.1/32",
     NULL, 443, K8S_TCP, NULL, NETPOL_UNKNOWN, NULL},
    {"L7 http: an allowed request",
     CNP
     "metadata: {name: l7, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  ingress: "
     "[{fromEndpoints: [{matchLabels: {app: db}}], toPorts: [{ports: [{port: '8080', protocol: TCP}], rules: "
     "{http: [{method: GET, path: '/public.*'}]}}]}]\n",
     "db", "web", NULL, NULL, 8080, K8S_TCP, "GET /public/a", NETPOL_ALLOW, NULL},
    {"L7 http: a request no rule allows is refused by the proxy",
     CNP
     "metadata: {name: l7, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  ingress: "
     "[{fromEndpoints: [{matchLabels: {app: db}}], toPorts: [{ports: [{port: '8080', protocol: TCP}], rules: "
     "{http: [{method: GET, path: '/public.*'}]}}]}]\n",
     "db", "web", NULL, NULL, 8080, K8S_TCP, "GET /private", NETPOL_DENY,
     "at L7: no http rule allows GET /private (Envoy: 403 Access denied)"},
    {"L7 http: the method is a whole-value regex",
     CNP
     "metadata: {name: l7, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  ingress: "
     "[{toPorts: [{ports: [{port: '8080'}], rules: {http: [{method: GE}]}}]}]\n",
     "db", "web", NULL, NULL, 8080, K8S_TCP, "GET /", NETPOL_DENY, "403"},
    {"L7 http: a TCP connection is accepted by the proxy",
     CNP
     "metadata: {name: l7, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  ingress: "
     "[{toPorts: [{ports: [{port: '8080'}], rules: {http: [{method: GET, path: /x}]}}]}]\n",
     "db", "web", NULL, NULL, 8080, K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"L7 http: an L3/L4 allow of the same peer and port voids the L7 rules",
     CNP
     "metadata: {name: l7, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  ingress: "
     "[{toPorts: [{ports: [{port: '8080'}], rules: {http: [{method: GET, path: /x}]}}]}, {fromEndpoints: "
     "[{matchLabels: {app: db}}]}]\n",
     "db", "web", NULL, NULL, 8080, K8S_TCP, "GET /private", NETPOL_ALLOW, "ingress rule 1"},
    {"L7 http: a NetworkPolicy allow of the port voids them too",
     CNP
     "metadata: {name: l7, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  ingress: "
     "[{toPorts: [{ports: [{port: '8080'}], rules: {http: [{method: GET, path: /x}]}}]}]\n---\n" KNP
     "metadata: {name: np, namespace: shop}\nspec: {podSelector: {}, ingress: [{ports: [{port: 8080}]}]}\n",
     "db", "web", NULL, NULL, 8080, K8S_TCP, "GET /private", NETPOL_ALLOW, NULL},
    {"L7 http: headers must be present with the value",
     CNP
     "metadata: {name: l7, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  ingress: "
     "[{toPorts: [{ports: [{port: '8080'}], rules: {http: [{headers: ['X-Token: s3cret']}]}}]}]\n",
     "db", "web", NULL, NULL, 8080, K8S_TCP, "GET /", NETPOL_DENY, "403"},
    {"L7 http: an https request is not visible",
     CNP
     "metadata: {name: l7, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  ingress: "
     "[{toPorts: [{ports: [{port: '8080'}], rules: {http: [{method: GET}]}}]}]\n",
     "db", "web", NULL, NULL, 8080, K8S_TCP, "https GET /", NETPOL_UNKNOWN, "TLS"},
    {"L7 http rules drop even with enableDefaultDeny false",
     CNP
     "metadata: {name: l7, namespace: shop}\nspec:\n  endpointSelector: {matchLabels: {app: web}}\n  "
     "enableDefaultDeny: {ingress: false}\n  ingress: [{toPorts: [{ports: [{port: '8080'}], rules: {http: "
     "[{path: /ok}]}}]}]\n",
     "db", "web", NULL, NULL, 8080, K8S_TCP, "GET /no", NETPOL_DENY, "403"},
    {"L7 dns: an allowed name",
     WEBPOL
     "  egress: [{toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system}}], toPorts: "
     "[{ports: [{port: '53', protocol: ANY}], rules: {dns: [{matchPattern: '*.example.com'}]}}]}]\n",
     "web", "dns", NULL, NULL, 53, K8S_UDP, "dns api.example.com", NETPOL_ALLOW, NULL},
    {"L7 dns: another name is REFUSED",
     WEBPOL
     "  egress: [{toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system}}], toPorts: "
     "[{ports: [{port: '53', protocol: ANY}], rules: {dns: [{matchPattern: '*.example.com'}]}}]}]\n",
     "web", "dns", NULL, NULL, 53, K8S_UDP, "dns evil.org", NETPOL_DENY, "REFUSED"},
    {"nodeSelector policies are for hosts",
     CCNP "metadata: {name: h}\nspec:\n  nodeSelector: {}\n  ingress: [{}]\n", "web", "db", NULL, NULL, 5432,
     K8S_TCP, NULL, NETPOL_ALLOW, NULL},
    {"specs: every rule counts",
     CNP
     "metadata: {name: s, namespace: shop}\nspecs:\n- endpointSelector: {matchLabels: {app: db}}\n  ingress: "
     "[{fromEndpoints: [{matchLabels: {app: x}}]}]\n- endpointSelector: {matchLabels: {app: db}}\n  ingress: "
     "[{fromEndpoints: [{matchLabels: {app: web}}]}]\n",
     "web", "db", NULL, NULL, 5432, K8S_TCP, NULL, NETPOL_ALLOW, "shop/s[1] ingress rule 0"},
};

static void test_eval_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        const cil_case_t *c = &CASES[i];
        char err[512] = "";
        int rc;
        k8s_model_t *m = load(c->policies, err, sizeof(err), &rc);
        if (rc != 0)
            fail_msg("%s: %s", c->what, err);
        netpol_endpoint_t s, d;
        nt_ends(m, c->from, c->to, c->outside, &s, &d);
        d.host = c->host;
        k8s_l7_req_t req;
        memset(&req, 0, sizeof(req));
        char method[16] = "", path[128] = "";
        if (c->http && strncmp(c->http, "dns ", 4) == 0) {
            req.dns_query = c->http + 4;
            d.l7 = &req;
        } else if (c->http) {
            const char *h = c->http;
            req.https = strncmp(h, "https ", 6) == 0;
            if (req.https)
                h += 6;
            assert_int_equal(sscanf(h, "%15s %127s", method, path), 2);
            req.method = method;
            req.path = path;
            req.host = "web";
            d.l7 = &req;
        }
        netpol_answer_t a;
        netpol_query(m, &s, &d, c->port, c->proto, &a);
        if (a.verdict != c->want)
            fail_msg("%s: want %s, got %s", c->what, netpol_verdict_name(c->want),
                     netpol_verdict_name(a.verdict));
        if (c->says) {
            char text[800] = "";
            policy_reason_cni(m, &a, text, sizeof(text));
            if (!strstr(text, c->says))
                fail_msg("%s: sentence \"%s\" lacks \"%s\"", c->what, text, c->says);
        }
        k8s_model_destroy(m);
    }
}

/* The deny rules sit at stage cni-pre, the allows at namespaced. */
static void test_chain_stages(void **state)
{
    (void)state;
    char err[512] = "";
    int rc;
    k8s_model_t *m = load(DBPOL "  ingress: [{fromEntities: [cluster]}]\n  ingressDeny: [{fromEndpoints: "
                                "[{matchLabels: {app: web}}]}]\n",
                          err, sizeof(err), &rc);
    assert_int_equal(rc, 0);
    netpol_endpoint_t web, db;
    netpol_endpoint_pod(m, nt_pod(m, "web"), &web);
    netpol_endpoint_pod(m, nt_pod(m, "db"), &db);
    netpol_answer_t a;
    netpol_query(m, &web, &db, 5432, K8S_TCP, &a);
    assert_int_equal(a.ingress.n_chain, 1);
    assert_int_equal(a.ingress.chain[0].stage, TIER_STAGE_CNI_PRE);
    assert_int_equal(a.ingress.chain[0].action, TIER_DENY);
    assert_string_equal(a.ingress.chain[0].rule_name, "ingressDeny");
    netpol_endpoint_t mon;
    netpol_endpoint_pod(m, nt_pod(m, "mon"), &mon);
    netpol_query(m, &mon, &db, 5432, K8S_TCP, &a);
    assert_int_equal(a.verdict, NETPOL_ALLOW);
    assert_int_equal(a.ingress.chain[a.ingress.n_chain - 1].stage, TIER_STAGE_NAMESPACED);
    assert_string_equal(a.ingress.chain[a.ingress.n_chain - 1].kind, "CiliumNetworkPolicy");
    k8s_model_destroy(m);
}

/* cilium_rule_match (--explain): each rule's peer, ports and L7 part with the reason. */
static void test_rule_match(void **state)
{
    (void)state;
    char err[512] = "";
    int rc;
    k8s_model_t *m = load(
        WEBPOL "  egress:\n  - toCIDR: [10.0.0.0/8]\n  - toFQDNs: [{matchName: api.example.com}]\n"
               "  - toEndpoints: [{matchLabels: {app: db}}]\n    toPorts: [{ports: [{port: '5433'}]}]\n"
               "  - toEndpoints: [{matchLabels: {app: db}}]\n"
               "    toPorts: [{ports: [{port: '5432'}], rules: {http: [{method: GET}]}}]\n"
               "  egressDeny: [{toEntities: [world]}]\n",
        err, sizeof(err), &rc);
    assert_int_equal(rc, 0);
    netpol_endpoint_t web, db, mon, out;
    netpol_endpoint_pod(m, nt_pod(m, "web"), &web);
    netpol_endpoint_pod(m, nt_pod(m, "db"), &db);
    netpol_endpoint_pod(m, nt_pod(m, "mon"), &mon);
    cidr_t r;
    assert_int_equal(cidr_parse("203.0.113.7/32", &r, err, sizeof(err)), 0);
    netpol_endpoint_range(&r, &out);
    out.host = "api.example.com";
    netpol_side_t side;
    memset(&side, 0, sizeof(side));
    tier_query_t q = {m, NETPOL_EGRESS, &web, &db, &db, 5432, K8S_TCP, &side, NULL};
    cilium_rule_match_t x;
    cilium_rule_match(&q, 0, CIL_EGRESS, 0, &x); /* toCIDR never matches a pod */
    assert_int_equal(x.peer, 0);
    assert_true(x.ports);
    assert_string_equal(x.peer_why, "CIDR: never matches a pod");
    cilium_rule_match(&q, 0, CIL_EGRESS, 2, &x); /* the peer matches, the port does not */
    assert_int_equal(x.peer, 2);
    assert_false(x.ports);
    assert_string_equal(x.ports_why, "toPorts: the port is not listed");
    cilium_rule_match(&q, 0, CIL_EGRESS, 3, &x); /* peer and port match: the L7 part applies */
    assert_true(x.has_l7);
    q.other = q.dst = &mon;
    cilium_rule_match(&q, 0, CIL_EGRESS, 3, &x); /* another peer: no L7 verdict */
    assert_int_equal(x.peer, 0);
    assert_false(x.has_l7);
    q.other = q.dst = &out;
    q.port = 443;
    cilium_rule_match(&q, 0, CIL_EGRESS, 1, &x); /* toFQDNs without a DNS proxy rule */
    assert_int_equal(x.peer, 0);
    assert_non_null(strstr(x.peer_why, "no rules.dns rule"));
    cilium_rule_match(&q, 0, CIL_EGRESS_DENY, 0, &x); /* world: the outside address */
    assert_int_equal(x.peer, 2);
    assert_true(x.ports);
    assert_false(x.has_l7);
    k8s_model_destroy(m);
}

static void test_fqdn_patterns(void **state)
{
    (void)state;
    static const struct {
        const char *pat, *host;
        bool pattern, want;
    } cases[] = {
        {"*.cilium.io", "docs.cilium.io", true, true},
        {"*.cilium.io", "cilium.io", true, false},
        {"*.cilium.io", "a.b.cilium.io", true, false},
        {"*", "anything.at.all", true, true},
        {"sub*.cilium.io", "subdomain.cilium.io", true, true},
        {"*cilium.io", "acilium.io", true, true},
        {"cilium.io", "CILIUM.IO.", false, true},
        {"cilium.io", "www.cilium.io", false, false},
        {"*.*.cilium.io", "a.b.cilium.io", true, true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (cilium_fqdn_match(cases[i].pat, cases[i].pattern, cases[i].host) != cases[i].want)
            fail_msg("%s vs %s: want %d", cases[i].pat, cases[i].host, cases[i].want);
}

static void test_read_errors(void **state)
{
    (void)state;
    static const struct {
        const char *obj, *err;
    } cases[] = {
        {DBPOL "  ingress: [{fromEndpoints: [{}], fromCIDR: [10.0.0.0/8]}]\n",
         "spec.ingress[0]: one rule takes one kind of peer"},
        {WEBPOL "  egressDeny: [{toFQDNs: [{matchName: a.b}]}]\n",
         "spec.egressDeny[0].toFQDNs: toFQDNs is not supported"},
        {DBPOL "  ingress: [{toPorts: [{ports: [{port: '80'}], rules: {http: [{path: '/a('}]}}]}]\n",
         "spec.ingress[0].toPorts[0].rules.http[0].path: not a POSIX extended regular expression"},
        {DBPOL "  ingressDeny: [{toPorts: [{ports: [{port: '80'}], rules: {http: [{path: /a}]}}]}]\n",
         "spec.ingressDeny[0].toPorts[0].rules: L7 rules are not supported in deny rules"},
        {DBPOL "  ingress: [{fromEntities: [everywhere]}]\n",
         "spec.ingress[0].fromEntities[0]: must be an entity"},
        {CNP "metadata: {name: p, namespace: shop}\nspec: {ingress: [{}]}\n",
         "spec.endpointSelector: exactly one of endpointSelector and nodeSelector is required"},
        {DBPOL "  ingress: [{toPorts: [{ports: [{port: '99999'}]}]}]\n",
         "spec.ingress[0].toPorts[0].ports[0].port"},
        {DBPOL "  ingress: [{toPorts: [{ports: [{port: '80', protocol: ICMP}]}]}]\n",
         "spec.ingress[0].toPorts[0].ports[0].protocol: must be TCP, UDP, SCTP or ANY"},
        {DBPOL "  egress: [{toCIDRSet: [{cidr: 10.0.0.0/16, except: [10.1.0.0/24]}]}]\n",
         "spec.egress[0].toCIDRSet[0].except[0]: must lie inside cidr"},
        {CNP "metadata: {name: p, namespace: shop}\n",
         "(CiliumNetworkPolicy shop/p): spec: required: spec or specs"},
        {"apiVersion: v1\nkind: Endpoints\nmetadata: {name: s, namespace: shop}\nsubsets: [{addresses: [{ip: nope}]}]\n",
         "(Endpoints shop/s): subsets[0].addresses[0].ip: must be an IP address"},
        {"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s-1, namespace: shop, labels: "
         "{kubernetes.io/service-name: s}}\nendpoints: [{addresses: [1.2.3]}]\n",
         "(EndpointSlice shop/s-1): endpoints[0].addresses[0]: must be an IP address"},
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

static void test_foreign_fields(void **state)
{
    (void)state;
    static const struct {
        const char *obj, *why;
    } cases[] = {
        {WEBPOL "  egress: [{toServices: [{k8sService: {serviceName: s, namespace: shop}}]}]\n",
         "field spec.egress[0].toServices is not evaluated for Cilium policies"},
        {DBPOL "  ingress: [{fromRequires: [{}]}]\n", "field spec.ingress[0].fromRequires is not evaluated"},
        {DBPOL "  ingress: [{toPorts: [{ports: [{port: '9092'}], rules: {kafka: [{topic: t}]}}]}]\n",
         "field spec.ingress[0].toPorts[0].rules.kafka is not evaluated"},
        {DBPOL "  ingress: [{fromCIDRSet: [{cidrGroupRef: g}]}]\n",
         "field spec.ingress[0].fromCIDRSet[0].cidrGroupRef is not evaluated"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512] = "";
        int rc;
        k8s_model_t *m = load(cases[i].obj, err, sizeof(err), &rc);
        assert_int_equal(rc, 0);
        assert_int_equal(m->n_foreign, 1);
        assert_int_equal(m->cilium.n_policies, 0);
        if (!strstr(m->foreign[0].why, cases[i].why))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, m->foreign[0].why, cases[i].why);
        k8s_model_destroy(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_table),     cmocka_unit_test(test_chain_stages),
        cmocka_unit_test(test_fqdn_patterns),  cmocka_unit_test(test_read_errors),
        cmocka_unit_test(test_foreign_fields), cmocka_unit_test(test_rule_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
