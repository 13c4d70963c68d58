/* cli.c: option parsing and help texts. Options may follow the command in any order, as with
 * kubectl; each command accepts only its own flags, and a wrong one is named in the error. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

enum {
    OPT_ROLE = 256,
    OPT_OUT,
    OPT_ONLY,
    OPT_TIMEOUT,
    OPT_CONC,
    OPT_CA,
    OPT_INTERVAL,
    OPT_PUSH,
    OPT_PUSH_FILE,
    OPT_WAIT,
    OPT_STABLE,
    OPT_EVERY,
    OPT_STARTUP
};
enum { OPT_NAMESPACE = 512, OPT_ROLE_LABEL, OPT_STRICT, OPT_POLICIES, OPT_CNI, OPT_EXPLAIN, OPT_STDIN_END };

static const struct option cli_longopts[] = {
    {"config", required_argument, NULL, 'c'},
    {"role", required_argument, NULL, OPT_ROLE},
    {"output", required_argument, NULL, 'o'},
    {"out", required_argument, NULL, OPT_OUT},
    {"only", required_argument, NULL, OPT_ONLY},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
    {"concurrency", required_argument, NULL, OPT_CONC},
    {"ca-file", required_argument, NULL, OPT_CA},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"push", required_argument, NULL, OPT_PUSH},
    {"push-url-file", required_argument, NULL, OPT_PUSH_FILE},
    {"wait", required_argument, NULL, OPT_WAIT},
    {"stable", required_argument, NULL, OPT_STABLE},
    {"every", required_argument, NULL, OPT_EVERY},
    {"startup", required_argument, NULL, OPT_STARTUP},
    {"file", required_argument, NULL, 'f'},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"role-label", required_argument, NULL, OPT_ROLE_LABEL},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"policies", required_argument, NULL, OPT_POLICIES},
    {"cni", required_argument, NULL, OPT_CNI},
    {"explain", required_argument, NULL, OPT_EXPLAIN},
    {"stdin-end", required_argument, NULL, OPT_STDIN_END},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Which flags each command takes (by getopt value). */
typedef struct {
    const char *name;
    const int *flags;
    const char *usage;
    const char *text;
} cli_cmd_t;

static const int run_flags[] = {'c',          OPT_ROLE,   'o',       OPT_OUT,     OPT_ONLY,      OPT_TIMEOUT,
                                OPT_CONC,     OPT_CA,     'v',       OPT_PUSH,    OPT_PUSH_FILE, OPT_WAIT,
                                OPT_POLICIES, OPT_STABLE, OPT_EVERY, OPT_EXPLAIN, OPT_STDIN_END, 0};
static const int validate_flags[] = {'c', 'v', OPT_STDIN_END, 0};
static const int list_flags[] = {'c', OPT_ROLE, OPT_STDIN_END, 0};
static const int merge_flags[] = {'o', OPT_NAMESPACE, 0};
static const int policy_flags[] = {'c',        'f',     'o',         OPT_NAMESPACE, OPT_ROLE_LABEL,
                                   OPT_STRICT, OPT_CNI, OPT_EXPLAIN, OPT_STDIN_END, 0};
static const int watch_flags[] = {'c',          OPT_ROLE,    'o',          OPT_OUT,   OPT_ONLY, OPT_TIMEOUT,
                                  OPT_CONC,     OPT_CA,      OPT_INTERVAL, 'v',       OPT_PUSH, OPT_PUSH_FILE,
                                  OPT_POLICIES, OPT_STARTUP, OPT_STABLE,   OPT_EVERY, 0};

