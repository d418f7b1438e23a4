/*
 * trace.c — the event ring and the binary trace file.
 *
 * Single producer (the vCPU loop), single consumer: the producer stores
 * the event, then publishes it by advancing head with release order; the
 * consumer reads events up to head (acquire) and advances tail.  With a
 * file attached the producer drains the ring itself when it is full, so no
 * event is lost; with only an in-process reader the oldest are overwritten.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "trace/trace.h"

_Static_assert(sizeof(struct trace_event) == 48, "trace_event is part of the file format");
_Static_assert(sizeof(struct trace_file_header) == 40, "header is part of the file format");

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int trace_init(struct trace *t, const char *file, const char *engine, char *err, size_t errlen)
{
    memset(t->ring, 0, sizeof t->ring);
    atomic_store(&t->head, 0);
    atomic_store(&t->tail, 0);
    t->on = false;
    t->lossy = true;
    t->file = NULL;
    t->written = t->dropped = 0;
    t->t0_ns = mono_ns();
    if (!file)
        return 0;
    t->file = fopen(file, "wb");
    if (!t->file) {
        snprintf(err, errlen, "cannot create trace file '%s': %s", file, strerror(errno));
        return -1;
    }
    struct trace_file_header h = {
        .version = TRACE_VERSION,
        .header_size = sizeof h,
        .event_size = sizeof(struct trace_event),
    };
    memcpy(h.magic, TRACE_MAGIC, 8);
    strncpy(h.engine, engine ? engine : "", sizeof h.engine);
    if (fwrite(&h, sizeof h, 1, t->file) != 1) {
        snprintf(err, errlen, "writing trace file '%s': %s", file, strerror(errno));
        fclose(t->file);
        t->file = NULL;
        return -1;
    }
    t->on = true;
    t->lossy = false;
    return 0;
}

void trace_start_reader(struct trace *t) { t->on = true; }

uint64_t trace_now(const struct trace *t) { return mono_ns() - t->t0_ns; }

void trace_emit(struct trace *t, const struct trace_event *ev)
{
    if (!t->on)
        return;
    uint64_t head = atomic_load_explicit(&t->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&t->tail, memory_order_acquire);
    if (head - tail == TRACE_RING_EVENTS) { /* full */
        if (!t->lossy) {
            trace_flush(t);
        } else { /* drop the oldest */
            atomic_compare_exchange_strong(&t->tail, &tail, tail + 1);
            t->dropped++;
        }
    }
    t->ring[head & (TRACE_RING_EVENTS - 1)] = *ev;
    atomic_store_explicit(&t->head, head + 1, memory_order_release);
}

void trace_exit(struct trace *t, const struct vm_exit *e)
{
    if (!t->on)
        return;
    struct trace_event ev = {
        .time_ns = trace_now(t),
        .type = TRACE_EXIT,
        .reason = e->reason,
        .qual = e->qualification,
        .eip = e->guest_eip,
        .cost_ns = e->cost_ns,
    };
    switch (e->reason) {
    case EXIT_IO_INSTRUCTION:
        ev.flags = (uint16_t)((e->u.io.in ? TRACE_F_IO_IN : 0) | (e->u.io.size & 7) << 1 |
                              (e->u.io.string ? TRACE_F_IO_STRING : 0) |
                              (e->u.io.rep ? TRACE_F_IO_REP : 0));
        ev.addr = e->u.io.port;
        ev.value = e->u.io.value;
        break;
    case EXIT_EXCEPTION_NMI:
        ev.flags = e->u.exc.has_error ? TRACE_F_EXC_ERRCODE : 0;
        ev.addr = e->u.exc.cr2;
        ev.value = (uint64_t)e->u.exc.vector << 32 | e->u.exc.error_code;
        break;
    case EXIT_CR_ACCESS:
        ev.flags = (uint16_t)((e->u.cr.access & 3) | (e->u.cr.gpr & 7) << 2);
        ev.addr = e->u.cr.cr;
        ev.value = e->u.cr.value;
        break;
    case EXIT_RDMSR:
    case EXIT_WRMSR: ev.addr = e->u.msr; break;
    case EXIT_INVLPG: ev.addr = e->u.address; break;
    case EXIT_EPT_VIOLATION:
    case EXIT_EPT_MISCONFIG:
        ev.addr = e->u.ept.gla;
        ev.value = e->u.ept.gpa;
        break;
    default: break;
    }
    trace_emit(t, &ev);
}

