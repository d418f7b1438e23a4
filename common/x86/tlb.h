/*
 * tlb.h — the interpreter's software TLB.
 *
 * Like the hardware TLB it caches translations so that most accesses skip
 * the page walk (SDM Vol. 3A §4.10); unlike it, an entry holds the HOST
 * address of the guest page, so a hit is one compare and one load/store.
 * Direct-mapped on linear-address bits 21:12.  An entry has one tag per kind
 * of access (read, write, fetch): a tag equals the linear page address when
 * that access is allowed without a walk, and TLB_INVALID otherwise.  The
 * write tag stays invalid while the page is not yet dirty (the first write
 * walks and sets D) and while the page holds decoded code (the store must
 * take the slow path that invalidates the code, see interp.c).
 * The interpreter keeps two TLBs, one for CPL 0-2 and one for CPL 3, since
 * the U/S check differs (QEMU calls this the MMU index).
 */
#ifndef X86_TLB_H
#define X86_TLB_H

#include <stdint.h>
#include <stdbool.h>

#define TLB_BITS    10
#define TLB_SIZE    (1u << TLB_BITS)
#define TLB_INVALID 1u /* never equal to a page-aligned address */
#define PAGE_MASK   0xfffff000u

struct tlb_entry {
    uint32_t tag_r, tag_w, tag_x;
    uint32_t lin, gpa;  /* linear and guest-physical page       */
    uintptr_t addend;   /* host address = addend + linear       */
    bool global, large; /* G page (survives CR3 loads), 4 MiB   */
    bool wcode;         /* writable, but the page holds code     */
};

struct tlb {
    struct tlb_entry e[TLB_SIZE];
};

static inline struct tlb_entry *tlb_entry(struct tlb *t, uint32_t lin)
{
    return &t->e[(lin >> 12) & (TLB_SIZE - 1)];
}

void tlb_flush_all(struct tlb *t);
/* A CR3 load: everything but global pages (SDM Vol. 3A §4.10.4.1). */
void tlb_flush_nonglobal(struct tlb *t);
/* INVLPG lin: its 4 KiB entry, and every entry of a 4 MiB page holding it. */
void tlb_flush_page(struct tlb *t, uint32_t lin);
/* Fill the entry for lin.  host is the host address of the guest page (NULL
 * for a page outside RAM: all tags stay invalid, every access goes slow). */
void tlb_fill(struct tlb *t, uint32_t lin, uint32_t gpa, uint8_t *host, bool read, bool write,
              bool fetch, bool global, bool large);
/* Guest-physical page gpa now holds decoded code: drop its write tags. */
void tlb_protect_code(struct tlb *t, uint32_t gpa);

#endif
