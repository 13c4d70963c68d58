/* test_fileio.c: the one capped file reader (agent/fileio.c) and the loaders built on it:
 * regular files and links to them are read, a FIFO, a socket, a device or a folder is refused
 * at once (a FIFO with no writer hung the config and labels readers before), the cap holds,
 * and every loader returns the convention of fileio.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

    assert_int_equal(fileio_read_capped("/dev/zero", 100, &buf, &len, err, sizeof(err)),
                     ZT_ERR_INPUT);
    assert_string_equal(err, "/dev/zero: cannot read: is a device, not a regular file");
    assert_int_equal(fileio_read_capped(dir, 100, &buf, &len, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, ": cannot read: is a directory"));

    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(s >= 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path_of("sock"));
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(fileio_read_capped(sa.sun_path, 100, &buf, &len, err, sizeof(err)),
                     ZT_ERR_INPUT);
    assert_non_null(strstr(err, ": cannot read: ")); /* open(2) itself says ENXIO */
    close(s);

    assert_int_equal(fileio_read_capped(path_of("absent"), 100, &buf, &len, err, sizeof(err)),
                     ZT_ERR_INPUT);
    assert_non_null(strstr(err, ": cannot read: No such file or directory"));
}

/* Every loader refuses a FIFO through the one reader, with the one return convention. */
static void test_loaders_refuse_fifo(void **state)
{
    (void)state;
    char err[512];
    const char *fifo = path_of("fifo2");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    config_t *cfg = NULL;
    assert_int_equal(config_load_file(fifo, &cfg, err, sizeof(err)), ZT_ERR_INPUT);
    assert_non_null(strstr(err, "FIFO"));
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
    assert_int_equal(fileio_read_fd_capped(fds[0], "-", 5, &buf, &len, err, sizeof(err)),
                     ZT_ERR_INPUT);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regular_and_link),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_not_regular),
        cmocka_unit_test(test_loaders_refuse_fifo),
        cmocka_unit_test(test_fd),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
