/*
 * iommu — the teaching kernel's VT-d driver (kernel/iommu.c) with a device
 * that does DMA: QEMU's edu (kernel/edu.c), on a machine whose ACPI tables
 * describe an IOMMU (qemu-system-x86_64 -M q35 -device intel-iommu
 * -device edu).
 *
 *  0. finds the DMAR table and its DRHD (kernel/acpi.c), the edu device,
 *     checks edu's factorial and interrupt status registers;
 *  1. reads the unit's VER/CAP/ECAP, builds a domain for edu: IOVA_OUT ->
 *     page A read-only, IOVA_SRC -> page B read-only, IOVA_IN -> page C
 *     read-write, IOVA_GONE -> page D read-write, IOVA_RO -> page E
 *     read-only (the IOVAs lie above the
 *     guest's RAM, below edu's 28-bit DMA mask), enables translation;
 *  2. translations that work: edu reads A through IOVA_OUT, writes part of
 *     it back through IOVA_IN at an offset (C checked, word by word), reads
 *     B, writes it through IOVA_GONE (D == B); no fault recorded;
 *  3. DMA that must be blocked, each one fault (reason, source-id, address)
 *     and its target unchanged:
 *       gone      write to IOVA_GONE after iommu_unmap (IOTLB invalidated)
 *       unmapped  write to the IOVA equal to page V's physical address
 *       readonly  write to IOVA_RO (mapped read-only, never used before)
 *       readonly-cached  write to IOVA_OUT (read-only, its translation
 *                 used by a read before): must not land; QEMU 7.2 records
 *                 no fault for it (see readonly_cached)
 *       read      read of page V's physical address: edu must not get V
 *     then, if the unit has queued invalidation, the "gone" case again with
 *     the invalidation queue instead of the registers ("gone-qi"); then
 *     edu detached from the domain: a write to a mapped IOVA faults with
 *     reason 2, context entry not present ("detached");
 *  4. turns translation off: the same write now reaches V (so case
 *     "unmapped" was stopped by the IOMMU and nothing else).
 * Expected fault reasons (VT-d §7, the fault reason encodings): 5 for a
 * write without write permission, 6 for a read without read permission; a
 * not-present entry has neither.  Without a DMAR table (our VMMs, plain
 * QEMU) or without edu the program prints a SKIP line and passes:
 * `RESULT iommu dmar=none skipped=1` / `device=none skipped=1`.
 */
#include "../kernel/acpi.h"
#include "../kernel/edu.h"
#include "../kernel/iommu.h"
#include "../kernel/mm.h"
#include "../kernel/program.h"

#define IOVA_OUT  0x0A000000u
#define IOVA_SRC  0x0A001000u
#define IOVA_IN   0x0A002000u
#define IOVA_GONE 0x0A003000u
#define IOVA_RO   0x0A004000u
#define WORDS     (PAGE_SIZE / 4)
#define XFER      2048u /* bytes per transfer, at most EDU_XFER_MAX */
#define XWORDS    (XFER / 4)
#define PAT_A(w)  (0xA0000000u | (w)*0x10001u)
#define PAT_B(w)  (0xB0000000u | (w)*0x00103u)
#define FILL_C    0xEEEEEEEEu
#define FILL_D    0x55555555u
#define FILL_V    0x77777777u
#define FILL_E    0x99999999u
#define NPAGES    6
#define IN_AT     256u /* bytes into C where the partial write lands */
#define IN_FROM   512u /* bytes into edu's buffer it comes from      */
#define IN_LEN    1024u
#define DOMAIN_ID 1

struct run {
    struct iommu u;
    struct iommu_dom dom;
    struct edu edu;
    uint32_t *a, *b, *c, *d, *e, *v;
    uint16_t sid;
};

static void fill(uint32_t *p, uint32_t v)
{
    for (uint32_t w = 0; w < WORDS; w++)
        p[w] = v;
}

static int all_are(const uint32_t *p, uint32_t v)
{
    for (uint32_t w = 0; w < WORDS; w++)
        if (p[w] != v)
            return 0;
    return 1;
}

static int dma(struct prog_ctx *ctx, struct run *r, int dir, uint32_t bus, uint32_t off,
               uint32_t len)
{
    if (edu_dma(&r->edu, dir, bus, off, len))
        return prog_fail(ctx, "edu DMA %s 0x%x: %s (0x%x)", dir == EDU_TO_RAM ? "to" : "from", bus,
                         r->edu.err, r->edu.err_val);
    return 0;
}

