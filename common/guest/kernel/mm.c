/*
 * mm.c — physical frame allocator and page tables.
 *
 * Frames: one bit per 4 KiB frame below MM_LIMIT, set = free, filled from
 * the boot loader's memory map minus the kernel image and the modules.
 *
 * Paging: 2-level, 4 KiB pages.  A 32-bit virtual address splits into
 * 10 bits of page-directory index, 10 bits of page-table index and a 12-bit
 * offset (SDM Vol. 3A §4.3, Figure 4-2).  The kernel's page tables for the
 * first MM_LIMIT bytes are allocated once and shared by every task's page
 * directory, so kernel mappings are identical everywhere; the directory
 * entries above are private to the task.
 */
#include "mm.h"
#include "bootinfo.h"
#include "program.h"
#include "vmlab_abi.h"
#include "x86.h"

#define NFRAMES (MM_LIMIT / PAGE_SIZE)
#define KPDES   (MM_LIMIT >> 22) /* shared directory entries */

static uint32_t frame_bitmap[NFRAMES / 32];
static uint32_t nfree, hint;
static uint32_t demand_faults;

static uint32_t kpd[1024] __attribute__((aligned(4096)));
static uint32_t kpt[KPDES][1024] __attribute__((aligned(4096)));
static uint32_t mmio_pt[1024] __attribute__((aligned(4096))); /* MMIO_VBASE's table */
static uint32_t mmio_used;                                    /* pages handed out  */

static void mark_free(uint32_t f, int freed)
{
    if (freed)
        frame_bitmap[f / 32] |= 1u << (f % 32);
    else
        frame_bitmap[f / 32] &= ~(1u << (f % 32));
}

static int is_free(uint32_t f) { return (frame_bitmap[f / 32] >> (f % 32)) & 1; }

static void reserve(uint32_t start, uint32_t end)
{
    for (uint32_t f = start / PAGE_SIZE; f < (end + PAGE_SIZE - 1) / PAGE_SIZE && f < NFRAMES; f++)
        if (is_free(f)) {
            mark_free(f, 0);
            nfree--;
        }
}

uint32_t frame_alloc(void)
{
    for (uint32_t n = 0; n < NFRAMES / 32; n++) {
        uint32_t w = (hint + n) % (NFRAMES / 32);
        if (!frame_bitmap[w])
            continue;
        uint32_t f = w * 32 + (uint32_t)__builtin_ctz(frame_bitmap[w]);
        mark_free(f, 0);
        nfree--;
        hint = w;
        uint32_t pa = f * PAGE_SIZE;
        __builtin_memset((void *)pa, 0, PAGE_SIZE);
        return pa;
    }
    return 0;
}

void frame_free(uint32_t pa)
{
    uint32_t f = pa / PAGE_SIZE;
    if (f < NFRAMES && !is_free(f)) {
        mark_free(f, 1);
        nfree++;
    }
}

uint32_t mm_free_frames(void) { return nfree; }
uint32_t mm_demand_faults(void) { return demand_faults; }
uint32_t mm_kernel_cr3(void) { return (uint32_t)kpd; }

void mm_init(void)
{
    /* 1. Usable RAM from the memory map, whole frames, above 1 MiB only
     *    (the first MiB holds the BIOS data, the loader's tables, ROMs). */
    for (int i = 0; i < bootinfo.nmem; i++) {
        uint64_t s = bootinfo.mem[i].base, e = s + bootinfo.mem[i].len;
        if (s < 0x100000)
            s = 0x100000;
        if (e > MM_LIMIT)
            e = MM_LIMIT;
        for (uint64_t a = (s + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1); a + PAGE_SIZE <= e;
             a += PAGE_SIZE)
            if (!is_free((uint32_t)(a / PAGE_SIZE))) {
                mark_free((uint32_t)(a / PAGE_SIZE), 1);
                nfree++;
            }
    }
    /* 2. Minus the kernel image and the modules. */
    reserve((uint32_t)__kernel_start, (uint32_t)__kernel_end);
    for (int i = 0; i < bootinfo.nmods; i++)
        reserve(bootinfo.mods[i].start, bootinfo.mods[i].end);

    /* 3. Identity map [0, MM_LIMIT): supervisor read/write, except page 0
     *    (catches NULL pointers) and the user region (U=1). */
    for (uint32_t i = 0; i < KPDES; i++) {
        for (uint32_t j = 0; j < 1024; j++)
            kpt[i][j] = ((i << 22) | (j << 12)) | PTE_P | PTE_W;
        /* U=1 in the directory entry; the table entry decides. */
        kpd[i] = (uint32_t)kpt[i] | PTE_P | PTE_W | PTE_U;
    }
    kpt[0][0] = 0;
    kpd[MMIO_VBASE >> 22] = (uint32_t)mmio_pt | PTE_P | PTE_W;
    for (uint32_t a = (uint32_t)__user_start; a < (uint32_t)__user_end; a += PAGE_SIZE)
        kpt[a >> 22][(a >> 12) & 1023] |= PTE_U;

    /* 4. Turn paging on.  CR0.WP=1 makes read-only pages read-only for
     *    the kernel too (SDM Vol. 3A §4.6). */
    pin_table((uint32_t)kpd, 1);
    write_cr3((uint32_t)kpd);
    write_cr0(read_cr0() | 0x80000000u /* PG */ | 0x00010000u /* WP */);
}

