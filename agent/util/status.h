/* status.h: the one status type of the library code. Every module below the commands returns a
 * zt_status_t (or a count, a pointer or a bool where nothing can fail); only the command layer
 * (agent/cmd) turns a status into a process exit code (cmd_exit.h). Messages are logged or
 * written into an err buffer where the failure happens; the status says only which kind of
 * failure it was. */
#ifndef ZT_STATUS_H
#define ZT_STATUS_H

typedef enum {
    /* Nothing failed, and the caller has nothing more to do (help was printed, a stop request
     * abandoned a round). */
    ZT_DONE = 1,
    ZT_OK = 0,
    /* The input is unusable: a file cannot be opened or read, is not a regular file, is over
     * its cap, or does not parse; a flag or a config value is wrong. It is the user's to fix
     * (exit 2). */
    ZT_ERR_INPUT = -1,
    ZT_ERR_NOMEM = -2, /* out of memory (exit 3) */
    /* Anything else that stops the command: a library that cannot start, output that cannot be
     * written (exit 3). */
    ZT_ERR_INTERNAL = -3,
} zt_status_t;

/* "ok", "invalid input", "out of memory", ...; "unknown status" for other values. */
const char *zt_strerror(zt_status_t s);

#endif
