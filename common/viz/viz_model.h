/*
 * viz_model.h — what the visualizer shows, independent of where it comes
 * from: a running VM (viz_live.c, fed by the run loop's observer) or a
 * trace file (viz_replay.c).  The panes (pane_*.c) only read this.
 *
 * Nothing here is global: one model per visualizer, guarded by its
 * owner's lock when two threads share it (the live case).
 */
#ifndef VIZ_VIZ_MODEL_H
#define VIZ_VIZ_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include "core/vm_exit.h"
#include "trace/trace.h"
#include "x86/cpu.h"

#define VIZ_OTHER      (EXIT_REASON_MAX + 1) /* slot: VMM-internal, entry failures */
#define VIZ_NSLOTS     (EXIT_REASON_MAX + 2)
#define VIZ_MMU        VIZ_NSLOTS   /* log filter: stage 04's memory events (TRACE_MMU) */
#define VIZ_LOG        1024         /* exits kept for the log (a power of two) */
#define VIZ_LOG_REASON 64           /* ... and per reason, for the filter      */
#define VIZ_CONSOLE    65536        /* bytes of guest console kept             */
#define VIZ_RATE_NS    500000000ull /* rates are measured over 0.5 s           */

/* One exit as the log shows it (struct vm_exit without its message), or
 * one memory event (type TRACE_MMU: reason = kind, qual, addr, value and
 * flags as in the trace event; seq = the exit it came after). */
struct viz_exit {
    uint16_t type;    /* TRACE_EXIT or TRACE_MMU                     */
    uint16_t flags;   /* TRACE_MMU: the event's flags               */
    uint32_t addr;    /* TRACE_MMU: the event's addr                */
    uint64_t value;   /* TRACE_MMU: the event's value               */
    uint64_t seq;     /* 1-based exit number                        */
    uint64_t time_ns; /* since the VM started                       */
    uint32_t reason, eip;
    uint64_t qual, cost_ns;
    struct vm_exit_u {
        unsigned char b[sizeof(((struct vm_exit *)0)->u)];
    } u;
};

/* A page walk as the walk pane draws it: the guest dimension (CR3 -> PDE
 * -> PTE -> frame), and, for stage 04's EPT, the 2-D walk as the model CPU
 * made it: per guest-physical access (row: the page directory, the page
 * table, the page) the EPT references that translated it (PML4E ... PTE)
 * or "cached", and the guest entry read there (trace.h, TRACE_F_WALK_ROW). */
struct viz_walk_dim {
    bool present; /* this dimension exists / was recorded        */
    int nrefs;    /* 0, 1 (PDE only: 4 MiB or PDE fault), 2      */
    uint32_t table[2], entry[2];
    bool done, ok, large; /* outcome known; translation ok; 4 MiB page   */
    uint64_t phys;        /* the result (if ok)                          */
    uint32_t error_code;  /* #PF error code (if !ok)                     */
};
struct viz_walk_row {
    bool used;          /* the walk made this guest-physical access    */
    bool cached;        /* its translation from the guest-physical cache */
    bool gref, gcached; /* PD, PT rows: the guest entry read / cached  */
    uint64_t gpa, hpa;  /* the access (PD, PT: the entry's GPA), its HPA */
    int nept;           /* EPT references, PML4E first                  */
    uint64_t ept_table[4], ept_entry[4];
    uint32_t gentry;
};
struct viz_walk {
    bool paging; /* CR0.PG (live) / walks exist (replay)        */
    uint32_t lin, cr3;
    uint32_t eip;  /* replay: instruction that walked             */
    bool recorded; /* from a trace (replay) vs walked now (live)  */
    char note[80]; /* instead of a walk: why there is none        */
    struct viz_walk_dim dim;
    bool twod; /* a 2-D walk (EPT): row[] and what follows    */
    struct viz_walk_row row[3];
    int refs;      /* memory references it made                   */
    uint64_t hpa;  /* the host-physical result (ok)               */
    bool ept_exit; /* it ended in an EPT exit                     */
    uint32_t exit_reason;
    uint64_t exit_gpa;
};

/* Walks assembled from PAGE_WALK trace events (viz_walk.c): the newest,
 * and the newest of each linear page (a table of npages, a power of two). */
