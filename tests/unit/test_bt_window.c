/*
 * test_bt_window.c — the translator's 4 GiB guest window (01-binary-
 * translation/window.c): hidden faults map the memfd page the guest tables
 * name (and set A/D), true faults give the #PF error code, kernel and user
 * views differ, INVLPG and a flush unmap, the window wraps at 4 GiB.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "x86/paging.h"
#include "01-binary-translation/window.h"

#define PD 0x1000u
#define PT 0x2000u

struct fix {
    struct guest_ram ram;
    struct window w;
    struct x86_cpu cpu;
};

static uint32_t *entry(struct fix *f, uint32_t gpa) { return (uint32_t *)(f->ram.host + gpa); }

static int setup(void **state)
{
    static struct fix f;
    char err[128];
    memset(&f, 0, sizeof f);
    assert_int_equal(guest_ram_init(&f.ram, 1 << 20, err, sizeof err), 0);
    assert_int_equal(win_create(&f.w, &f.ram, err, sizeof err), 0);
    /* 0x00400000 -> 0x5000 user RW; 0x00401000 -> 0x6000 supervisor RO;
     * 0x00402000 not present; 0xfffff000 -> 0x7000 supervisor RW. */
    *entry(&f, PD + 1 * 4) = PT | PTE_P | PTE_W | PTE_U;
    *entry(&f, PT + 0 * 4) = 0x5000 | PTE_P | PTE_W | PTE_U;
    *entry(&f, PT + 1 * 4) = 0x6000 | PTE_P;
    *entry(&f, PD + 1023 * 4) = 0x3000 | PTE_P | PTE_W;
    *entry(&f, 0x3000 + 1023 * 4) = 0x7000 | PTE_P | PTE_W;
    memcpy(f.ram.host + 0x5000, "user page", 10);
    memcpy(f.ram.host + 0x6000, "kernel page", 12);
    memcpy(f.ram.host + 0x7000, "top page", 9);
    f.cpu.cr0 = CR0_PE | CR0_PG | CR0_WP;
    f.cpu.cr3 = PD;
    *state = &f;
    return 0;
}
static int teardown(void **state)
{
    struct fix *f = *state;
    win_destroy(&f->w);
    guest_ram_destroy(&f->ram);
    return 0;
}

static void test_paging_off(void **state)
{
    struct fix *f = *state;
    uint32_t pfec = 0;
    f->cpu.cr0 = CR0_PE;
    assert_int_equal(win_fault(&f->w, WIN_KERNEL, &f->cpu, 0x5004, false, &pfec), WIN_HIDDEN);
    assert_true(win_is_mapped(&f->w, WIN_KERNEL, 0x5000));
    assert_string_equal((char *)f->w.base[WIN_KERNEL] + 0x5000, "user page");
    f->w.base[WIN_KERNEL][0x5000] = 'U'; /* writable: same memfd page */
    assert_int_equal(f->ram.host[0x5000], 'U');
    assert_int_equal(win_fault(&f->w, WIN_KERNEL, &f->cpu, 0x200000, false, &pfec), WIN_MMIO);
    f->ram.host[0x5000] = 'u';
    win_flush(&f->w);
    assert_false(win_is_mapped(&f->w, WIN_KERNEL, 0x5000));
    f->cpu.cr0 = CR0_PE | CR0_PG | CR0_WP;
}

