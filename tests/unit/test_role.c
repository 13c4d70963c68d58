/* test_role.c: role selection by --role, $ZTPROBE_ROLE and the pod's labels, with the error
 * texts a person reads when it fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "role.h"

#define PROBE "{\"name\":\"t\",\"kind\":\"tcp\",\"host\":\"h\",\"port\":1,\"expect\":\"deny\"}"

static const char govtech[] = "{\"version\":1,\"roles\":{"
                              "\"frontend\":{\"selector\":{\"app\":\"frontend\"},\"probes\":[" PROBE "]},"
                              "\"backend\":{\"selector\":{\"app\":\"backend\"},\"probes\":[" PROBE "]},"
                              "\"postgres\":{\"selector\":{\"app\":\"postgres\"},\"probes\":[" PROBE "]},"
                              "\"ops\":{\"probes\":[" PROBE "]}}}";

static const char overlapping[] = "{\"version\":1,\"roles\":{"
                                  "\"a\":{\"selector\":{\"app\":\"x\"},\"probes\":[" PROBE "]},"
                                  "\"b\":{\"selector\":{\"tier\":\"y\"},\"probes\":[" PROBE "]},"
                                  "\"c\":{\"selector\":{\"app\":\"x\",\"tier\":\"z\"},\"probes\":[" PROBE
                                  "]}}}";

static config_t *load(const char *json)
{
    config_t *cfg = NULL;
    char err[256] = "";
    if (config_parse(json, strlen(json), &cfg, err, sizeof(err)) != 0)
        fail_msg("config: %s", err);
    return cfg;
}

static labels_t pod(const char *text)
{
    labels_t l;
    char err[128];
    assert_int_equal(labels_parse(text, strlen(text), &l, err, sizeof(err)), 0);
    return l;
}

static void test_flag_wins(void **state)
{
    (void)state;
    config_t *cfg = load(govtech);
    labels_t l = pod("app=\"backend\"\n");
    role_choice_t rc;
    char err[512];
    assert_int_equal(role_select(cfg, "backend", "frontend", &l, NULL, &rc, err, sizeof(err)), 0);
    assert_string_equal(rc.role->name, "backend");
    assert_int_equal(rc.source, ROLE_FROM_FLAG);
    assert_true(rc.labels_known);
    assert_true(rc.labels_match);
    assert_string_equal(rc.selector, "app=backend");
    labels_free(&l);
    config_free(cfg);
}

static void test_env(void **state)
{
    (void)state;
    config_t *cfg = load(govtech);
    labels_t l = pod("app=\"postgres\"\n");
    role_choice_t rc;
    char err[512];
    assert_int_equal(role_select(cfg, "", "postgres", &l, NULL, &rc, err, sizeof(err)), 0);
    assert_string_equal(rc.role->name, "postgres");
    assert_int_equal(rc.source, ROLE_FROM_ENV);
    assert_true(rc.labels_match);
    assert_int_equal(role_select(cfg, NULL, "ops", &l, NULL, &rc, err, sizeof(err)), 0);
    assert_string_equal(rc.role->name, "ops");
    assert_true(rc.labels_match); /* no selector: any pod carries it */
    labels_free(&l);
    config_free(cfg);
}

static void test_labels_single_match(void **state)
{
    (void)state;
    config_t *cfg = load(govtech);
    labels_t l = pod("app=\"backend\"\npod-template-hash=\"7d9f\"\n");
    role_choice_t rc;
    char err[512];
    assert_int_equal(role_select(cfg, NULL, NULL, &l, NULL, &rc, err, sizeof(err)), 0);
    assert_string_equal(rc.role->name, "backend");
    assert_int_equal(rc.source, ROLE_FROM_LABELS);
    assert_true(rc.labels_known);
    assert_true(rc.labels_match);
    assert_string_equal(rc.labels_seen, "app=backend,pod-template-hash=7d9f");
    assert_string_equal(rc.selector, "app=backend");
    labels_free(&l);
    config_free(cfg);
}

