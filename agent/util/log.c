/* log.c: stderr diagnostics, one line each, written with a single write so concurrent
 * processes (watch, several pods in one terminal) do not interleave mid-line. */
#include "log.h"

#include <cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "strbuf.h"

static int log_level;

void log_set_verbose(int level)
{
    log_level = level;
}
int log_verbose_level(void)
{
    return log_level;
}

static void log_emit(const char *fmt, va_list ap)
{
    char buf[2048];
    int n = snprintf(buf, sizeof(buf), "ztprobe: ");
    int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(buf) - 2)
        len = sizeof(buf) - 2;
    /* Messages quote files, servers and peers: no control sequence reaches the terminal. */
    len = (size_t)n + strbuf_term_clean(buf + n, len - (size_t)n);
    buf[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, buf, len);
    (void)w;
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_emit(fmt, ap);
    va_end(ap);
}

void log_verbose(const char *fmt, ...)
{
    if (!log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_emit(fmt, ap);
    va_end(ap);
}

void log_json_line(cJSON *o)
{
    char *line = o ? cJSON_PrintUnformatted(o) : NULL;
    if (line) {
        fprintf(stderr, "%s\n", line);
        fflush(stderr);
    }
    cJSON_free(line);
    cJSON_Delete(o);
}
