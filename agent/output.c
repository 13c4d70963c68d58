/* output.c: report output. */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

int output_stdout(const char *data, size_t len) { return write_all(STDOUT_FILENO, data, len); }

int output_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    char dir[4096], tmp[4200];
    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    snprintf(tmp, sizeof(tmp), "%s/.ztprobe-report.XXXXXX", dirname(dir));
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
        return -1;
    }
    int rc = -1;
    if (fchmod(fd, 0644) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        snprintf(err, errlen, "%s: write: %s", tmp, strerror(errno));
        close(fd);
        goto done;
    }
    if (close(fd) < 0) {
        snprintf(err, errlen, "%s: close: %s", tmp, strerror(errno));
        goto done;
    }
    if (rename(tmp, path) < 0) {
        snprintf(err, errlen, "%s: rename: %s", path, strerror(errno));
        goto done;
    }
    return 0;
done:
    unlink(tmp);
    return rc;
}
