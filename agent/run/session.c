/* session.c: config -> role -> probes -> runner -> diagnoses -> rendered report; shared by
 * `run` (once) and `watch` (every interval). */
#include "session.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "judge.h"
#include "k8s_read.h"
#include "labels.h"
#include "log.h"
#include "loop.h"
#include "output.h"
#include "probe.h"
#include "policy_annotate.h"
#include "policy_explain.h"
#include "policy_load.h"
#include "push.h"
#include "report.h"
#include "report_formats.h"
#include "resolve.h"
#include "runner.h"
#include "verdict.h"
#include "via.h"

#define DEFAULT_LABELS_FILE "/etc/podinfo/labels"
#define SESSION_PUSH_URL_FILE_MAX 4096u /* a URL, perhaps with user:password */

/* -c - with --policies - (or $ZTPROBE_POLICIES naming -), or with -f - (policy check):
 * stdin is one YAML stream, the config first, the objects after it. */
static void session_split_stdin(const cli_opts_t *o)
{
    const char *list = o->policies ? o->policies : getenv("ZTPROBE_POLICIES");
    bool objects_on_stdin = false;
    if (strcmp(o->config_path, "-") != 0)
        return;
    for (int i = 0; i < o->n_files; i++)
        objects_on_stdin |= strcmp(o->files[i], "-") == 0;
    for (const char *p = list ? list : ""; *p && !objects_on_stdin;) {
        size_t n = strcspn(p, ",");
        objects_on_stdin = n == 1 && *p == '-';
        p += n + (p[n] == ',');
    }
    if (objects_on_stdin)
        fileio_stdin_split((size_t)CONFIG_MAX_BYTES + K8S_READ_MAX_BYTES);
}

zt_status_t session_load_config(const cli_opts_t *o, config_t **cfg)
{
    char err[1024];
    session_split_stdin(o);
    zt_status_t rc = config_load_file(o->config_path, cfg, err, sizeof(err));
    if (rc == ZT_ERR_NOMEM) {
        log_error("%s", err);
        return ZT_ERR_INTERNAL;
    }
    if (rc != 0) {
        log_error("%s", err);
        return ZT_ERR_INPUT;
    }
    /* Flags override the config's defaults (not a probe's own values). */
    if (o->timeout_ms)
        (*cfg)->timeout_ms = o->timeout_ms;
    if (o->concurrency)
        (*cfg)->concurrency = o->concurrency;
    if (o->ca_file) {
        char *ca = strdup(o->ca_file);
        if (!ca) {
            log_error("out of memory");
            config_free(*cfg);
            *cfg = NULL;
            return ZT_ERR_INTERNAL;
        }
        free((*cfg)->ca_file);
        (*cfg)->ca_file = ca;
    }
    return 0;
}

/* Labels are optional input: when they cannot be read, the reason goes into labels_err and
 * only matters if a role must be chosen by them. */
static zt_status_t choose_role(const cli_opts_t *o, const config_t *cfg, role_choice_t *choice, labels_t *own)
{
    const char *path = getenv("ZTPROBE_LABELS_FILE");
    if (!path || !*path)
        path = DEFAULT_LABELS_FILE;
    labels_t labels = {0};
    char lerr[512] = "", err[2048];
    bool have = labels_load_file(path, &labels, lerr, sizeof(lerr)) == 0;
    int rc = role_select(cfg, o->role, getenv("ZTPROBE_ROLE"), have ? &labels : NULL, lerr, choice, err,
                         sizeof(err));
    if (rc != 0) {
        labels_free(&labels);
        log_error("%s", err);
        return ZT_ERR_INPUT;
    }
    *own = labels; /* --policies judges the pod as it is labelled */
    return 0;
}

static bool name_in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

