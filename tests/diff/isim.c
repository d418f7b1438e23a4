/*
 * isim.c — the interpreter side of the differential test.
 *
 * The snippet runs at CPL 3 in flat 32-bit protected mode with paging off
 * (SDM Vol. 3A §3.2.1 "basic flat model"), at the same addresses as in the
 * host process.  A ring-3 exception must come back to us with its vector:
 * every IDT entry points to its own ring-0 stub "hlt", so the interpreter
 * delivers the exception the architectural way (through the TSS's SS0:ESP0
 * onto a ring-0 stack, SDM Vol. 3A §6.12.1) and stops with EXIT_HLT at the
 * stub of that vector.  The exception frame on the ring-0 stack then gives
 * the ring-3 EIP, EFLAGS and ESP at the fault, the other registers are as
 * the fault left them.
 *
 * Guest-physical layout (besides the data area and the code page):
 *   0x1000 GDT   0x2000 IDT   0x3000 TSS   0x4000 stubs (4 bytes/vector)
 *   0x9000 top of the ring-0 stack
 *
 * The snippet is single-stepped (interp_run with a budget of 1), so that
 * the undefined flags can be worked out per executed instruction from the
 * state before it (common/x86/flag_effects.c), and the run stops when EIP
 * reaches the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "isim.h"
#include "x86/flag_effects.h"
#include "core/guest_ram.h"
#include "x86/interp.h"
#include "01-binary-translation/bt.h"

#define GDT_ADDR   0x1000u
#define IDT_ADDR   0x2000u
#define TSS_ADDR   0x3000u
#define STUB_ADDR  0x4000u
#define STACK0_TOP 0x9000u
#define RAM_SIZE   (DIFF_CODE_ADDR + DIFF_CODE_SIZE)
#define MAX_STEPS  100000
#define END_VECTOR 0x80 /* bt: INT 0x80 after the snippet ends it */

enum { SEL_CODE0 = 0x08, SEL_DATA0 = 0x10, SEL_CODE3 = 0x1b, SEL_DATA3 = 0x23, SEL_TSS = 0x28 };

struct isim {
    struct x86_cpu cpu;
    struct guest_ram ram;
    struct interp *ip;
    struct bt *bt; /* isim_create_bt: the translator runs it */
    csh cs;
    cs_insn *insn;
    uint8_t pristine[DIFF_DATA_SIZE];
    uint8_t sys[STACK0_TOP]; /* GDT, IDT, TSS, stubs as built */
};

static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* A segment descriptor, SDM Vol. 3A §3.4.5 Figure 3-8.  access = bits
 * 40-47 (P, DPL, S, type), flags = bits 52-55 (G, D/B, L, AVL). */
static uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)access << 40 |
           (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 |
           (uint64_t)(base >> 24) << 56;
}

static void build_system(struct isim *s, bool end_gate)
{
    uint8_t *m = s->sys;
    memset(m, 0, sizeof s->sys);
    uint64_t gdt[6] = {
        0,
        descriptor(0, 0xfffff, 0x9a, 0xc),   /* 0x08 ring-0 code, flat 4 GiB */
        descriptor(0, 0xfffff, 0x92, 0xc),   /* 0x10 ring-0 data             */
        descriptor(0, 0xfffff, 0xfa, 0xc),   /* 0x18 ring-3 code             */
        descriptor(0, 0xfffff, 0xf2, 0xc),   /* 0x20 ring-3 data             */
        descriptor(TSS_ADDR, 0x67, 0x8b, 0), /* 0x28 32-bit TSS (busy)       */
    };
    memcpy(m + GDT_ADDR, gdt, sizeof gdt);
    /* Interrupt gates, SDM Vol. 3A §6.11 Figure 6-2: vectors 3 (INT3) and
     * 4 (INTO) get DPL 3 like in Linux, so ring 3 may raise them; INT n to
     * the others is a #GP, as on the host. */
    for (int v = 0; v < 256; v++) {
        uint32_t off = STUB_ADDR + 4 * v;
        int dpl = (v == 3 || v == 4 || (end_gate && v == END_VECTOR)) ? 3 : 0;
        uint64_t gate = (off & 0xffff) | (uint64_t)SEL_CODE0 << 16 |
                        (uint64_t)(0x8e | dpl << 5) << 40 | (uint64_t)(off >> 16) << 48;
        memcpy(m + IDT_ADDR + 8 * v, &gate, 8);
        m[off] = 0xf4;     /* hlt             */
        m[off + 1] = 0xeb; /* jmp back to hlt */
        m[off + 2] = 0xfd;
    }
    /* TSS, SDM Vol. 3A §7.2.1: ring-0 stack; I/O map base past the limit,
     * so there is no I/O permission bitmap and ring-3 IN/OUT is #GP. */
    wr32(m + TSS_ADDR + 4, STACK0_TOP);
    wr32(m + TSS_ADDR + 8, SEL_DATA0);
    m[TSS_ADDR + 102] = 0x68;
}

