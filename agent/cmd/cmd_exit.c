/* cmd_exit.c: a library status as a process exit code (cmd_exit.h). */
#include "cmd_exit.h"

int cmd_exit_code(zt_status_t s)
{
    switch (s) {
    case ZT_OK:
    case ZT_DONE: return EXIT_ALL_PASSED;
    case ZT_ERR_INPUT: return EXIT_USAGE;
    default: return EXIT_INTERNAL;
    }
}
