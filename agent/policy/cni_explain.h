/* cni_explain.h: the CNI part of `--explain` (policy_explain.h): for one direction, every
 * Cilium policy that selects the pod and every Calico policy that applies to it (in Calico's
 * order, with tier and order), each rule with its action and how its peer, ports and L7 rules
 * fare against the connection. Pure: a cJSON tree, and its text. */
#ifndef ZT_CNI_EXPLAIN_H
#define ZT_CNI_EXPLAIN_H

#include <cJSON.h>

#include "netpol.h"
#include "strbuf.h"

/* Adds "cilium" and/or "calico" arrays to the direction object o, each only when the objects
 * hold policies of that CNI (q: the direction's question, as the walk asks it). Calico
 * evaluates the Kubernetes NetworkPolicies as policies of its default tier at order 1000, so
 * the "calico" array holds, at that place, a copy of each entry of netpols (the direction's
 * "policies" array, policy_explain.c) with "kind": "Kubernetes NetworkPolicy", "tier" and
 * "order" added. Every entry says whether the walk reached it (q->trace: what the walk
 * recorded), and only a rule where the walk ended "decides". */
void cni_explain_json(const tier_query_t *q, const cJSON *netpols, cJSON *o);

/* Renders one entry of the "policies" array (a NetworkPolicy and its rules) as text; prefix:
 * "" in the NetworkPolicy list, "Kubernetes NetworkPolicy " inside Calico's order, where
 * suffix says the tier and order. */
typedef void (*cni_netpol_text_fn)(strbuf_t *b, const cJSON *d, const cJSON *policy, const char *prefix,
                                   const char *suffix);

/* The two arrays of direction d as indented lines; a NetworkPolicy inside Calico's order is
 * written by netpol. */
void cni_explain_text(strbuf_t *b, const cJSON *d, cni_netpol_text_fn netpol);

#endif
