/*
 * pv_mmu.c — the paravirtual MMU (hypercall.h): HC_MMU_UPDATE, Xen's
 * mmu_update with INVLPG folded in, and HC_PIN_TABLE, Xen's
 * MMUEXT_PIN_L2_TABLE / MMUEXT_UNPIN_TABLE.
 *
 * A paravirtual guest writes its page tables through the VMM, so the VMM
 * can check every entry before it exists: a guest must never map memory
 * it does not own (Xen's mod_l1_entry and get_page_from_l1e, "Xen and the
 * Art of Virtualization", SOSP 2003, §2.1.1 and §3.3.2).  What it owns is
 * the ABI's word (guest/include/vmlab_pv.h): the frames of its RAM, and
 * of those not its page tables writable, since a writable mapping of a
 * page table would let it write any entry without asking.
 *
 * Lab 2 (labs/lab2-paravirt/README.md) asks for the batch and the check.
 */
#include "02-paravirt/hypercall.h"

#include <string.h>
#include "core/lab.h"

#define PAGE        4096u
#define PTE_P       1u
#define PTE_W       2u
#define PTE_ADDR    0xfffff000u
#define PS_BIT      0x80u       /* a 4 MiB page in a directory entry (CR4.PSE) */
#define PDE_4M_ADDR 0xffc00000u /* its frame: bits 31:22 */

/* Do [a, a + alen) and [b, b + blen) overlap (64-bit: no wrap)? */
static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

static bool in_shared(const struct pv_vmm *pv, uint32_t gpa, uint64_t len)
{
    return pv->shared_gpa && overlap(gpa, len, pv->shared_gpa, PAGE);
}

bool pv_page_table_frame(const struct pv_vmm *pv, uint32_t lo, uint32_t len)
{
    struct guest_ram *ram = vm_ram(pv->v->vm);
    for (uint32_t i = 0; i < pv->npinned; i++) {
        uint32_t pd = pv->pinned[i];
        if (overlap(pd, PAGE, lo, len))
            return true;
        const uint32_t *pde = gpa_to_hva(ram, pd, PAGE); /* pinned: in RAM */
        for (uint32_t j = 0; j < 1024; j++) {
            uint32_t e;
            memcpy(&e, &pde[j], 4); /* the guest writes these as we read */
            if ((e & PTE_P) && !(e & PS_BIT) && overlap(e & PTE_ADDR, PAGE, lo, len))
                return true;
        }
    }
    return false;
}

int32_t pv_pin_table(struct pv_vmm *pv, uint32_t gpa, uint32_t pin)
{
    if (gpa & (PAGE - 1))
        return pv_refuse(pv, PVR_UNALIGNED, PV_EINVAL);
    if (!gpa_to_hva(vm_ram(pv->v->vm), gpa, PAGE))
        return pv_refuse(pv, PVR_OUTSIDE_RAM, PV_EINVAL);
    if (pin > 1)
        return pv_refuse(pv, PVR_BAD_ARG, PV_EINVAL);
    uint32_t i = 0;
    while (i < pv->npinned && pv->pinned[i] != gpa)
        i++;
    bool found = i < pv->npinned;
    if (pin == found) /* pinned twice, or unpinned when not pinned */
        return pv_refuse(pv, PVR_PIN, PV_EINVAL);
    if (!pin) {
        pv->pinned[i] = pv->pinned[--pv->npinned];
        return 0;
    }
    if (pv->npinned == PV_PIN_MAX)
        return pv_refuse(pv, PVR_PIN, PV_E2BIG);
    pv->pinned[pv->npinned++] = gpa;
    return 0;
}

/*
 * May the guest store u->val into the entry at u->ptr?  0, or the
 * refusal (pv_refuse) of the first rule it breaks (vmlab_pv.h, "One entry
 * of HC_MMU_UPDATE"); list/count locate the batch, which an entry may not
 * rewrite.  The rules, in this order:
 *   1. ptr 4-byte aligned, else PVR_UNALIGNED, -PV_EFAULT;
 *   2. the word at ptr in RAM (gpa_to_hva), else PVR_OUTSIDE_RAM, -PV_EFAULT;
 *   3. ptr not in the shared page (the VMM writes it: PVR_SHARED_PAGE) nor
 *      in the batch itself (PVR_SELF), else -PV_EINVAL;
 *   4. a present val (PTE_P) maps frames of RAM only: 4 KiB at
 *      val & PTE_ADDR, or with PS_BIT 4 MiB at val & PDE_4M_ADDR (SDM Vol. 3A
 *      Table 4-5); else PVR_NOT_OWNED, -PV_EINVAL;
 *   5. a present and writable val (PTE_W) maps no page-table frame
 *      (pv_page_table_frame), else PVR_PAGE_TABLE, -PV_EINVAL.
 * A not-present entry may hold anything: the CPU ignores its other bits.
 */