/* --only: every listed name must exist in the role, so a typo is an error, not an empty run. */
static zt_status_t select_probes(const cli_opts_t *o, const config_role_t *role, const config_probe_t ***out,
                                 size_t *n)
{
    *n = 0;
    *out = calloc(role->n_probes ? role->n_probes : 1, sizeof(**out));
    if (!*out) {
        log_error("out of memory");
        return ZT_ERR_INTERNAL;
    }
    if (o->explain) { /* one probe, whose decision the policies explain after the run */
        const config_role_t *r;
        char err[1024];
        if (o->only) {
            log_error("run: give --only or --explain, not both");
            return ZT_ERR_INPUT;
        }
        if (policy_explain_find(NULL, role, o->explain, &r, &(*out)[0], err, sizeof(err)) != 0) {
            log_error("run %s", err);
            return ZT_ERR_INPUT;
        }
        *n = 1;
        return 0;
    }
    if (o->only) {
        char *copy = strdup(o->only), *save = NULL;
        if (!copy) {
            log_error("out of memory");
            return ZT_ERR_INTERNAL;
        }
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            bool found = false;
            for (size_t i = 0; i < role->n_probes; i++)
                found |= strcmp(role->probes[i].name, t) == 0;
            if (!found) {
                log_error("--only: role \"%s\" has no probe named \"%s\"; see 'ztprobe list --role %s'",
                          role->name, t, role->name);
                free(copy);
                return ZT_ERR_INPUT;
            }
        }
        free(copy);
    }
    for (size_t i = 0; i < role->n_probes; i++)
        if (!o->only || name_in_list(o->only, role->probes[i].name))
            (*out)[(*n)++] = &role->probes[i];
    return 0;
}

/* Each probe in flight holds one socket; keep a reserve for stdio, epoll, c-ares and curl. */
static int concurrency_cap(int wanted, int *capped_to)
{
    struct rlimit rl;
    *capped_to = 0;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return wanted;
    /* The soft limit (often 1024) is a default, not a policy: take what the hard limit
     * allows before lowering the concurrency. */
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur == RLIM_INFINITY)
        return wanted;
    long usable = ((long)rl.rlim_cur - 32) * 3 / 4;
    if (usable < 1)
        usable = 1;
    if (wanted > usable) {
        *capped_to = (int)usable;
        return (int)usable;
    }
    return wanted;
}

char *session_render(const cli_opts_t *o, const report_t *r)
{
    switch (o->format) {
    case FMT_TEXT: {
        const char *nc = getenv("NO_COLOR");
        bool color = !o->out && isatty(STDOUT_FILENO) && !(nc && *nc);
        return report_render_text(r, color);
    }
    case FMT_JUNIT: return report_render_junit(r, 1);
    case FMT_PROMETHEUS: return report_render_prometheus(r, 1);
    case FMT_JSON:
    default: return report_render_json(r, ZT_VERSION);
    }
}

zt_status_t session_emit(const cli_opts_t *o, const char *text)
{
    char err[512];
    if (o->out) {
        if (output_write_atomic(o->out, text, strlen(text), err, sizeof(err)) < 0) {
            log_error("--out %s", err);
            return ZT_ERR_INTERNAL;
        }
    } else if (output_stdout(text, strlen(text)) < 0) {
        log_error("writing the report to stdout failed");
        return ZT_ERR_INTERNAL;
    }
    return 0;
}

/* Process-wide library init (curl_global_init, ares_library_init): once per session, before
 * any run; the probe kinds rely on it and do not repeat it. */
static int libs_init(char *err, size_t errlen)
{
    CURLcode c = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (c != CURLE_OK) {
        snprintf(err, errlen, "curl_global_init: %s", curl_easy_strerror(c));
        return -1;
    }
    if (resolver_global_init() < 0) {
        snprintf(err, errlen, "ares_library_init failed");
        curl_global_cleanup();
        return -1;
    }
    return 0;
}

/* --policies / $ZTPROBE_POLICIES: the objects, and the role's namespace among them (its
 * "namespace", else $POD_NAMESPACE, else the one its selector's workloads are in). */
static zt_status_t session_objects(const cli_opts_t *o, session_t *s)
{
    const char *list = o->policies ? o->policies : getenv("ZTPROBE_POLICIES");
    const char *files[CLI_FILES_MAX];
    int n = 0, rc;
    if (!list || !*list)
        return 0;
    char *copy = strdup(list), *save = NULL, err[1024];
    if (!copy) {
        log_error("out of memory");
        return ZT_ERR_INTERNAL;
    }
    for (char *t = strtok_r(copy, ",", &save); t && n < CLI_FILES_MAX; t = strtok_r(NULL, ",", &save))
        files[n++] = t;
    const char *pns = getenv("POD_NAMESPACE");
    rc = policy_load(files, n, pns && *pns ? pns : NULL, &s->objects);
    free(copy);
    if (rc != 0)
        return rc;
    zt_status_t nrc = policy_role_namespace(s->objects, s->choice.role, pns && *pns ? pns : NULL,
                                            &s->objects_ns, err, sizeof(err));
    if (nrc == 0 && k8s_model_finish(s->objects) != 0)
        nrc = ZT_ERR_NOMEM;
    if (nrc != 0) {
        log_error("--policies: %s", nrc == ZT_ERR_NOMEM ? "out of memory" : err);
        return nrc == ZT_ERR_NOMEM ? ZT_ERR_INTERNAL : ZT_ERR_INPUT;
    }
    return 0;
}