static const cli_cmd_t cli_cmds[] = {
    {"run", run_flags,
     "ztprobe run [-c FILE] [--role NAME] [-o json|text|junit|prometheus] [--out FILE]\n"
     "            [--only NAME[,NAME...]] [--timeout-ms N] [--concurrency N] [--ca-file PEM] [-v]\n"
     "            [--push URL | --push-url-file FILE] [--wait DURATION [--stable N] [--every DURATION]]\n"
     "            [--policies FILE[,FILE...]] [--explain NAME]",
     "Runs the role's probe matrix once, all probes at once, and prints the report.\n"
     "Exit 0: every probe passed; 1: a probe failed or was inconclusive; 2: usage or config\n"
     "error; 3: internal error.\n\n"
     "  -c, --config FILE   config (default $ZTPROBE_CONFIG, else /etc/ztprobe/config.json; - is\n"
     "                      stdin, a pipe or FIFO is read for at most 10 s without data)\n"
     "  --role NAME         role to play (default $ZTPROBE_ROLE, else the role whose selector\n"
     "                      matches the labels in $ZTPROBE_LABELS_FILE or /etc/podinfo/labels)\n"
     "  -o, --output FMT    json (default), text, junit or prometheus\n"
     "  --out FILE          write the report to FILE atomically instead of stdout\n"
     "  --only NAMES        run only these probes (comma-separated)\n"
     "  --timeout-ms N      default per-attempt timeout (overrides defaults.timeout_ms)\n"
     "  --concurrency N     probes in flight at most (overrides defaults.concurrency)\n"
     "  --ca-file PEM       default CA bundle for https (overrides defaults.ca_file)\n"
     "  -v, --verbose       log each attempt to stderr (never secrets)\n"
     "  --push URL          also PUT the Prometheus metrics to a Pushgateway at URL (grouping\n"
     "                      job=ztprobe, instance=$POD_NAME); a failed push exits 3. Also\n"
     "                      $ZTPROBE_PUSH_URL. A URL with user:password belongs in a file or\n"
     "                      the environment (a Secret), not on the command line\n"
     "  --push-url-file FILE  the Pushgateway URL from the first line of FILE\n"
     "  --wait DURATION     after a deploy: repeat the probes that have not passed (a round at\n"
     "                      most once a second) until all pass or DURATION (30s, 5m, 1h) is\n"
     "                      used up; the report gains converged_after_ms; SIGTERM ends it with\n"
     "                      the last completed round. Shorter than a probe timeout: exit 2\n"
     "  --stable N          with --wait: a probe converged after N consecutive passes (1..100,\n"
     "                      default 1); its figure is the first of them\n"
     "  --every DURATION    with --wait: rounds start this far apart (100ms..the wait; default 1s)\n"
     "  --policies FILES    Kubernetes objects (comma-separated; - is stdin, after the config's\n"
     "                      document with -c -; default $ZTPROBE_POLICIES): each\n"
     "                      result gains what the NetworkPolicies intend, hints speak from it\n"
     "  --explain NAME      with --policies: run only probe NAME and write the whole decision of\n"
     "                      the policies for it to stderr (json with -o json, else text)\n"
     "  --stdin-end TOKEN   stdin never closes (kubectl debug -i): it ends at the line\n"
     "                      '# ztprobe end of input TOKEN' (16..64 letters and digits), which the\n"
     "                      kubectl plugin sends; without it, or with more after it, exit 2.\n"
     "                      Without this flag stdin is read to its end (also validate, list,\n"
     "                      policy)\n"},
    {"watch", watch_flags,
     "ztprobe watch [-c FILE] [--role NAME] --interval DURATION [--out FILE] [-o FORMAT]\n"
     "              [--startup DURATION [--stable N] [--every DURATION]] [run's flags]",
     "Runs the matrix every DURATION (500ms, 30s, 5m, 1h; plus up to 10% random jitter) until\n"
     "SIGTERM or SIGINT, then exits 0 within a second (a run in flight is abandoned, its report not\n"
     "written). Each report replaces --out atomically (stdout without --out); one JSON line per run\n"
     "goes to stderr: time, role, ok, counts, the probes that did not pass, the probes whose verdict\n"
     "changed, diagnoses. A run that overruns the interval is followed at once by the next, never\n"
     "overlapped. -o prometheus adds each probe's last change time and a counter of its changes.\n\n"
     "  --startup DURATION  first, from the start: rounds every --every (default 250ms) until each\n"
     "                      probe passed --stable N (default 3) rounds in a row or DURATION is\n"
     "                      used up; every report then carries how long each deny was not yet\n"
     "                      enforced (converged_after_ms; -o prometheus:\n"
     "                      ztprobe_probe_startup_unprotected_seconds)\n"
     "  --stable N, --every DURATION  as run --wait's, for the --startup rounds\n"},
    {"merge", merge_flags,
     "ztprobe merge [-o text|json|junit|policyreport|html] [--namespace NS] REPORT.json...",
     "Reads the JSON reports of several pods and prints one namespace-wide matrix (source role and\n"
     "pod x probe -> verdict and outcome), and the pods of one role that disagree. Exit 0: every\n"
     "probe passed on every pod and no pods disagree; 1: otherwise; 2: no report given, or a file\n"
     "that cannot be read or is not a ztprobe report (it is still listed as missing).\n"
     "  -o policyreport     Kubernetes PolicyReports (wgpolicyk8s.io/v1alpha2), one per namespace,\n"
     "                      as multi-document YAML for 'kubectl apply -f -'\n"
     "  -o html             one self-contained page: roles by targets, verdict per probe\n"
     "  --namespace NS      every report must be of a pod in NS: a report naming another\n"
     "                      namespace is refused (listed as missing, exit 2), so a PolicyReport\n"
     "                      lands in NS only; a report naming none is taken as NS's\n"},
    {"validate", validate_flags, "ztprobe validate [-c FILE]",
     "Parses and validates the config; prints a summary. Exit 0 valid, 2 invalid (the message\n"
     "names the JSON path).\n"},
    {"list", list_flags, "ztprobe list [-c FILE] [--role NAME]",
     "Lists the probes of a role (all roles when no role is given or found).\n"},
    {"policy", policy_flags,
     "ztprobe policy check -c CONFIG -f OBJECTS... [--namespace NS] [-o json|text] [--strict]\n"
     "                     [--cni NAME[@VERSION]] [--explain ROLE/PROBE]\n"
     "  ztprobe policy plan -f OBJECTS... [--namespace NS] [--role-label KEY] [-o json|yaml]\n"
     "                     [--cni NAME[@VERSION]]",
     "Reads Kubernetes objects (-f, repeatable; YAML, JSON or a List, as kubectl and kustomize write\n"
     "them; - is stdin) and evaluates their NetworkPolicies; nothing is sent on the network.\n\n"
     "  check   for every probe of the config: what the policies intend (allow, deny, unknown),\n"
     "          whether it agrees with its expect, the rules behind it, and coverage (the rules\n"
     "          no allow probe exercises, the isolated roles without a deny probe).\n"
     "          Exit 0: nothing disagrees; 1: something disagrees (with --strict also: something\n"
     "          unknown, a rule uncovered, an isolated role without a deny probe); 2: usage,\n"
     "          config or objects error.\n"
     "  plan    writes a starting config (one role per workload) that validates and passes its\n"
     "          own check: allow probes for every Service port the policies open, deny probes\n"
     "          for the others of the namespace, DNS, and except ranges of ipBlocks.\n\n"
     "  -f, --file FILE     Kubernetes objects (repeatable)\n"
     "  -c, --config FILE   the probe matrix (check)\n"
     "  --namespace NS      the namespace of roles that do not name theirs (check), the namespace\n"
     "                      to plan (plan)\n"
     "  --role-label KEY    plan: one role per value of this pod label (e.g. app)\n"
     "  --strict            check: unknown answers and uncovered rules fail too\n"
     "  --cni NAME[@VER]    the dataplane's known deviations that apply (vpc-cni, cilium,\n"
     "                      calico; vpc-cni's VERSION is the network policy agent's): check\n"
     "                      reports them, plan adds the probes that catch a leak\n"
     "  --explain ROLE/PROBE  check: only this probe, with the whole decision: every policy\n"
     "                      selecting either end, each rule's peers and ports, the answer\n"
     "  -o FMT              check: json (default) or text; plan: json (default) or yaml\n"},
    {"version", NULL, "ztprobe version", "Prints the agent and library versions.\n"},
    {"help", NULL, "ztprobe help [COMMAND]", "Shows help for a command.\n"},
};

