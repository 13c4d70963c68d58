/* fuzz_objects.c: libFuzzer target for the Kubernetes object reader (YAML streams, JSON,
 * Lists) and the evaluator on whatever model it builds: every pod to every pod on a few
 * ports, and a probe-less policy check path (the nearest-rule and by bookkeeping). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s_read.h"
#include "netpol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    char *text = malloc(size ? size : 1); /* exact size: no terminator, over-reads show */
    k8s_model_t *m = k8s_model_create();
    if (!text || !m)
        goto done;
    memcpy(text, data, size);
    err[0] = '\0';
    int rc = k8s_read_text(m, "fuzz.yaml", text, size, err, sizeof(err));
    if (rc != 0) {
        if (err[0] == '\0')
            abort(); /* every failure says why */
        goto done;
    }
    if (k8s_model_finish(m) != 0)
        goto done;
    static const int ports[] = {53, 80, 443, 8080};
    for (size_t i = 0; i < m->n_pods && i < 16; i++) {
        for (size_t j = 0; j < m->n_pods && j < 16; j++) {
            for (size_t k = 0; k < sizeof(ports) / sizeof(ports[0]); k++) {
                netpol_endpoint_t s, d;
                netpol_answer_t a;
                netpol_endpoint_pod(m, i, &s);
                netpol_endpoint_pod(m, j, &d);
                netpol_query(m, &s, &d, ports[k], k ? K8S_TCP : K8S_UDP, &a);
                if (a.verdict == NETPOL_ALLOW &&
                    (a.egress.verdict != NETPOL_ALLOW || a.ingress.verdict != NETPOL_ALLOW))
                    abort(); /* allowed only when both sides allow */
                if (a.egress.n_by > NETPOL_BY_MAX || a.ingress.n_by > NETPOL_BY_MAX)
                    abort();
            }
            cidr_t any;
            if (cidr_parse("0.0.0.0/0", &any, err, sizeof(err)) == 0) {
                netpol_endpoint_t s, d;
                netpol_answer_t a;
                netpol_endpoint_pod(m, i, &s);
                netpol_endpoint_range(&any, &d);
                netpol_query(m, &s, &d, 443, K8S_TCP, &a);
            }
        }
    }
done:
    k8s_model_destroy(m);
    free(text);
    return 0;
}
