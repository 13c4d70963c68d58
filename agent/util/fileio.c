/* fileio.c: the capped whole-file reader every input file goes through (fileio.h): strict
 * (regular files only) or as a stream (pipes and FIFOs too, under deadlines; stdin as "-"). */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILEIO_FIRST_CHUNK 4096u

/* A pipe or FIFO is waited on at most fileio_idle_ms for its next bytes or its end, and at
 * most fileio_total_ms in all: a writer that is silent (or trickles) cannot hold the agent. */
static int fileio_idle_ms = 10000;
static int fileio_total_ms = 60000;

/* Stdin read once and split (fileio_stdin_split): the documents after the first, kept for
 * the second reader of "-". */
static struct {
    bool split; /* the next read of "-" returns the first document and keeps the rest */
    bool taken; /* stdin was read */
    size_t max; /* the cap of the whole stream when split */
    char *rest; /* the rest, for the next read of "-" (NULL once handed over) */
    size_t rest_len;
} fileio_stdin;

/* Where a stdin stream that never closes is complete. `kubectl debug -i` keeps the
 * container's stdin open after the client's input ends (no stdinOnce), so EOF never comes:
 * the plugin gives `--stdin-end TOKEN` (random, per run) and ends its input with the line
 * FILEIO_END_PREFIX TOKEN. Nothing else can send that line, so no input can end itself early:
 * a file or a pipe that closes is read to its end, whatever lines it holds. */
#define FILEIO_END_PREFIX "# ztprobe end of input "
#define FILEIO_END_MAX 128 /* the whole marker line */
/* After the marker, a stream that is still open is waited on this long for more bytes or its
 * end: bytes that follow the marker (other than blanks) refuse the input. */
#define FILEIO_END_GRACE_MS 100

static char fileio_end_line[FILEIO_END_MAX]; /* "" unless fileio_set_stdin_end was called */

typedef struct {
    size_t line;  /* where the current (not yet complete) line starts */
    size_t found; /* where the marker line starts; SIZE_MAX until seen */
    size_t after; /* where the bytes after the marker line start */
} fileio_end_t;

/* Scans the complete lines of b[e->line..have) for the marker line ("\r\n" ends a line too);
 * at_eof: the last line counts without its newline. True once the marker is found. */
static bool fileio_end_scan(fileio_end_t *e, const char *b, size_t have, bool at_eof)
{
    size_t mlen = strlen(fileio_end_line);
    while (e->found == SIZE_MAX && e->line < have) {
        const char *nl = memchr(b + e->line, '\n', have - e->line);
        if (!nl && !at_eof)
            break;
        size_t end = nl ? (size_t)(nl - b) : have, n = end - e->line;
        if (n > 0 && b[e->line + n - 1] == '\r')
            n--;
        if (n == mlen && memcmp(b + e->line, fileio_end_line, mlen) == 0) {
            e->found = e->line;
            e->after = nl ? end + 1 : have;
        }
        e->line = nl ? end + 1 : have;
    }
    return e->found != SIZE_MAX;
}

/* True when b[from..to) holds only blanks (space, tab, CR, LF). */
static bool fileio_blank(const char *b, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n')
            return false;
    return true;
}

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
    /* The first block is the size asked for (a regular file's size is known: a 2.3 MB file
     * takes 2.3 MB, not the 4 MB of the next power of two); later ones double. */
    size_t ncap = *cap ? *cap : (want > FILEIO_FIRST_CHUNK ? want : FILEIO_FIRST_CHUNK);
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

static int64_t fileio_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd has bytes or its end (1), or the idle or total deadline passed (0), or poll
 * failed (-1). A FIFO that never had a writer is not readable before one comes (Linux). */
static int fileio_wait(int fd, int64_t idle_until, int64_t total_until)
{
    for (;;) {
        int64_t until = idle_until < total_until ? idle_until : total_until;
        int64_t left = until - fileio_now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r;
        return 1;
    }
}

/* Reads to EOF, at most max bytes; one byte past max proves the input is too large (a pipe
 * or a /proc file has no trustworthy st_size). hint sizes the first allocation. timed: a
 * pipe, FIFO or socket, read under the deadlines (poll before every read). end: the input
 * must hold the marker line (fileio_set_stdin_end) with only blanks after it; a timed stream
 * still open FILEIO_END_GRACE_MS after it ends there, since it may never close. */