static struct x86_seg seg(uint16_t sel, uint32_t base, uint32_t limit, uint16_t attr)
{
    return (struct x86_seg){ .sel = sel, .base = base, .limit = limit, .attr = attr };
}

/* Ring 3, flat, protected mode, paging off, like a Linux process sees it
 * (except that Linux has paging on: the tester never touches a page the
 * host process has not mapped). */
static void reset_cpu(struct isim *s, const struct diff_in *in)
{
    struct x86_cpu *c = &s->cpu;
    memset(c, 0, sizeof *c);
    memcpy(c->gpr, in->st.gpr, sizeof c->gpr);
    c->eip = DIFF_CODE_ADDR;
    c->eflags = (in->st.eflags | FL_FIXED1 | FL_IF) & ~(FL_IOPL | FL_TF | FL_NT | FL_VM);
    c->seg[S_CS] = seg(SEL_CODE3, 0, 0xffffffff, 0xcfb);
    for (int i = 0; i < S_NSEG; i++)
        if (i != S_CS)
            c->seg[i] = seg(SEL_DATA3, 0, 0xffffffff, 0xcf3);
    c->ldtr = seg(0, 0, 0, 0);
    c->tr = seg(SEL_TSS, TSS_ADDR, 0x67, 0x8b);
    c->gdtr = (struct x86_dtr){ GDT_ADDR, 6 * 8 - 1 };
    c->idtr = (struct x86_dtr){ IDT_ADDR, 256 * 8 - 1 };
    c->cr0 = CR0_PE | CR0_ET | CR0_NE;
}

static struct isim *create(csh cs, uint32_t data_seed, bool use_bt, char *err, size_t errlen)
{
    struct isim *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cs = cs;
    s->insn = cs_malloc(cs);
    if (guest_ram_init(&s->ram, RAM_SIZE, err, errlen)) {
        free(s);
        return NULL;
    }
    build_system(s, use_bt);
    diff_fill_data(s->pristine, data_seed);
    memcpy(s->ram.host + DIFF_DATA_ADDR, s->pristine, DIFF_DATA_SIZE);
    struct interp_hooks hooks = { 0 };
    if (use_bt)
        s->bt = bt_create(&s->cpu, &s->ram, true, err, errlen);
    else
        s->ip = interp_create(&s->cpu, &s->ram, &hooks, NULL, err, errlen);
    if (!s->ip && !s->bt) {
        guest_ram_destroy(&s->ram);
        free(s);
        return NULL;
    }
    return s;
}

struct isim *isim_create(csh cs, uint32_t data_seed, char *err, size_t errlen)
{
    return create(cs, data_seed, false, err, errlen);
}

struct isim *isim_create_bt(csh cs, uint32_t data_seed, char *err, size_t errlen)
{
    return create(cs, data_seed, true, err, errlen);
}

void isim_destroy(struct isim *s)
{
    if (!s)
        return;
    if (s->bt)
        bt_destroy(s->bt);
    else
        interp_destroy(s->ip);
    guest_ram_destroy(&s->ram);
    cs_free(s->insn, 1);
    free(s);
}

