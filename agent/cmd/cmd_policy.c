/* cmd_policy.c: `ztprobe policy check|plan`: reads the objects, warns about what it cannot
 * judge, runs the pure check or plan, prints the result. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_exit.h"
#include "config.h"
#include "log.h"
#include "policy_load.h"
#include "policy_check.h"
#include "policy_plan.h"
#include "session.h"

/* The config before the objects: with -c - and -f -, stdin is one stream, config first. */
static int cmd_policy_check(const cli_opts_t *o)
{
    config_t *cfg = NULL;
    k8s_model_t *m = NULL;
    cJSON *rep = NULL;
    char err[1024], *text = NULL;
    if (o->format_set && o->format != FMT_JSON && o->format != FMT_TEXT) {
        log_error("policy check: -o must be json or text");
        return EXIT_USAGE;
    }
    zt_status_t st = session_load_config(o, &cfg);
    if (st != ZT_OK)
        return cmd_exit_code(st);
    int rc;
    if ((st = policy_load(o->files, o->n_files, o->namespace, &m)) != ZT_OK) {
        rc = cmd_exit_code(st);
        goto done;
    }
    if ((st = policy_check_run(m, cfg, o->namespace, &rep, err, sizeof(err))) != ZT_OK) {
        log_error("%s", err);
        rc = cmd_exit_code(st);
        goto done;
    }
    text = o->format == FMT_TEXT ? policy_check_text(rep) : cJSON_Print(rep);
    if (!text) {
        log_error("out of memory");
        rc = EXIT_INTERNAL;
        goto done;
    }
    fputs(text, stdout);
    if (o->format != FMT_TEXT)
        fputc('\n', stdout);
    rc = policy_check_status(rep, o->strict) ? EXIT_PROBE_FAILED : EXIT_ALL_PASSED;
done:
    free(text);
    cJSON_Delete(rep);
    k8s_model_destroy(m);
    config_free(cfg);
    return rc;
}

static int cmd_policy_plan(const cli_opts_t *o)
{
    char err[1024], *text = NULL;
    k8s_model_t *m = NULL;
    if (o->format_set && o->format != FMT_JSON && o->format != FMT_YAML) {
        log_error("policy plan: -o must be json or yaml");
        return EXIT_USAGE;
    }
    zt_status_t st = policy_load(o->files, o->n_files, o->namespace, &m);
    if (st != ZT_OK)
        return cmd_exit_code(st);
    st = policy_plan_run(m, o->namespace, o->role_label, o->format == FMT_YAML, &text, err, sizeof(err));
    k8s_model_destroy(m);
    if (st != ZT_OK) {
        log_error("%s", err);
        return cmd_exit_code(st);
    }
    fputs(text, stdout);
    free(text);
    return 0;
}

int cmd_policy(const cli_opts_t *o)
{
    if (o->n_args < 1 || (strcmp(o->args[0], "check") != 0 && strcmp(o->args[0], "plan") != 0)) {
        log_error("policy: say check or plan; see 'ztprobe help policy'");
        return EXIT_USAGE;
    }
    if (o->n_args > 1) {
        log_error("policy %s: unexpected argument \"%s\"", o->args[0], o->args[1]);
        return EXIT_USAGE;
    }
    bool check = strcmp(o->args[0], "check") == 0;
    if (!check && o->strict) {
        log_error("policy plan: --strict applies to policy check only");
        return EXIT_USAGE;
    }
    if (check && o->role_label) {
        log_error("policy check: --role-label applies to policy plan only");
        return EXIT_USAGE;
    }
    if (o->n_files == 0) {
        log_error("policy %s: -f FILE is required (the Kubernetes objects to read)", o->args[0]);
        return EXIT_USAGE;
    }
    return check ? cmd_policy_check(o) : cmd_policy_plan(o);
}
