/*
 * ept.c — the EPT walk (SDM Vol. 3C §29.3.2), its misconfigurations
 * (§29.3.3.1) and violations (§29.3.3.2), accessed and dirty flags
 * (§29.3.5), and the VMM building its tables.  See ept.h.
 */
#include <stdlib.h>
#include <string.h>
#include "04-memory/ept.h"
#include "core/lab.h"

int ept_mem_init(struct ept_mem *m, struct guest_ram *ram, unsigned pages)
{
    memset(m, 0, sizeof *m);
    m->ram = ram;
    m->pool = aligned_alloc(4096, (size_t)pages * 4096);
    if (!m->pool)
        return -1;
    memset(m->pool, 0, (size_t)pages * 4096);
    m->npool = pages;
    return 0;
}

void ept_mem_fini(struct ept_mem *m)
{
    free(m->pool);
    m->pool = NULL;
}

uint64_t *ept_mem_entry(struct ept_mem *m, uint64_t hpa)
{
    if (hpa & 7)
        return NULL;
    if (hpa >= EPT_POOL_HPA && hpa - EPT_POOL_HPA < (uint64_t)m->used * 4096)
        return (uint64_t *)(m->pool + (hpa - EPT_POOL_HPA));
    return gpa_to_hva(m->ram, hpa, 8);
}

uint64_t ept_mem_alloc(struct ept_mem *m)
{
    if (m->used == m->npool)
        return 0;
    return EPT_POOL_HPA + (uint64_t)m->used++ * 4096;
}

/* Bits 51:39, above the model's physical-address width (bits 63:52 are
 * ignored or, bit 63, "suppress #VE": not reserved). */
#define RSVD_HIGH (((1ull << 52) - 1) & ~((1ull << EPT_MAXPHY) - 1))

/* Why a present entry at level (4 = PML4E ... 1 = PTE) cannot be used,
 * or NULL (SDM Vol. 3C §29.3.3.1): write permission without read (bits
 * 2:0 = 010b or 110b); a reserved bit set: bits 51:39 (RSVD_HIGH, beyond
 * the model's 39-bit physical-address width), bits 7:3 of a PML4E, bit 7
 * of a PDPTE (this CPU offers no 1-GByte pages), bits 6:3 of any other
 * non-leaf entry, bits 20:12 of a PDE that maps a 2-MByte page; or, in a
 * leaf, the memory type (bits 5:3) 2, 3 or 7.  The strings below are
 * what the VMM prints; return the first rule the entry breaks. */
static const char *misconfigured(uint64_t e, int level, bool leaf)
{
    /* LAB 4 BEGIN: the misconfiguration rules of a present EPT entry */
    if ((e & EPT_W) && !(e & EPT_R))
        return "write permission without read (bits 2:0 = 010b or 110b)";
    if (e & RSVD_HIGH)
        return "reserved address bits 51:39 set (beyond the physical-address width)";
    if (level == 4 && (e & 0xf8))
        return "reserved bits 7:3 of a PML4 entry set";
    if (level == 3 && (e & EPT_PS))
        return "bit 7 of a PDPT entry set (1-GByte pages are not supported)";
    if (!leaf && (e & 0x78))
        return "reserved bits 6:3 of a non-leaf entry set";
    if (level == 2 && leaf && (e & 0x1ff000))
        return "reserved bits 20:12 of a 2-MByte page entry set";
    unsigned mt = (e >> 3) & 7;
    if (leaf && (mt == 2 || mt == 3 || mt == 7))
        return "reserved memory type (bits 5:3 = 2, 3 or 7)";
    return NULL;
    /* LAB 4 STUB: (void)e; (void)level; (void)leaf; */
    /* LAB 4 END */
}

/* The walk (SDM Vol. 3C §29.3.2), reference by reference: from the PML4
 * table at EPTP bits 38:12, level 4 down to 1, the entry at table +
 * 8 x (gpa bits 47:39, 38:30, 29:21, 20:12); ept_mem_entry gives its host
 * address (NULL: no memory there, read as all ones).  Record every entry
 * read in w->ref[] (w->nrefs).  Bits 2:0 all 0: not present, a violation
 * with w->perm = 0.  Else misconfigured() may say why it is unusable (a
 * misconfiguration, w->why).  w->perm is the AND of R/W/X over the entries
 * read; a leaf (level 1, or level 2 with bit 7) gives w->hpa (bits 38:12
 * or, for 2 MiB, 38:21 of the entry, plus the offset); a non-leaf names
 * the next table (bits 38:12).  An access acc the permissions do not
 * allow is a violation.  With EPTP bit 6 (EPTP_AD) and the access allowed,
 * set A (bit 8) in every entry used and D (bit 9) in the leaf on a write,
 * as §29.3.5 says, and keep w->ref[] and w->dirty up to date.  Return and
 * store in w->result: EPT_OK, EPT_VIOLATION or EPT_MISCONFIG. */
