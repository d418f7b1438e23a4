/*
 * pvhostile — a hostile paravirtual guest (PV build only, a probe: tests/pv
 * and lab 2's grader run it by name).  It writes page tables through
 * HC_MMU_UPDATE the way an attacker would, and feeds every hypercall it
 * can bad input (include/vmlab_pv.h has the rules, 02-paravirt/README.md
 * the table).  Each attempt must come back with its documented error and
 * leave the entry untouched, and the kernel runs on.  Four sections:
 *   batch     a good batch is done whole, a bad entry stops it there;
 *   foreign   frames beyond RAM (the VMM's device memory) are refused;
 *   pagetable another address space's page tables (and its own, and the
 *             kernel's) may not be mapped writable; read-only they may;
 *   input     wild pointers, huge counts, unaligned lists and entries,
 *             batches in the shared page or rewriting themselves, and the
 *             other hypercalls' bad arguments.
 * RESULT gives "section=passed/checks"; each failed check prints a line
 * "pvhostile: section: what: got X, expected Y".
 */
#ifdef VMLAB_PV
#include "program.h"
#include "bootinfo.h"
#include "mm.h"

#define PTE_PS 0x080u
#define VA_A   0x50000000u /* where the hostile address space maps things */
#define VA_4M  0x60000000u /* a directory slot for 4 MiB entries */

enum { S_BATCH, S_FOREIGN, S_PT, S_INPUT, NSECT };
static const char *const sect_name[NSECT] = { "batch", "foreign", "pagetable", "input" };
static uint32_t checks[NSECT], passed[NSECT];

/* Batches are built here: a page of its own, away from the shared page. */
static struct pv_mmu_update list[256] __attribute__((aligned(4096)));

static void expect(int s, const char *what, int32_t got, int32_t want)
{
    checks[s]++;
    if (got == want)
        passed[s]++;
    else
        kprintf("pvhostile: %s: %s: got %d, expected %d\n", sect_name[s], what, got, want);
}

static int32_t mmu(uint32_t at, uint32_t count) { return hypercall3(HC_MMU_UPDATE, at, count, 0); }
/* One entry: store val at ptr, no INVLPG (the space is not loaded). */
static int32_t set1(uint32_t *ptr, uint32_t val)
{
    list[0] = (struct pv_mmu_update){ (uint32_t)ptr, val, PV_NO_INVLPG };
    return mmu((uint32_t)list, 1);
}
/* An entry the VMM must refuse: if it did not, the kernel takes it back
 * (its identity map may write any entry), so that the rest still runs and
 * the address space is freed as a plain one (no 4 MiB page, no frame
 * beyond RAM in it). */
static int32_t deny(uint32_t *ptr, uint32_t val)
{
    int32_t r = set1(ptr, val);
    if (r >= 0)
        *ptr = 0;
    return r;
}

/* The first guest-physical address above every RAM region. */
static uint32_t ram_top(void)
{
    uint64_t top = 0;
    for (int i = 0; i < bootinfo.nmem; i++)
        if (bootinfo.mem[i].base + bootinfo.mem[i].len > top)
            top = bootinfo.mem[i].base + bootinfo.mem[i].len;
    return top > 0xfffff000u ? 0xfffff000u : (uint32_t)top & ~(PAGE_SIZE - 1);
}

struct spaces {
    uint32_t a, b;    /* two address spaces (page directories, pinned) */
    uint32_t *pte_a;  /* a free entry of a's tables (VA_A)             */
    uint32_t *pde_a;  /* a free entry of a's directory (VA_4M)         */
    uint32_t pt_b;    /* a page table of b                            */
    uint32_t data[3]; /* frames of ours, no page tables                */
};

static void batch(struct spaces *s)
{
    for (int i = 0; i < 3; i++)
        list[i] =
            (struct pv_mmu_update){ (uint32_t)&s->pte_a[i], s->data[i] | PTE_P | PTE_W | PTE_U,
                                    VA_A + i * PAGE_SIZE };
    expect(S_BATCH, "a batch of 3 own frames", mmu((uint32_t)list, 3), 3);
    expect(S_BATCH, "its last entry written", (int32_t)s->pte_a[2],
           (int32_t)(s->data[2] | PTE_P | PTE_W | PTE_U));
    for (int i = 0; i < 3; i++)
        list[i] = (struct pv_mmu_update){ (uint32_t)&s->pte_a[i], 0, PV_NO_INVLPG };
    list[1].val = 0xF0000000u | PTE_P; /* not ours: stops the batch */
    expect(S_BATCH, "a bad second entry stops the batch", mmu((uint32_t)list, 3), -PV_EINVAL);
    expect(S_BATCH, "the entry before it done", (int32_t)s->pte_a[0], 0);
    expect(S_BATCH, "the bad entry not written", (int32_t)s->pte_a[1],
           (int32_t)(s->data[1] | PTE_P | PTE_W | PTE_U));
    expect(S_BATCH, "the entry after it not done", (int32_t)s->pte_a[2],
           (int32_t)(s->data[2] | PTE_P | PTE_W | PTE_U));
    list[1].val = 0;
    expect(S_BATCH, "the batch again, cleared", mmu((uint32_t)list, 3), 3);
    expect(S_BATCH, "an empty batch, whatever the list", mmu(0xFFFFFFF0u, 0), 0);
}

