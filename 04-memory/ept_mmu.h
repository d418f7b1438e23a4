/*
 * ept_mmu.h — the model CPU translating with EPT on: the two-dimensional
 * walk, reference by reference, and the caches that make it rare.
 *
 * With EPT the guest's own tables translate linear -> guest-physical, and
 * every guest-physical address the walk produces — the page directory the
 * guest's CR3 names, the page table a PDE names, the final page — is
 * itself translated by a 4-level EPT walk (ept.h).  For the guest's 2-level
 * tables a TLB miss costs up to 4 + 1 + 4 + 1 + 4 = 14 memory references
 * (a PDE with PS=1: 4 + 1 + 4 = 9); a 4-level guest would cost 24.
 *
 * The caches (SDM Vol. 3C §29.4.1): the TLB of combined mappings, linear
 * -> host-physical, is the interpreter's own (x86/tlb.h); besides it
 *   guest-physical mappings  gpa page -> hpa page and the EPT permissions,
 *                       tagged with the EPTP (EP4TA); they survive guest
 *                       CR3 loads, and only INVEPT drops them;
 *   paging-structure cache  per linear 4 MiB, the guest PDE that points
 *                       at a page table: a hit skips 5 references; it is
 *                       dropped by a guest CR3 load and INVLPG.
 * With VPID the linear and combined mappings carry the VM's tag and stay
 * across VM exits and entries; without it every VM entry flushes them
 * (§29.4.3.1), which --vpid off shows as TLB misses.
 */
#ifndef MEM_EPT_MMU_H
#define MEM_EPT_MMU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "04-memory/ept.h"
#include "x86/interp.h"

struct trace;

#define EPT_GPA_CACHE 256 /* guest-physical mappings, direct-mapped */

struct ept_stats {
    uint64_t walks;                  /* TLB misses translated by the 2-D walk      */
    uint64_t guest_refs, ept_refs;   /* memory references of those walks           */
    uint64_t max_refs;               /* most references one walk made              */
    uint64_t full_walks;             /* walks with no cache hit (14, or 9 for 4 MiB) */
    uint64_t gpa_hits, gpa_misses;   /* guest-physical mappings cache              */
    uint64_t pde_hits, pde_misses;   /* paging-structure (PDE) cache               */
    uint64_t violations, misconfigs; /* exits 48 and 49                             */
    uint64_t viol_acc[3];            /* violations by access: read, write, fetch   */
    uint64_t viol_tables;            /* of those, on guest paging-structure entries */
    uint64_t viol_perm[8];           /* by the permissions found (qualification 5:3) */
    uint64_t entry_flushes;          /* VM entries that flushed (VPID off)         */
    uint64_t flushes, invept;        /* linear flushes (CR3, INVLPG); INVEPTs       */
};

/* One 2-D walk as the model CPU made it, reference by reference: for the
 * trace (each reference an event, trace.h), the visualizer's grid and
 * --dot --walk.  Rows are the guest-physical accesses of the guest's walk:
 * EPT_ROW_PD the page directory (to read the PDE), EPT_ROW_PT the page
 * table (the PTE), EPT_ROW_PAGE the final page; each is translated by up
 * to 4 EPT references (PML4E, PDPTE, PDE, PTE), or by the cache of
 * guest-physical mappings (cached: none). */
enum { EPT_ROW_PD, EPT_ROW_PT, EPT_ROW_PAGE, EPT_ROWS };
struct ept_row {
    bool used;         /* the walk made this access                   */
    bool cached;       /* translated from the guest-physical cache    */
    uint64_t gpa, hpa; /* the address translated, and its translation */
    int nept;          /* EPT references made (0-4)                   */
    struct ept_ref ept[4];
    bool gref, gcached; /* PD, PT: the guest entry read; from the PDE cache */
    uint32_t gentry;    /* its value (after A/D were set)                */
};
struct ept_2d {
    uint32_t lin, cr3;
    bool paging; /* CR0.PG: else only the final row         */
    struct ept_row row[EPT_ROWS];
    int nrefs;            /* memory references: guest + EPT          */
    int result;           /* INTERP_XLATE_OK, _PF or _EXIT           */
    uint32_t error_code;  /* _PF: the #PF error code                 */
    uint32_t exit_reason; /* _EXIT: 48 or 49                          */
    uint64_t exit_gpa;    /* _EXIT: the GPA the EPT walk failed on   */
    bool large;           /* a 4 MiB guest page                      */
    uint64_t gpa, hpa;    /* _OK: the translation                    */
};

struct ept_gpa_entry {
    uint64_t eptp; /* tag: the EPTP it was walked under (0: empty) */
    uint32_t gfn;
    uint64_t hfn;
    unsigned perm;
    bool dirty;
};

struct ept_cpu {
    struct ept_mem *mem;
    uint64_t eptp;       /* loaded at VM entry                        */
    bool vpid;           /* "enable VPID"                              */
    bool caches;         /* paging-structure and guest-physical caches */
    uint64_t mmio_allow; /* page the VMM lets the instruction at mmio_eip */
    uint32_t mmio_eip;   /* access (it emulates an MMIO access), or ~0   */
    struct ept_gpa_entry gpa[EPT_GPA_CACHE];
    uint32_t pde[1024];
    uint8_t pde_ok[1024];
    struct ept_stats st;
    struct trace *trace; /* --trace / --viz: every 2-D walk's references */
    struct ept_2d *rec;  /* the walk being recorded, or NULL            */
};

void ept_cpu_init(struct ept_cpu *c, struct ept_mem *mem, bool vpid, bool caches);
/* The 2-D walk for the interpreter's xlate hook (x86/interp.h): lin for an
 * access acc (ACC_W, ACC_X, ACC_U) under the guest's cr0/cr3/cr4. */
int ept_translate(struct ept_cpu *c, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin,
                  unsigned acc, struct interp_xlate *x, struct vm_exit *e);
/* A guest CR3 load or INVLPG (or a VM entry without VPID): linear and
 * paging-structure entries go. */
void ept_flush_linear(struct ept_cpu *c);
/* INVEPT (single-context): guest-physical mappings of c->eptp go too. */
void ept_invept(struct ept_cpu *c);
void ept_print_stats(const struct ept_cpu *c, FILE *out);
/* The full 2-D walk of lin (a supervisor read) under cr0/cr3/cr4, the caches
 * bypassed, recorded in *out (for --dot --walk at the end of a run). */
void ept_walk_lin(struct ept_cpu *c, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin,
                  struct ept_2d *out);
/* ept_walk2d.c: a recorded walk as trace events (trace.h: TRACE_F_WALK_ROW,
 * _CACHED, _EXIT) by the instruction at eip, and as a --dot picture. */
void ept_2d_trace(struct trace *t, const struct ept_2d *r, uint32_t eip);
void ept_2d_dot(FILE *f, const struct ept_2d *r, uint64_t eptp, const char *why);

#endif