static void test_hidden_sets_accessed_dirty(void **state)
{
    struct fix *f = *state;
    uint32_t pfec = 0;
    struct win_stats before = f->w.st;
    *entry(f, PT) &= ~(PTE_A | PTE_D);
    assert_int_equal(win_fault(&f->w, WIN_USER, &f->cpu, 0x400000, false, &pfec), WIN_HIDDEN);
    assert_true(*entry(f, PT) & PTE_A);
    assert_false(*entry(f, PT) & PTE_D); /* a read does not dirty */
    assert_string_equal((char *)f->w.base[WIN_USER] + 0x400000, "user page");
    /* The write faults again (mapped read-only until dirty): the walk sets D. */
    assert_int_equal(win_fault(&f->w, WIN_USER, &f->cpu, 0x400000, true, &pfec), WIN_HIDDEN);
    assert_true(*entry(f, PT) & PTE_D);
    f->w.base[WIN_USER][0x400000] = 'U';
    assert_int_equal(f->ram.host[0x5000], 'U');
    assert_int_equal(f->w.st.hidden - before.hidden, 2);
    assert_int_equal(f->w.st.true_faults - before.true_faults, 0);
    f->ram.host[0x5000] = 'u';
    win_flush(&f->w);
}

static void test_true_faults_and_views(void **state)
{
    struct fix *f = *state;
    uint32_t pfec = 0;
    /* Ring 3 reading a supervisor page: #PF, present + user = 5. */
    assert_int_equal(win_fault(&f->w, WIN_USER, &f->cpu, 0x401010, false, &pfec), WIN_TRUE);
    assert_int_equal(pfec, PFEC_P | ACC_U);
    assert_false(win_is_mapped(&f->w, WIN_USER, 0x401000));
    /* The kernel view maps it (read-only: R/W=0 and CR0.WP=1). */
    assert_int_equal(win_fault(&f->w, WIN_KERNEL, &f->cpu, 0x401010, false, &pfec), WIN_HIDDEN);
    assert_string_equal((char *)f->w.base[WIN_KERNEL] + 0x401000, "kernel page");
    assert_false(win_is_mapped(&f->w, WIN_USER, 0x401000));
    assert_int_equal(win_fault(&f->w, WIN_KERNEL, &f->cpu, 0x401010, true, &pfec), WIN_TRUE);
    assert_int_equal(pfec, PFEC_P | ACC_W);
    /* Not present: error code 0 (kernel read), 6 (user write). */
    assert_int_equal(win_fault(&f->w, WIN_KERNEL, &f->cpu, 0x402000, false, &pfec), WIN_TRUE);
    assert_int_equal(pfec, 0);
    assert_int_equal(win_fault(&f->w, WIN_USER, &f->cpu, 0x402000, true, &pfec), WIN_TRUE);
    assert_int_equal(pfec, ACC_W | ACC_U);
    win_flush(&f->w);
}

static void test_invlpg_flush_wrap(void **state)
{
    struct fix *f = *state;
    uint32_t pfec = 0;
    assert_int_equal(win_fault(&f->w, WIN_KERNEL, &f->cpu, 0x400000, false, &pfec), WIN_HIDDEN);
    assert_int_equal(win_fault(&f->w, WIN_USER, &f->cpu, 0x400000, false, &pfec), WIN_HIDDEN);
    assert_int_equal(win_fault(&f->w, WIN_KERNEL, &f->cpu, 0xfffff123, false, &pfec), WIN_HIDDEN);
    assert_string_equal((char *)f->w.base[WIN_KERNEL] + 0xfffff000u, "top page");
    /* The guest remaps 0x400000 to 0x6000 and says INVLPG: both views drop it. */
    *entry(f, PT) = 0x6000 | PTE_P | PTE_W | PTE_U;
    win_invlpg(&f->w, 0x400abc);
    assert_false(win_is_mapped(&f->w, WIN_KERNEL, 0x400000));
    assert_false(win_is_mapped(&f->w, WIN_USER, 0x400000));
    assert_true(win_is_mapped(&f->w, WIN_KERNEL, 0xfffff000u));
    assert_int_equal(win_fault(&f->w, WIN_USER, &f->cpu, 0x400000, false, &pfec), WIN_HIDDEN);
    assert_string_equal((char *)f->w.base[WIN_USER] + 0x400000, "kernel page");
    /* A CR3 write: everything goes. */
    win_flush(&f->w);
    assert_false(win_is_mapped(&f->w, WIN_KERNEL, 0xfffff000u));
    assert_false(win_is_mapped(&f->w, WIN_USER, 0x400000));
    assert_true(f->w.st.flushes >= 1);
    assert_int_equal(f->w.st.invlpg, 1);
    *entry(f, PT) = 0x5000 | PTE_P | PTE_W | PTE_U;
}

