/* test_policy.c: policy check (intent per probe, coverage), a Service's destinations when its
 * selector picks no pod, the hints of run --policies, and policy plan (its output parses as a
 * config and agrees with its own check). */
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
#include "policy_annotate.h"
#include "policy_check.h"
#include "policy_dst.h"
#include "policy_plan.h"

#define NP "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"

/* web -> api:8080 allowed (egress at web, ingress at api); db isolated; DNS allowed to every
 * peer on 53; api's Service maps 80 -> named port http (8080). */
static const char OBJS[] =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
    "spec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c}]}}}\n"
    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
    "spec: {template: {metadata: {labels: {app: api}}, spec: {containers: [{name: c, ports: [{name: http, "
    "containerPort: 8080}]}]}}}\n"
    "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: shop}\n"
    "spec: {template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c, ports: [{containerPort: 5432}]}]}}}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
    "spec: {selector: {app: api}, ports: [{name: http, port: 80, targetPort: http}]}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
    "spec: {selector: {app: db}, ports: [{port: 5432}]}\n"
    "---\n" NP
    "metadata: {name: deny, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n"
    "---\n" NP
    "metadata: {name: dns, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Egress], egress: "
    "[{ports: [{port: 53, protocol: UDP}]}]}\n"
    "---\n" NP
    "metadata: {name: web, namespace: shop}\nspec: {podSelector: {matchLabels: {app: web}}, egress: "
    "[{to: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: 8080}]}]}\n"
    "---\n" NP
    "metadata: {name: api, namespace: shop}\nspec: {podSelector: {matchLabels: {app: api}}, ingress: "
    "[{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: http}]}, {from: [{namespaceSelector: "
    "{matchLabels: {team: ops}}}]}], egress: [{to: [{podSelector: {matchLabels: {app: db}}}], ports: [{port: 5432}]}]}\n";

static const char CFG[] =
    "{\"version\": 1, \"roles\": {\"web\": {\"selector\": {\"app\": \"web\"}, \"probes\": [\n"
    " {\"name\": \"api\", \"kind\": \"http\", \"url\": \"http://api/\", \"expect\": \"allow\"},\n"
    " {\"name\": \"api-fqdn\", \"kind\": \"tcp\", \"host\": \"api.shop.svc.cluster.local\", \"port\": 80, \"expect\": \"allow\"},\n"
    " {\"name\": \"db\", \"kind\": \"tcp\", \"host\": \"db\", \"port\": 5432, \"expect\": \"allow\"},\n"
    " {\"name\": \"dns\", \"kind\": \"dns\", \"query\": \"api\", \"expect\": \"allow\"},\n"
    " {\"name\": \"out\", \"kind\": \"https\", \"url\": \"https://example.com/\", \"expect\": \"deny\"}]},\n"
    " \"api\": {\"selector\": {\"app\": \"api\"}, \"probes\": [\n"
    " {\"name\": \"dns\", \"kind\": \"dns\", \"query\": \"db\", \"expect\": \"allow\"}]}}}";

static k8s_model_t *model(void)
{
    char err[512] = "";
    k8s_model_t *m = k8s_model_create();
    int rc = k8s_read_text(m, "objs.yaml", OBJS, sizeof(OBJS) - 1, err, sizeof(err));
    if (rc != 0)
        fail_msg("%s", err);
    assert_int_equal(k8s_model_finish(m), 0);
    return m;
}

static const cJSON *probe(const cJSON *rep, const char *role, const char *name)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(rep, "probes"))
    {
        if (strcmp(cJSON_GetObjectItemCaseSensitive(p, "role")->valuestring, role) == 0 &&
            strcmp(cJSON_GetObjectItemCaseSensitive(p, "name")->valuestring, name) == 0)
            return p;
    }
    fail_msg("no probe %s/%s", role, name);
    return NULL;
}

static const char *str(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k)->valuestring;
}