static int iommu_err(struct prog_ctx *ctx, struct run *r, const char *what)
{
    return prog_fail(ctx, "%s: %s (0x%llx)", what, r->u.err, (unsigned long long)r->u.err_val);
}

/* No fault may be pending after DMA that the mappings allow. */
static int no_fault(struct prog_ctx *ctx, struct run *r, const char *after)
{
    struct iommu_fault f;
    if (iommu_fault_next(&r->u, &f))
        return prog_fail(ctx, "after %s: unexpected fault reason %u sid 0x%04x addr 0x%llx", after,
                         f.reason, f.sid, (unsigned long long)f.addr);
    return 0;
}

/* One blocked DMA: exactly one fault with reason `want` (0: the
 * permission reason of the direction), edu's source-id and the IOVA's
 * page; `target` (may be 0) must still hold `fillv`. */
static int expect_fault(struct prog_ctx *ctx, struct run *r, const char *name, uint32_t iova,
                        int read, uint8_t want, const uint32_t *target, uint32_t fillv)
{
    struct iommu_fault f, extra;
    if (!want)
        want = read ? VTD_FR_NO_READ : VTD_FR_NO_WRITE;
    uint32_t fsts = iommu_fsts(&r->u);
    if (!iommu_fault_next(&r->u, &f))
        return prog_fail(ctx, "%s: no fault recorded (FSTS 0x%x)", name, fsts);
    int more = iommu_fault_next(&r->u, &extra);
    int kept = !target || all_are(target, fillv);
    result(ctx,
           "fault=%s reason=%u sid=0x%04x bdf=%02x:%02x.%x addr=0x%llx type=%s fsts=0x%x frcd=%u "
           "target=%s",
           name, f.reason, f.sid, f.sid >> 8, (f.sid >> 3) & 31, f.sid & 7,
           (unsigned long long)f.addr, f.read ? "read" : "write", fsts, f.index,
           !target ? "none"
           : kept  ? "unchanged"
                   : "changed");
    if (f.reason != want || f.sid != r->sid || f.addr != iova || f.read != read)
        return prog_fail(ctx,
                         "%s: fault reason %u sid 0x%04x addr 0x%llx %s, want %u 0x%04x 0x%x %s",
                         name, f.reason, f.sid, (unsigned long long)f.addr,
                         f.read ? "read" : "write", want, r->sid, iova, read ? "read" : "write");
    if (more)
        return prog_fail(ctx, "%s: a second fault (reason %u addr 0x%llx)", name, extra.reason,
                         (unsigned long long)extra.addr);
    if (!kept)
        return prog_fail(ctx, "%s: the blocked DMA changed its target", name);
    return 0;
}

/* Step 1: the unit, the domain, the mappings, translation on. */
static int setup(struct prog_ctx *ctx, struct run *r, uint64_t base)
{
    if (iommu_init(&r->u, base))
        return iommu_err(ctx, r, "iommu_init");
    uint64_t cap = r->u.cap, ecap = r->u.ecap;
    result(ctx,
           "drhd=0x%llx ver=%u.%u cap=0x%llx ecap=0x%llx sagaw=0x%x levels=%d mgaw=%u nfr=%u "
           "fro=0x%x iro=0x%x psi=%u cm=%u coherent=%u qi=%u",
           (unsigned long long)base, (r->u.ver >> 4) & 15, r->u.ver & 15, (unsigned long long)cap,
           (unsigned long long)ecap, (uint32_t)(cap >> 8) & 31, r->u.levels,
           (uint32_t)((cap >> 16) & 63) + 1, r->u.nfr, r->u.fro, r->u.iro,
           (uint32_t)(cap >> 39) & 1, (uint32_t)(cap >> 7) & 1, (uint32_t)ecap & 1,
           (uint32_t)(ecap >> 1) & 1);
    uint32_t *pages[NPAGES];
    for (int i = 0; i < NPAGES; i++)
        if (!(pages[i] = (uint32_t *)frame_alloc()))
            return prog_fail(ctx, "out of frames");
    r->a = pages[0], r->b = pages[1], r->c = pages[2], r->d = pages[3], r->e = pages[4];
    r->v = pages[5];
    if ((uint32_t)r->v > EDU_DMA_MASK)
        return prog_fail(ctx, "page V at 0x%x is beyond edu's DMA mask", (uint32_t)r->v);
    for (uint32_t w = 0; w < WORDS; w++)
        r->a[w] = PAT_A(w), r->b[w] = PAT_B(w);
    fill(r->c, FILL_C), fill(r->d, FILL_D), fill(r->e, FILL_E), fill(r->v, FILL_V);
    if (iommu_dom_init(&r->u, &r->dom, DOMAIN_ID) ||
        iommu_attach(&r->u, &r->dom, r->edu.pci.bus, (uint8_t)(r->sid & 0xFF)) ||
        iommu_map(&r->u, &r->dom, IOVA_OUT, (uint32_t)r->a, PAGE_SIZE, IOMMU_READ) ||
        iommu_map(&r->u, &r->dom, IOVA_SRC, (uint32_t)r->b, PAGE_SIZE, IOMMU_READ) ||
        iommu_map(&r->u, &r->dom, IOVA_RO, (uint32_t)r->e, PAGE_SIZE, IOMMU_READ) ||
        iommu_map(&r->u, &r->dom, IOVA_IN, (uint32_t)r->c, PAGE_SIZE, IOMMU_READ | IOMMU_WRITE) ||
        iommu_map(&r->u, &r->dom, IOVA_GONE, (uint32_t)r->d, PAGE_SIZE, IOMMU_READ | IOMMU_WRITE))
        return iommu_err(ctx, r, "domain set-up");
    while (iommu_fault_next(&r->u, &(struct iommu_fault){ 0 }))
        ; /* whatever firmware left */
    if (iommu_enable(&r->u))
        return iommu_err(ctx, r, "iommu_enable");
    return 0;
}

