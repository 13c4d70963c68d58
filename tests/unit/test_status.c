/* test_status.c: the library's status type (status.h) and the one map from a status to a
 * process exit code (cmd_exit.h): every exit code stays what the reference promises. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cmd_exit.h"
#include "fileio.h"
#include "status.h"

static void test_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(cmd_exit_code(ZT_OK), 0);
    assert_int_equal(cmd_exit_code(ZT_DONE), 0); /* --help */
    assert_int_equal(cmd_exit_code(ZT_ERR_INPUT), 2);
    assert_int_equal(cmd_exit_code(ZT_ERR_NOMEM), 3);
    assert_int_equal(cmd_exit_code(ZT_ERR_INTERNAL), 3);
    assert_int_equal(cmd_exit_code((zt_status_t)-42), 3);
    assert_int_equal(EXIT_USAGE, 2);
    assert_int_equal(EXIT_INTERNAL, 3);
}

/* The values the loaders have always returned (-1 bad input, -2 out of memory) are kept. */
static void test_values_and_names(void **state)
{
    (void)state;
    assert_int_equal(ZT_OK, 0);
    assert_int_equal(ZT_ERR_INPUT, -1);
    assert_int_equal(ZT_ERR_NOMEM, -2);
    assert_string_equal(zt_strerror(ZT_OK), "ok");
    assert_string_equal(zt_strerror(ZT_DONE), "done");
    assert_string_equal(zt_strerror(ZT_ERR_INPUT), "invalid input");
    assert_string_equal(zt_strerror(ZT_ERR_NOMEM), "out of memory");
    assert_string_equal(zt_strerror(ZT_ERR_INTERNAL), "internal error");
    assert_string_equal(zt_strerror((zt_status_t)99), "unknown status");
    char *buf = NULL;
    size_t len = 0;
    char err[256];
    assert_int_equal(fileio_read_capped("/nonexistent/ztprobe", 16, &buf, &len, err, sizeof(err)),
                     ZT_ERR_INPUT);
    assert_null(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_values_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
