/* test_loop.c: the event loop's timer heap and descriptor watches, on real descriptors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <unistd.h>

#include "loop.h"

typedef struct {
    int order[2048];
    int n;
} fired_t;

typedef struct {
    fired_t *f;
    int id;
} tctx_t;

static void on_timer(loop_t *l, void *ud)
{
    (void)l;
    tctx_t *c = ud;
    c->f->order[c->f->n++] = c->id;
}

static void test_timers_fire_in_deadline_order(void **state)
{
    (void)state;
    loop_t *l = loop_create();
    assert_non_null(l);
    fired_t f = {.n = 0};
    loop_timer_t t[8];
    tctx_t c[8];
    const int delays[8] = {30, 10, 50, 20, 0, 40, 15, 5};
    for (int i = 0; i < 8; i++) {
        t[i] = (loop_timer_t)LOOP_TIMER_INIT;
        c[i] = (tctx_t){&f, delays[i]};
        assert_int_equal(loop_timer_start(l, &t[i], (uint64_t)delays[i], on_timer, &c[i]), 0);
    }
    /* Stop two (one in the middle of the heap, one at the root) before they fire. */
    loop_timer_stop(l, &t[2]);
    loop_timer_stop(l, &t[4]);
    assert_false(loop_timer_armed(&t[2]));
    while (loop_pending(l))
        assert_true(loop_run_once(l, -1) >= 0);
    assert_int_equal(f.n, 6);
    const int want[6] = {5, 10, 15, 20, 30, 40};
    for (int i = 0; i < 6; i++)
        assert_int_equal(f.order[i], want[i]);
    loop_destroy(l);
}

static void test_timer_restart_moves_deadline(void **state)
{
    (void)state;
    loop_t *l = loop_create();
    fired_t f = {.n = 0};
    loop_timer_t a = LOOP_TIMER_INIT, b = LOOP_TIMER_INIT;
    tctx_t ca = {&f, 1}, cb = {&f, 2};
    loop_timer_start(l, &a, 5, on_timer, &ca);
    loop_timer_start(l, &b, 20, on_timer, &cb);
    loop_timer_start(l, &a, 40, on_timer, &ca); /* re-arm later: b must now fire first */
    while (loop_pending(l))
        loop_run_once(l, -1);
    assert_int_equal(f.n, 2);
    assert_int_equal(f.order[0], 2);
    assert_int_equal(f.order[1], 1);
    loop_destroy(l);
}

static void test_many_timers_stay_ordered(void **state)
{
    (void)state;
    loop_t *l = loop_create();
    enum { N = 2000 };
    loop_timer_t *t = calloc(N, sizeof(*t));
    tctx_t *c = calloc(N, sizeof(*c));
    fired_t f = {.n = 0};
    /* Arm with pseudo-random delays, stop every third, and check the heap invariant through
     * the firing order: non-decreasing due times. */
    unsigned seed = 12345;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        c[i] = (tctx_t){&f, i};
        loop_timer_start(l, &t[i], (seed >> 16) % 30, on_timer, &c[i]);
    }
    for (int i = 0; i < N; i += 3)
        loop_timer_stop(l, &t[i]);
    uint64_t last = 0;
    int fired = 0;
    while (loop_pending(l)) {
        f.n = 0;
        loop_run_once(l, -1);
        for (int k = 0; k < f.n; k++) {
            assert_true(t[f.order[k]].due_ms >= last);
            last = t[f.order[k]].due_ms;
            fired++;
        }
    }
    assert_int_equal(fired, N - (N + 2) / 3);
    free(t);
    free(c);
    loop_destroy(l);
}

static void on_readable(loop_t *l, int fd, unsigned ev, void *ud)
{
    int *got = ud;
    char b;
    assert_true(ev & LOOP_READ);
    assert_int_equal(read(fd, &b, 1), 1);
    *got = b;
    loop_unwatch(l, fd);
}

static void test_watch_and_fd_reuse(void **state)
{
    (void)state;
    loop_t *l = loop_create();
    int p[2];
    assert_int_equal(pipe(p), 0);
    int got = 0;
    assert_int_equal(loop_watch(l, p[0], LOOP_READ, on_readable, &got), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    loop_run_once(l, 1000);
    assert_int_equal(got, 'x');
    assert_int_equal(loop_pending(l), 0);
    /* Close behind the loop's back while watched, then reuse the number: watch must work. */
    assert_int_equal(loop_watch(l, p[0], LOOP_READ, on_readable, &got), 0);
    int fdnum = p[0];
    close(p[0]);
    close(p[1]);
    int q[2];
    assert_int_equal(pipe(q), 0);
    assert_int_equal(q[0], fdnum);
    assert_int_equal(loop_watch(l, q[0], LOOP_READ, on_readable, &got), 0);
    assert_int_equal(write(q[1], "y", 1), 1);
    loop_run_once(l, 1000);
    assert_int_equal(got, 'y');
    close(q[0]);
    close(q[1]);
    loop_destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers_fire_in_deadline_order),
        cmocka_unit_test(test_timer_restart_moves_deadline),
        cmocka_unit_test(test_many_timers_stay_ordered),
        cmocka_unit_test(test_watch_and_fd_reuse),
    };
    return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
