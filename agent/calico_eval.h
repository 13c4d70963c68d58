/* calico_eval.h: what Calico's policies intend for one direction of one connection, as Calico
 * evaluates them: tiers by order, policies by order inside a tier (no order: last; ties by
 * name), rules in order (Log goes on, Allow and Deny end, Pass jumps to the next tier), the
 * tier's defaultAction when a policy of it applied and no rule decided, and the namespace
 * profile's allow after the last tier. Kubernetes NetworkPolicies take part as the default
 * tier's policies of order 1000 (their answer comes from netpol.c). Pure: no I/O, no
 * allocation. */
#ifndef ZT_CALICO_EVAL_H
#define ZT_CALICO_EVAL_H

#include "k8s_model.h"
#include "netpol.h"

/* One direction judged at `self` (egress: the source; ingress: the destination); `other` is
 * the far end, `dst` the destination (named ports resolve against its container ports).
 * `k8s` is the NetworkPolicy evaluator's answer for the same side. */
void calico_eval_side(const k8s_model_t *m, netpol_dir_t dir, const netpol_endpoint_t *self,
                      const netpol_endpoint_t *other, const netpol_endpoint_t *dst, int port,
                      k8s_proto_t proto, const netpol_side_t *k8s, cal_step_t *out);

/* "Calico GlobalNetworkPolicy allow-dns (tier default, order 100) egress rule 0 (Allow)" into
 * buf: the step that decided (or the tier's end), and a Pass before it. */
void calico_step_text(const k8s_model_t *m, netpol_dir_t dir, const cal_step_t *s, char *buf, size_t len);

/* The policy's name as Calico users write it: "ns/name" for a namespaced one, else "name". */
void calico_policy_name(const k8s_model_t *m, size_t policy, char *buf, size_t len);

#endif
