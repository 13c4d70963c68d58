/* via.h: probes with "via": ["pods"]: besides (or instead of) the Service name, one probe per
 * endpoint pod's IP on the Service port's targetPort, the pods taken from the objects given
 * with --policies, so a policy that holds for the Service's virtual IP but not for the pods
 * (or the reverse) shows as two results. Pure: the derived probes are plain config. */
#ifndef ZT_VIA_H
#define ZT_VIA_H

#include <stddef.h>

#include "config.h"
#include "k8s_model.h"
#include "status.h"

#define VIA_PODS_MAX 64 /* pod paths per probe */

typedef struct via via_t;

/* Expands probes[0..n) of a role in namespace ns of m (NULL: no objects) into *out / *n_out
 * (malloc'd; the originals' pointers and the derived probes, owned by *via). Returns ZT_OK,
 * ZT_ERR_INPUT with the reason in err (a "pods" probe without objects, not to a Service of the
 * objects, or without an endpoint pod with an IP), ZT_ERR_NOMEM on OOM. Nothing to expand:
 * *via NULL, *out a copy. */
zt_status_t via_expand(const k8s_model_t *m, size_t ns, const config_probe_t *const *probes, size_t n,
                       const config_probe_t ***out, size_t *n_out, via_t **via, char *err, size_t errlen);
void via_free(via_t *via);

#endif
