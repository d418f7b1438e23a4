/*
 * x86_harness.h — a tiny protected-mode machine for the interpreter's unit
 * tests: RAM, a GDT (flat ring-0 and ring-3 segments, a TSS), an IDT whose
 * every vector points to a HLT stub, and helpers to load 32-bit snippets
 * (assembled with .code32 in x86_snippets.S) and run them.
 *
 *   0x01000 GDT   0x02000 IDT   0x03000 TSS (ESP0 = 0x80000)
 *   0x04000 handler stubs: vector v at 0x4000 + 4*v ("hlt" + 3 nops)
 *   0x04800 "iret" stub, 0x04810 "add $4,%esp; iret" (pops an error code)
 *   0x10000 ring-0 code  0x20000 data  0x7f000 ring-0 stack top at entry
 *   0x30000 ring-3 code  0x60000 ring-3 stack top
 * A run ends in a stub HLT: tm_vector() says which vector was delivered.
 */
#ifndef X86_HARNESS_H
#define X86_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "x86/interp.h"
#include "x86/paging.h"

#define RAM_SIZE  (8u << 20)
#define GDT       0x1000u
#define IDT       0x2000u
#define TSS       0x3000u
#define STUBS     0x4000u
#define IRET_STUB 0x4800u
#define IRET_ERR  0x4810u
#define CODE      0x10000u
#define DATA      0x20000u
#define UCODE     0x30000u
#define USTACK    0x60000u
#define KSTACK    0x7f000u
#define ESP0      0x80000u
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1b
#define SEL_UDATA 0x23
#define SEL_TSS   0x28

#define SNIP(name)     extern const uint8_t snip_##name[], snip_##name##_end[]
#define SNIP_LEN(name) ((size_t)(snip_##name##_end - snip_##name))

struct tm {
    struct guest_ram ram;
    struct x86_cpu cpu;
    struct interp *ip;
    struct vm_exit exit;
    /* a fake interrupt controller for the hooks */
    bool irq_line;
    int irq_vector, acks;
};

static inline uint8_t *tm_mem(struct tm *t, uint32_t gpa) { return t->ram.host + gpa; }
static inline uint32_t tm_rd32(struct tm *t, uint32_t gpa)
{
    uint32_t v;
    memcpy(&v, tm_mem(t, gpa), 4);
    return v;
}
static inline void tm_wr32(struct tm *t, uint32_t gpa, uint32_t v)
{
    memcpy(tm_mem(t, gpa), &v, 4);
}

static inline void tm_desc(struct tm *t, int idx, uint32_t base, uint32_t limit, uint8_t access,
                           uint8_t flags)
{
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | ((uint32_t)access << 8) | (limit & 0xf0000) |
                  ((uint32_t)flags << 20) | (base & 0xff000000u);
    tm_wr32(t, GDT + idx * 8, lo);
    tm_wr32(t, GDT + idx * 8 + 4, hi);
}

/* IDT gate: type 0xe interrupt / 0xf trap, dpl. */
static inline void tm_gate(struct tm *t, int vec, uint32_t off, int type, int dpl)
{
    tm_wr32(t, IDT + vec * 8, (off & 0xffff) | (SEL_KCODE << 16));
    tm_wr32(t, IDT + vec * 8 + 4, (off & 0xffff0000u) | 0x8000 | (dpl << 13) | (type << 8));
}

static inline void tm_flat(struct x86_seg *s, uint16_t sel, uint8_t access)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->attr = access | 0xc00; /* D/B=1, G=1 */
}

static inline bool tm_irq_pending(void *o) { return ((struct tm *)o)->irq_line; }
static inline int tm_irq_ack(void *o)
{
    struct tm *t = o;
    t->irq_line = false;
    t->acks++;
    return t->irq_vector;
}

static inline void tm_ring0(struct tm *t)
{
    tm_flat(&t->cpu.seg[S_CS], SEL_KCODE, 0x9b);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            tm_flat(&t->cpu.seg[s], SEL_KDATA, 0x93);
    t->cpu.gpr[R_ESP] = KSTACK;
    t->cpu.halted = false;
}

static inline void tm_ring3(struct tm *t, uint32_t eip)
{
    tm_flat(&t->cpu.seg[S_CS], SEL_UCODE, 0xfb);
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            tm_flat(&t->cpu.seg[s], SEL_UDATA, 0xf3);
    t->cpu.gpr[R_ESP] = USTACK;
    t->cpu.eip = eip;
    t->cpu.halted = false;
}

