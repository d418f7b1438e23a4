/*
 * poller.c — a periodic thread that parks while the vCPU is away (poller.h).
 *
 * Parking is a Dekker-style handshake on two sequentially consistent
 * flags (C11 §7.17.3: all memory_order_seq_cst operations have one total
 * order): the vCPU stores in_run then loads parked; the poller, holding
 * the lock, stores parked then loads in_run.  At least one of them sees
 * the other's store, so either the poller does not sleep or the vCPU
 * signals it — under the lock, which the poller only gives up inside
 * pthread_cond_wait: the wake-up cannot be lost.
 */
#include "01-binary-translation/poller.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define IDLE_TICKS 4 /* periods outside the engine before parking */

struct poller {
    void (*tick)(void *ctx);
    void *ctx;
    unsigned period_us;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_bool in_run; /* the vCPU is between enter and leave */
    atomic_bool parked; /* the poller waits on cond            */
    bool quit;          /* under lock                          */
};

static void *poller_main(void *arg)
{
    struct poller *p = arg;
    struct timespec ts = { 0, (long)p->period_us * 1000 };
    unsigned idle = 0;
    pthread_mutex_lock(&p->lock);
    while (!p->quit) {
        pthread_mutex_unlock(&p->lock);
        nanosleep(&ts, NULL);
        p->tick(p->ctx);
        idle = atomic_load(&p->in_run) ? 0 : idle + 1;
        pthread_mutex_lock(&p->lock);
        if (idle >= IDLE_TICKS) {
            atomic_store(&p->parked, true);
            while (!p->quit && !atomic_load(&p->in_run))
                pthread_cond_wait(&p->cond, &p->lock);
            atomic_store(&p->parked, false);
            idle = 0;
        }
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct poller *poller_start(void (*tick)(void *ctx), void *ctx, unsigned period_us, char *err,
                            size_t len)
{
    struct poller *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, len, "out of memory");
        return NULL;
    }
    p->tick = tick;
    p->ctx = ctx;
    p->period_us = period_us;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    int rc = pthread_create(&p->thread, NULL, poller_main, p);
    if (rc != 0) {
        snprintf(err, len, "cannot start the poller thread: %s", strerror(rc));
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return NULL;
    }
    return p;
}

void poller_enter(struct poller *p)
{
    if (!p)
        return;
    atomic_store(&p->in_run, true);
    if (atomic_load(&p->parked)) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
    }
}

void poller_leave(struct poller *p)
{
    if (p)
        atomic_store_explicit(&p->in_run, false, memory_order_release);
}

void poller_stop(struct poller *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->quit = true;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
