/*
 * test_mem_shadow.c — stage 04's cache of shadow address spaces
 * (04-memory/shadow.h): a shadow found again at a switch, LRU eviction
 * counted, guest tables write-protected and a store to them dropping the
 * entries it changes (PTE: one page, PDE: its 4 MiB, in every shadow that
 * used the table), write flooding unsyncing a table, global pages kept
 * in a new shadow, one kernel view shared by every address space and
 * dropped by region when a directory entry differs, the memory reported.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "x86/cpu.h"
#include "x86/paging.h"
#include "04-memory/shadow.h"

#define PDA 0x1000u /* three directories sharing the table PT at PDE 1 */
#define PDB 0x2000u
#define PDC 0x3000u
#define PT  0x4000u
#define LIN 0x00400000u /* PDE 1, PTE 0 -> 0x8000 */

struct fix {
    struct guest_ram ram;
    struct shadow_cache c;
    struct x86_cpu cpu;
    unsigned watched, unwatched;
};

static uint32_t *entry(struct fix *f, uint32_t gpa) { return (uint32_t *)(f->ram.host + gpa); }

static void on_watch(void *ctx, uint32_t gpa, bool on)
{
    struct fix *f = ctx;
    (void)gpa;
    if (on)
        f->watched++;
    else
        f->unwatched++;
}

static int setup_cap(void **state, unsigned cap)
{
    static struct fix f;
    char err[128];
    memset(&f, 0, sizeof f);
    assert_int_equal(guest_ram_init(&f.ram, 1 << 20, err, sizeof err), 0);
    assert_int_equal(shadow_init(&f.c, &f.ram, cap, err, sizeof err), 0);
    f.c.watch = on_watch;
    f.c.watch_ctx = &f;
    for (uint32_t pd = PDA; pd <= PDC; pd += 0x1000)
        *entry(&f, pd + 1 * 4) = PT | PTE_P | PTE_W | PTE_U;
    *entry(&f, PT + 0 * 4) = 0x8000 | PTE_P | PTE_W | PTE_U;
    *entry(&f, PT + 1 * 4) = PT | PTE_P | PTE_W; /* the table itself, as a page */
    *entry(&f, PT + 2 * 4) = 0x9000 | PTE_P | PTE_W | PTE_U;
    memcpy(f.ram.host + 0x8000, "page", 5);
    f.cpu.cr0 = CR0_PE | CR0_PG | CR0_WP;
    *state = &f;
    return 0;
}
static int setup(void **state) { return setup_cap(state, 8); }
static int setup2(void **state) { return setup_cap(state, 2); }
static int teardown(void **state)
{
    struct fix *f = *state;
    shadow_fini(&f->c);
    guest_ram_destroy(&f->ram);
    return 0;
}

static struct window *sw(struct fix *f, uint32_t cr3)
{
    f->cpu.cr3 = cr3;
    return shadow_switch(&f->c, f->cpu.cr0, cr3, f->cpu.cr4);
}
static int fault(struct fix *f, int view, uint32_t lin, bool write)
{
    uint32_t pfec = 0;
    return shadow_fault(&f->c, view, &f->cpu, lin, write, &pfec);
}

static void test_switch_finds_cached_shadow(void **state)
{
    struct fix *f = *state;
    struct window *a = sw(f, PDA);
    assert_int_equal(fault(f, WIN_USER, LIN, false), WIN_HIDDEN);
    assert_string_equal((char *)a->base[WIN_USER] + LIN, "page");
    struct window *b = sw(f, PDB);
    assert_ptr_not_equal(a, b);
    assert_false(win_is_mapped(b, WIN_USER, LIN));
    assert_ptr_equal(sw(f, PDA), a); /* found again, still mapped */
    assert_true(win_is_mapped(a, WIN_USER, LIN));
    assert_int_equal(f->c.st.hits, 1);
    assert_int_equal(f->c.st.misses, 2);
    assert_int_equal(f->c.st.evictions, 0);
}