/* Step 2: DMA through the mappings, both directions, at an offset. */
static int translated(struct prog_ctx *ctx, struct run *r)
{
    if (dma(ctx, r, EDU_TO_DEVICE, IOVA_OUT, 0, XFER) ||
        dma(ctx, r, EDU_TO_RAM, IOVA_IN + IN_AT, IN_FROM, IN_LEN))
        return -1;
    uint32_t bad = 0;
    for (uint32_t w = 0; w < WORDS; w++) {
        uint32_t at = w * 4, want = FILL_C;
        if (at >= IN_AT && at < IN_AT + IN_LEN)
            want = PAT_A((at - IN_AT + IN_FROM) / 4);
        bad += r->c[w] != want;
    }
    if (dma(ctx, r, EDU_TO_DEVICE, IOVA_SRC, 0, XFER) ||
        dma(ctx, r, EDU_TO_RAM, IOVA_GONE, 0, XFER))
        return -1;
    uint32_t bad_d = 0;
    for (uint32_t w = 0; w < WORDS; w++)
        bad_d += r->d[w] != (w < XWORDS ? PAT_B(w) : FILL_D);
    result(ctx,
           "translate=%s read_iova=0x%x write_iova=0x%x offset=%u len=%u bad_words=%u "
           "second_write=%s",
           bad || bad_d ? "bad" : "ok", IOVA_OUT, IOVA_IN + IN_AT, IN_AT, IN_LEN, bad,
           bad_d ? "bad" : "ok");
    if (bad || bad_d)
        return prog_fail(ctx, "DMA through the IOMMU: %u + %u words differ", bad, bad_d);
    return no_fault(ctx, r, "the translated DMA");
}

/* A write to IOVA_OUT, read-only and read by edu before: the unit may
 * hold its translation.  The write must not land.  VT-d wants the same
 * fault as for an uncached entry; QEMU 7.2 checks the permission of a
 * cached translation without recording a fault, so "recorded" is
 * reported, not required, and checked only when there. */
static int readonly_cached(struct prog_ctx *ctx, struct run *r)
{
    if (dma(ctx, r, EDU_TO_RAM, IOVA_OUT, 0, XFER))
        return -1;
    int kept = 1;
    for (uint32_t w = 0; w < WORDS; w++)
        kept &= r->a[w] == PAT_A(w);
    struct iommu_fault f;
    int recorded = iommu_fault_next(&r->u, &f);
    result(ctx, "fault=readonly-cached recorded=%s reason=%u target=%s", recorded ? "yes" : "no",
           recorded ? f.reason : 0, kept ? "unchanged" : "changed");
    if (!kept)
        return prog_fail(ctx, "readonly-cached: the write changed page A");
    if (recorded && (f.reason != VTD_FR_NO_WRITE || f.sid != r->sid || f.addr != IOVA_OUT))
        return prog_fail(ctx, "readonly-cached: fault reason %u sid 0x%04x addr 0x%llx", f.reason,
                         f.sid, (unsigned long long)f.addr);
    return 0;
}

