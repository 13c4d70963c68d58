/* role.h: which role of the config this pod plays: --role, else $ZTPROBE_ROLE, else the one
 * role whose selector matches the pod's Downward API labels (the reference, "Command line"). */
#ifndef ZT_ROLE_H
#define ZT_ROLE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "labels.h"

typedef enum { ROLE_FROM_FLAG, ROLE_FROM_ENV, ROLE_FROM_LABELS } role_source_t;

typedef struct {
    const config_role_t *role;
    role_source_t source;
    bool labels_known;     /* a labels file was read */
    bool labels_match;     /* the chosen role's selector matches the labels */
    char labels_seen[512]; /* "app=backend,pod-template-hash=7d9f" or "" */
    char selector[512];    /* the chosen role's selector, same format */
} role_choice_t;

/* Chooses the role. flag and env may be NULL or empty (= not given). labels is NULL when the
 * labels file could not be read; labels_err then says why (for the error message).
 * Returns 0, or -1 (exit 2) with a message in err: an unknown role name (listing the roles),
 * or, when choosing by labels, no match or several matches (naming the labels seen and the
 * roles tried with their selectors). */
int role_select(const config_t *cfg, const char *flag, const char *env, const labels_t *labels,
                const char *labels_err, role_choice_t *out, char *err, size_t errlen);

#endif
