/*
 * pv.c — the paravirtual kernel's start-up and page-table updates (pv.h).
 * Built only into guest-pv.elf.
 */
#include "pv.h"
#include "console.h"
#include "program.h"

struct pv_shared pv_shared __attribute__((aligned(4096)));
uint32_t pv_cr3;

void pv_init(void)
{
    int32_t v = hypercall0(HC_VERSION);
    if (v != PV_VERSION || hypercall1(HC_SHARED_PAGE, (uint32_t)&pv_shared) != 0) {
        /* No PV VMM (or an old one): say it on COM1, end through the
         * debug-exit port — the only sensitive instructions left here. */
        static const char msg[] = "vmlab: panic: no paravirtual VMM below (run under vmm-pv)\n";
        for (const char *c = msg; *c; c++)
            __asm__ volatile("outb %0,%1" ::"a"(*c), "Nd"((uint16_t)0x3F8));
        __asm__ volatile("outb %0,%1" ::"a"((uint8_t)EXIT_PANIC), "Nd"((uint16_t)0xF4));
        for (;;)
            ;
    }
    pv_shared.vif = 0; /* as the boot EFLAGS: IF=0 */
}

int32_t pv_set_pte(uint32_t *pte, uint32_t val, uint32_t va)
{
    struct pv_mmu_update u = { (uint32_t)pte, val, va };
    return hypercall3(HC_MMU_UPDATE, (uint32_t)&u, 1, 0);
}