static void foreign(struct spaces *s, uint32_t top)
{
    const uint32_t rwu = PTE_P | PTE_W | PTE_U;
    expect(S_FOREIGN, "the first frame above RAM", deny(s->pte_a, top | rwu), -PV_EINVAL);
    expect(S_FOREIGN, "the local APIC (the VMM's device)",
           deny(s->pte_a, 0xFEE00000u | PTE_P | PTE_W), -PV_EINVAL);
    expect(S_FOREIGN, "far beyond RAM, read-only", deny(s->pte_a, 0xF0000000u | PTE_P), -PV_EINVAL);
    expect(S_FOREIGN, "a 4 MiB page above RAM",
           deny(s->pde_a, ((top + 0x3FFFFFu) & ~0x3FFFFFu) | PTE_P | PTE_PS), -PV_EINVAL);
    expect(S_FOREIGN, "the entry left untouched", (int32_t)*s->pte_a, 0);
    expect(S_FOREIGN, "the directory entry left untouched", (int32_t)*s->pde_a, 0);
    expect(S_FOREIGN, "a frame of ours", set1(s->pte_a, s->data[0] | rwu), 1);
    expect(S_FOREIGN, "a frame above RAM, not present", set1(s->pte_a, top), 1);
    set1(s->pte_a, 0);
}

static void page_tables(struct spaces *s)
{
    const uint32_t rwu = PTE_P | PTE_W | PTE_U;
    uint32_t kpt = PTE_ADDR(((uint32_t *)mm_kernel_cr3())[0]);
    expect(S_PT, "another space's directory, writable", deny(s->pte_a, s->b | rwu), -PV_EINVAL);
    expect(S_PT, "another space's page table, writable", deny(s->pte_a, s->pt_b | rwu), -PV_EINVAL);
    expect(S_PT, "the kernel's page table, writable", deny(s->pte_a, kpt | PTE_P | PTE_W),
           -PV_EINVAL);
    expect(S_PT, "its own directory, writable", deny(s->pte_a, s->a | rwu), -PV_EINVAL);
    expect(S_PT, "its own page table, writable", deny(s->pte_a, PTE_ADDR((uint32_t)s->pte_a) | rwu),
           -PV_EINVAL);
    expect(S_PT, "a writable 4 MiB page over page tables",
           deny(s->pde_a, (s->pt_b & ~0x3FFFFFu) | PTE_P | PTE_W | PTE_PS), -PV_EINVAL);
    expect(S_PT, "the entry left untouched", (int32_t)*s->pte_a, 0);
    expect(S_PT, "another space's directory, read-only", set1(s->pte_a, s->b | PTE_P | PTE_U), 1);
    set1(s->pte_a, 0);
    /* Unpinned, b's directory is a plain frame; pinned again, it is not. */
    expect(S_PT, "unpin b", pin_table(s->b, 0), 0);
    expect(S_PT, "b's directory unpinned, writable", set1(s->pte_a, s->b | rwu), 1);
    set1(s->pte_a, 0);
    expect(S_PT, "pin b again", pin_table(s->b, 1), 0);
    expect(S_PT, "b's directory pinned again, writable", deny(s->pte_a, s->b | rwu), -PV_EINVAL);
}

