/* main.c: entry point: command dispatch and process-wide setup. */
#include <signal.h>
#include <string.h>

#include "cli.h"
#include "cmd_exit.h"
#include "fileio.h"
#include "log.h"
#include "probe.h"

/* The overview's list of kinds comes from the kind table (the core cannot read it). */
static zt_status_t main_help(const char *command)
{
    char kinds[256];
    probe_kind_list(kinds, sizeof(kinds));
    return cli_help(command, kinds);
}

int main(int argc, char **argv)
{
    /* A closed stdout pipe (`ztprobe run | head`) must not kill the agent mid-run. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        main_help(NULL);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)
        return cmd_exit_code(main_help(NULL));
    if (strcmp(cmd, "help") == 0)
        return cmd_exit_code(main_help(argc > 2 ? argv[2] : NULL));
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0)
        return cmd_version();

    cli_opts_t o;
    zt_status_t rc = cli_parse(argc, argv, &o);
    if (rc != ZT_OK)
        return cmd_exit_code(rc); /* ZT_DONE: --help was printed, exit 0 */
    log_set_verbose(o.verbose);
    if (o.stdin_end && fileio_set_stdin_end(o.stdin_end) != 0) {
        log_error("--stdin-end: must be 16..64 letters and digits");
        return EXIT_USAGE;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(&o);
    if (strcmp(cmd, "merge") == 0)
        return cmd_merge(&o);
    if (strcmp(cmd, "watch") == 0)
        return cmd_watch(&o);
    if (strcmp(cmd, "validate") == 0)
        return cmd_validate(&o);
    if (strcmp(cmd, "list") == 0)
        return cmd_list(&o);
    if (strcmp(cmd, "policy") == 0)
        return cmd_policy(&o);
    log_error("unknown command \"%s\"; see 'ztprobe help'", cmd);
    return EXIT_USAGE;
}
