/*
 * vtd_ir.c — interrupt remapping (vtd_ir.h).
 */
#include "06-passthrough/vtd_ir.h"

#include "06-passthrough/vtd.h"
#include "06-passthrough/vtd_fault.h"

#define MSI_IF   (1u << 4) /* interrupt format: remappable */
#define MSI_SHV  (1u << 3) /* subhandle valid              */
#define IRTE_P   1ull
#define IRTE_FPD 2ull
#define IRTE_IM  (1ull << 15) /* posted: not supported, so reserved */
/* Reserved in xAPIC mode (§9.10): lo 14:12, 31:24, destination 39:32 and
 * 63:48; hi 127:84. */
#define IRTE_RSVD_LO (0x7000ull | 0xff000000ull | 0xff00000000ull | 0xffff000000000000ull)
#define IRTE_RSVD_HI (~0xfffffull)

/* Source validation (§9.10 "SVT", "SQ"): 0 ok, else VTD_FR_IR_SID. */
static int check_sid(const uint64_t irte[2], uint16_t sid)
{
    uint16_t want = (uint16_t)irte[1];
    unsigned sq = (irte[1] >> 16) & 3, svt = (irte[1] >> 18) & 3;
    if (svt == 1) { /* SID, ignoring 0-3 low function bits per SQ */
        static const uint16_t mask[4] = { 0xffff, 0xfffb, 0xfff9, 0xfff8 };
        return (sid & mask[sq]) == (want & mask[sq]) ? 0 : VTD_FR_IR_SID;
    }
    if (svt == 2) /* the requester's bus in [want 15:8, want 7:0] */
        return (sid >> 8) >= (want >> 8) && (sid >> 8) <= (want & 0xff) ? 0 : VTD_FR_IR_SID;
    return 0;
}

/* The IRTE at index: cached, or read and checked.  0, or a reason; *fpd
 * from a present entry. */
static int irte_at(struct vtd *u, uint16_t index, uint64_t irte[2], bool *fpd)
{
    if (vtd_iec_lookup(&u->caches, index, irte)) {
        *fpd = irte[0] & IRTE_FPD;
        return 0;
    }
    if (!vtd_read(u, (u->irta & ~0xfffull) + 16ull * index, irte, 16))
        return VTD_FR_IR_TABLE;
    if (!(irte[0] & IRTE_P))
        return VTD_FR_IR_P;
    *fpd = irte[0] & IRTE_FPD;
    if ((irte[0] & (IRTE_RSVD_LO | IRTE_IM)) || (irte[1] & IRTE_RSVD_HI) ||
        ((irte[1] >> 18) & 3) == 3)
        return VTD_FR_IR_RSVD;
    vtd_iec_insert(&u->caches, index, irte);
    return 0;
}

static int remap(struct vtd *u, uint16_t sid, uint32_t *addr, uint32_t *data, uint16_t *index,
                 bool *fpd)
{
    uint32_t idx = ((*addr >> 5) & 0x7fff) | ((*addr >> 2) & 1) << 15;
    if (*data >> 16)
        return VTD_FR_IR_REQ_RSVD;
    if (*addr & MSI_SHV)
        idx = (idx + (*data & 0xffff)) & 0xffff;
    *index = (uint16_t)idx;
    if (idx >= 2u << (u->irta & 0xf)) /* 2^(S+1) entries */
        return VTD_FR_IR_INDEX;
    uint64_t irte[2];
    int fr = irte_at(u, (uint16_t)idx, irte, fpd);
    if (fr || (fr = check_sid(irte, sid)))
        return fr;
    /* The MSI the entry describes (SDM Vol. 3A §11.11.1-2). */
    uint32_t dest = (uint32_t)(irte[0] >> 40) & 0xff;
    *addr = 0xFEE00000u | dest << 12 | (uint32_t)((irte[0] >> 3) & 1) << 3 |
            (uint32_t)((irte[0] >> 2) & 1) << 2;
    uint32_t tm = (irte[0] >> 4) & 1;
    *data = (uint32_t)((irte[0] >> 16) & 0xff) | (uint32_t)((irte[0] >> 5) & 7) << 8 | tm << 15 |
            tm << 14;
    return 0;
}

int vtd_ir_remap(struct vtd *u, uint16_t sid, uint32_t *addr, uint32_t *data)
{
    if (!(u->gsts & VTD_GCMD_IRE)) /* remapping off: the write goes as it is */
        return 0;
    if (!(*addr & MSI_IF)) { /* compatibility format (§5.1.2.1) */
        if (u->gsts & VTD_GCMD_CFI) {
            u->stats.ir_compat++;
            return 0;
        }
        u->stats.ir_blocked++;
        vtd_fault_record(u, sid, 0, VTD_FR_IR_COMPAT, false);
        return VTD_FR_IR_COMPAT;
    }
    uint16_t index = 0;
    bool fpd = false;
    int fr = remap(u, sid, addr, data, &index, &fpd);
    if (!fr) {
        u->stats.ir_remapped++;
        return 0;
    }
    u->stats.ir_blocked++;
    if (fpd)
        u->stats.faults_dropped++;
    else
        vtd_fault_record(u, sid, (uint64_t)index << 48, (uint8_t)fr, false);
    return fr;
}
