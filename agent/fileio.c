/* fileio.c: the capped whole-file reader every input file goes through (fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILEIO_FIRST_CHUNK 4096u

static const char *fileio_type_name(mode_t m)
{
    if (S_ISDIR(m))
        return "is a directory";
    if (S_ISFIFO(m))
        return "is a FIFO, not a regular file";
    if (S_ISSOCK(m))
        return "is a socket, not a regular file";
    if (S_ISCHR(m) || S_ISBLK(m))
        return "is a device, not a regular file";
    return "not a regular file";
}

/* Grows *buf to hold at least want + 1 bytes. A new block and a copy rather than realloc:
 * the old block is wiped before it is freed, so a secret leaves no copy in the heap. */
static int fileio_grow(char **buf, size_t *cap, size_t have, size_t want)
{
    size_t ncap = *cap ? *cap : FILEIO_FIRST_CHUNK;
    while (ncap < want)
        ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
    char *nb = malloc(ncap + 1);
    if (!nb)
        return -1;
    if (*buf) {
        memcpy(nb, *buf, have);
        explicit_bzero(*buf, *cap + 1);
        free(*buf);
    }
    *buf = nb;
    *cap = ncap;
    return 0;
}

/* Reads to EOF, at most max bytes; one byte past max proves the input is too large (a pipe
 * or a /proc file has no trustworthy st_size). hint sizes the first allocation. */
static int fileio_read_all(int fd, const char *name, size_t max, size_t hint, char **out,
                           size_t *len, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t cap = 0, have = 0;
    int rc = ZT_ERR_INPUT;
    size_t first = hint < max ? hint + 1 : max + 1;
    if (fileio_grow(&buf, &cap, 0, first < FILEIO_FIRST_CHUNK ? FILEIO_FIRST_CHUNK : first) < 0)
        goto oom;
    for (;;) {
        if (have == cap && fileio_grow(&buf, &cap, have, cap + 1) < 0)
            goto oom;
        size_t room = cap - have;
        if (have + room > max + 1)
            room = max + 1 - have;
        ssize_t r = read(fd, buf + have, room);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: cannot read: %s", name, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        have += (size_t)r;
        if (have > max) {
            snprintf(err, errlen, "%s: larger than the %zu-byte limit", name, max);
            goto fail;
        }
    }
    buf[have] = '\0';
    *out = buf;
    *len = have;
    return ZT_OK;
oom:
    snprintf(err, errlen, "%s: out of memory", name);
    rc = ZT_ERR_NOMEM;
fail:
    if (buf) {
        explicit_bzero(buf, cap + 1);
        free(buf);
    }
    return rc;
}

int fileio_read_fd_capped(int fd, const char *name, size_t max, char **buf, size_t *len,
                          char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    return fileio_read_all(fd, name, max, FILEIO_FIRST_CHUNK, buf, len, err, errlen);
}

int fileio_read_capped(const char *path, size_t max, char **buf, size_t *len, char *err,
                       size_t errlen)
{
    struct stat st;
    int rc = ZT_ERR_INPUT;
    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO with no writer would block here; the fstat below refuses it. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: cannot read: %s", path, fileio_type_name(st.st_mode));
        goto done;
    }
    if ((uintmax_t)st.st_size > (uintmax_t)max) {
        snprintf(err, errlen, "%s: %jd bytes, larger than the %zu-byte limit", path,
                 (intmax_t)st.st_size, max);
        goto done;
    }
    rc = fileio_read_all(fd, path, max, (size_t)st.st_size, buf, len, err, errlen);
done:
    if (fd >= 0)
        close(fd);
    return rc;
}
