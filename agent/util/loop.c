/* loop.c: epoll + a binary min-heap of timers on CLOCK_MONOTONIC (after redis's ae.c, without
 * select(): descriptors past 1024 are normal with thousands of probes in flight). */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    loop_fd_cb cb;
    void *ud;
    unsigned events;
} loop_watch_t;

struct loop {
    int epfd;
    loop_watch_t *watches; /* indexed by fd */
    size_t n_watches_cap;
    size_t n_watched;
    loop_timer_t **heap; /* min-heap on due_ms */
    size_t heap_len, heap_cap;
    uint64_t now_ms;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

double loop_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

loop_t *loop_create(void)
{
    loop_t *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        int e = errno;
        free(l);
        errno = e;
        return NULL;
    }
    l->now_ms = mono_ms();
    return l;
}

void loop_destroy(loop_t *l)
{
    if (!l)
        return;
    close(l->epfd);
    free(l->watches);
    free(l->heap);
    free(l);
}

uint64_t loop_now_ms(loop_t *l)
{
    return l->now_ms;
}

uint64_t loop_now_refresh(loop_t *l)
{
    l->now_ms = mono_ms();
    return l->now_ms;
}

static int watch_reserve(loop_t *l, int fd)
{
    if ((size_t)fd < l->n_watches_cap)
        return 0;
    size_t cap = l->n_watches_cap ? l->n_watches_cap : 64;
    while (cap <= (size_t)fd)
        cap *= 2;
    loop_watch_t *w = realloc(l->watches, cap * sizeof(*w));
    if (!w)
        return -1;
    memset(w + l->n_watches_cap, 0, (cap - l->n_watches_cap) * sizeof(*w));
    l->watches = w;
    l->n_watches_cap = cap;
    return 0;
}

int loop_watch(loop_t *l, int fd, unsigned events, loop_fd_cb cb, void *ud)
{
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if (events == 0) {
        loop_unwatch(l, fd);
        return 0;
    }
    if (watch_reserve(l, fd) < 0) {
        errno = ENOMEM;
        return -1;
    }
    struct epoll_event ev = {0};
    ev.events = ((events & LOOP_READ) ? EPOLLIN : 0u) | ((events & LOOP_WRITE) ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    loop_watch_t *w = &l->watches[fd];
    /* Our table may believe an fd is registered although its owner closed it (which removes
     * it from epoll) and the number was reused: fall back between MOD and ADD. */
    int op = w->cb ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(l->epfd, op, fd, &ev) < 0) {
        if (op == EPOLL_CTL_MOD && errno == ENOENT)
            op = EPOLL_CTL_ADD;
        else if (op == EPOLL_CTL_ADD && errno == EEXIST)
            op = EPOLL_CTL_MOD;
        else
            return -1;
        if (epoll_ctl(l->epfd, op, fd, &ev) < 0)
            return -1;
    }
    if (!w->cb)
        l->n_watched++;
    w->cb = cb;
    w->ud = ud;
    w->events = events;
    return 0;
}

void loop_unwatch(loop_t *l, int fd)
{
    if (fd < 0 || (size_t)fd >= l->n_watches_cap || !l->watches[fd].cb)
        return;
    /* ENOENT/EBADF here just mean the owner closed the fd first: the kernel already forgot it. */
    (void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
    memset(&l->watches[fd], 0, sizeof(l->watches[fd]));
    l->n_watched--;
}

/* ---- timers: binary heap, heap_idx kept in each timer for O(log n) stop ---- */

static void heap_set(loop_t *l, size_t i, loop_timer_t *t)
{
    l->heap[i] = t;
    t->heap_idx = i + 1;
}

static void heap_up(loop_t *l, size_t i)
{
    loop_timer_t *t = l->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (l->heap[p]->due_ms <= t->due_ms)
            break;
        heap_set(l, i, l->heap[p]);
        i = p;
    }
    heap_set(l, i, t);
}

static void heap_down(loop_t *l, size_t i)
{
    loop_timer_t *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->heap_len)
            break;
        if (c + 1 < l->heap_len && l->heap[c + 1]->due_ms < l->heap[c]->due_ms)
            c++;
        if (t->due_ms <= l->heap[c]->due_ms)
            break;
        heap_set(l, i, l->heap[c]);
        i = c;
    }
    heap_set(l, i, t);
}

bool loop_timer_armed(const loop_timer_t *t)
{
    return t->heap_idx != 0;
}

void loop_timer_stop(loop_t *l, loop_timer_t *t)
{
    if (!t->heap_idx)
        return;
    size_t i = t->heap_idx - 1;
    t->heap_idx = 0;
    l->heap_len--;
    if (i == l->heap_len)
        return;
    heap_set(l, i, l->heap[l->heap_len]);
    /* The moved element may belong above or below i; if it rises, i then holds its old
     * parent, for which heap_down is a no-op. */
    heap_up(l, i);
    heap_down(l, i);
}

int loop_timer_start(loop_t *l, loop_timer_t *t, uint64_t delay_ms, loop_timer_cb cb, void *ud)
{
    loop_timer_stop(l, t);
    if (l->heap_len == l->heap_cap) {
        size_t cap = l->heap_cap ? l->heap_cap * 2 : 64;
        loop_timer_t **h = realloc(l->heap, cap * sizeof(*h));
        if (!h)
            return -1;
        l->heap = h;
        l->heap_cap = cap;
    }
    t->due_ms = loop_now_refresh(l) + delay_ms;
    t->cb = cb;
    t->ud = ud;
    heap_set(l, l->heap_len, t);
    l->heap_len++;
    heap_up(l, l->heap_len - 1);
    return 0;
}

size_t loop_pending(const loop_t *l)
{
    return l->n_watched + l->heap_len;
}

int loop_run_once(loop_t *l, int max_wait_ms)
{
    int wait = max_wait_ms;
    loop_now_refresh(l);
    if (l->heap_len) {
        uint64_t due = l->heap[0]->due_ms;
        int until = due <= l->now_ms ? 0 : (int)(due - l->now_ms > 60000 ? 60000 : due - l->now_ms);
        if (wait < 0 || until < wait)
            wait = until;
    }
    struct epoll_event evs[256];
    int n = epoll_wait(l->epfd, evs, 256, wait);
    if (n < 0) {
        if (errno != EINTR)
            return -1;
        n = 0;
    }
    int ran = 0;
    loop_now_refresh(l);
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        /* An earlier callback in this batch may have removed or replaced this watch. */
        if ((size_t)fd >= l->n_watches_cap || !l->watches[fd].cb)
            continue;
        loop_watch_t w = l->watches[fd];
        unsigned got = 0;
        if (evs[i].events & EPOLLIN)
            got |= LOOP_READ;
        if (evs[i].events & EPOLLOUT)
            got |= LOOP_WRITE;
        if (evs[i].events & (EPOLLERR | EPOLLHUP))
            got |= LOOP_ERROR | (w.events & (LOOP_READ | LOOP_WRITE));
        w.cb(l, fd, got, w.ud);
        ran++;
    }
    /* Fire due timers; a callback may arm new timers (due later: now is fixed for this pass,
     * and a zero delay is due "now", so bound the pass to avoid spinning forever). */
    uint64_t now = loop_now_refresh(l);
    size_t budget = l->heap_len;
    while (l->heap_len && l->heap[0]->due_ms <= now && budget--) {
        loop_timer_t *t = l->heap[0];
        loop_timer_stop(l, t);
        t->cb(l, t->ud);
        ran++;
    }
    return ran;
}
