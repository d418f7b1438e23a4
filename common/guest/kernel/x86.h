/*
 * x86.h — thin wrappers around the privileged x86 instructions the kernel
 * uses, and the segment selectors of our GDT (kernel/gdt.c).
 */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include <stdint.h>

/* GDT selectors: index << 3 | RPL (SDM Vol. 3A §3.4.2). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE (0x18 | 3)
#define SEL_UDATA (0x20 | 3)
#define SEL_TSS   0x28

#define EFLAGS_IF 0x200

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0,%1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1,%0" : "=a"(v) : "Nd"(port));
    return v;
}
/* Word and doubleword port I/O: one access covers 2 or 4 consecutive
 * ports (SDM Vol. 1 §18.3), e.g. PCI configuration data at 0xCFC. */
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0,%1" ::"a"(v), "Nd"(port));
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1,%0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0,%1" ::"a"(v), "Nd"(port));
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1,%0" : "=a"(v) : "Nd"(port));
    return v;
}
/* String port I/O: n words between memory and one port (REP INSW/OUTSW,
 * SDM Vol. 2A "INS", Vol. 2B "OUTS"), how a PIO disk's data port is read. */
static inline void insw(uint16_t port, void *p, uint32_t n)
{
    __asm__ volatile("cld; rep insw" : "+D"(p), "+c"(n) : "d"(port) : "memory");
}
static inline void outsw(uint16_t port, const void *p, uint32_t n)
{
    __asm__ volatile("cld; rep outsw" : "+S"(p), "+c"(n) : "d"(port) : "memory");
}
#ifdef VMLAB_PV
/* The paravirtual kernel: the same operations as hypercalls and shared
 * memory (pv.h). */
#include "pv.h"
static inline void cli(void) { pv_cli(); }
static inline void sti(void) { pv_sti(); }
static inline void sti_hlt_cli(void) { pv_sti_hlt_cli(); }
#else
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
/* Sleep until the next interrupt: sti's one-instruction interrupt shadow
 * guarantees the wake-up cannot slip in between sti and hlt. */
static inline void sti_hlt_cli(void) { __asm__ volatile("sti; hlt; cli" ::: "memory"); }
#endif
static inline uint32_t read_cr0(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr0,%0" : "=r"(v));
    return v;
}
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0,%%cr0" ::"r"(v) : "memory"); }
static inline uint32_t read_cr2(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr2,%0" : "=r"(v));
    return v;
}
#ifdef VMLAB_PV
static inline void write_cr3(uint32_t v) { pv_write_cr3(v); }
#else
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0,%%cr3" ::"r"(v) : "memory"); }
#endif

#endif