/* Collect the changed 32-byte blocks of the data area and restore them. */
static void collect_dirty(struct isim *s, struct diff_result *res)
{
    uint8_t *data = s->ram.host + DIFF_DATA_ADDR;
    res->blocks = malloc(DIFF_NBLOCKS * sizeof *res->blocks);
    res->out.ndirty = 0;
    for (uint32_t i = 0; i < DIFF_NBLOCKS; i++) {
        uint32_t off = i * DIFF_BLOCK;
        if (memcmp(data + off, s->pristine + off, DIFF_BLOCK)) {
            struct diff_block *b = &res->blocks[res->out.ndirty++];
            b->index = i;
            memcpy(b->bytes, data + off, DIFF_BLOCK);
            memcpy(data + off, s->pristine + off, DIFF_BLOCK);
        }
    }
}

/* The result as the CPU state stands (the snippet ran to its end, or the
 * run failed): registers, EFLAGS, EIP and the data area. */
static void state_result(struct isim *s, struct diff_result *res)
{
    memcpy(res->out.st.gpr, s->cpu.gpr, sizeof s->cpu.gpr);
    res->out.st.eflags = s->cpu.eflags;
    res->out.st.eip = s->cpu.eip;
    collect_dirty(s, res);
}

/* Put the snippet in the code page with its end after it, and drop
 * whatever the engine cached of the code and the system area. */
static void load_snippet(struct isim *s, const struct diff_in *in)
{
    uint8_t *code = s->ram.host + DIFF_CODE_ADDR;
    memcpy(s->ram.host, s->sys, sizeof s->sys); /* in case a bug hit them */
    memset(code, 0, DIFF_CODE_SIZE);
    memcpy(code, in->code, in->len);
    code[in->len] = 0xff;     /* jmp [exit ptr], as on */
    code[in->len + 1] = 0x25; /* the host; never run   */
    wr32(code + in->len + 2, DIFF_EXIT_PTR);
    if (s->bt) {
        code[in->len] = 0xcd; /* int 0x80: the end */
        code[in->len + 1] = END_VECTOR;
        bt_invalidate_range(s->bt, 0, STACK0_TOP);
        bt_invalidate_range(s->bt, DIFF_CODE_ADDR, DIFF_CODE_SIZE);
    } else {
        interp_invalidate_range(s->ip, 0, STACK0_TOP);
        interp_invalidate_range(s->ip, DIFF_CODE_ADDR, DIFF_CODE_SIZE);
    }
}

/* An exit before the end.  The HLT of an exception stub: the exception
 * frame on the ring-0 stack, SDM Vol. 3A §6.12.1 Figure 6-4 ([error code],
 * EIP, CS, EFLAGS, ESP, SS), gives the result, 0.  Anything else is
 * something no CPU does: -1 with msg. */
static int exception_result(struct isim *s, const struct vm_exit *exit, struct diff_result *res,
                            char *msg, size_t msglen)
{
    struct x86_cpu *c = &s->cpu;
    if (exit->reason != EXIT_HLT || exit->guest_eip < STUB_ADDR ||
        exit->guest_eip >= STUB_ADDR + 4 * 256 || x86_cpl(c) != 0) {
        char buf[200];
        exit_format(exit, buf, sizeof buf);
        snprintf(msg, msglen, "unexpected exit at eip %#x (CPL %d): %s", exit->guest_eip,
                 x86_cpl(c), buf);
        return -1;
    }
    int v = (exit->guest_eip - STUB_ADDR) / 4;
    uint32_t sp = c->gpr[R_ESP];
    const uint8_t *f = gpa_to_hva(&s->ram, sp, 24);
    if (!f || sp >= STACK0_TOP || STACK0_TOP - sp < 20) {
        snprintf(msg, msglen, "vector %d delivered with ring-0 ESP %#x", v, sp);
        return -1;
    }
    res->out.vector = v;
    if (diff_has_error_code(v)) {
        res->out.error_code = rd32(f);
        f += 4;
    }
    memcpy(res->out.st.gpr, c->gpr, sizeof c->gpr);
    res->out.st.eip = rd32(f);
    res->out.st.eflags = rd32(f + 8);
    res->out.st.gpr[R_ESP] = rd32(f + 12);
    if ((rd32(f + 4) & 0xffff) != SEL_CODE3) {
        snprintf(msg, msglen, "vector %d: frame CS %#x, not the ring-3 code (%#x)", v,
                 rd32(f + 4) & 0xffff, SEL_CODE3);
        return -1;
    }
    collect_dirty(s, res);
    return 0;
}

