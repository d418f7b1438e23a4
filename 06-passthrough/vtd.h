/*
 * vtd.h — a DMA-remapping unit with the registers of Intel's
 * "Virtualization Technology for Directed I/O" architecture specification
 * (VT-d, rev 3.x; sections below are that revision's).
 *
 * An IOMMU sits between the devices and memory.  Every DMA request carries
 * the requester's PCI source-id (bus << 8 | dev << 3 | fn, §3.4.1) and an
 * address; the unit looks the source-id up in a root table (one entry per
 * bus, §9.1) and a context table (one entry per dev.fn, §9.3) to find the
 * device's domain and its second-level page tables (§9.8), and walks them
 * to the memory address, or blocks the request and records a fault (§7).
 * Interrupts (MSI writes to 0xFEExxxxx) go through an interrupt-remapping
 * table instead (§5).  Software drives it through a page of registers
 * (§10.4), here at VTD_BASE, and describes it to the OS in the ACPI DMAR
 * table (§8, dmar_acpi.h).
 *
 *   vtd_regs.c    the register file: VER, CAP, ECAP, GCMD/GSTS, RTADDR, CCMD,
 *                 IOTLB/IVA, FSTS/FECTL/FEDATA/FEADDR, FRCD, IQ*, IRTA (§10.4)
 *   vtd_dmar.c    DMA remapping: root -> context -> second-level walk (§3.4.2,
 *                 §3.7, §9.1, §9.3, §9.8)
 *   vtd_iotlb.c   the caches: context cache, IOTLB, interrupt entry cache (§6.1)
 *   vtd_qi.c      the invalidation queue and its descriptors (§6.5.2)
 *   vtd_fault.c   primary fault recording, fault and completion events (§7)
 *   vtd_ir.c      interrupt remapping (§5.1, §9.10)
 *
 * What this unit implements, and so advertises in CAP/ECAP (§10.4.2-3):
 * legacy-mode (not scalable-mode) translation, 3- and 4-level second-level
 * tables (SAGAW 39 and 48 bits), 2 MiB and 1 GiB pages, pass-through
 * context entries, page-selective IOTLB invalidation, 4 fault recording
 * registers, queued invalidation, interrupt remapping in xAPIC mode.  Not:
 * device-TLBs (ATS), scalable mode and PASIDs, nested/first-level
 * translation, advanced fault logging, protected memory regions,
 * posted interrupts, x2APIC (EIM), caching mode.
 *
 * Nothing the guest programs is trusted: a table outside RAM or a reserved
 * bit set is the fault the specification names, never a crash.
 */
#ifndef PT_VTD_H
#define PT_VTD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/guest_ram.h"
#include "06-passthrough/vtd_iotlb.h"

#define VTD_BASE 0xFED90000u /* where Q35 chipsets (and QEMU) put the unit */
#define VTD_SIZE 0x1000u     /* one page of registers                      */
#define VTD_HAW  39          /* host address width: the DMAR table's + 1    */
#define VTD_MGAW 48          /* maximum guest address width (CAP.MGAW + 1)  */
#define VTD_NFR  4           /* fault recording registers                  */

