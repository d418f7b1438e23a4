/*
 * test_tlb.c — the software TLB (x86/tlb.h) on its own, and through the
 * interpreter: a hit needs no walk; a changed PTE stays invisible until
 * INVLPG or a CR3 load (as on real hardware, SDM Vol. 3A §4.10.4).
 */
#include "x86_harness.h"
#include "x86/tlb.h"

SNIP(rd);
SNIP(invlpg);
SNIP(mov_cr3);

static void test_fill_and_tags(void **state)
{
    (void)state;
    static struct tlb t;
    static uint8_t page[4096];
    tlb_flush_all(&t);
    struct tlb_entry *e = tlb_entry(&t, 0x00403123);
    assert_int_equal(e->tag_r, TLB_INVALID);
    tlb_fill(&t, 0x00403123, 0x00777000, page, true, false, true, false, false);
    assert_int_equal(e->tag_r, 0x00403000);
    assert_int_equal(e->tag_x, 0x00403000);
    assert_int_equal(e->tag_w, TLB_INVALID); /* not writable without a walk */
    assert_ptr_equal((uint8_t *)(e->addend + 0x00403123), page + 0x123);
    assert_int_equal(e->gpa, 0x00777000);
    /* Direct-mapped: the same slot for an address TLB_SIZE pages away. */
    assert_ptr_equal(tlb_entry(&t, 0x00403000 + TLB_SIZE * 0x1000), e);
    tlb_flush_page(&t, 0x00403fff);
    assert_int_equal(e->tag_r, TLB_INVALID);
    /* Code protection drops write tags of that physical page only. */
    tlb_fill(&t, 0x5000, 0x9000, page, true, true, true, false, false);
    tlb_fill(&t, 0x6000, 0xa000, page, true, true, true, false, false);
    tlb_protect_code(&t, 0x9000);
    assert_int_equal(tlb_entry(&t, 0x5000)->tag_w, TLB_INVALID);
    assert_int_equal(tlb_entry(&t, 0x6000)->tag_w, 0x6000);
}

static void test_flush_rules(void **state)
{
    (void)state;
    static struct tlb t;
    static uint8_t page[4096];
    tlb_flush_all(&t);
    tlb_fill(&t, 0x1000, 0x1000, page, true, true, true, true, false); /* global */
    tlb_fill(&t, 0x2000, 0x2000, page, true, true, true, false, false);
    tlb_flush_nonglobal(&t); /* a CR3 load */
    assert_int_equal(tlb_entry(&t, 0x1000)->tag_r, 0x1000);
    assert_int_equal(tlb_entry(&t, 0x2000)->tag_r, TLB_INVALID);
    /* INVLPG of any address in a 4 MiB page drops all its 4 KiB pieces. */
    tlb_fill(&t, 0x00c01000, 0x00401000, page, true, true, true, false, true);
    tlb_fill(&t, 0x00c35000, 0x00435000, page, true, true, true, false, true);
    tlb_flush_page(&t, 0x00fff000);
    assert_int_equal(tlb_entry(&t, 0x00c01000)->tag_r, TLB_INVALID);
    assert_int_equal(tlb_entry(&t, 0x00c35000)->tag_r, TLB_INVALID);
    tlb_flush_all(&t);
    assert_int_equal(tlb_entry(&t, 0x1000)->tag_r, TLB_INVALID);
}

/* Through the interpreter: lin 0x300000 maps frame A; the PTE is changed to
 * frame B in memory; the old translation is used until INVLPG / CR3 load. */
