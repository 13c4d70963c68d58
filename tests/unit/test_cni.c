/* test_cni.c: the dataplane profiles (cni_profile.c: names, versions, which deviations apply)
 * and the deviations written into a model (cni_patch.c): what each rewrite changes, and that
 * undo leaves the model exactly as read (every answer as before). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cni_patch.h"
#include "cni_profile.h"
#include "k8s_read.h"
#include "netpol.h"

static const cni_deviation_t *dev(const char *id)
{
    for (size_t i = 0; i < cni_n_deviations; i++)
        if (strcmp(cni_deviations[i].id, id) == 0)
            return &cni_deviations[i];
    fail_msg("no deviation %s", id);
    return NULL;
}

static void test_select(void **state)
{
    (void)state;
    cni_sel_t s;
    char err[600];
    assert_int_equal(cni_select("vpc-cni@1.0.3", &s, err, sizeof(err)), 0);
    assert_true(s.has_version);
    assert_string_equal(s.version_text, "1.0.3");
    assert_int_equal(cni_select("vpc-cni@v1.1", &s, err, sizeof(err)), 0); /* a tag's "v", parts missing: 0 */
    assert_string_equal(s.version_text, "1.1.0");
    assert_int_equal(cni_select("cilium", &s, err, sizeof(err)), 0);
    assert_false(s.has_version);
    assert_int_equal(cni_select("weave", &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown profile"));
    assert_non_null(strstr(err, "vpc-cni@1.0.0..1.99.99"));
    assert_non_null(strstr(err, "calico@"));
    const char *bad[] = {"vpc-cni@",    "vpc-cni@x",   "vpc-cni@1..2",     "vpc-cni@1.2.3.4",
                         "vpc-cni@0.9", "vpc-cni@2.0", "vpc-cni@123456.1", "vpc-cni@1.0.3 "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(cni_select(bad[i], &s, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "unknown version of vpc-cni"));
        assert_non_null(strstr(err, "known: 1.0.0 to 1.99.99"));
    }
}

static void test_applies(void **state)
{
    (void)state;
    cni_sel_t s;
    char err[600];
    const cni_deviation_t *except = dev("vpc-cni-except-ignored"), *window = dev("vpc-cni-startup-window"),
                          *cil = dev("cilium-ipblock-not-pods");
    assert_int_equal(cni_select("vpc-cni@1.0.3", &s, err, sizeof(err)), 0);
    assert_true(cni_applies(&s, except));
    assert_true(cni_applies(&s, window));
    assert_false(cni_applies(&s, cil)); /* another profile's */
    assert_int_equal(cni_select("vpc-cni@1.0.4", &s, err, sizeof(err)), 0);
    assert_false(cni_applies(&s, except)); /* fixed in 1.0.4 */
    assert_true(cni_applies(&s, window));  /* not fixed */
    assert_int_equal(cni_select("vpc-cni@1.0.10", &s, err, sizeof(err)), 0);
    assert_false(cni_applies(&s, except)); /* 1.0.10 > 1.0.4: numbers, not text */
    assert_int_equal(cni_select("vpc-cni", &s, err, sizeof(err)), 0);
    assert_true(cni_applies(&s, except)); /* no version: every deviation of the profile */
    char v[64];
    cni_versions_text(except, v, sizeof(v));
    assert_string_equal(v, ">= 1.0.0, < 1.0.4");
    cni_versions_text(window, v, sizeof(v));
    assert_string_equal(v, ">= 1.0.0");
}

#define NP "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
static const char OBJS[] =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: c, namespace: t, labels: {app: c}}\nstatus: {podIP: 10.0.5.4}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: s, namespace: t, labels: {app: s}}\nstatus: {podIP: "
    "10.0.5.5}\n"
    "---\n" NP
    "metadata: {name: out, namespace: t}\nspec: {podSelector: {matchLabels: {app: c}}, policyTypes: "
    "[Egress], egress: [{to: [{ipBlock: {cidr: 10.9.0.0/16}}], ports: [{port: 443}]}, {to: [{ipBlock: {cidr: "
    "0.0.0.0/0, except: [10.9.0.0/16, 10.8.0.0/16]}}], ports: [{port: 443}, {port: 80}]}]}\n";

/* The answer of TCP from pod c to addr:port. */
static netpol_verdict_t ask(const k8s_model_t *m, const char *addr, int port)
{
    netpol_endpoint_t src, dst;
    ip_addr_t a;
    assert_true(ip_addr_parse("10.0.5.4", &a));
    netpol_endpoint_pod(m, (size_t)k8s_model_find_pod_ip(m, &a), &src);
    assert_true(ip_addr_parse(addr, &a));
    long pod = k8s_model_find_pod_ip(m, &a);
    if (pod >= 0) {
        netpol_endpoint_pod(m, (size_t)pod, &dst);
    } else {
        cidr_t c;
        char err[64];
        assert_int_equal(cidr_parse(addr, &c, err, sizeof(err)), 0);
        netpol_endpoint_range(&c, &dst);
    }
    netpol_answer_t ans;
    netpol_query(m, &src, &dst, port, K8S_TCP, &ans);
    return ans.verdict;
}

static k8s_model_t *model(void)
{
    char err[512] = "";
    k8s_model_t *m = k8s_model_create();
    if (k8s_read_text(m, "objs.yaml", OBJS, sizeof(OBJS) - 1, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(k8s_model_finish(m), 0);
    return m;
}

static void test_patches(void **state)
{
    (void)state;
    k8s_model_t *m = model();
    cni_patch_t p;
    /* As written: the except ranges denied, 10.9/16 on 443 only, pods matched by 0.0.0.0/0. */
    assert_int_equal(ask(m, "10.8.0.1", 443), NETPOL_DENY);
    assert_int_equal(ask(m, "10.9.0.1", 80), NETPOL_DENY);
    assert_int_equal(ask(m, "10.9.0.1", 443), NETPOL_ALLOW);
    assert_int_equal(ask(m, "10.0.5.5", 80), NETPOL_ALLOW);

    assert_int_equal(cni_patch_apply(m, CNI_C_IPBLOCK_EXCEPT, &p), 0);
    assert_int_equal(p.n_touched, 1);
    assert_int_equal(p.n_ranges, 2); /* both except ranges, aimed at the rule's first port */
    assert_int_equal(p.ranges[0].port, 443);
    assert_int_equal(ask(m, "10.8.0.1", 443), NETPOL_ALLOW);
    cni_patch_undo(m, &p);
    assert_int_equal(ask(m, "10.8.0.1", 443), NETPOL_DENY);

    assert_int_equal(cni_patch_apply(m, CNI_C_EXCEPT_IS_OTHER_CIDR, &p), 0);
    assert_int_equal(p.n_touched, 2);
    assert_int_equal(p.n_ranges, 1); /* 10.9/16 only: another rule allows it */
    assert_int_equal(p.ranges[0].port, 80);
    assert_int_equal(ask(m, "10.9.0.1", 80), NETPOL_ALLOW);
    assert_int_equal(ask(m, "10.8.0.1", 443), NETPOL_DENY); /* still excepted */
    cni_patch_undo(m, &p);
    assert_int_equal(ask(m, "10.9.0.1", 80), NETPOL_DENY);

    assert_int_equal(cni_patch_apply(m, CNI_C_IPBLOCK_MATCHES_PODS, &p), 0);
    assert_int_equal(ask(m, "10.0.5.5", 80), NETPOL_DENY);
    assert_int_equal(ask(m, "203.0.113.9", 80), NETPOL_ALLOW);
    cni_patch_undo(m, &p);
    assert_int_equal(ask(m, "10.0.5.5", 80), NETPOL_ALLOW);

    assert_int_equal(cni_patch_apply(m, CNI_C_SAME_CIDR_RULES, &p), 0);
    assert_int_equal(p.n_touched, 0); /* no two rules share a CIDR here */
    cni_patch_undo(m, &p);
    assert_int_equal(cni_patch_apply(m, CNI_C_ISOLATED_POD, &p), 0);
    assert_int_equal(p.n_touched, 0); /* a matter of time: no rule rewritten */
    cni_patch_undo(m, &p);
    k8s_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_applies),
        cmocka_unit_test(test_patches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
