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
 * fields they do not know (fields are only ever appended, which does not
 * change the version; the version changes only on an incompatible change).
 * trace_reader.h reads such files; common/README.md documents the format.
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
#define TRACE_RING_EVENTS 4096 /* a power of two */

enum trace_type {
    TRACE_EXIT = 1,       /* a VM exit, handled by the VMM            */
    TRACE_PAGE_WALK = 2,  /* one reference of a guest page-table walk  */
    TRACE_IRQ = 3,        /* an external interrupt delivered (INTA)    */
    TRACE_CODE_CACHE = 4, /* a translation added/flushed (stage 01)    */
    TRACE_MMU = 5,        /* memory virtualization (stage 04), below    */
};

/* TRACE_MMU kinds (the event's reason): what a VMM does to keep its shadow
 * page tables coherent with the guest's (Adams & Agesen 2006 §3.2; KVM's
 * arch/x86/kvm/mmu).  EPT's violations and misconfigurations are VM exits
 * (TRACE_EXIT 48/49: qual = the exit qualification, value = the GPA). */
enum trace_mmu_kind {
    TRACE_MMU_SYNC = 1,     /* a trapped guest table write propagated:
                               the shadow entries it produced dropped  */
    TRACE_MMU_UNSYNC = 2,   /* a guest table no longer write-protected
                               (write flooding, or no shadow uses it)  */
    TRACE_MMU_WP_FAULT = 3, /* a guest store to a write-protected guest
                               page-table page trapped                 */
    TRACE_MMU_EVICT = 4,    /* a cached shadow address space evicted   */
};
#define TRACE_MMU_KINDS 5

/* One event, 48 bytes.  Field use per type (the file format: common/README.md,
 * "Trace file format"):
 *              reason         qual            eip    addr          value        cost_ns
 * EXIT         exit reason    qualification   EIP    port / gla /  see below    handling ns
 *                                                    CR / MSR
 * PAGE_WALK    level 2/1      table address   EIP    linear addr   entry read   (0)
 *   (result)   0              physical addr   EIP    linear addr   #PF error    (0)
 * IRQ          vector         (0)             EIP    (0)           (0)          (0)
 * CODE_CACHE   kind           block gpa       EIP    block size    occupancy    (0)
 * MMU SYNC     kind           entry gpa       EIP    linear addr   entries dropped (0)
 *     UNSYNC   kind           table gpa       EIP    (0)           entries dropped (0)
 *     WP_FAULT kind           entry gpa       EIP    linear addr   (0)          (0)
 *     EVICT    kind           evicted CR3     EIP    new CR3       (0)          (0)
 * EXIT value: I/O the value; exception (vector << 32 | error code), addr = CR2;
 * CR access the value written, addr = CR number; EPT the GPA, addr = GLA.
 * flags, per type (bits not listed are 0; new bits may be added):        */
#define TRACE_F_IO_IN        (1u << 0)        /* EXIT I/O: IN (else OUT)          */
#define TRACE_F_IO_SIZE(f)   (((f) >> 1) & 7) /* EXIT I/O: 1, 2 or 4 bytes  */
#define TRACE_F_IO_STRING    (1u << 4)        /* EXIT I/O: INS/OUTS               */
#define TRACE_F_IO_REP       (1u << 5)        /* EXIT I/O: REP prefix             */
#define TRACE_F_EXC_ERRCODE  (1u << 0)        /* EXIT exception: has error code   */
#define TRACE_F_CR_ACCESS(f) ((f)&3)          /* EXIT CR: 0 mov to, 1 mov from, 2 clts, 3 lmsw */
#define TRACE_F_CR_GPR(f)    (((f) >> 2) & 7) /* EXIT CR: register (0 = EAX) */
#define TRACE_F_WALK_EPT     (1u << 0)        /* PAGE_WALK: second dimension      */
#define TRACE_F_WALK_RESULT  (1u << 1)        /* PAGE_WALK: the walk's outcome (level 0) */
#define TRACE_F_WALK_FAULT   (1u << 2)        /* PAGE_WALK result: #PF, value = error */
#define TRACE_F_WALK_LARGE   (1u << 3)        /* PAGE_WALK result: 4 MiB page      */
#define TRACE_F_WALK_WINDOW \
    (1u << 4) /* PAGE_WALK: stage 01's window (shadow
                                            page table) filled on a host fault */
/* A 2-D walk (stage 04, EPT): each guest-physical access of the guest's walk
 * is translated by EPT references (TRACE_F_WALK_EPT, level 4 = PML4E .. 1 =
 * PTE, table = the entry's host-physical address); ROW says which access
 * they translate: 2 the page directory (for the PDE), 1 the page table (for
 * the PTE), 0 the final page.  The order is the walk's: row 2's EPT
 * references, the PDE, row 1's, the PTE, row 0's, the EPT result (the HPA),
 * then the guest result, which ends every walk. */
