/* calico_model.h: Calico's policy objects (projectcalico.org/v3 and crd.projectcalico.org/v1
 * NetworkPolicy and GlobalNetworkPolicy, Tier) and the ServiceAccounts their selectors read,
 * as plain data inside the Kubernetes model (k8s_model.h). Read by k8s_read_calico.c,
 * evaluated by calico_eval.c. */
#ifndef ZT_CALICO_MODEL_H
#define ZT_CALICO_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "calico_selector.h"
#include "cidr.h"
#include "labels.h"

#define CAL_DEFAULT_TIER "default"
#define CAL_DEFAULT_TIER_ORDER 1000000.0 /* Calico's own order for the default tier */
#define CAL_K8S_ORDER 1000.0             /* where Kubernetes NetworkPolicies sit in it */

typedef enum { CAL_ALLOW, CAL_DENY, CAL_PASS, CAL_LOG } cal_action_t;

/* A port range lo..hi, or a named port (name set, lo = hi = 0). */
typedef struct {
    int lo, hi;
    char *name;
} cal_port_t;

/* A rule's source or destination: every field given must match. */
typedef struct {
    cidr_t *nets;
    size_t n_nets;
    cidr_t *not_nets;
    size_t n_not_nets;
    calsel_t *selector, *not_selector, *ns_selector;
    calsel_t *sa_selector; /* serviceAccounts.selector */
    char **sa_names;       /* serviceAccounts.names */
    size_t n_sa_names;
    bool has_sa;
    cal_port_t *ports;
    size_t n_ports;
    cal_port_t *not_ports;
    size_t n_not_ports;
} cal_entity_t;

typedef struct {
    cal_action_t action;
    int protocol;     /* IANA number; 0: any */
    int not_protocol; /* 0: none */
    int ip_version;   /* 4, 6, or 0: both */
    cal_entity_t src, dst;
} cal_rule_t;

typedef struct {
    char *kind; /* "NetworkPolicy" | "GlobalNetworkPolicy" */
    char *name;
    bool global;
    size_t ns;  /* namespaced policies: index into the model's namespaces */
    char *tier; /* "default" when absent */
    bool has_order;
    double order;
    calsel_t *selector;    /* absent: all() */
    calsel_t *ns_selector; /* GlobalNetworkPolicy's namespaceSelector, else NULL */
    calsel_t *sa_selector; /* serviceAccountSelector, else NULL */
    bool ingress_type, egress_type;
    bool host_only; /* doNotTrack or preDNAT: host endpoints only, never a pod */
    cal_rule_t *ingress;
    size_t n_ingress;
    cal_rule_t *egress;
    size_t n_egress;
} cal_policy_t;

typedef struct {
    char *name;
    bool has_order;
    double order;
    cal_action_t default_action; /* CAL_DENY or CAL_PASS */
} cal_tier_t;

typedef struct {
    size_t ns;
    char *name;
    labels_t labels;
} cal_sa_t;

#define CAL_K8S_MARK ((size_t)-1) /* in `sorted`: where the Kubernetes NetworkPolicies sit */

typedef enum { CAL_V_NONE, CAL_V_ALLOW, CAL_V_DENY, CAL_V_UNKNOWN } cal_verdict_t;
typedef enum { CAL_BY_NONE, CAL_BY_RULE, CAL_BY_K8S, CAL_BY_TIER_END } cal_by_t;

/* What Calico decided for one direction of one connection (calico_eval.h), with the step
 * that decided: a rule (policy, rule index), the Kubernetes NetworkPolicies at order 1000,
 * or the end of a tier in which a policy applied (its default action). The last Pass, if any,
 * is kept for the explanation. */
typedef struct {
    bool applied; /* some Calico policy (or NetworkPolicy) applied to this end */
    cal_verdict_t verdict;
    cal_by_t by;
    size_t policy; /* CAL_BY_RULE; CAL_BY_TIER_END: the last policy that applied (or CAL_K8S_MARK) */
    size_t rule;
    const char *tier;
    bool passed;       /* a Pass (rule, or a tier's defaultAction) jumped over a tier */
    bool pass_default; /* ... the tier's defaultAction, not a rule */
    size_t pass_policy, pass_rule;
    const char *pass_tier;
    const char *why; /* CAL_V_UNKNOWN: why (static text) */
} cal_step_t;

/* The Calico part of the model. `sorted` is the evaluation order of every policy: tiers by
 * order then name, policies by order then name, no order last, with CAL_K8S_MARK where the
 * Kubernetes NetworkPolicies sit (made by cal_model_finish; n_sorted = n_policies + 1). */
typedef struct {
    cal_policy_t *policies;
    size_t n_policies, cap_policies;
    cal_tier_t *tiers;
    size_t n_tiers, cap_tiers;
    cal_sa_t *sas;
    size_t n_sas, cap_sas;
    size_t *sorted;
    size_t n_sorted;
    size_t default_lo, default_hi; /* sorted[lo..hi): the default tier; before: earlier tiers */
} cal_model_t;

cal_policy_t *cal_model_add_policy(cal_model_t *c);
cal_tier_t *cal_model_add_tier(cal_model_t *c);
cal_sa_t *cal_model_add_sa(cal_model_t *c);

/* The tier of this name, or NULL (the default tier exists without an object). */
const cal_tier_t *cal_model_tier(const cal_model_t *c, const char *name);

/* The ServiceAccount object of a namespace, or NULL. */
const cal_sa_t *cal_model_sa(const cal_model_t *c, size_t ns, const char *name);

/* Sorts the policies into evaluation order. Returns 0 or -1 on OOM. */
int cal_model_finish(cal_model_t *c);

void cal_model_free(cal_model_t *c);

const char *cal_action_name(cal_action_t a);

#endif
