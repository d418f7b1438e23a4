/*
 * test_vtd_qi.c — queued invalidation (06-passthrough/vtd_qi.c; VT-d
 * §6.5.2): enabling the queue, the wait descriptor's status write and
 * completion event, context-cache, IOTLB and interrupt-entry-cache
 * descriptors doing their invalidation, a bad descriptor or tail stopping
 * the queue with IQE until software clears it, and the register
 * interface refused while the queue is on.
 */
#include "vtd_harness.h"

static unsigned tail; /* descriptors queued so far */

static void qi_on(struct h *h)
{
    tail = 0;
    wr64(h, VTD_IQT, 0);
    wr64(h, VTD_IQA, IQ); /* QS 0: one page, 256 descriptors */
    gcmd(h, VTD_GCMD_QIE, true);
    assert_true(rd(h, VTD_GSTS) & VTD_GCMD_QIE);
    assert_int_equal(rd64(h, VTD_IQH), 0);
}

/* Queue descriptors and move the tail once. */
static void submit(struct h *h, const uint64_t (*d)[2], unsigned n)
{
    for (unsigned i = 0; i < n; i++, tail = (tail + 1) % 256)
        put128(h, IQ + 16 * tail, d[i][0], d[i][1]);
    wr(h, VTD_IQT, tail << 4);
}

/* The first quadword of a wait descriptor. */
#define WAIT(status, flags) (VTD_QI_WAIT | (flags) | (uint64_t)(status) << 32)

static void test_wait_status_write(void **st)
{
    struct h *h = *st;
    qi_on(h);
    const uint64_t d[2][2] = {
        { WAIT(0x1234, VTD_QI_WAIT_SW), STATUS },
        { WAIT(0x5678, VTD_QI_WAIT_SW | VTD_QI_WAIT_FN), STATUS + 4 },
    };
    submit(h, d, 2);
    assert_int_equal(get64(h, STATUS), 0x0000567800001234ull);
    assert_int_equal(rd64(h, VTD_IQH), 2 << 4);
    assert_int_equal(h->u.stats.qi_waits, 2);
    assert_int_equal(rd(h, VTD_ICS), 0); /* no IF */
}

/* IF: ICS.IWC and the completion event through IEADDR/IEDATA, held while
 * IECTL.IM masks it. */
static void test_wait_completion_event(void **st)
{
    struct h *h = *st;
    wr(h, VTD_IEDATA, 0x52);
    wr(h, VTD_IEADDR, 0xfee00000u);
    qi_on(h);
    const uint64_t d[1][2] = { { WAIT(1, VTD_QI_WAIT_IF), 0 } };
    submit(h, d, 1);
    assert_int_equal(rd(h, VTD_ICS), 1);
    assert_int_equal(rd(h, VTD_IECTL), VTD_CTL_IM | VTD_CTL_IP);
    assert_int_equal(h->nmsi, 0);
    wr(h, VTD_IECTL, 0);
    assert_int_equal(h->nmsi, 1);
    assert_int_equal(h->msi_data, 0x52);
    assert_int_equal(rd(h, VTD_IECTL), 0);
    wr(h, VTD_ICS, 1); /* RW1C */
    assert_int_equal(rd(h, VTD_ICS), 0);
    submit(h, d, 1); /* unmasked now: at once */
    assert_int_equal(h->nmsi, 2);
}

/* IOTLB and context-cache descriptors drop what a translation cached. */
static void test_invalidation_descriptors(void **st)
{
    struct h *h = *st;
    context(h, 0x08, SL, 2, 1);
    map4(h, 0x1000, 0x5000, 3);
    enable(h);
    struct vtd_xlate x;
    assert_int_equal(vtd_translate(&h->u, SID_BLK, 0x1000, false, &x), 0);
    map4(h, 0x1000, 0x9000, 3);
    qi_on(h);
    /* page-selective IOTLB for domain 1, then a wait */
    const uint64_t d[2][2] = {
        { VTD_QI_IOTLB | 3 << 4 | 1 << 16, 0x1000 },
        { WAIT(7, VTD_QI_WAIT_SW), STATUS },
    };
    submit(h, d, 2);
    assert_int_equal(get64(h, STATUS) & 0xffffffff, 7);
    assert_int_equal(vtd_translate(&h->u, SID_BLK, 0x1000, false, &x), 0);
    assert_int_equal(x.gpa, 0x9000);
    /* device-selective context-cache invalidation: the entry is re-read */
    put128(h, CTX + 16 * 8, 0, 0);
    assert_int_equal(vtd_translate(&h->u, SID_BLK, 0x1000, false, &x), 0); /* cached */
    const uint64_t cc[2][2] = {
        { VTD_QI_CC | 3 << 4 | 1 << 16 | (uint64_t)SID_BLK << 32, 0 },
        { VTD_QI_IOTLB | 2 << 4 | 1 << 16, 0 },
    };
    submit(h, cc, 2);
    assert_int_equal(vtd_translate(&h->u, SID_BLK, 0x1000, false, &x), VTD_FR_CTX_P);
    assert_int_equal(h->u.caches.cc_stats.invalidations, 1);
    assert_int_equal(h->u.caches.tlb_stats.invalidations, 2);
}