/* Register offsets (§10.4, Table "Register Address Map"). */
enum {
    VTD_VER = 0x00,     /* version, 32                               */
    VTD_CAP = 0x08,     /* capabilities, 64 (§10.4.2)                */
    VTD_ECAP = 0x10,    /* extended capabilities, 64 (§10.4.3)       */
    VTD_GCMD = 0x18,    /* global command, 32 (§10.4.4)              */
    VTD_GSTS = 0x1C,    /* global status, 32 (§10.4.5)               */
    VTD_RTADDR = 0x20,  /* root table address, 64 (§10.4.6)          */
    VTD_CCMD = 0x28,    /* context command, 64 (§10.4.7)             */
    VTD_FSTS = 0x34,    /* fault status, 32 (§10.4.9)                */
    VTD_FECTL = 0x38,   /* fault event control, 32 (§10.4.10)        */
    VTD_FEDATA = 0x3C,  /* fault event data (§10.4.11)               */
    VTD_FEADDR = 0x40,  /* fault event address (§10.4.12)            */
    VTD_FEUADDR = 0x44, /* fault event upper address (§10.4.13)      */
    VTD_AFLOG = 0x58,   /* advanced fault log (not supported)        */
    VTD_PMEN = 0x64,    /* protected memory enable (not supported)   */
    VTD_IQH = 0x80,     /* invalidation queue head, 64               */
    VTD_IQT = 0x88,     /* invalidation queue tail, 64               */
    VTD_IQA = 0x90,     /* invalidation queue address, 64            */
    VTD_ICS = 0x9C,     /* invalidation completion status, 32        */
    VTD_IECTL = 0xA0,   /* invalidation event control, 32            */
    VTD_IEDATA = 0xA4,
    VTD_IEADDR = 0xA8,
    VTD_IEUADDR = 0xAC,
    VTD_IRTA = 0xB8, /* interrupt remapping table address, 64     */
    /* Where QEMU's intel-iommu has them too (software finds them
     * through ECAP.IRO and CAP.FRO). */
    VTD_IVA = 0xF0, /* IOTLB registers at ECAP.IRO * 16 (§10.4.8) */
    VTD_IOTLB = 0xF8,
    VTD_FRCD = 0x220, /* fault recording at CAP.FRO * 16 (§10.4.14) */
};

/* CAP_REG fields (§10.4.2). */
#define VTD_CAP_ND(n)    ((uint64_t)(n))           /* 2^(4+2n) domain ids      */
#define VTD_CAP_SAGAW(m) ((uint64_t)(m) << 8)      /* bit 1: 3-level, 2: 4     */
#define VTD_CAP_MGAW(w)  ((uint64_t)((w)-1) << 16) /* max guest address width  */
#define VTD_CAP_FRO(o)   ((uint64_t)((o) / 16) << 24)
#define VTD_CAP_SLLPS(m) ((uint64_t)(m) << 34) /* bit 0: 2 MiB, 1: 1 GiB   */
#define VTD_CAP_PSI      (1ull << 39)          /* page-selective invalidation */
#define VTD_CAP_NFR(n)   ((uint64_t)((n)-1) << 40)
#define VTD_CAP_MAMV(m)  ((uint64_t)(m) << 48) /* max address mask value   */
#define VTD_SAGAW_3LEVEL 0x2                   /* 39-bit AGAW, AW = 1      */
#define VTD_SAGAW_4LEVEL 0x4                   /* 48-bit AGAW, AW = 2      */
#define VTD_MAMV         9                     /* PSI up to 2^9 pages      */
/* ECAP_REG fields (§10.4.3). */
#define VTD_ECAP_C       (1ull << 0) /* page-walk coherency                */
#define VTD_ECAP_QI      (1ull << 1) /* queued invalidation                */
#define VTD_ECAP_IR      (1ull << 3) /* interrupt remapping                */
#define VTD_ECAP_PT      (1ull << 6) /* pass-through context entries       */
#define VTD_ECAP_IRO(o)  ((uint64_t)((o) / 16) << 8)
#define VTD_ECAP_MHMV(m) ((uint64_t)(m) << 20) /* max handle mask (IEC) */
#define VTD_MHMV         15

/* GCMD_REG commands and the GSTS_REG status bits at the same positions
 * (§10.4.4-5). */