/* "via": ["pods"]: the probes' pod paths from the objects, one probe each (via.c). */
static zt_status_t session_via(session_t *s)
{
    const config_probe_t **list = NULL;
    size_t n = 0;
    char err[512];
    zt_status_t rc = via_expand(s->objects, s->objects_ns, s->probes, s->n_probes, &list, &n, &s->via, err,
                                sizeof(err));
    if (rc != ZT_OK) {
        log_error("%s", rc == ZT_ERR_NOMEM ? "out of memory" : err);
        return rc == ZT_ERR_NOMEM ? ZT_ERR_INTERNAL : ZT_ERR_INPUT;
    }
    free(s->probes);
    s->probes = list;
    s->n_probes = n;
    return 0;
}

void session_close(session_t *s)
{
    if (!s)
        return;
    if (s->libs_ready) {
        resolver_global_cleanup();
        curl_global_cleanup();
    }
    probe_kinds_end();
    free(s->probes);
    via_free(s->via);
    config_free(s->cfg);
    k8s_model_destroy(s->objects);
    labels_free(&s->own);
    memset(s, 0, sizeof(*s));
}

zt_status_t session_open(const cli_opts_t *o, session_t *s)
{
    zt_status_t rc;
    memset(s, 0, sizeof(*s));
    if ((rc = session_load_config(o, &s->cfg)) != 0 ||
        (rc = choose_role(o, s->cfg, &s->choice, &s->own)) != 0 ||
        (rc = select_probes(o, s->choice.role, &s->probes, &s->n_probes)) != 0) {
        session_close(s);
        return rc;
    }
    if ((rc = session_objects(o, s)) != 0 || (rc = session_via(s)) != 0) {
        session_close(s);
        return rc;
    }
    if (o->explain && !s->objects) {
        log_error("run --explain %s: needs the objects: --policies FILES (or $ZTPROBE_POLICIES)", o->explain);
        session_close(s);
        return ZT_ERR_INPUT;
    }
    s->concurrency = concurrency_cap(s->cfg->concurrency, &s->capped);
    if (s->capped)
        log_error("concurrency lowered from %d to %d by the open-files limit (ulimit -n)",
                  s->cfg->concurrency, s->capped);
    probe_kinds_warn(s->probes, s->n_probes, s->choice.role->name);
    /* Before any attempt (libpq's): the kinds' preparation (the postgres passwords captured,
     * PG* gone from the environment). */
    char err[512];
    if (probe_kinds_begin(s->probes, s->n_probes, err, sizeof(err)) < 0) {
        log_error("%s", err);
        session_close(s);
        return ZT_ERR_INTERNAL;
    }
    /* Once per session, not per run: watch runs the matrix thousands of times. */
    if (libs_init(err, sizeof(err)) < 0) {
        log_error("%s", err);
        session_close(s);
        return ZT_ERR_INTERNAL;
    }
    s->libs_ready = true;
    return 0;
}

zt_status_t session_run(const session_t *s, const cli_opts_t *o, volatile sig_atomic_t *stop, report_t *rep)
{
    char err[512];
    memset(rep, 0, sizeof(*rep));
    const char *pod = getenv("POD_NAME"), *ns = getenv("POD_NAMESPACE");
    snprintf(rep->role, sizeof(rep->role), "%s", s->choice.role->name);
    snprintf(rep->pod_name, sizeof(rep->pod_name), "%s", pod ? pod : "");
    snprintf(rep->pod_namespace, sizeof(rep->pod_namespace), "%s", ns ? ns : "");
    rep->results = calloc(s->n_probes ? s->n_probes : 1, sizeof(*rep->results));
    if (!rep->results) {
        log_error("out of memory");
        return ZT_ERR_INTERNAL;
    }
    rep->n_results = s->n_probes;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    rep->started_at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    double t0 = loop_mono_ms();
    judge_t *j = judge_create(s->cfg, s->probes, s->n_probes, rep->results);
    if (!j) {
        log_error("out of memory");
        return ZT_ERR_INTERNAL;
    }
    runner_opts_t ro = {
        .cfg = s->cfg,
        .probes = s->probes,
        .n_probes = s->n_probes,
        .concurrency = s->concurrency,
        .verbose = o->verbose,
        .stop = stop,
        .on_attempt = judge_attempt,
        .on_probe_done = judge_probe_done,
        .ud = j,
    };
    int runrc = runner_run(&ro, err, sizeof(err));
    rep->duration_ms = loop_mono_ms() - t0;
    if (runrc < 0) {
        judge_destroy(j);
        log_error("%s", err);
        return ZT_ERR_INTERNAL;
    }
    hint_ctx_t hc = {.role = s->choice.role->name, .namespace_ = ns && *ns ? ns : NULL};
    int jrc = judge_finish(j, &hc);
    judge_destroy(j);
    if (jrc < 0) {
        log_error("out of memory");
        return ZT_ERR_INTERNAL;
    }
    return session_diagnose(s, rep);
}

