/*
 * dot.h — graphviz pictures for the slides (docs/ARCHITECTURE.md §7): the page walk
 * of one linear address, and the exit flow of a traced run.
 *
 *  - `vmm-XX --dot FILE [--walk ADDR]`: the walk of the last #PF as it was
 *    when the fault happened; or, with --walk (or an engine that does not
 *    walk the guest's tables itself, KVM), at the end of the run, the final
 *    CR3 and guest RAM are walked by the interpreter's page walker
 *    (x86/paging.h) for ADDR (default: the last #PF address, CR2) and drawn
 *    as CR3 -> page directory entry -> page table entry -> 4 KiB frame (or
 *    the 4 MiB page), each entry with its address, value and P/W/U/A/D bits.
 *  - `vmtrace --dot FILE.trace`: guest -> exit reason -> VMM handler ->
 *    resume, edges labelled with counts, from the trace's exit events.
 *
 * Render with `dot -Tsvg FILE -o FILE.svg`.
 */
#ifndef TRACE_DOT_H
#define TRACE_DOT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/guest_ram.h"
#include "trace/trace.h"
#include "x86/cpu.h"

struct pt_walk;

/* --- page walk ---------------------------------------------------------- */

/* A walk to draw, independent of the paging mode.  Room for the 2-D walk of
 * stage 04: references of dimension 1 (EPT, GPA -> HPA) are drawn in a
 * second row, each linked to the guest reference whose table address it
 * translates (dim1_of). */
#define DOT_WALK_MAX 24 /* 2-D 32-bit walk: 2 + 3 x 4 EPT refs, with slack */
struct dot_walk_ref {
    int dim;        /* 0 guest tables, 1 EPT (second dimension) */
    int level;      /* 2 PDE, 1 PTE (32-bit); EPT 4..1          */
    int dim1_of;    /* dim 1: index of the dim-0 ref it serves, or
                                        -1 for the final guest-physical address   */
    uint64_t table; /* address of the entry read                */
    uint64_t entry; /* the entry's value                        */
};
struct dot_walk {
    uint32_t lin;    /* the linear address walked                */
    const char *why; /* how it was chosen ("--walk", "last #PF")  */
    bool paging;     /* CR0.PG: off = linear is physical         */
    uint64_t root;   /* CR3                                      */
    int nrefs;
    struct dot_walk_ref ref[DOT_WALK_MAX];
    bool ok, large;      /* translated; by a 4 MiB page              */
    uint64_t phys;       /* the physical address (if ok)             */
    uint32_t error_code; /* #PF error code (if !ok)                  */
};

/* Fill d from a 32-bit walk (x86/paging.h) done under CR3 = cr3. */
void dot_walk_from_pt(struct dot_walk *d, uint32_t cr3, const struct pt_walk *w);
/* Write d as a DOT digraph. */
void dot_page_walk(FILE *f, const struct dot_walk *d);
/* The --dot FILE of a stage binary: walk lin (or, if !have_lin, the last
 * #PF address CR2) with the CPU's final CR0/CR3/CR4 over ram, as a
 * supervisor read (the walker sets the Accessed bits it would set), and
 * write the picture to f. */
void dot_vm_page_walk(FILE *f, struct guest_ram *ram, const struct x86_cpu *cpu, bool have_lin,
                      uint32_t lin);
/* The --dot FILE without --walk when the engine kept the walk of the last
 * #PF (vm_fault_walk): that walk, from the CR3 and with the access rights
 * of the faulting access, as the tables were when it faulted. */
void dot_fault_walk(FILE *f, const struct pt_walk *w, uint32_t cr3);

/* --- exit flow ----------------------------------------------------------- */

#define EXIT_FLOW_HANDLERS 48
struct exit_flow_handler {
    uint32_t reason;   /* exit reason it handles                   */
    const char *label; /* "16550 UART COM1" (on the port bus), ...  */
    uint64_t count;    /* exits handled                            */
    uint64_t ends;     /* of which ended the VM (no resume)         */
};
struct exit_flow {
    char engine[17];
    uint64_t exits, irqs;
    uint64_t reason_count[EXIT_REASON_MAX + 2]; /* last slot: other (VMM, failures) */
    uint64_t reason_cost[EXIT_REASON_MAX + 2];
    uint64_t irq_vector[256];
    int nhandlers;
    struct exit_flow_handler handler[EXIT_FLOW_HANDLERS];
    int last; /* handler of the latest exit, -1 none      */
};

void exit_flow_init(struct exit_flow *fl, const char *engine);
/* Account one event (exits and interrupts; other types are ignored). */
void exit_flow_add(struct exit_flow *fl, const struct trace_event *ev);
/* Write the flow as a DOT digraph; the last exit is drawn as ending the VM. */
void dot_exit_flow(FILE *f, const struct exit_flow *fl);

#endif
