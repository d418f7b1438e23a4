/*
 * test_paging.c — the 32-bit page walker (x86/paging.h, SDM Vol. 3A §4.3):
 * 4 KiB and 4 MiB pages, Accessed/Dirty bits, U/S and R/W with CR0.WP,
 * #PF error codes, and the recorded references.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "x86/paging.h"
#include "x86/cpu.h"

#define RAM (16u << 20)
#define CR3 0x10000u
#define PT  0x11000u

struct env {
    struct guest_ram ram;
};

static uint32_t rd(struct env *e, uint32_t a)
{
    uint32_t v;
    memcpy(&v, e->ram.host + a, 4);
    return v;
}
static void wr(struct env *e, uint32_t a, uint32_t v) { memcpy(e->ram.host + a, &v, 4); }

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    e->ram.size = RAM;
    e->ram.host = calloc(1, RAM);
    e->ram.fd = -1;
    /* lin 0x00400000-0x007fffff through page table PT: lin 0x00401000 -> 0x00123000 */
    wr(e, CR3 + 1 * 4, PT | PTE_P | PTE_W | PTE_U);
    wr(e, PT + 1 * 4, 0x00123000 | PTE_P | PTE_W | PTE_U);
    *state = e;
    return 0;
}
static int teardown(void **state)
{
    struct env *e = *state;
    free(e->ram.host);
    free(e);
    return 0;
}

static const uint32_t CR0 = CR0_PE | CR0_PG;

static void test_4k_walk_and_ad_bits(void **state)
{
    struct env *e = *state;
    struct pt_walk w;
    assert_true(pt_walk(&e->ram, CR0, CR3, 0, 0x00401abc, ACC_R, &w));
    assert_int_equal(w.gpa, 0x00123abc);
    assert_int_equal(w.nrefs, 2);
    assert_int_equal(w.ref[0].table, CR3 + 4); /* PDE: CR3 + lin[31:22]*4 */
    assert_int_equal(w.ref[1].table, PT + 4);  /* PTE: PDE frame + lin[21:12]*4 */
    assert_false(w.large);
    /* A read sets Accessed in both entries, Dirty in neither. */
    assert_true(rd(e, CR3 + 4) & PTE_A);
    assert_true(rd(e, PT + 4) & PTE_A);
    assert_false(rd(e, PT + 4) & PTE_D);
    assert_false(w.dirty);
    /* A write sets Dirty in the PTE (not in the PDE). */
    assert_true(pt_walk(&e->ram, CR0, CR3, 0, 0x00401000, ACC_W, &w));
    assert_true(rd(e, PT + 4) & PTE_D);
    assert_false(rd(e, CR3 + 4) & PTE_D);
    assert_true(w.dirty);
    assert_int_equal(w.ref[1].entry, rd(e, PT + 4));
}

static void test_4m_pages(void **state)
{
    struct env *e = *state;
    struct pt_walk w;
    wr(e, CR3 + 2 * 4, 0x00c00000 | PTE_PS | PTE_P | PTE_W); /* lin 8M-12M -> 12M */
    assert_true(pt_walk(&e->ram, CR0, CR3, CR4_PSE, 0x00812345, ACC_W, &w));
    assert_int_equal(w.gpa, 0x00c12345);
    assert_int_equal(w.nrefs, 1);
    assert_true(w.large);
    assert_true(rd(e, CR3 + 8) & PTE_D); /* Dirty lives in the PDE */
    /* Without CR4.PSE the PS bit is ignored: the PDE points to a table
     * (at 12M, all zero here), so the access faults. */
    assert_false(pt_walk(&e->ram, CR0, CR3, 0, 0x00812345, ACC_R, &w));
    assert_int_equal(w.nrefs, 2);
    /* Reserved bits 21:13 set in a 4 MiB PDE: #PF with RSVD. */
    wr(e, CR3 + 2 * 4, 0x00c02000 | PTE_PS | PTE_P | PTE_W);
    assert_false(pt_walk(&e->ram, CR0, CR3, CR4_PSE, 0x00812345, ACC_R, &w));
    assert_int_equal(w.error_code, PFEC_P | PFEC_RSVD);
}

static void test_not_present(void **state)
{
    struct env *e = *state;
    struct pt_walk w;
    assert_false(pt_walk(&e->ram, CR0, CR3, 0, 0x00001000, ACC_R, &w)); /* PDE 0 absent */
    assert_int_equal(w.error_code, 0);
    assert_int_equal(w.nrefs, 1);
    assert_false(pt_walk(&e->ram, CR0, CR3, 0, 0x00402000, ACC_W | ACC_U, &w)); /* PTE absent */
    assert_int_equal(w.error_code, ACC_W | ACC_U);                              /* P=0, W=1, U=1 */
    assert_int_equal(w.nrefs, 2);
    assert_false(rd(e, CR3 + 4) & PTE_A); /* failed walk: no A bit */
}

static void test_rights(void **state)
{
    struct env *e = *state;
    struct pt_walk w;
    /* Supervisor-only, read-only page. */
    wr(e, PT + 1 * 4, 0x00123000 | PTE_P);
    assert_false(pt_walk(&e->ram, CR0, CR3, 0, 0x00401000, ACC_U, &w));
    assert_int_equal(w.error_code, PFEC_P | ACC_U);                    /* 5 */
    assert_true(pt_walk(&e->ram, CR0, CR3, 0, 0x00401000, ACC_W, &w)); /* WP=0: ring 0 writes */
    assert_false(pt_walk(&e->ram, CR0 | CR0_WP, CR3, 0, 0x00401000, ACC_W, &w));
    assert_int_equal(w.error_code, PFEC_P | ACC_W); /* 3 */
    /* User read-only: user write faults whatever WP says. */
    wr(e, PT + 1 * 4, 0x00123000 | PTE_P | PTE_U);
    assert_true(pt_walk(&e->ram, CR0, CR3, 0, 0x00401000, ACC_U, &w));
    assert_false(pt_walk(&e->ram, CR0, CR3, 0, 0x00401000, ACC_W | ACC_U, &w));
    assert_int_equal(w.error_code, PFEC_P | ACC_W | ACC_U); /* 7 */
    /* Rights are the AND of both levels: a supervisor PDE hides a user PTE. */
    wr(e, CR3 + 1 * 4, PT | PTE_P | PTE_W);
    wr(e, PT + 1 * 4, 0x00123000 | PTE_P | PTE_W | PTE_U);
    assert_false(pt_walk(&e->ram, CR0, CR3, 0, 0x00401000, ACC_U, &w));
    assert_false(w.user);
}

static void test_global(void **state)
{
    struct env *e = *state;
    struct pt_walk w;
    wr(e, PT + 1 * 4, 0x00123000 | PTE_P | PTE_G);
    assert_true(pt_walk(&e->ram, CR0, CR3, 0, 0x00401000, ACC_R, &w));
    assert_false(w.global); /* G counts only with CR4.PGE */
    assert_true(pt_walk(&e->ram, CR0, CR3, CR4_PGE, 0x00401000, ACC_R, &w));
    assert_true(w.global);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_4k_walk_and_ad_bits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_4m_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_present, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_global, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
