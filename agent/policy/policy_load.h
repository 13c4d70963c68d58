/* policy_load.h: reads object files (or "-" for stdin) into a finished model, warning about
 * objects it cannot evaluate. */
#ifndef ZT_POLICY_LOAD_H
#define ZT_POLICY_LOAD_H

#include "k8s_model.h"
#include "status.h"

/* Reads the files (Kubernetes objects) into a new model (*out), finished; objects without a
 * namespace land in default_ns (NULL: "default"), as with `kubectl apply -n`. Warns on stderr
 * about policy kinds it cannot judge. Returns ZT_OK, or ZT_ERR_INPUT / ZT_ERR_INTERNAL after logging
 * why (the message names file, document, object and path). */
zt_status_t policy_load(const char *const *files, int n_files, const char *default_ns, k8s_model_t **out);

#endif
