/*
 * vtd_qi.c — the invalidation queue (vtd_qi.h).
 */
#include "06-passthrough/vtd_qi.h"

#include "06-passthrough/vtd.h"
#include "06-passthrough/vtd_fault.h"
#include "06-passthrough/vtd_iotlb.h"

/* Reserved bits of each legacy descriptor (§6.5.2.1-8); bits 11:9 (the
 * high type bits of 256-bit descriptors) are reserved in all of them. */
#define CC_RSVD0    0xfffc00000000ffc0ull
#define IOTLB_RSVD0 0xffffffff0000ff00ull
#define IOTLB_RSVD1 0xf80ull
#define IEC_RSVD0   0xffff000007ffffe0ull
#define WAIT_RSVD0  0xffffff80ull
#define WAIT_RSVD1  3ull

/* One descriptor: 0 done, -1 invalid (the queue stops). */
static int execute(struct vtd *u, const uint64_t d[2])
{
    struct vtd_caches *c = &u->caches;
    unsigned g = (d[0] >> 4) & 3;
    switch (d[0] & 0xf) {
    case VTD_QI_CC:
        if ((d[0] & CC_RSVD0) || d[1] || g == 0)
            return -1;
        vtd_cc_invalidate(c, g, (uint16_t)(d[0] >> 16), (uint16_t)(d[0] >> 32), (d[0] >> 48) & 3);
        return 0;
    case VTD_QI_IOTLB:
        if ((d[0] & IOTLB_RSVD0) || (d[1] & IOTLB_RSVD1) || g == 0 ||
            (g == VTD_INV_DEVICE_OR_PAGE && (d[1] & 0x3f) > VTD_MAMV))
            return -1;
        vtd_iotlb_invalidate(c, g, (uint16_t)(d[0] >> 16), d[1] & ~0xfffull, d[1] & 0x3f);
        return 0;
    case VTD_QI_IEC:
        if ((d[0] & IEC_RSVD0) || d[1] || ((d[0] >> 27) & 0x1f) > VTD_MHMV)
            return -1;
        vtd_iec_invalidate(c, !(d[0] & 0x10), (uint16_t)(d[0] >> 32), (d[0] >> 27) & 0x1f);
        return 0;
    case VTD_QI_WAIT: {
        if ((d[0] & WAIT_RSVD0) || (d[1] & WAIT_RSVD1))
            return -1;
        /* Everything before it is done (we execute in order, at once):
         * the status write, then the completion event. */
        uint32_t status = (uint32_t)(d[0] >> 32);
        if ((d[0] & VTD_QI_WAIT_SW) && !vtd_write(u, d[1], &status, 4))
            return -1;
        u->stats.qi_waits++;
        if (d[0] & VTD_QI_WAIT_IF)
            vtd_inv_complete(u);
        return 0;
    }
    default: /* device-TLB, PASID and unknown types: not supported */ return -1;
    }
}

void vtd_qi_run(struct vtd *u)
{
    if (!(u->gsts & VTD_GCMD_QIE) || (u->fsts & VTD_FSTS_IQE))
        return;
    uint64_t entries = 256ull << (u->iqa & 7), base = u->iqa & ~0xfffull;
    uint64_t head = (u->iqh >> 4) & 0x7fff, tail = (u->iqt >> 4) & 0x7fff;
    if (tail >= entries || head >= entries) {
        vtd_fault_iqe(u);
        vtd_note(u, u->stats.qi_errors, "IQT %llu beyond the queue's %llu descriptors",
                 (unsigned long long)tail, (unsigned long long)entries);
        return;
    }
    while (head != tail) {
        uint64_t d[2] = { 0, 0 };
        if (!vtd_read(u, base + 16 * head, d, 16) || execute(u, d) < 0) {
            vtd_fault_iqe(u); /* IQH stays on the bad descriptor */
            vtd_note(u, u->stats.qi_errors,
                     "invalidation queue error at descriptor %llu: 0x%016llx 0x%016llx",
                     (unsigned long long)head, (unsigned long long)d[0], (unsigned long long)d[1]);
            return;
        }
        u->stats.qi_descriptors++;
        head = (head + 1) % entries;
        u->iqh = head << 4;
    }
}