zt_status_t session_diagnose(const session_t *s, report_t *rep)
{
    diag_ctx_t dc = {
        .role_forced = s->choice.source != ROLE_FROM_LABELS,
        .labels_known = s->choice.labels_known,
        .labels_match = s->choice.labels_match,
        .labels_seen = s->choice.labels_seen,
        .selector = s->choice.selector,
        .role = s->choice.role->name,
        .concurrency_cap = s->capped,
    };
    verdict_diagnose(rep, &dc);
    probe_kinds_diagnose(s->probes, s->n_probes, rep);
    if (!s->objects)
        return 0;
    /* Again on the final results (run --wait): the judge's hints and diagnoses were rewritten. */
    report_free_policy(rep);
    if (policy_annotate(rep, s->objects, s->cfg, s->choice.role, s->objects_ns, s->own.n ? &s->own : NULL,
                        (const config_probe_t *const *)s->probes) != 0) {
        log_error("out of memory");
        return ZT_ERR_INTERNAL;
    }
    return 0;
}

/* The push URL from --push-url-file: its first line, without blanks around it. Returns a
 * malloc'd copy (the caller wipes and frees it) or NULL after logging why. */
static char *session_push_url_from_file(const char *path)
{
    char *text = NULL, err[512];
    size_t len = 0;
    if (fileio_read_capped(path, SESSION_PUSH_URL_FILE_MAX, &text, &len, err, sizeof(err)) != ZT_OK) {
        log_error("--push-url-file %s", err);
        return NULL;
    }
    size_t start = strspn(text, " \t"), end = start + strcspn(text + start, "\r\n");
    while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\t'))
        end--;
    char *url = end > start ? strndup(text + start, end - start) : NULL;
    explicit_bzero(text, len);
    free(text);
    if (!url)
        log_error("--push-url-file %s: %s", path, end > start ? "out of memory" : "no URL on its first line");
    return url;
}

zt_status_t session_push(const cli_opts_t *o, const session_t *s, const report_t *rep, const char *rendered)
{
    if (!o->push && !o->push_url_file)
        return 0;
    char *from_file = NULL;
    if (o->push_url_file && !(from_file = session_push_url_from_file(o->push_url_file)))
        return ZT_ERR_INPUT;
    const char *url = from_file ? from_file : o->push;
    char err[512], host[256] = "";
    /* With -o prometheus the exposition is already rendered: push the same bytes. */
    char *own = o->format == FMT_PROMETHEUS ? NULL : report_render_prometheus(rep, 1);
    const char *body = o->format == FMT_PROMETHEUS ? rendered : own;
    int rc = -1;
    if (!body) {
        log_error("out of memory rendering metrics for --push");
        goto done;
    }
    /* Grouping: one series set per pod, so pods of one role do not overwrite each other. */
    const char *instance = rep->pod_name[0] ? rep->pod_name
                                            : (gethostname(host, sizeof(host) - 1) == 0 ? host : "");
    rc = push_prometheus(url, "ztprobe", instance, body, (long)s->cfg->timeout_ms, s->cfg->ca_file, err,
                         sizeof(err));
    if (rc < 0)
        log_error("%s", err);
done:
    free(own);
    if (from_file) {
        explicit_bzero(from_file, strlen(from_file));
        free(from_file);
    }
    return rc < 0 ? ZT_ERR_INTERNAL : ZT_OK;
}
