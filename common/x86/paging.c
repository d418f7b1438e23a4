/*
 * paging.c — the 32-bit paging walk, SDM Vol. 3A §4.3 (4 KiB and 4 MiB
 * pages), access rights §4.6, page-fault error code §4.7.
 */
#include <string.h>
#include "x86/paging.h"
#include "x86/cpu.h"
#include "trace/trace.h"

static uint32_t *entry_ptr(struct guest_ram *ram, uint32_t gpa) { return gpa_to_hva(ram, gpa, 4); }

/* Is an access with rights (user, writable) allowed?  §4.6: user accesses
 * need U/S=1 at both levels and, for writes, R/W=1; supervisor writes need
 * R/W=1 only when CR0.WP=1. */
static bool allowed(unsigned acc, bool user, bool writable, uint32_t cr0)
{
    if ((acc & ACC_U) && !user)
        return false;
    if ((acc & ACC_W) && !writable && ((acc & ACC_U) || (cr0 & CR0_WP)))
        return false;
    return true;
}

bool pt_walk(struct guest_ram *ram, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin,
             unsigned acc, struct pt_walk *w)
{
    memset(w, 0, sizeof *w);
    w->lin = lin;
    w->acc = acc;
    uint32_t err = acc & (ACC_W | ACC_U);

    /* Level 1: the page-directory entry, CR3[31:12] | lin[31:22] * 4. */
    uint32_t pde_addr = (cr3 & ~0xfffu) | ((lin >> 22) << 2);
    uint32_t *pdep = entry_ptr(ram, pde_addr);
    uint32_t pde = pdep ? *pdep : 0;
    w->ref[0] = (struct pt_ref){ pde_addr, pde };
    w->nrefs = 1;
    if (!(pde & PTE_P)) {
        w->error_code = err;
        return false;
    }

    if ((pde & PTE_PS) && (cr4 & CR4_PSE)) {
        /* 4 MiB page: bits 21:13 are reserved (no PSE-36 here), §4.3. */
        if (pde & 0x003fe000u) {
            w->error_code = err | PFEC_P | PFEC_RSVD;
            return false;
        }
        w->user = pde & PTE_U;
        w->writable = pde & PTE_W;
        if (!allowed(acc, w->user, w->writable, cr0)) {
            w->error_code = err | PFEC_P;
            return false;
        }
        uint32_t set = PTE_A | ((acc & ACC_W) ? PTE_D : 0);
        if ((pde & set) != set && pdep)
            *pdep = pde |= set;
        w->ref[0].entry = pde;
        w->large = true;
        w->dirty = pde & PTE_D;
        w->global = (pde & PTE_G) && (cr4 & CR4_PGE);
        w->gpa = (pde & 0xffc00000u) | (lin & 0x003fffffu);
        w->ok = true;
        return true;
    }

    /* Level 2: the page-table entry, PDE[31:12] | lin[21:12] * 4. */
    uint32_t pte_addr = (pde & ~0xfffu) | (((lin >> 12) & 0x3ff) << 2);
    uint32_t *ptep = entry_ptr(ram, pte_addr);
    uint32_t pte = ptep ? *ptep : 0;
    w->ref[1] = (struct pt_ref){ pte_addr, pte };
    w->nrefs = 2;
    if (!(pte & PTE_P)) {
        w->error_code = err;
        return false;
    }
    w->user = (pde & PTE_U) && (pte & PTE_U);
    w->writable = (pde & PTE_W) && (pte & PTE_W);
    if (!allowed(acc, w->user, w->writable, cr0)) {
        w->error_code = err | PFEC_P;
        return false;
    }
    /* The translation is used: set Accessed at both levels, Dirty in the
     * PTE on a write (§4.8). */
    if (!(pde & PTE_A) && pdep)
        *pdep = pde |= PTE_A;
    uint32_t set = PTE_A | ((acc & ACC_W) ? PTE_D : 0);
    if ((pte & set) != set && ptep)
        *ptep = pte |= set;
    w->ref[0].entry = pde;
    w->ref[1].entry = pte;
    w->dirty = pte & PTE_D;
    w->global = (pte & PTE_G) && (cr4 & CR4_PGE);
    w->gpa = (pte & ~0xfffu) | (lin & 0xfff);
    w->ok = true;
    return true;
}

void trace_pt_walk(struct trace *t, const struct pt_walk *w, uint32_t eip)
{
    for (int i = 0; i < w->nrefs; i++)
        trace_page_walk(t, 2 - i, w->ref[i].table, w->ref[i].entry, w->lin, eip, false);
    trace_page_walk_result(t, w->lin, w->ok, w->gpa, w->error_code, w->large, eip, false);
}
