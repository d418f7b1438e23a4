/*
 * hypercall.h — the VMM side of paravirtualization (stage 02): the guest
 * calls the VMM with VMCALL (exit reason 18, SDM Vol. 3C Table C-1) instead
 * of executing a sensitive instruction, and shares one page per vCPU with
 * it.  The ABI (numbers, registers, errors, the shared page) is
 * guest/include/vmlab_pv.h, which the PV guest includes too.
 *
 * pv_attach installs the hypercall handler as the stage's exit handler
 * (core/vm.h) and the shared page's virtual IF as the interrupt gate, so it
 * works on any engine whose VMCALL leaves as exit 18 and that reloads the
 * CPU state on its next run.  What the VMM cannot do through struct x86_cpu
 * (drop one TLB entry, forget translated code) the engine does through
 * struct pv_cpu_ops.
 */
#ifndef PARAVIRT_HYPERCALL_H
#define PARAVIRT_HYPERCALL_H

#include <stdint.h>
#include <stdio.h>
#include "core/vm.h"
#include "guest/include/vmlab_pv.h"

struct pv_cpu_ops {
    /* INVLPG for the guest: drop the translation of lin. */
    void (*invlpg)(struct vcpu *v, uint32_t lin);
    /* The VMM wrote guest RAM [gpa, gpa+len): forget code decoded there. */
    void (*invalidate)(struct vcpu *v, uint32_t gpa, uint32_t len);
    /* A CR3 load for the guest: drop every non-global translation, even
     * when CR3 keeps its value (SDM Vol. 3A §4.10.4.1). */
    void (*flush_tlb)(struct vcpu *v);
};

/* Why a hypercall was refused (--stats counts each): the bad input a
 * hostile or buggy guest can give, each answered with its error
 * (02-paravirt/README.md, "Bad input"), never a crash of the VMM. */
enum pv_refusal {
    PVR_RING3,       /* called from ring 3: -PV_EPERM                        */
    PVR_UNKNOWN,     /* no such number: -PV_ENOSYS                           */
    PVR_TOO_BIG,     /* a length or count over its limit: -PV_E2BIG          */
    PVR_OUTSIDE_RAM, /* a buffer or entry not all in RAM (wild): -PV_EFAULT  */
    PVR_UNALIGNED,   /* a list, entry or page not aligned                    */
    PVR_NOT_OWNED,   /* a present entry maps a frame beyond RAM: -PV_EINVAL  */
    PVR_PAGE_TABLE,  /* a writable entry maps a page-table frame: -PV_EINVAL */
    PVR_SHARED_PAGE, /* a list or entry in the shared page: -PV_EINVAL       */
    PVR_SELF,        /* a batch entry that rewrites the batch: -PV_EINVAL    */
    PVR_PIN,         /* pinned twice, not pinned, or too many pinned         */
    PVR_NO_SHARED,   /* needs the shared page, none registered: -PV_EINVAL   */
    PVR_BAD_ARG,     /* any other argument out of its range: -PV_EINVAL      */
    PVR_COUNT
};

struct pv_stats {
    uint64_t calls[HC_MAX + 1];  /* hypercalls by number                  */
    uint64_t unknown;            /* numbers above HC_MAX: -PV_ENOSYS        */
    uint64_t errors[HC_MAX + 1]; /* of calls[], answered with an error    */
    uint64_t refused[PVR_COUNT]; /* every error answer, by its reason      */
    uint64_t held;               /* interrupts held back by vif = 0         */
    uint64_t released;           /* HC_IRQ_ENABLE that found one pending    */
    uint64_t pte_updates;        /* HC_MMU_UPDATE entries done              */
    uint64_t console_bytes;
    uint64_t timer_irqs;    /* PV timer interrupts delivered          */
    uint64_t timer_late;    /* of those, periods owed and delivered late */
    uint64_t timer_dropped; /* periods over the one-second backlog     */
};

struct pv_vmm {
    struct vcpu *v;
    const struct pv_cpu_ops *ops;
    uint32_t shared_gpa;    /* 0: no shared page registered yet */
    uint64_t timer_sched;   /* VM clock (ns) of the PV timer's next period, UINT64_MAX: off */
    uint64_t timer_period;  /* ns, 0: one-shot */
    uint64_t timer_owed;    /* periods that passed unseen, delivered late */
    uint64_t timer_owed_at; /* when the next owed one is due */
    uint8_t timer_vector;
    uint32_t pinned[PV_PIN_MAX]; /* page directories (HC_PIN_TABLE), npinned of them */
    uint32_t npinned;
    vm_exit_handler_fn *next; /* the handler installed before ours, for other exits */
    void *next_ctx;
    struct pv_stats st;
};

/* Make v's VM a paravirtual one: its VMCALL exits are hypercalls; any other
 * exit goes to the exit handler installed before (stage 03's), if any.  0,
 * or -1 with a one-line reason in err.  pv_detach frees what pv_attach
 * made. */
int pv_attach(struct vcpu *v, const struct pv_cpu_ops *ops, char *err, size_t errlen);
void pv_detach(struct vcpu *v);
/* One VMCALL exit: the exit handler pv_attach installs (vm_exit_handler_fn). */
int pv_handle_exit(void *ctx, struct vcpu *v, struct vm_exit *exit);
/* An error answer of a hypercall: counts it under why and returns -err. */
int32_t pv_refuse(struct pv_vmm *pv, enum pv_refusal why, int32_t err);
/* Is any frame of [lo, lo + len) a page-table frame: a pinned page
 * directory, or a table a present entry of one points to? */
bool pv_page_table_frame(const struct pv_vmm *pv, uint32_t lo, uint32_t len);
/* HC_MMU_UPDATE and HC_PIN_TABLE (pv_mmu.c). */
int32_t pv_mmu_update(struct pv_vmm *pv, uint32_t list, uint32_t count);
int32_t pv_pin_table(struct pv_vmm *pv, uint32_t gpa, uint32_t pin);
/* The "pv:" lines of --stats. */
void pv_print_stats(const struct vcpu *v, FILE *out);
const char *pv_hypercall_name(uint32_t nr);

#endif
