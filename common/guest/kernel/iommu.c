/*
 * iommu.c — the VT-d DMA-remapping driver (iommu.h): registers, root and
 * context tables, second-level page tables, register-based and queued
 * invalidation, fault recording.  Section numbers are those of the Intel VT-d
 * Architecture Specification.
 */
#include "iommu.h"
#include "mm.h"
#include "program.h"
#include "timer.h"

#define TIMEOUT_MS 1000

/* CAP_REG fields (§10.4.2). */
#define CAP_RWBF(c)  (((c) >> 4) & 1)      /* write buffer flush required  */
#define CAP_CM(c)    (((c) >> 7) & 1)      /* caching mode: not-present cached */
#define CAP_SAGAW(c) (((c) >> 8) & 0x1F)   /* bit 1 39-bit, bit 2 48-bit   */
#define CAP_MGAW(c)  (((c) >> 16) & 0x3F)  /* max guest address width - 1 */
#define CAP_FRO(c)   (((c) >> 24) & 0x3FF) /* fault recording at FRO*16  */
#define CAP_PSI(c)   (((c) >> 39) & 1)     /* page-selective invalidation */
#define CAP_NFR(c)   (((c) >> 40) & 0xFF)  /* fault recording regs - 1   */
#define CAP_DWD(c)   (((c) >> 54) & 1)     /* write draining              */
#define CAP_DRD(c)   (((c) >> 55) & 1)     /* read draining               */
/* ECAP_REG fields (§10.4.3). */
#define ECAP_C(e)   ((e)&1)              /* table walks snoop the caches */
#define ECAP_QI(e)  (((e) >> 1) & 1)     /* queued invalidation          */
#define ECAP_IRO(e) (((e) >> 8) & 0x3FF) /* IOTLB registers at IRO*16    */

/* CCMD_REG (§10.4.7): ICC starts it and reads 1 until done; CIRG (62:61)
 * 01 global, 11 device (SID 31:16, DID 15:0). */
#define CCMD_ICC     (1ull << 63)
#define CCMD_CIRG(g) ((uint64_t)(g) << 61)
#define CIRG_GLOBAL  1
#define CIRG_DEVICE  3
/* IOTLB_REG (§10.4.8.1), at IRO*16 + 8, with IVA_REG (§10.4.8.2) at IRO*16:
 * IVT starts it; IIRG 01 global, 10 domain (DID in 47:32), 11 page (the
 * address and mask in IVA); IAIG (58:57) the granularity done, 0 = not. */
#define IOTLB_IVT     (1ull << 63)
#define IOTLB_IIRG(g) ((uint64_t)(g) << 60)
#define IOTLB_IAIG(v) (((v) >> 57) & 3)
#define IOTLB_DID(d)  ((uint64_t)(d) << 32)
#define IOTLB_DR      (1ull << 49)
#define IOTLB_DW      (1ull << 48)
#define IIRG_GLOBAL   1
#define IIRG_DOMAIN   2
#define IIRG_PAGE     3
#define PSI_MAX_PAGES 16 /* more than this: one domain-selective one */

static uint32_t rd32(struct iommu *u, uint32_t off)
{
    return *(volatile uint32_t *)(u->regs + off);
}
static void wr32(struct iommu *u, uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(u->regs + off) = v;
}
/* 64-bit registers as two dwords, low first: the command bits (ICC, IVT)
 * are in the high half, so the write that starts a command comes last. */
static uint64_t rd64(struct iommu *u, uint32_t off)
{
    uint32_t lo = rd32(u, off);
    return (uint64_t)rd32(u, off + 4) << 32 | lo;
}
static void wr64(struct iommu *u, uint32_t off, uint64_t v)
{
    wr32(u, off, (uint32_t)v);
    wr32(u, off + 4, (uint32_t)(v >> 32));
}

static int fail(struct iommu *u, const char *why, uint64_t val)
{
    u->err = why;
    u->err_val = val;
    return -1;
}

/* Wait until (register & mask) == want; the unit completes commands
 * asynchronously.  Interrupts are off in the kernel: time by the TSC. */
