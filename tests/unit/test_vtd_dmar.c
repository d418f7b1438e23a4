/*
 * test_vtd_dmar.c — DMA remapping (06-passthrough/vtd_dmar.c; VT-d §3.4.2,
 * §3.7, §9.1, §9.3, §9.8): root -> context -> 3- and 4-level second-level
 * tables, 4 KiB, 2 MiB and 1 GiB pages, pass-through, R/W permissions, each
 * fault reason with its record (source-id, address, type) and FPD, the
 * overflow of the fault registers, and the context cache and IOTLB: their
 * counts, stale entries, and invalidation.
 */
#include "vtd_harness.h"

static int xl(struct h *h, uint64_t iova, bool write, uint64_t *gpa)
{
    struct vtd_xlate x;
    int fr = vtd_translate(&h->u, SID_BLK, iova, write, &x);
    if (!fr && gpa)
        *gpa = x.gpa;
    return fr;
}

/* Fault record i is reason fr for SID_BLK at page addr, a read or not. */
static void assert_fault(struct h *h, unsigned i, uint8_t fr, uint64_t addr, bool read)
{
    uint64_t hi = frcd_hi(h, i);
    assert_true(hi & VTD_FRCD_F);
    assert_int_equal(VTD_FRCD_FR(hi), fr);
    assert_int_equal(VTD_FRCD_SID(hi), SID_BLK);
    assert_int_equal(!!(hi & VTD_FRCD_T), read);
    assert_int_equal(frcd_lo(h, i), addr & ~0xfffull);
}

static void test_translation_off_is_identity(void **st)
{
    struct h *h = *st;
    uint64_t gpa = 0;
    assert_int_equal(xl(h, 0x123456, true, &gpa), 0);
    assert_int_equal(gpa, 0x123456);
    assert_int_equal(h->u.stats.translations, 0);
    assert_int_equal(h->u.stats.dma, 1);
}

static void test_four_level_4k(void **st)
{
    struct h *h = *st;
    context(h, 0x08, SL, 2, 1);
    map4(h, 0x7654321000ull, 0x300000, 3);
    enable(h);
    uint64_t gpa = 0;
    struct vtd_xlate x;
    assert_int_equal(vtd_translate(&h->u, SID_BLK, 0x7654321abcull, false, &x), 0);
    assert_int_equal(x.gpa, 0x300abc);
    assert_int_equal(x.run, 0x1000 - 0xabc);
    assert_int_equal(x.did, 1);
    assert_int_equal(xl(h, 0x7654321ff8ull, true, &gpa), 0);
    assert_int_equal(gpa, 0x300ff8);
    assert_int_equal(rd(h, VTD_FSTS), 0);
}

/* 3 levels (AW 1, 39 bits): PDPT at the top; a 1 GiB page there and a
 * 2 MiB page one level down. */
static void test_three_level_large_pages(void **st)
{
    struct h *h = *st;
    context(h, 0x08, SL, 1, 1);
    put64(h, SL + 8 * 1, 0x40000000ull | 1 << 7 | 3);     /* 1 GiB at 0x40000000 -> same */
    put64(h, SL + 8 * 2, (SL + 0x1000) | 3);              /* 0x80000000: a PD */
    put64(h, SL + 0x1000 + 8 * 3, 0x600000 | 1 << 7 | 1); /* 2 MiB, read-only */
    enable(h);
    uint64_t gpa;
    struct vtd_xlate x;
    assert_int_equal(vtd_translate(&h->u, SID_BLK, 0x40123456, true, &x), 0);
    assert_int_equal(x.gpa, 0x40123456);
    assert_int_equal(x.run, 0x40000000 - 0x123456);
    assert_int_equal(xl(h, 0x80600000 + 0x12345, false, &gpa), 0);
    assert_int_equal(gpa, 0x600000 + 0x12345);
    assert_int_equal(xl(h, 0x80612345, true, NULL), VTD_FR_WRITE);
    assert_fault(h, 0, VTD_FR_WRITE, 0x80612345, false);
}