/* The translator runs whole blocks until an exit: the HLT of the INT 0x80
 * stub at the end, whose frame holds the ring-3 state, or of an exception
 * stub.  0 with the result, or -1 with msg. */
static int run_bt(struct isim *s, uint32_t end, struct diff_result *res, char *msg, size_t msglen)
{
    struct x86_cpu *c = &s->cpu;
    struct vm_exit exit;
    memset(&exit, 0, sizeof exit);
    if (bt_cpu_run(s->bt, &exit) < 0) {
        snprintf(msg, msglen, "translator error at eip %#x: %s", c->eip, exit.message);
        return -1;
    }
    if (exit.reason != EXIT_HLT || exit.guest_eip - STUB_ADDR - 4 * END_VECTOR >= 4 ||
        x86_cpl(c) != 0)
        return exception_result(s, &exit, res, msg, msglen);
    uint32_t sp = c->gpr[R_ESP];
    const uint8_t *f = gpa_to_hva(&s->ram, sp, 24);
    if (!f || sp != STACK0_TOP - 20) {
        snprintf(msg, msglen, "end reached with ring-0 ESP %#x", sp);
        return -1;
    }
    memcpy(res->out.st.gpr, c->gpr, sizeof c->gpr);
    res->out.st.eip = rd32(f) - 2;
    res->out.st.eflags = rd32(f + 8);
    res->out.st.gpr[R_ESP] = rd32(f + 12);
    if (res->out.st.eip != end) {
        snprintf(msg, msglen, "INT 0x80 at %#x, not at the end %#x", res->out.st.eip, end);
        return -1;
    }
    collect_dirty(s, res);
    return 0;
}

/* The flag effect of the snippet instruction about to run, from the state
 * before it (a shift by CL needs CL).  false if unknown (outside the
 * snippet, or not decoded). */
static bool next_flag_effect(struct isim *s, uint32_t end, struct x86_flag_effect *fe)
{
    struct x86_cpu *c = &s->cpu;
    if (c->eip < DIFF_CODE_ADDR || c->eip >= end)
        return false;
    const uint8_t *p = s->ram.host + c->eip;
    size_t sz = end + 16 - c->eip;
    uint64_t a = c->eip;
    if (!cs_disasm_iter(s->cs, &p, &sz, &a, s->insn))
        return false;
    return x86_insn_flag_effect(s->insn, c, fe);
}

/* The interpreter single-steps until EIP reaches the end at CPL 3,
 * accumulating in *undef the flags left undefined by each instruction
 * executed (x86/flag_effects.h).  0 with the result, or -1 with msg. */
static int run_interp(struct isim *s, uint32_t end, struct diff_result *res, uint32_t *undef,
                      char *msg, size_t msglen)
{
    struct x86_cpu *c = &s->cpu;
    struct vm_exit exit;
    memset(&exit, 0, sizeof exit);
    for (int steps = 0; steps < MAX_STEPS; steps++) {
        if (c->eip == end && x86_cpl(c) == 3) {
            state_result(s, res);
            return 0;
        }
        struct x86_flag_effect fe = { 0, 0, 0 };
        bool known = next_flag_effect(s, end, &fe);
        int r = interp_run(s->ip, &exit, 1);
        if (r == INTERP_BUDGET) {
            if (known)
                *undef = x86_undef_after(*undef, &fe);
            continue;
        }
        if (r < 0) {
            snprintf(msg, msglen, "interpreter error at eip %#x: %s", c->eip, exit.message);
            return -1;
        }
        return exception_result(s, &exit, res, msg, msglen);
    }
    snprintf(msg, msglen, "no end after %d steps (eip %#x)", MAX_STEPS, c->eip);
    return -1;
}

int isim_run(struct isim *s, const struct diff_in *in, struct diff_result *res, uint32_t *undef,
             char *msg, size_t msglen)
{
    uint32_t end = DIFF_CODE_ADDR + in->len;
    memset(res, 0, sizeof *res);
    res->out.vector = -1;
    *undef = 0;
    load_snippet(s, in);
    reset_cpu(s, in);
    int rc = s->bt ? run_bt(s, end, res, msg, msglen) : run_interp(s, end, res, undef, msg, msglen);
    if (rc < 0)
        state_result(s, res); /* what the failed run left, for the report */
    return rc;
}
