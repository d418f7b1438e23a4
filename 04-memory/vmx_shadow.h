/*
 * vmx_shadow.h — "--engine vmx --mmu shadow" of vmm-mem: shadow page tables
 * on the VMX model, as a VT-x VMM keeps them without EPT (KVM's shadow
 * MMU, arch/x86/kvm/mmu): the CPU walks tables the VMM builds, and the
 * VMM learns of every change to the guest's tables through VM exits.
 *
 *   CR3-load exiting    a guest MOV to CR3 exits (reason 28); the VMM
 *                       switches to the shadow address space it keeps for
 *                       that CR3 (cached, at most --shadow-cache N, the
 *                       least recently used evicted and counted) or starts
 *                       an empty one;
 *   #PF exiting         every page fault exits (exception bitmap bit 14,
 *                       reason 0); the VMM walks the guest's tables: if
 *                       the guest maps the page, it fills the shadow entry
 *                       and resumes (a hidden fault, "shadow sync"), else
 *                       it injects the guest's own #PF (a true fault);
 *   write protection    every guest page directory and page table a
 *                       shadow was built from is mapped read-only in every
 *                       shadow, so a guest store to it faults and exits
 *                       too: the VMM drops the shadow entries the written
 *                       entry produced and lets the store complete (KVM
 *                       emulates it); they refill at the next fault;
 *   INVLPG exiting      INVLPG exits (reason 14); the VMM drops the entry;
 *   CR0.PG, CR4.PSE/PGE owned by the VMM (guest/host masks): a change
 *                       exits and drops every shadow.  Without unrestricted
 *                       guest the CPU's CR0.PG stays 1; the shadow of
 *                       "paging off" is the identity map.
 *
 * Shadow entries map guest pages writable only once the guest's D bit is
 * set, so the first write faults and the VMM sets D in the guest's entry,
 * as the CPU would.  Simplification: the model keeps the guest's value in
 * CR3 and finds the shadow from it; on VT-x GUEST_CR3 holds the shadow
 * root and CR3-store exiting hides it.
 */
#ifndef MEM_VMX_SHADOW_H
#define MEM_VMX_SHADOW_H

#include <stddef.h>
#include "core/engine.h"

/* Start stage 03's VMX model on v with shadow paging (the engine's init). */
int vmx_shadow_init(struct vcpu *v, char *err, size_t len);

#endif