/* Step 3: the blocked DMA.  edu's buffer holds B, unlike every target. */
static int blocked(struct prog_ctx *ctx, struct run *r)
{
    if (iommu_unmap(&r->u, &r->dom, IOVA_GONE, PAGE_SIZE))
        return iommu_err(ctx, r, "iommu_unmap");
    fill(r->d, FILL_D);
    if (dma(ctx, r, EDU_TO_RAM, IOVA_GONE, 0, XFER) ||
        expect_fault(ctx, r, "gone", IOVA_GONE, 0, 0, r->d, FILL_D))
        return -1;
    uint32_t vpa = (uint32_t)r->v;
    if (dma(ctx, r, EDU_TO_RAM, vpa, 0, XFER) ||
        expect_fault(ctx, r, "unmapped", vpa, 0, 0, r->v, FILL_V))
        return -1;
    if (dma(ctx, r, EDU_TO_RAM, IOVA_RO, 0, XFER) ||
        expect_fault(ctx, r, "readonly", IOVA_RO, 0, 0, r->e, FILL_E) || readonly_cached(ctx, r))
        return -1;
    /* A blocked read: then what did edu get?  Never V's contents. */
    if (dma(ctx, r, EDU_TO_DEVICE, vpa, 0, XFER) || expect_fault(ctx, r, "read", vpa, 1, 0, 0, 0))
        return -1;
    fill(r->c, FILL_C);
    if (dma(ctx, r, EDU_TO_RAM, IOVA_IN, 0, XFER))
        return -1;
    uint32_t got_v = 0, got_b = 0, got_0 = 0;
    for (uint32_t w = 0; w < XWORDS; w++)
        got_v += r->c[w] == FILL_V, got_b += r->c[w] == PAT_B(w), got_0 += r->c[w] == 0;
    result(ctx, "fault=read device_got=%s",
           got_b == XWORDS   ? "unchanged"
           : got_0 == XWORDS ? "zeros"
           : got_v           ? "page-V"
                             : "other");
    if (got_v)
        return prog_fail(ctx, "read: the blocked read gave edu %u words of page V", got_v);
    return no_fault(ctx, r, "the read case");
}

/* Step 3b: the unmap case again with the invalidation queue (ECAP.QI):
 * map IOVA_GONE again, a write lands, unmap, the next one faults. */
static int queued(struct prog_ctx *ctx, struct run *r)
{
    if (!((r->u.ecap >> 1) & 1)) {
        result(ctx, "qi=unsupported");
        return 0;
    }
    if (iommu_qi_enable(&r->u))
        return iommu_err(ctx, r, "iommu_qi_enable");
    fill(r->d, FILL_D);
    if (iommu_map(&r->u, &r->dom, IOVA_GONE, (uint32_t)r->d, PAGE_SIZE, IOMMU_READ | IOMMU_WRITE))
        return iommu_err(ctx, r, "iommu_map with the queue");
    if (dma(ctx, r, EDU_TO_DEVICE, IOVA_SRC, 0, XFER) ||
        dma(ctx, r, EDU_TO_RAM, IOVA_GONE, 0, XFER))
        return -1;
    uint32_t bad = 0;
    for (uint32_t w = 0; w < WORDS; w++)
        bad += r->d[w] != (w < XWORDS ? PAT_B(w) : FILL_D);
    result(ctx, "qi=on write=%s descriptors=%u", bad ? "bad" : "ok", r->u.iq_tail);
    if (bad)
        return prog_fail(ctx, "queued invalidation: the write to the remapped IOVA: %u words", bad);
    if (no_fault(ctx, r, "the write with the queue") ||
        iommu_unmap(&r->u, &r->dom, IOVA_GONE, PAGE_SIZE))
        return r->u.err ? iommu_err(ctx, r, "iommu_unmap with the queue") : -1;
    fill(r->d, FILL_D);
    if (dma(ctx, r, EDU_TO_RAM, IOVA_GONE, 0, XFER) ||
        expect_fault(ctx, r, "gone-qi", IOVA_GONE, 0, 0, r->d, FILL_D))
        return -1;
    return 0;
}

/* Step 3c: edu taken out of the domain (context entry cleared, context
 * cache and IOTLB invalidated): a write to a mapped IOVA now faults with
 * reason 2, the context entry not present. */
