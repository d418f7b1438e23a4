/*
 * vtd_regs.c — the register page of the unit (vtd.h; VT-d §10.4).
 *
 * Software accesses the 64-bit registers as two aligned dwords, low first
 * (§10.2: "either aligned quadwords or aligned doublewords"; a 32-bit OS
 * can do nothing else).  So a command held in a high dword (CCMD.ICC,
 * IOTLB.IVT) runs when that dword is written, and IQT's tail, in the low
 * dword, moves when the low dword is.  Writes that are not aligned dwords
 * are ignored and counted.  The unit is synchronous: a command is done
 * before the write returns, so its status bit is already set when
 * software polls it.
 */
#include "06-passthrough/vtd.h"

#include <stdarg.h>
#include <string.h>
#include "06-passthrough/vtd_fault.h"
#include "06-passthrough/vtd_qi.h"

#define VTD_VERSION 0x10 /* 1.0: VER_REG bits 7:4 major, 3:0 minor (§10.4.1) */
/* The commands of GCMD: the enables are levels, the "set" commands one-shot. */
#define GCMD_LEVELS  (VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE | VTD_GCMD_CFI)
#define GCMD_ONESHOT (VTD_GCMD_SRTP | VTD_GCMD_SIRTP)

bool vtd_read(const struct vtd *u, uint64_t gpa, void *dst, uint64_t n)
{
    const void *p = gpa_to_hva(u->ram, gpa, n);
    if (p)
        memcpy(dst, p, n);
    return p != NULL;
}

bool vtd_write(const struct vtd *u, uint64_t gpa, const void *src, uint64_t n)
{
    void *p = gpa_to_hva(u->ram, gpa, n);
    if (p)
        memcpy(p, src, n);
    return p != NULL;
}