void trace_irq(struct trace *t, int vector, uint32_t eip)
{
    if (!t->on)
        return;
    struct trace_event ev = {
        .time_ns = trace_now(t),
        .type = TRACE_IRQ,
        .reason = (uint32_t)vector,
        .eip = eip,
    };
    trace_emit(t, &ev);
}

void trace_page_walk(struct trace *t, int level, uint32_t table, uint32_t entry, uint32_t lin,
                     uint32_t eip, bool ept)
{
    if (!t->on)
        return;
    struct trace_event ev = {
        .time_ns = trace_now(t),
        .type = TRACE_PAGE_WALK,
        .flags = ept ? TRACE_F_WALK_EPT : 0,
        .reason = (uint32_t)level,
        .qual = table,
        .eip = eip,
        .addr = lin,
        .value = entry,
    };
    trace_emit(t, &ev);
}

void trace_page_walk_result(struct trace *t, uint32_t lin, bool ok, uint64_t phys,
                            uint32_t error_code, bool large, uint32_t eip, bool ept)
{
    if (!t->on)
        return;
    struct trace_event ev = {
        .time_ns = trace_now(t),
        .type = TRACE_PAGE_WALK,
        .flags = (uint16_t)(TRACE_F_WALK_RESULT | (ept ? TRACE_F_WALK_EPT : 0) |
                            (ok ? 0 : TRACE_F_WALK_FAULT) | (large ? TRACE_F_WALK_LARGE : 0)),
        .reason = 0,
        .qual = ok ? phys : 0,
        .eip = eip,
        .addr = lin,
        .value = ok ? 0 : error_code,
    };
    trace_emit(t, &ev);
}

void trace_code_cache(struct trace *t, uint32_t kind, uint32_t gpa, uint32_t size,
                      uint64_t occupancy, uint32_t eip)
{
    if (!t->on)
        return;
    struct trace_event ev = {
        .time_ns = trace_now(t),
        .type = TRACE_CODE_CACHE,
        .reason = kind,
        .qual = gpa,
        .eip = eip,
        .addr = size,
        .value = occupancy,
    };
    trace_emit(t, &ev);
}

void trace_mmu(struct trace *t, uint32_t kind, uint16_t flags, uint64_t qual, uint32_t addr,
               uint64_t value, uint32_t eip)
{
    if (!t || !t->on)
        return;
    struct trace_event ev = {
        .time_ns = trace_now(t),
        .type = TRACE_MMU,
        .flags = flags,
        .reason = kind,
        .qual = qual,
        .eip = eip,
        .addr = addr,
        .value = value,
    };
    trace_emit(t, &ev);
}

size_t trace_read(struct trace *t, struct trace_event *out, size_t max)
{
    size_t n = 0;
    uint64_t tail = atomic_load_explicit(&t->tail, memory_order_relaxed);
    uint64_t head = atomic_load_explicit(&t->head, memory_order_acquire);
    while (n < max && tail != head) {
        out[n++] = t->ring[tail & (TRACE_RING_EVENTS - 1)];
        tail++;
    }
    atomic_store_explicit(&t->tail, tail, memory_order_release);
    return n;
}

void trace_flush(struct trace *t)
{
    if (!t->file)
        return;
    struct trace_event buf[256];
    size_t n;
    while ((n = trace_read(t, buf, 256)) > 0) {
        fwrite(buf, sizeof buf[0], n, t->file);
        t->written += n;
    }
}

void trace_close(struct trace *t)
{
    if (!t->file)
        return;
    trace_flush(t);
    fclose(t->file);
    t->file = NULL;
    t->on = false;
}
