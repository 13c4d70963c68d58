/* test_runner.c: the runner with a fake probe kind injected (runner_opts_t.kinds): deadlines,
 * attempts, the concurrency cap and abandoning on a stop flag, with no socket at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

/* The fake kind's behaviour comes from the probe's port. */
enum { FAKE_OK_NOW = 1, FAKE_SILENT = 2, FAKE_REFUSED_LATER = 3, FAKE_STOPPER = 4 };

typedef struct {
    loop_timer_t t;
    probe_attempt_t *a;
} fake_state_t;

static int in_flight, max_in_flight, aborts;
static volatile sig_atomic_t stop_flag;

static void fake_release(probe_attempt_t *a)
{
    fake_state_t *st = a->priv;
    if (!st)
        return;
    loop_timer_stop(a->env->loop, &st->t);
    free(st);
    a->priv = NULL;
    in_flight--;
}

static void fake_fire(loop_t *loop, void *ud)
{
    (void)loop;
    probe_attempt_t *a = ud;
    int port = a->probe->port;
    fake_release(a);
    if (port == FAKE_STOPPER) {
        stop_flag = 1; /* like SIGTERM during a run: the attempt itself stays in flight */
        return;
    }
    probe_finish(a, OUTCOME_REFUSED, "fake refused");
}

static void fake_start(probe_attempt_t *a)
{
    if (a->probe->port == FAKE_OK_NOW) {
        probe_finish(a, OUTCOME_OK, "fake ok");
        return;
    }
    fake_state_t *st = calloc(1, sizeof(*st));
    assert_non_null(st);
    a->priv = st;
    if (++in_flight > max_in_flight)
        max_in_flight = in_flight;
    if (a->probe->port == FAKE_REFUSED_LATER || a->probe->port == FAKE_STOPPER)
        assert_int_equal(loop_timer_start(a->env->loop, &st->t, 20, fake_fire, a), 0);
}

static void fake_abort(probe_attempt_t *a)
{
    aborts++;
    fake_release(a);
    a->outcome = OUTCOME_TIMEOUT;
    snprintf(a->detail, sizeof(a->detail), "fake silence");
}

static const probe_ops_t fake_ops = {
    .name = "fake",
    .resolves = false,
    .env_kind = KIND_TCP,
    .start = fake_start,
    .abort = fake_abort,
};
static const probe_ops_t *const fake_kinds[KIND_COUNT] = {
    [KIND_TCP] = &fake_ops,      [KIND_HTTP] = &fake_ops, [KIND_HTTPS] = &fake_ops,
    [KIND_POSTGRES] = &fake_ops, [KIND_DNS] = &fake_ops,
};

#define MAXP 64

typedef struct {
    outcome_t last[MAXP];
    char detail[MAXP][RESULT_DETAIL_LEN];
    int seen[MAXP], attempts[MAXP], done_calls[MAXP];
    double duration[MAXP], attempt_ms[MAXP];
    bool more; /* what on_attempt answers */
} sink_t;

static bool on_attempt(void *ud, size_t idx, probe_attempt_t *const *addrs, size_t n)
{
    sink_t *s = ud;
    assert_int_equal(n, 1);
    s->last[idx] = addrs[0]->outcome;
    snprintf(s->detail[idx], RESULT_DETAIL_LEN, "%s", addrs[0]->detail);
    s->attempt_ms[idx] = addrs[0]->duration_ms;
    s->seen[idx]++;
    return s->more;
}

static void on_done(void *ud, size_t idx, int attempts, double ms)
{
    sink_t *s = ud;
    s->attempts[idx] = attempts;
    s->duration[idx] = ms;
    s->done_calls[idx]++;
}

static config_t cfg;
static config_probe_t probes[MAXP];
static const config_probe_t *plist[MAXP];
static char names[MAXP][24];

