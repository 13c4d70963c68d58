/* cni_profile.c: choosing a dataplane profile and version for `policy check --cni`, and
 * whether a deviation of the table (cni_table.c) applies to it. Versions are MAJOR[.MINOR[.PATCH]]
 * numbers, compared numerically; a missing part is 0. */
#include "cni_profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returns 0 with the three parts, or -1 when s is not a version ("v" prefix allowed). */
static int cni_parse_version(const char *s, long v[3])
{
    v[0] = v[1] = v[2] = 0;
    if (*s == 'v')
        s++;
    for (int i = 0; i < 3; i++) {
        if (*s < '0' || *s > '9')
            return -1;
        char *end = NULL;
        long n = strtol(s, &end, 10);
        if (end - s > 4)
            return -1;
        v[i] = n;
        s = end;
        if (*s == '\0')
            return 0;
        if (*s != '.' || i == 2)
            return -1;
        s++;
    }
    return -1;
}

static int cni_cmp(const long a[3], const long b[3])
{
    for (int i = 0; i < 3; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* A version text of the table (generated, always valid) as numbers. */
static void cni_table_version(const char *s, long v[3])
{
    if (cni_parse_version(s, v) < 0)
        v[0] = v[1] = v[2] = 0;
}

static void cni_list_profiles(char *buf, size_t len)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < cni_n_profiles && off < len; i++) {
        int n = snprintf(buf + off, len - off, "%s%s@%s..%s", i ? ", " : "", cni_profiles[i].name,
                         cni_profiles[i].min, cni_profiles[i].max);
        off += n > 0 ? (size_t)n : 0;
    }
}

int cni_select(const char *spec, cni_sel_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    char known[512];
    cni_list_profiles(known, sizeof(known));
    const char *at = strchr(spec, '@');
    size_t nlen = at ? (size_t)(at - spec) : strlen(spec);
    for (size_t i = 0; i < cni_n_profiles; i++)
        if (strlen(cni_profiles[i].name) == nlen && strncmp(cni_profiles[i].name, spec, nlen) == 0)
            out->profile = &cni_profiles[i];
    if (!out->profile) {
        snprintf(err, errlen,
                 "--cni %.64s: unknown profile; known profiles (NAME@VERSIONS): %s (table as of %s)", spec,
                 known, cni_table_date);
        return -1;
    }
    if (!at)
        return 0;
    const cni_profile_t *p = out->profile;
    long lo[3], hi[3];
    cni_table_version(p->min, lo);
    cni_table_version(p->max, hi);
    if (cni_parse_version(at + 1, out->version) < 0 || cni_cmp(out->version, lo) < 0 ||
        cni_cmp(out->version, hi) > 0) {
        snprintf(
            err, errlen,
            "--cni %.64s: unknown version of %s (the %s version, MAJOR.MINOR.PATCH); known: %s to %s, or no "
            "version for every deviation the table knows; profiles: %s",
            spec, p->name, p->component, p->min, p->max, known);
        return -1;
    }
    out->has_version = true;
    snprintf(out->version_text, sizeof(out->version_text), "%ld.%ld.%ld", out->version[0], out->version[1],
             out->version[2]);
    return 0;
}

bool cni_applies(const cni_sel_t *sel, const cni_deviation_t *d)
{
    if (!sel->profile || strcmp(sel->profile->name, d->profile) != 0)
        return false;
    if (!sel->has_version)
        return true;
    long from[3], fixed[3];
    cni_table_version(d->from, from);
    if (cni_cmp(sel->version, from) < 0)
        return false;
    if (!d->fixed_in)
        return true;
    cni_table_version(d->fixed_in, fixed);
    return cni_cmp(sel->version, fixed) < 0;
}

void cni_versions_text(const cni_deviation_t *d, char *buf, size_t len)
{
    if (d->fixed_in)
        snprintf(buf, len, ">= %s, < %s", d->from, d->fixed_in);
    else
        snprintf(buf, len, ">= %s", d->from);
}

const char *cni_effect_name(cni_effect_t e)
{
    switch (e) {
    case CNI_E_LEAK: return "leak";
    case CNI_E_OVER_DENY: return "over_deny";
    case CNI_E_WINDOW: return "window";
    }
    return "?";
}
