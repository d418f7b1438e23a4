/*
 * test_mem_ept.c — stage 04's EPT (04-memory/ept.h, ept_mmu.h): the
 * 4-level walk (references, permissions, a 2 MiB page), misconfigurations
 * (write without read, reserved bits at each level, a 1 GiB page, bad
 * memory types, an entry where no memory is), violations and their exit
 * qualification (SDM Vol. 3C Table 28-7), accessed and dirty flags, and
 * the 2-D walk of a 2-level guest: 14 references for a 4 KiB page, 9 for
 * a 4 MiB one, a guest #PF without an exit, a violation on a guest page
 * table, the caches.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "x86/cpu.h"
#include "x86/paging.h"
#include "04-memory/ept.h"
#include "04-memory/ept_mmu.h"

#define RAM (4u << 20)
#define PD  0x1000u /* guest directory; PDE 1 -> PT; PDE 2: a 4 MiB page */
#define PT  0x2000u
#define LIN 0x00400000u /* PDE 1, PTE 0 -> 0x8000 */
#define BIG 0x00800000u /* PDE 2: 4 MiB page at 0 */

struct fix {
    struct guest_ram ram;
    struct ept_mem mem;
    uint64_t eptp;
    struct ept_cpu cpu;
};

static uint32_t *g32(struct fix *f, uint32_t gpa) { return (uint32_t *)(f->ram.host + gpa); }

static int setup(void **state)
{
    static struct fix f;
    char err[128];
    memset(&f, 0, sizeof f);
    assert_int_equal(guest_ram_init(&f.ram, RAM, err, sizeof err), 0);
    assert_int_equal(ept_mem_init(&f.mem, &f.ram, 16), 0);
    f.eptp = ept_mem_alloc(&f.mem) | EPTP_WB | EPTP_WALK;
    for (uint32_t gpa = 0; gpa < RAM; gpa += 4096)
        assert_int_equal(ept_map(&f.mem, f.eptp, gpa, gpa, EPT_RWX), 0);
    *g32(&f, PD + 1 * 4) = PT | PTE_P | PTE_W | PTE_U;
    *g32(&f, PD + 2 * 4) = 0 | PTE_P | PTE_W | PTE_U | PTE_PS;
    *g32(&f, PT + 0 * 4) = 0x8000 | PTE_P | PTE_W | PTE_U;
    ept_cpu_init(&f.cpu, &f.mem, true, false);
    f.cpu.eptp = f.eptp;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    ept_mem_fini(&f->mem);
    guest_ram_destroy(&f->ram);
    return 0;
}

/* The hpa of the level-l entry of gpa's walk (4 = PML4E ... 1 = PTE). */
static uint64_t *entry_at(struct fix *f, uint64_t gpa, int level)
{
    struct ept_walk w;
    ept_walk(&f->mem, f->eptp, gpa, 0, &w);
    return ept_mem_entry(&f->mem, w.ref[4 - level].hpa);
}

static void walk_ok(void **state)
{
    struct fix *f = *state;
    struct ept_walk w;
    assert_int_equal(ept_walk(&f->mem, f->eptp, 0x8123, EPT_R | EPT_W, &w), EPT_OK);
    assert_int_equal(w.nrefs, 4);
    assert_int_equal(w.hpa, 0x8123);
    assert_int_equal(w.perm, EPT_RWX);
    assert_true(w.ref[0].hpa >= EPT_POOL_HPA); /* the tables are the VMM's */
}

static void not_present(void **state)
{
    struct fix *f = *state;
    struct ept_walk w;
    assert_int_equal(ept_walk(&f->mem, f->eptp, 0x80000000u, EPT_R, &w), EPT_VIOLATION);
    assert_int_equal(w.nrefs, 2); /* PML4E present, PDPTE 2 not */
    assert_int_equal(w.perm, 0);
}

