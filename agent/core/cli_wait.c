/* cli_wait.c: the flags that shape `run --wait` (--stable, --every), checked as a whole once
 * every flag is read: each mistake is a usage error that names its flag. */
#include "cli.h"

#include <stdbool.h>

#include "log.h"

int cli_wait_every(const char *s, long *ms)
{
    long v = 0;
    if (watch_parse_interval(s, &v) < 0) {
        log_error("--every: must be a duration like 250ms or 2s, got \"%s\"", s);
        return -1;
    }
    if (v < CLI_EVERY_MIN_MS) {
        log_error("--every %s: must be at least %dms (a faster cadence measures the prober, not the "
                  "network)",
                  s, CLI_EVERY_MIN_MS);
        return -1;
    }
    *ms = v;
    return 0;
}

int cli_wait_check(const cli_opts_t *o)
{
    /* run's rounds come with --wait, watch's with --startup */
    bool watch = o->command && o->command[0] == 'w';
    const char *flag = watch ? "--startup" : "--wait";
    long span = watch ? o->startup_ms : o->wait_ms;
    const char *text = watch ? o->startup : o->wait;
    if ((o->stable || o->every_ms) && span <= 0) {
        log_error("%s: %s needs %s DURATION", o->command, o->stable ? "--stable" : "--every", flag);
        return -1;
    }
    if (o->every_ms > span && span > 0) {
        log_error("--every %ldms is longer than %s %s: no second round would fit", o->every_ms, flag,
                  text ? text : "?");
        return -1;
    }
    return 0;
}