static int wait_reg(struct iommu *u, uint32_t off, uint32_t mask, uint32_t want, const char *what)
{
    uint64_t deadline = rdtsc() + tsc_per_tick() * (TIMEOUT_MS / (1000 / TIMER_HZ) + 1);
    while ((rd32(u, off) & mask) != want)
        if (rdtsc() > deadline)
            return fail(u, what, rd32(u, off));
    return 0;
}

/* Set or clear one GCMD bit and wait for its GSTS twin (§10.4.4): GCMD is
 * write-only, so the other enables are carried over from GSTS, without
 * its one-shot bits. */
static int gcmd(struct iommu *u, uint32_t bit, int on, const char *what)
{
    uint32_t sts = rd32(u, VTD_GSTS) & ~VTD_GSTS_ONESHOT;
    wr32(u, VTD_GCMD, on ? sts | bit : sts & ~bit);
    return wait_reg(u, VTD_GSTS, bit, on ? bit : 0, what);
}

/* Make table writes visible to the unit's walks.  ECAP.C = 0: the walks do
 * not snoop the processor caches, so the lines are written back (clflush,
 * or wbinvd on a CPU without it); CAP.RWBF: the unit's write buffer is
 * flushed too (GCMD.WBF, §6.8). */
static void table_sync(struct iommu *u, volatile void *p, uint32_t len)
{
    if (!ECAP_C(u->ecap)) {
        uint32_t a, b, c, d;
        __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
        uint32_t line = ((b >> 8) & 0xFF) * 8;
        if ((d & (1u << 19)) && line) {
            for (uint32_t x = (uint32_t)p & ~(line - 1); x < (uint32_t)p + len; x += line)
                __asm__ volatile("clflush (%0)" ::"r"(x) : "memory");
            __asm__ volatile("lock; addl $0,(%%esp)" ::: "memory"); /* a fence */
        } else {
            __asm__ volatile("wbinvd" ::: "memory");
        }
    }
    if (CAP_RWBF(u->cap)) {
        uint32_t sts = rd32(u, VTD_GSTS) & ~VTD_GSTS_ONESHOT;
        wr32(u, VTD_GCMD, sts | VTD_GCMD_WBF);
        wait_reg(u, VTD_GSTS, VTD_GCMD_WBF, 0, "write buffer flush: GSTS.WBFS stays set");
    }
}

/* A 64-bit table entry written as two dwords: the present/permission bits
 * are in the low one, so it goes last when an entry appears and first when
 * it goes. */
static void entry_set(volatile uint32_t *e, uint64_t v)
{
    e[1] = (uint32_t)(v >> 32);
    e[0] = (uint32_t)v;
}
static void entry_clear(volatile uint32_t *e)
{
    e[0] = 0;
    e[1] = 0;
}

/*
 * Queued invalidation (§6.5.2): a ring of 128-bit descriptors in memory
 * (IQA: base and size, §10.4.24), which software fills at the tail (IQT)
 * and the unit consumes from the head (IQH).  An invalidation wait
 * descriptor (type 5) with SW writes a status word to memory once every
 * descriptor before it is done: that is how software knows.
 */
#define IQ_ENTRIES   256                  /* a page of 16-byte descriptors */
#define QI_CC        0x1ull               /* context cache (§6.5.2.1)      */
#define QI_IOTLB     0x2ull               /* IOTLB (§6.5.2.2)              */
#define QI_WAIT      0x5ull               /* invalidation wait (§6.5.2.8)  */
#define QI_G(g)      ((uint64_t)(g) << 4) /* granularity: CIRG_, IIRG_     */
#define QI_DID(d)    ((uint64_t)(d) << 16)
#define QI_WAIT_SW   (1ull << 5)
#define VTD_FSTS_IQE (1u << 4) /* invalidation queue error */

static void qi_push(struct iommu *u, uint64_t lo, uint64_t hi)
{
    volatile uint32_t *d = (volatile uint32_t *)u->iq + u->iq_tail * 4;
    d[0] = (uint32_t)lo, d[1] = (uint32_t)(lo >> 32);
    d[2] = (uint32_t)hi, d[3] = (uint32_t)(hi >> 32);
    table_sync(u, d, 16);
    u->iq_tail = (u->iq_tail + 1) % IQ_ENTRIES;
}

/* Queue a wait descriptor behind what was pushed, hand everything to the
 * unit (IQT) and poll the status word.  The kernel is identity mapped:
 * &u->iq_status is its physical address. */
