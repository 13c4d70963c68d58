/* calico_match.h: Calico's rule matching for calico_eval.c (private to the Calico evaluator):
 * a match is none, part or all, so a part match of a deciding rule can make an answer unknown. */
#ifndef ZT_CALICO_MATCH_H
#define ZT_CALICO_MATCH_H

#include <stdbool.h>

#include "calico_eval.h"

typedef enum { CALICO_M_NONE = 0, CALICO_M_PART = 1, CALICO_M_ALL = 2 } calico_m_t;

/* Label sets of a pod as Calico sees it: its own labels, then the implied ones. */
typedef struct {
    label_t implied[3];
    labels_t implied_set;
    const labels_t *sets[2];
    const char *sa;
} calico_m_pod_t;

/* Fills p with a pod's label sets as Calico sees them (its labels, then the implied ones). */
void calico_m_pod(const k8s_model_t *m, const netpol_endpoint_t *e, calico_m_pod_t *p);

/* A namespace's labels plus projectcalico.org/name. */
bool calico_m_ns_match(const k8s_model_t *m, const calsel_t *s, size_t ns);

/* A ServiceAccount's labels (when its object was read) plus projectcalico.org/name. */
bool calico_m_sa_match(const k8s_model_t *m, const calsel_t *s, size_t ns, const char *sa);

/* Whether the endpoint lies in one of the nets. A pod whose address the objects do not give
 * (a workload template) is taken as outside every net, as netpol.c takes it for ipBlock. */
calico_m_t calico_m_nets(const cidr_t *nets, size_t n, const netpol_endpoint_t *e);

/* Whether port/proto is one of the rule's ports (numbers, ranges, or names on dst's pod). */
bool calico_m_port_in(const cal_port_t *ports, size_t n, const netpol_endpoint_t *dst, int port,
                      k8s_proto_t proto);

/* The selector part of an entity for a pod: namespace scope, selector, service accounts. */
bool calico_m_selected(const k8s_model_t *m, const cal_policy_t *pol, const cal_entity_t *en,
                       const calsel_t *sel, bool with_sa, const netpol_endpoint_t *e);

/* How far an entity (a rule's source or destination) holds for endpoint e. */
calico_m_t calico_m_entity(const k8s_model_t *m, const cal_policy_t *pol, const cal_entity_t *en,
                           const netpol_endpoint_t *e, bool is_dst, const netpol_endpoint_t *dst, int port,
                           k8s_proto_t proto);

/* The IP protocol number of proto (6, 17, 132). */
int calico_m_proto_number(k8s_proto_t p);

/* How far a whole rule holds for the connection src -> dst:port/proto. */
calico_m_t calico_m_rule(const k8s_model_t *m, const cal_policy_t *pol, const cal_rule_t *r,
                         const netpol_endpoint_t *src, const netpol_endpoint_t *dst, int port,
                         k8s_proto_t proto);

#endif