static int detached(struct prog_ctx *ctx, struct run *r)
{
    if (iommu_detach(&r->u, &r->dom, r->edu.pci.bus, (uint8_t)(r->sid & 0xFF)))
        return iommu_err(ctx, r, "iommu_detach");
    fill(r->c, FILL_C);
    if (dma(ctx, r, EDU_TO_RAM, IOVA_IN, 0, XFER) ||
        expect_fault(ctx, r, "detached", IOVA_IN, 0, VTD_FR_CTX_NOT_PRESENT, r->c, FILL_C))
        return -1;
    return 0;
}

/* Step 4: translation off, the "unmapped" write lands on V. */
static int untranslated(struct prog_ctx *ctx, struct run *r)
{
    if (iommu_disable(&r->u))
        return iommu_err(ctx, r, "iommu_disable");
    if (dma(ctx, r, EDU_TO_DEVICE, (uint32_t)r->b, 0, XFER) ||
        dma(ctx, r, EDU_TO_RAM, (uint32_t)r->v, 0, XFER))
        return -1;
    uint32_t bad = 0;
    for (uint32_t w = 0; w < WORDS; w++)
        bad += r->v[w] != (w < XWORDS ? PAT_B(w) : FILL_V);
    result(ctx, "translation=off write_to=0x%x landed=%s", (uint32_t)r->v, bad ? "no" : "yes");
    if (bad)
        return prog_fail(ctx, "translation off: the write to 0x%x did not land (%u words)",
                         (uint32_t)r->v, bad);
    return no_fault(ctx, r, "translation off");
}

static void teardown(struct run *r)
{
    iommu_release(&r->u);
    iommu_dom_free(&r->dom);
    uint32_t *pages[NPAGES] = { r->a, r->b, r->c, r->d, r->e, r->v };
    for (int i = 0; i < NPAGES; i++)
        if (pages[i])
            frame_free((uint32_t)pages[i]);
}

static int edu_check(struct prog_ctx *ctx, struct run *r)
{
    uint32_t fact = 0, raised, acked;
    if (edu_factorial(&r->edu, 10, &fact))
        return prog_fail(ctx, "edu: factorial did not finish");
    edu_irq_roundtrip(&r->edu, 0x40, &raised, &acked);
    struct pci_dev *p = &r->edu.pci;
    r->sid = (uint16_t)(p->bus << 8 | p->dev << 3 | p->fn);
    result(ctx,
           "device=edu edu=%02x:%02x.%x sid=0x%04x id=0x%08x fact10=%u irq_raised=0x%x "
           "irq_acked=0x%x",
           p->bus, p->dev, p->fn, r->sid, r->edu.id, fact, raised, acked);
    if (fact != 3628800 || raised != 0x40 || acked != 0)
        return prog_fail(ctx, "edu: 10! = %u, interrupt status 0x%x then 0x%x", fact, raised,
                         acked);
    return 0;
}

static int iommu_prog(struct prog_ctx *ctx)
{
    static struct run r;
    struct acpi_drhd drhd;
    int rc = acpi_dmar_drhd(&drhd);
    if (rc == -1 || rc == -2) {
        kprintf("vmlab: iommu: SKIP: no ACPI DMAR table (%s)\n",
                rc == -1 ? "no RSDP" : "RSDP found");
        result(ctx, "dmar=none rsdp=%s skipped=1", rc == -1 ? "no" : "yes");
        return 0;
    }
    if (rc)
        return prog_fail(ctx, "the DMAR table has no DRHD");
    r = (struct run){ 0 };
    rc = edu_init(&r.edu);
    if (rc == -1) {
        kprintf("vmlab: iommu: SKIP: no edu PCI device (1234:11e8)\n");
        result(ctx, "dmar=found drhd=0x%llx device=none skipped=1", (unsigned long long)drhd.base);
        return 0;
    }
    if (rc)
        return prog_fail(ctx, "edu: %s (0x%x)", r.edu.err, r.edu.err_val);
    result(ctx, "dmar=found drhd=0x%llx haw=%u include_all=%u segment=%u",
           (unsigned long long)drhd.base, drhd.haw, drhd.flags & 1, drhd.segment);
    rc = edu_check(ctx, &r);
    if (!rc)
        rc = setup(ctx, &r, drhd.base);
    if (!rc)
        rc = translated(ctx, &r);
    if (!rc)
        rc = blocked(ctx, &r);
    if (!rc)
        rc = queued(ctx, &r);
    if (!rc)
        rc = detached(ctx, &r);
    if (!rc)
        rc = untranslated(ctx, &r);
    teardown(&r);
    return rc;
}

PROGRAM("iommu", "VT-d DMA remapping with QEMU's edu: mapped DMA works, the rest faults", 1,
        iommu_prog);
