/* test_fileio.c: the one capped file reader (agent/util/fileio.c) and the loaders built on it:
 * regular files and links to them are read, a FIFO, a socket, a device or a folder is refused
 * at once by the strict reader (a FIFO with no writer hung the config and labels readers
 * before), the stream reader (config, objects) takes pipes and FIFOs under deadlines and
 * stdin as "-", split into the config and the objects; the cap holds, and every loader
 * returns the convention of fileio.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fileio.h"
#include "labels.h"
#include "postgres.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/zt-fileio-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
    static char p[4][128];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
    return p[i];
}

static const char *put(const char *name, const char *content, size_t len)
{
    const char *p = path_of(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    fclose(f);
    return p;
}

static void test_regular_and_link(void **state)
{
    (void)state;
    char *buf = NULL, err[256];
    size_t len = 0;
    const char *f = put("plain", "hello\n", 6);
    assert_int_equal(fileio_read_capped(f, 6, &buf, &len, err, sizeof(err)), ZT_OK);
    assert_int_equal(len, 6);
    assert_string_equal(buf, "hello\n");
    free(buf);
    /* ConfigMap and Secret volumes: ..data/key behind a symlink; links are followed. */
    const char *l = path_of("link");
    assert_int_equal(symlink(f, l), 0);
    assert_int_equal(fileio_read_capped(l, 100, &buf, &len, err, sizeof(err)), ZT_OK);
    assert_string_equal(buf, "hello\n");
    free(buf);
    /* Empty is a valid file: "" with length 0. */
    f = put("empty", "", 0);
    assert_int_equal(fileio_read_capped(f, 100, &buf, &len, err, sizeof(err)), ZT_OK);
    assert_int_equal(len, 0);
    assert_string_equal(buf, "");
    free(buf);
}

static void test_cap(void **state)
{
    (void)state;
    char *buf = NULL, err[256];
    size_t len = 0;
    size_t n = 100000; /* several growth steps past the first chunk */
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'x', n);
    const char *f = put("big", big, n);
    assert_int_equal(fileio_read_capped(f, n, &buf, &len, err, sizeof(err)), ZT_OK);
    assert_int_equal(len, n);
    assert_memory_equal(buf, big, n);
    free(buf);
    assert_int_equal(fileio_read_capped(f, n - 1, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    assert_null(buf);
    char want[256];
    snprintf(want, sizeof(want), "%s: 100000 bytes, larger than the 99999-byte limit", f);
    assert_string_equal(err, want);
    free(big);
}

static void test_not_regular(void **state)
{
    (void)state;
    char *buf = NULL, err[256];
    size_t len = 0;
    /* A FIFO with no writer: open(2) without O_NONBLOCK blocks forever. */
    const char *fifo = path_of("fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(fileio_read_capped(fifo, 100, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, "is a FIFO, not a regular file"));
    assert_null(buf);
    /* The same FIFO behind a link, as a ConfigMap volume would show it. */
    const char *fl = path_of("fifo-link");
    assert_int_equal(symlink(fifo, fl), 0);
    assert_int_equal(fileio_read_capped(fl, 100, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, "FIFO"));

    assert_int_equal(fileio_read_capped("/dev/zero", 100, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    assert_string_equal(err, "/dev/zero: cannot read: is a device, not a regular file");
    assert_int_equal(fileio_read_capped(dir, 100, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, ": cannot read: is a directory"));

    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path_of("sock"));
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(fileio_read_capped(sa.sun_path, 100, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, ": cannot read: ")); /* open(2) itself says ENXIO */
    close(s);

    assert_int_equal(fileio_read_capped(path_of("absent"), 100, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, ": cannot read: No such file or directory"));
}

/* The labels and password loaders refuse a FIFO through the one reader, with the one return
 * convention; the config loader waits on it, within its deadline. */
static void test_loaders_refuse_fifo(void **state)
{
    (void)state;
    char err[512];
    const char *fifo = path_of("fifo2");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    config_t *cfg = NULL;
    fileio_set_deadlines(200, 1000);
    assert_int_equal(config_load_file(fifo, &cfg, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, "no data and no end of input"));
    fileio_set_deadlines(10000, 60000);
    labels_t l;
    assert_int_equal(labels_load_file(fifo, &l, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, "FIFO"));
    config_probe_t p = {.kind = KIND_POSTGRES, .password_file = (char *)fifo};
    char pw[64];
    assert_int_equal(pg_probe_password(&p, pw, sizeof(pw), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "password_file "));
    assert_non_null(strstr(err, "FIFO"));
}

static void test_fd(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "abcdef", 6), 6);
    close(fds[1]);
    char *buf = NULL, err[256];
    size_t len = 0;
    assert_int_equal(fileio_read_fd_capped(fds[0], "-", 5, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    assert_string_equal(err, "-: larger than the 5-byte limit");
    close(fds[0]);
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "abc", 3), 3);
    close(fds[1]);
    assert_int_equal(fileio_read_fd_capped(fds[0], "-", 5, &buf, &len, err, sizeof(err)), ZT_OK);
    assert_string_equal(buf, "abc");
    free(buf);
    close(fds[0]);
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Writes text to path (a FIFO) from a child after delay_ms, then ends: the writer of a
 * process substitution. */
static pid_t fifo_writer(const char *path, const char *text, int delay_ms)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct timespec d = {.tv_sec = delay_ms / 1000, .tv_nsec = (delay_ms % 1000) * 1000000L};
        nanosleep(&d, NULL);
        FILE *f = fopen(path, "w");
        if (!f || fputs(text, f) < 0)
            _exit(1);
        _exit(fclose(f) == 0 ? 0 : 1);
    }
    return pid;
}

