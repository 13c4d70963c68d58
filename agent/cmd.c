/* cmd.c: the commands run, validate, list and version: config -> role -> probes -> runner ->
 * diagnoses -> rendered report -> exit code. */
#include <ares.h>
#include <cJSON.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "labels.h"
#include "log.h"
#include "loop.h"
#include "output.h"
#include "report.h"
#include "role.h"
#include "runner.h"
#include "verdict.h"

#define DEFAULT_LABELS_FILE "/etc/podinfo/labels"

static int load_config(const cli_opts_t *o, config_t **cfg)
{
    char err[1024];
    int rc = config_load_file(o->config_path, cfg, err, sizeof(err));
    if (rc == -2) {
        log_error("%s", err);
        return EXIT_INTERNAL;
    }
    if (rc != 0) {
        log_error("%s", err);
        return EXIT_USAGE;
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
            return EXIT_INTERNAL;
        }
        free((*cfg)->ca_file);
        (*cfg)->ca_file = ca;
    }
    return 0;
}

/* Labels are optional input: when they cannot be read, the reason goes into labels_err and
 * only matters if a role must be chosen by them. */
static int choose_role(const cli_opts_t *o, const config_t *cfg, role_choice_t *choice)
{
    const char *path = getenv("ZTPROBE_LABELS_FILE");
    if (!path || !*path)
        path = DEFAULT_LABELS_FILE;
    labels_t labels = {0};
    char lerr[512] = "", err[2048];
    bool have = labels_load_file(path, &labels, lerr, sizeof(lerr)) == 0;
    int rc = role_select(cfg, o->role, getenv("ZTPROBE_ROLE"), have ? &labels : NULL, lerr, choice, err,
                         sizeof(err));
    labels_free(&labels);
    if (rc != 0) {
        log_error("%s", err);
        return EXIT_USAGE;
    }
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
static int select_probes(const cli_opts_t *o, const config_role_t *role, const config_probe_t ***out, size_t *n)
{
    *n = 0;
    *out = calloc(role->n_probes ? role->n_probes : 1, sizeof(**out));
    if (!*out) {
        log_error("out of memory");
        return EXIT_INTERNAL;
    }
    if (o->only) {
        char *copy = strdup(o->only), *save = NULL;
        if (!copy) {
            log_error("out of memory");
            return EXIT_INTERNAL;
        }
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            bool found = false;
            for (size_t i = 0; i < role->n_probes; i++)
                found |= strcmp(role->probes[i].name, t) == 0;
            if (!found) {
                log_error("--only: role \"%s\" has no probe named \"%s\"; see 'ztprobe list --role %s'",
                          role->name, t, role->name);
                free(copy);
                return EXIT_USAGE;
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
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
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

static char *render(const cli_opts_t *o, const report_t *r)
{
    if (o->format == FMT_TEXT) {
        const char *nc = getenv("NO_COLOR");
        bool color = !o->out && isatty(STDOUT_FILENO) && !(nc && *nc);
        return report_render_text(r, color);
    }
    return report_render_json(r, ZT_VERSION);
}

int cmd_run(const cli_opts_t *o)
{
    int rc;
    config_t *cfg = NULL;
    const config_probe_t **probes = NULL;
    report_t rep;
    memset(&rep, 0, sizeof(rep));
    char *text = NULL, err[512];
    role_choice_t choice;

    if ((rc = load_config(o, &cfg)) != 0)
        goto done;
    if ((rc = choose_role(o, cfg, &choice)) != 0)
        goto done;
    size_t n = 0;
    if ((rc = select_probes(o, choice.role, &probes, &n)) != 0)
        goto done;

    int capped = 0;
    int conc = concurrency_cap(cfg->concurrency, &capped);
    if (capped)
        log_error("concurrency lowered from %d to %d by the open-files limit (ulimit -n)", cfg->concurrency,
                  capped);
    const char *pod = getenv("POD_NAME"), *ns = getenv("POD_NAMESPACE");
    snprintf(rep.role, sizeof(rep.role), "%s", choice.role->name);
    snprintf(rep.pod_name, sizeof(rep.pod_name), "%s", pod ? pod : "");
    snprintf(rep.pod_namespace, sizeof(rep.pod_namespace), "%s", ns ? ns : "");
    rep.results = calloc(n ? n : 1, sizeof(*rep.results));
    if (!rep.results) {
        log_error("out of memory");
        rc = EXIT_INTERNAL;
        goto done;
    }
    rep.n_results = n;

    if (runner_global_init(err, sizeof(err)) < 0) {
        log_error("%s", err);
        rc = EXIT_INTERNAL;
        goto done;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    rep.started_at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    double t0 = loop_mono_ms();
    runner_opts_t ro = {
        .cfg = cfg, .probes = probes, .n_probes = n, .concurrency = conc, .verbose = o->verbose,
        .role = choice.role->name, .namespace_ = ns && *ns ? ns : NULL, .stop = NULL,
    };
    int runrc = runner_run(&ro, rep.results, err, sizeof(err));
    rep.duration_ms = loop_mono_ms() - t0;
    runner_global_cleanup();
    if (runrc < 0) {
        log_error("%s", err);
        rc = EXIT_INTERNAL;
        goto done;
    }
    diag_ctx_t dc = {
        .role_forced = choice.source != ROLE_FROM_LABELS, .labels_known = choice.labels_known,
        .labels_match = choice.labels_match, .labels_seen = choice.labels_seen,
        .selector = choice.selector, .role = choice.role->name, .concurrency_cap = capped,
    };
    verdict_diagnose(&rep, &dc);

    text = render(o, &rep);
    if (!text) {
        log_error("out of memory rendering the report");
        rc = EXIT_INTERNAL;
        goto done;
    }
    if (o->out) {
        if (output_write_atomic(o->out, text, strlen(text), err, sizeof(err)) < 0) {
            log_error("--out %s", err);
            rc = EXIT_INTERNAL;
            goto done;
        }
    } else if (output_stdout(text, strlen(text)) < 0) {
        log_error("writing the report to stdout failed");
        rc = EXIT_INTERNAL;
        goto done;
    }
    rc = report_summary(&rep).ok ? EXIT_ALL_PASSED : EXIT_PROBE_FAILED;
done:
    free(text);
    free(rep.results);
    free(probes);
    config_free(cfg);
    return rc;
}

int cmd_validate(const cli_opts_t *o)
{
    config_t *cfg = NULL;
    int rc = load_config(o, &cfg);
    if (rc != 0)
        return rc;
    size_t probes = 0;
    for (size_t i = 0; i < cfg->n_roles; i++)
        probes += cfg->roles[i].n_probes;
    printf("%s: valid (%zu role%s, %zu probe%s)\n", o->config_path, cfg->n_roles, cfg->n_roles == 1 ? "" : "s",
           probes, probes == 1 ? "" : "s");
    config_free(cfg);
    return 0;
}

static void list_role(const config_t *cfg, const config_role_t *r)
{
    char sel[512], target[RESULT_TARGET_LEN];
    labels_format(&r->selector, sel, sizeof(sel));
    printf("role %s (selector %s)\n", r->name, sel);
    printf("  %-28s %-9s %-7s %8s  %s\n", "PROBE", "KIND", "EXPECT", "TIMEOUT", "TARGET");
    for (size_t i = 0; i < r->n_probes; i++) {
        const config_probe_t *p = &r->probes[i];
        config_probe_target(p, target, sizeof(target));
        printf("  %-28s %-9s %-7s %6dms  %s\n", p->name, config_kind_name(p->kind), config_expect_name(p->expect),
               config_probe_timeout_ms(cfg, p), target);
    }
}

int cmd_list(const cli_opts_t *o)
{
    config_t *cfg = NULL;
    int rc = load_config(o, &cfg);
    if (rc != 0)
        return rc;
    const char *want = o->role ? o->role : getenv("ZTPROBE_ROLE");
    if (want && *want) {
        const config_role_t *r = config_find_role(cfg, want);
        if (!r) {
            log_error("--role: no role named \"%s\" in %s; see 'ztprobe list'", want, o->config_path);
            config_free(cfg);
            return EXIT_USAGE;
        }
        list_role(cfg, r);
    } else {
        for (size_t i = 0; i < cfg->n_roles; i++)
            list_role(cfg, &cfg->roles[i]);
    }
    config_free(cfg);
    return 0;
}

int cmd_version(void)
{
    curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    int pq = PQlibVersion();
    printf("ztprobe %s (libcurl %s, %s, c-ares %s, libpq %d.%d, cJSON %s)\n", ZT_VERSION, cv->version,
           cv->ssl_version ? cv->ssl_version : "no TLS", ares_version(NULL), pq / 10000, pq % 10000,
           cJSON_Version());
    return 0;
}
