/*
 * test_vtd_regs.c — the register page of the VT-d unit (06-passthrough/
 * vtd_regs.c; VT-d §10.4): what CAP and ECAP advertise, read-only and
 * reserved bits, GCMD's one command at a time with GSTS following it,
 * RTADDR latched by SRTP, write-1-to-clear status bits, the register
 * invalidation commands, the fault event's mask and pending bits; and
 * random programming of everything, which must never crash it.
 */
#include "vtd_harness.h"

static void test_reset_and_capabilities(void **st)
{
    struct h *h = *st;
    assert_int_equal(rd(h, VTD_VER), 0x10);
    uint64_t cap = rd64(h, VTD_CAP), ecap = rd64(h, VTD_ECAP);
    assert_int_equal((cap >> 8) & 0x1f, 0x6);            /* SAGAW: 3 and 4 levels */
    assert_int_equal(((cap >> 16) & 0x3f) + 1, 48);      /* MGAW                  */
    assert_int_equal(((cap >> 24) & 0x3ff) * 16, 0x220); /* FRO                 */
    assert_int_equal(((cap >> 40) & 0xff) + 1, VTD_NFR); /* NFR                 */
    assert_int_equal((cap >> 34) & 0xf, 0x3);            /* SLLPS: 2M and 1G      */
    assert_true(cap & (1ull << 39));                     /* PSI                   */
    assert_int_equal(cap & 7, 2);                        /* ND: 256 domains       */
    assert_true(ecap & VTD_ECAP_QI);
    assert_true(ecap & VTD_ECAP_IR);
    assert_true(ecap & VTD_ECAP_PT);
    assert_false(ecap & (1ull << 2));                   /* no device-TLBs */
    assert_false(ecap & (1ull << 4));                   /* no EIM         */
    assert_int_equal(((ecap >> 8) & 0x3ff) * 16, 0xF0); /* IRO */
    assert_int_equal(rd(h, VTD_GSTS), 0);
    assert_int_equal(rd(h, VTD_FECTL), VTD_CTL_IM);
    assert_int_equal(rd(h, VTD_IECTL), VTD_CTL_IM);
    assert_int_equal(rd(h, VTD_FSTS), 0);
}

/* VER, CAP, ECAP, GSTS and IQH ignore writes; GCMD reads as 0; reserved
 * bits of RTADDR (TTM: legacy mode only), IQA (DW) and IRTA (EIME) stay 0. */
static void test_read_only_bits(void **st)
{
    struct h *h = *st;
    uint64_t cap = rd64(h, VTD_CAP);
    wr(h, VTD_VER, 0xff);
    wr64(h, VTD_CAP, 0);
    wr64(h, VTD_ECAP, 0);
    wr(h, VTD_GSTS, 0xffffffffu);
    wr64(h, VTD_IQH, 0x100);
    assert_int_equal(rd(h, VTD_VER), 0x10);
    assert_int_equal(rd64(h, VTD_CAP), cap);
    assert_int_equal(rd(h, VTD_GSTS), 0);
    assert_int_equal(rd64(h, VTD_IQH), 0);
    wr(h, VTD_GCMD, VTD_GCMD_TE);
    assert_int_equal(rd(h, VTD_GCMD), 0);
    gcmd(h, VTD_GCMD_TE, false);
    wr64(h, VTD_RTADDR, 0x123000 | 0xc00 | 0x3ff);
    assert_int_equal(rd64(h, VTD_RTADDR), 0x123000);
    wr64(h, VTD_IQA, 0x40000 | 0x800 | 7);
    assert_int_equal(rd64(h, VTD_IQA), 0x40007);
    wr64(h, VTD_IRTA, 0x50000 | 0x800 | 0xf);
    assert_int_equal(rd64(h, VTD_IRTA), 0x5000f);
    wr(h, VTD_FEADDR, 0xfee00003u);
    assert_int_equal(rd(h, VTD_FEADDR), 0xfee00000u);
}

/* GSTS follows each command; SRTP latches RTADDR and sets RTPS; a later
 * RTADDR write changes nothing until the next SRTP. */
