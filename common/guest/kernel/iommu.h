/*
 * iommu.h — an Intel VT-d DMA-remapping driver (Intel Virtualization
 * Technology for Directed I/O, Architecture Specification), legacy mode:
 *
 *   RTADDR -> root table: 256 root entries, one per bus (§9.1)
 *              |-> context table: 256 context entries, one per dev:fn (§9.3):
 *                  domain id, address width, second-level table pointer
 *                   |-> second-level paging structures (§9.8), 3 levels for a
 *                       39-bit (AGAW) or 4 for a 48-bit input address: 512
 *                       64-bit entries per 4 KiB table, R and W bits at every
 *                       level (the access is the AND of them)
 *
 * A device's DMA address (an IOVA) goes through its context entry's tables
 * once translation is enabled (GCMD.TE).  A DMA that finds no translation or
 * lacks the permission is blocked and recorded in a fault recording register
 * (§7.2.1, FRCD §10.4.14): reason, source-id (bus:dev.fn), page address.
 * The unit caches context entries and translations: software invalidates
 * them after changing the tables (§6.5), through the register-based
 * interface (CCMD §10.4.7, IOTLB §10.4.8) or, once iommu_qi_enable() has
 * switched to it, the invalidation queue (§6.5.2).
 *
 * Tables come from the frame allocator (identity mapped, so a table's
 * virtual address is its physical address).  Registers are accessed 32
 * bits at a time, low half first (§10.2).
 */
#ifndef GUEST_IOMMU_H
#define GUEST_IOMMU_H

#include <stdint.h>

/* Register offsets (§10.4, Table "Address Mapping for Remapping
 * Hardware Registers"). */
#define VTD_VER    0x00 /* 32-bit: major 7:4, minor 3:0                */
#define VTD_CAP    0x08 /* 64-bit capabilities (§10.4.2)               */
#define VTD_ECAP   0x10 /* 64-bit extended capabilities (§10.4.3)      */
#define VTD_GCMD   0x18 /* 32-bit global command (§10.4.4)             */
#define VTD_GSTS   0x1C /* 32-bit global status (§10.4.5)              */
#define VTD_RTADDR 0x20 /* 64-bit root table address (§10.4.6)         */
#define VTD_CCMD   0x28 /* 64-bit context command (§10.4.7)            */
#define VTD_FSTS   0x34 /* 32-bit fault status (§10.4.9)               */
#define VTD_FECTL  0x38 /* 32-bit fault event control (§10.4.10)       */
#define VTD_IQH    0x80 /* 64-bit invalidation queue head (§10.4.22)   */
#define VTD_IQT    0x88 /* 64-bit invalidation queue tail (§10.4.23)   */
#define VTD_IQA    0x90 /* 64-bit invalidation queue address (§10.4.24) */

/* GCMD / GSTS bits: a command bit and its status bit are the same. */
#define VTD_GCMD_TE   (1u << 31) /* translation enable              */
#define VTD_GCMD_SRTP (1u << 30) /* set root table pointer (GSTS.RTPS) */
#define VTD_GCMD_WBF  (1u << 27) /* write buffer flush (GSTS.WBFS)  */
#define VTD_GCMD_QIE  (1u << 26) /* queued invalidation enable      */
/* The one-shot bits, which software must not write back (§10.4.4). */
#define VTD_GSTS_ONESHOT (VTD_GCMD_SRTP | VTD_GCMD_WBF | (1u << 29) | (1u << 24))

/* FSTS bits (§10.4.9). */
#define VTD_FSTS_PFO (1u << 0) /* primary fault overflow (RW1C)      */
#define VTD_FSTS_PPF (1u << 1) /* primary pending fault: some FRCD.F */

/* Second-level entry permission bits (§9.8). */
#define IOMMU_READ  1u
#define IOMMU_WRITE 2u

