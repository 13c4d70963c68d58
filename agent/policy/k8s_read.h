/* k8s_read.h: Kubernetes objects as `kubectl get -o yaml|json` and `kustomize build` write
 * them (multi-document YAML, JSON, `kind: List`) into a k8s_model_t. Nothing in the objects
 * is executed or fetched: they are only read. */
#ifndef ZT_K8S_READ_H
#define ZT_K8S_READ_H

#include <stddef.h>

#include "k8s_model.h"
#include "status.h"

#define K8S_READ_MAX_BYTES (64u * 1024u * 1024u) /* larger files are refused, not read */
/* One document's (or List item's) tree may take 6 times the input plus this much. */
#define K8S_READ_TREE_BASE (6u * 1024u * 1024u)

/* Adds the objects in text (len bytes) to m. file names the input in messages. Kinds read:
 * Namespace, NetworkPolicy (networking.k8s.io/v1), Service, Pod, and the pod templates of
 * Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob; other policy-like kinds
 * (AdminNetworkPolicy, Cilium or Calico policies, a NetworkPolicy with fields not in v1)
 * become m->foreign; any other kind is counted in m->skipped. Objects without
 * metadata.namespace are in the model's default namespace (k8s_model_set_default_namespace),
 * else "default", where `kubectl apply -f` would put them.
 * Returns ZT_OK; ZT_ERR_INPUT on a malformed object, with
 * "FILE: document N (Kind ns/name): path: reason" in err (N counts from 1); ZT_ERR_NOMEM on OOM.
 * Call k8s_model_finish once every file is in. */
zt_status_t k8s_read_text(k8s_model_t *m, const char *file, const char *text, size_t len, char *err,
                          size_t errlen);

/* Reads a file (fileio_read_stream_capped: at most K8S_READ_MAX_BYTES; "-" is stdin, a pipe
 * or FIFO is read under deadlines) and adds its objects. Same returns, and ZT_ERR_INPUT with
 * "FILE: reason" when it cannot be read. */
zt_status_t k8s_read_file(k8s_model_t *m, const char *path, char *err, size_t errlen);

#endif