static void test_status_follows_command(void **st)
{
    struct h *h = *st;
    wr64(h, VTD_RTADDR, ROOT);
    gcmd(h, VTD_GCMD_SRTP, true);
    assert_int_equal(rd(h, VTD_GSTS), VTD_GCMD_SRTP);
    assert_int_equal(h->u.rta, ROOT);
    gcmd(h, VTD_GCMD_TE, true);
    assert_int_equal(rd(h, VTD_GSTS), VTD_GCMD_TE | VTD_GCMD_SRTP);
    wr64(h, VTD_RTADDR, 0x70000);
    assert_int_equal(h->u.rta, ROOT);
    gcmd(h, VTD_GCMD_SRTP, true);
    assert_int_equal(h->u.rta, 0x70000);
    gcmd(h, VTD_GCMD_IRE, true);
    gcmd(h, VTD_GCMD_CFI, true);
    assert_int_equal(rd(h, VTD_GSTS), VTD_GCMD_TE | VTD_GCMD_SRTP | VTD_GCMD_IRE | VTD_GCMD_CFI);
    gcmd(h, VTD_GCMD_TE, false);
    assert_int_equal(rd(h, VTD_GSTS), VTD_GCMD_SRTP | VTD_GCMD_IRE | VTD_GCMD_CFI);
    wr64(h, VTD_IRTA, IRT | 3);
    gcmd(h, VTD_GCMD_SIRTP, true);
    assert_true(rd(h, VTD_GSTS) & VTD_GCMD_SIRTP);
    assert_int_equal(h->u.irta, IRT | 3);
}

/* Two commands in one write (§10.4.4 forbids it) do nothing here: turning
 * TE and IRE on together, or writing GSTS back with RTPS still set. */
static void test_one_command_at_a_time(void **st)
{
    struct h *h = *st;
    wr(h, VTD_GCMD, VTD_GCMD_TE | VTD_GCMD_IRE);
    assert_int_equal(rd(h, VTD_GSTS), 0);
    wr(h, VTD_GCMD, VTD_GCMD_SRTP);
    assert_int_equal(rd(h, VTD_GSTS), VTD_GCMD_SRTP);
    wr(h, VTD_GCMD, rd(h, VTD_GSTS) | VTD_GCMD_TE); /* RTPS kept: SRTP again + TE */
    assert_int_equal(rd(h, VTD_GSTS), VTD_GCMD_SRTP);
    assert_int_equal(h->u.stats.gcmd_rejected, 2);
    wr(h, VTD_GCMD, VTD_GCMD_TE); /* one command: fine */
    assert_int_equal(rd(h, VTD_GSTS), VTD_GCMD_SRTP | VTD_GCMD_TE);
    /* unsupported commands (SFL, EAFL, WBF) are not commands here */
    wr(h, VTD_GCMD, VTD_GCMD_TE | VTD_GCMD_WBF);
    assert_int_equal(rd(h, VTD_GSTS), VTD_GCMD_SRTP | VTD_GCMD_TE);
}

/* Only aligned dwords are written; narrower reads see part of one. */
static void test_access_sizes(void **st)
{
    struct h *h = *st;
    uint32_t v = VTD_GCMD_TE;
    vtd_mmio(&h->u, VTD_GCMD + 3, 1, true, &v);
    vtd_mmio(&h->u, VTD_GCMD, 2, true, &v);
    assert_int_equal(rd(h, VTD_GSTS), 0);
    assert_int_equal(h->u.stats.bad_accesses, 2);
    v = 0;
    vtd_mmio(&h->u, VTD_FECTL + 3, 1, false, &v);
    assert_int_equal(v, 0x80);
    vtd_mmio(&h->u, VTD_CAP + 1, 1, false, &v);
    assert_int_equal(v, 0x6);          /* SAGAW */
    assert_int_equal(rd(h, 0xF00), 0); /* reserved */
}

