/*
 * vtd_iotlb.h — the caches of a VT-d unit (VT-d §6.1 "Caching Mode" and
 * §6.2 "Address Translation Caches"):
 *
 *   context cache   source-id -> context entry (§6.2.1): skips the root and
 *                   context table reads of a walk
 *   IOTLB           (domain-id, page) -> page frame and R/W (§6.2.2): skips
 *                   the whole walk; tagged by domain, so devices of one
 *                   domain share entries
 *   interrupt entry cache  index -> IRTE (§6.4)
 *
 * Like a CPU's TLB they are not coherent with memory: software that
 * changes a table entry must invalidate what may be cached of it, with
 * the register-based commands (CCMD_REG, IOTLB_REG, §6.5.1) or the
 * invalidation queue (§6.5.2, vtd_qi.h).  A stale entry keeps translating
 * until then, as on hardware.  Only entries that translated successfully
 * are cached (§6.2.2: not-present entries are not cached when
 * CAP.CM = 0).  Each cache is a small fully associative array, replaced
 * round robin.
 */
#ifndef PT_VTD_IOTLB_H
#define PT_VTD_IOTLB_H

#include <stdbool.h>
#include <stdint.h>

/* The invalidation granularities both interfaces use (§6.5.1). */
enum { VTD_INV_GLOBAL = 1, VTD_INV_DOMAIN = 2, VTD_INV_DEVICE_OR_PAGE = 3 };

#define VTD_CC_ENTRIES    16
#define VTD_IOTLB_ENTRIES 32
#define VTD_IEC_ENTRIES   16

struct vtd_cache_stats {
    uint64_t hits, misses, invalidations, flushed; /* flushed: entries dropped */
};

struct vtd_cce { /* a context-cache entry */
    bool valid;
    uint16_t sid, did;
    uint64_t ce[2]; /* the context entry, bits 63:0 and 127:64 */
};

struct vtd_tlbe { /* an IOTLB entry */
    bool valid;
    uint16_t did;
    uint64_t iova, gpa; /* page-aligned bases                      */
    unsigned shift;     /* page size: 12, 21 or 30                  */
    bool r, w;          /* permissions ANDed over the walk's levels */
};

struct vtd_iece { /* an interrupt entry cache entry */
    bool valid;
    uint16_t index;
    uint64_t irte[2];
};

struct vtd_caches {
    struct vtd_cce cc[VTD_CC_ENTRIES];
    struct vtd_tlbe tlb[VTD_IOTLB_ENTRIES];
    struct vtd_iece iec[VTD_IEC_ENTRIES];
    unsigned cc_next, tlb_next, iec_next; /* round-robin victims */
    struct vtd_cache_stats cc_stats, tlb_stats, iec_stats;
};

void vtd_caches_reset(struct vtd_caches *c);

/* Context cache (§6.2.1). */
bool vtd_cc_lookup(struct vtd_caches *c, uint16_t sid, uint64_t ce[2]);
void vtd_cc_insert(struct vtd_caches *c, uint16_t sid, uint16_t did, const uint64_t ce[2]);
/* gran VTD_INV_GLOBAL, _DOMAIN (did) or _DEVICE_OR_PAGE (did, sid with
 * the function mask fm: 0 compare all bits, 1-3 ignore the low 1-3 bits of
 * the function, §10.4.7). */
void vtd_cc_invalidate(struct vtd_caches *c, unsigned gran, uint16_t did, uint16_t sid,
                       unsigned fm);

/* IOTLB (§6.2.2). */
bool vtd_iotlb_lookup(struct vtd_caches *c, uint16_t did, uint64_t iova, struct vtd_tlbe *out);
void vtd_iotlb_insert(struct vtd_caches *c, const struct vtd_tlbe *e);
/* gran VTD_INV_GLOBAL, _DOMAIN (did) or _DEVICE_OR_PAGE (did, the 2^am
 * pages at addr, naturally aligned, §6.5.1.2). */
void vtd_iotlb_invalidate(struct vtd_caches *c, unsigned gran, uint16_t did, uint64_t addr,
                          unsigned am);

/* Interrupt entry cache (§6.4). */
bool vtd_iec_lookup(struct vtd_caches *c, uint16_t index, uint64_t irte[2]);
void vtd_iec_insert(struct vtd_caches *c, uint16_t index, const uint64_t irte[2]);
/* global, or the 2^im entries at index (§6.5.2.7). */
void vtd_iec_invalidate(struct vtd_caches *c, bool global, uint16_t index, unsigned im);

#endif