static inline void tm_init(struct tm *t)
{
    memset(t, 0, sizeof *t);
    t->ram.fd = -1;
    t->ram.size = RAM_SIZE;
    t->ram.host = calloc(1, RAM_SIZE);
    assert_non_null(t->ram.host);
    tm_desc(t, 1, 0, 0xfffff, 0x9a, 0xc); /* 0x08 ring-0 code */
    tm_desc(t, 2, 0, 0xfffff, 0x92, 0xc); /* 0x10 ring-0 data */
    tm_desc(t, 3, 0, 0xfffff, 0xfa, 0xc); /* 0x1b ring-3 code */
    tm_desc(t, 4, 0, 0xfffff, 0xf2, 0xc); /* 0x23 ring-3 data */
    tm_desc(t, 5, TSS, 0x67, 0x8b, 0);    /* 0x28 TSS (busy)  */
    tm_wr32(t, TSS + 4, ESP0);
    tm_wr32(t, TSS + 8, SEL_KDATA);
    for (int v = 0; v < 256; v++) {
        tm_gate(t, v, STUBS + 4 * v, 0xe, 0);
        memcpy(tm_mem(t, STUBS + 4 * v), "\xf4\x90\x90\x90", 4);
    }
    tm_gate(t, 0x80, STUBS + 4 * 0x80, 0xf, 3); /* system call gate, DPL 3 */
    memcpy(tm_mem(t, IRET_STUB), "\xcf", 1);
    memcpy(tm_mem(t, IRET_ERR), "\x83\xc4\x04\xcf", 4);
    t->cpu.cr0 = CR0_PE | CR0_ET;
    t->cpu.eflags = FL_FIXED1;
    t->cpu.gdtr = (struct x86_dtr){ GDT, 6 * 8 - 1 };
    t->cpu.idtr = (struct x86_dtr){ IDT, 256 * 8 - 1 };
    t->cpu.tr = (struct x86_seg){ SEL_TSS, TSS, 0x67, 0x8b };
    tm_ring0(t);
    t->cpu.eip = CODE;
    t->irq_vector = 0x20;
    struct interp_hooks h = { .irq_pending = tm_irq_pending, .irq_ack = tm_irq_ack };
    char err[128];
    t->ip = interp_create(&t->cpu, &t->ram, &h, t, err, sizeof err);
    assert_non_null(t->ip);
}

static inline void tm_fini(struct tm *t)
{
    interp_destroy(t->ip);
    free(t->ram.host);
}

/* cmocka fixtures: a fresh machine per test (cmocka_unit_test_setup_teardown). */
static inline int tm_setup(void **state)
{
    struct tm *t = malloc(sizeof *t);
    tm_init(t);
    *state = t;
    return 0;
}
static inline int tm_teardown(void **state)
{
    tm_fini(*state);
    free(*state);
    return 0;
}

static inline void tm_load(struct tm *t, uint32_t at, const uint8_t *start, const uint8_t *end)
{
    memcpy(tm_mem(t, at), start, end - start);
    interp_invalidate_range(t->ip, at, end - start);
}
#define TM_LOAD(t, at, name) tm_load((t), (at), snip_##name, snip_##name##_end)

/* Run; the exit reason, or -1 if the budget (1M instructions) ran out. */
static inline int tm_run(struct tm *t)
{
    int r = interp_run(t->ip, &t->exit, 1000000);
    assert_true(r >= 0);
    return r == INTERP_BUDGET ? -1 : (int)t->exit.reason;
}

/* The vector whose stub stopped the run (HLT in the stub), or -1. */
static inline int tm_vector(struct tm *t)
{
    uint32_t e = t->exit.guest_eip;
    if (t->exit.reason != EXIT_HLT || e < STUBS || e >= STUBS + 4 * 256)
        return -1;
    return (e - STUBS) / 4;
}

/* The exception frame on the handler's stack: [0] = error code if any. */
static inline uint32_t tm_stack(struct tm *t, int i)
{
    return tm_rd32(t, t->cpu.gpr[R_ESP] + 4 * i);
}

#define ARITH(fl) ((fl)&FL_ARITH)

/* 32-bit paging: page directory at PD, identity-mapped 0-8 MiB with 4 KiB
 * user-writable pages (tables at PT0, PT0+4K).  tm_pte() edits one. */
#define PD  0x100000u
#define PT0 0x101000u
static inline uint32_t tm_pte_addr(uint32_t lin) { return PT0 + (lin >> 12) * 4; }
static inline void tm_pte(struct tm *t, uint32_t lin, uint32_t pte)
{
    tm_wr32(t, tm_pte_addr(lin), pte);
}
static inline void tm_paging(struct tm *t)
{
    for (uint32_t i = 0; i < 2; i++)
        tm_wr32(t, PD + 4 * i, (PT0 + 0x1000 * i) | PTE_P | PTE_W | PTE_U);
    for (uint32_t a = 0; a < (8u << 20); a += 0x1000)
        tm_pte(t, a, a | PTE_P | PTE_W | PTE_U);
    t->cpu.cr3 = PD;
    t->cpu.cr0 |= CR0_PG;
}

#endif
