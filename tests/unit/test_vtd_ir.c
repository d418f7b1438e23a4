/*
 * test_vtd_ir.c — interrupt remapping (06-passthrough/vtd_ir.c; VT-d §5.1,
 * §9.10): remappable-format MSIs become the IRTE's vector and destination,
 * with subhandles and source-id validation; every blocking reason is
 * recorded with the index; compatibility format needs CFI; entries are
 * cached until an interrupt-entry-cache invalidation.
 */
#include "vtd_harness.h"

/* A remappable-format MSI address for handle idx (§5.1.2.2). */
static uint32_t remappable(uint16_t idx, bool shv)
{
    return 0xFEE00000u | (uint32_t)(idx & 0x7fff) << 5 | 1u << 4 | (shv ? 1u << 3 : 0) |
           (uint32_t)(idx >> 15) << 2;
}

/* IRTE: present, vector, destination APIC ID, delivery/destination mode;
 * hi: SID, SQ, SVT. */
static void irte(struct h *h, unsigned i, uint8_t vector, uint8_t dest, uint64_t flags, uint64_t hi)
{
    put128(h, IRT + 16 * i, 1 | flags | (uint64_t)vector << 16 | (uint64_t)dest << 40, hi);
}

static void ir_on(struct h *h, unsigned s)
{
    wr64(h, VTD_IRTA, IRT | s); /* 2^(s+1) entries */
    gcmd(h, VTD_GCMD_SIRTP, true);
    gcmd(h, VTD_GCMD_IRE, true);
    wr(h, VTD_FECTL, 0);
}

static int remap(struct h *h, uint16_t sid, uint32_t *addr, uint32_t *data)
{
    return vtd_ir_remap(&h->u, sid, addr, data);
}

static void assert_ir_fault(struct h *h, unsigned i, uint8_t fr, uint16_t index)
{
    uint64_t hi = frcd_hi(h, i);
    assert_true(hi & VTD_FRCD_F);
    assert_int_equal(VTD_FRCD_FR(hi), fr);
    assert_int_equal(VTD_FRCD_SID(hi), SID_BLK);
    assert_int_equal(frcd_lo(h, i) >> 48, index);
}

static void test_off_passes_through(void **st)
{
    struct h *h = *st;
    uint32_t a = 0xFEE01000u, d = 0x4041;
    assert_int_equal(remap(h, SID_BLK, &a, &d), 0);
    assert_int_equal(a, 0xFEE01000u);
    assert_int_equal(d, 0x4041);
}

static void test_remapped(void **st)
{
    struct h *h = *st;
    irte(h, 5, 0x31, 0x02, 0, 0);
    irte(h, 9, 0x45, 0x01, 1 << 2 | 1 << 4 | 1 << 5, 0); /* logical, level, lowest prio */
    ir_on(h, 3);                                         /* 16 entries */
    uint32_t a = remappable(5, false), d = 0;
    assert_int_equal(remap(h, SID_BLK, &a, &d), 0);
    assert_int_equal(a, 0xFEE02000u);
    assert_int_equal(d, 0x31);
    a = remappable(4, true), d = 5; /* handle 4 + subhandle 5 */
    assert_int_equal(remap(h, SID_BLK, &a, &d), 0);
    assert_int_equal(a, 0xFEE01004u);
    assert_int_equal(d, 0x45 | 1 << 8 | 1 << 14 | 1 << 15);
    assert_int_equal(h->u.stats.ir_remapped, 2);
    assert_int_equal(rd(h, VTD_FSTS), 0);
}

