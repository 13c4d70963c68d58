/* stop.h: SIGTERM and SIGINT as a request to stop, for the commands that run on (watch,
 * run --wait): the current run is abandoned and the command reports what it has. */
#ifndef ZT_STOP_H
#define ZT_STOP_H

#include <signal.h>

/* Set by the handler; the runs poll it (session_run's stop). */
extern volatile sig_atomic_t stop_requested;

typedef struct {
    struct sigaction term, intr;
} stop_saved_t;

/* Clears the request and installs the handler, saving the previous ones into saved (may be
 * NULL). No SA_RESTART: a signal cuts a sleep short. */
void stop_begin(stop_saved_t *saved);
/* Restores the handlers stop_begin saved. */
void stop_end(const stop_saved_t *saved);

/* Sleeps until deadline (monotonic ms, loop_mono_ms) or a stop request, in short slices so a
 * signal that lands between the check and the sleep is still seen at once. */
void stop_sleep_until(double deadline);

#endif
