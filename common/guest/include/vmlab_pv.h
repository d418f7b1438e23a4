/*
 * vmlab_pv.h — the paravirtual hypercall ABI between the teaching kernel
 * built with -DVMLAB_PV (build/guest/guest-pv.elf) and the stage 02 VMM
 * (build/vmm-pv, 02-paravirt/hypercall.h is its side).  It lives with the
 * guest because both sides need it and common/ includes no stage.
 *
 * Calling convention (KVM's, Documentation/virt/kvm/x86/hypercalls.rst):
 *   vmcall (0F 01 C1), EAX = number, EBX/ECX/EDX/ESI = arguments,
 *   EAX = result; a negative result is an error (-PV_E*, Linux errno
 *   values).  Only ring 0 may call (ring 3 gets -PV_EPERM).  Every other
 *   register is preserved.  Addresses are guest-physical: the kernel
 *   identity-maps its memory, so a kernel pointer is one.
 * Unknown numbers get -PV_ENOSYS and bad arguments -PV_EINVAL/-PV_EFAULT;
 * the VMM counts both (--stats) and the guest runs on.
 */
#ifndef VMLAB_PV_H
#define VMLAB_PV_H

#include <stdint.h>

#define PV_VERSION 1

/* Numbers (EAX). */
#define HC_VERSION       0  /* () -> PV_VERSION                                  */
#define HC_SHARED_PAGE   1  /* (gpa) register the vCPU's shared page (below)     */
#define HC_IRQ_ENABLE    2  /* () "sti" while an IRQ was pending -> 1, else 0   */
#define HC_BLOCK         3  /* () "sti; hlt": IF and virtual IF on, wait for one */
#define HC_CONSOLE_WRITE 4  /* (gpa, len) write len bytes to the console -> len  */
#define HC_SHUTDOWN      5  /* (status) end the VM with status (0-255)           */
#define HC_LOAD_CR3      6  /* (gpa) load CR3 with a page directory              */
#define HC_INVLPG        7  /* (linear address) drop its TLB entry               */
#define HC_MMU_UPDATE    8  /* (gpa, count) a batch of struct pv_mmu_update      */
#define HC_SET_TIMER     9  /* (first_us, period_us, vector) the PV timer (below) */
#define HC_LOAD_GDT      10 /* (base, limit) LGDT: the table must lie in RAM     */
#define HC_LOAD_IDT      11 /* (base, limit) LIDT: the same                      */
#define HC_PIN_TABLE     12 /* (gpa, pin) pin (1) or unpin (0) a page directory  */
#define HC_MAX           12

/* Errors (returned negated). */
#define PV_EPERM  1  /* called from ring 3                      */
#define PV_E2BIG  7  /* a length or count over the limit        */
#define PV_EFAULT 14 /* a buffer outside guest RAM              */
#define PV_EINVAL 22 /* a bad argument (alignment, a frame the guest does not own) */
#define PV_ENOSYS 38 /* no such hypercall                       */

#define PV_CONSOLE_MAX 256 /* bytes per HC_CONSOLE_WRITE                */
#define PV_MMU_MAX     512 /* entries per HC_MMU_UPDATE               */
#define PV_PIN_MAX     128 /* page directories pinned at once         */

/* HC_SET_TIMER: the PV timer, instead of the PIT and the PIC (Xen's
 * VCPUOP_set_singleshot_timer / set_periodic_timer in one call).  After
 * first_us microseconds the VMM delivers interrupt vector (32-255) — no
 * interrupt controller, nothing to acknowledge — then every period_us
 * (0: once, a one-shot timer; else at least PV_TIMER_MIN_US).  first_us 0
 * stops it.  Held back by the virtual IF like any interrupt; periods the
 * guest could not take in time are delivered late, at most one per two
 * periods between the regular ones, up to a second's worth (the PIT's
 * lost-tick policy). */
#define PV_TIMER_MIN_US 100

/* The per-vCPU shared page (lguest's lguest_data, Xen's vcpu_info): a
 * 4 KiB-aligned page of guest RAM that the guest registers with
 * HC_SHARED_PAGE.  cli/sti/pushf/popf become plain accesses to vif; the VMM
 * delivers no interrupt while vif is 0 and sets pending instead, so the
 * guest re-enabling with pending set calls HC_IRQ_ENABLE, and only then. */
struct pv_shared {
    volatile uint32_t vif;     /* the virtual EFLAGS.IF: 1 interrupts on   */
    volatile uint32_t pending; /* VMM: an interrupt waits for vif = 1      */
};

/* One entry of HC_MMU_UPDATE (Xen's mmu_update, with INVLPG folded in):
 * store val into the page-table entry at guest-physical ptr (4-byte
 * aligned, in RAM), then, if va is not PV_NO_INVLPG, drop va's TLB entry.
 * The result is the number of entries done; the first bad one stops the
 * batch with its error.  Refused (02-paravirt/README.md has the table):
 *  - the list: over PV_MMU_MAX entries (-PV_E2BIG), not all in RAM
 *    (-PV_EFAULT), not 4-byte aligned or overlapping the shared page
 *    (-PV_EINVAL);
 *  - an entry: ptr unaligned or outside RAM (-PV_EFAULT), ptr in the shared
 *    page or in the list itself (-PV_EINVAL);
 *  - a present val that maps a frame the guest does not own (-PV_EINVAL):
 *    beyond its RAM (device memory, the VMM's), or, when writable (W=1), a
 *    page-table frame: a pinned page directory or a table one points to
 *    (Xen: page tables are mapped read-only, so only the VMM writes them).
 *    A 4 MiB entry (bit 7) covers all of its frames. */
struct pv_mmu_update {
    uint32_t ptr, val, va;
};
#define PV_NO_INVLPG 0xffffffffu

/* HC_PIN_TABLE (Xen's MMUEXT_PIN_L2_TABLE / MMUEXT_UNPIN_TABLE): the guest
 * tells the VMM which frames are page directories, pin = 1 when it creates
 * an address space, 0 before it frees it.  The directory and every table
 * its present entries point to are page-table frames, which HC_MMU_UPDATE
 * refuses to map writable.  -PV_EINVAL: not an aligned page of RAM, pinned
 * twice, or unpinned when not pinned; -PV_E2BIG: PV_PIN_MAX pinned. */

#endif
