/* role.c: which role of the config this pod plays. A flag or $ZTPROBE_ROLE wins; else the
 * one role whose selector matches the pod's Downward API labels. Every failure names what
 * was seen and what was tried, because the fix is usually a label or a --role. */
#include "role.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"

/* Appends to buf at *pos, never past len (the text is cut, still terminated). */
static void role_append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void role_append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    if (*pos + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    *pos += (size_t)n;
    if (*pos >= len)
        *pos = len - 1;
}

/* "frontend (app=frontend), backend (app=backend)"; roles without a selector are listed as
 * such, since they can be chosen only by name. */
static void role_list(const config_t *cfg, bool with_selectors, char *buf, size_t len, size_t *pos)
{
    char sel[512];
    for (size_t i = 0; i < cfg->n_roles; i++) {
        const config_role_t *r = &cfg->roles[i];
        if (!with_selectors) {
            role_append(buf, len, pos, "%s%s", i ? ", " : "", r->name);
            continue;
        }
        if (r->selector.n == 0) {
            role_append(buf, len, pos, "%s%s (no selector: --role only)", i ? ", " : "", r->name);
            continue;
        }
        labels_format(&r->selector, sel, sizeof(sel));
        role_append(buf, len, pos, "%s%s (%s)", i ? ", " : "", r->name, sel);
    }
}

/* Copies a user-given role name into a message: cut, with what a terminal must not see
 * replaced (strbuf's terminal filter). */
static void role_clean(const char *s, char *out, size_t len)
{
    if (len == 0)
        return;
    snprintf(out, len, "%s", s);
    strbuf_term_clean(out, strlen(out));
}

int role_select(const config_t *cfg, const char *flag, const char *env, const labels_t *labels,
                const char *labels_err, role_choice_t *out, char *err, size_t errlen)
{
    size_t pos = 0;
    memset(out, 0, sizeof(*out));
    if (errlen)
        err[0] = '\0';
    out->labels_known = labels != NULL;
    if (labels)
        labels_format(labels, out->labels_seen, sizeof(out->labels_seen));

    const char *name = NULL, *from = NULL;
    if (flag && flag[0]) {
        name = flag;
        from = "--role";
        out->source = ROLE_FROM_FLAG;
    } else if (env && env[0]) {
        name = env;
        from = "ZTPROBE_ROLE";
        out->source = ROLE_FROM_ENV;
    }
    if (name) {
        const config_role_t *r = config_find_role(cfg, name);
        if (!r) {
            char shown[80];
            role_clean(name, shown, sizeof(shown));
            role_append(err, errlen, &pos, "%s: unknown role \"%s\"; the config has: ", from, shown);
            role_list(cfg, false, err, errlen, &pos);
            return -1;
        }
        out->role = r;
        labels_format(&r->selector, out->selector, sizeof(out->selector));
        /* Recorded for the role_labels_mismatch diagnosis: a forced role whose selector
         * the pod does not carry is not governed by the policies that role assumes. */
        out->labels_match = labels != NULL && labels_match(&r->selector, labels);
        return 0;
    }

    out->source = ROLE_FROM_LABELS;
    if (!labels) {
        role_append(err, errlen, &pos,
                    "cannot choose a role: the pod's labels could not be read (%s); pass "
                    "--role or set ZTPROBE_ROLE, or mount the Downward API labels file "
                    "(metadata.labels) and point ZTPROBE_LABELS_FILE at it",
                    labels_err && labels_err[0] ? labels_err : "no labels file");
        return -1;
    }

    const config_role_t *match = NULL;
    size_t n_match = 0;
    for (size_t i = 0; i < cfg->n_roles; i++) {
        const config_role_t *r = &cfg->roles[i];
        /* An empty selector would match every pod; such a role is for --role only. */
        if (r->selector.n > 0 && labels_match(&r->selector, labels)) {
            if (!match)
                match = r;
            n_match++;
        }
    }
    const char *seen = out->labels_seen[0] ? out->labels_seen : "none";
    if (n_match == 1) {
        out->role = match;
        out->labels_match = true;
        labels_format(&match->selector, out->selector, sizeof(out->selector));
        return 0;
    }
    if (n_match == 0) {
        role_append(err, errlen, &pos, "no role matches the pod's labels (%s); roles tried: ", seen);
        role_list(cfg, true, err, errlen, &pos);
        role_append(err, errlen, &pos,
                    "; pass --role or set ZTPROBE_ROLE, or fix the pod's "
                    "labels or the roles' selectors");
        return -1;
    }
    role_append(err, errlen, &pos, "the pod's labels (%s) match %zu roles:", seen, n_match);
    char sel[512];
    size_t shown = 0;
    for (size_t i = 0; i < cfg->n_roles; i++) {
        const config_role_t *r = &cfg->roles[i];
        if (r->selector.n > 0 && labels_match(&r->selector, labels)) {
            labels_format(&r->selector, sel, sizeof(sel));
            role_append(err, errlen, &pos, "%s %s (%s)", shown++ ? "," : "", r->name, sel);
        }
    }
    role_append(err, errlen, &pos,
                "; make the selectors distinct, or pass --role or set "
                "ZTPROBE_ROLE to choose one");
    return -1;
}