static void perms(void **state)
{
    struct fix *f = *state;
    struct ept_walk w;
    uint64_t *pte = ept_leaf(&f->mem, f->eptp, 0x9000);
    *pte = (*pte & ~EPT_RWX) | EPT_R; /* read-only */
    assert_int_equal(ept_walk(&f->mem, f->eptp, 0x9000, EPT_R, &w), EPT_OK);
    assert_int_equal(ept_walk(&f->mem, f->eptp, 0x9000, EPT_W, &w), EPT_VIOLATION);
    assert_int_equal(w.perm, EPT_R);
    assert_int_equal(ept_walk(&f->mem, f->eptp, 0x9000, EPT_X, &w), EPT_VIOLATION);
    *pte = (*pte & ~EPT_RWX) | EPT_X; /* execute-only: offered, not a misconfiguration */
    assert_int_equal(ept_walk(&f->mem, f->eptp, 0x9000, EPT_X, &w), EPT_OK);
    assert_int_equal(ept_walk(&f->mem, f->eptp, 0x9000, EPT_R, &w), EPT_VIOLATION);
    assert_int_equal(w.perm, EPT_X);
    /* Permissions are the AND over the levels: a read-only PDE. */
    *pte |= EPT_RWX;
    uint64_t *pde = entry_at(f, 0x9000, 2);
    *pde &= ~EPT_W;
    assert_int_equal(ept_walk(&f->mem, f->eptp, 0x9000, EPT_W, &w), EPT_VIOLATION);
    assert_int_equal(w.perm, EPT_R | EPT_X);
    *pde |= EPT_W;
}

static void expect_misconfig(struct fix *f, uint64_t gpa, const char *what)
{
    struct ept_walk w;
    assert_int_equal(ept_walk(&f->mem, f->eptp, gpa, EPT_R, &w), EPT_MISCONFIG);
    assert_non_null(w.why);
    assert_non_null(strstr(w.why, what));
}

static void misconfig(void **state)
{
    struct fix *f = *state;
    uint64_t *pte = ept_leaf(&f->mem, f->eptp, 0xa000), keep = *pte;
    *pte = (keep & ~EPT_RWX) | EPT_W; /* 010b */
    expect_misconfig(f, 0xa000, "write permission without read");
    *pte = (keep & ~EPT_RWX) | EPT_W | EPT_X; /* 110b */
    expect_misconfig(f, 0xa000, "write permission without read");
    *pte = keep | 1ull << 45; /* beyond the 39-bit physical-address width */
    expect_misconfig(f, 0xa000, "reserved address bits");
    for (unsigned mt = 2; mt <= 7; mt++) {
        *pte = (keep & ~EPT_MT(7)) | EPT_MT(mt);
        struct ept_walk w;
        int r = ept_walk(&f->mem, f->eptp, 0xa000, EPT_R, &w);
        if (mt == 2 || mt == 3 || mt == 7)
            assert_int_equal(r, EPT_MISCONFIG);
        else
            assert_int_equal(r, EPT_OK); /* WT, WP, WB */
    }
    *pte = keep;
    uint64_t *pml4e = entry_at(f, 0xa000, 4), k4 = *pml4e;
    *pml4e = k4 | EPT_MT(6); /* bits 7:3 of a PML4E are reserved */
    expect_misconfig(f, 0xa000, "bits 7:3 of a PML4");
    *pml4e = k4;
    uint64_t *pdpte = entry_at(f, 0xa000, 3), k3 = *pdpte;
    *pdpte = k3 | EPT_PS; /* no 1 GiB pages */
    expect_misconfig(f, 0xa000, "1-GByte");
    *pdpte = k3 | 1ull << 4; /* bits 6:3 of a non-leaf */
    expect_misconfig(f, 0xa000, "non-leaf");
    *pdpte = k3;
    uint64_t *pde = entry_at(f, 0xa000, 2), k2 = *pde;
    *pde = (k2 & ~EPT_ADDR) | EPT_PS | EPT_MT(6) | EPT_RWX | 0x1000; /* 2 MiB, bit 12 */
    expect_misconfig(f, 0xa000, "20:12");
    *pde = k2 & ~EPT_RWX & ~EPT_ADDR; /* not present beats a reserved bit */
    *pde |= 1ull << 45;
    struct ept_walk w;
    assert_int_equal(ept_walk(&f->mem, f->eptp, 0xa000, EPT_R, &w), EPT_VIOLATION);
    *pde = (k2 & ~EPT_ADDR) | 0x5000000000ull; /* a table where no memory is: all ones */
    expect_misconfig(f, 0xa000, "");
    *pde = k2;
    assert_int_equal(ept_walk(&f->mem, f->eptp, 0xa000, EPT_R, &w), EPT_OK);
}

