/* loop.h: the one event loop of ztprobe: epoll for descriptors, a binary heap of timers on
 * the monotonic clock. Every probe, the resolver, libcurl and libpq are driven from it. */
#ifndef ZT_LOOP_H
#define ZT_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOOP_READ 1u
#define LOOP_WRITE 2u
#define LOOP_ERROR 4u /* delivered with READ|WRITE interest on EPOLLERR/EPOLLHUP */

typedef struct loop loop_t;
typedef void (*loop_fd_cb)(loop_t *loop, int fd, unsigned events, void *ud);
typedef void (*loop_timer_cb)(loop_t *loop, void *ud);

/* A timer is embedded in its owner's struct (no allocation, no dangling handle); zero it
 * (or LOOP_TIMER_INIT) before first use. */
typedef struct {
    uint64_t due_ms;
    size_t heap_idx; /* 0: not armed; else index + 1 */
    loop_timer_cb cb;
    void *ud;
} loop_timer_t;
#define LOOP_TIMER_INIT \
    { \
        0, 0, NULL, NULL \
    }

/* Returns NULL on failure (errno set). */
loop_t *loop_create(void);
void loop_destroy(loop_t *loop);

/* Watches fd for events (LOOP_READ|LOOP_WRITE); events 0 removes the watch. Replaces any
 * previous watch on the same fd. Tolerates descriptors that were closed and reused behind
 * the loop's back (libpq and libcurl close sockets themselves). Returns 0 or -1 (errno). */
int loop_watch(loop_t *loop, int fd, unsigned events, loop_fd_cb cb, void *ud);
void loop_unwatch(loop_t *loop, int fd);

/* Milliseconds on the monotonic clock (arbitrary origin); cached per iteration, refreshed
 * by loop_now_refresh. */
uint64_t loop_now_ms(loop_t *loop);
uint64_t loop_now_refresh(loop_t *loop);
/* Microsecond-resolution monotonic time, for measurements. */
double loop_mono_ms(void);

/* Arms (or re-arms) t to fire after delay_ms. Returns 0 or -1 on OOM. */
int loop_timer_start(loop_t *loop, loop_timer_t *t, uint64_t delay_ms, loop_timer_cb cb, void *ud);
void loop_timer_stop(loop_t *loop, loop_timer_t *t);
bool loop_timer_armed(const loop_timer_t *t);

/* Runs one iteration: waits at most max_wait_ms (or until the next timer; -1: no cap),
 * dispatches descriptor events, then due timers. Returns the number of callbacks run, or -1
 * on an epoll error other than EINTR. */
int loop_run_once(loop_t *loop, int max_wait_ms);

/* Number of watched descriptors plus armed timers (0: nothing left to wait for). */
size_t loop_pending(const loop_t *loop);

#endif