static void test_stale_until_invlpg(void **state)
{
    (void)state;
    struct tm t;
    tm_init(&t);
    const uint32_t lin = 0x300000, A = 0x310000, B = 0x320000;
    tm_wr32(&t, A, 0xaaaa);
    tm_wr32(&t, B, 0xbbbb);
    tm_paging(&t);
    tm_pte(&t, lin, A | PTE_P | PTE_W);
    TM_LOAD(&t, CODE, rd);
    TM_LOAD(&t, CODE + 0x100, invlpg);
    TM_LOAD(&t, CODE + 0x200, mov_cr3);
    struct interp_stats s0, s1;

#define READ_AT(expect) \
    do { \
        tm_ring0(&t); \
        t.cpu.eip = CODE; \
        t.cpu.gpr[R_ESI] = lin; \
        assert_int_equal(tm_run(&t), EXIT_HLT); \
        assert_int_equal(t.cpu.gpr[R_EAX], (expect)); \
    } while (0)

    READ_AT(0xaaaa);
    interp_get_stats(t.ip, &s0);
    READ_AT(0xaaaa); /* a hit: no walk at all */
    interp_get_stats(t.ip, &s1);
    assert_int_equal(s1.tlb_misses, s0.tlb_misses);

    tm_pte(&t, lin, B | PTE_P | PTE_W); /* no INVLPG yet */
    READ_AT(0xaaaa);                    /* stale, like hardware */

    tm_ring0(&t);
    t.cpu.eip = CODE + 0x100;
    t.cpu.gpr[R_ESI] = lin;
    assert_int_equal(tm_run(&t), EXIT_HLT); /* INVLPG lin */
    READ_AT(0xbbbb);

    tm_pte(&t, lin, A | PTE_P | PTE_W);
    READ_AT(0xbbbb);
    tm_ring0(&t);
    t.cpu.eip = CODE + 0x200;
    t.cpu.gpr[R_EAX] = PD;
    assert_int_equal(tm_run(&t), EXIT_HLT); /* MOV CR3: flush */
    READ_AT(0xaaaa);
    interp_get_stats(t.ip, &s1);
    assert_true(s1.tlb_flushes > s0.tlb_flushes);

    /* A global page survives the CR3 load (with CR4.PGE). */
    t.cpu.cr4 |= CR4_PGE;
    tm_pte(&t, lin, A | PTE_P | PTE_W | PTE_G);
    tm_ring0(&t);
    t.cpu.eip = CODE + 0x100;
    t.cpu.gpr[R_ESI] = lin;
    assert_int_equal(tm_run(&t), EXIT_HLT); /* INVLPG, then read: global entry */
    READ_AT(0xaaaa);
    tm_pte(&t, lin, B | PTE_P | PTE_W | PTE_G);
    tm_ring0(&t);
    t.cpu.eip = CODE + 0x200;
    t.cpu.gpr[R_EAX] = PD;
    assert_int_equal(tm_run(&t), EXIT_HLT);
    READ_AT(0xaaaa); /* still the old, global one */
#undef READ_AT
    tm_fini(&t);
}

/* The page_walk hook sees every walk with both references (for --trace). */
static int walks;
static struct pt_walk last_walk;
static void walk_hook(void *o, const struct pt_walk *w, uint32_t eip)
{
    (void)o;
    assert_int_equal(eip, CODE);
    last_walk = *w;
    walks++;
}
static void test_page_walk_hook(void **state)
{
    (void)state;
    struct tm t;
    tm_init(&t);
    interp_destroy(t.ip);
    struct interp_hooks h = { .page_walk = walk_hook };
    char err[128];
    t.ip = interp_create(&t.cpu, &t.ram, &h, &t, err, sizeof err);
    assert_non_null(t.ip);
    tm_paging(&t);
    TM_LOAD(&t, CODE, rd);
    t.cpu.gpr[R_ESI] = 0x345678;
    assert_int_equal(tm_run(&t), EXIT_HLT);
    assert_int_equal(walks, 2); /* the code page, the data page */
    assert_int_equal(last_walk.lin, 0x345678);
    assert_int_equal(last_walk.nrefs, 2);
    assert_int_equal(last_walk.ref[0].table, PD + (0x345678 >> 22) * 4);
    assert_int_equal(last_walk.ref[1].table, tm_pte_addr(0x345678));
    assert_int_equal(last_walk.gpa, 0x345678);
    tm_fini(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_and_tags),
        cmocka_unit_test(test_flush_rules),
        cmocka_unit_test(test_stale_until_invlpg),
        cmocka_unit_test(test_page_walk_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
