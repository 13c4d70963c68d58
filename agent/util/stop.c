/* stop.c: the stop request of watch and run --wait (see stop.h). */
#include "stop.h"

#include <string.h>
#include <time.h>

#include "loop.h"

volatile sig_atomic_t stop_requested;

static void stop_on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

void stop_begin(stop_saved_t *saved)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = stop_on_signal;
    sigemptyset(&sa.sa_mask);
    stop_requested = 0;
    sigaction(SIGTERM, &sa, saved ? &saved->term : NULL);
    sigaction(SIGINT, &sa, saved ? &saved->intr : NULL);
}

void stop_end(const stop_saved_t *saved)
{
    sigaction(SIGTERM, &saved->term, NULL);
    sigaction(SIGINT, &saved->intr, NULL);
}

void stop_sleep_until(double deadline)
{
    while (!stop_requested) {
        double left = deadline - loop_mono_ms();
        if (left <= 0)
            return;
        if (left > 100)
            left = 100;
        struct timespec ts = {0, (long)(left * 1e6)};
        nanosleep(&ts, NULL);
    }
}
