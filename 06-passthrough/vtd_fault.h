/*
 * vtd_fault.h — what a VT-d unit does with a request it blocks (§7).
 *
 * A blocked DMA or interrupt request is recorded in a fault recording
 * register (FRCD, §10.4.14; "primary fault logging", §7.2.1):
 *
 *   bits 63:12   FI   the faulting page address (DMA), or the interrupt
 *                     index in bits 63:48 (interrupt remapping)
 *   bits 79:64   SID  the requester's source-id (bus:dev.fn)
 *   bits 103:96  FR   the fault reason, one of the codes below (§7.1.3)
 *   bit 126      T    0 a write request, 1 a read request
 *   bit 127      F    the record is valid; software writes 1 to clear it
 *
 * The registers are used as a ring: FSTS.FRI (§10.4.9) is the next one to
 * fill.  If it is still full (F = 1) the fault is lost and FSTS.PFO
 * (overflow) is set; while PFO is set nothing more is recorded.
 * FSTS.PPF is 1 while any record is full.
 *
 * A status bit of FSTS that becomes 1 (PPF, PFO, IQE) is a fault event
 * (§7.3): the unit sends the MSI its FEADDR/FEDATA registers hold, or,
 * while FECTL.IM masks it, sets FECTL.IP and sends it when unmasked.  IP
 * clears when software has serviced every status bit.  The invalidation
 * completion event (ICS.IWC, IECTL, IEDATA/IEADDR; §6.5.2.9) works the
 * same way.
 */
#ifndef PT_VTD_FAULT_H
#define PT_VTD_FAULT_H

#include <stdbool.h>
#include <stdint.h>

struct vtd;

/* Fault reasons, legacy mode (§7.1.3, "Non-recoverable fault conditions"
 * and the interrupt-remapping ones). */
enum vtd_fault_reason {
    VTD_FR_ROOT_P = 0x1,       /* root entry not present                       */
    VTD_FR_CTX_P = 0x2,        /* context entry not present                    */
    VTD_FR_CTX_INV = 0x3,      /* context entry: bad AW or TT, or SLPTPTR not RAM */
    VTD_FR_ADDR = 0x4,         /* address above the domain's address width     */
    VTD_FR_WRITE = 0x5,        /* write without write permission               */
    VTD_FR_READ = 0x6,         /* read without read permission                 */
    VTD_FR_SL_ACCESS = 0x7,    /* a second-level table (not the top) not RAM    */
    VTD_FR_ROOT_ACCESS = 0x8,  /* the root table not RAM                       */
    VTD_FR_CTX_ACCESS = 0x9,   /* a context table not RAM                      */
    VTD_FR_ROOT_RSVD = 0xA,    /* reserved bit in a present root entry         */
    VTD_FR_CTX_RSVD = 0xB,     /* reserved bit in a present context entry      */
    VTD_FR_SL_RSVD = 0xC,      /* reserved bit in a present paging entry       */
    VTD_FR_IR_REQ_RSVD = 0x20, /* remappable interrupt with a reserved bit set */
    VTD_FR_IR_INDEX = 0x21,    /* index beyond the table's size               */
    VTD_FR_IR_P = 0x22,        /* IRTE not present                             */
    VTD_FR_IR_TABLE = 0x23,    /* the interrupt remapping table not RAM        */
    VTD_FR_IR_RSVD = 0x24,     /* reserved bit in a present IRTE               */
    VTD_FR_IR_COMPAT = 0x25,   /* compatibility format blocked (CFI clear)     */
    VTD_FR_IR_SID = 0x26,      /* source-id verification failed                */
};

/* FRCD high quadword fields. */
#define VTD_FRCD_F       (1ull << 63)
#define VTD_FRCD_T       (1ull << 62)
#define VTD_FRCD_FR(hi)  ((uint8_t)((hi) >> 32))
#define VTD_FRCD_SID(hi) ((uint16_t)(hi))

/* Record a fault of source-id sid (§7.2.1).  fi: the address or index
 * field as above; read: the request was a read.  true if recorded. */
bool vtd_fault_record(struct vtd *u, uint16_t sid, uint64_t fi, uint8_t reason, bool read);
/* A short name of a reason, for --stats and tests. */
const char *vtd_fault_name(uint8_t reason);

/* FSTS as software reads it: the RW1C bits, PPF and FRI. */
uint32_t vtd_fsts_read(const struct vtd *u);
/* Writes of software: FSTS (RW1C), dword 3 of record i (F is RW1C), FECTL
 * (IM), ICS (IWC is RW1C), IECTL (IM). */
void vtd_fsts_write(struct vtd *u, uint32_t v);
void vtd_frcd_write_hi(struct vtd *u, unsigned i, uint32_t v);
void vtd_fectl_write(struct vtd *u, uint32_t v);
void vtd_ics_write(struct vtd *u, uint32_t v);
void vtd_iectl_write(struct vtd *u, uint32_t v);
/* The invalidation queue hit an error: FSTS.IQE, a fault event. */
void vtd_fault_iqe(struct vtd *u);
/* An invalidation wait descriptor with IF = 1 completed: ICS.IWC and the
 * completion event (§6.5.2.9). */
void vtd_inv_complete(struct vtd *u);

#endif