static void test_no_match(void **state)
{
    (void)state;
    config_t *cfg = load(govtech);
    labels_t l = pod("app=\"foo\"\npod-template-hash=\"abc\"\n");
    role_choice_t rc;
    char err[1024];
    assert_int_equal(role_select(cfg, NULL, "", &l, NULL, &rc, err, sizeof(err)), -1);
    assert_string_equal(err,
                        "no role matches the pod's labels (app=foo,pod-template-hash=abc); "
                        "roles tried: frontend (app=frontend), backend (app=backend), "
                        "postgres (app=postgres), ops (no selector: --role only); pass "
                        "--role or set ZTPROBE_ROLE, or fix the pod's labels or the "
                        "roles' selectors");
    labels_free(&l);
    labels_t none = {NULL, 0, false};
    assert_int_equal(role_select(cfg, NULL, NULL, &none, NULL, &rc, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no role matches the pod's labels (none); roles tried: "));
    config_free(cfg);
}

static void test_multiple_matches(void **state)
{
    (void)state;
    config_t *cfg = load(overlapping);
    labels_t l = pod("app=\"x\"\ntier=\"y\"\n");
    role_choice_t rc;
    char err[1024];
    assert_int_equal(role_select(cfg, NULL, NULL, &l, NULL, &rc, err, sizeof(err)), -1);
    assert_string_equal(err,
                        "the pod's labels (app=x,tier=y) match 2 roles: a (app=x), "
                        "b (tier=y); make the selectors distinct, or pass --role or set "
                        "ZTPROBE_ROLE to choose one");
    labels_free(&l);
    /* The more specific selector alone matches: one role, chosen. */
    l = pod("app=\"x\"\ntier=\"z\"\n");
    assert_int_equal(role_select(cfg, NULL, NULL, &l, NULL, &rc, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "match 2 roles: a (app=x), c (app=x,tier=z)"));
    labels_free(&l);
    l = pod("tier=\"y\"\n");
    assert_int_equal(role_select(cfg, NULL, NULL, &l, NULL, &rc, err, sizeof(err)), 0);
    assert_string_equal(rc.role->name, "b");
    labels_free(&l);
    config_free(cfg);
}

static void test_unknown_role(void **state)
{
    (void)state;
    config_t *cfg = load(govtech);
    labels_t l = pod("app=\"backend\"\n");
    role_choice_t rc;
    char err[512];
    assert_int_equal(role_select(cfg, "db", NULL, &l, NULL, &rc, err, sizeof(err)), -1);
    assert_string_equal(err,
                        "--role: unknown role \"db\"; the config has: frontend, backend, "
                        "postgres, ops");
    assert_int_equal(role_select(cfg, NULL, "web\n", &l, NULL, &rc, err, sizeof(err)), -1);
    assert_string_equal(err,
                        "ZTPROBE_ROLE: unknown role \"web?\"; the config has: frontend, "
                        "backend, postgres, ops");
    assert_null(rc.role);
    labels_free(&l);
    config_free(cfg);
}

static void test_forced_role_mismatch(void **state)
{
    (void)state;
    config_t *cfg = load(govtech);
    labels_t l = pod("app=\"frontend\"\n");
    role_choice_t rc;
    char err[512];
    assert_int_equal(role_select(cfg, "backend", NULL, &l, NULL, &rc, err, sizeof(err)), 0);
    assert_string_equal(rc.role->name, "backend");
    assert_true(rc.labels_known);
    assert_false(rc.labels_match); /* the caller raises role_labels_mismatch */
    assert_string_equal(rc.labels_seen, "app=frontend");
    assert_string_equal(rc.selector, "app=backend");
    /* Forced without a labels file: nothing known, so no match can be claimed. */
    assert_int_equal(role_select(cfg, NULL, "backend", NULL,
                                 "/etc/podinfo/labels: No such "
                                 "file or directory",
                                 &rc, err, sizeof(err)),
                     0);
    assert_false(rc.labels_known);
    assert_false(rc.labels_match);
    assert_string_equal(rc.labels_seen, "");
    assert_int_equal(role_select(cfg, "ops", NULL, NULL, "no labels", &rc, err, sizeof(err)), 0);
    assert_false(rc.labels_match); /* even an empty selector: no labels were seen */
    labels_free(&l);
    config_free(cfg);
}

static void test_labels_unreadable(void **state)
{
    (void)state;
    config_t *cfg = load(govtech);
    role_choice_t rc;
    char err[512];
    assert_int_equal(role_select(cfg, NULL, NULL, NULL,
                                 "/etc/podinfo/labels: No such file or "
                                 "directory",
                                 &rc, err, sizeof(err)),
                     -1);
    assert_string_equal(err,
                        "cannot choose a role: the pod's labels could not be read "
                        "(/etc/podinfo/labels: No such file or directory); pass --role or "
                        "set ZTPROBE_ROLE, or mount the Downward API labels file "
                        "(metadata.labels) and point ZTPROBE_LABELS_FILE at it");
    assert_int_equal(role_select(cfg, NULL, NULL, NULL, NULL, &rc, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "(no labels file)"));
    config_free(cfg);
}

static void test_small_error_buffer(void **state)
{
    (void)state;
    config_t *cfg = load(govtech);
    labels_t l = pod("app=\"foo\"\n");
    role_choice_t rc;
    char err[32];
    memset(err, 'X', sizeof(err));
    assert_int_equal(role_select(cfg, NULL, NULL, &l, NULL, &rc, err, sizeof(err)), -1);
    assert_int_equal(strlen(err), sizeof(err) - 1);
    assert_int_equal(strncmp(err, "no role matches the pod's label", 31), 0);
    labels_free(&l);
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flag_wins),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_labels_single_match),
        cmocka_unit_test(test_no_match),
        cmocka_unit_test(test_multiple_matches),
        cmocka_unit_test(test_unknown_role),
        cmocka_unit_test(test_forced_role_mismatch),
        cmocka_unit_test(test_labels_unreadable),
        cmocka_unit_test(test_small_error_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
