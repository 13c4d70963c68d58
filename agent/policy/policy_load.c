/* policy_load.c: the Kubernetes object files of `policy check|plan` and `run --policies` into
 * one model, with the warnings about what the evaluator cannot judge. Shared by the policy
 * commands and the run session, so it lives below both. */
#include "policy_load.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "k8s_read.h"
#include "log.h"

zt_status_t policy_load(const char *const *files, int n_files, const char *default_ns, k8s_model_t **out)
{
    char err[1024];
    *out = NULL;
    k8s_model_t *m = k8s_model_create();
    if (!m) {
        log_error("out of memory");
        return ZT_ERR_INTERNAL;
    }
    k8s_model_set_default_namespace(m, default_ns);
    for (int i = 0; i < n_files; i++) {
        zt_status_t rc = k8s_read_file(m, files[i], err, sizeof(err));
        if (rc != 0) {
            log_error("%s", err);
            k8s_model_destroy(m);
            return rc == ZT_ERR_NOMEM ? ZT_ERR_INTERNAL : ZT_ERR_INPUT;
        }
    }
    if (k8s_model_finish(m) != 0) {
        log_error("out of memory");
        k8s_model_destroy(m);
        return ZT_ERR_INTERNAL;
    }
    for (size_t i = 0; i < m->n_foreign; i++) {
        const k8s_foreign_t *f = &m->foreign[i];
        log_error("warning: %s %s%s%s skipped (%s): the answer may be incomplete, so paths it could change "
                  "are reported unknown",
                  f->kind, f->ns ? f->ns : "", f->ns ? "/" : "", f->name, f->why);
    }
    if (m->n_skipped > 0) {
        char line[512] = "";
        size_t off = 0;
        for (size_t i = 0; i < m->n_skipped && off < sizeof(line); i++) {
            int n = snprintf(line + off, sizeof(line) - off, "%s%s %zu", i ? ", " : "", m->skipped[i].kind,
                             m->skipped[i].count);
            off += n > 0 ? (size_t)n : 0;
        }
        log_verbose("%zu objects read; kinds not used, skipped: %s", m->objects, line);
    }
    *out = m;
    return 0;
}
