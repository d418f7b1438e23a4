/*
 * vtd_fault.c — fault recording and the unit's interrupts (vtd_fault.h).
 */
#include "06-passthrough/vtd_fault.h"

#include "core/lab.h" /* the lab 6 handout stubs fault logging */

#include "06-passthrough/vtd.h"

#define STATUS_EVENTS (VTD_FSTS_PFO | VTD_FSTS_PPF | VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE)

const char *vtd_fault_name(uint8_t reason)
{
    switch (reason) {
    case VTD_FR_ROOT_P: return "root entry not present";
    case VTD_FR_CTX_P: return "context entry not present";
    case VTD_FR_CTX_INV: return "context entry invalid";
    case VTD_FR_ADDR: return "address beyond the address width";
    case VTD_FR_WRITE: return "no write permission";
    case VTD_FR_READ: return "no read permission";
    case VTD_FR_SL_ACCESS: return "paging entry outside memory";
    case VTD_FR_ROOT_ACCESS: return "root table outside memory";
    case VTD_FR_CTX_ACCESS: return "context table outside memory";
    case VTD_FR_ROOT_RSVD: return "root entry reserved bit";
    case VTD_FR_CTX_RSVD: return "context entry reserved bit";
    case VTD_FR_SL_RSVD: return "paging entry reserved bit";
    case VTD_FR_IR_REQ_RSVD: return "interrupt request reserved bit";
    case VTD_FR_IR_INDEX: return "interrupt index beyond the table";
    case VTD_FR_IR_P: return "IRTE not present";
    case VTD_FR_IR_TABLE: return "interrupt table outside memory";
    case VTD_FR_IR_RSVD: return "IRTE reserved bit";
    case VTD_FR_IR_COMPAT: return "compatibility interrupt blocked";
    case VTD_FR_IR_SID: return "interrupt source-id mismatch";
    default: return "unknown";
    }
}

static void send(struct vtd *u, uint32_t addr, uint32_t data)
{
    if (u->msi)
        u->msi(u->msi_ctx, addr, data);
}

uint32_t vtd_fsts_read(const struct vtd *u)
{
    uint32_t v = u->fsts | VTD_FSTS_FRI(u->fri);
    for (unsigned i = 0; i < VTD_NFR; i++)
        if (u->frcd[i][1] & VTD_FRCD_F)
            v |= VTD_FSTS_PPF;
    return v;
}

/* A status condition became true (§7.3): send the fault event now, or
 * hold it pending in FECTL.IP while masked.  One event at a time: while
 * IP is set, later conditions add nothing. */
static void fault_event(struct vtd *u)
{
    if (u->fectl & VTD_CTL_IP)
        return;
    if (u->fectl & VTD_CTL_IM) {
        u->fectl |= VTD_CTL_IP;
        return;
    }
    u->stats.fault_events++;
    send(u, u->feaddr, u->fedata);
}

/* Software serviced a condition: IP clears once none is left (§10.4.10). */
static void serviced(struct vtd *u)
{
    if (!(vtd_fsts_read(u) & STATUS_EVENTS))
        u->fectl &= ~VTD_CTL_IP;
}

bool vtd_fault_record(struct vtd *u, uint16_t sid, uint64_t fi, uint8_t reason, bool read)
{
    /* LAB 6 BEGIN: primary fault logging: record the fault at FRI or overflow */
    bool had_ppf = vtd_fsts_read(u) & VTD_FSTS_PPF;
    if (u->fsts & VTD_FSTS_PFO) { /* overflowed: nothing more is recorded */
        u->stats.faults_dropped++;
        return false;
    }
    uint64_t *r = u->frcd[u->fri];
    if (r[1] & VTD_FRCD_F) { /* the next record is still full: overflow */
        u->fsts |= VTD_FSTS_PFO;
        u->stats.faults_dropped++;
        fault_event(u);
        return false;
    }
    r[0] = fi & ~0xfffull;
    r[1] = VTD_FRCD_F | (read ? VTD_FRCD_T : 0) | (uint64_t)reason << 32 | sid;
    u->fri = (u->fri + 1) % VTD_NFR;
    u->stats.faults++;
    if (!had_ppf)
        fault_event(u);
    return true;
    /* LAB 6 STUB: (void)u; (void)sid; (void)fi; (void)reason; (void)read; */
    /* LAB 6 END */
}

void vtd_fsts_write(struct vtd *u, uint32_t v)
{
    u->fsts &= ~(v & (VTD_FSTS_PFO | VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE));
    serviced(u);
}

void vtd_frcd_write_hi(struct vtd *u, unsigned i, uint32_t v)
{
    if (i < VTD_NFR && (v & 1u << 31))
        u->frcd[i][1] &= ~VTD_FRCD_F;
    serviced(u);
}

void vtd_fectl_write(struct vtd *u, uint32_t v)
{
    u->fectl = (u->fectl & ~VTD_CTL_IM) | (v & VTD_CTL_IM);
    if (!(u->fectl & VTD_CTL_IM) && (u->fectl & VTD_CTL_IP)) {
        u->fectl &= ~VTD_CTL_IP;
        u->stats.fault_events++;
        send(u, u->feaddr, u->fedata);
    }
}

void vtd_fault_iqe(struct vtd *u)
{
    bool had = u->fsts & VTD_FSTS_IQE;
    u->fsts |= VTD_FSTS_IQE;
    u->stats.qi_errors++;
    if (!had)
        fault_event(u);
}

/* ---- invalidation completion events (§6.5.2.9) ---------------------------- */
void vtd_inv_complete(struct vtd *u)
{
    if (u->ics & 1) /* IWC already set: no new event */
        return;
    u->ics |= 1;
    if (u->iectl & VTD_CTL_IM) {
        u->iectl |= VTD_CTL_IP;
        return;
    }
    u->stats.inv_events++;
    send(u, u->ieaddr, u->iedata);
}

void vtd_ics_write(struct vtd *u, uint32_t v)
{
    if (v & 1) {
        u->ics &= ~1u;
        u->iectl &= ~VTD_CTL_IP;
    }
}

void vtd_iectl_write(struct vtd *u, uint32_t v)
{
    u->iectl = (u->iectl & ~VTD_CTL_IM) | (v & VTD_CTL_IM);
    if (!(u->iectl & VTD_CTL_IM) && (u->iectl & VTD_CTL_IP)) {
        u->iectl &= ~VTD_CTL_IP;
        u->stats.inv_events++;
        send(u, u->ieaddr, u->iedata);
    }
}
