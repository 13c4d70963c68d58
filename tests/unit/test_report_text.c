/* test_report_text.c: the text table a person reads (report_render_text) on the shared sample
 * report: columns, hints and details, colours, and the bytes a server may put in a detail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "sample_report.h"

static void test_text(void **state)
{
    (void)state;
    sample_t sm;
    sample_report(&sm);
    /* A server's escape sequence in a detail is neutralised. */
    result_printf(&sm.res[1], RESULT_DETAIL, "HTTP 301 \x1b[2Jclear");
    char *t = report_render_text(&sm.r, false);
    assert_non_null(t);
    assert_null(strchr(t, '\x1b'));
    assert_non_null(strstr(t, "role backend, pod govtech/backend-7d9f"));
    assert_non_null(strstr(t, "3 probes: 1 passed, 1 failed, 1 inconclusive"));
    assert_non_null(strstr(t, "dns_blocked: allow UDP and TCP 53 to kube-dns"));
    assert_non_null(strstr(t, "    hint: The path is open: check the policy & labels.\n"));
    assert_non_null(strstr(t, "    hint: No DNS server answered.\n"));
    assert_non_null(strstr(t, "    detail: HTTP 301 ?[2Jclear\n"));
    assert_null(strstr(t, "detail: PostgreSQL")); /* passes show no detail line */

    /* Columns line up: each header word starts where its cell starts in every row. */
    const char *hdr = strstr(t, "PROBE");
    assert_non_null(hdr);
    const char *hdr_end = strchr(hdr, '\n');
    size_t kind_col = (size_t)(strstr(hdr, "KIND") - hdr);
    size_t verdict_col = (size_t)(strstr(hdr, "VERDICT") - hdr);
    size_t outcome_col = (size_t)(strstr(hdr, "OUTCOME") - hdr);
    size_t ms_end = (size_t)(hdr_end - hdr);
    const char *names[] = {"postgres ", "no-plain-http-out ", "cluster-dns "};
    const char *verdicts[] = {"pass", "fail", "inconclusive"};
    const char *outcomes[] = {"ok", "http_status", "dns_timeout"};
    const char *ms[] = {"8.1", "30.0", "3000.0"};
    for (int i = 0; i < 3; i++) {
        const char *row = strstr(hdr_end, names[i]);
        assert_non_null(row);
        assert_true(row[-1] == '\n');
        const char *row_end = strchr(row, '\n');
        assert_int_equal(strncmp(row + kind_col, i == 0 ? "postgres" : i == 1 ? "http" : "dns", 3), 0);
        assert_int_equal(strncmp(row + verdict_col, verdicts[i], strlen(verdicts[i])), 0);
        assert_int_equal(strncmp(row + outcome_col, outcomes[i], strlen(outcomes[i])), 0);
        assert_int_equal((size_t)(row_end - row), ms_end); /* MS right-aligned */
        assert_int_equal(strncmp(row_end - strlen(ms[i]), ms[i], strlen(ms[i])), 0);
    }
    free(t);

    t = report_render_text(&sm.r, true);
    assert_non_null(t);
    assert_non_null(strstr(t, "\x1b[32mpass\x1b[0m"));
    assert_non_null(strstr(t, "\x1b[31mfail\x1b[0m"));
    assert_non_null(strstr(t, "\x1b[33minconclusive\x1b[0m"));
    assert_null(strstr(t, "\x1b[2J")); /* the detail's own escape is still neutralised */
    free(t);

    report_t empty;
    memset(&empty, 0, sizeof(empty));
    snprintf(empty.role, sizeof(empty.role), "x");
    t = report_render_text(&empty, false);
    assert_non_null(t);
    assert_non_null(strstr(t, "0 probes: 0 passed, 0 failed, 0 inconclusive"));
    assert_non_null(strstr(t, "role x, pod (unknown)\n"));
    free(t);
    sample_free(&sm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
