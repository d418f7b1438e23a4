/*
 * paging.h — the 32-bit paging walk (SDM Vol. 3A §4.3), as a pure function.
 *
 * A linear address is split 10/10/12: the page directory (CR3) entry picked
 * by bits 31:22 points to a page table whose entry picked by bits 21:12
 * gives the 4 KiB frame; with CR4.PSE a directory entry with PS=1 maps a
 * 4 MiB page directly.  Access rights are the AND of both levels (U/S,
 * R/W); supervisor writes ignore R/W unless CR0.WP=1 (§4.6).  On success
 * the walker sets the Accessed bits, and the Dirty bit on a write, in guest
 * memory, as the hardware does.  Every reference is recorded so tracing and
 * the visualizer can show the walk.
 */
#ifndef X86_PAGING_H
#define X86_PAGING_H

#include <stdint.h>
#include <stdbool.h>
#include "core/guest_ram.h"

/* Page-table entry bits (SDM Vol. 3A Table 4-5, 4-6). */
#define PTE_P   (1u << 0)
#define PTE_W   (1u << 1)
#define PTE_U   (1u << 2)
#define PTE_PWT (1u << 3)
#define PTE_PCD (1u << 4)
#define PTE_A   (1u << 5)
#define PTE_D   (1u << 6)
#define PTE_PS  (1u << 7) /* in a PDE: 4 MiB page                      */
#define PTE_G   (1u << 8)

/* What the access is (also the low bits of the #PF error code, §4.7). */
#define ACC_R 0u
#define ACC_W (1u << 1) /* error code bit 1: write                    */
#define ACC_U (1u << 2) /* error code bit 2: CPL 3 (user-mode access) */
#define ACC_X \
    (1u << 4)               /* instruction fetch (bit 4 is only reported
                                  with NX/SMEP, so it never reaches the code) */
#define PFEC_P    (1u << 0) /* 0 = not present, 1 = protection violation  */
#define PFEC_RSVD (1u << 3)

struct pt_ref {
    uint32_t table; /* guest-physical address of the entry read   */
    uint32_t entry; /* its value (after A/D were set)             */
};

struct pt_walk {
    uint32_t lin;         /* the linear address                          */
    unsigned acc;         /* ACC_* of the access                         */
    int nrefs;            /* 1 (4 MiB page or PDE fault) or 2            */
    struct pt_ref ref[2]; /* [0] = PDE, [1] = PTE                        */
    bool ok;              /* translation succeeded                      */
    uint32_t gpa;         /* guest-physical address (if ok)              */
    uint32_t error_code;  /* #PF error code (if !ok)                     */
    bool user, writable;  /* combined rights of the translation          */
    bool dirty;           /* D bit set in the final entry after the walk */
    bool global;          /* G bit with CR4.PGE                          */
    bool large;           /* 4 MiB page                                  */
};

/* Translate lin for an access acc (ACC_W|ACC_U|ACC_X combination) with the
 * given control registers (paging must be on: CR0.PG=1).  Fills *w; returns
 * w->ok.  Entries outside guest RAM read as 0 (not present). */
bool pt_walk(struct guest_ram *ram, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin,
             unsigned acc, struct pt_walk *w);

/* --trace: record a finished walk done for the instruction at eip: every
 * reference (level 2 = PDE, 1 = PTE) then its outcome (physical address or
 * #PF).  Shared by the engines' page_walk hooks (interp, bt). */
struct trace;
void trace_pt_walk(struct trace *t, const struct pt_walk *w, uint32_t eip);

#endif