/* Pipes and FIFOs: read when their writer ends, an error naming the file in bounded time when
 * it stays silent, refused at once when a device or folder. */
static void test_stream(void **state)
{
    (void)state;
    char *buf = NULL, err[256];
    size_t len = 0;
    int status;
    fileio_set_deadlines(300, 2000);
    const char *fifo = path_of("sfifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    /* The writer opens late (after the reader polls): still read whole. */
    pid_t w = fifo_writer(fifo, "{\"version\": 1}", 100);
    assert_int_equal(fileio_read_stream_capped(fifo, 100, &buf, &len, err, sizeof(err)), ZT_OK);
    assert_string_equal(buf, "{\"version\": 1}");
    free(buf);
    assert_int_equal(waitpid(w, &status, 0), w);
    /* Nobody writes: an error after the idle deadline, not a hang. */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(fileio_read_stream_capped(fifo, 100, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    long ms = ms_since(&t0);
    assert_true(ms >= 250 && ms < 1500);
    assert_null(buf);
    char want[256];
    snprintf(want, sizeof(want), "%s: cannot read: no data and no end of input for 0 s", fifo);
    assert_memory_equal(err, want, strlen(want));
    /* /dev/fd/N of a pipe whose writer stays open and silent: the same. */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "ab", 2), 2);
    char fdpath[64];
    snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fds[0]);
    assert_int_equal(fileio_read_stream_capped(fdpath, 100, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, "no data and no end of input"));
    /* ... and read when it ends; the cap holds on a pipe. */
    assert_int_equal(write(fds[1], "cdef", 4), 4);
    close(fds[1]);
    assert_int_equal(fileio_read_stream_capped(fdpath, 3, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    snprintf(want, sizeof(want), "%s: larger than the 3-byte limit", fdpath);
    assert_string_equal(err, want);
    close(fds[0]);
    /* A trickle never reaches its end: the total deadline. */
    assert_int_equal(pipe(fds), 0);
    snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fds[0]);
    pid_t tr = fork();
    assert_true(tr >= 0);
    if (tr == 0) {
        close(fds[0]);
        for (int i = 0; i < 40; i++) {
            struct timespec d = {.tv_nsec = 100000000L};
            if (write(fds[1], "x", 1) != 1)
                _exit(0);
            nanosleep(&d, NULL);
        }
        _exit(0);
    }
    close(fds[1]);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(fileio_read_stream_capped(fdpath, 1000, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    ms = ms_since(&t0);
    assert_true(ms >= 1900 && ms < 3500);
    assert_non_null(strstr(err, "still not at its end after 2 s"));
    close(fds[0]);
    assert_int_equal(waitpid(tr, &status, 0), tr);
    /* Devices and folders stay refused, at once. */
    assert_int_equal(fileio_read_stream_capped("/dev/zero", 100, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    assert_string_equal(err, "/dev/zero: cannot read: is a device, not a regular file");
    assert_int_equal(fileio_read_stream_capped(dir, 100, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, ": cannot read: is a directory"));
    /* A config loads from a FIFO (a process substitution). */
    config_t *cfg = NULL;
    w = fifo_writer(fifo,
                    "{\"version\": 1, \"roles\": {\"a\": {\"probes\": [{\"name\": \"d\", "
                    "\"kind\": \"http\", \"url\": \"http://b:3000/\", \"expect\": \"allow\"}]}}}",
                    50);
    int rc = config_load_file(fifo, &cfg, err, sizeof(err));
    if (rc != ZT_OK)
        fail_msg("%s", err);
    assert_non_null(cfg);
    config_free(cfg);
    assert_int_equal(waitpid(w, &status, 0), w);
    fileio_set_deadlines(10000, 60000);
}

/* Reads "-" in a child whose stdin is a pipe holding input and left open (as kubectl debug -i
 * leaves the container's stdin), split or not; the parts read, NUL-separated, into out.
 * Returns the milliseconds the reads took, or -1 when one failed. */
static long stdin_child(const char *input, bool split, const char *token, char *out, size_t outlen)
{
    int in[2], res[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(res), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(in[1]);
        close(res[0]);
        dup2(in[0], STDIN_FILENO);
        if (split)
            fileio_stdin_split(1000);
        if (token && fileio_set_stdin_end(token) != 0)
            _exit(2);
        fileio_set_deadlines(1500, 5000);
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        char *buf = NULL, err[256];
        size_t len = 0;
        for (int i = 0; i < (split ? 2 : 1); i++) {
            if (fileio_read_stream_capped("-", 1000, &buf, &len, err, sizeof(err)) != ZT_OK)
                _exit(1);
            if (write(res[1], buf, len + 1) != (ssize_t)(len + 1))
                _exit(1);
            free(buf);
        }
        long ms = ms_since(&t0);
        if (write(res[1], &ms, sizeof(ms)) != (ssize_t)sizeof(ms))
            _exit(1);
        _exit(0);
    }
    close(in[0]);
    close(res[1]);
    assert_int_equal(write(in[1], input, strlen(input)), (ssize_t)strlen(input));
    size_t have = 0;
    ssize_t r;
    while ((r = read(res[0], out + have, outlen - have)) > 0)
        have += (size_t)r;
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(in[1]); /* only now: the child never saw the end of its stdin */
    close(res[0]);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || have < sizeof(long))
        return -1;
    long ms;
    memcpy(&ms, out + have - sizeof(ms), sizeof(ms));
    return ms;
}

#define TOK "0123456789abcdefABCDEF"
#define END_LINE "# ztprobe end of input " TOK "\n"

/* stdin that is never closed ends at the plugin's marker line (--stdin-end TOKEN), well before
 * the idle deadline, also after the objects of -c - --policies -; nothing else ends it: a line
 * "...", a closing brace, or a marker with another token wait for the deadline and fail. */
static void test_stdin_end(void **state)
{
    (void)state;
    char out[512];
    long ms = stdin_child("{\"version\": 1, \"s\": \"}\\\"{\"}\n" END_LINE, false, TOK, out, sizeof(out));
    assert_true(ms >= 0 && ms < 1000);
    assert_string_equal(out, "{\"version\": 1, \"s\": \"}\\\"{\"}\n");
    ms = stdin_child("version: 1\nroles: {}\n...\n" END_LINE "\n  \n", false, TOK, out, sizeof(out));
    assert_true(ms >= 0 && ms < 1000);
    assert_string_equal(out, "version: 1\nroles: {}\n...\n");
    ms = stdin_child("{\"version\": 1}\n---\nkind: Pod\n...\n---\nkind: Service\n" END_LINE, true, TOK, out,
                     sizeof(out));
    assert_true(ms >= 0 && ms < 1000);
    assert_string_equal(out, "{\"version\": 1}\n");
    assert_string_equal(out + strlen(out) + 1, "---\nkind: Pod\n...\n---\nkind: Service\n");
    /* No flag: "..." and a closing brace end nothing (the idle deadline does). */
    assert_int_equal(stdin_child("version: 1\nroles: {}\n...\n", false, NULL, out, sizeof(out)), -1);
    assert_int_equal(stdin_child("{\"version\": 1}\n", false, NULL, out, sizeof(out)), -1);
    /* Another token, or bytes after the marker: refused. */
    assert_int_equal(stdin_child("version: 1\n# ztprobe end of input 0123456789abcdefABCDEX\n", false, TOK,
                                 out, sizeof(out)),
                     -1);
    assert_int_equal(stdin_child("version: 1\n" END_LINE "kind: Pod\n", false, TOK, out, sizeof(out)), -1);
    assert_int_equal(fileio_set_stdin_end("short"), -1);
    assert_int_equal(fileio_set_stdin_end("0123456789abcdef-"), -1);
}

/* stdin from a regular file or a pipe that closes is read to its end: a line "..." hides
 * nothing. With a marker, the whole file is checked: bytes after the marker are refused. */
static void test_stdin_file(void **state)
{
    (void)state;
    static const char in[] = "kind: Pod\n...\n---\nkind: NetworkPolicy\n";
    char path[] = "/tmp/zt-fileio-stdin-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, in, sizeof(in) - 1), (ssize_t)(sizeof(in) - 1));
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    unlink(path);
    /* In a child: stdin is read once per process. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd, STDIN_FILENO);
        char *buf = NULL, err[256];
        size_t len = 0;
        if (fileio_read_stream_capped("-", 1000, &buf, &len, err, sizeof(err)) != ZT_OK)
            _exit(1);
        _exit(strcmp(buf, in) == 0 ? 0 : 3);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(fd);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* -c - --policies -: stdin read once, the first document (after its optional ---) to the
 * config, the rest to the objects, a third reader refused. */
static void test_stdin_split(void **state)
{
    (void)state;
    static const char in[] =
        "# the config\n---\n{\"version\": 1}\n---\nkind: NetworkPolicy\n---\nkind: Pod\n";
    int fds[2], saved = dup(STDIN_FILENO);
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], in, sizeof(in) - 1), (ssize_t)(sizeof(in) - 1));
    close(fds[1]);
    assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
    close(fds[0]);
    char *buf = NULL, err[256];
    size_t len = 0;
    fileio_stdin_split(1000);
    assert_int_equal(fileio_read_stream_capped("-", 100, &buf, &len, err, sizeof(err)), ZT_OK);
    assert_string_equal(buf, "# the config\n---\n{\"version\": 1}\n");
    assert_int_equal(len, strlen(buf));
    free(buf);
    assert_int_equal(fileio_read_stream_capped("-", 100, &buf, &len, err, sizeof(err)), ZT_OK);
    assert_string_equal(buf, "---\nkind: NetworkPolicy\n---\nkind: Pod\n");
    free(buf);
    assert_int_equal(fileio_read_stream_capped("-", 100, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, "stdin was already read"));
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regular_and_link),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_not_regular),
        cmocka_unit_test(test_loaders_refuse_fifo),
        cmocka_unit_test(test_fd),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_stdin_end),
        cmocka_unit_test(test_stdin_file),
        cmocka_unit_test(test_stdin_split),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
