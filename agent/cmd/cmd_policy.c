/* cmd_policy.c: `ztprobe policy check|plan`: reads the objects, warns about what it cannot
 * judge, runs the pure check or plan, prints the result. */
#include <cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_exit.h"
#include "cni_check.h"
#include "config.h"
#include "json_print.h"
#include "log.h"
#include "policy_load.h"
#include "policy_check.h"
#include "policy_explain.h"
#include "policy_plan.h"
#include "session.h"

#define CMD_POLICY_TIME_LIMIT_S 120

static char cmd_policy_late[256];
static size_t cmd_policy_late_len;

/* SIGALRM: the whole command ran past its time limit. Only write() and _exit() here. */
static void cmd_policy_timeout(int sig)
{
    (void)sig;
    ssize_t w = write(STDERR_FILENO, cmd_policy_late, cmd_policy_late_len);
    (void)w;
    _exit(EXIT_USAGE);
}

/* An overall time limit (wall clock, reading included): objects are input from others, and
 * whatever they hold, the command ends with exit 2 and a message instead of running on.
 * $ZTPROBE_POLICY_TIME_LIMIT (1..3600 s) changes it. Returns 0, or -1 for a bad value. */
static int cmd_policy_time_limit(const char *what)
{
    long limit = CMD_POLICY_TIME_LIMIT_S;
    const char *env = getenv("ZTPROBE_POLICY_TIME_LIMIT");
    if (env && *env) {
        char *end;
        limit = strtol(env, &end, 10);
        if (*end || limit < 1 || limit > 3600) {
            log_error("ZTPROBE_POLICY_TIME_LIMIT: whole seconds 1..3600, got \"%s\"", env);
            return -1;
        }
    }
    int n = snprintf(cmd_policy_late, sizeof(cmd_policy_late),
                     "ztprobe: policy %s: not done within its %ld s time limit "
                     "(ZTPROBE_POLICY_TIME_LIMIT): the objects are too many or too large, or the "
                     "input too slow; nothing was decided\n",
                     what, limit);
    cmd_policy_late_len = n > 0 && (size_t)n < sizeof(cmd_policy_late) ? (size_t)n
                                                                       : sizeof(cmd_policy_late) - 1;
    struct sigaction sa = {.sa_handler = cmd_policy_timeout};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    alarm((unsigned)limit);
    return 0;
}

/* a + b (both malloc'd, both freed); NULL on OOM. */
static char *cmd_policy_append(char *a, char *b)
{
    char *s = a && b ? malloc(strlen(a) + strlen(b) + 1) : NULL;
    if (s) {
        strcpy(s, a);
        strcat(s, b);
    }
    free(a);
    free(b);
    return s;
}

/* --explain ROLE/PROBE: the one probe's whole decision; exit as the probe's check would. */
static int cmd_policy_check_explain(const cli_opts_t *o, const config_t *cfg, k8s_model_t *m)
{
    const config_role_t *role;
    const config_probe_t *p;
    char err[1024];
    size_t ns;
    if (policy_explain_find(cfg, NULL, o->explain, &role, &p, err, sizeof(err)) != 0) {
        log_error("policy check %s", err);
        return EXIT_USAGE;
    }
    zt_status_t st = policy_role_namespace(m, role, o->namespace, &ns, err, sizeof(err));
    if (st == ZT_OK && k8s_model_finish(m) != 0)
        st = ZT_ERR_NOMEM;
    if (st != ZT_OK) {
        log_error("%s", st == ZT_ERR_INPUT ? err : "out of memory");
        return cmd_exit_code(st);
    }
    policy_intent_t in;
    policy_check_probe(m, cfg, role, ns, p, &in);
    char *text = policy_explain_render(m, cfg, role, ns, NULL, p, o->format != FMT_TEXT);
    if (!text) {
        log_error("out of memory");
        return EXIT_INTERNAL;
    }
    fputs(text, stdout);
    free(text);
    netpol_verdict_t want = p->expect == EXPECT_ALLOW ? NETPOL_ALLOW : NETPOL_DENY;
    return in.intended == want || (in.intended == NETPOL_UNKNOWN && !o->strict) ? EXIT_ALL_PASSED
                                                                                : EXIT_PROBE_FAILED;
}

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
    cni_sel_t cni;
    if (o->cni && cni_select(o->cni, &cni, err, sizeof(err)) != 0) {
        log_error("%s", err);
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
    if (o->explain) {
        rc = cmd_policy_check_explain(o, cfg, m);
        goto done;
    }
    st = policy_check_run(m, cfg, o->namespace, &rep, err, sizeof(err));
    if (st == ZT_OK && o->cni) /* the dataplane's known deviations: docs/cni.md */
        st = cni_check_annotate(m, cfg, o->namespace, &cni, rep, err, sizeof(err));
    if (st != ZT_OK) {
        log_error("%s", err);
        rc = cmd_exit_code(st);
        goto done;
    }
    /* JSON through the one escaper: names and reasons come from someone else's objects. */
    text = o->format == FMT_TEXT ? policy_check_text(rep) : json_print_take(rep, true);
    if (text && o->format == FMT_TEXT && o->cni)
        text = cmd_policy_append(text, cni_check_text(rep));
    if (!text) {
        log_error("out of memory");
        rc = EXIT_INTERNAL;
        goto done;
    }
    fputs(text, stdout);
    rc = policy_check_status(rep, o->strict) ? EXIT_PROBE_FAILED : EXIT_ALL_PASSED;
done:
    free(text);
    cJSON_Delete(rep);
    k8s_model_destroy(m);
    config_free(cfg);
    return rc;
}

/* The plan's JSON text with the catch probes of the deviations added, re-rendered. */
static zt_status_t cmd_policy_plan_cni(k8s_model_t *m, const cli_opts_t *o, const cni_sel_t *cni, char **text,
                                       char *err, size_t errlen)
{
    cJSON *root = cJSON_Parse(*text);
    free(*text);
    *text = NULL;
    if (!root) {
        snprintf(err, errlen, "out of memory");
        return ZT_ERR_NOMEM;
    }
    zt_status_t rc = cni_plan_add(m, root, o->namespace, cni, err, errlen);
    if (rc == ZT_OK && !(*text = policy_plan_render(root, o->format == FMT_YAML))) {
        snprintf(err, errlen, "out of memory");
        rc = ZT_ERR_NOMEM;
    }
    cJSON_Delete(root);
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
    cni_sel_t cni;
    if (o->cni && cni_select(o->cni, &cni, err, sizeof(err)) != 0) {
        log_error("%s", err);
        return EXIT_USAGE;
    }
    zt_status_t st = policy_load(o->files, o->n_files, o->namespace, &m);
    if (st != ZT_OK)
        return cmd_exit_code(st);
    st = policy_plan_run(m, o->namespace, o->role_label, o->cni ? false : o->format == FMT_YAML, &text, err,
                         sizeof(err));
    if (st == ZT_OK && o->cni) /* the probes that catch the dataplane's leaks: docs/cni.md */
        st = cmd_policy_plan_cni(m, o, &cni, &text, err, sizeof(err));
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
    if (!check && o->explain) {
        log_error("policy plan: --explain applies to policy check only");
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
    if (cmd_policy_time_limit(check ? "check" : "plan") != 0)
        return EXIT_USAGE;
    return check ? cmd_policy_check(o) : cmd_policy_plan(o);
}
