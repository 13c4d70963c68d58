/* rusage.c: runs a command and writes its CPU time and peak RSS, as wait4() reports them.
 *
 * Usage: rusage OUTFILE COMMAND [ARG...]
 * OUTFILE gets one line "USER_S SYS_S MAXRSS_KB EXIT" (exit 128+N for a signal N); the exit
 * status is the command's.
 *
 * Why not measure from bench.py: a child forked (or vforked) by a 25 MB Python inherits that
 * peak RSS, and Linux keeps it across exec in ru_maxrss, so every small command would read as
 * 25 MB. Forked from this small program, the floor is about 1 MB, below any measured
 * command. /usr/bin/time would do too, but prints CPU time in 10 ms steps. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: rusage OUTFILE COMMAND [ARG...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "rusage: fork: %s\n", strerror(errno));
        return 127;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "rusage: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "rusage: wait4: %s\n", strerror(errno));
            return 127;
        }
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        fprintf(stderr, "rusage: %s: %s\n", argv[1], strerror(errno));
        return 127;
    }
    fprintf(f, "%ld.%06ld %ld.%06ld %ld %d\n", (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
            (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec, ru.ru_maxrss, code);
    if (fclose(f) != 0)
        return 127;
    return code;
}
