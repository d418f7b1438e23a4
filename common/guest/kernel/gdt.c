/*
 * gdt.c — the Global Descriptor Table: flat 4 GiB code and data segments
 * for ring 0 and ring 3 (paging does all the protection), plus one Task
 * State Segment whose only job is to tell the CPU which stack to use when
 * an interrupt or `int 0x80` arrives from ring 3 (TSS.ESP0/SS0).
 */
#include "gdt.h"
#include "x86.h"

struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
};

static struct tss tss;
static uint64_t gdt[6];

/* Build a segment descriptor: base, limit (in 4 KiB units when G=1),
 * access byte (P, DPL, S, type) and flags nibble (G, D/B). */
static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (limit & 0xFFFFull) | ((uint64_t)(base & 0xFFFFFF) << 16) | ((uint64_t)access << 40) |
           ((uint64_t)((limit >> 16) & 0xF) << 48) | ((uint64_t)(flags & 0xF) << 52) |
           ((uint64_t)(base >> 24) << 56);
}

void gdt_load(const void *gdtr); /* trapasm.S */

void gdt_init(void)
{
    /* The accessed bit (type bit 0) is set from the start, as Linux does:
     * otherwise the CPU sets it with a locked write on the first segment
     * load (SDM Vol. 3A §3.4.5.1), and whether an emulator bothers shows
     * up in `sensitive`'s LAR observations instead of what matters. */
    gdt[0] = 0;
    gdt[1] = seg_desc(0, 0xFFFFF, 0x9B, 0xC); /* 0x08 ring-0 code, execute/read */
    gdt[2] = seg_desc(0, 0xFFFFF, 0x93, 0xC); /* 0x10 ring-0 data, read/write   */
    gdt[3] = seg_desc(0, 0xFFFFF, 0xFB, 0xC); /* 0x1B ring-3 code               */
    gdt[4] = seg_desc(0, 0xFFFFF, 0xF3, 0xC); /* 0x23 ring-3 data               */
    tss.ss0 = SEL_KDATA;
    tss.iomap_base = sizeof tss; /* no I/O bitmap: ring 3 gets #GP */
    gdt[5] = seg_desc((uint32_t)&tss, sizeof tss - 1, 0x89, 0x0); /* 0x28 32-bit TSS */

    struct {
        uint16_t limit;
        uint32_t base;
    } __attribute__((packed)) gdtr = { sizeof gdt - 1, (uint32_t)gdt };
#ifdef VMLAB_PV
    hypercall3(HC_LOAD_GDT, gdtr.base, gdtr.limit, 0); /* then the segment reloads */
#endif
    gdt_load(&gdtr);
    __asm__ volatile("ltr %w0" ::"r"(SEL_TSS));
}

void tss_set_esp0(uint32_t esp0) { tss.esp0 = esp0; }