struct viz_walker {
    struct viz_walk cur, newest;
    bool have_cur;
    bool twod_seen;        /* a 2-D walk was recorded (EPT)          */
    struct viz_walk *page; /* [npages], by linear page number       */
    unsigned npages;
};
/* One walk event; true when it ended a walk. */
bool viz_walker_event(struct viz_walker *w, const struct trace_event *ev);
/* The walk being assembled is over (end of the trace). */
void viz_walker_done(struct viz_walker *w);
/* The newest walk of lin's page, or NULL. */
const struct viz_walk *viz_walker_page(const struct viz_walker *w, uint32_t lin);

struct viz_model {
    char engine[24];
    char source[96]; /* "vmm-bt, live" / "trace FILE"                */
    bool live;       /* a running VM (else a trace replay)          */
    uint64_t now_ns; /* time of the newest information              */

    /* Exit histogram, SDM reasons 0..65 plus "other". */
    uint64_t count[VIZ_NSLOTS];
    uint64_t cost_ns[VIZ_NSLOTS];
    double rate[VIZ_NSLOTS], total_rate;         /* exits/s                */
    uint64_t rate_count[VIZ_NSLOTS], rate_total; /* counts at rate_t0      */
    uint64_t rate_t0;
    uint64_t nexits, irqs;

    /* Exit log: the newest VIZ_LOG exits and memory events, and the
     * newest per reason (slot VIZ_MMU: the memory events). */
    struct viz_exit log[VIZ_LOG];
    uint64_t nlog;          /* entries ever logged                        */
    struct viz_exit newest; /* the newest exit                   */
    struct viz_exit by_reason[VIZ_NSLOTS + 1][VIZ_LOG_REASON];
    uint64_t by_reason_n[VIZ_NSLOTS + 1];
    int filter;                          /* -1 all, else a slot                          */
    uint64_t mmu_count[TRACE_MMU_KINDS]; /* memory events by kind (trace.h)  */
    uint64_t nmmu;

    /* Registers (live: the whole vCPU at the newest exit; replay: EIP). */
    bool have_cpu;
    struct x86_cpu cpu;
    uint64_t instructions;
    uint32_t last_eip;

    /* Page walk pane. */
    bool walk_auto; /* live: the EIP of the newest exit;
                                  replay: the newest walk recorded           */
    uint32_t walk_addr;
    struct viz_walk walk;
    uint64_t walks_seen; /* walk events seen (TLB misses that walked)   */

    /* Code cache, from TRACE_CODE_CACHE events. */
    bool cc_seen;
    uint64_t cc_decoded, cc_invalidated, cc_flushed, cc_occupancy;
    uint64_t trace_dropped;          /* events lost in the ring before we read them */
    bool trace_elsewhere;            /* the ring goes to a --trace file, not to us  */
    uint64_t trace_pos, trace_total; /* replay: events shown / in the file */
    int trace_speed;                 /* replay: exits per frame = 2^speed           */

    /* The engine's own counters, as its --stats prints them so far (bt:
     * helper calls, hidden faults, code cache), refreshed by the live
     * source at most every VIZ_RATE_NS and at every paused exit. */
    char estats[2048];
    uint64_t estats_ns; /* when taken (0: never; replay: none) */

    /* Guest console (the serial port), newest bytes. */
    char console[VIZ_CONSOLE];
    uint64_t console_n;
};

void viz_model_init(struct viz_model *m, const char *engine, const char *source);
/* Record one exit at time t. */
void viz_model_exit(struct viz_model *m, const struct vm_exit *e, uint64_t t_ns);
/* A trace event that is not an exit (page walk, IRQ, code cache). */
void viz_model_event(struct viz_model *m, const struct trace_event *ev);
void viz_model_console(struct viz_model *m, uint8_t byte);
/* Advance the clock; rates are refreshed every VIZ_RATE_NS. */
void viz_model_tick(struct viz_model *m, uint64_t t_ns);
/* Rebuild a struct vm_exit from the log (message empty). */
void viz_exit_unpack(const struct viz_exit *x, struct vm_exit *e);
/* Log one memory event (TRACE_MMU). */
void viz_model_mmu(struct viz_model *m, const struct trace_event *ev);
/* Slot of a reason: 0..65, or VIZ_OTHER. */
static inline int viz_slot(uint32_t reason)
{
    return reason <= EXIT_REASON_MAX ? (int)reason : VIZ_OTHER;
}
/* The next filter after cur among reasons seen (-1 = all). */
int viz_model_next_filter(const struct viz_model *m, int cur);
/* The i-th newest exit passing the filter (i = 0 newest), or NULL. */
const struct viz_exit *viz_model_log_get(const struct viz_model *m, uint64_t i);
/* How many exits the filtered log holds. */
uint64_t viz_model_log_len(const struct viz_model *m);

#endif
