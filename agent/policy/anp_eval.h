/* anp_eval.h: the admin tiers' stage evaluators (policy_tier.h): stage 1 (admin) is every
 * ClusterNetworkPolicy of tier Admin and every AdminNetworkPolicy, stage 4 (baseline) every
 * ClusterNetworkPolicy of tier Baseline and the BaselineAdminNetworkPolicy.
 *
 * Semantics, as the network-policy-api defines them (v1alpha2, v1alpha1; the EKS twin):
 *  - a policy applies to the pods its subject selects (never host-network pods); within a
 *    tier lower priority values go first, within a policy the first matching rule of the
 *    direction decides: Accept/Allow and Deny are final for the direction, Pass hands the
 *    connection to the next tier (admin -> NetworkPolicies; baseline -> the default allow);
 *  - a rule matches when one of its ports matches (none listed: every port) and one of its
 *    peers matches the other end: namespaces and pods match pods only (not host-network
 *    ones); networks match by address, pod IPs included; nodes match the addresses of the
 *    Node objects their selector picks; domainNames match the host name the probe connects
 *    to (exactly, or "*.x.y" for one or more labels before x.y);
 *  - a pod connecting to its own pod IP is not subject to these policies (through a Service
 *    it is);
 *  - two policies of one tier and priority that both match: the API leaves the order
 *    undefined: unknown unless their actions agree (both named); for the EKS group the
 *    VPC CNI's agent orders Deny before Accept before Pass at one priority, which is applied
 *    and said; whether a later Deny beats an earlier Accept inside one EKS policy is not
 *    documented: unknown. */
#ifndef ZT_ANP_EVAL_H
#define ZT_ANP_EVAL_H

#include "netpol.h"

tier_action_t anp_stage_admin(const tier_query_t *q, tier_step_t *step);
tier_action_t anp_stage_baseline(const tier_query_t *q, tier_step_t *step);

/* "ClusterNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy". */
const char *anp_kind_name(anp_api_t api);

/* "Accept" / "Allow" (by API), "Deny", "Pass". */
const char *anp_action_name(anp_api_t api, anp_action_t a);

#endif