#define TRACE_F_WALK_ROW(f)  (((f) >> 5) & 3)
#define TRACE_F_WALK_ROWV(r) ((uint16_t)((r)&3) << 5)
#define TRACE_F_WALK_CACHED \
    (1u << 7) /* a guest entry from the paging-structure
                                          cache, or (EPT, level 0) a row's translation
                                          from the guest-physical cache: no reference */
#define TRACE_F_WALK_EXIT \
    (1u << 8)                     /* result: the walk ended in an EPT exit
                                          (value = exit reason 48/49, phys = the GPA) */
#define TRACE_F_MMU_PDE (1u << 0) /* MMU SYNC/WP_FAULT: a directory entry (4 MiB) */
struct trace_event {
    uint64_t time_ns; /* since the VM started                     */
    uint16_t type;    /* enum trace_type                          */
    uint16_t flags;
    uint32_t reason;
    uint64_t qual;
    uint32_t eip;
    uint32_t addr;
    uint64_t value;
    uint64_t cost_ns;
};

struct trace_file_header {
    char magic[8];        /* "VMLTRACE", not NUL-terminated            */
    uint32_t version;     /* TRACE_VERSION                             */
    uint32_t header_size; /* sizeof(struct trace_file_header)          */
    uint32_t event_size;  /* sizeof(struct trace_event)                */
    uint32_t reserved;
    char engine[16]; /* "interp", "bt", ... NUL-padded            */
};

struct trace {
    struct trace_event ring[TRACE_RING_EVENTS];
    _Atomic uint64_t head; /* next slot the producer writes             */
    _Atomic uint64_t tail; /* next slot the consumer reads              */
    bool on;               /* somebody reads: producers record          */
    bool lossy;            /* no file: overwrite old events (visualizer) */
    FILE *file;            /* --trace FILE, or NULL                     */
    uint64_t written;      /* events written to the file                */
    uint64_t dropped;      /* events overwritten before being read      */
    uint64_t t0_ns;        /* CLOCK_MONOTONIC at trace_init             */
};

/* Open the ring; with file != NULL, create it and write the header
 * (-1 and a reason in err if it cannot be created).  Off until either a
 * file is given or trace_start_reader() is called. */
int trace_init(struct trace *t, const char *file, const char *engine, char *err, size_t errlen);
/* An in-process reader (the visualizer) wants events: turn recording on,
 * overwriting the oldest events when the reader falls behind. */
void trace_start_reader(struct trace *t);
static inline bool trace_on(const struct trace *t) { return t->on; }

uint64_t trace_now(const struct trace *t); /* ns since trace_init */
void trace_emit(struct trace *t, const struct trace_event *ev);
void trace_exit(struct trace *t, const struct vm_exit *e);
void trace_irq(struct trace *t, int vector, uint32_t eip);
/* One reference of a page walk: level 2 = PDE, 1 = PTE (SDM Vol. 3A §4.3);
 * ept = the second dimension (GPA -> HPA) of a 2-D walk (stage 04). */
void trace_page_walk(struct trace *t, int level, uint32_t table, uint32_t entry, uint32_t lin,
                     uint32_t eip, bool ept);
/* The outcome of a walk, after its references: the physical address, or
 * the #PF error code (fault); large = a 4 MiB page (level 0 event). */
void trace_page_walk_result(struct trace *t, uint32_t lin, bool ok, uint64_t phys,
                            uint32_t error_code, bool large, uint32_t eip, bool ept);
/* A code-cache event (stage 01): kind is engine-defined (1 translate,
 * 2 invalidate, 3 flush, 4 window flush: bt's shadow mappings all dropped);
 * size in guest bytes, occupancy in cache bytes. */
void trace_code_cache(struct trace *t, uint32_t kind, uint32_t gpa, uint32_t size,
                      uint64_t occupancy, uint32_t eip);
/* A memory-virtualization event (TRACE_MMU; fields as in the table above). */
void trace_mmu(struct trace *t, uint32_t kind, uint16_t flags, uint64_t qual, uint32_t addr,
               uint64_t value, uint32_t eip);
/* Consumer: copy up to max events out of the ring; returns how many. */
size_t trace_read(struct trace *t, struct trace_event *out, size_t max);
/* Write everything in the ring to the file (if any). */
void trace_flush(struct trace *t);
/* Flush and close the file. */
void trace_close(struct trace *t);

#endif