static int fileio_read_all(int fd, const char *name, size_t max, size_t hint, bool timed, fileio_end_t *end,
                           char **out, size_t *len, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t cap = 0, have = 0;
    zt_status_t rc = ZT_ERR_INPUT;
    bool grace = false; /* the marker was read from a timed stream: waiting for more or its end */
    int64_t start = fileio_now_ms(), idle_until = start + fileio_idle_ms;
    int64_t total_until = start + fileio_total_ms;
    size_t first = hint < max ? hint + 1 : max + 1;
    if (fileio_grow(&buf, &cap, 0, first < FILEIO_FIRST_CHUNK ? FILEIO_FIRST_CHUNK : first) < 0)
        goto oom;
    for (;;) {
        if (have == cap && fileio_grow(&buf, &cap, have, cap + 1) < 0)
            goto oom;
        size_t room = cap - have;
        if (have + room > max + 1)
            room = max + 1 - have;
        if (timed) {
            int w = fileio_wait(fd, idle_until, total_until);
            if (w == 0 && grace)
                break; /* still open and silent after the marker: the input is complete */
            if (w == 0) {
                if (idle_until <= total_until)
                    snprintf(err, errlen,
                             "%s: cannot read: no data and no end of input for %d s (a pipe or "
                             "FIFO whose writer is silent?)",
                             name, fileio_idle_ms / 1000);
                else
                    snprintf(err, errlen, "%s: cannot read: a pipe or FIFO still not at its end after %d s",
                             name, fileio_total_ms / 1000);
                goto fail;
            }
            if (w < 0) {
                snprintf(err, errlen, "%s: cannot read: %s", name, strerror(errno));
                goto fail;
            }
        }
        ssize_t r = read(fd, buf + have, room);
        if (r < 0 && (errno == EINTR || (timed && (errno == EAGAIN || errno == EWOULDBLOCK))))
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: cannot read: %s", name, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        have += (size_t)r;
        idle_until = fileio_now_ms() + fileio_idle_ms;
        if (have > max) {
            snprintf(err, errlen, "%s: larger than the %zu-byte limit", name, max);
            goto fail;
        }
        if (end && fileio_end_scan(end, buf, have, false)) {
            if (!fileio_blank(buf, end->after, have))
                goto trailing;
            if (timed) {
                grace = true;
                idle_until = fileio_now_ms() + FILEIO_END_GRACE_MS;
            }
        }
    }
    if (end) {
        if (!fileio_end_scan(end, buf, have, true)) {
            snprintf(err, errlen,
                     "%s: cannot read: the input ended without its end line (--stdin-end was given: "
                     "cut short?)",
                     name);
            goto fail;
        }
        if (!fileio_blank(buf, end->after, have))
            goto trailing;
        explicit_bzero(buf + end->found, have - end->found);
        have = end->found;
    }
    buf[have] = '\0';
    *out = buf;
    *len = have;
    return ZT_OK;
trailing:
    snprintf(err, errlen, "%s: cannot read: bytes after the end line of the input (--stdin-end): refused",
             name);
    goto fail;
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

zt_status_t fileio_read_fd_capped(int fd, const char *name, size_t max, char **buf, size_t *len, char *err,
                                  size_t errlen)
{
    *buf = NULL;
    *len = 0;
    return fileio_read_all(fd, name, max, FILEIO_FIRST_CHUNK, false, NULL, buf, len, err, errlen);
}

zt_status_t fileio_read_capped(const char *path, size_t max, char **buf, size_t *len, char *err,
                               size_t errlen)
{
    struct stat st;
    zt_status_t rc = ZT_ERR_INPUT;
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
        snprintf(err, errlen, "%s: %jd bytes, larger than the %zu-byte limit", path, (intmax_t)st.st_size,
                 max);
        goto done;
    }
    rc = fileio_read_all(fd, path, max, (size_t)st.st_size, false, NULL, buf, len, err, errlen);
done:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* What fileio_read_stream_capped takes: a regular file, or a pipe, FIFO or (stdin only) a
 * socket, read under the deadlines. A device (a terminal, /dev/zero) or a folder is refused. */
static int fileio_stream_fd(int fd, const char *name, bool is_stdin, size_t max, char **buf, size_t *len,
                            char *err, size_t errlen)
{
    struct stat st;
    /* stdin ends at the plugin's marker line when one was set (fileio_set_stdin_end). */
    fileio_end_t end = {.found = SIZE_MAX};
    fileio_end_t *endp = is_stdin && fileio_end_line[0] ? &end : NULL;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", name, strerror(errno));
        return ZT_ERR_INPUT;
    }
    if (S_ISREG(st.st_mode)) {
        if ((uintmax_t)st.st_size > (uintmax_t)max) {
            snprintf(err, errlen, "%s: %jd bytes, larger than the %zu-byte limit", name, (intmax_t)st.st_size,
                     max);
            return ZT_ERR_INPUT;
        }
        return fileio_read_all(fd, name, max, (size_t)st.st_size, false, endp, buf, len, err, errlen);
    }
    if (S_ISFIFO(st.st_mode) || (is_stdin && S_ISSOCK(st.st_mode)))
        return fileio_read_all(fd, name, max, FILEIO_FIRST_CHUNK, true, endp, buf, len, err, errlen);
    snprintf(err, errlen, "%s: cannot read: %s%s", name, fileio_type_name(st.st_mode),
             S_ISCHR(st.st_mode) && isatty(fd) ? " (a terminal: give the input on a pipe or a file)" : "");
    return ZT_ERR_INPUT;
}