static void large_page(void **state)
{
    struct fix *f = *state;
    uint64_t *pde = entry_at(f, 0x200000, 2), keep = *pde;
    *pde = 0x200000 | EPT_PS | EPT_MT(6) | EPT_RWX;
    struct ept_walk w;
    assert_int_equal(ept_walk(&f->mem, f->eptp, 0x2abcde, EPT_R, &w), EPT_OK);
    assert_int_equal(w.nrefs, 3);
    assert_int_equal(w.hpa, 0x2abcde);
    *pde = keep;
}

static void accessed_dirty(void **state)
{
    struct fix *f = *state;
    struct ept_walk w;
    assert_int_equal(ept_walk(&f->mem, f->eptp, 0xb000, EPT_R, &w), EPT_OK);
    assert_false(w.ref[0].entry & EPT_A); /* EPTP bit 6 clear: no flags */
    uint64_t ad = f->eptp | EPTP_AD;
    assert_int_equal(ept_walk(&f->mem, ad, 0xb000, EPT_R, &w), EPT_OK);
    for (int i = 0; i < 4; i++)
        assert_true(w.ref[i].entry & EPT_A);
    assert_false(*ept_leaf(&f->mem, f->eptp, 0xb000) & EPT_D);
    assert_false(w.dirty);
    assert_int_equal(ept_walk(&f->mem, ad, 0xb000, EPT_W, &w), EPT_OK);
    assert_true(*ept_leaf(&f->mem, f->eptp, 0xb000) & EPT_D);
    assert_true(w.dirty);
    /* A violation sets nothing. */
    uint64_t *pte = ept_leaf(&f->mem, f->eptp, 0xc000);
    *pte &= ~EPT_W;
    assert_int_equal(ept_walk(&f->mem, ad, 0xc000, EPT_W, &w), EPT_VIOLATION);
    assert_false(*pte & (EPT_A | EPT_D));
    *pte |= EPT_W;
}

/* ---- the 2-D walk ------------------------------------------------------------------- */

static int xlate(struct fix *f, uint32_t lin, unsigned acc, struct interp_xlate *x,
                 struct vm_exit *e)
{
    memset(e, 0, sizeof *e);
    return ept_translate(&f->cpu, CR0_PE | CR0_PG | CR0_WP, PD, CR4_PSE, lin, acc, x, e);
}

static void two_d_refs(void **state)
{
    struct fix *f = *state;
    struct interp_xlate x;
    struct vm_exit e;
    assert_int_equal(xlate(f, LIN + 0x10, ACC_R, &x, &e), INTERP_XLATE_OK);
    assert_int_equal(x.walk.gpa, 0x8010);
    assert_int_equal(f->cpu.st.guest_refs + f->cpu.st.ept_refs, 14); /* 4+1+4+1+4 */
    assert_int_equal(f->cpu.st.guest_refs, 2);
    assert_int_equal(f->cpu.st.max_refs, 14);
    assert_true(x.read && x.fetch && !x.write); /* D not yet set: a write walks */
    assert_true(*g32(f, PT) & PTE_A);
    assert_int_equal(xlate(f, BIG + 0x1234, ACC_R, &x, &e), INTERP_XLATE_OK);
    assert_int_equal(x.walk.gpa, 0x1234);
    assert_int_equal(f->cpu.st.guest_refs + f->cpu.st.ept_refs, 14 + 9); /* a 4 MiB PDE */
    assert_int_equal(f->cpu.st.full_walks, 2);
}