static int qi_sync(struct iommu *u)
{
    uint32_t seq = u->iq_status + 1;
    qi_push(u, QI_WAIT | QI_WAIT_SW | (uint64_t)seq << 32, (uint32_t)&u->iq_status);
    wr64(u, VTD_IQT, (uint64_t)u->iq_tail << 4);
    uint64_t deadline = rdtsc() + tsc_per_tick() * (TIMEOUT_MS / (1000 / TIMER_HZ) + 1);
    while (*(volatile uint32_t *)&u->iq_status != seq) {
        if (rd32(u, VTD_FSTS) & VTD_FSTS_IQE)
            return fail(u, "invalidation queue error (FSTS.IQE), IQH", rd64(u, VTD_IQH));
        if (rdtsc() > deadline)
            return fail(u, "invalidation wait descriptor not completed, IQH", rd64(u, VTD_IQH));
    }
    return 0;
}

int iommu_qi_enable(struct iommu *u)
{
    if (!ECAP_QI(u->ecap))
        return fail(u, "no queued invalidation (ECAP.QI = 0)", u->ecap);
    if (!u->iq && !(u->iq = frame_alloc()))
        return fail(u, "no memory for the invalidation queue", 0);
    table_sync(u, (void *)u->iq, PAGE_SIZE);
    u->iq_tail = 0;
    wr64(u, VTD_IQT, 0);     /* tail = head = 0 before enabling (§6.5.2) */
    wr64(u, VTD_IQA, u->iq); /* DW = 0 (128-bit descriptors), QS = 0 */
    if (gcmd(u, VTD_GCMD_QIE, 1, "GSTS.QIES not set after GCMD.QIE"))
        return -1;
    u->iq_on = 1;
    /* From now on only the queue invalidates: a first round trip. */
    qi_push(u, QI_CC | QI_G(CIRG_GLOBAL), 0);
    qi_push(u, QI_IOTLB | QI_G(IIRG_GLOBAL), 0);
    return qi_sync(u);
}

/* Context-cache invalidation (§6.5.1.1): CIRG_GLOBAL, or CIRG_DEVICE for
 * source-id sid in domain did. */
static int ctx_invalidate(struct iommu *u, int gran, uint16_t sid, uint16_t did)
{
    if (u->iq_on) {
        qi_push(u, QI_CC | QI_G(gran) | QI_DID(did) | (uint64_t)sid << 32, 0);
        return qi_sync(u);
    }
    wr64(u, VTD_CCMD, CCMD_ICC | CCMD_CIRG(gran) | (uint64_t)sid << 16 | did);
    return wait_reg(u, VTD_CCMD + 4, 1u << 31, 0, "context invalidation: CCMD.ICC stays set");
}

/* IOTLB invalidation (§6.5.1.2) of granularity IIRG_*: the page one
 * invalidates 2^am pages at iova. */
static int iotlb_invalidate(struct iommu *u, int gran, uint16_t did, uint64_t iova, uint32_t am)
{
    if (u->iq_on) {
        uint64_t lo = QI_IOTLB | QI_G(gran) | QI_DID(did);
        lo |= (CAP_DRD(u->cap) ? 1ull << 7 : 0) | (CAP_DWD(u->cap) ? 1ull << 6 : 0);
        qi_push(u, lo, gran == IIRG_PAGE ? iova | am : 0);
        return qi_sync(u);
    }
    uint32_t reg = u->iro + 8;
    uint64_t cmd = IOTLB_IVT | IOTLB_IIRG(gran) | IOTLB_DID(did);
    if (CAP_DRD(u->cap))
        cmd |= IOTLB_DR; /* drain reads and writes still in flight */
    if (CAP_DWD(u->cap))
        cmd |= IOTLB_DW;
    if (gran == IIRG_PAGE)
        wr64(u, u->iro, iova | am);
    wr64(u, reg, cmd);
    if (wait_reg(u, reg + 4, 1u << 31, 0, "IOTLB invalidation: IOTLB_REG.IVT stays set"))
        return -1;
    uint64_t done = rd64(u, reg);
    if (!IOTLB_IAIG(done))
        return fail(u, "IOTLB invalidation not performed (IAIG = 0)", done);
    return 0;
}