/* R and W must be set at every level: a read-only PD makes a writable
 * page read-only; an entry with neither is not present. */
static void test_permissions(void **st)
{
    struct h *h = *st;
    context(h, 0x08, SL, 2, 1);
    map4(h, 0x1000, 0x5000, 2); /* write-only page */
    map4(h, 0x2000, 0x6000, 0); /* not present     */
    enable(h);
    assert_int_equal(xl(h, 0x1000, true, NULL), 0);
    assert_int_equal(xl(h, 0x1004, false, NULL), VTD_FR_READ);
    assert_fault(h, 0, VTD_FR_READ, 0x1000, true);
    assert_int_equal(xl(h, 0x2000, true, NULL), VTD_FR_WRITE);
    assert_fault(h, 1, VTD_FR_WRITE, 0x2000, false);
    put64(h, SL + 0x2000, (SL + 0x3000) | 1); /* the PD entry: read-only */
    wr64(h, VTD_IOTLB, VTD_IOTLB_IVT | 1ull << 60);
    map4(h, 0x3000, 0x7000, 3);
    put64(h, SL + 0x2000, (SL + 0x3000) | 1);
    assert_int_equal(xl(h, 0x3000, false, NULL), 0);
    assert_int_equal(xl(h, 0x3000, true, NULL), VTD_FR_WRITE);
}

/* Each fault reason of the walk, recorded in order. */
static void test_fault_reasons(void **st)
{
    struct h *h = *st;
    wr(h, VTD_FECTL, 0); /* fault events unmasked: counted in nmsi */
    enable(h);
    /* 0x1: no root entry for bus 0 */
    assert_int_equal(xl(h, 0x1000, false, NULL), VTD_FR_ROOT_P);
    assert_fault(h, 0, VTD_FR_ROOT_P, 0x1000, true);
    /* 0xA: a reserved bit of a present root entry */
    put128(h, ROOT, CTX | 1 | 1 << 4, 0);
    assert_int_equal(xl(h, 0x1000, false, NULL), VTD_FR_ROOT_RSVD);
    put128(h, ROOT, CTX | 1, 1);
    assert_int_equal(xl(h, 0x1000, false, NULL), VTD_FR_ROOT_RSVD);
    /* 0x9: the context table is not memory */
    put128(h, ROOT, 0x8000000000ull | 1, 0);
    assert_int_equal(xl(h, 0x1000, false, NULL), VTD_FR_ROOT_RSVD); /* above HAW first */
    put128(h, ROOT, (uint64_t)RAM_SIZE | 1, 0);
    assert_int_equal(xl(h, 0x1000, false, NULL), VTD_FR_CTX_ACCESS);
    /* 0x2: context entry not present */
    put128(h, ROOT, CTX | 1, 0);
    assert_int_equal(xl(h, 0x1000, false, NULL), VTD_FR_CTX_P);
    /* 0xB: reserved bits of a present context entry */
    put128(h, CTX + 16 * 8, SL | 1 | 1 << 5, 2);
    assert_int_equal(xl(h, 0x1000, false, NULL), VTD_FR_CTX_RSVD);
    put128(h, CTX + 16 * 8, SL | 1, 2 | 1ull << 40);
    assert_int_equal(xl(h, 0x1000, false, NULL), VTD_FR_CTX_RSVD);
    /* 0x3: AW not in SAGAW, TT 01 (no device-TLBs), TT 11, SLPTPTR not RAM */
    put128(h, CTX + 16 * 8, SL | 1, 3);
    assert_int_equal(xl(h, 0x1000, false, NULL), VTD_FR_CTX_INV);
    put128(h, CTX + 16 * 8, SL | 1 | 1 << 2, 2);
    assert_int_equal(xl(h, 0x1000, false, NULL), VTD_FR_CTX_INV);
    put128(h, CTX + 16 * 8, SL | 1 | 3 << 2, 2);
    assert_int_equal(xl(h, 0x1000, false, NULL), VTD_FR_CTX_INV);
    put128(h, CTX + 16 * 8, (uint64_t)RAM_SIZE | 1, 2);
    assert_int_equal(xl(h, 0x1000, false, NULL), VTD_FR_CTX_INV);
    /* the first four are recorded; then overflow (no one cleared) */
    assert_int_equal(rd(h, VTD_FSTS) & VTD_FSTS_PFO, VTD_FSTS_PFO);
    assert_int_equal(h->u.stats.faults, VTD_NFR);
    assert_int_equal(h->u.stats.faults_dropped, 12 - VTD_NFR);
    /* two events: PPF went 0 -> 1, then PFO; none for the faults after */
    assert_int_equal(h->nmsi, 2);
}