static const cli_cmd_t *cli_find(const char *name)
{
    for (size_t i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
        if (strcmp(cli_cmds[i].name, name) == 0)
            return &cli_cmds[i];
    return NULL;
}

zt_status_t cli_help(const char *command, const char *kinds)
{
    if (command) {
        const cli_cmd_t *c = cli_find(command);
        if (!c) {
            log_error("no help for unknown command \"%s\"; see 'ztprobe help'", command);
            return ZT_ERR_INPUT;
        }
        printf("Usage: %s\n\n%s", c->usage, c->text);
        return 0;
    }
    printf("ztprobe: in-pod NetworkPolicy probe agent: runs a matrix of expected-allow and\n"
           "expected-deny probes%s%s%s at once and reports verdicts.\n\n"
           "Usage:\n",
           kinds ? " (" : "", kinds ? kinds : "", kinds ? ")" : "");
    for (size_t i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
        printf("  %s\n", cli_cmds[i].usage);
    printf("\nRun 'ztprobe help COMMAND' for a command's flags. Reports go to stdout,\n"
           "diagnostics to stderr.\n");
    return 0;
}

static bool cli_allows(const cli_cmd_t *c, int flag)
{
    if (flag == 'h')
        return true;
    for (const int *f = c->flags; f && *f; f++)
        if (*f == flag)
            return true;
    return false;
}

static const char *cli_flag_name(int v)
{
    for (const struct option *lo = cli_longopts; lo->name; lo++)
        if (lo->val == v)
            return lo->name;
    return "?";
}

static int cli_int(const char *flag, const char *s, int lo, int hi, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || end == s || v < lo || v > hi) {
        log_error("--%s: must be an integer %d..%d, got \"%s\"", flag, lo, hi, s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

zt_status_t cli_parse(int argc, char **argv, cli_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->command = argv[1];
    const cli_cmd_t *c = cli_find(o->command);
    if (!c) {
        log_error("unknown command \"%s\"; see 'ztprobe help'", o->command);
        return ZT_ERR_INPUT;
    }
    int sub_argc = argc - 1;
    char **sub_argv = argv + 1;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(sub_argc, sub_argv, ":c:f:o:vh", cli_longopts, NULL)) != -1) {
        if (ch == '?') {
            log_error("%s: unknown flag \"%s\"; see 'ztprobe help %s'", o->command, sub_argv[optind - 1],
                      o->command);
            return ZT_ERR_INPUT;
        }
        if (ch == ':') {
            log_error("%s: flag \"%s\" needs a value", o->command, sub_argv[optind - 1]);
            return ZT_ERR_INPUT;
        }
        if (!cli_allows(c, ch)) {
            log_error("%s: flag --%s does not apply to this command; see 'ztprobe help %s'", o->command,
                      cli_flag_name(ch), o->command);
            return ZT_ERR_INPUT;
        }
        switch (ch) {
        case 'c': o->config_path = optarg; break;
        case OPT_ROLE: o->role = optarg; break;
        case 'o':
            o->format_set = true;
            if (strcmp(optarg, "json") == 0)
                o->format = FMT_JSON;
            else if (strcmp(optarg, "text") == 0)
                o->format = FMT_TEXT;
            else if (strcmp(optarg, "junit") == 0)
                o->format = FMT_JUNIT;
            else if (strcmp(optarg, "prometheus") == 0)
                o->format = FMT_PROMETHEUS;
            else if (strcmp(optarg, "yaml") == 0 && strcmp(o->command, "policy") == 0)
                o->format = FMT_YAML;
            else if (strcmp(optarg, "policyreport") == 0 && strcmp(o->command, "merge") == 0)
                o->format = FMT_POLICYREPORT;
            else if (strcmp(optarg, "html") == 0 && strcmp(o->command, "merge") == 0)
                o->format = FMT_HTML;
            else if (strcmp(optarg, "policyreport") == 0 || strcmp(optarg, "html") == 0) {
                log_error(
                    "-o %s describes a namespace: write JSON reports, then 'ztprobe merge -o %s REPORT.json...'",
                    optarg, optarg);
                return ZT_ERR_INPUT;
            } else {
                log_error("-o: unknown format \"%s\" (%s)", optarg,
                          strcmp(o->command, "merge") == 0 ? "text, json, junit, policyreport or html"
                                                           : "json, text, junit or prometheus");
                return ZT_ERR_INPUT;
            }
            break;
        case OPT_OUT: o->out = optarg; break;
        case OPT_ONLY: o->only = optarg; break;
        case OPT_TIMEOUT:
            if (cli_int("timeout-ms", optarg, 1, 300000, &o->timeout_ms) < 0)
                return ZT_ERR_INPUT;
            break;
        case OPT_CONC:
            if (cli_int("concurrency", optarg, 1, 10000, &o->concurrency) < 0)
                return ZT_ERR_INPUT;
            break;
        case OPT_CA: o->ca_file = optarg; break;
        case OPT_INTERVAL: o->interval = optarg; break;
        case OPT_PUSH: o->push = optarg; break;
        case OPT_PUSH_FILE: o->push_url_file = optarg; break;
        case OPT_WAIT:
            o->wait = optarg;
            if (watch_parse_interval(optarg, &o->wait_ms) < 0) {
                log_error("--wait: must be a duration like 30s, 5m or 1h, got \"%s\"", optarg);
                return ZT_ERR_INPUT;
            }
            break;
        case OPT_STABLE:
            if (cli_int("stable", optarg, 1, CLI_STABLE_MAX, &o->stable) < 0)
                return ZT_ERR_INPUT;
            break;
        case OPT_EVERY:
            if (cli_wait_every(optarg, &o->every_ms) < 0)
                return ZT_ERR_INPUT;
            break;
        case OPT_STARTUP:
            o->startup = optarg;
            if (watch_parse_interval(optarg, &o->startup_ms) < 0) {
                log_error("--startup: must be a duration like 10s or 1m, got \"%s\"", optarg);
                return ZT_ERR_INPUT;
            }
            break;
        case 'f':
            if (o->n_files >= CLI_FILES_MAX) {
                log_error("-f: at most %d files", CLI_FILES_MAX);
                return ZT_ERR_INPUT;
            }
            o->files[o->n_files++] = optarg;
            break;
        case OPT_NAMESPACE: o->namespace = optarg; break;
        case OPT_ROLE_LABEL: o->role_label = optarg; break;
        case OPT_STRICT: o->strict = true; break;
        case OPT_POLICIES: o->policies = optarg; break;
        case OPT_CNI: o->cni = optarg; break;
        case OPT_EXPLAIN: o->explain = optarg; break;
        case OPT_STDIN_END: o->stdin_end = optarg; break;
        case 'v': o->verbose++; break;
        case 'h': cli_help(o->command, NULL); return ZT_DONE;
        default: return ZT_ERR_INPUT;
        }
    }
    o->args = sub_argv + optind;
    o->n_args = sub_argc - optind;
    if (o->n_args > 0 && strcmp(o->command, "merge") != 0 && strcmp(o->command, "policy") != 0) {
        log_error("%s: unexpected argument \"%s\"", o->command, o->args[0]);
        return ZT_ERR_INPUT;
    }
    if (cli_wait_check(o) < 0)
        return ZT_ERR_INPUT;
    if (o->push && o->push_url_file) {
        log_error("%s: give --push or --push-url-file, not both", o->command);
        return ZT_ERR_INPUT;
    }
    /* The environment can hold a credential from a Secret without showing it in argv. */
    const char *env_push = getenv("ZTPROBE_PUSH_URL");
    if (!o->push && !o->push_url_file && env_push && *env_push && cli_allows(c, OPT_PUSH))
        o->push = env_push;
    if (!o->config_path)
        o->config_path = getenv("ZTPROBE_CONFIG");
    if (!o->config_path || !*o->config_path)
        o->config_path = "/etc/ztprobe/config.json";
    return 0;
}