static void test_check(void **state)
{
    (void)state;
    char err[512] = "";
    config_t *cfg = NULL;
    assert_int_equal(config_parse(CFG, sizeof(CFG) - 1, &cfg, err, sizeof(err)), 0);
    k8s_model_t *m = model();
    cJSON *rep = NULL;
    assert_int_equal(policy_check_run(m, cfg, NULL, &rep, err, sizeof(err)), 0);
    assert_string_equal(str(probe(rep, "web", "api"), "intended"), "allow");
    assert_string_equal(str(probe(rep, "web", "api-fqdn"), "intended"), "allow");
    const cJSON *db = probe(rep, "web", "db");
    assert_string_equal(str(db, "intended"), "deny");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(db, "agrees")));
    /* The DNS rule is open to every peer, on port 53 only: the same peer on other ports, so
     * its port is the part named (before shop/api's rule, which would allow but selects api). */
    if (!strstr(str(db, "reason"),
                "shop/dns egress rule 0 would allow this but for its port: "
                "spec.egress[0].ports[0].port is 53; the probe connects to 5432"))
        fail_msg("reason: %s", str(db, "reason"));
    const cJSON *mm = cJSON_GetObjectItemCaseSensitive(db, "mismatch");
    assert_string_equal(str(mm, "policy"), "shop/dns");
    assert_string_equal(str(mm, "field"), "spec.egress[0].ports[0].port");
    assert_string_equal(str(mm, "wanted"), "53");
    assert_string_equal(str(mm, "found"), "5432");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(mm, "port")->valueint, 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(mm, "peer")));
    assert_string_equal(str(probe(rep, "web", "dns"), "intended"), "allow");
    assert_string_equal(str(probe(rep, "web", "out"), "intended"), "deny");
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(rep, "summary");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(sum, "disagree")->valueint, 1);
    assert_int_equal(policy_check_status(rep, false), 1);
    const cJSON *cov = cJSON_GetObjectItemCaseSensitive(rep, "coverage");
    /* dns 1 + web egress 1 + api ingress 2 + api egress 1 = 5; the ops ingress rule and api's
     * egress to db are not exercised. */
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(cov, "rules")->valueint, 5);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(cov, "exercised")->valueint, 3);
    const cJSON *nodeny = cJSON_GetObjectItemCaseSensitive(cov, "roles_without_deny_probe");
    assert_int_equal(cJSON_GetArraySize(nodeny), 1);
    assert_string_equal(cJSON_GetArrayItem(nodeny, 0)->valuestring, "api");
    char *text = policy_check_text(rep);
    assert_non_null(strstr(text, "probes 6: agree 5, disagree 1, unknown 0"));
    free(text);
    cJSON_Delete(rep);
    config_free(cfg);
    k8s_model_destroy(m);
}

/* shop: api relabelled app=api-v2 (its Service still selects app=api, a named targetPort);
 * no db pod left (its Service has a numbered port); web has no port named metrics. store
 * holds a Service and no pod: a policies-only input. */
static const char SVC_OBJS[] =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n"
    "spec: {template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, ports: [{name: http, "
    "containerPort: 8080}]}]}}}\n"
    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n"
    "spec: {template: {metadata: {labels: {app: api-v2}}, spec: {containers: [{name: c, ports: [{name: http, "
    "containerPort: 8080}]}]}}}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\n"
    "spec: {selector: {app: api, tier: be}, ports: [{port: 80, targetPort: http}]}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
    "spec: {selector: {app: db}, ports: [{port: 5432}]}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
    "spec: {selector: {app: web}, ports: [{port: 9090, targetPort: metrics}]}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: cache, namespace: store}\n"
    "spec: {selector: {app: cache}, ports: [{port: 6379}]}\n"
    "---\n" NP "metadata: {name: deny, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n";

static const char SVC_CFG[] =
    "{\"version\": 1, \"roles\": {\"web\": {\"selector\": {\"app\": \"web\"}, \"probes\": [\n"
    " {\"name\": \"api\", \"kind\": \"http\", \"url\": \"http://api/\", \"expect\": \"allow\"},\n"
    " {\"name\": \"db\", \"kind\": \"tcp\", \"host\": \"db\", \"port\": 5432, \"expect\": \"allow\"},\n"
    " {\"name\": \"cache\", \"kind\": \"tcp\", \"host\": \"cache.store\", \"port\": 6379, "
    "\"expect\": \"deny\"}]}}}";