/* CCMD: ICC runs the command and clears; CAIG says what was done. */
static void test_ccmd(void **st)
{
    struct h *h = *st;
    uint64_t ce[2] = { CTX | 1, 0x102 };
    vtd_cc_insert(&h->u.caches, SID_BLK, 1, ce);
    vtd_cc_insert(&h->u.caches, 0x0010, 2, ce);
    /* device-selective: DID 1, SID 00:01.0 */
    wr64(h, VTD_CCMD, VTD_CCMD_ICC | 3ull << 61 | (uint64_t)SID_BLK << 16 | 1);
    uint64_t c = rd64(h, VTD_CCMD);
    assert_false(c & VTD_CCMD_ICC);
    assert_int_equal((c >> 59) & 3, 3);
    uint64_t got[2];
    assert_false(vtd_cc_lookup(&h->u.caches, SID_BLK, got));
    assert_true(vtd_cc_lookup(&h->u.caches, 0x0010, got));
    /* global */
    wr64(h, VTD_CCMD, VTD_CCMD_ICC | 1ull << 61);
    assert_int_equal((rd64(h, VTD_CCMD) >> 59) & 3, 1);
    assert_false(vtd_cc_lookup(&h->u.caches, 0x0010, got));
    assert_int_equal(h->u.stats.reg_invalidations, 2);
}

/* IOTLB_REG: page-selective with IVA; a mask beyond MAMV is done as a
 * domain invalidation and IAIG says so. */
static void test_iotlb_register(void **st)
{
    struct h *h = *st;
    struct vtd_tlbe a = { true, 1, 0x5000, 0x9000, 12, true, true }, b = a, got;
    b.iova = 0x6000;
    vtd_iotlb_insert(&h->u.caches, &a);
    vtd_iotlb_insert(&h->u.caches, &b);
    wr64(h, VTD_IVA, 0x5000);
    wr64(h, VTD_IOTLB, VTD_IOTLB_IVT | 3ull << 60 | 1ull << 32);
    uint64_t r = rd64(h, VTD_IOTLB);
    assert_false(r & VTD_IOTLB_IVT);
    assert_int_equal((r >> 57) & 3, 3);
    assert_false(vtd_iotlb_lookup(&h->u.caches, 1, 0x5000, &got));
    assert_true(vtd_iotlb_lookup(&h->u.caches, 1, 0x6000, &got));
    wr64(h, VTD_IVA, 0x6000 | (VTD_MAMV + 1));
    wr64(h, VTD_IOTLB, VTD_IOTLB_IVT | 3ull << 60 | 1ull << 32);
    assert_int_equal((rd64(h, VTD_IOTLB) >> 57) & 3, 2);
    assert_false(vtd_iotlb_lookup(&h->u.caches, 1, 0x6000, &got));
}

/* FSTS: PFO and IQE are write-1-to-clear, PPF follows the records' F
 * bits (which are write-1-to-clear themselves), FRI is read-only. */
static void test_fault_status_rw1c(void **st)
{
    struct h *h = *st;
    vtd_fault_record(&h->u, SID_BLK, 0x1000, VTD_FR_READ, true);
    assert_int_equal(rd(h, VTD_FSTS), VTD_FSTS_PPF | VTD_FSTS_FRI(1));
    wr(h, VTD_FSTS, 0xffffffffu); /* PPF and FRI are not RW1C */
    assert_int_equal(rd(h, VTD_FSTS), VTD_FSTS_PPF | VTD_FSTS_FRI(1));
    wr(h, VTD_FRCD + 12, 0x7fffffffu); /* F not written: stays */
    assert_true(frcd_hi(h, 0) & VTD_FRCD_F);
    wr(h, VTD_FRCD + 12, 1u << 31);
    assert_false(frcd_hi(h, 0) & VTD_FRCD_F);
    assert_int_equal(rd(h, VTD_FSTS), VTD_FSTS_FRI(1));
    vtd_fault_iqe(&h->u);
    assert_true(rd(h, VTD_FSTS) & VTD_FSTS_IQE);
    wr(h, VTD_FSTS, VTD_FSTS_IQE);
    assert_false(rd(h, VTD_FSTS) & VTD_FSTS_IQE);
}

/* The fault event (§7.3): masked it sets IP, unmasking sends it to
 * FEADDR/FEDATA and clears IP; serviced status clears a pending IP. */
