/* test_calico_selector.c: Calico's selector language, table-driven: every operator against
 * labels that have, lack or differ in the key; precedence; implied label sets; and parse
 * errors naming their column. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calico_selector.h"

static labels_t mk(const char *const *kv)
{
    labels_t l = {0};
    for (size_t i = 0; kv[i]; i += 2)
        assert_int_equal(labels_add(&l, kv[i], kv[i + 1]), 0);
    return l;
}

typedef struct {
    const char *sel;
    bool web, db, bare; /* the expected match against the three label sets below */
} match_case_t;

static void test_match_table(void **state)
{
    (void)state;
    static const char *const web_kv[] = {"app", "web", "tier", "frontend", "env", "prod-eu", NULL};
    static const char *const db_kv[] = {"app", "db", "tier", "data", "debug", "", NULL};
    static const char *const bare_kv[] = {NULL};
    labels_t web = mk(web_kv), db = mk(db_kv), bare = mk(bare_kv);
    static const match_case_t cases[] = {
        {"", true, true, true},
        {"all()", true, true, true},
        {"global()", false, false, false},
        {"app == 'web'", true, false, false},
        {"app == \"web\"", true, false, false},
        {"app != 'web'", false, true, true}, /* a missing key is "not equal" */
        {"has(debug)", false, true, false},
        {"!has(debug)", true, false, true},
        {"app in {'web', 'db'}", true, true, false},
        {"app in {}", false, false, false},
        {"app not in {'web'}", false, true, true},
        {"env contains 'od-'", true, false, false},
        {"env starts with 'prod'", true, false, false},
        {"env ends with '-eu'", true, false, false},
        {"env ends with 'prod-eu-x'", false, false, false},
        {"app == 'web' || app == 'db' && tier == 'x'", true, false, false}, /* && first */
        {"(app == 'web' || app == 'db') && tier == 'data'", false, true, false},
        {"!app == 'web'", false, true, true},
        {"!(app == 'web' || has(debug))", false, false, true},
        {"has(app) && !has(debug) && tier starts with 'front'", true, false, false},
        {"  app=='db'&&has( debug )  ", false, true, false},
        {"!!has(app)", true, true, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        calsel_t *s = NULL;
        char err[200] = "";
        int rc = calsel_parse(cases[i].sel, &s, err, sizeof(err));
        if (rc != 0)
            fail_msg("%s: %s", cases[i].sel, err);
        const labels_t *w[] = {&web}, *d[] = {&db}, *b[] = {&bare};
        if (calsel_match(s, w, 1) != cases[i].web || calsel_match(s, d, 1) != cases[i].db ||
            calsel_match(s, b, 1) != cases[i].bare)
            fail_msg("%s: want web %d db %d bare %d", cases[i].sel, cases[i].web, cases[i].db, cases[i].bare);
        assert_string_equal(calsel_text(s), cases[i].sel);
        calsel_free(s);
    }
    labels_free(&web);
    labels_free(&db);
    labels_free(&bare);
}

/* The resource's own labels come first; implied labels only fill keys it lacks. */
static void test_implied_sets(void **state)
{
    (void)state;
    static const char *const own_kv[] = {"app", "web", NULL};
    static const char *const implied_kv[] = {"projectcalico.org/namespace", "shop", "app", "other", NULL};
    labels_t own = mk(own_kv), implied = mk(implied_kv);
    const labels_t *sets[] = {&own, &implied};
    calsel_t *s = NULL;
    char err[200];
    assert_int_equal(
        calsel_parse("projectcalico.org/namespace == 'shop' && app == 'web'", &s, err, sizeof(err)), 0);
    assert_true(calsel_match(s, sets, 2));
    assert_false(calsel_match(s, sets, 1));
    assert_false(calsel_is_all(s));
    calsel_free(s);
    assert_int_equal(calsel_parse(" all() ", &s, err, sizeof(err)), 0);
    assert_true(calsel_is_all(s));
    calsel_free(s);
    labels_free(&own);
    labels_free(&implied);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *sel, *err;
    } cases[] = {
        {"app = 'web'",
         "column 5: expected an operator (==, !=, in, not in, contains, starts with, ends with)"},
        {"app == web", "column 8: expected a quoted string"},
        {"app == 'web", "column 8: unterminated string"},
        {"app == 'a' &&", "column 14: expected a term (all(), has(key), key == 'value', ...) at the end"},
        {"(app == 'a'", "column 12: expected ')' (opened at column 1)"},
        {"app == 'a' b == 'c'", "column 12: unexpected 'b' (a term ends here: join terms with && or ||)"},
        {"has(app", "column 8: expected ')' after has(KEY"},
        {"app in {'a' 'b'}", "column 13: expected ',' or '}' in a set"},
        {"app in 'a'", "column 8: expected '{' and a set of strings"},
        {"app not 'a'", "column 9: expected 'in' after 'not'"},
        {"size() == 'x'", "column 1: unknown function (all(), global() and has(KEY) are Calico's)"},
        {"== 'x'", "column 1: unexpected '='"},
        {"app == 'x' & b == 'y'", "column 12: unexpected '&' (a term ends here: join terms with && or ||)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        calsel_t *s = (calsel_t *)1;
        char err[200] = "";
        assert_int_equal(calsel_parse(cases[i].sel, &s, err, sizeof(err)), -1);
        assert_null(s);
        if (strcmp(err, cases[i].err) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].sel, err, cases[i].err);
    }
}

/* Caps: text length, term count and nesting depth are bounded, each with its message. */
static void test_caps(void **state)
{
    (void)state;
    char *big = malloc(CALSEL_MAX_TEXT + 10);
    assert_non_null(big);
    memset(big, 'a', CALSEL_MAX_TEXT + 1);
    big[CALSEL_MAX_TEXT + 1] = '\0';
    calsel_t *s = NULL;
    char err[200];
    assert_int_equal(calsel_parse(big, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer than"));
    /* Many terms: has(a) || has(a) || ... */
    big[0] = '\0';
    size_t n = 0;
    while (n + 12 < CALSEL_MAX_TEXT) {
        memcpy(big + n, "has(a) || ", 10);
        n += 10;
    }
    memcpy(big + n, "has(a)", 7);
    assert_int_equal(calsel_parse(big, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too complex"));
    /* Deep nesting. */
    memset(big, '(', 100);
    strcpy(big + 100, "all()");
    assert_int_equal(calsel_parse(big, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "nested too deeply"));
    memset(big, '!', 40);
    strcpy(big + 40, "all()");
    assert_int_equal(calsel_parse(big, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "nested too deeply"));
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_implied_sets),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
