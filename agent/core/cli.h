/* cli.h: the command line (the reference, "Command line"), parsed into one struct; the commands that use it. */
#ifndef ZT_CLI_H
#define ZT_CLI_H

#include <stdbool.h>

#include "status.h"

/* FMT_POLICYREPORT and FMT_HTML describe a namespace: merge only; FMT_YAML: policy plan only. */
typedef enum {
    FMT_JSON,
    FMT_TEXT,
    FMT_JUNIT,
    FMT_PROMETHEUS,
    FMT_YAML,
    FMT_POLICYREPORT,
    FMT_HTML
} cli_format_t;

#define CLI_FILES_MAX 64 /* -f FILE, repeatable (policy) */

typedef struct {
    const char *command;
    const char *config_path; /* -c, else $ZTPROBE_CONFIG, else /etc/ztprobe/config.json */
    const char *role;        /* --role */
    cli_format_t format;
    bool format_set;
    const char *out;  /* --out FILE */
    const char *only; /* --only a,b */
    int timeout_ms;   /* 0: not given */
    int concurrency;  /* 0: not given */
    const char *ca_file;
    const char *interval;      /* watch */
    const char *push;          /* --push URL, else $ZTPROBE_PUSH_URL (run, watch) */
    const char *push_url_file; /* --push-url-file FILE: the URL is its first line */
    const char *wait;          /* run --wait DURATION, as given */
    long wait_ms;              /* 0: not given */
    int stable;                /* run --wait --stable N: 0 not given (1 applies) */
    long every_ms;             /* run --wait / watch --startup --every DURATION: 0 not given */
    const char *startup;       /* watch --startup DURATION, as given */
    long startup_ms;           /* 0: not given */
    int verbose;
    const char *files[CLI_FILES_MAX]; /* -f: Kubernetes objects (policy) */
    int n_files;
    const char *namespace;  /* --namespace (policy) */
    const char *role_label; /* --role-label KEY (policy plan) */
    bool strict;            /* --strict (policy check) */
    const char *policies;   /* --policies FILE[,FILE...] (run, watch) */
    const char *cni;        /* --cni NAME[@VERSION] (policy) */
    const char *explain;    /* --explain ROLE/PROBE (policy check), NAME (run) */
    const char *stdin_end;  /* --stdin-end TOKEN: stdin ends at the plugin's marker line */
    char **args;            /* positional arguments after the options (merge, policy) */
    int n_args;
} cli_opts_t;

/* Parses argv[2..] for the command argv[1]. Returns ZT_OK, ZT_DONE when --help was printed,
 * or ZT_ERR_INPUT after printing the problem (naming the flag) to stderr. */
zt_status_t cli_parse(int argc, char **argv, cli_opts_t *o);

/* Prints the help of a command (or the overview for NULL) to stdout; kinds is the overview's
 * list of probe kinds ("tcp, http, ..." from the kind table; NULL: none). Returns ZT_OK, or
 * ZT_ERR_INPUT for an unknown command. */
zt_status_t cli_help(const char *command, const char *kinds);

/* The commands (agent/cmd): each returns the process exit code (cmd_exit.h). */
int cmd_run(const cli_opts_t *o);
int cmd_validate(const cli_opts_t *o);
int cmd_list(const cli_opts_t *o);
int cmd_version(void);
int cmd_watch(const cli_opts_t *o);
int cmd_merge(const cli_opts_t *o);
int cmd_policy(const cli_opts_t *o);

#define CLI_STABLE_MAX 100   /* --stable N */
#define CLI_EVERY_MIN_MS 100 /* --every: a round cadence finer than this measures the prober */

/* --every DURATION (cli_wait.c): parsed into ms, at least CLI_EVERY_MIN_MS. Returns 0, or -1
 * after a message naming --every. */
int cli_wait_every(const char *s, long *ms);

/* The --wait family together (watch: --startup): --stable and --every need it, --every must
 * not exceed it.
 * Returns 0, or -1 after a message naming the flag. */
int cli_wait_check(const cli_opts_t *o);

/* Parses "500ms", "30s", "5m", "1h" into ms. Returns 0 or -1. */
int watch_parse_interval(const char *s, long *ms);

#endif