static k8s_model_t *svc_model(void)
{
    char err[512] = "";
    k8s_model_t *m = k8s_model_create();
    if (k8s_read_text(m, "svc.yaml", SVC_OBJS, sizeof(SVC_OBJS) - 1, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(k8s_model_finish(m), 0);
    return m;
}

static const k8s_service_t *svc(const k8s_model_t *m, const char *ns, const char *name)
{
    long i = k8s_model_find_namespace(m, ns);
    assert_true(i >= 0);
    const k8s_service_t *s = k8s_model_find_service(m, (size_t)i, name);
    assert_non_null(s);
    return s;
}

/* The selector's fault, not the port's: which labels, how many pods, what to compare. */
static const char API_WHY[] =
    "Service shop/api has no endpoints: its selector app=api,tier=be matches none of the 2 pods of shop in "
    "the objects (a pod relabelled?): compare `kubectl get pods -n shop -l app=api,tier=be` with `kubectl "
    "get pods -n shop --show-labels`";

/* A named targetPort, its pods relabelled: the selector is named, not the port name. */
static void test_service_named_unselected(void **state)
{
    (void)state;
    k8s_model_t *m = svc_model();
    policy_dst_t d[POLICY_MAX_DST];
    policy_why_t why = {.text = ""};
    assert_int_equal(policy_dst_service(m, svc(m, "shop", "api"), 80, K8S_TCP, d, &why), 0);
    assert_string_equal(why.text, API_WHY);
    assert_true(why.unselected);
    k8s_model_destroy(m);
}

/* A numbered port, no pod selected though shop has pods: no destination (a stand-in pod
 * carrying app=db would be judged as if the Service had endpoints). */
static void test_service_unselected(void **state)
{
    (void)state;
    k8s_model_t *m = svc_model();
    policy_dst_t d[POLICY_MAX_DST];
    policy_why_t why = {.text = ""};
    assert_int_equal(policy_dst_service(m, svc(m, "shop", "db"), 5432, K8S_TCP, d, &why), 0);
    if (!strstr(why.text,
                "Service shop/db has no endpoints: its selector app=db matches none of the 2 pods of "
                "shop in the objects"))
        fail_msg("why: %s", why.text);
    assert_true(why.unselected);
    k8s_model_destroy(m);
}

/* store holds no pod (policies only): a pod with exactly the selector's labels stands in. */
static void test_service_stand_in(void **state)
{
    (void)state;
    k8s_model_t *m = svc_model();
    policy_dst_t d[POLICY_MAX_DST];
    policy_why_t why = {.text = ""};
    const k8s_service_t *cache = svc(m, "store", "cache");
    assert_int_equal(policy_dst_service(m, cache, 6379, K8S_TCP, d, &why), 1);
    assert_true(d[0].ep.is_pod);
    assert_ptr_equal(d[0].ep.labels, &cache->selector);
    assert_int_equal(d[0].port, 6379);
    assert_false(why.unselected);
    k8s_model_destroy(m);
}

/* Pods selected, none with the port name: the container port is the fault. */
static void test_service_no_named_port(void **state)
{
    (void)state;
    k8s_model_t *m = svc_model();
    policy_dst_t d[POLICY_MAX_DST];
    policy_why_t why = {.text = ""};
    assert_int_equal(policy_dst_service(m, svc(m, "shop", "web"), 9090, K8S_TCP, d, &why), 0);
    assert_string_equal(why.text, "no pod of Service shop/web has a container port named metrics");
    assert_false(why.unselected);
    k8s_model_destroy(m);
}

/* The same through policy check: the reason in -o json and in the text table. */
static void test_service_unselected_check(void **state)
{
    (void)state;
    char err[512] = "";
    config_t *cfg = NULL;
    assert_int_equal(config_parse(SVC_CFG, sizeof(SVC_CFG) - 1, &cfg, err, sizeof(err)), 0);
    k8s_model_t *m = svc_model();
    cJSON *rep = NULL;
    assert_int_equal(policy_check_run(m, cfg, NULL, &rep, err, sizeof(err)), 0);
    const cJSON *api = probe(rep, "web", "api");
    assert_string_equal(str(api, "intended"), "unknown");
    assert_string_equal(str(api, "reason"), API_WHY);
    const cJSON *db = probe(rep, "web", "db");
    assert_string_equal(str(db, "intended"), "unknown");
    assert_non_null(strstr(str(db, "reason"), "its selector app=db matches none of the 2 pods of shop"));
    /* store's stand-in pod: shop's deny policy does not reach it, nothing isolates the path. */
    assert_string_equal(str(probe(rep, "web", "cache"), "intended"), "allow");
    char *text = policy_check_text(rep);
    assert_non_null(text);
    if (!strstr(text, API_WHY))
        fail_msg("text: %s", text);
    free(text);
    cJSON_Delete(rep);
    config_free(cfg);
    k8s_model_destroy(m);
}

/* A failed allow to such a Service: the hint of run --policies names the selector. */
static void test_service_unselected_hint(void **state)
{
    (void)state;
    char err[512] = "";
    config_t *cfg = NULL;
    assert_int_equal(config_parse(SVC_CFG, sizeof(SVC_CFG) - 1, &cfg, err, sizeof(err)), 0);
    k8s_model_t *m = svc_model();
    policy_intent_t in;
    policy_check_probe(m, cfg, &cfg->roles[0], (size_t)k8s_model_find_namespace(m, "shop"),
                       &cfg->roles[0].probes[0], &in);
    assert_true(in.unselected);
    result_t r;
    memset(&r, 0, sizeof(r));
    r.expect = EXPECT_ALLOW;
    r.verdict = VERDICT_FAIL;
    r.outcome = OUTCOME_REFUSED;
    r.kind = KIND_HTTP;
    char buf[RESULT_HINT_LEN] = "";
    assert_true(policy_annotate_hint(&r, &in, m, "web", "shop", buf, sizeof(buf)));
    if (!strstr(buf, API_WHY) || !strstr(buf, "spec.selector"))
        fail_msg("hint: %s", buf);
    /* A name that never resolved keeps the DNS hint... */
    r.outcome = OUTCOME_DNS_TIMEOUT;
    assert_false(policy_annotate_hint(&r, &in, m, "web", "shop", buf, sizeof(buf)));
    /* ...but a name that does not exist is what a headless Service without endpoints gives. */
    r.outcome = OUTCOME_DNS_NXDOMAIN;
    assert_true(policy_annotate_hint(&r, &in, m, "web", "shop", buf, sizeof(buf)));
    if (!strstr(buf, "The name does not exist, and ") || !strstr(buf, API_WHY) || !strstr(buf, "headless"))
        fail_msg("hint: %s", buf);
    config_free(cfg);
    k8s_model_destroy(m);
}

typedef struct {
    expect_t expect;
    verdict_t verdict;
    outcome_t outcome;
    netpol_verdict_t intended;
    netpol_near_t near;
    const char *want; /* substring; NULL: no policy hint */
} hint_case_t;

static const hint_case_t HINTS[] = {
    {EXPECT_ALLOW, VERDICT_FAIL, OUTCOME_TIMEOUT, NETPOL_ALLOW, NETPOL_NEAR_NONE,
     "so this is not a policy effect"},
    {EXPECT_ALLOW, VERDICT_FAIL, OUTCOME_TIMEOUT, NETPOL_DENY, NETPOL_NEAR_OTHER_PORT,
     "wrong port in the policy?"},
    {EXPECT_ALLOW, VERDICT_FAIL, OUTCOME_TIMEOUT, NETPOL_DENY, NETPOL_NEAR_OTHER_PEER,
     "pod labels don't match the podSelector?"},
    {EXPECT_ALLOW, VERDICT_FAIL, OUTCOME_TIMEOUT, NETPOL_DENY, NETPOL_NEAR_NONE, "no egress rule allows it"},
    {EXPECT_DENY, VERDICT_FAIL, OUTCOME_OK, NETPOL_DENY, NETPOL_NEAR_NONE,
     "the CNI does not enforce NetworkPolicy"},
    {EXPECT_DENY, VERDICT_FAIL, OUTCOME_OK, NETPOL_ALLOW, NETPOL_NEAR_NONE, "expect: deny contradicts them"},
    {EXPECT_ALLOW, VERDICT_FAIL, OUTCOME_TIMEOUT, NETPOL_UNKNOWN, NETPOL_NEAR_NONE, NULL},
    {EXPECT_DENY, VERDICT_INCONCLUSIVE, OUTCOME_REFUSED, NETPOL_DENY, NETPOL_NEAR_NONE, NULL},
    /* A dns probe the policies deny (kind dns: see the loop). */
    {EXPECT_ALLOW, VERDICT_FAIL, OUTCOME_DNS_TIMEOUT, NETPOL_DENY, NETPOL_NEAR_NONE, "The policies deny DNS"},
    /* The name did not resolve: the path was never tried, the DNS hint stands. */
    {EXPECT_ALLOW, VERDICT_FAIL, OUTCOME_DNS_TIMEOUT, NETPOL_ALLOW, NETPOL_NEAR_NONE, NULL},
};

static void test_hints(void **state)
{
    (void)state;
    k8s_model_t *m = model();
    for (size_t i = 0; i < sizeof(HINTS) / sizeof(HINTS[0]); i++) {
        result_t r;
        policy_intent_t in;
        memset(&r, 0, sizeof(r));
        memset(&in, 0, sizeof(in));
        r.expect = HINTS[i].expect;
        r.verdict = HINTS[i].verdict;
        r.outcome = HINTS[i].outcome;
        r.kind = strstr(HINTS[i].want ? HINTS[i].want : "", "DNS") ? KIND_DNS : KIND_TCP;
        in.intended = HINTS[i].intended;
        in.egress = HINTS[i].intended;
        in.near = HINTS[i].near;
        in.nearest = (netpol_ref_t){0, NETPOL_EGRESS, 0};
        char buf[RESULT_HINT_LEN] = "";
        bool got = policy_annotate_hint(&r, &in, m, "web", "shop", buf, sizeof(buf));
        if (!HINTS[i].want) {
            assert_false(got);
            continue;
        }
        if (!got || !strstr(buf, HINTS[i].want))
            fail_msg("case %zu: \"%s\", want \"%s\"", i, buf, HINTS[i].want);
        assert_true(strlen(buf) < RESULT_HINT_LEN - 1);
    }
    k8s_model_destroy(m);
}

static void test_plan(void **state)
{
    (void)state;
    for (int yaml = 0; yaml < 2; yaml++) {
        char err[512] = "", *text = NULL;
        k8s_model_t *m = model();
        assert_int_equal(policy_plan_run(m, NULL, NULL, yaml, &text, err, sizeof(err)), 0);
        config_t *cfg = NULL;
        int rc = config_parse_text(text, strlen(text), yaml ? CONFIG_FORMAT_YAML : CONFIG_FORMAT_JSON, &cfg,
                                   err, sizeof(err));
        if (rc != 0)
            fail_msg("plan (%s) does not parse: %s\n%s", yaml ? "yaml" : "json", err, text);
        assert_int_equal(cfg->n_roles, 3);
        cJSON *rep = NULL;
        assert_int_equal(policy_check_run(m, cfg, NULL, &rep, err, sizeof(err)), 0);
        const cJSON *sum = cJSON_GetObjectItemCaseSensitive(rep, "summary");
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(sum, "disagree")->valueint, 0);
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(sum, "unknown")->valueint, 0);
        /* web reaches api:80 (http, by the port name), and db stays closed to it; api's egress
         * to db is open, but db's ingress is not. */
        assert_string_equal(str(probe(rep, "web", "api-80"), "expect"), "allow");
        assert_string_equal(str(probe(rep, "web", "api-80"), "kind"), "http");
        assert_string_equal(str(probe(rep, "web", "no-db-5432"), "expect"), "deny");
        assert_string_equal(str(probe(rep, "api", "no-db-5432"), "expect"), "deny");
        cJSON_Delete(rep);
        config_free(cfg);
        free(text);
        k8s_model_destroy(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_service_named_unselected),
        cmocka_unit_test(test_service_unselected),
        cmocka_unit_test(test_service_stand_in),
        cmocka_unit_test(test_service_no_named_port),
        cmocka_unit_test(test_service_unselected_check),
        cmocka_unit_test(test_service_unselected_hint),
        cmocka_unit_test(test_hints),
        cmocka_unit_test(test_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
