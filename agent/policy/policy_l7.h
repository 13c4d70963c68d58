/* policy_l7.h: what a probe asks at L7 (an http(s) request's method, path, Host and headers;
 * a dns probe's name), for the L7 rules of CNI policies (Cilium's http and dns rules). Pure. */
#ifndef ZT_POLICY_L7_H
#define ZT_POLICY_L7_H

#include "config.h"
#include "k8s_model.h"

#define POLICY_L7_HEADERS 16
#define POLICY_L7_TEXT 512

typedef struct {
    k8s_l7_req_t req;
    char path[POLICY_L7_TEXT];
    char host[256];
    const char *names[POLICY_L7_HEADERS];
    const char *values[POLICY_L7_HEADERS];
} policy_l7_t;

/* Fills b from the probe; false when the probe asks nothing at L7 (tcp, udp, postgres). The
 * request points into p and b: valid while both are. */
bool policy_l7_request(const config_probe_t *p, policy_l7_t *b);

#endif