/* Reasons 0x4, 0x7, 0xC, each with the records cleared before. */
static void clear_faults(struct h *h)
{
    for (unsigned i = 0; i < VTD_NFR; i++)
        wr(h, VTD_FRCD + 16 * i + 12, 1u << 31);
    wr(h, VTD_FSTS, VTD_FSTS_PFO);
}

static void expect(struct h *h, uint64_t iova, bool write, int fr)
{
    clear_faults(h);
    unsigned i = h->u.fri;
    wr64(h, VTD_IOTLB, VTD_IOTLB_IVT | 1ull << 60); /* no stale translation */
    assert_int_equal(xl(h, iova, write, NULL), fr);
    assert_fault(h, i, (uint8_t)fr, iova, !write);
}

static void test_walk_faults(void **st)
{
    struct h *h = *st;
    context(h, 0x08, SL, 1, 1); /* 3 levels: 39 bits */
    put64(h, SL, (SL + 0x1000) | 3);
    put64(h, SL + 0x1000, (SL + 0x2000) | 3);
    put64(h, SL + 0x2000 + 8, 0x9000 | 3); /* 0x1000 -> 0x9000 */
    enable(h);
    assert_int_equal(xl(h, 0x1000, true, NULL), 0);
    expect(h, 1ull << 39, false, VTD_FR_ADDR);       /* 0x4: beyond 39 bits */
    put64(h, SL + 0x2000 + 8, 0x9000 | 3 | 1 << 11); /* SNP without ECAP.SC */
    expect(h, 0x1000, true, VTD_FR_SL_RSVD);
    put64(h, SL + 0x2000 + 8, 0x9000 | 3 | 1ull << 62); /* TM without ECAP.DT */
    expect(h, 0x1000, true, VTD_FR_SL_RSVD);
    put64(h, SL + 0x2000 + 8, 0x8000000000ull | 3); /* address above HAW */
    expect(h, 0x1000, true, VTD_FR_SL_RSVD);
    put64(h, SL + 0x1000, 0x201000 | 1 << 7 | 3); /* 2 MiB page not aligned */
    expect(h, 0x1000, false, VTD_FR_SL_RSVD);
    put64(h, SL + 0x1000, (uint64_t)RAM_SIZE | 3); /* PD not memory */
    expect(h, 0x1000, false, VTD_FR_SL_ACCESS);
    context(h, 0x08, SL, 2, 1); /* 4 levels: PS in the PML4E is reserved */
    wr64(h, VTD_CCMD, VTD_CCMD_ICC | 1ull << 61);
    put64(h, SL, 0 | 1 << 7 | 3);
    expect(h, 0x1000, false, VTD_FR_SL_RSVD);
    wr64(h, VTD_RTADDR, RAM_SIZE); /* 0x8: the root table not memory */
    gcmd(h, VTD_GCMD_SRTP, true);
    wr64(h, VTD_CCMD, VTD_CCMD_ICC | 1ull << 61);
    expect(h, 0x1000, false, VTD_FR_ROOT_ACCESS);
}

