/* test_anp_conformance.c: the evaluator itself on every assertion of the network-policy-api
 * conformance tests transcribed in tests/policy/fixtures/conformance/, SCTP included (which no
 * probe kind can express, so tests/policy/conformance.py, going through `policy check`, only
 * counts them): each assertion's client pod, server pod IP, protocol and port, through
 * netpol_query; the answer must be the test's (connect: allow; else deny), never unknown. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_yaml.h"
#include "k8s_read.h"
#include "netpol.h"

#define DIR_CONF "tests/policy/fixtures/conformance/"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static long find_pod(const k8s_model_t *m, const char *nsname)
{
    const char *slash = strchr(nsname, '/');
    assert_non_null(slash);
    for (size_t i = 0; i < m->n_pods; i++)
        if (strcmp(m->pods[i].name, slash + 1) == 0 &&
            strncmp(m->namespaces[m->pods[i].ns].name, nsname, (size_t)(slash - nsname)) == 0 &&
            m->namespaces[m->pods[i].ns].name[slash - nsname] == '\0')
            return (long)i;
    return -1;
}

/* One fixture: returns the assertions compared; mismatches add to *bad, SCTP ones to *sctp. */
static size_t check_fixture(const char *topo, size_t tlen, const char *path, size_t *bad, size_t *sctp)
{
    size_t len, n = 0;
    char err[512] = "";
    char *text = slurp(path, &len);
    k8s_model_t *m = k8s_model_create();
    assert_non_null(m);
    int rc = k8s_read_text(m, "topology.yaml", topo, tlen, err, sizeof(err));
    if (rc == 0)
        rc = k8s_read_text(m, path, text, len, err, sizeof(err));
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(k8s_model_finish(m), 0);
    assert_int_equal(m->n_foreign, 0);
    cJSON *docs = NULL;
    assert_int_equal(config_yaml_stream_to_cjson(text, len, &docs, err, sizeof(err)), 0);
    const cJSON *exp = NULL;
    for (const cJSON *d = docs->child; d; d = d->next) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(d, "kind");
        if (cJSON_IsString(k) && strcmp(k->valuestring, "ZtprobeConformanceExpectations") == 0)
            exp = d;
    }
    assert_non_null(exp);
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(exp, "checks"))
    {
        const char *from = cJSON_GetObjectItemCaseSensitive(c, "from")->valuestring;
        const char *to = cJSON_GetObjectItemCaseSensitive(c, "to")->valuestring;
        const char *ps = cJSON_GetObjectItemCaseSensitive(c, "protocol")->valuestring;
        int port = cJSON_GetObjectItemCaseSensitive(c, "port")->valueint;
        bool connect = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "connect"));
        k8s_proto_t proto = strcmp(ps, "UDP") == 0 ? K8S_UDP : strcmp(ps, "SCTP") == 0 ? K8S_SCTP : K8S_TCP;
        long s = find_pod(m, from), d = find_pod(m, to);
        assert_true(s >= 0 && d >= 0);
        netpol_endpoint_t se, de;
        netpol_answer_t a;
        netpol_endpoint_pod(m, (size_t)s, &se);
        netpol_endpoint_pod(m, (size_t)d, &de);
        netpol_query(m, &se, &de, port, proto, &a);
        n++;
        *sctp += proto == K8S_SCTP;
        if (a.verdict != (connect ? NETPOL_ALLOW : NETPOL_DENY)) {
            print_error("%s: %s -> %s %s/%d: the test expects %s, the evaluator says %s\n", path, from, to,
                        ps, port, connect ? "allow" : "deny", netpol_verdict_name(a.verdict));
            (*bad)++;
        }
    }
    cJSON_Delete(docs);
    k8s_model_destroy(m);
    free(text);
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_conformance_corpus(void **state)
{
    (void)state;
    size_t tlen;
    char *topo = slurp(DIR_CONF "topology.yaml", &tlen);
    DIR *d = opendir(DIR_CONF);
    assert_non_null(d);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0 && strcmp(e->d_name, "topology.yaml") != 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    assert_true(n >= 100);
    size_t checks = 0, bad = 0, sctp = 0;
    for (size_t i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s%s", DIR_CONF, names[i]);
        checks += check_fixture(topo, tlen, path, &bad, &sctp);
        free(names[i]);
    }
    free(topo);
    print_message("conformance: %zu fixtures, %zu assertions (%zu SCTP), %zu disagree\n", n, checks, sctp,
                  bad);
    assert_int_equal(bad, 0);
    assert_true(checks >= 572 && sctp > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
