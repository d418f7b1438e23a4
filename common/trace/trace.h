/*
 * trace.h — the per-VM event ring: what the VMM and the engine did, cheaply.
 *
 * Every exit, injected interrupt, page walk and code-cache event can be
 * recorded as one fixed-size struct trace_event in a single-producer ring
 * (the vCPU thread writes; a reader — the trace file writer, the visualizer
 * — consumes).  When nobody reads, trace_on() is false and the producers
 * skip even building the event: one predictable branch per exit.
 *
 * File format (--trace FILE), version 1, little-endian:
 *     struct trace_file_header   (magic "VMLTRACE", version, sizes, engine)
 *     struct trace_event[]       (until end of file)
 * Readers must check version and use header_size / event_size to skip
 * fields they do not know (later versions only append fields).
 */
#ifndef TRACE_TRACE_H
#define TRACE_TRACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/vm_exit.h"

#define TRACE_MAGIC       "VMLTRACE"
#define TRACE_VERSION     1
#define TRACE_RING_EVENTS 4096       /* a power of two */

enum trace_type {
    TRACE_EXIT       = 1,   /* a VM exit, handled by the VMM            */
    TRACE_PAGE_WALK  = 2,   /* one reference of a guest page-table walk  */
    TRACE_IRQ        = 3,   /* an external interrupt delivered (INTA)    */
    TRACE_CODE_CACHE = 4,   /* a translation added/flushed (stage 01)    */
};

/* One event, 48 bytes.  Field use per type:
 *              reason         qual            eip    addr          value        cost_ns
 * EXIT         exit reason    qualification   EIP    port / gla    I/O value    handling ns
 * PAGE_WALK    level          table address   EIP    linear addr   entry read   (0)
 * IRQ          vector         irq line (-1?)  EIP    (0)           (0)          (0)
 * CODE_CACHE   kind           block gpa       EIP    block size    occupancy    (0)
 * flags: EXIT/I-O: bit 0 IN, bits 1-3 size; PAGE_WALK: bit 0 second dimension (EPT). */
struct trace_event {
    uint64_t time_ns;       /* since the VM started                     */
    uint16_t type;          /* enum trace_type                          */
    uint16_t flags;
    uint32_t reason;
    uint64_t qual;
    uint32_t eip;
    uint32_t addr;
    uint64_t value;
    uint64_t cost_ns;
};

struct trace_file_header {
    char     magic[8];      /* "VMLTRACE", not NUL-terminated            */
    uint32_t version;       /* TRACE_VERSION                             */
    uint32_t header_size;   /* sizeof(struct trace_file_header)          */
    uint32_t event_size;    /* sizeof(struct trace_event)                */
    uint32_t reserved;
    char     engine[16];    /* "interp", "bt", ... NUL-padded            */
};

struct trace {
    struct trace_event ring[TRACE_RING_EVENTS];
    _Atomic uint64_t head;  /* next slot the producer writes             */
    _Atomic uint64_t tail;  /* next slot the consumer reads              */
    bool     on;            /* somebody reads: producers record          */
    bool     lossy;         /* no file: overwrite old events (visualizer) */
    FILE    *file;          /* --trace FILE, or NULL                     */
    uint64_t written;       /* events written to the file                */
    uint64_t dropped;       /* events overwritten before being read      */
    uint64_t t0_ns;         /* CLOCK_MONOTONIC at trace_init             */
};

/* Open the ring; with file != NULL, create it and write the header
 * (-1 and a reason in err if it cannot be created).  Off until either a
 * file is given or trace_start_reader() is called. */
int  trace_init(struct trace *t, const char *file, const char *engine,
                char *err, size_t errlen);
/* An in-process reader (the visualizer) wants events: turn recording on,
 * overwriting the oldest events when the reader falls behind. */
void trace_start_reader(struct trace *t);
static inline bool trace_on(const struct trace *t) { return t->on; }

uint64_t trace_now(const struct trace *t);   /* ns since trace_init */
void trace_emit(struct trace *t, const struct trace_event *ev);
void trace_exit(struct trace *t, const struct vm_exit *e);
void trace_irq(struct trace *t, int vector, uint32_t eip);
/* One reference of a page walk: level 2 = PDE, 1 = PTE (SDM Vol. 3A §4.3);
 * ept = the second dimension (GPA -> HPA) of a 2-D walk (stage 04). */
void trace_page_walk(struct trace *t, int level, uint32_t table, uint32_t entry,
                     uint32_t lin, uint32_t eip, bool ept);
/* A code-cache event (stage 01): kind is engine-defined (e.g. 1 translate,
 * 2 invalidate, 3 flush); size in guest bytes, occupancy in cache bytes. */
void trace_code_cache(struct trace *t, uint32_t kind, uint32_t gpa, uint32_t size,
                      uint64_t occupancy, uint32_t eip);
/* Consumer: copy up to max events out of the ring; returns how many. */
size_t trace_read(struct trace *t, struct trace_event *out, size_t max);
/* Write everything in the ring to the file (if any). */
void trace_flush(struct trace *t);
/* Flush and close the file. */
void trace_close(struct trace *t);

#endif