static void two_d_caches(void **state)
{
    struct fix *f = *state;
    struct interp_xlate x;
    struct vm_exit e;
    f->cpu.caches = true;
    xlate(f, LIN, ACC_R, &x, &e);
    uint64_t first = f->cpu.st.guest_refs + f->cpu.st.ept_refs;
    assert_int_equal(first, 14);
    xlate(f, LIN, ACC_R, &x, &e); /* PDE cached, every gpa page cached: 1 ref */
    assert_int_equal(f->cpu.st.guest_refs + f->cpu.st.ept_refs - first, 1);
    assert_int_equal(f->cpu.st.pde_hits, 1);
    ept_flush_linear(&f->cpu); /* a CR3 load: the PDE goes, gpa mappings stay */
    xlate(f, LIN, ACC_R, &x, &e);
    assert_int_equal(f->cpu.st.guest_refs + f->cpu.st.ept_refs - first, 3);
    ept_invept(&f->cpu); /* INVEPT: everything walks again */
    xlate(f, LIN, ACC_R, &x, &e);
    assert_int_equal(f->cpu.st.guest_refs + f->cpu.st.ept_refs - first, 3 + 14);
}

static void two_d_guest_fault(void **state)
{
    struct fix *f = *state;
    struct interp_xlate x;
    struct vm_exit e;
    assert_int_equal(xlate(f, 0x00c00000u, ACC_R | ACC_U, &x, &e), INTERP_XLATE_PF);
    assert_int_equal(x.walk.error_code, 0x4); /* not present, user read */
    assert_int_equal(e.reason, 0);            /* the guest's business: no exit */
    assert_int_equal(f->cpu.st.violations, 0);
}

static void two_d_violation(void **state)
{
    struct fix *f = *state;
    struct interp_xlate x;
    struct vm_exit e;
    /* The guest page table read-only in EPT: setting D in the PTE is a
     * write to a paging-structure entry (bit 8 clear). */
    uint64_t *pte = ept_leaf(&f->mem, f->eptp, PT);
    *pte &= ~EPT_W;
    assert_int_equal(xlate(f, LIN, ACC_W, &x, &e), INTERP_XLATE_EXIT);
    assert_int_equal(e.u.ept.gpa, PT);
    assert_int_equal(e.qualification, EPTQ_WRITE | 5u << EPTQ_PERM_SHIFT | EPTQ_GLA_VALID);
    assert_int_equal(f->cpu.st.viol_tables, 1);
    *pte |= EPT_W;
    pte = ept_leaf(&f->mem, f->eptp, 0x8000);
    *pte = (*pte & ~EPT_RWX) | EPT_X; /* the data page, execute-only */
    assert_int_equal(xlate(f, LIN + 0x20, ACC_W, &x, &e), INTERP_XLATE_EXIT);
    assert_int_equal(e.reason, EXIT_EPT_VIOLATION);
    assert_int_equal(e.u.ept.gpa, 0x8020);
    assert_int_equal(e.u.ept.gla, LIN + 0x20);
    /* write, EPT allowed X only, linear address valid, the translation */
    assert_int_equal(e.qualification,
                     EPTQ_WRITE | 4u << EPTQ_PERM_SHIFT | EPTQ_GLA_VALID | EPTQ_GLA_XLATE);
    assert_int_equal(xlate(f, LIN, ACC_X, &x, &e), INTERP_XLATE_OK);
    assert_true(x.fetch && !x.read && !x.write);
    *pte |= EPT_RWX;
    pte = ept_leaf(&f->mem, f->eptp, PT);
    /* A misconfigured page table: exit 49 with its guest-physical address. */
    uint64_t keep = *pte;
    *pte = (keep & ~EPT_RWX) | EPT_W;
    assert_int_equal(xlate(f, LIN, ACC_R, &x, &e), INTERP_XLATE_EXIT);
    assert_int_equal(e.reason, EXIT_EPT_MISCONFIG);
    assert_int_equal(e.u.ept.gpa, PT);
    *pte = keep;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(walk_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(not_present, setup, teardown),
        cmocka_unit_test_setup_teardown(perms, setup, teardown),
        cmocka_unit_test_setup_teardown(misconfig, setup, teardown),
        cmocka_unit_test_setup_teardown(large_page, setup, teardown),
        cmocka_unit_test_setup_teardown(accessed_dirty, setup, teardown),
        cmocka_unit_test_setup_teardown(two_d_refs, setup, teardown),
        cmocka_unit_test_setup_teardown(two_d_caches, setup, teardown),
        cmocka_unit_test_setup_teardown(two_d_guest_fault, setup, teardown),
        cmocka_unit_test_setup_teardown(two_d_violation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
