/* output.c: report output. */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
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

int output_stdout(const char *data, size_t len)
{
    return write_all(STDOUT_FILENO, data, len);
}

/* fsync of the folder: the rename itself reaches the disk, so after a node crash the file is
 * the new report or the old one, never a name without its data. */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int output_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    char dir[4096], tmp[4200];
    if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    const char *folder = dirname(dir);
    snprintf(tmp, sizeof(tmp), "%s/.ztprobe-report.XXXXXX", folder);
    /* SIGTERM/SIGINT/SIGHUP wait until the temporary file is renamed or removed: `run --out`
     * killed by its default action mid-write would leave it behind. They are delivered when
     * the mask is restored. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old);
    int rc = -1;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
        goto out;
    }
    if (fchmod(fd, 0644) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        snprintf(err, errlen, "%s: write: %s", tmp, strerror(errno));
        close(fd);
        goto fail;
    }
    if (close(fd) < 0) {
        snprintf(err, errlen, "%s: close: %s", tmp, strerror(errno));
        goto fail;
    }
    if (rename(tmp, path) < 0) {
        snprintf(err, errlen, "%s: rename: %s", path, strerror(errno));
        goto fail;
    }
    if (sync_dir(folder) < 0) {
        snprintf(err, errlen, "%s: fsync of the folder: %s", folder, strerror(errno));
        goto out;
    }
    rc = 0;
    goto out;
fail:
    unlink(tmp);
out:
    sigprocmask(SIG_SETMASK, &old, NULL);
    return rc;
}
