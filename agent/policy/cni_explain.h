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
 * hold policies of that CNI (q: the direction's question, as the walk asks it). */
void cni_explain_json(const tier_query_t *q, cJSON *o);

/* The two arrays of direction d as indented lines. */
void cni_explain_text(strbuf_t *b, const cJSON *d);

#endif
