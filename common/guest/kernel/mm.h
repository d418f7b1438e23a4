/*
 * mm.h — physical frames and 2-level x86 paging (SDM Vol. 3A §4.3).
 *
 * Physical memory below MM_LIMIT is identity mapped (virtual == physical)
 * in every address space, supervisor-only except the user region (the
 * linker's __user_start..__user_end: ulib, *_user.c, libgcc), which is U=1.
 * Everything from USER_ELF_MIN up to 0xC0000000 is private to a task.
 * pte_of() is declared in program.h.
 */
#ifndef GUEST_MM_H
#define GUEST_MM_H

#include <stdint.h>

#define PAGE_SIZE 4096u
#define MM_LIMIT  0x08000000u /* 128 MiB identity map == USER_ELF_MIN */
#define USER_TOP  0xC0000000u /* private user space ends here         */

#define PTE_P       0x001 /* present            */
#define PTE_W       0x002 /* writable           */
#define PTE_U       0x004 /* user accessible    */
#define PTE_PWT     0x008 /* write-through      */
#define PTE_PCD     0x010 /* cache disabled     */
#define PTE_A       0x020 /* accessed           */
#define PTE_D       0x040 /* dirty              */
#define PTE_ADDR(e) ((e) & ~0xFFFu)

extern char __user_start[], __user_end[], __kernel_start[], __kernel_end[];

void mm_init(void);         /* frames from bootinfo, enable paging */
uint32_t frame_alloc(void); /* zeroed 4 KiB frame, 0 if none      */
void frame_free(uint32_t pa);
uint32_t mm_free_frames(void);
uint32_t mm_demand_faults(void); /* demand-zero pages mapped so far */
uint32_t mm_kernel_cr3(void);

uint32_t as_create(void);      /* new page directory (its CR3), 0 if no memory */
void as_destroy(uint32_t cr3); /* free every private frame and table */
/* Map one page; returns 0 or -1 (no memory). */
int mm_map(uint32_t cr3, uint32_t va, uint32_t pa, uint32_t flags);
/* A not-present fault at `va`: if it is heap or stack, map a zero page.
 * Returns 1 if handled. */
int mm_demand_fault(uint32_t cr3, uint32_t va);
/* May ring 3 (of address space cr3) access [va, va+len)?  Demand-zero
 * pages in the range are mapped on the way. */
int mm_user_ok(uint32_t cr3, uint32_t va, uint32_t len, int write);

/* Device registers (a PCI memory BAR): [pa, pa+len) mapped uncached into
 * the kernel's MMIO window (MMIO_VBASE, 4 MiB, shared by every address
 * space, so an interrupt handler may touch it whatever task runs).
 * Returns the virtual address of pa, or 0 if the window is full. */
#define MMIO_VBASE 0xC0000000u /* == USER_TOP: above every task's space */
void *mm_map_mmio(uint64_t pa, uint32_t len);

#endif