static void bad_input(struct spaces *s, uint32_t top)
{
    uint32_t sp = (uint32_t)&pv_shared;
    expect(S_INPUT, "a wild list", mmu(0xFFFFFFF0u, 1), -PV_EFAULT);
    expect(S_INPUT, "a list wrapping past 4 GiB", mmu(0xFFFFFFF0u, 2), -PV_EFAULT);
    expect(S_INPUT, "a list running past RAM", mmu(top - 5 * 12, PV_MMU_MAX), -PV_EFAULT);
    expect(S_INPUT, "count 0xffffffff", mmu((uint32_t)list, 0xFFFFFFFFu), -PV_E2BIG);
    expect(S_INPUT, "count PV_MMU_MAX + 1", mmu((uint32_t)list, PV_MMU_MAX + 1), -PV_E2BIG);
    list[0] = (struct pv_mmu_update){ (uint32_t)s->pte_a, 0, PV_NO_INVLPG };
    expect(S_INPUT, "an unaligned list", mmu((uint32_t)list + 2, 1), -PV_EINVAL);
    expect(S_INPUT, "a list in the shared page", mmu(sp, 1), -PV_EINVAL);
    expect(S_INPUT, "an unaligned entry", set1((uint32_t *)((uint32_t)s->pte_a + 1), 0),
           -PV_EFAULT);
    expect(S_INPUT, "a wild entry", set1((uint32_t *)0xFFFFFFFCu, 0), -PV_EFAULT);
    expect(S_INPUT, "an entry in the shared page", set1((uint32_t *)sp, 1), -PV_EINVAL);
    list[0] = (struct pv_mmu_update){ (uint32_t)&list[0].val, 0, PV_NO_INVLPG };
    expect(S_INPUT, "an entry that rewrites itself", mmu((uint32_t)list, 1), -PV_EINVAL);
    list[0] = (struct pv_mmu_update){ (uint32_t)s->pte_a, 0, PV_NO_INVLPG };
    list[1] = (struct pv_mmu_update){ (uint32_t)&list[0].ptr, 0, PV_NO_INVLPG };
    expect(S_INPUT, "an entry that rewrites an earlier one", mmu((uint32_t)list, 2), -PV_EINVAL);
    expect(S_INPUT, "the list left as it was", (int32_t)list[0].ptr, (int32_t)(uint32_t)s->pte_a);
    expect(S_INPUT, "console: a wild buffer", hypercall3(HC_CONSOLE_WRITE, 0xFFFFFFFFu, 2, 0),
           -PV_EFAULT);
    expect(S_INPUT, "console: huge length", hypercall3(HC_CONSOLE_WRITE, sp, 0x7FFFFFFFu, 0),
           -PV_E2BIG);
    expect(S_INPUT, "gdt: a table wrapping past 4 GiB",
           hypercall3(HC_LOAD_GDT, 0xFFFFFFF0u, 0x2f, 0), -PV_EINVAL);
    expect(S_INPUT, "cr3: beyond RAM", hypercall1(HC_LOAD_CR3, top), -PV_EINVAL);
    expect(S_INPUT, "timer: vector 256", hypercall3(HC_SET_TIMER, 1000, 1000, 256), -PV_EINVAL);
    expect(S_INPUT, "pin: unaligned", pin_table(s->a + 4, 1), -PV_EINVAL);
    expect(S_INPUT, "pin: beyond RAM", pin_table(top, 1), -PV_EINVAL);
    expect(S_INPUT, "pin: twice", pin_table(s->a, 1), -PV_EINVAL);
    expect(S_INPUT, "unpin: not pinned", pin_table(s->data[0], 0), -PV_EINVAL);
    expect(S_INPUT, "pin: neither 0 nor 1", pin_table(s->data[0], 2), -PV_EINVAL);
    expect(S_INPUT, "a wild number", hypercall0(0x80000000u), -PV_ENOSYS);
    expect(S_INPUT, "the shared page intact", (int32_t)pv_shared.vif, 0);
}

static int pvhostile(struct prog_ctx *ctx)
{
    struct spaces s = { 0 };
    uint32_t top = ram_top();
    pv_cli(); /* the checks read vif: keep it 0 throughout */
    s.a = as_create();
    s.b = as_create();
    s.pte_a = s.a ? pte_of(s.a, VA_A, 1) : 0;
    uint32_t *pte_b = s.b ? pte_of(s.b, VA_A, 1) : 0;
    for (int i = 0; i < 3; i++)
        s.data[i] = frame_alloc();
    if (!s.pte_a || !pte_b || !s.data[0] || !s.data[1] || !s.data[2])
        return prog_fail(ctx, "no memory for two address spaces");
    s.pde_a = &((uint32_t *)s.a)[VA_4M >> 22];
    s.pt_b = PTE_ADDR((uint32_t)pte_b);
    batch(&s);
    foreign(&s, top);
    page_tables(&s);
    bad_input(&s, top);
    for (int i = 0; i < 3; i++)
        frame_free(s.data[i]);
    as_destroy(s.a);
    as_destroy(s.b);
    result(ctx, "batch=%u/%u foreign=%u/%u pagetable=%u/%u input=%u/%u ram_top=0x%08x",
           passed[S_BATCH], checks[S_BATCH], passed[S_FOREIGN], checks[S_FOREIGN], passed[S_PT],
           checks[S_PT], passed[S_INPUT], checks[S_INPUT], top);
    for (int i = 0; i < NSECT; i++)
        if (passed[i] != checks[i])
            return prog_fail(ctx, "%s: %u of %u checks failed", sect_name[i], checks[i] - passed[i],
                             checks[i]);
    return 0;
}

PROBE("pvhostile", "a hostile PV guest: page tables it does not own, bad hypercall input", 1,
      pvhostile);
#endif