static void test_fault_event_mask(void **st)
{
    struct h *h = *st;
    wr(h, VTD_FEDATA, 0x41);
    wr(h, VTD_FEADDR, 0xfee00000u);
    vtd_fault_record(&h->u, SID_BLK, 0x1000, VTD_FR_WRITE, false);
    assert_int_equal(h->nmsi, 0);
    assert_int_equal(rd(h, VTD_FECTL), VTD_CTL_IM | VTD_CTL_IP);
    wr(h, VTD_FECTL, 0);
    assert_int_equal(h->nmsi, 1);
    assert_int_equal(h->msi_addr, 0xfee00000u);
    assert_int_equal(h->msi_data, 0x41);
    assert_int_equal(rd(h, VTD_FECTL), 0);
    /* a second fault while PPF is still set is no new event */
    vtd_fault_record(&h->u, SID_BLK, 0x2000, VTD_FR_WRITE, false);
    assert_int_equal(h->nmsi, 1);
    /* masked again: a pending IP goes away once the records are cleared */
    wr(h, VTD_FRCD + 12, 1u << 31);
    wr(h, VTD_FRCD + 16 + 12, 1u << 31);
    wr(h, VTD_FECTL, VTD_CTL_IM);
    vtd_fault_record(&h->u, SID_BLK, 0x3000, VTD_FR_WRITE, false);
    assert_int_equal(rd(h, VTD_FECTL), VTD_CTL_IM | VTD_CTL_IP);
    wr(h, VTD_FRCD + 32 + 12, 1u << 31);
    assert_int_equal(rd(h, VTD_FECTL), VTD_CTL_IM);
    wr(h, VTD_FECTL, 0);
    assert_int_equal(h->nmsi, 1);
}

/* Garbage in (random registers, tables, queue and interrupt table; the
 * sanitizers watching): every answer is a translation or one of the
 * specification's reasons, never a crash. */
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_garbage_in(void **st)
{
    struct h *h = *st;
    for (uint64_t a = ROOT; a < STATUS; a += 8)
        put64(h, a, next() & (next() | 0xfff0000000000fffull)); /* mostly low addresses */
    static const uint8_t dma_reasons[] = { 0x1, 0x2, 0x3, 0x4, 0x5, 0x6,
                                           0x7, 0x8, 0x9, 0xa, 0xb, 0xc };
    for (int round = 0; round < 20000; round++) {
        uint32_t off = (uint32_t)(next() % VTD_SIZE) & ~3u, v = (uint32_t)next();
        if (off == VTD_RTADDR || off == VTD_IQA || off == VTD_IRTA)
            v = (v & 0xfff) | (uint32_t)(ROOT + (next() % 0x50) * 0x1000); /* near the tables */
        if (off == VTD_RTADDR + 4 || off == VTD_IQA + 4 || off == VTD_IRTA + 4)
            v = next() % 4 ? 0 : v;
        if (next() % 3 == 0)
            wr(h, off, v);
        else
            rd(h, off);
        if (next() % 20 == 0) /* mostly one command, sometimes several */
            wr(h, VTD_GCMD,
               next() % 8 ? (rd(h, VTD_GSTS) & 0x96FFFFFFu) ^ 1u << (23 + next() % 9)
                          : (uint32_t)next() & 0xff800000u);
        struct vtd_xlate x;
        int fr = vtd_translate(&h->u, (uint16_t)next(), next() >> (next() % 64), next() & 1, &x);
        if (fr != 0 && !memchr(dma_reasons, fr, sizeof dma_reasons))
            fail_msg("DMA fault reason 0x%x", fr);
        uint32_t addr = 0xFEE00000u | ((uint32_t)next() & 0xfffff), data = (uint32_t)next();
        fr = vtd_ir_remap(&h->u, (uint16_t)next(), &addr, &data);
        if (fr != 0 && (fr < 0x20 || fr > 0x26))
            fail_msg("interrupt fault reason 0x%x", fr);
    }
    assert_true(h->u.stats.writes > 1000);
    assert_true(h->u.stats.translations > 1000); /* TE was on a good part of the time */
    assert_true(h->u.stats.faults > 0);
    assert_true(h->u.stats.ir_blocked > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reset_and_capabilities, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_read_only_bits, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_status_follows_command, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_one_command_at_a_time, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_access_sizes, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_ccmd, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_iotlb_register, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_fault_status_rw1c, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_fault_event_mask, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_garbage_in, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
