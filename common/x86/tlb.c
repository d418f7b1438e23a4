/*
 * tlb.c — software TLB maintenance (see tlb.h; flush rules SDM Vol. 3A
 * §4.10.4: MOV to CR3 flushes non-global entries, INVLPG one page (all of
 * it, if a 4 MiB page), changes of CR0.PG/WP or CR4.PSE/PGE everything).
 */
#include "x86/tlb.h"

static void invalidate(struct tlb_entry *e)
{
    e->tag_r = e->tag_w = e->tag_x = TLB_INVALID;
    e->global = e->large = e->wcode = false;
}

void tlb_flush_all(struct tlb *t)
{
    for (unsigned i = 0; i < TLB_SIZE; i++)
        invalidate(&t->e[i]);
}

void tlb_flush_nonglobal(struct tlb *t)
{
    for (unsigned i = 0; i < TLB_SIZE; i++)
        if (!t->e[i].global)
            invalidate(&t->e[i]);
}

void tlb_flush_page(struct tlb *t, uint32_t lin)
{
    invalidate(tlb_entry(t, lin));
    /* 4 KiB pieces of a large page live in other slots: find them. */
    for (unsigned i = 0; i < TLB_SIZE; i++) {
        struct tlb_entry *e = &t->e[i];
        if (e->large && ((e->lin ^ lin) >> 22) == 0)
            invalidate(e);
    }
}

void tlb_fill(struct tlb *t, uint32_t lin, uint32_t gpa, uint8_t *host, bool read, bool write,
              bool fetch, bool global, bool large)
{
    struct tlb_entry *e = tlb_entry(t, lin);
    uint32_t page = lin & PAGE_MASK;
    invalidate(e);
    e->lin = page;
    e->gpa = gpa & PAGE_MASK;
    e->global = global;
    e->large = large;
    if (!host)
        return;
    e->addend = (uintptr_t)host - page;
    if (read)
        e->tag_r = page;
    if (write)
        e->tag_w = page;
    if (fetch)
        e->tag_x = page;
}

void tlb_protect_code(struct tlb *t, uint32_t gpa)
{
    for (unsigned i = 0; i < TLB_SIZE; i++)
        if (t->e[i].tag_w != TLB_INVALID && t->e[i].gpa == (gpa & PAGE_MASK)) {
            t->e[i].tag_w = TLB_INVALID;
            t->e[i].wcode = true;
        }
}
