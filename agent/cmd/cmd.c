/* cmd.c: the commands run, validate, list and version. */
#include <ares.h>
#include <cJSON.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_exit.h"
#include "config.h"
#include "converge.h"
#include "labels.h"
#include "log.h"
#include "policy_explain.h"
#include "probe.h"
#include "report.h"
#include "session.h"

int cmd_run(const cli_opts_t *o)
{
    session_t s;
    report_t rep;
    memset(&rep, 0, sizeof(rep));
    char *text = NULL;
    zt_status_t st = session_open(o, &s);
    if (st != ZT_OK)
        return cmd_exit_code(st);
    int rc = EXIT_INTERNAL;
    char err[512];
    if (o->wait_ms > 0 &&
        converge_check_wait(s.cfg, s.probes, s.n_probes, o->wait_ms, o->wait, err, sizeof(err)) < 0) {
        log_error("%s", err);
        rc = EXIT_USAGE;
        goto done;
    }
    if ((st = o->wait_ms > 0 ? session_wait_run(&s, o, &rep) : session_run(&s, o, NULL, &rep)) != ZT_OK)
        goto failed;
    if (!(text = session_render(o, &rep))) {
        log_error("out of memory rendering the report");
        rc = EXIT_INTERNAL;
        goto done;
    }
    if ((st = session_emit(o, text)) != ZT_OK)
        goto failed;
    /* The report stays on stdout as usual; the decision goes beside it, to stderr. */
    if (o->explain) {
        char *ex = policy_explain_render(s.objects, s.cfg, s.choice.role, s.objects_ns,
                                         s.own.n ? &s.own : NULL, s.probes[0], o->format == FMT_JSON);
        if (!ex) {
            log_error("out of memory");
            rc = EXIT_INTERNAL;
            goto done;
        }
        fputs(ex, stderr);
        free(ex);
    }
    if ((st = session_push(o, &s, &rep, text)) != ZT_OK)
        goto failed;
    rc = report_summary(&rep).ok ? EXIT_ALL_PASSED : EXIT_PROBE_FAILED;
    goto done;
failed:
    rc = cmd_exit_code(st);
done:
    free(text);
    report_free(&rep);
    session_close(&s);
    return rc;
}

int cmd_validate(const cli_opts_t *o)
{
    config_t *cfg = NULL;
    zt_status_t st = session_load_config(o, &cfg);
    if (st != ZT_OK)
        return cmd_exit_code(st);
    size_t probes = 0;
    for (size_t i = 0; i < cfg->n_roles; i++) {
        probes += cfg->roles[i].n_probes;
        for (size_t j = 0; j < cfg->roles[i].n_probes; j++) {
            const config_probe_t *p = &cfg->roles[i].probes[j];
            probe_kinds_warn(&p, 1, cfg->roles[i].name);
        }
    }
    printf("%s: valid (%zu role%s, %zu probe%s)\n", o->config_path, cfg->n_roles,
           cfg->n_roles == 1 ? "" : "s", probes, probes == 1 ? "" : "s");
    config_free(cfg);
    return 0;
}

static void list_role(const config_t *cfg, const config_role_t *r)
{
    char sel[512], target[RESULT_TARGET_LEN];
    labels_format(&r->selector, sel, sizeof(sel));
    /* kubectl-ztprobe reads this line: the namespace, when the role names one, comes first. */
    if (r->namespace)
        printf("role %s (namespace %s, selector %s)\n", r->name, r->namespace, sel);
    else
        printf("role %s (selector %s)\n", r->name, sel);
    printf("  %-28s %-9s %-7s %8s  %s\n", "PROBE", "KIND", "EXPECT", "TIMEOUT", "TARGET");
    for (size_t i = 0; i < r->n_probes; i++) {
        const config_probe_t *p = &r->probes[i];
        config_probe_target(p, target, sizeof(target));
        printf("  %-28s %-9s %-7s %6dms  %s\n", p->name, config_kind_name(p->kind),
               config_expect_name(p->expect), config_probe_timeout_ms(cfg, p), target);
    }
}

int cmd_list(const cli_opts_t *o)
{
    config_t *cfg = NULL;
    zt_status_t st = session_load_config(o, &cfg);
    if (st != ZT_OK)
        return cmd_exit_code(st);
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
