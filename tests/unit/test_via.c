/* test_via.c: "via": ["pods"] (via.c): the pod paths derived from a Service of the objects:
 * names, addresses, targetPorts (numbered and named), http URLs (IPv6 in brackets), the
 * Service path kept or not, and the errors that name the probe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "k8s_read.h"
#include "via.h"

static const char OBJS[] =
    "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: t, labels: {app: s}}\n"
    "spec: {containers: [{name: c, ports: [{name: web, containerPort: 8081}]}]}\nstatus: {podIP: 10.0.0.1}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: t, labels: {app: s}}\n"
    "spec: {containers: [{name: c, ports: [{name: web, containerPort: 8082}]}]}\nstatus: {podIP: fd00::2}\n"
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: other, namespace: t, labels: {app: o}}\nstatus: {podIP: "
    "10.0.0.9}\n"
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: t}\n"
    "spec: {selector: {app: s}, ports: [{port: 80, targetPort: 8080}, {port: 81, targetPort: web}]}\n";

static const char CFG[] =
    "{\"version\": 1, \"roles\": {\"r\": {\"probes\": [\n"
    " {\"name\": \"plain\", \"kind\": \"tcp\", \"host\": \"svc\", \"port\": 80, \"expect\": \"allow\"},\n"
    " {\"name\": \"both\", \"kind\": \"tcp\", \"host\": \"svc\", \"port\": 80, \"expect\": \"allow\", \"via\": "
    "[\"service\", \"pods\"]},\n"
    " {\"name\": \"web\", \"kind\": \"http\", \"url\": \"http://svc.t.svc.cluster.local:81/x?y\", \"expect\": "
    "\"deny\", \"via\": [\"pods\"]},\n"
    " {\"name\": \"nosvc\", \"kind\": \"tcp\", \"host\": \"missing\", \"port\": 80, \"expect\": \"allow\", \"via\": "
    "[\"pods\"]}]}}}";

static void setup(k8s_model_t **m, config_t **cfg, const config_probe_t **p)
{
    char err[512] = "";
    *m = k8s_model_create();
    if (k8s_read_text(*m, "objs.yaml", OBJS, sizeof(OBJS) - 1, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(k8s_model_finish(*m), 0);
    if (config_parse(CFG, sizeof(CFG) - 1, cfg, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    for (size_t i = 0; i < 4; i++)
        p[i] = &(*cfg)->roles[0].probes[i];
}

static void test_expand(void **state)
{
    (void)state;
    k8s_model_t *m;
    config_t *cfg;
    const config_probe_t *p[4], **out = NULL;
    size_t n = 0, ns;
    setup(&m, &cfg, p);
    ns = (size_t)k8s_model_find_namespace(m, "t");
    via_t *v = NULL;
    char err[512];
    assert_int_equal(via_expand(m, ns, p, 3, &out, &n, &v, err, sizeof(err)), 0);
    assert_int_equal(n, 6); /* plain, both, both x 2 pods, web x 2 pods (no Service path) */
    assert_ptr_equal(out[0], p[0]);
    assert_ptr_equal(out[1], p[1]);
    assert_string_equal(out[2]->name, "both.pod.a");
    assert_string_equal(out[2]->host, "10.0.0.1");
    assert_int_equal(out[2]->port, 8080);
    assert_string_equal(out[3]->name, "both.pod.b");
    assert_string_equal(out[3]->host, "fd00::2");
    assert_string_equal(out[4]->name, "web.pod.a");
    assert_int_equal(out[4]->port, 8081); /* the named targetPort on this pod */
    assert_string_equal(out[4]->url, "http://10.0.0.1:8081/x?y");
    assert_string_equal(out[5]->url, "http://[fd00::2]:8082/x?y");
    assert_int_equal(out[5]->expect, EXPECT_DENY);
    free(out);
    via_free(v);

    assert_int_equal(via_expand(m, ns, &p[3], 1, &out, &n, &v, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, "probe \"nosvc\": via pods needs a host that names a Service"));
    assert_int_equal(via_expand(NULL, 0, &p[1], 1, &out, &n, &v, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, "needs the objects"));
    assert_int_equal(via_expand(m, ns, p, 1, &out, &n, &v, err, sizeof(err)), 0); /* nothing to expand */
    assert_null(v);
    assert_int_equal(n, 1);
    free(out);
    config_free(cfg);
    k8s_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