/* FPD: faults after the context entry are not recorded. */
static void test_fault_processing_disable(void **st)
{
    struct h *h = *st;
    put128(h, ROOT, CTX | 1, 0);
    put128(h, CTX + 16 * 8, SL | 1 | 2, 2 | 1 << 8);
    enable(h);
    assert_int_equal(xl(h, 0x1000, false, NULL), VTD_FR_READ);
    assert_int_equal(rd(h, VTD_FSTS), 0);
    assert_int_equal(h->u.stats.faults_dropped, 1);
}

/* TT 10: the address passes as it is. */
static void test_passthrough(void **st)
{
    struct h *h = *st;
    put128(h, ROOT, CTX | 1, 0);
    put128(h, CTX + 16 * 8, 1 | 2 << 2, 2 | 5 << 8);
    enable(h);
    uint64_t gpa = 0;
    assert_int_equal(xl(h, 0x345678, true, &gpa), 0);
    assert_int_equal(gpa, 0x345678);
    assert_int_equal(h->u.stats.passthrough, 1);
}

/* The IOTLB and the context cache: hits and misses, stale entries until
 * invalidated. */
static void test_caches(void **st)
{
    struct h *h = *st;
    context(h, 0x08, SL, 2, 1);
    map4(h, 0x1000, 0x5000, 3);
    map4(h, 0x2000, 0x6000, 3);
    enable(h);
    const struct vtd_caches *c = &h->u.caches;
    uint64_t gpa;
    assert_int_equal(xl(h, 0x1000, false, &gpa), 0);
    assert_int_equal(c->tlb_stats.misses, 1);
    assert_int_equal(c->cc_stats.misses, 1);
    assert_int_equal(xl(h, 0x1800, true, &gpa), 0);
    assert_int_equal(xl(h, 0x2000, false, &gpa), 0);
    assert_int_equal(c->tlb_stats.hits, 1);
    assert_int_equal(c->tlb_stats.misses, 2);
    assert_int_equal(c->cc_stats.hits, 2);
    /* remap 0x1000 -> 0x8000: the IOTLB still says 0x5000 */
    put64(h, SL + 0x3000 + 8, 0x8000 | 3);
    assert_int_equal(xl(h, 0x1000, false, &gpa), 0);
    assert_int_equal(gpa, 0x5000);
    /* page-selective invalidation of 0x1000 only */
    wr64(h, VTD_IVA, 0x1000);
    wr64(h, VTD_IOTLB, VTD_IOTLB_IVT | 3ull << 60 | 1ull << 32);
    assert_int_equal(xl(h, 0x1000, false, &gpa), 0);
    assert_int_equal(gpa, 0x8000);
    uint64_t misses = c->tlb_stats.misses;
    assert_int_equal(xl(h, 0x2000, false, &gpa), 0);
    assert_int_equal(c->tlb_stats.misses, misses); /* 0x2000 stayed */
    /* another domain's invalidation leaves domain 1 alone */
    wr64(h, VTD_IOTLB, VTD_IOTLB_IVT | 2ull << 60 | 2ull << 32);
    assert_int_equal(xl(h, 0x2000, false, &gpa), 0);
    assert_int_equal(c->tlb_stats.misses, misses);
    /* the context entry made not present: cached until CCMD */
    put128(h, CTX + 16 * 8, 0, 0);
    assert_int_equal(xl(h, 0x2000, false, &gpa), 0);
    wr64(h, VTD_CCMD, VTD_CCMD_ICC | 2ull << 61 | 1);
    assert_int_equal(xl(h, 0x3000, false, NULL), VTD_FR_CTX_P);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_translation_off_is_identity, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_four_level_4k, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_three_level_large_pages, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_permissions, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_fault_reasons, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_walk_faults, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_fault_processing_disable, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_passthrough, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_caches, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