static runner_opts_t setup_run(size_t n, int port, int timeout_ms, int attempts, int conc, sink_t *s)
{
    memset(&cfg, 0, sizeof(cfg));
    cfg.timeout_ms = timeout_ms;
    cfg.attempts = attempts;
    cfg.deny_outcomes = OUTCOME_DEFAULT_DENY;
    memset(probes, 0, sizeof(probes));
    memset(s, 0, sizeof(*s));
    in_flight = max_in_flight = aborts = 0;
    stop_flag = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof(names[i]), "p%zu", i);
        probes[i].name = names[i];
        probes[i].kind = KIND_TCP;
        probes[i].host = (char *)"127.0.0.1";
        probes[i].port = port;
        plist[i] = &probes[i];
    }
    runner_opts_t o = {.cfg = &cfg,
                       .probes = plist,
                       .n_probes = n,
                       .concurrency = conc,
                       .kinds = fake_kinds,
                       .on_attempt = on_attempt,
                       .on_probe_done = on_done,
                       .ud = s};
    return o;
}

static void test_deadline_aborts(void **state)
{
    (void)state;
    sink_t s;
    char err[128];
    runner_opts_t o = setup_run(3, FAKE_SILENT, 60, 1, 8, &s);
    double t0 = loop_mono_ms();
    assert_int_equal(runner_run(&o, err, sizeof(err)), 0);
    double took = loop_mono_ms() - t0;
    assert_true(took >= 55 && took < 1000); /* one timeout for all, not three */
    assert_int_equal(aborts, 3);
    assert_int_equal(in_flight, 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(s.last[i], OUTCOME_TIMEOUT);
        assert_string_equal(s.detail[i], "fake silence");
        assert_int_equal(s.attempts[i], 1);
        assert_int_equal(s.done_calls[i], 1);
        assert_true(s.attempt_ms[i] >= 55);
    }
}

static void test_attempts(void **state)
{
    (void)state;
    sink_t s;
    char err[128];
    runner_opts_t o = setup_run(2, FAKE_REFUSED_LATER, 1000, 3, 8, &s);
    s.more = true;
    assert_int_equal(runner_run(&o, err, sizeof(err)), 0);
    assert_int_equal(s.seen[0], 3);
    assert_int_equal(s.attempts[1], 3);
    assert_int_equal(s.last[1], OUTCOME_REFUSED);
    /* The judge says "settled": no more attempts. */
    o = setup_run(2, FAKE_REFUSED_LATER, 1000, 3, 8, &s);
    s.more = false;
    assert_int_equal(runner_run(&o, err, sizeof(err)), 0);
    assert_int_equal(s.seen[0], 1);
    assert_int_equal(s.attempts[0], 1);
    /* Synchronous endings chain attempts without the loop. */
    o = setup_run(1, FAKE_OK_NOW, 1000, 5, 8, &s);
    s.more = true;
    assert_int_equal(runner_run(&o, err, sizeof(err)), 0);
    assert_int_equal(s.attempts[0], 5);
    assert_int_equal(s.last[0], OUTCOME_OK);
}

static void test_concurrency_cap(void **state)
{
    (void)state;
    sink_t s;
    char err[128];
    runner_opts_t o = setup_run(40, FAKE_REFUSED_LATER, 1000, 1, 4, &s);
    assert_int_equal(runner_run(&o, err, sizeof(err)), 0);
    assert_int_equal(max_in_flight, 4);
    for (int i = 0; i < 40; i++)
        assert_int_equal(s.done_calls[i], 1);
    o = setup_run(40, FAKE_REFUSED_LATER, 1000, 1, 100, &s);
    assert_int_equal(runner_run(&o, err, sizeof(err)), 0);
    assert_int_equal(max_in_flight, 40);
}

static void test_stop_abandons(void **state)
{
    (void)state;
    sink_t s;
    char err[128];
    /* Two in flight (one of them raises the flag after 20 ms), the rest queued. */
    runner_opts_t o = setup_run(6, FAKE_STOPPER, 5000, 3, 2, &s);
    s.more = true;
    o.stop = &stop_flag;
    double t0 = loop_mono_ms();
    assert_int_equal(runner_run(&o, err, sizeof(err)), 0);
    assert_true(loop_mono_ms() - t0 < 1000);
    assert_int_equal(in_flight, 0);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(s.last[i], OUTCOME_ERROR);
        assert_int_equal(s.done_calls[i], 1);
    }
    assert_string_equal(s.detail[0], "abandoned on signal");
    assert_int_equal(s.attempts[0], 1);
    assert_string_equal(s.detail[5], "not run: abandoned on signal");
    assert_int_equal(s.attempts[5], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_aborts),
        cmocka_unit_test(test_attempts),
        cmocka_unit_test(test_concurrency_cap),
        cmocka_unit_test(test_stop_abandons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