static int regs_map(struct iommu *u, uint32_t len)
{
    u->regs = mm_map_mmio(u->base, len);
    return u->regs ? 0 : fail(u, "no room for the registers in the MMIO window", u->base);
}

int iommu_init(struct iommu *u, uint64_t base)
{
    *u = (struct iommu){ .base = base };
    if (regs_map(u, PAGE_SIZE))
        return -1;
    u->ver = rd32(u, VTD_VER);
    u->cap = rd64(u, VTD_CAP);
    u->ecap = rd64(u, VTD_ECAP);
    if (u->cap == 0 || u->cap == ~0ull)
        return fail(u, "no VT-d registers (CAP reads 0 or all ones)", u->cap);
    /* The widest of the two usual widths the unit walks (§3.6): 4 levels
     * for 48-bit IOVAs, else 3 for 39-bit ones. */
    if (CAP_SAGAW(u->cap) & 4)
        u->levels = 4, u->agaw = 2;
    else if (CAP_SAGAW(u->cap) & 2)
        u->levels = 3, u->agaw = 1;
    else
        return fail(u, "SAGAW offers neither 3- nor 4-level tables", CAP_SAGAW(u->cap));
    u->fro = (uint32_t)CAP_FRO(u->cap) * 16;
    u->nfr = (uint32_t)CAP_NFR(u->cap) + 1;
    u->iro = (uint32_t)ECAP_IRO(u->ecap) * 16;
    uint32_t end = u->fro + u->nfr * 16;
    if (u->iro + 16 > end)
        end = u->iro + 16;
    if (end > PAGE_SIZE && regs_map(u, end))
        return -1;
    /* Start from a known state: firmware may have left translation or
     * queued invalidation on. */
    uint32_t sts = rd32(u, VTD_GSTS);
    if ((sts & VTD_GCMD_TE) && gcmd(u, VTD_GCMD_TE, 0, "GSTS.TES stays set"))
        return -1;
    if ((sts & VTD_GCMD_QIE) && gcmd(u, VTD_GCMD_QIE, 0, "GSTS.QIES stays set"))
        return -1;
    u->root = frame_alloc();
    if (!u->root)
        return fail(u, "no memory for the root table", 0);
    table_sync(u, (void *)u->root, PAGE_SIZE);
    return 0;
}

int iommu_dom_init(struct iommu *u, struct iommu_dom *d, uint16_t id)
{
    *d = (struct iommu_dom){ .id = id, .levels = u->levels, .top = frame_alloc() };
    if (!d->top)
        return fail(u, "no memory for a second-level table", 0);
    table_sync(u, (void *)d->top, PAGE_SIZE);
    return 0;
}

/*
 * Root entry (§9.1), 128 bits: P (0), context-table pointer (63:12); the
 * high half is reserved in legacy mode.  Context entry (§9.3): P (0), FPD
 * (1, 0 = faults are recorded), TT (3:2, 00 = untranslated requests walk
 * the second-level tables), SLPTPTR (63:12); AW (66:64), DID (87:72).
 */
int iommu_attach(struct iommu *u, struct iommu_dom *d, uint8_t bus, uint8_t devfn)
{
    volatile uint32_t *re = (volatile uint32_t *)u->root + bus * 4;
    if (!(re[0] & 1)) {
        uint32_t ct = frame_alloc();
        if (!ct)
            return fail(u, "no memory for a context table", bus);
        table_sync(u, (void *)ct, PAGE_SIZE);
        entry_set(re + 2, 0);
        entry_set(re, ct | 1);
        table_sync(u, re, 16);
    }
    volatile uint32_t *ce = (volatile uint32_t *)(re[0] & ~0xFFFu) + devfn * 4;
    entry_set(ce + 2, u->agaw | (uint64_t)d->id << 8);
    entry_set(ce, d->top | 1);
    table_sync(u, ce, 16);
    /* A present entry may have been cached as not present (CAP.CM), and
     * once translating, the unit may hold the old one. */
    if (CAP_CM(u->cap) || (rd32(u, VTD_GSTS) & VTD_GCMD_TE))
        if (ctx_invalidate(u, CIRG_GLOBAL, 0, 0) || iotlb_invalidate(u, IIRG_DOMAIN, d->id, 0, 0))
            return -1;
    return 0;
}

