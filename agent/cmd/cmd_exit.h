/* cmd_exit.h: the process exit codes (the reference, "Exit codes"), and the one place a
 * library status (status.h) becomes one. Only the command layer includes it. */
#ifndef ZT_CMD_EXIT_H
#define ZT_CMD_EXIT_H

#include "status.h"

#define EXIT_ALL_PASSED 0
#define EXIT_PROBE_FAILED 1
#define EXIT_USAGE 2
#define EXIT_INTERNAL 3

/* ZT_OK and ZT_DONE: 0; ZT_ERR_INPUT: EXIT_USAGE; ZT_ERR_NOMEM, ZT_ERR_INTERNAL and anything
 * else: EXIT_INTERNAL. */
int cmd_exit_code(zt_status_t s);

#endif