int ept_walk(struct ept_mem *m, uint64_t eptp, uint64_t gpa, unsigned acc, struct ept_walk *w)
{
    memset(w, 0, sizeof *w);
    w->gpa = gpa;
    w->acc = acc;
    /* LAB 4 BEGIN: walk the EPT: four levels, permissions, A and D flags */
    uint64_t *ptr[4];
    w->perm = EPT_RWX;
    uint64_t table = eptp & EPT_ADDR;
    for (int level = 4; level >= 1; level--) {
        uint64_t hpa = table + ((gpa >> (12 + 9 * (level - 1))) & 511) * 8;
        uint64_t *p = ept_mem_entry(m, hpa);
        uint64_t e = p ? *p : ~0ull; /* no memory there: all ones */
        ptr[w->nrefs] = p;
        w->ref[w->nrefs++] = (struct ept_ref){ hpa, e };
        if (!(e & EPT_RWX)) { /* not present: a violation (§29.3.3.2) */
            w->perm = 0;
            return w->result = EPT_VIOLATION;
        }
        bool leaf = level == 1 || (level == 2 && (e & EPT_PS));
        if ((w->why = misconfigured(e, level, leaf)) != NULL)
            return w->result = EPT_MISCONFIG;
        w->perm &= (unsigned)(e & EPT_RWX);
        if (leaf) {
            uint64_t off = level == 1 ? 0xfff : 0x1fffff;
            w->hpa = ((e & EPT_ADDR) & ~off) | (gpa & off);
            break;
        }
        table = e & EPT_ADDR;
    }
    if (acc & ~w->perm)
        return w->result = EPT_VIOLATION;
    if (eptp & EPTP_AD) { /* §29.3.5: A on every entry used, D on a write */
        for (int i = 0; i < w->nrefs; i++) {
            uint64_t set = EPT_A | (i == w->nrefs - 1 && (acc & EPT_W) ? EPT_D : 0);
            if (ptr[i] && (*ptr[i] & set) != set)
                *ptr[i] |= set;
            if (ptr[i])
                w->ref[i].entry = *ptr[i];
        }
        w->dirty = w->ref[w->nrefs - 1].entry & EPT_D;
    }
    return w->result = EPT_OK;
    /* LAB 4 STUB: (void)m; (void)eptp; (void)misconfigured; */
    /* LAB 4 END */
}

static uint64_t *walk_to_leaf(struct ept_mem *m, uint64_t eptp, uint64_t gpa, bool build)
{
    uint64_t table = eptp & EPT_ADDR;
    for (int level = 4; level > 1; level--) {
        uint64_t *p = ept_mem_entry(m, table + ((gpa >> (12 + 9 * (level - 1))) & 511) * 8);
        if (!p)
            return NULL;
        if (!(*p & EPT_RWX)) {
            uint64_t page = build ? ept_mem_alloc(m) : 0;
            if (!page)
                return NULL;
            *p = page | EPT_RWX; /* non-leaf: everything, the leaf decides */
        }
        if (*p & EPT_PS)
            return NULL; /* a 2 MiB page: the VMM builds 4 KiB leaves only */
        table = *p & EPT_ADDR;
    }
    return ept_mem_entry(m, table + ((gpa >> 12) & 511) * 8);
}

int ept_map(struct ept_mem *m, uint64_t eptp, uint64_t gpa, uint64_t hpa, uint64_t perm)
{
    uint64_t *leaf = walk_to_leaf(m, eptp, gpa, true);
    if (!leaf)
        return -1;
    *leaf = (hpa & EPT_ADDR) | EPT_MT(EPT_MT_WB) | (perm & EPT_RWX);
    return 0;
}

uint64_t *ept_leaf(struct ept_mem *m, uint64_t eptp, uint64_t gpa)
{
    uint64_t *leaf = walk_to_leaf(m, eptp, gpa, false);
    return leaf && (*leaf & EPT_RWX) ? leaf : NULL;
}
