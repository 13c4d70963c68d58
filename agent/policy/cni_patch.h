/* cni_patch.h: a dataplane's deviation written into the model, reversibly: the objects as the
 * dataplane effectively enforces them (except lists dropped or merged, rules' ports merged,
 * pod addresses cut out of ipBlocks), so the one evaluator can answer what that dataplane
 * does; undone before anything else reads the model. Pure. */
#ifndef ZT_CNI_PATCH_H
#define ZT_CNI_PATCH_H

#include <stddef.h>

#include "cni_profile.h"
#include "k8s_model.h"
#include "netpol.h"

#define CNI_PATCH_MAX 4096 /* changed ipBlocks and rules of one deviation */
#define CNI_TOUCHED_MAX 64 /* rules reported per deviation */
#define CNI_RANGES_MAX 64  /* leaking egress ranges a catch probe may aim at */

typedef struct {
    size_t policy;
    netpol_dir_t dir;
    size_t rule;
} cni_rule_ref_t;

/* An egress range the deviation opens, and a TCP port to try it on (0: any port will do). */
typedef struct {
    cni_rule_ref_t ref;
    cidr_t range;
    int port;
} cni_range_t;

typedef struct {
    struct cni_swap *swaps; /* the undo log, undone in reverse */
    size_t n_swaps, cap_swaps;
    cni_rule_ref_t touched[CNI_TOUCHED_MAX];
    size_t n_touched;
    cni_range_t ranges[CNI_RANGES_MAX];
    size_t n_ranges;
    bool truncated; /* more than CNI_PATCH_MAX changes: the rest left as written */
} cni_patch_t;

/* Writes the construct's deviation into m (constructs of kind "window" change nothing).
 * Returns 0 (n_touched 0: the objects do not use the construct), or -1 on OOM with m
 * restored. Undo with cni_patch_undo, always. */
int cni_patch_apply(k8s_model_t *m, cni_construct_t c, cni_patch_t *p);
void cni_patch_undo(k8s_model_t *m, cni_patch_t *p);

#endif
