/*
 * vtd_dmar.h — DMA remapping in legacy mode (VT-d §3.4.2, §3.7).
 *
 * A DMA request of source-id bus:dev.fn to address A (the device's I/O
 * virtual address) is translated in three steps when GSTS.TES = 1:
 *
 *   RTADDR (latched by SRTP) -> root table: 256 x 16-byte entries, one per
 *   bus (§9.1):  bit 0 P | bits 63:12 context-table pointer
 *     -> context table: 256 x 16 bytes, one per dev.fn (§9.3):
 *        bit 0 P | bit 1 FPD | bits 3:2 TT | bits 63:12 SLPTPTR ||
 *        bits 66:64 AW | bits 87:72 domain-id
 *          TT 00: translate through the second-level tables at SLPTPTR,
 *                 AW 1: 3 levels, 39-bit addresses; AW 2: 4 levels, 48
 *          TT 10: pass-through (the address is the memory address)
 *     -> second-level paging entries (§9.8), 512 x 8 bytes per table,
 *        indexed by 9 bits of A per level, as x86-64 paging but with
 *        bit 0 R and bit 1 W (neither: not present) and bit 7 PS for a
 *        2 MiB (level 2) or 1 GiB (level 3) page.
 *
 * A read needs R and a write W at every level.  Anything else blocks the
 * request with a fault (vtd_fault.h): the reason names the step.  Faults
 * found after the context entry are not recorded if its FPD (fault
 * processing disable) is set.  The context cache and IOTLB (vtd_iotlb.h)
 * skip the table reads when they hold the answer.
 */
#ifndef PT_VTD_DMAR_H
#define PT_VTD_DMAR_H

#include <stdbool.h>
#include <stdint.h>

struct vtd;

struct vtd_xlate {
    uint64_t gpa;   /* the memory address of the request's first byte     */
    uint64_t run;   /* bytes from there to the end of its page             */
    uint16_t did;   /* the domain, if translated                           */
    unsigned shift; /* page size: 12, 21, 30 (64 when not translated)      */
};

/* Translate one access of source-id sid at address iova (write: the device
 * writes memory).  0 and *x, or the fault reason (already recorded). */
int vtd_translate(struct vtd *u, uint16_t sid, uint64_t iova, bool write, struct vtd_xlate *x);

/* The second-level walk alone (no cache, no recording): from the table at
 * slptptr with `levels` levels.  0 and e->gpa/shift/r/w filled, or the
 * fault reason. */
struct vtd_tlbe;
int vtd_sl_walk(const struct vtd *u, uint64_t slptptr, unsigned levels, uint64_t iova, bool write,
                struct vtd_tlbe *e);

#endif
