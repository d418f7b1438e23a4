/*
 * ept.h — extended page tables (SDM Vol. 3C §29.3): the second dimension
 * of address translation, guest-physical -> host-physical, as the model
 * CPU walks it and as the VMM builds it.
 *
 * EPTP (VMCS field 0x201a, §25.6.11) holds the host-physical address of a
 * 4-level table (PML4, PDPT, PD, PT, 512 entries of 8 bytes each), the
 * memory type of the tables (bits 2:0, 6 = WB), the walk length - 1 (bits
 * 5:3 = 3) and bit 6, EPT accessed and dirty flags.  A guest-physical
 * address is split 9/9/9/9/12 (bits 47:39 ... 20:12).  An entry has
 * R, W, X in bits 0-2 (all 0: not present), in a leaf the memory type in
 * bits 5:3 and "ignore PAT" in bit 6, bit 7 = a 2 MiB page in a PDE,
 * accessed bit 8, dirty bit 9 (leaf), the next table or frame in bits
 * 38:12 (the model's physical-address width is 39 bits).
 *
 * Two ways a walk fails (§29.3.3):
 *   EPT misconfiguration (exit 49)  an entry the CPU cannot use: W without
 *       R (bits 2:0 = 010b or 110b), a reserved bit set (bits 38+, bits 7:3
 *       of a PML4E, 6:3 of a non-leaf, bit 7 of a PDPTE: no 1 GiB pages
 *       here, 20:12 of a 2 MiB PDE), or a leaf memory type 2, 3 or 7;
 *   EPT violation (exit 48)  an entry not present, or the access not
 *       allowed by the AND of R/W/X over the levels; the exit
 *       qualification (Table 28-7) says which access (bits 0-2: read,
 *       write, fetch), what the entries allowed (bits 3-5), whether the
 *       guest linear address is valid (bit 7) and whether the access was
 *       to the translation of it (bit 8 = 1) or to a guest paging-structure
 *       entry (bit 8 = 0).
 *
 * Host-physical memory of the model: [0, RAM size) is the RAM object (the
 * VMM maps guest RAM one to one onto it, as KVM maps a memory slot), and
 * from EPT_POOL_HPA on the pages the VMM allocates its tables in.  Nothing
 * else: an entry read anywhere else reads all ones, a misconfiguration.
 */
#ifndef MEM_EPT_H
#define MEM_EPT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/guest_ram.h"

#define EPT_R      (1ull << 0)
#define EPT_W      (1ull << 1)
#define EPT_X      (1ull << 2)
#define EPT_RWX    (EPT_R | EPT_W | EPT_X)
#define EPT_MT(t)  ((uint64_t)(t) << 3) /* leaf memory type, bits 5:3 */
#define EPT_MT_WB  6
#define EPT_IPAT   (1ull << 6)
#define EPT_PS     (1ull << 7) /* PDE: a 2 MiB page */
#define EPT_A      (1ull << 8)
#define EPT_D      (1ull << 9)
#define EPT_MAXPHY 39
#define EPT_ADDR   (((1ull << EPT_MAXPHY) - 1) & ~0xfffull)

#define EPTP_WB   6ull
#define EPTP_WALK (3ull << 3) /* walk length 4 */
#define EPTP_AD   (1ull << 6)

#define EPT_POOL_HPA (1ull << 38) /* the VMM's EPT pages, host-physical */

/* Exit qualification of an EPT violation (SDM Vol. 3C Table 28-7). */
#define EPTQ_READ       (1u << 0)
#define EPTQ_WRITE      (1u << 1)
#define EPTQ_FETCH      (1u << 2)
#define EPTQ_PERM_SHIFT 3 /* bits 3-5: R, W, X of the entries (AND)  */
#define EPTQ_GLA_VALID  (1u << 7)
#define EPTQ_GLA_XLATE  (1u << 8) /* the access was to the translation   */

enum { EPT_OK, EPT_VIOLATION, EPT_MISCONFIG };

/* The model's host-physical memory. */
struct ept_mem {
    struct guest_ram *ram; /* HPA [0, ram->size)                         */
    uint8_t *pool;         /* HPA EPT_POOL_HPA + 4096 * i, i < npool     */
    unsigned npool, used;
};

struct ept_ref {
    uint64_t hpa, entry; /* where the entry was read, its value       */
};

struct ept_walk {
    uint64_t gpa;
    unsigned acc; /* EPT_R, EPT_W, EPT_X wanted                   */
    int nrefs;    /* entries read: 4, 3 for a 2 MiB page, fewer on a fault */
    struct ept_ref ref[4];
    int result;      /* EPT_OK, EPT_VIOLATION, EPT_MISCONFIG          */
    unsigned perm;   /* AND of R/W/X over the entries read            */
    uint64_t hpa;    /* the translation (EPT_OK)                       */
    bool dirty;      /* with A/D: the leaf's D flag after the walk     */
    const char *why; /* a misconfiguration, in the SDM's words      */
};

int ept_mem_init(struct ept_mem *m, struct guest_ram *ram, unsigned pages);
void ept_mem_fini(struct ept_mem *m);
/* The 8 bytes at host-physical hpa, or NULL: no memory there. */
uint64_t *ept_mem_entry(struct ept_mem *m, uint64_t hpa);
/* A zeroed page of the pool: its host-physical address, 0 if full. */
uint64_t ept_mem_alloc(struct ept_mem *m);

/* The CPU's walk of gpa for an access acc under eptp (§29.3.2): fills *w,
 * returns w->result; sets A (every entry) and D (leaf, on a write) when
 * EPTP bit 6 is set and the access is allowed (§29.3.5). */
int ept_walk(struct ept_mem *m, uint64_t eptp, uint64_t gpa, unsigned acc, struct ept_walk *w);

/* The VMM's side: map the 4 KiB guest-physical page gpa to hpa with
 * permissions perm (EPT_R/W/X, memory type WB), building the tables on
 * the way; 0, or -1 when the pool is full. */
int ept_map(struct ept_mem *m, uint64_t eptp, uint64_t gpa, uint64_t hpa, uint64_t perm);
/* The leaf entry of gpa (4 KiB pages), or NULL if not mapped. */
uint64_t *ept_leaf(struct ept_mem *m, uint64_t eptp, uint64_t gpa);

#endif