uint32_t as_create(void)
{
    uint32_t *pd = (uint32_t *)frame_alloc();
    if (!pd)
        return 0;
    for (uint32_t i = 0; i < KPDES; i++)
        pd[i] = kpd[i];
    pd[MMIO_VBASE >> 22] = kpd[MMIO_VBASE >> 22];
    if (pin_table((uint32_t)pd, 1) < 0) { /* a PV VMM with no room to track it */
        frame_free((uint32_t)pd);
        return 0;
    }
    return (uint32_t)pd;
}

void as_destroy(uint32_t cr3)
{
    uint32_t *pd = (uint32_t *)PTE_ADDR(cr3);
    pin_table((uint32_t)pd, 0); /* before its frames can be anything else */
    for (uint32_t i = KPDES; i < USER_TOP >> 22; i++) {
        if (!(pd[i] & PTE_P))
            continue;
        uint32_t *pt = (uint32_t *)PTE_ADDR(pd[i]);
        for (uint32_t j = 0; j < 1024; j++)
            if (pt[j] & PTE_P)
                frame_free(PTE_ADDR(pt[j]));
        frame_free((uint32_t)pt);
    }
    frame_free((uint32_t)pd);
}

uint32_t *pte_of(uint32_t cr3, uint32_t va, int create)
{
    uint32_t *pd = (uint32_t *)PTE_ADDR(cr3);
    uint32_t *pde = &pd[va >> 22];
    if (!(*pde & PTE_P)) {
        if (!create)
            return 0;
        uint32_t pt = frame_alloc();
        if (!pt)
            return 0;
        *pde = pt | PTE_P | PTE_W | PTE_U;
    }
    return &((uint32_t *)PTE_ADDR(*pde))[(va >> 12) & 1023];
}

int mm_map(uint32_t cr3, uint32_t va, uint32_t pa, uint32_t flags)
{
    uint32_t *pte = pte_of(cr3, va, 1);
    if (!pte)
        return -1;
    if (cr3 == read_cr3())
        set_pte_invlpg(pte, PTE_ADDR(pa) | flags | PTE_P, va);
    else
        *pte = PTE_ADDR(pa) | flags | PTE_P;
    return 0;
}

static int in_demand_range(uint32_t va)
{
    return (va >= USER_HEAP_BASE && va < USER_HEAP_END) ||
           (va >= USER_STACK_TOP - USER_STACK_MAX && va < USER_STACK_TOP);
}

int mm_demand_fault(uint32_t cr3, uint32_t va)
{
    if (!in_demand_range(va) || cr3 == (uint32_t)kpd)
        return 0;
    uint32_t *pte = pte_of(cr3, va, 1);
    if (!pte || (*pte & PTE_P))
        return 0; /* no memory, or a protection fault */
    uint32_t pa = frame_alloc();
    if (!pa)
        return 0;
    *pte = pa | PTE_P | PTE_W | PTE_U;
    demand_faults++;
    return 1;
}

int mm_user_ok(uint32_t cr3, uint32_t va, uint32_t len, int write)
{
    if (len == 0)
        return 1;
    if (va + len < va || va + len > USER_TOP)
        return 0;
    for (uint32_t p = va & ~(PAGE_SIZE - 1); p < va + len; p += PAGE_SIZE) {
        uint32_t *pte = pte_of(cr3, p, 0);
        if ((!pte || !(*pte & PTE_P)) && !mm_demand_fault(cr3, p))
            return 0;
        pte = pte_of(cr3, p, 0);
        if (!(*pte & PTE_U) || (write && !(*pte & PTE_W)))
            return 0;
        if (p + PAGE_SIZE < p)
            break;
    }
    return 1;
}

/*
 * Device registers must not be cached: a read has to reach the device
 * every time (a status that changes by itself, a read that clears), and
 * writes must reach it in order.  PCD=1 PWT=1 makes the page uncacheable
 * (UC) with the default PAT (SDM Vol. 3A §11.12.3, Table 11-11).  A range
 * mapped before is found again, so a driver may map its BAR on every probe.
 */
void *mm_map_mmio(uint64_t pa, uint32_t len)
{
    if (!len || pa + len > 0x100000000ull || pa + len < pa)
        return 0;
    uint32_t first = (uint32_t)pa & ~(PAGE_SIZE - 1);
    uint32_t npages = ((uint32_t)pa + len - first + PAGE_SIZE - 1) / PAGE_SIZE;
    for (uint32_t i = 0; i + npages <= mmio_used; i++) {
        uint32_t j = 0;
        while (j < npages && PTE_ADDR(mmio_pt[i + j]) == first + j * PAGE_SIZE)
            j++;
        if (j == npages)
            return (void *)(MMIO_VBASE + i * PAGE_SIZE + ((uint32_t)pa & (PAGE_SIZE - 1)));
    }
    if (npages > 1024 - mmio_used)
        return 0;
    uint32_t va = MMIO_VBASE + mmio_used * PAGE_SIZE;
    for (uint32_t j = 0; j < npages; j++)
        set_pte_invlpg(&mmio_pt[mmio_used + j],
                       (first + j * PAGE_SIZE) | PTE_P | PTE_W | PTE_PCD | PTE_PWT,
                       va + j * PAGE_SIZE);
    mmio_used += npages;
    return (void *)(va + ((uint32_t)pa & (PAGE_SIZE - 1)));
}