static int32_t mmu_check(struct pv_vmm *pv, const struct pv_mmu_update *u, uint32_t list,
                         uint32_t count)
{
    struct guest_ram *ram = vm_ram(pv->v->vm);
    /* LAB 2 BEGIN: check one page-table entry before it is written */
    if (u->ptr & 3)
        return pv_refuse(pv, PVR_UNALIGNED, PV_EFAULT);
    if (!gpa_to_hva(ram, u->ptr, 4))
        return pv_refuse(pv, PVR_OUTSIDE_RAM, PV_EFAULT);
    if (in_shared(pv, u->ptr, 4))
        return pv_refuse(pv, PVR_SHARED_PAGE, PV_EINVAL);
    if (overlap(u->ptr, 4, list, (uint64_t)count * sizeof *u))
        return pv_refuse(pv, PVR_SELF, PV_EINVAL);
    if (!(u->val & PTE_P))
        return 0;
    uint32_t frame = u->val & ((u->val & PS_BIT) ? PDE_4M_ADDR : PTE_ADDR);
    uint32_t size = (u->val & PS_BIT) ? (4u << 20) : PAGE;
    if (!gpa_to_hva(ram, frame, size))
        return pv_refuse(pv, PVR_NOT_OWNED, PV_EINVAL);
    if ((u->val & PTE_W) && pv_page_table_frame(pv, frame, size))
        return pv_refuse(pv, PVR_PAGE_TABLE, PV_EINVAL);
    return 0;
    /* LAB 2 STUB: (void)ram; (void)u; (void)list; (void)count; */
    /* LAB 2 END */
}

/* Store one checked entry: the write, then what the CPU would forget. */
static void mmu_apply(struct pv_vmm *pv, const struct pv_mmu_update *u)
{
    uint32_t *pte = gpa_to_hva(vm_ram(pv->v->vm), u->ptr, 4);
    memcpy(pte, &u->val, 4);
    pv->ops->invalidate(pv->v, u->ptr, 4); /* code decoded from it, if any */
    if (u->va != PV_NO_INVLPG)
        pv->ops->invlpg(pv->v, u->va);
    pv->st.pte_updates++;
}

/*
 * HC_MMU_UPDATE(list, count): the batch at guest-physical list, count
 * entries of struct pv_mmu_update.  The list itself first (vmlab_pv.h):
 *   count over PV_MMU_MAX: PVR_TOO_BIG, -PV_E2BIG (before any arithmetic
 *   on it, so count * 12 cannot wrap); count 0: 0, whatever list is;
 *   list not 4-byte aligned: PVR_UNALIGNED, -PV_EINVAL;
 *   list not all in RAM: PVR_OUTSIDE_RAM, -PV_EFAULT;
 *   list overlapping the shared page: PVR_SHARED_PAGE, -PV_EINVAL.
 * Then each entry in order: copied out of guest memory once (another vCPU
 * could change it between the check and the write), checked (mmu_check),
 * applied (mmu_apply).  The first refused entry ends the batch with its
 * error; the entries before it stay done.  Else the result is count.
 */
int32_t pv_mmu_update(struct pv_vmm *pv, uint32_t list, uint32_t count)
{
    /* LAB 2 BEGIN: validate the batch, then check and apply each entry */
    if (count > PV_MMU_MAX)
        return pv_refuse(pv, PVR_TOO_BIG, PV_E2BIG);
    if (count == 0)
        return 0;
    if (list & 3)
        return pv_refuse(pv, PVR_UNALIGNED, PV_EINVAL);
    uint64_t len = (uint64_t)count * sizeof(struct pv_mmu_update);
    const uint8_t *req = gpa_to_hva(vm_ram(pv->v->vm), list, len);
    if (!req)
        return pv_refuse(pv, PVR_OUTSIDE_RAM, PV_EFAULT);
    if (in_shared(pv, list, len))
        return pv_refuse(pv, PVR_SHARED_PAGE, PV_EINVAL);
    for (uint32_t i = 0; i < count; i++) {
        struct pv_mmu_update u;
        memcpy(&u, req + i * sizeof u, sizeof u);
        int32_t r = mmu_check(pv, &u, list, count);
        if (r < 0)
            return r;
        mmu_apply(pv, &u);
    }
    return (int32_t)count;
    /* LAB 2 STUB: (void)pv; (void)list; (void)count; */
    /* LAB 2 STUB: (void)mmu_check; (void)mmu_apply; (void)in_shared; */
    /* LAB 2 END */
}