/* Take bus:devfn out of domain d: its context entry cleared, then the
 * caches that may hold it, the context entry (device-selective) and the
 * domain's translations (§6.5.3.1, "Context-Entry Programming
 * Considerations"): its DMA then faults with reason 2. */
int iommu_detach(struct iommu *u, struct iommu_dom *d, uint8_t bus, uint8_t devfn)
{
    volatile uint32_t *re = (volatile uint32_t *)u->root + bus * 4;
    if (!(re[0] & 1))
        return 0;
    volatile uint32_t *ce = (volatile uint32_t *)(re[0] & ~0xFFFu) + devfn * 4;
    entry_clear(ce);
    entry_clear(ce + 2);
    table_sync(u, ce, 16);
    if (ctx_invalidate(u, CIRG_DEVICE, (uint16_t)(bus << 8 | devfn), d->id))
        return -1;
    return iotlb_invalidate(u, IIRG_DOMAIN, d->id, 0, 0);
}

/* Set the root table (RTADDR, TTM 00 = legacy, §10.4.6), latch it with
 * GCMD.SRTP, invalidate everything the unit may hold, then translate. */
int iommu_enable(struct iommu *u)
{
    wr64(u, VTD_RTADDR, u->root);
    if (gcmd(u, VTD_GCMD_SRTP, 1, "GSTS.RTPS not set after SRTP"))
        return -1;
    if (ctx_invalidate(u, CIRG_GLOBAL, 0, 0) || iotlb_invalidate(u, IIRG_GLOBAL, 0, 0, 0))
        return -1;
    return gcmd(u, VTD_GCMD_TE, 1, "GSTS.TES not set after GCMD.TE");
}

int iommu_disable(struct iommu *u)
{
    return gcmd(u, VTD_GCMD_TE, 0, "GSTS.TES stays set after clearing GCMD.TE");
}

/* The leaf entry of iova, creating the tables on the way if asked
 * (§9.8: 9 index bits per level above the 12-bit page offset).  Non-leaf
 * entries allow read and write: the leaf decides. */
static volatile uint32_t *walk(struct iommu *u, struct iommu_dom *d, uint64_t iova, int create)
{
    uint32_t table = d->top;
    for (int level = d->levels; level > 1; level--) {
        uint32_t idx = (uint32_t)(iova >> (12 + 9 * (level - 1))) & 511;
        volatile uint32_t *e = (volatile uint32_t *)table + idx * 2;
        if (!(e[0] & (IOMMU_READ | IOMMU_WRITE))) {
            if (!create)
                return 0;
            uint32_t t = frame_alloc();
            if (!t)
                return 0;
            table_sync(u, (void *)t, PAGE_SIZE);
            entry_set(e, t | IOMMU_READ | IOMMU_WRITE);
            table_sync(u, e, 8);
        }
        table = e[0] & ~0xFFFu;
    }
    return (volatile uint32_t *)table + ((uint32_t)(iova >> 12) & 511) * 2;
}

static int range_ok(struct iommu *u, struct iommu_dom *d, uint64_t iova, uint32_t len)
{
    uint64_t top = 1ull << (12 + 9 * d->levels);
    uint64_t mgaw = 2ull << CAP_MGAW(u->cap);
    if (top > mgaw)
        top = mgaw;
    if ((iova | len) & (PAGE_SIZE - 1) || !len)
        return fail(u, "IOVA range not page aligned", iova);
    if (iova >= top || len > top - iova)
        return fail(u, "IOVA beyond the domain's address width", iova);
    return 0;
}

int iommu_map(struct iommu *u, struct iommu_dom *d, uint64_t iova, uint32_t pa, uint32_t len,
              uint32_t perm)
{
    if (range_ok(u, d, iova, len))
        return -1;
    if (pa & (PAGE_SIZE - 1) || !(perm & (IOMMU_READ | IOMMU_WRITE)))
        return fail(u, "bad physical address or no permission", pa);
    for (uint32_t off = 0; off < len; off += PAGE_SIZE) {
        volatile uint32_t *pte = walk(u, d, iova + off, 1);
        if (!pte)
            return fail(u, "no memory for a second-level table", iova + off);
        if (pte[0] & (IOMMU_READ | IOMMU_WRITE))
            return fail(u, "IOVA already mapped", iova + off);
        entry_set(pte, (pa + off) | (perm & (IOMMU_READ | IOMMU_WRITE)));
        table_sync(u, pte, 8);
    }
    /* Not-present -> present needs no invalidation, unless the unit
     * caches not-present entries (CAP.CM, as a virtual IOMMU may, §6.1). */
    if (CAP_CM(u->cap))
        return iotlb_invalidate(u, IIRG_DOMAIN, d->id, 0, 0);
    return 0;
}