static void test_lru_eviction_counted(void **state)
{
    struct fix *f = *state; /* cache of 2 */
    sw(f, PDA);
    sw(f, PDB);
    sw(f, PDC); /* evicts A, the least recently used */
    assert_int_equal(f->c.st.evictions, 1);
    sw(f, PDB); /* hit */
    sw(f, PDA); /* miss: evicts C (B was used after it) */
    assert_int_equal(f->c.st.evictions, 2);
    sw(f, PDB);
    assert_int_equal(f->c.st.hits, 2);
    assert_int_equal(f->c.st.misses, 4);
}

static void test_tables_write_protected(void **state)
{
    struct fix *f = *state;
    sw(f, PDA);
    assert_int_equal(fault(f, WIN_USER, LIN, false), WIN_HIDDEN);
    assert_true(shadow_is_table(&f->c, PDA));
    assert_true(shadow_is_table(&f->c, PT));
    assert_false(shadow_is_table(&f->c, 0x8000));
    assert_true(f->watched >= 2);
    /* The table mapped as a page: a write must go through the VMM. */
    assert_int_equal(fault(f, WIN_KERNEL, LIN + 0x1000, true), WIN_CODE);
    assert_int_equal(fault(f, WIN_USER, LIN, true), WIN_HIDDEN); /* a data page is writable */
}

static void test_pte_write_drops_entry_everywhere(void **state)
{
    struct fix *f = *state;
    struct window *a = sw(f, PDA);
    fault(f, WIN_USER, LIN, false);
    fault(f, WIN_USER, LIN + 0x2000, false);
    struct window *b = sw(f, PDB);
    fault(f, WIN_USER, LIN, false);
    shadow_pt_write(&f->c, PT + 0 * 4, 4); /* PTE 0 of the shared table */
    assert_false(win_is_mapped(a, WIN_USER, LIN));
    assert_false(win_is_mapped(b, WIN_USER, LIN));
    assert_true(win_is_mapped(a, WIN_USER, LIN + 0x2000)); /* PTE 2: untouched */
    assert_int_equal(f->c.st.wp_writes, 1);
    assert_int_equal(f->c.st.zapped, 2);
}

static void test_pde_write_drops_region_of_that_space(void **state)
{
    struct fix *f = *state;
    struct window *a = sw(f, PDA);
    fault(f, WIN_USER, LIN, false);
    fault(f, WIN_USER, LIN + 0x2000, false);
    struct window *b = sw(f, PDB);
    fault(f, WIN_USER, LIN, false);
    shadow_pt_write(&f->c, PDA + 1 * 4, 4); /* A's PDE 1 */
    assert_false(win_is_mapped(a, WIN_USER, LIN));
    assert_false(win_is_mapped(a, WIN_USER, LIN + 0x2000));
    assert_true(win_is_mapped(b, WIN_USER, LIN)); /* B's directory is its own */
}

static void test_flooded_table_unsynced(void **state)
{
    struct fix *f = *state;
    sw(f, PDA);
    fault(f, WIN_USER, LIN, false);
    sw(f, PDB); /* A's tables are not the running directory */
    for (int i = 0; i < SHADOW_FLOOD - 1; i++)
        shadow_pt_write(&f->c, PT + 0x100, 4); /* entries mapping nothing */
    assert_true(shadow_is_table(&f->c, PT));
    shadow_pt_write(&f->c, PT + 0x100, 4);
    assert_false(shadow_is_table(&f->c, PT));
    assert_int_equal(f->c.st.unsynced, 1);
    assert_true(f->unwatched >= 1);
    /* A walk through it makes it a table again. */
    fault(f, WIN_USER, LIN, false);
    assert_true(shadow_is_table(&f->c, PT));
}

