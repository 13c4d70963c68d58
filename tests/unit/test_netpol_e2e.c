/* test_netpol_e2e.c: the evaluator against the Kubernetes e2e network policy suite: every
 * fixture in tests/unit/fixtures/netpol-e2e/ holds the e2e's topology, a case's policies and
 * the e2e's expected truth table; the evaluator must agree on every (from, to) pair but a pod
 * to itself (the e2e ignores loopback too). */
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

#define DIR_E2E "tests/unit/fixtures/netpol-e2e/"

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
    char ns[64];
    const char *slash = strchr(nsname, '/');
    snprintf(ns, sizeof(ns), "%.*s", (int)(slash - nsname), nsname);
    for (size_t i = 0; i < m->n_pods; i++)
        if (strcmp(m->pods[i].name, slash + 1) == 0 && strcmp(m->namespaces[m->pods[i].ns].name, ns) == 0)
            return (long)i;
    return -1;
}

/* Checks one fixture; returns the pairs compared, adds mismatches to *bad. */
static size_t check_fixture(const char *path, size_t *bad)
{
    size_t len, pairs = 0;
    char err[512] = "";
    char *text = slurp(path, &len);
    k8s_model_t *m = k8s_model_create();
    assert_non_null(m);
    int rc = k8s_read_text(m, path, text, len, err, sizeof(err));
    if (rc != 0)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(k8s_model_finish(m), 0);
    /* The expectations document is a kind the reader does not know: skipped and counted. */
    assert_int_equal(m->n_skipped, 1);
    assert_int_equal(m->n_pods, 9);

    cJSON *docs = NULL;
    assert_int_equal(config_yaml_stream_to_cjson(text, len, &docs, err, sizeof(err)), 0);
    const cJSON *exp = NULL;
    for (const cJSON *d = docs->child; d; d = d->next) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(d, "kind");
        if (cJSON_IsString(k) && strcmp(k->valuestring, "ZtprobeExpectedReachability") == 0)
            exp = d;
    }
    assert_non_null(exp);
    const cJSON *pods = cJSON_GetObjectItemCaseSensitive(exp, "pods");
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(exp, "checks");
    assert_true(cJSON_GetArraySize(checks) > 0);
    for (const cJSON *c = checks->child; c; c = c->next) {
        int port = cJSON_GetObjectItemCaseSensitive(c, "port")->valueint;
        const char *ps = cJSON_GetObjectItemCaseSensitive(c, "protocol")->valuestring;
        k8s_proto_t proto = strcmp(ps, "UDP") == 0 ? K8S_UDP : strcmp(ps, "SCTP") == 0 ? K8S_SCTP : K8S_TCP;
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(c, "rows");
        for (const cJSON *row = rows->child; row; row = row->next) {
            long from = find_pod(m, row->string);
            assert_true(from >= 0);
            size_t col = 0;
            for (const cJSON *to = pods->child; to; to = to->next, col++) {
                if (strcmp(row->string, to->valuestring) == 0)
                    continue; /* loopback: not judged, as in the e2e */
                long dst = find_pod(m, to->valuestring);
                assert_true(dst >= 0);
                char want = row->valuestring[col * 2];
                netpol_endpoint_t s, d;
                netpol_answer_t a;
                netpol_endpoint_pod(m, (size_t)from, &s);
                netpol_endpoint_pod(m, (size_t)dst, &d);
                netpol_query(m, &s, &d, port, proto, &a);
                bool got = a.verdict == NETPOL_ALLOW;
                pairs++;
                if (a.verdict == NETPOL_UNKNOWN || got != (want == '.')) {
                    print_error("%s: %s -> %s %s/%d: e2e expects %s, evaluator says %s\n", path, row->string,
                                to->valuestring, ps, port, want == '.' ? "allow" : "deny",
                                netpol_verdict_name(a.verdict));
                    (*bad)++;
                }
            }
        }
    }
    cJSON_Delete(docs);
    k8s_model_destroy(m);
    free(text);
    return pairs;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_e2e_corpus(void **state)
{
    (void)state;
    DIR *d = opendir(DIR_E2E);
    assert_non_null(d);
    char *names[128];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 128) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    assert_true(n >= 20);
    size_t pairs = 0, bad = 0;
    for (size_t i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s%s", DIR_E2E, names[i]);
        pairs += check_fixture(path, &bad);
        free(names[i]);
    }
    print_message("netpol-e2e: %zu cases, %zu pairs compared, %zu disagree\n", n, pairs, bad);
    assert_int_equal(bad, 0);
    assert_true(pairs >= n * 72);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