void vtd_note(const struct vtd *u, uint64_t count, const char *fmt, ...)
{
    if (!u->log || count != 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(u->log, "vmm-pt: vt-d: ");
    vfprintf(u->log, fmt, ap);
    fprintf(u->log, " (reported once)\n");
    va_end(ap);
}

void vtd_init(struct vtd *u, struct guest_ram *ram,
              void (*msi)(void *ctx, uint32_t addr, uint32_t data), void *ctx)
{
    memset(u, 0, sizeof *u);
    u->ram = ram;
    u->msi = msi;
    u->msi_ctx = ctx;
    u->cap = VTD_CAP_ND(2) | VTD_CAP_SAGAW(VTD_SAGAW_3LEVEL | VTD_SAGAW_4LEVEL) |
             VTD_CAP_MGAW(VTD_MGAW) | VTD_CAP_FRO(VTD_FRCD) | VTD_CAP_SLLPS(3) | VTD_CAP_PSI |
             VTD_CAP_NFR(VTD_NFR) | VTD_CAP_MAMV(VTD_MAMV);
    u->ecap = VTD_ECAP_C | VTD_ECAP_QI | VTD_ECAP_IR | VTD_ECAP_PT | VTD_ECAP_IRO(VTD_IVA) |
              VTD_ECAP_MHMV(VTD_MHMV);
    u->fectl = u->iectl = VTD_CTL_IM; /* events masked at reset */
    vtd_caches_reset(&u->caches);
}

/* One command of GCMD (§10.4.4).  Software must change one command per
 * write ("If multiple control fields in this register need to be
 * modified, software must serialize the modifications through multiple
 * writes"): it reads GSTS, clears the one-shot status bits, flips one.
 * What hardware does with two at once is undefined; this unit does
 * neither and counts the write (gcmd_rejected), so the status shows it. */
static void gcmd_write(struct vtd *u, uint32_t v)
{
    uint32_t flip = (v ^ u->gsts) & GCMD_LEVELS, shot = v & GCMD_ONESHOT;
    uint32_t cmds = flip | shot;
    if (cmds == 0)
        return;
    if (cmds & (cmds - 1)) {
        vtd_note(u, ++u->stats.gcmd_rejected,
                 "GCMD write 0x%08x with GSTS 0x%08x changes several commands; ignored: "
                 "one at a time (VT-d 10.4.4)",
                 v, u->gsts);
        return;
    }
    switch (cmds) {
    case VTD_GCMD_SRTP: /* the root table in use is RTADDR now (§10.4.6) */
        u->rta = u->rtaddr;
        u->gsts |= VTD_GCMD_SRTP; /* RTPS */
        break;
    case VTD_GCMD_SIRTP: /* the same for interrupt remapping (IRTA_REG) */
        u->irta = u->irta_reg;
        u->gsts |= VTD_GCMD_SIRTP; /* IRTPS */
        break;
    case VTD_GCMD_QIE: /* the head starts at 0 when the queue is enabled */
        u->gsts ^= VTD_GCMD_QIE;
        u->iqh = 0;
        vtd_qi_run(u);
        break;
    default: /* TE, IRE, CFI: the status follows the command */ u->gsts ^= cmds; break;
    }
}

/* CCMD with ICC = 1 (§10.4.7): invalidate, report the granularity done in
 * CAIG, clear ICC.  Not while queued invalidation is on (§6.5.2: then
 * the register interface must not be used): nothing is done, CAIG 0. */
static void ccmd_run(struct vtd *u)
{
    unsigned g = VTD_CCMD_CIRG(u->ccmd);
    u->ccmd &= ~(VTD_CCMD_ICC | VTD_CCMD_CAIG(3));
    if ((u->gsts & VTD_GCMD_QIE) || g == 0) {
        vtd_note(u, ++u->stats.bad_accesses, "CCMD 0x%016llx ignored: %s",
                 (unsigned long long)u->ccmd,
                 g ? "queued invalidation is on (VT-d 6.5.2)" : "granularity 0");
        return;
    }
    u->stats.reg_invalidations++;
    vtd_cc_invalidate(&u->caches, g, (uint16_t)u->ccmd, (uint16_t)(u->ccmd >> 16),
                      (u->ccmd >> 32) & 3);
    u->ccmd |= VTD_CCMD_CAIG(g);
}

/* IOTLB_REG with IVT = 1 (§10.4.8.1); page-selective with IVA_REG's
 * address and mask.  A mask beyond CAP.MAMV is done as a domain flush,
 * which IAIG reports (hardware may invalidate more than asked). */
static void iotlb_run(struct vtd *u)
{
    unsigned g = VTD_IOTLB_IIRG(u->iotlb), am = u->iva & 0x3f;
    u->iotlb &= ~(VTD_IOTLB_IVT | VTD_IOTLB_IAIG(3));
    if ((u->gsts & VTD_GCMD_QIE) || g == 0) {
        vtd_note(u, ++u->stats.bad_accesses, "IOTLB_REG 0x%016llx ignored: %s",
                 (unsigned long long)u->iotlb,
                 g ? "queued invalidation is on (VT-d 6.5.2)" : "granularity 0");
        return;
    }
    if (g == VTD_INV_DEVICE_OR_PAGE && am > VTD_MAMV)
        g = VTD_INV_DOMAIN;
    u->stats.reg_invalidations++;
    vtd_iotlb_invalidate(&u->caches, g, (uint16_t)(u->iotlb >> 32), u->iva & ~0xfffull, am);
    u->iotlb |= VTD_IOTLB_IAIG(g);
}

static uint32_t half(uint64_t r, uint64_t off) { return (uint32_t)(off & 4 ? r >> 32 : r); }
static void set_half(uint64_t *r, uint64_t off, uint32_t v, uint64_t wmask)
{
    uint64_t x = off & 4 ? (uint64_t)v << 32 | (uint32_t)*r : (*r & ~0xffffffffull) | v;
    *r = (*r & ~wmask) | (x & wmask);
}

static uint32_t read32(struct vtd *u, uint64_t off)
{
    if (off >= VTD_FRCD && off < VTD_FRCD + 16 * VTD_NFR) {
        const uint64_t *r = u->frcd[(off - VTD_FRCD) / 16];
        return half(r[(off >> 3) & 1], off);
    }
    switch (off & ~7ull) {
    case VTD_CAP: return half(u->cap, off);
    case VTD_ECAP: return half(u->ecap, off);
    case VTD_RTADDR: return half(u->rtaddr, off);
    case VTD_CCMD: return half(u->ccmd, off);
    case VTD_IQH: return half(u->iqh, off);
    case VTD_IQT: return half(u->iqt, off);
    case VTD_IQA: return half(u->iqa, off);
    case VTD_IRTA: return half(u->irta_reg, off);
    case VTD_IVA: return half(u->iva, off);
    case VTD_IOTLB: return half(u->iotlb, off);
    }
    switch (off) {
    case VTD_VER: return VTD_VERSION;
    case VTD_GSTS: return u->gsts;
    case VTD_FSTS: return vtd_fsts_read(u);
    case VTD_FECTL: return u->fectl;
    case VTD_FEDATA: return u->fedata;
    case VTD_FEADDR: return u->feaddr;
    case VTD_ICS: return u->ics;
    case VTD_IECTL: return u->iectl;
    case VTD_IEDATA: return u->iedata;
    case VTD_IEADDR: return u->ieaddr;
    default: return 0; /* GCMD is write-only; reserved and unsupported: 0 */
    }
}

/* Writable bits of the 64-bit registers (the rest read-only or reserved). */
#define RTADDR_W ~0xfffull /* RTA; TTM 0: legacy mode only */
#define CCMD_W   (VTD_CCMD_ICC | 3ull << 61 | 3ull << 32 | 0xffffffffull)
#define IQT_W    0x7fff0ull         /* QT, 128-bit descriptors      */
#define IQA_W    (~0xfffull | 7)    /* IQA, QS; DW needs SMTS       */
#define IRTA_W   (~0xfffull | 0xf)  /* IRTA, S; EIME needs ECAP.EIM */
#define IVA_W    (~0xfffull | 0x7f) /* ADDR, IH, AM                 */
#define IOTLB_W  (VTD_IOTLB_IVT | 3ull << 60 | 3ull << 48 | 0xffffull << 32)

static void write32(struct vtd *u, uint64_t off, uint32_t v)
{
    if (off >= VTD_FRCD && off < VTD_FRCD + 16 * VTD_NFR) {
        if ((off & 15) == 12) /* F, in the record's last dword, is RW1C */
            vtd_frcd_write_hi(u, (unsigned)(off - VTD_FRCD) / 16, v);
        return;
    }
    switch (off) {
    case VTD_GCMD: gcmd_write(u, v); return;
    case VTD_RTADDR:
    case VTD_RTADDR + 4: set_half(&u->rtaddr, off, v, RTADDR_W); return;
    case VTD_CCMD: set_half(&u->ccmd, off, v, CCMD_W); return;
    case VTD_CCMD + 4:
        set_half(&u->ccmd, off, v, CCMD_W);
        if (u->ccmd & VTD_CCMD_ICC)
            ccmd_run(u);
        return;
    case VTD_FSTS: /* clearing IQE lets the queue go on */
        vtd_fsts_write(u, v);
        vtd_qi_run(u);
        return;
    case VTD_FECTL: vtd_fectl_write(u, v); return;
    case VTD_FEDATA: u->fedata = v & 0xffff; return; /* EIMD needs ECAP.EIM */
    case VTD_FEADDR: u->feaddr = v & ~3u; return;
    case VTD_IQT:
        set_half(&u->iqt, off, v, IQT_W);
        vtd_qi_run(u);
        return;
    case VTD_IQA:
    case VTD_IQA + 4: set_half(&u->iqa, off, v, IQA_W); return;
    case VTD_ICS: vtd_ics_write(u, v); return;
    case VTD_IECTL: vtd_iectl_write(u, v); return;
    case VTD_IEDATA: u->iedata = v & 0xffff; return;
    case VTD_IEADDR: u->ieaddr = v & ~3u; return;
    case VTD_IRTA:
    case VTD_IRTA + 4: set_half(&u->irta_reg, off, v, IRTA_W); return;
    case VTD_IVA:
    case VTD_IVA + 4: set_half(&u->iva, off, v, IVA_W); return;
    case VTD_IOTLB: set_half(&u->iotlb, off, v, IOTLB_W); return;
    case VTD_IOTLB + 4:
        set_half(&u->iotlb, off, v, IOTLB_W);
        if (u->iotlb & VTD_IOTLB_IVT)
            iotlb_run(u);
        return;
    default: return; /* read-only (VER, CAP, ECAP, GSTS, IQH) or reserved */
    }
}

void vtd_mmio(void *dev, uint64_t off, uint8_t size, bool is_write, uint32_t *value)
{
    struct vtd *u = dev;
    if (is_write) {
        u->stats.writes++;
        if (size != 4 || (off & 3)) {
            u->stats.bad_accesses++;
            return;
        }
        write32(u, off, *value);
        return;
    }
    u->stats.reads++;
    uint32_t v = read32(u, off & ~3ull) >> (8 * (off & 3));
    *value = size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

void vtd_print_stats(const struct vtd *u, FILE *out)
{
    const struct vtd_stats *s = &u->stats;
    const struct vtd_caches *c = &u->caches;
    fprintf(out,
            "  vt-d: %llu register reads, %llu writes; translation %s, interrupt remapping %s, "
            "queued invalidation %s\n",
            (unsigned long long)s->reads, (unsigned long long)s->writes,
            u->gsts & VTD_GCMD_TE ? "on" : "off", u->gsts & VTD_GCMD_IRE ? "on" : "off",
            u->gsts & VTD_GCMD_QIE ? "on" : "off");
    fprintf(out,
            "  vt-d: %llu DMA page lookups, %llu translated (%llu pass-through), %llu faults "
            "recorded, %llu not recorded, %llu fault events\n",
            (unsigned long long)s->dma, (unsigned long long)s->translations,
            (unsigned long long)s->passthrough, (unsigned long long)s->faults,
            (unsigned long long)s->faults_dropped, (unsigned long long)s->fault_events);
    fprintf(out,
            "  vt-d: IOTLB %llu hits %llu misses, context cache %llu hits %llu misses, "
            "IEC %llu hits %llu misses\n",
            (unsigned long long)c->tlb_stats.hits, (unsigned long long)c->tlb_stats.misses,
            (unsigned long long)c->cc_stats.hits, (unsigned long long)c->cc_stats.misses,
            (unsigned long long)c->iec_stats.hits, (unsigned long long)c->iec_stats.misses);
    fprintf(out,
            "  vt-d: %llu register invalidations, %llu queued descriptors (%llu waits, %llu "
            "errors); interrupts %llu remapped, %llu blocked\n",
            (unsigned long long)s->reg_invalidations, (unsigned long long)s->qi_descriptors,
            (unsigned long long)s->qi_waits, (unsigned long long)s->qi_errors,
            (unsigned long long)s->ir_remapped, (unsigned long long)s->ir_blocked);
}