/* INVLPG of one address of a 4 MiB guest page drops the whole page's
 * translation (SDM Vol. 3A §4.10.4.1), so every 4 KiB piece the window
 * mapped from it goes, not just the one holding the address. */
static void test_invlpg_large_page(void **state)
{
    struct fix *f = *state;
    uint32_t pfec = 0;
    f->cpu.cr4 |= CR4_PSE;
    *entry(f, PD + 2 * 4) = 0 | PTE_P | PTE_W | PTE_PS; /* 0x800000 -> 0, 4 MiB */
    assert_int_equal(win_fault(&f->w, WIN_KERNEL, &f->cpu, 0x805000, false, &pfec), WIN_HIDDEN);
    assert_true(f->w.walk.large);
    win_mapped_large(&f->w, WIN_KERNEL, 0x805000); /* as bt_engine.c's handler */
    assert_int_equal(win_fault(&f->w, WIN_KERNEL, &f->cpu, 0x806000, false, &pfec), WIN_HIDDEN);
    win_mapped_large(&f->w, WIN_KERNEL, 0x806000);
    assert_int_equal(win_fault(&f->w, WIN_KERNEL, &f->cpu, 0x400000, false, &pfec), WIN_HIDDEN);
    *entry(f, PD + 2 * 4) = 0; /* the guest unmaps it */
    win_invlpg(&f->w, 0x805abc);
    assert_false(win_is_mapped(&f->w, WIN_KERNEL, 0x805000));
    assert_false(win_is_mapped(&f->w, WIN_KERNEL, 0x806000));
    assert_true(win_is_mapped(&f->w, WIN_KERNEL, 0x400000)); /* other 4 MiB: kept */
    win_flush(&f->w);
    f->cpu.cr4 &= ~CR4_PSE;
}

static bool code_at_5000(void *ctx, uint32_t gpa)
{
    (void)ctx;
    return (gpa >> 12) == 5;
}

/* Pages holding translated code are never writable through the window:
 * stores must reach the VMM (self-modifying code). */
static void test_code_pages(void **state)
{
    struct fix *f = *state;
    uint32_t pfec = 0;
    f->w.is_code = code_at_5000;
    assert_int_equal(win_fault(&f->w, WIN_USER, &f->cpu, 0x400000, true, &pfec), WIN_CODE);
    assert_true(win_is_mapped(&f->w, WIN_USER, 0x400000)); /* mapped, read-only */
    assert_string_equal((char *)f->w.base[WIN_USER] + 0x400000, "user page");
    /* A data page mapped writable, which then becomes a code page: the
     * window is flushed so no writable alias survives. */
    f->w.is_code = NULL;
    uint64_t flushes = f->w.st.flushes;
    assert_int_equal(win_fault(&f->w, WIN_KERNEL, &f->cpu, 0xfffff000u, true, &pfec), WIN_HIDDEN);
    win_code_page(&f->w, 0x6000); /* not mapped writable: nothing */
    assert_int_equal(f->w.st.flushes, flushes);
    win_code_page(&f->w, 0x7000);
    assert_int_equal(f->w.st.flushes, flushes + 1);
    assert_false(win_is_mapped(&f->w, WIN_KERNEL, 0xfffff000u));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paging_off),
        cmocka_unit_test(test_hidden_sets_accessed_dirty),
        cmocka_unit_test(test_true_faults_and_views),
        cmocka_unit_test(test_invlpg_flush_wrap),
        cmocka_unit_test(test_invlpg_large_page),
        cmocka_unit_test(test_code_pages),
    };
    return cmocka_run_group_tests_name("bt_window", tests, setup, teardown);
}
