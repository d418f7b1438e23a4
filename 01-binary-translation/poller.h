/*
 * poller.h — the identical translator's interrupt poller thread.
 *
 * Translated code checks for interrupts with one load from a poll page at
 * every block entry; a thread revokes read access to that page every few
 * hundred microseconds while translated code runs, so the next block entry
 * faults back to the run loop (the "safepoint poll" of JIT compilers;
 * bt_engine.c).  That thread must cost nothing while the vCPU is not in
 * the engine: asleep in HLT, handling an exit, or the run is over and the
 * visualizer's last screen waits for a key.  So it parks on a condition
 * variable once the vCPU has been outside poller_enter/poller_leave for a
 * few periods, and poller_enter wakes it.
 */
#ifndef BT_POLLER_H
#define BT_POLLER_H

#include <stddef.h>

struct poller;

/* Start the thread: tick(ctx) every period_us while the vCPU is in the
 * engine.  NULL with err if the thread cannot start. */
struct poller *poller_start(void (*tick)(void *ctx), void *ctx, unsigned period_us, char *err,
                            size_t len);
/* The vCPU enters / leaves the engine's run loop (p may be NULL). */
void poller_enter(struct poller *p);
void poller_leave(struct poller *p);
/* End the thread and free p (NULL is fine). */
void poller_stop(struct poller *p);

#endif
