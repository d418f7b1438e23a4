/*
 * pv.h — the paravirtual layer of the kernel built with -DVMLAB_PV
 * (build/guest/guest-pv.elf): hypercalls (include/vmlab_pv.h) instead of
 * the sensitive instructions, and the shared page with the VMM.  x86.h,
 * program.h and console.c call these in the PV build; the rest of the
 * kernel does not know.
 */
#ifndef GUEST_PV_H
#define GUEST_PV_H

#include <stdint.h>
#include "vmlab_pv.h"

/* vmcall: EAX = number, EBX/ECX/EDX = arguments, EAX = result. */
static inline int32_t hypercall3(uint32_t nr, uint32_t a1, uint32_t a2, uint32_t a3)
{
    int32_t r;
    __asm__ volatile("vmcall" : "=a"(r) : "a"(nr), "b"(a1), "c"(a2), "d"(a3) : "memory");
    return r;
}
static inline int32_t hypercall1(uint32_t nr, uint32_t a1) { return hypercall3(nr, a1, 0, 0); }
static inline int32_t hypercall0(uint32_t nr) { return hypercall3(nr, 0, 0, 0); }

/* The vCPU's page shared with the VMM (trapasm.S names it too). */
extern struct pv_shared pv_shared;

/* Check the VMM speaks our ABI and register the shared page; a kernel
 * without a PV VMM below cannot run, and says so on the port console. */
void pv_init(void);

/* cli / sti: the virtual IF.  Re-enabling calls the VMM only when it held
 * an interrupt back meanwhile (pending). */
static inline void pv_cli(void) { pv_shared.vif = 0; }
static inline void pv_sti(void)
{
    pv_shared.vif = 1;
    if (pv_shared.pending)
        hypercall0(HC_IRQ_ENABLE);
}
/* sti; hlt; cli: wait for an interrupt in the VMM, then virtual IF off. */
static inline void pv_sti_hlt_cli(void)
{
    hypercall0(HC_BLOCK);
    pv_shared.vif = 0;
}

/* CR3: the VMM loads it; the kernel keeps what it loaded, since reading
 * CR3 is sensitive too. */
extern uint32_t pv_cr3;
static inline void pv_write_cr3(uint32_t v)
{
    pv_cr3 = v;
    hypercall1(HC_LOAD_CR3, v);
}
static inline void pv_invlpg(uint32_t va) { hypercall1(HC_INVLPG, va); }
/* Store val in the page-table entry pte and drop va's TLB entry (va
 * PV_NO_INVLPG: none): one hypercall for both. */
int32_t pv_set_pte(uint32_t *pte, uint32_t val, uint32_t va);

#endif
