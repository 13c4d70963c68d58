/* policy_reason.h: the sentence of an answer a CNI's own policies decided (Calico's tiers,
 * Cilium's rules), per side, naming each decisive step: kind, policy, tier and order or rule
 * list, rule index, action, and why (an L7 refusal, an unknown). Pure. */
#ifndef ZT_POLICY_REASON_H
#define ZT_POLICY_REASON_H

#include <stdbool.h>
#include <stddef.h>

#include "k8s_model.h"
#include "netpol.h"

/* Writes the sentence into buf; false (buf untouched) when no CNI policy took part. */
bool policy_reason_cni(const k8s_model_t *m, const netpol_answer_t *a, char *buf, size_t len);

#endif
