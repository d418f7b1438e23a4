/*
 * vtd_iotlb.c — the context cache, IOTLB and interrupt entry cache
 * (vtd_iotlb.h).
 */
#include "06-passthrough/vtd_iotlb.h"

#include <string.h>

void vtd_caches_reset(struct vtd_caches *c) { memset(c, 0, sizeof *c); }

/* ---- context cache ----------------------------------------------------- */
bool vtd_cc_lookup(struct vtd_caches *c, uint16_t sid, uint64_t ce[2])
{
    for (unsigned i = 0; i < VTD_CC_ENTRIES; i++) {
        if (c->cc[i].valid && c->cc[i].sid == sid) {
            ce[0] = c->cc[i].ce[0];
            ce[1] = c->cc[i].ce[1];
            c->cc_stats.hits++;
            return true;
        }
    }
    c->cc_stats.misses++;
    return false;
}

void vtd_cc_insert(struct vtd_caches *c, uint16_t sid, uint16_t did, const uint64_t ce[2])
{
    struct vtd_cce *e = &c->cc[c->cc_next];
    c->cc_next = (c->cc_next + 1) % VTD_CC_ENTRIES;
    *e = (struct vtd_cce){ true, sid, did, { ce[0], ce[1] } };
}

void vtd_cc_invalidate(struct vtd_caches *c, unsigned gran, uint16_t did, uint16_t sid, unsigned fm)
{
    /* The function mask ignores the low fm bits of the function number
     * (bits 2:0 of the source-id), §10.4.7 "FM". */
    uint16_t mask = (uint16_t) ~((1u << (fm > 3 ? 3 : fm)) - 1);
    c->cc_stats.invalidations++;
    for (unsigned i = 0; i < VTD_CC_ENTRIES; i++) {
        struct vtd_cce *e = &c->cc[i];
        if (!e->valid)
            continue;
        bool hit =
            gran == VTD_INV_GLOBAL || (gran == VTD_INV_DOMAIN && e->did == did) ||
            (gran == VTD_INV_DEVICE_OR_PAGE && e->did == did && (e->sid & mask) == (sid & mask));
        if (hit) {
            e->valid = false;
            c->cc_stats.flushed++;
        }
    }
}

/* ---- IOTLB --------------------------------------------------------------- */
bool vtd_iotlb_lookup(struct vtd_caches *c, uint16_t did, uint64_t iova, struct vtd_tlbe *out)
{
    for (unsigned i = 0; i < VTD_IOTLB_ENTRIES; i++) {
        const struct vtd_tlbe *e = &c->tlb[i];
        if (e->valid && e->did == did && (iova >> e->shift) == (e->iova >> e->shift)) {
            *out = *e;
            c->tlb_stats.hits++;
            return true;
        }
    }
    c->tlb_stats.misses++;
    return false;
}

void vtd_iotlb_insert(struct vtd_caches *c, const struct vtd_tlbe *e)
{
    c->tlb[c->tlb_next] = *e;
    c->tlb[c->tlb_next].valid = true;
    c->tlb_next = (c->tlb_next + 1) % VTD_IOTLB_ENTRIES;
}

void vtd_iotlb_invalidate(struct vtd_caches *c, unsigned gran, uint16_t did, uint64_t addr,
                          unsigned am)
{
    /* Page-selective: the 2^am 4 KiB pages at addr, addr aligned to their
     * size (§6.5.1.2; the low am bits of the page number are ignored).  An
     * entry is dropped if its page overlaps that range: a large page is
     * dropped by any invalidation of a 4 KiB page inside it. */
    uint64_t lo = addr & ~((4096ull << am) - 1), hi = lo + (4096ull << am);
    c->tlb_stats.invalidations++;
    for (unsigned i = 0; i < VTD_IOTLB_ENTRIES; i++) {
        struct vtd_tlbe *e = &c->tlb[i];
        if (!e->valid)
            continue;
        uint64_t elo = e->iova, ehi = e->iova + (1ull << e->shift);
        bool hit = gran == VTD_INV_GLOBAL || (gran == VTD_INV_DOMAIN && e->did == did) ||
                   (gran == VTD_INV_DEVICE_OR_PAGE && e->did == did && elo < hi && lo < ehi);
        if (hit) {
            e->valid = false;
            c->tlb_stats.flushed++;
        }
    }
}

/* ---- interrupt entry cache ---------------------------------------------- */
bool vtd_iec_lookup(struct vtd_caches *c, uint16_t index, uint64_t irte[2])
{
    for (unsigned i = 0; i < VTD_IEC_ENTRIES; i++) {
        if (c->iec[i].valid && c->iec[i].index == index) {
            irte[0] = c->iec[i].irte[0];
            irte[1] = c->iec[i].irte[1];
            c->iec_stats.hits++;
            return true;
        }
    }
    c->iec_stats.misses++;
    return false;
}

void vtd_iec_insert(struct vtd_caches *c, uint16_t index, const uint64_t irte[2])
{
    c->iec[c->iec_next] = (struct vtd_iece){ true, index, { irte[0], irte[1] } };
    c->iec_next = (c->iec_next + 1) % VTD_IEC_ENTRIES;
}

void vtd_iec_invalidate(struct vtd_caches *c, bool global, uint16_t index, unsigned im)
{
    uint32_t lo = index & ~((1u << im) - 1), hi = lo + (1u << im);
    c->iec_stats.invalidations++;
    for (unsigned i = 0; i < VTD_IEC_ENTRIES; i++) {
        struct vtd_iece *e = &c->iec[i];
        if (e->valid && (global || (e->index >= lo && e->index < hi))) {
            e->valid = false;
            c->iec_stats.flushed++;
        }
    }
}