static void test_iec_descriptor(void **st)
{
    struct h *h = *st;
    const uint64_t irte[2] = { 1, 0 };
    for (uint16_t i = 0; i < 8; i++)
        vtd_iec_insert(&h->u.caches, i, irte);
    qi_on(h);
    /* index-selective: 2^2 entries at 4 */
    const uint64_t d[1][2] = { { VTD_QI_IEC | 1 << 4 | 2 << 27 | 4ull << 32, 0 } };
    submit(h, d, 1);
    uint64_t got[2];
    assert_true(vtd_iec_lookup(&h->u.caches, 3, got));
    assert_false(vtd_iec_lookup(&h->u.caches, 4, got));
    assert_false(vtd_iec_lookup(&h->u.caches, 7, got));
    const uint64_t g[1][2] = { { VTD_QI_IEC, 0 } }; /* global */
    submit(h, g, 1);
    assert_false(vtd_iec_lookup(&h->u.caches, 0, got));
}

/* A bad descriptor stops the queue at itself with IQE; after software
 * fixes it and clears IQE the queue goes on. */
static void test_bad_descriptor(void **st)
{
    struct h *h = *st;
    wr(h, VTD_FECTL, 0);
    qi_on(h);
    const uint64_t d[3][2] = {
        { WAIT(1, VTD_QI_WAIT_SW), STATUS },
        { VTD_QI_DEVTLB, 0 }, /* device-TLB: not supported */
        { WAIT(2, VTD_QI_WAIT_SW), STATUS + 4 },
    };
    submit(h, d, 3);
    assert_int_equal(rd64(h, VTD_IQH), 1 << 4);
    assert_true(rd(h, VTD_FSTS) & VTD_FSTS_IQE);
    assert_int_equal(h->nmsi, 1); /* a fault event */
    assert_int_equal(get64(h, STATUS), 1);
    wr(h, VTD_IQT, tail << 4); /* stopped while IQE is set */
    assert_int_equal(rd64(h, VTD_IQH), 1 << 4);
    put128(h, IQ + 16, VTD_QI_CC | 1 << 4, 0); /* fixed: global context */
    wr(h, VTD_FSTS, VTD_FSTS_IQE);
    assert_int_equal(rd64(h, VTD_IQH), 3 << 4);
    assert_int_equal(get64(h, STATUS), 0x200000001ull);
}

/* More ways to break it: reserved bits, granularity 0, a status address
 * outside memory, a tail beyond the queue. */
static void test_more_errors(void **st)
{
    struct h *h = *st;
    static const uint64_t bad[][2] = {
        { VTD_QI_IOTLB | 1 << 4 | 1 << 8, 0 },   /* reserved bit 8 */
        { VTD_QI_IOTLB | 0 << 4, 0 },            /* granularity 0  */
        { VTD_QI_CC | 1 << 4, 1 },               /* reserved hi    */
        { VTD_QI_IEC | 1 << 5, 0 },              /* reserved bit 5 */
        { WAIT(1, VTD_QI_WAIT_SW), RAM_SIZE },   /* not memory     */
        { WAIT(1, 1 << 7), STATUS },             /* reserved bit 7 */
        { VTD_QI_IOTLB | 3 << 4, VTD_MAMV + 1 }, /* mask > MAMV    */
        { 0, 0 },                                /* type 0         */
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wr(h, VTD_FSTS, VTD_FSTS_IQE);
        gcmd(h, VTD_GCMD_QIE, false);
        qi_on(h);
        submit(h, &bad[i], 1);
        if (!(rd(h, VTD_FSTS) & VTD_FSTS_IQE))
            fail_msg("descriptor %u was accepted", i);
        assert_int_equal(rd64(h, VTD_IQH), 0);
    }
    wr(h, VTD_FSTS, VTD_FSTS_IQE);
    wr(h, VTD_IQT, 0x7fff0); /* beyond 256 entries */
    assert_true(rd(h, VTD_FSTS) & VTD_FSTS_IQE);
}

/* The register interface is not used while the queue is on (§6.5.2). */
static void test_registers_refused_with_qi(void **st)
{
    struct h *h = *st;
    qi_on(h);
    wr64(h, VTD_CCMD, VTD_CCMD_ICC | 1ull << 61);
    assert_int_equal(rd64(h, VTD_CCMD) >> 59 & 3, 0); /* CAIG: nothing done */
    wr64(h, VTD_IOTLB, VTD_IOTLB_IVT | 1ull << 60);
    assert_int_equal(rd64(h, VTD_IOTLB) >> 57 & 3, 0);
    assert_int_equal(h->u.stats.reg_invalidations, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wait_status_write, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_wait_completion_event, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_invalidation_descriptors, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_iec_descriptor, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_bad_descriptor, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_more_errors, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_registers_refused_with_qi, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
