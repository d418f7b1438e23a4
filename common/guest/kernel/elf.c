/*
 * elf.c — load an ELF32 executable (System V ABI, Intel386 supplement):
 * check the identification bytes, then copy every PT_LOAD segment into
 * fresh frames mapped at its p_vaddr in a new address space, zero-filling
 * the part beyond p_filesz (.bss).  Segments must lie between USER_ELF_MIN
 * and USER_HEAP_BASE so they cannot cover the kernel, heap or stack.
 */
#include "elf.h"
#include "mm.h"
#include "program.h"
#include "vmlab_abi.h"

struct elf32_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version, entry, phoff, shoff, flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf32_phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};
#define PT_LOAD 1
#define PF_W    2
#define ET_EXEC 2
#define EM_386  3

static int fail(char *why, uint32_t len, const char *s)
{
    uint32_t i = 0;
    for (; s[i] && i + 1 < len; i++)
        why[i] = s[i];
    if (len)
        why[i] = '\0';
    return -1;
}

static int check(const struct elf32_ehdr *eh, uint32_t size, char *why, uint32_t len)
{
    if (size < sizeof *eh || eh->ident[0] != 0x7F || eh->ident[1] != 'E' || eh->ident[2] != 'L' ||
        eh->ident[3] != 'F')
        return fail(why, len, "bad magic");
    if (eh->ident[4] != 1)
        return fail(why, len, "not ELFCLASS32");
    if (eh->ident[5] != 1)
        return fail(why, len, "not little-endian");
    if (eh->machine != EM_386)
        return fail(why, len, "e_machine is not EM_386");
    if (eh->type != ET_EXEC)
        return fail(why, len, "not ET_EXEC");
    if (eh->phentsize != sizeof(struct elf32_phdr) || eh->phnum == 0 || eh->phoff > size ||
        (uint32_t)eh->phnum * sizeof(struct elf32_phdr) > size - eh->phoff)
        return fail(why, len, "bad program headers");
    const struct elf32_phdr *ph = (const void *)((const uint8_t *)eh + eh->phoff);
    int loads = 0, entry_ok = 0;
    for (int i = 0; i < eh->phnum; i++) {
        if (ph[i].type != PT_LOAD)
            continue;
        loads++;
        uint32_t end = ph[i].vaddr + ph[i].memsz;
        if (ph[i].filesz > ph[i].memsz || ph[i].offset > size || ph[i].filesz > size - ph[i].offset)
            return fail(why, len, "segment outside the file");
        if (ph[i].vaddr < USER_ELF_MIN || end < ph[i].vaddr || end > USER_HEAP_BASE)
            return fail(why, len, "PT_LOAD outside user space 0x08000000-0x40000000");
        if (eh->entry >= ph[i].vaddr && eh->entry < end)
            entry_ok = 1;
    }
    if (!loads)
        return fail(why, len, "no PT_LOAD segment");
    if (!entry_ok)
        return fail(why, len, "entry point outside the loaded segments");
    return 0;
}

int elf_load(uint32_t start, uint32_t end, uint32_t *cr3_out, uint32_t *entry, char *why,
             uint32_t len)
{
    const struct elf32_ehdr *eh = (const void *)start;
    uint32_t size = end - start;
    if (check(eh, size, why, len))
        return -1;
    uint32_t cr3 = as_create();
    if (!cr3)
        return fail(why, len, "out of memory");
    const struct elf32_phdr *ph = (const void *)(start + eh->phoff);
    for (int i = 0; i < eh->phnum; i++) {
        if (ph[i].type != PT_LOAD)
            continue;
        uint32_t flags = PTE_U | ((ph[i].flags & PF_W) ? PTE_W : 0);
        for (uint32_t va = ph[i].vaddr & ~(PAGE_SIZE - 1); va < ph[i].vaddr + ph[i].memsz;
             va += PAGE_SIZE) {
            uint32_t *pte = pte_of(cr3, va, 1);
            if (!pte)
                goto oom;
            if (!(*pte & PTE_P)) { /* segments may share a page */
                uint32_t pa = frame_alloc();
                if (!pa)
                    goto oom;
                *pte = pa | PTE_P;
            }
            *pte |= flags;
            /* Copy the file bytes that fall into this page (the frame is
             * identity mapped, so its physical address is usable). */
            uint32_t lo = va > ph[i].vaddr ? va : ph[i].vaddr;
            uint32_t hi = va + PAGE_SIZE;
            if (hi > ph[i].vaddr + ph[i].filesz)
                hi = ph[i].vaddr + ph[i].filesz;
            if (lo < hi)
                __builtin_memcpy((void *)(PTE_ADDR(*pte) + (lo - va)),
                                 (const void *)(start + ph[i].offset + (lo - ph[i].vaddr)),
                                 hi - lo);
        }
    }
    *cr3_out = cr3;
    *entry = eh->entry;
    return 0;
oom:
    as_destroy(cr3);
    return fail(why, len, "out of memory");
}