static void test_blocking_reasons(void **st)
{
    struct h *h = *st;
    irte(h, 1, 0x31, 0, 1ull << 12, 0);          /* reserved bit 12 */
    irte(h, 2, 0x31, 0, 0, 1ull << 18 | 0x0010); /* SVT 1: only 00:02.0 */
    irte(h, 3, 0x31, 0, 0, 2ull << 18 | 0x0101); /* SVT 2: only bus 1 */
    irte(h, 4, 0x31, 0, 1ull << 15, 0);          /* posted: not supported */
    ir_on(h, 2);                                 /* 8 entries */
    static const struct {
        uint16_t idx;
        uint32_t data;
        uint8_t fr;
    } c[] = {
        { 0, 0x10000, VTD_FR_IR_REQ_RSVD }, /* data bits 31:16 */
        { 8, 0, VTD_FR_IR_INDEX },
        { 0x8000, 0, VTD_FR_IR_INDEX }, /* handle bit 15, in address bit 2 */
        { 0, 0, VTD_FR_IR_P },
        { 1, 0, VTD_FR_IR_RSVD },
        { 2, 0, VTD_FR_IR_SID },
        { 3, 0, VTD_FR_IR_SID },
        { 4, 0, VTD_FR_IR_RSVD },
    };
    for (unsigned i = 0; i < sizeof c / sizeof c[0]; i++) {
        uint32_t a = remappable(c[i].idx, false), d = c[i].data;
        assert_int_equal(remap(h, SID_BLK, &a, &d), c[i].fr);
        assert_ir_fault(h, i % VTD_NFR, c[i].fr, c[i].fr == VTD_FR_IR_REQ_RSVD ? 0 : c[i].idx);
        wr(h, VTD_FRCD + 16 * (i % VTD_NFR) + 12, 1u << 31);
    }
    assert_int_equal(h->u.stats.ir_blocked, 8);
    /* source validation passes for the right requesters */
    uint32_t a = remappable(2, false), d = 0;
    assert_int_equal(remap(h, 0x0010, &a, &d), 0);
    a = remappable(3, false), d = 0;
    assert_int_equal(remap(h, 0x0108, &a, &d), 0);
    /* the table outside memory */
    wr64(h, VTD_IRTA, RAM_SIZE | 2);
    gcmd(h, VTD_GCMD_SIRTP, true);
    a = remappable(6, false), d = 0;
    assert_int_equal(remap(h, SID_BLK, &a, &d), VTD_FR_IR_TABLE);
}

/* Compatibility format: blocked (0x25) unless CFI is set. */
static void test_compatibility_format(void **st)
{
    struct h *h = *st;
    ir_on(h, 0);
    uint32_t a = 0xFEE00000u, d = 0x41;
    assert_int_equal(remap(h, SID_BLK, &a, &d), VTD_FR_IR_COMPAT);
    assert_int_equal(VTD_FRCD_FR(frcd_hi(h, 0)), VTD_FR_IR_COMPAT);
    gcmd(h, VTD_GCMD_CFI, true);
    assert_int_equal(remap(h, SID_BLK, &a, &d), 0);
    assert_int_equal(d, 0x41);
    assert_int_equal(h->u.stats.ir_compat, 1);
}

/* FPD in a present IRTE: its faults are not recorded. */
static void test_fpd(void **st)
{
    struct h *h = *st;
    irte(h, 1, 0x31, 0, 2, 1ull << 18 | 0x0010);
    ir_on(h, 0);
    uint32_t a = remappable(1, false), d = 0;
    assert_int_equal(remap(h, SID_BLK, &a, &d), VTD_FR_IR_SID);
    assert_int_equal(rd(h, VTD_FSTS), 0);
    assert_int_equal(h->u.stats.faults_dropped, 1);
}

/* The interrupt entry cache: a changed IRTE is seen after an IEC
 * invalidation through the queue. */
static void test_iec(void **st)
{
    struct h *h = *st;
    irte(h, 1, 0x31, 0, 0, 0);
    ir_on(h, 0);
    uint32_t a = remappable(1, false), d = 0;
    assert_int_equal(remap(h, SID_BLK, &a, &d), 0);
    irte(h, 1, 0x77, 0, 0, 0);
    a = remappable(1, false), d = 0;
    assert_int_equal(remap(h, SID_BLK, &a, &d), 0);
    assert_int_equal(d, 0x31); /* stale */
    assert_int_equal(h->u.caches.iec_stats.hits, 1);
    wr64(h, VTD_IQA, IQ);
    gcmd(h, VTD_GCMD_QIE, true);
    put128(h, IQ, VTD_QI_IEC | 1 << 4 | 1ull << 32, 0);
    wr(h, VTD_IQT, 1 << 4);
    a = remappable(1, false), d = 0;
    assert_int_equal(remap(h, SID_BLK, &a, &d), 0);
    assert_int_equal(d, 0x77);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_off_passes_through, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_remapped, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_blocking_reasons, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_compatibility_format, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_fpd, h_setup, h_teardown),
        cmocka_unit_test_setup_teardown(test_iec, h_setup, h_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