#define VTD_GCMD_TE    (1u << 31) /* translation enable                */
#define VTD_GCMD_SRTP  (1u << 30) /* set root table pointer (one-shot) */
#define VTD_GCMD_SFL   (1u << 29) /* set fault log (AFL only)          */
#define VTD_GCMD_EAFL  (1u << 28) /* enable advanced fault logging     */
#define VTD_GCMD_WBF   (1u << 27) /* write buffer flush (RWBF only)    */
#define VTD_GCMD_QIE   (1u << 26) /* queued invalidation enable        */
#define VTD_GCMD_IRE   (1u << 25) /* interrupt remapping enable        */
#define VTD_GCMD_SIRTP (1u << 24) /* set interrupt remap table pointer */
#define VTD_GCMD_CFI   (1u << 23) /* compatibility format interrupts   */
/* FSTS_REG (§10.4.9). */
#define VTD_FSTS_PFO    (1u << 0) /* primary fault overflow (RW1C)     */
#define VTD_FSTS_PPF    (1u << 1) /* primary pending fault (RO)        */
#define VTD_FSTS_IQE    (1u << 4) /* invalidation queue error (RW1C)   */
#define VTD_FSTS_ICE    (1u << 5) /* invalidation completion error     */
#define VTD_FSTS_ITE    (1u << 6) /* invalidation time-out error       */
#define VTD_FSTS_FRI(i) ((uint32_t)(i) << 8)
/* FECTL_REG and IECTL_REG (§10.4.10, §10.4.25). */
#define VTD_CTL_IM (1u << 31) /* interrupt mask    */
#define VTD_CTL_IP (1u << 30) /* interrupt pending */
/* CCMD_REG (§10.4.7). */
#define VTD_CCMD_ICC     (1ull << 63)
#define VTD_CCMD_CIRG(v) ((unsigned)((v) >> 61) & 3)
#define VTD_CCMD_CAIG(g) ((uint64_t)(g) << 59)
/* IOTLB_REG (§10.4.8.1). */
#define VTD_IOTLB_IVT     (1ull << 63)
#define VTD_IOTLB_IIRG(v) ((unsigned)((v) >> 60) & 3)
#define VTD_IOTLB_IAIG(g) ((uint64_t)(g) << 57)

/* What --stats shows. */
struct vtd_stats {
    uint64_t reads, writes, bad_accesses;    /* register accesses (each a trap) */
    uint64_t dma, translations, passthrough; /* DMA lookups; with TE on; TT 10 */
    uint64_t faults, faults_dropped;         /* recorded / lost (PFO, full, FPD) */
    uint64_t fault_events, inv_events;       /* MSIs the unit sent              */
    uint64_t gcmd_rejected;                  /* writes with two commands at once */
    uint64_t reg_invalidations;              /* CCMD and IOTLB_REG commands     */
    uint64_t qi_descriptors, qi_waits, qi_errors;
    uint64_t ir_remapped, ir_compat, ir_blocked;
};

struct vtd {
    struct guest_ram *ram; /* where its tables and queue live */
    /* The unit's own interrupts (fault and invalidation-completion events,
     * §7.3, §6.5.2.9) are MSI writes, not remapped. */
    void (*msi)(void *ctx, uint32_t addr, uint32_t data);
    void *msi_ctx;

    uint64_t cap, ecap;
    uint32_t gsts;
    uint64_t rtaddr, rta;    /* RTADDR_REG as written; latched at SRTP  */
    uint64_t irta_reg, irta; /* IRTA_REG as written; latched at SIRTP   */
    uint64_t ccmd, iotlb, iva;
    uint32_t fsts, fri; /* FSTS's RW1C bits; the next record index */
    uint32_t fectl, fedata, feaddr;
    uint64_t frcd[VTD_NFR][2]; /* fault records: [0] bits 63:0, [1] 127:64 */
    uint64_t iqh, iqt, iqa;
    uint32_t ics, iectl, iedata, ieaddr;
    struct vtd_caches caches;
    struct vtd_stats stats;
    /* Where the first misuse of each kind is explained in one line (a
     * driver being written needs to know); NULL: nowhere. */
    FILE *log;
};

/* One line on u->log for the first misuse of a kind (count == 1). */
void vtd_note(const struct vtd *u, uint64_t count, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A unit in its reset state: translation and remapping off, events masked.
 * msi delivers its own interrupts (core/vm.h vm_msi); may be NULL. */
void vtd_init(struct vtd *u, struct guest_ram *ram,
              void (*msi)(void *ctx, uint32_t addr, uint32_t data), void *ctx);
/* A register access at offset off of the page (an iobus handler, dev = u). */
void vtd_mmio(void *dev, uint64_t off, uint8_t size, bool is_write, uint32_t *value);
/* --stats: the counts. */
void vtd_print_stats(const struct vtd *u, FILE *out);

/* Guest-RAM accessors of the unit's tables: false if [gpa, gpa+n) is not
 * RAM. */
bool vtd_read(const struct vtd *u, uint64_t gpa, void *dst, uint64_t n);
bool vtd_write(const struct vtd *u, uint64_t gpa, const void *src, uint64_t n);

#endif
