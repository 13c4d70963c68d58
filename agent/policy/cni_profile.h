/* cni_profile.h: the dataplane profiles of `policy check --cni NAME[@VERSION]` and their known
 * deviations from the NetworkPolicy API (config/cni-deviations.json, compiled in as
 * cni_table.c), and the choice of one profile and version. Pure. */
#ifndef ZT_CNI_PROFILE_H
#define ZT_CNI_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

/* The construct a deviation is about; cni_check.c knows what each changes. */
typedef enum {
    CNI_C_IPBLOCK_EXCEPT,       /* ipBlock.except ignored */
    CNI_C_EXCEPT_IS_OTHER_CIDR, /* an except range another rule allows on some ports */
    CNI_C_SAME_CIDR_RULES,      /* rules with the same ipBlock CIDR merged */
    CNI_C_ISOLATED_POD,         /* a new pod is unenforced for a while */
    CNI_C_SEVERAL_POLICIES,     /* a pod under several policies is enforced partly for a while */
    CNI_C_IPBLOCK_MATCHES_PODS  /* ipBlock never matches pods */
} cni_construct_t;

/* leak: a deny does not hold; over_deny: an allow does not; window: either, for a while. */
typedef enum { CNI_E_LEAK, CNI_E_OVER_DENY, CNI_E_WINDOW } cni_effect_t;

typedef struct {
    const char *name, *component; /* "vpc-cni", "aws-network-policy-agent" */
    const char *min, *max;        /* the versions the profile accepts */
} cni_profile_t;

typedef struct {
    const char *id, *profile;
    cni_construct_t construct;
    cni_effect_t effect;
    const char *from, *fixed_in; /* applies to from <= v < fixed_in (NULL: not fixed) */
    const char *source, *title;
} cni_deviation_t;

extern const char cni_table_date[];
extern const cni_profile_t cni_profiles[];
extern const size_t cni_n_profiles;
extern const cni_deviation_t cni_deviations[];
extern const size_t cni_n_deviations;

typedef struct {
    const cni_profile_t *profile;
    bool has_version;
    long version[3];
    char version_text[16];
} cni_sel_t;

/* Parses NAME[@VERSION] ("vpc-cni@1.0.3", "cilium"). Returns 0, or -1 with a message listing
 * the known profiles (an unknown name) or the profile's versions (an unknown version). Only
 * success or failure, not a zt_status_t: every failure is the user's flag (EXIT_USAGE). */
int cni_select(const char *spec, cni_sel_t *out, char *err, size_t errlen);

/* Whether the deviation belongs to the chosen profile and applies to its version (no version
 * given: every deviation of the profile, whatever its versions). */
bool cni_applies(const cni_sel_t *sel, const cni_deviation_t *d);

/* ">= 1.0.0, < 1.0.4" or ">= 1.0.0". */
void cni_versions_text(const cni_deviation_t *d, char *buf, size_t len);

const char *cni_effect_name(cni_effect_t e);

#endif
