/* cmd_policy.h: the policy commands' object loading, shared with `run --policies`. */
#ifndef ZT_CMD_POLICY_H
#define ZT_CMD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "k8s_model.h"

/* Reads the files (Kubernetes objects) into a new model (*out), finished; objects without a
 * namespace land in default_ns (NULL: "default"), as with `kubectl apply -n`. Warns on stderr
 * about policy kinds it cannot judge. Returns 0, or EXIT_USAGE / EXIT_INTERNAL after logging
 * why (the message names file, document, object and path). */
int cmd_policy_load(const char *const *files, int n_files, const char *default_ns, k8s_model_t **out);

/* Writes the whole decision of the policies for probe p of role (in namespace ns of the
 * finished model) to out, as JSON or text. Returns 0 or EXIT_INTERNAL (logged). */
int cmd_policy_explain(const k8s_model_t *m, const config_t *cfg, const config_role_t *role, size_t ns,
                       const config_probe_t *p, bool json, FILE *out);

#endif