/* Non-recoverable fault reasons (§7, the fault reason encodings). */
#define VTD_FR_ROOT_NOT_PRESENT 0x1
#define VTD_FR_CTX_NOT_PRESENT  0x2
#define VTD_FR_CTX_INVALID      0x3
#define VTD_FR_BEYOND_MGAW      0x4
#define VTD_FR_NO_WRITE         0x5 /* a write hit an entry without W */
#define VTD_FR_NO_READ          0x6 /* a read hit an entry without R  */

struct iommu {
    volatile uint8_t *regs; /* the register page in the MMIO window      */
    uint64_t base;          /* its physical address (DRHD)               */
    uint64_t cap, ecap;
    uint32_t ver;
    uint32_t root;      /* root table frame                             */
    int levels;         /* second-level paging levels chosen: 3 or 4    */
    uint32_t agaw;      /* context entry AW field: 1 = 39-bit, 2 = 48-bit */
    uint32_t fro, nfr;  /* fault recording registers: offset, count     */
    uint32_t iro;       /* IOTLB registers' offset                      */
    uint32_t iq;        /* invalidation queue frame, 0 = none          */
    uint32_t iq_tail;   /* next free descriptor                         */
    int iq_on;          /* queued invalidation enabled (GSTS.QIES)     */
    uint32_t iq_status; /* written by the unit's wait descriptors      */
    const char *err;    /* why the last call failed, and a value that  */
    uint64_t err_val;   /* says more (a register, an address)          */
};

/* A protection domain: one set of second-level tables, shared by the
 * devices attached to it. */
struct iommu_dom {
    uint16_t id;  /* domain-id, tags the unit's cached translations */
    uint32_t top; /* top-level second-level table                   */
    int levels;
};

/* One fault recording register, read and cleared. */
struct iommu_fault {
    uint64_t addr;  /* FI: the faulting request's page address      */
    uint16_t sid;   /* source-id: bus << 8 | dev << 3 | fn          */
    uint8_t reason; /* FR                                           */
    uint8_t read;   /* T: 1 read request, 0 write request           */
    uint32_t index; /* which FRCD held it                            */
};

/* Map the registers at `base`, read VER/CAP/ECAP, choose the paging
 * levels (SAGAW), turn translation off if firmware left it on, allocate
 * the root table.  0, or -1 with u->err set. */
int iommu_init(struct iommu *u, uint64_t base);
int iommu_dom_init(struct iommu *u, struct iommu_dom *d, uint16_t id);
/* Point bus:devfn's context entry at domain d. */
int iommu_attach(struct iommu *u, struct iommu_dom *d, uint8_t bus, uint8_t devfn);
/* Clear bus:devfn's context entry and invalidate what the unit caches of
 * it: its DMA then faults (VTD_FR_CTX_NOT_PRESENT). */
int iommu_detach(struct iommu *u, struct iommu_dom *d, uint8_t bus, uint8_t devfn);
/* Program the root table pointer, invalidate the caches, enable
 * translation.  iommu_disable turns translation off again. */
int iommu_enable(struct iommu *u);
int iommu_disable(struct iommu *u);
/* Switch invalidation to the queue (ECAP.QI); -1 if the unit has none. */
int iommu_qi_enable(struct iommu *u);
/* Map [iova, iova+len) to [pa, pa+len) with IOMMU_READ|IOMMU_WRITE
 * permissions; page aligned.  iommu_unmap removes the translations and
 * invalidates them in the IOTLB. */
int iommu_map(struct iommu *u, struct iommu_dom *d, uint64_t iova, uint32_t pa, uint32_t len,
              uint32_t perm);
int iommu_unmap(struct iommu *u, struct iommu_dom *d, uint64_t iova, uint32_t len);
/* The next recorded fault: 1 and *f filled (and the FRCD cleared), 0 if
 * none is pending.  iommu_fsts reads the fault status register. */
int iommu_fault_next(struct iommu *u, struct iommu_fault *f);
uint32_t iommu_fsts(struct iommu *u);
/* Free the domain's tables / the root and context tables. */
void iommu_dom_free(struct iommu_dom *d);
void iommu_release(struct iommu *u);

#endif
