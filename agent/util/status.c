/* status.c: the names of the library's statuses (status.h). */
#include "status.h"

const char *zt_strerror(zt_status_t s)
{
    switch (s) {
    case ZT_DONE: return "done";
    case ZT_OK: return "ok";
    case ZT_ERR_INPUT: return "invalid input";
    case ZT_ERR_NOMEM: return "out of memory";
    case ZT_ERR_INTERNAL: return "internal error";
    default: return "unknown status";
    }
}