int iommu_unmap(struct iommu *u, struct iommu_dom *d, uint64_t iova, uint32_t len)
{
    if (range_ok(u, d, iova, len))
        return -1;
    for (uint32_t off = 0; off < len; off += PAGE_SIZE) {
        volatile uint32_t *pte = walk(u, d, iova + off, 0);
        if (pte && (pte[0] & (IOMMU_READ | IOMMU_WRITE))) {
            entry_clear(pte);
            table_sync(u, pte, 8);
        }
    }
    /* The unit may still hold the translations: drop them, page by page
     * where it can (CAP.PSI), else the whole domain. */
    uint32_t pages = len / PAGE_SIZE;
    if (!CAP_PSI(u->cap) || pages > PSI_MAX_PAGES)
        return iotlb_invalidate(u, IIRG_DOMAIN, d->id, 0, 0);
    for (uint32_t i = 0; i < pages; i++)
        if (iotlb_invalidate(u, IIRG_PAGE, d->id, iova + i * PAGE_SIZE, 0))
            return -1;
    return 0;
}

uint32_t iommu_fsts(struct iommu *u) { return rd32(u, VTD_FSTS); }

/*
 * Primary fault logging (§7.2.1): FSTS.PPF says some FRCD holds a fault,
 * FSTS.FRI which one to read first.  FRCD (§10.4.14), 128 bits: FI (63:12)
 * the page address; SID (79:64), FR (103:96), T (126: 1 read, 0 write),
 * F (127, write 1 to clear).  While F is set, the unit drops further
 * faults of the same source-id; with every FRCD full it sets FSTS.PFO.
 */
int iommu_fault_next(struct iommu *u, struct iommu_fault *f)
{
    uint32_t fsts = rd32(u, VTD_FSTS);
    if (fsts & VTD_FSTS_PFO)
        wr32(u, VTD_FSTS, VTD_FSTS_PFO);
    if (!(fsts & VTD_FSTS_PPF))
        return 0;
    uint32_t first = (fsts >> 8) & 0xFF;
    for (uint32_t i = 0; i < u->nfr; i++) {
        uint32_t idx = (first + i) % u->nfr, off = u->fro + idx * 16;
        uint64_t hi = rd64(u, off + 8);
        if (!(hi >> 63))
            continue;
        uint64_t lo = rd64(u, off);
        *f = (struct iommu_fault){ .addr = lo & ~0xFFFull,
                                   .sid = (uint16_t)hi,
                                   .reason = (uint8_t)(hi >> 32),
                                   .read = (uint8_t)((hi >> 62) & 1),
                                   .index = idx };
        wr32(u, off + 12, 1u << 31);
        return 1;
    }
    return 0;
}

static void table_free(uint32_t table, int level)
{
    volatile uint32_t *e = (volatile uint32_t *)table;
    for (int i = 0; level > 1 && i < 512; i++)
        if (e[i * 2] & (IOMMU_READ | IOMMU_WRITE))
            table_free(e[i * 2] & ~0xFFFu, level - 1);
    frame_free(table);
}

void iommu_dom_free(struct iommu_dom *d)
{
    if (d->top)
        table_free(d->top, d->levels);
    d->top = 0;
}

void iommu_release(struct iommu *u)
{
    if (!u->root)
        return;
    iommu_disable(u);
    if (u->iq_on && !gcmd(u, VTD_GCMD_QIE, 0, "GSTS.QIES stays set"))
        u->iq_on = 0;
    if (u->iq && !u->iq_on)
        frame_free(u->iq), u->iq = 0;
    volatile uint32_t *re = (volatile uint32_t *)u->root;
    for (int bus = 0; bus < 256; bus++)
        if (re[bus * 4] & 1)
            frame_free(re[bus * 4] & ~0xFFFu);
    frame_free(u->root);
    u->root = 0;
}
