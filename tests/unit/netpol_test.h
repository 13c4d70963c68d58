/* netpol_test.h: what the policy evaluator's unit tests share: a model read from the test's
 * base objects plus the policies under test, a pod by name, and the two ends of a query (a
 * pod to a pod, or a pod to an outside block). */
#ifndef ZT_NETPOL_TEST_H
#define ZT_NETPOL_TEST_H

#include <string.h>

#include "k8s_read.h"
#include "netpol.h"

/* The model of base then policies (finished when both read). *rc is the policies' read
 * status, with err set when it failed; the base must read. */
__attribute__((unused)) static k8s_model_t *nt_load(const char *base, const char *policies, char *err,
                                                    size_t errlen, int *rc)
{
    k8s_model_t *m = k8s_model_create();
    assert_non_null(m);
    *rc = k8s_read_text(m, "base.yaml", base, strlen(base), err, errlen);
    assert_int_equal(*rc, 0);
    *rc = k8s_read_text(m, "policies.yaml", policies, strlen(policies), err, errlen);
    if (*rc == 0)
        assert_int_equal(k8s_model_finish(m), 0);
    return m;
}

/* The index of the pod (or workload) named name; fails the test when there is none. */
__attribute__((unused)) static size_t nt_pod(const k8s_model_t *m, const char *name)
{
    for (size_t i = 0; i < m->n_pods; i++)
        if (strcmp(m->pods[i].name, name) == 0)
            return i;
    fail_msg("no pod %s", name);
    return 0;
}

/* The ends of a query: pod from, and pod to or (to NULL) the outside block outside. */
__attribute__((unused)) static void nt_ends(const k8s_model_t *m, const char *from, const char *to,
                                            const char *outside, netpol_endpoint_t *s, netpol_endpoint_t *d)
{
    char err[128];
    netpol_endpoint_pod(m, nt_pod(m, from), s);
    if (to) {
        netpol_endpoint_pod(m, nt_pod(m, to), d);
    } else {
        cidr_t r;
        assert_int_equal(cidr_parse(outside, &r, err, sizeof(err)), 0);
        netpol_endpoint_range(&r, d);
    }
}

#endif
