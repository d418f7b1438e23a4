/*
 * clock.h — the virtual clock that device time runs on.
 *
 * Devices that count time (the 8254 PIT) never call clock_gettime
 * themselves: they read the VM's clock through this function pointer.  A
 * stage binary uses the host's CLOCK_MONOTONIC (so a guest timer at 100 Hz
 * really ticks 100 times a second); a unit test plugs in a fake clock it
 * advances by hand, so timing behaviour is tested without sleeping.
 */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include <stdint.h>

struct vclock {
    uint64_t (*now_ns)(void *ctx); /* nanoseconds, never goes backwards */
    void *ctx;
};

static inline uint64_t vclock_now(const struct vclock *c) { return c->now_ns(c->ctx); }

/* CLOCK_MONOTONIC in ns (ctx unused): the default clock of every VM. */
uint64_t host_monotonic_ns(void *ctx);

#endif