static void test_global_pages_kept(void **state)
{
    struct fix *f = *state;
    f->cpu.cr4 = CR4_PGE;
    *entry(f, PT + 0 * 4) |= PTE_G;
    sw(f, PDA);
    assert_int_equal(fault(f, WIN_USER, LIN, false), WIN_HIDDEN);
    assert_int_equal(fault(f, WIN_USER, LIN + 0x2000, false), WIN_HIDDEN); /* not global */
    struct window *b = sw(f, PDB);
    assert_true(win_is_mapped(b, WIN_USER, LIN)); /* no fault needed */
    assert_false(win_is_mapped(b, WIN_USER, LIN + 0x2000));
    assert_string_equal((char *)b->base[WIN_USER] + LIN, "page");
    assert_int_equal(f->c.st.global_kept, 1);
    shadow_invlpg(&f->c, LIN); /* INVLPG drops a global page everywhere */
    assert_false(win_is_mapped(b, WIN_USER, LIN));
    sw(f, PDC);
    assert_int_equal(f->c.st.global_kept, 1);
}

static void test_mode_change_drops_all(void **state)
{
    struct fix *f = *state;
    struct window *a = sw(f, PDA);
    fault(f, WIN_USER, LIN, false);
    f->cpu.cr4 = CR4_PSE;
    sw(f, PDA);
    assert_false(win_is_mapped(a, WIN_USER, LIN));
    assert_int_equal(f->c.st.mode_flushes, 2); /* the first switch, then PSE */
}

static void test_kernel_view_shared(void **state)
{
    struct fix *f = *state;
    struct window *k = &f->c.sp[SHADOW_KERNEL].win;
    struct window *a = sw(f, PDA);
    assert_int_equal(fault(f, WIN_KERNEL, LIN, false), WIN_HIDDEN);
    struct window *b = sw(f, PDB); /* the same PDE 1: the kernel view stays */
    assert_ptr_equal(a->base[WIN_KERNEL], b->base[WIN_KERNEL]);
    assert_ptr_equal(b->base[WIN_KERNEL], k->base[WIN_KERNEL]);
    assert_ptr_not_equal(a->base[WIN_USER], b->base[WIN_USER]);
    assert_true(win_is_mapped(k, WIN_KERNEL, LIN));
    assert_int_equal(f->c.st.kernel_kept, 1);
    *entry(f, PDC + 1 * 4) = 0x5000 | PTE_P | PTE_W | PTE_U; /* C's PDE 1 differs */
    sw(f, PDC);
    assert_false(win_is_mapped(k, WIN_KERNEL, LIN));
    assert_int_equal(f->c.st.kernel_zaps, 1);
    sw(f, PDA);
    assert_int_equal(fault(f, WIN_KERNEL, LIN, false), WIN_HIDDEN);
    shadow_pt_write(&f->c, PDA + 1 * 4, 4); /* the running directory's PDE 1 */
    assert_false(win_is_mapped(k, WIN_KERNEL, LIN));
    assert_int_equal(fault(f, WIN_KERNEL, LIN, false), WIN_HIDDEN);
    shadow_pt_write(&f->c, PT + 0 * 4, 4); /* the PTE behind it */
    assert_false(win_is_mapped(k, WIN_KERNEL, LIN));
}

static void test_memory_reported(void **state)
{
    struct fix *f = *state;
    sw(f, PDA);
    fault(f, WIN_USER, LIN, false);
    fault(f, WIN_USER, LIN + 0x2000, false);
    sw(f, PDB);
    fault(f, WIN_USER, LIN, false);
    struct shadow_memory m;
    shadow_memory(&f->c, &m);
    assert_int_equal(m.spaces, 2);
    assert_int_equal(m.mapped, 3);
    assert_int_equal(m.table_bytes, 2 * 2 * 4096); /* per space: one PT, one PD page */
    assert_true(m.book_bytes > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_switch_finds_cached_shadow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lru_eviction_counted, setup2, teardown),
        cmocka_unit_test_setup_teardown(test_tables_write_protected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pte_write_drops_entry_everywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pde_write_drops_region_of_that_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flooded_table_unsynced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_global_pages_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode_change_drops_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kernel_view_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_reported, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