/* Where the second YAML document of text starts (a line "---", or "--- " and more), the
 * optional marker opening the first one aside; len when there is none. */
static size_t fileio_second_document(const char *text, size_t len)
{
    bool first_marker_seen = false;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = end - i;
        if (n >= 3 && memcmp(text + i, "---", 3) == 0 &&
            (n == 3 || text[i + 3] == ' ' || text[i + 3] == '\t' || text[i + 3] == '\r')) {
            if (first_marker_seen)
                return i;
        }
        /* Only blank lines and comments may come before the first document's own marker. */
        bool blank = true;
        for (size_t k = i; k < end && blank; k++)
            blank = text[k] == ' ' || text[k] == '\t' || text[k] == '\r';
        if (!blank && text[i] != '#')
            first_marker_seen = true;
        i = end + 1;
    }
    return len;
}

void fileio_stdin_split(size_t max)
{
    fileio_stdin.split = true;
    fileio_stdin.max = max;
}

/* "-" when stdin is split: the first call reads it whole and returns the first document, the
 * second the rest (as its own buffer), a third finds it used up. */
static int fileio_stdin_part(size_t max, char **buf, size_t *len, char *err, size_t errlen)
{
    if (fileio_stdin.taken) {
        if (!fileio_stdin.rest) {
            snprintf(err, errlen,
                     "-: stdin was already read (give '-' once: to -c, --policies, -f or merge)");
            return ZT_ERR_INPUT;
        }
        if (fileio_stdin.rest_len > max) {
            snprintf(err, errlen, "-: the documents after the config: larger than the %zu-byte limit", max);
            return ZT_ERR_INPUT;
        }
        *buf = fileio_stdin.rest;
        *len = fileio_stdin.rest_len;
        fileio_stdin.rest = NULL;
        return ZT_OK;
    }
    char *all = NULL;
    size_t n = 0;
    fileio_stdin.taken = true;
    int rc = fileio_stream_fd(STDIN_FILENO, "-", true, fileio_stdin.max, &all, &n, err, errlen);
    if (rc != ZT_OK)
        return rc;
    size_t cut = fileio_second_document(all, n);
    if (cut > max) {
        snprintf(err, errlen, "-: the first document: larger than the %zu-byte limit", max);
        explicit_bzero(all, n);
        free(all);
        return ZT_ERR_INPUT;
    }
    char *rest = malloc(n - cut + 1);
    if (!rest) {
        explicit_bzero(all, n);
        free(all);
        snprintf(err, errlen, "-: out of memory");
        return ZT_ERR_NOMEM;
    }
    memcpy(rest, all + cut, n - cut);
    rest[n - cut] = '\0';
    explicit_bzero(all + cut, n - cut);
    all[cut] = '\0';
    fileio_stdin.rest = rest;
    fileio_stdin.rest_len = n - cut;
    *buf = all;
    *len = cut;
    return ZT_OK;
}

zt_status_t fileio_read_stream_capped(const char *path, size_t max, char **buf, size_t *len, char *err,
                                      size_t errlen)
{
    *buf = NULL;
    *len = 0;
    if (strcmp(path, "-") == 0) {
        if (fileio_stdin.split)
            return fileio_stdin_part(max, buf, len, err, errlen);
        if (fileio_stdin.taken) {
            snprintf(err, errlen,
                     "-: stdin was already read (give '-' once: to -c, --policies, -f or merge)");
            return ZT_ERR_INPUT;
        }
        fileio_stdin.taken = true;
        return fileio_stream_fd(STDIN_FILENO, "-", true, max, buf, len, err, errlen);
    }
    /* O_NONBLOCK: opening a FIFO with no writer would block; it is then waited on in poll. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return ZT_ERR_INPUT;
    }
    int rc = fileio_stream_fd(fd, path, false, max, buf, len, err, errlen);
    close(fd);
    return rc;
}

void fileio_set_deadlines(int idle_ms, int total_ms)
{
    fileio_idle_ms = idle_ms;
    fileio_total_ms = total_ms;
}

int fileio_set_stdin_end(const char *token)
{
    size_t n = strlen(token);
    if (n < 16 || n > 64 ||
        strspn(token, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != n)
        return -1;
    snprintf(fileio_end_line, sizeof(fileio_end_line), "%s%s", FILEIO_END_PREFIX, token);
    return 0;
}
