/* cni_plan.h: what `policy plan` cannot turn into probes in a CNI's own policies (Cilium's
 * toFQDNs, toCIDR(Set) and world entities, Calico's egress nets), listed as todos per role,
 * as the planner does for a NetworkPolicy's ipBlock allows. Pure. */
#ifndef ZT_CNI_PLAN_H
#define ZT_CNI_PLAN_H

#include <stddef.h>

#include "k8s_model.h"

typedef void (*cni_plan_todo_fn)(void *ctx, const char *what, const char *why);

/* Calls todo once per outside-allowing egress rule of the Calico and Cilium policies that
 * apply to a pod of namespace ns carrying the labels sel. */
void cni_plan_todos(const k8s_model_t *m, size_t ns, const labels_t *sel, cni_plan_todo_fn todo, void *ctx);

#endif
