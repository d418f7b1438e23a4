/*
 * gen.c — generate instruction snippets for differential testing.
 *
 * Template generator: instruction forms (SDM Vol. 2 opcode tables) x
 * operand kinds (register, memory, immediate) x operand sizes, with edge
 * values in registers, immediates and the data area.  A small encoder
 * builds ModRM/SIB bytes (SDM Vol. 2A §2.1).  Memory operands must hit the
 * data area on both sides, so the generator tracks which registers hold a
 * pointer into it (or a small index) and emits "mov reg, imm32" first when
 * a form needs one that does not.
 *
 * Undefined flags: an instruction that READS a flag a previous one left
 * undefined (adc after mul, setz after bsr...) would make the results
 * differ for no fault of the interpreter, so the generator inserts a
 * "cmp eax, imm32" (which defines all six) before it.  Forward branches
 * merge the undefined sets and pointer knowledge of both paths.
 *
 * Random-bytes generator: random byte strings decoded by capstone, kept if
 * the instruction is in the allow list (the flag table of
 * common/x86/flag_effects.c has its row, random_allowed below does not
 * refuse it), with its memory operand rewritten to an absolute address in
 * the data area.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gen.h"
#include "x86/flag_effects.h"

const char *const gen_cat_name[CAT_NGEN] = {
    "ALU",   "shift/rotate", "mul/div", "bit ops", "string",
    "stack", "misc",         "branch",  "mixed",   "random bytes",
};

enum { ST_ANY, ST_PTR, ST_SMALL }; /* what a register is known to hold */

#define MAX_UNITS 24
#define MAX_FIX   32

struct fixup {      /* a forward branch waiting for its target     */
    int at;         /* offset of the displacement in code          */
    int size;       /* 1 or 4 bytes                                */
    int end;        /* offset just past the branch                 */
    int target;     /* unit index the branch lands on              */
    uint32_t undef; /* undefined flags on the branch path          */
    int regst[8];   /* register knowledge on the branch path       */
};

struct gen {
    csh cs;
    cs_insn *insn;
    uint32_t rng;
    struct diff_in *out;
    int regst[8];
    uint32_t undef; /* flags possibly undefined at this point       */
    int unit;       /* index of the unit being generated            */
    int unit_off[MAX_UNITS + 1];
    struct fixup fix[MAX_FIX];
    int nfix;
};

/* A buffer for one instruction being encoded. */
struct ib {
    uint8_t b[16];
    int n;
};

static void put(struct ib *ib, uint8_t v) { ib->b[ib->n++] = v; }
static void put16(struct ib *ib, uint32_t v)
{
    put(ib, v);
    put(ib, v >> 8);
}
static void put32(struct ib *ib, uint32_t v)
{
    put16(ib, v);
    put16(ib, v >> 16);
}
static void put_imm(struct ib *ib, int size, uint32_t v)
{
    if (size == 1)
        put(ib, v);
    else if (size == 2)
        put16(ib, v);
    else
        put32(ib, v);
}

static uint32_t rnd(struct gen *g) { return diff_rand(&g->rng); }
static uint32_t below(struct gen *g, uint32_t n) { return rnd(g) % n; }
static bool chance(struct gen *g, int percent) { return below(g, 100) < (uint32_t)percent; }

/* ---- register/memory operands and the ModRM encoder ---------------- */

struct rm {
    bool mem;
    int reg;         /* register operand (mem == false)              */
    int base, index; /* -1 = none                                    */
    int scale;       /* log2: 0..3                                   */
    int32_t disp;
};

static bool fits8(int32_t d) { return d >= -128 && d <= 127; }

/* ModRM (+ SIB + displacement), SDM Vol. 2A Tables 2-2 and 2-3. */
static void put_modrm(struct ib *ib, int regf, const struct rm *rm)
{
    regf &= 7;
    if (!rm->mem) {
        put(ib, 0xc0 | regf << 3 | rm->reg);
        return;
    }
    if (rm->base < 0 && rm->index < 0) { /* [disp32] */
        put(ib, 0x05 | regf << 3);
        put32(ib, rm->disp);
        return;
    }
    int mod = rm->disp == 0 ? 0 : fits8(rm->disp) ? 1 : 2;
    if (rm->base == 5 && mod == 0)
        mod = 1; /* [ebp] needs disp8 */
    if (rm->index < 0 && rm->base != 4) {
        put(ib, mod << 6 | regf << 3 | rm->base);
    } else if (rm->base < 0) { /* [index*s + disp32] */
        put(ib, 0x04 | regf << 3);
        put(ib, rm->scale << 6 | rm->index << 3 | 5);
        put32(ib, rm->disp);
        return;
    } else {
        put(ib, mod << 6 | regf << 3 | 4);
        put(ib, rm->scale << 6 | (rm->index < 0 ? 4 : rm->index) << 3 | rm->base);
    }
    if (mod == 1)
        put(ib, rm->disp);
    else if (mod == 2)
        put32(ib, rm->disp);
}

/* ---- emitting instructions ----------------------------------------- */

static int gpr_of(x86_reg r)
{
    switch (r) {
    case X86_REG_EAX:
    case X86_REG_AX:
    case X86_REG_AL:
    case X86_REG_AH: return 0;
    case X86_REG_ECX:
    case X86_REG_CX:
    case X86_REG_CL:
    case X86_REG_CH: return 1;
    case X86_REG_EDX:
    case X86_REG_DX:
    case X86_REG_DL:
    case X86_REG_DH: return 2;
    case X86_REG_EBX:
    case X86_REG_BX:
    case X86_REG_BL:
    case X86_REG_BH: return 3;
    case X86_REG_ESP:
    case X86_REG_SP: return 4;
    case X86_REG_EBP:
    case X86_REG_BP: return 5;
    case X86_REG_ESI:
    case X86_REG_SI: return 6;
    case X86_REG_EDI:
    case X86_REG_DI: return 7;
    default: return -1;
    }
}

static void die_insn(const char *why, const uint8_t *b, int n)
{
    fprintf(stderr, "diff gen: %s:", why);
    for (int i = 0; i < n; i++)
        fprintf(stderr, " %02x", b[i]);
    fprintf(stderr, "\n");
    abort();
}

static int room(struct gen *g) { return DIFF_CODE_MAX - 8 - (int)g->out->len; }

/* Decode b (must be one whole instruction) into g->insn. */
static bool decode(struct gen *g, const uint8_t *b, int n)
{
    const uint8_t *p = b;
    size_t sz = n;
    uint64_t addr = DIFF_CODE_ADDR;
    return cs_disasm_iter(g->cs, &p, &sz, &addr, g->insn) && (int)g->insn->size == n;
}

static void raw_emit(struct gen *g, const uint8_t *b, int n)
{
    memcpy(g->out->code + g->out->len, b, n);
    g->out->len += n;
}

/*
 * Append one instruction: define flags first if it reads undefined ones,
 * then update the undefined set and what the registers hold.  Returns the
 * offset of the instruction in the snippet.
 */
static int emit(struct gen *g, const struct ib *ib)
{
    struct x86_flag_effect fe;
    if (!decode(g, ib->b, ib->n))
        die_insn("the encoder produced an undecodable instruction", ib->b, ib->n);
    if (!x86_insn_flag_effect(g->insn, NULL, &fe))
        die_insn("instruction not in the allow list (common/x86/flag_effects.c)", ib->b, ib->n);
    if (fe.reads & g->undef) {
        struct ib c = { .n = 0 };
        put(&c, 0x3d); /* cmp eax, imm32 */
        put32(&c, diff_value(&g->rng));
        raw_emit(g, c.b, c.n);
        g->undef = 0;
        if (!decode(g, ib->b, ib->n)) /* g->insn again */
            abort();
    }
    /* Now and then a segment override (SDM Vol. 2A §2.1.1): ES, SS, DS
     * are flat like DS; CS is readable but not writable (#GP on a write). */
    unsigned id = g->insn->id;
    bool branch = cs_insn_group(g->cs, g->insn, CS_GRP_JUMP) ||
                  cs_insn_group(g->cs, g->insn, CS_GRP_CALL) || id == X86_INS_LOOP ||
                  id == X86_INS_LOOPE || id == X86_INS_LOOPNE || id == X86_INS_JECXZ;
    if (chance(g, 4) && ib->n < 15 && !branch) {
        static const uint8_t seg[] = { 0x26, 0x2e, 0x36, 0x3e };
        uint8_t p = seg[below(g, 4)];
        raw_emit(g, &p, 1);
    }
    int off = g->out->len;
    raw_emit(g, ib->b, ib->n);
    g->undef = x86_undef_after(g->undef, &fe);

    /* Every register the instruction writes is unknown afterwards, except
     * what stack and string instructions keep pointing into the area. */
    cs_regs rr, rw;
    uint8_t nr, nw;
    bool stack = id == X86_INS_PUSH || id == X86_INS_POP || id == X86_INS_PUSHAL ||
                 id == X86_INS_POPAL || id == X86_INS_PUSHAW || id == X86_INS_POPAW ||
                 id == X86_INS_PUSHF || id == X86_INS_PUSHFD || id == X86_INS_CALL ||
                 id == X86_INS_ENTER || id == X86_INS_LEAVE;
    bool string = (id >= X86_INS_MOVSB && id <= X86_INS_MOVSW) || id == X86_INS_MOVSD ||
                  id == X86_INS_STOSB || id == X86_INS_STOSW || id == X86_INS_STOSD ||
                  id == X86_INS_LODSB || id == X86_INS_LODSW || id == X86_INS_LODSD ||
                  id == X86_INS_CMPSB || id == X86_INS_CMPSW || id == X86_INS_CMPSD ||
                  id == X86_INS_SCASB || id == X86_INS_SCASW || id == X86_INS_SCASD;
    if (cs_regs_access(g->cs, g->insn, rr, &nr, rw, &nw) == CS_ERR_OK) {
        for (int i = 0; i < nw; i++) {
            int r = gpr_of(rw[i]);
            if (r < 0)
                continue;
            if (r == 4 && stack)
                continue;
            if (string && (r == 6 || r == 7 || r == 1))
                continue;
            g->regst[r] = ST_ANY;
        }
    } else {
        die_insn("cs_regs_access failed", ib->b, ib->n);
    }
    /* Capstone 4 misses some implicit destinations: add them. */
    uint32_t implicit = 0; /* bit r: GPR r written */
    switch (id) {
    case X86_INS_AAA:
    case X86_INS_AAS:
    case X86_INS_AAM:
    case X86_INS_AAD:
    case X86_INS_DAA:
    case X86_INS_DAS:
    case X86_INS_XLATB:
    case X86_INS_CBW:
    case X86_INS_CWDE:
    case X86_INS_LAHF:
    case X86_INS_CMPXCHG:
    case X86_INS_LODSB:
    case X86_INS_LODSW:
    case X86_INS_LODSD: implicit = 1 << 0; break;
    case X86_INS_CWD:
    case X86_INS_CDQ: implicit = 1 << 2; break;
    case X86_INS_MUL:
    case X86_INS_DIV:
    case X86_INS_IDIV: implicit = 1 << 0 | 1 << 2; break;
    case X86_INS_IMUL:
        if (g->insn->detail->x86.op_count == 1)
            implicit = 1 << 0 | 1 << 2;
        break;
    case X86_INS_LOOP:
    case X86_INS_LOOPE:
    case X86_INS_LOOPNE: implicit = 1 << 1; break;
    case X86_INS_POPAL:
    case X86_INS_POPAW: implicit = 0xef; break;
    }
    for (int r = 0; r < 8; r++)
        if (implicit & (1u << r))
            g->regst[r] = ST_ANY;
    if (id == X86_INS_ENTER)
        g->regst[5] = ST_PTR;
    if (g->regst[4] != ST_PTR)
        die_insn("a template wrote ESP", ib->b, ib->n);
    return off;
}

static uint32_t data_ptr(struct gen *g) { return DIFF_DATA_ADDR + 0x3000 + below(g, 0xa000); }

static void mov_imm(struct gen *g, int reg, uint32_t v)
{
    struct ib ib = { .n = 0 };
    put(&ib, 0xb8 + reg);
    put32(&ib, v);
    emit(g, &ib);
}

/* Make reg hold a pointer into the data area (ESP always does). */
static void need_ptr(struct gen *g, int reg)
{
    if (g->regst[reg] != ST_PTR) {
        mov_imm(g, reg, data_ptr(g));
        g->regst[reg] = ST_PTR;
    }
}

/* Make reg hold a small value (0..63): an index or a count. */
static void need_small(struct gen *g, int reg)
{
    if (g->regst[reg] != ST_SMALL) {
        mov_imm(g, reg, below(g, 64));
        g->regst[reg] = ST_SMALL;
    }
}

/* A register operand.  dst: it will be written, so not ESP (ESP stays a
 * valid stack pointer); for byte registers 4..7 are AH..BH, all fine. */
static int pick_reg(struct gen *g, int size, bool dst)
{
    for (;;) {
        int r = below(g, 8);
        if (dst && size != 1 && r == 4)
            continue;
        return r;
    }
}

/* A memory operand in the data area; emits setup moves if needed. */
static struct rm pick_mem(struct gen *g)
{
    struct rm rm = { .mem = true, .base = -1, .index = -1 };
    int kind = below(g, 6);
    int32_t disp = below(g, 3) == 0 ? 0
                   : below(g, 2)    ? (int32_t)below(g, 256) - 128
                                    : (int32_t)below(g, 0x800) - 0x400;
    if (kind == 0) { /* [disp32] */
        rm.disp = data_ptr(g);
        return rm;
    }
    rm.base = below(g, 8);
    need_ptr(g, rm.base);
    rm.disp = disp;
    if (kind >= 4) { /* base + index*scale */
        do
            rm.index = below(g, 8);
        while (rm.index == 4 || rm.index == rm.base);
        need_small(g, rm.index);
        rm.scale = below(g, 4);
        if (kind == 5 && chance(g, 30)) { /* no base: [index*s + disp32] */
            rm.base = -1;
            rm.disp = data_ptr(g);
        }
    }
    return rm;
}

static struct rm reg_rm(int r)
{
    return (struct rm){ .mem = false, .reg = r, .base = -1, .index = -1 };
}

/* Register or memory operand, 50/50. */
static struct rm pick_rm(struct gen *g, int size, bool dst)
{
    if (chance(g, 50))
        return pick_mem(g);
    return reg_rm(pick_reg(g, size, dst));
}

static int pick_size(struct gen *g)
{
    static const int s[] = { 1, 2, 4, 4 };
    return s[below(g, 4)];
}

static void opsize(struct ib *ib, int size)
{
    if (size == 2)
        put(ib, 0x66);
}

static uint32_t imm_value(struct gen *g) { return diff_value(&g->rng); }

/* ---- instruction forms ----------------------------------------------- */

/* ADD OR ADC SBB AND SUB XOR CMP (op 0..7), TEST, INC/DEC, NOT/NEG. */
static void form_alu(struct gen *g)
{
    struct ib ib = { .n = 0 };
    int size = pick_size(g), w = size != 1;
    int op = below(g, 8);
    struct rm rm;
    switch (below(g, 8)) {
    case 0:
    case 1: { /* op r/m, r  or  op r, r/m */
        int dir = below(g, 2);
        rm = pick_rm(g, size, dir == 0 && op != 7);
        int r = pick_reg(g, size, dir == 1 && op != 7);
        opsize(&ib, size);
        put(&ib, op << 3 | dir << 1 | w);
        put_modrm(&ib, r, &rm);
        break;
    }
    case 2:
    case 3: { /* 80/81/83 /op imm */
        rm = pick_rm(g, size, op != 7);
        opsize(&ib, size);
        bool s8 = size != 1 && chance(g, 40);
        put(&ib, size == 1 ? 0x80 : s8 ? 0x83 : 0x81);
        put_modrm(&ib, op, &rm);
        put_imm(&ib, s8 ? 1 : size, imm_value(g));
        break;
    }
    case 4: /* op AL/AX/EAX, imm */
        opsize(&ib, size);
        put(&ib, op << 3 | 4 | w);
        put_imm(&ib, size, imm_value(g));
        break;
    case 5: /* TEST */
        opsize(&ib, size);
        if (chance(g, 50)) {
            rm = pick_rm(g, size, false);
            put(&ib, 0x84 | w);
            put_modrm(&ib, pick_reg(g, size, false), &rm);
        } else if (chance(g, 50)) {
            rm = pick_rm(g, size, false);
            put(&ib, 0xf6 | w);
            put_modrm(&ib, 0, &rm);
            put_imm(&ib, size, imm_value(g));
        } else {
            put(&ib, 0xa8 | w);
            put_imm(&ib, size, imm_value(g));
        }
        break;
    case 6: /* INC/DEC */
        if (size != 1 && chance(g, 40)) {
            opsize(&ib, size);
            put(&ib, 0x40 + 8 * below(g, 2) + pick_reg(g, size, true));
        } else {
            rm = pick_rm(g, size, true);
            opsize(&ib, size);
            put(&ib, 0xfe | w);
            put_modrm(&ib, below(g, 2), &rm);
        }
        break;
    default: /* NOT/NEG */
        rm = pick_rm(g, size, true);
        opsize(&ib, size);
        put(&ib, 0xf6 | w);
        put_modrm(&ib, 2 + below(g, 2), &rm);
        break;
    }
    emit(g, &ib);
}

static uint8_t shift_count_value(struct gen *g)
{
    static const uint8_t c[] = { 0, 1, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 0xff };
    return chance(g, 75) ? c[below(g, sizeof c)] : rnd(g);
}

/* ROL ROR RCL RCR SHL SHR SAR by 1 / imm8 / CL, and SHLD/SHRD. */
static void form_shift(struct gen *g)
{
    struct ib ib = { .n = 0 };
    int size = pick_size(g), w = size != 1;
    static const int ops[] = { 0, 1, 2, 3, 4, 5, 7 }; /* /6 is an alias */
    int op = ops[below(g, 7)];
    int how = below(g, 4);
    if (how == 3 && size == 1)
        how = 2;
    if (how == 2 && chance(g, 50)) { /* an interesting CL first */
        struct ib m = { .n = 0 };
        put(&m, 0xb1); /* mov cl, imm8 */
        put(&m, shift_count_value(g));
        emit(g, &m);
    }
    if (how == 3) { /* SHLD/SHRD */
        bool cl = chance(g, 50);
        uint8_t count = shift_count_value(g);
        struct rm rm = pick_rm(g, size, true);
        if (size == 2) {
            /* Counts above 16 make the 16-bit result undefined (SDM), so
             * set CL last, and never when ECX is also the address. */
            count = below(g, 17);
            if (cl && rm.mem && (rm.base == 1 || rm.index == 1))
                cl = false;
            if (cl)
                mov_imm(g, 1, below(g, 17));
        }
        opsize(&ib, size);
        put(&ib, 0x0f);
        put(&ib, (chance(g, 50) ? 0xa4 : 0xac) | cl);
        put_modrm(&ib, pick_reg(g, size, false), &rm);
        if (!cl)
            put(&ib, count);
        emit(g, &ib);
        return;
    }
    struct rm rm = pick_rm(g, size, true);
    opsize(&ib, size);
    if (how == 0) {
        put(&ib, 0xd0 | w);
        put_modrm(&ib, op, &rm);
    } else if (how == 1) {
        put(&ib, 0xc0 | w);
        put_modrm(&ib, op, &rm);
        put(&ib, shift_count_value(g));
    } else {
        put(&ib, 0xd2 | w);
        put_modrm(&ib, op, &rm);
    }
    emit(g, &ib);
}

/* MUL IMUL DIV IDIV (F6/F7 /4-7), IMUL r, r/m (, imm). */
static void form_muldiv(struct gen *g)
{
    struct ib ib = { .n = 0 };
    int size = pick_size(g), w = size != 1;
    int kind = below(g, 6);
    if (kind < 4) {
        int op = 4 + kind;
        if (op >= 6 && chance(g, 60)) {
            /* Make the high half a zero/sign extension so that more
             * divisions succeed: mov edx/dx/ah, 0 or cdq/cwd/cbw. */
            struct ib s = { .n = 0 };
            if (op == 6) {
                if (size == 1) {
                    put(&s, 0xb4);
                    put(&s, 0);
                } else {
                    opsize(&s, size);
                    put(&s, 0xba);
                    put_imm(&s, size, 0);
                }
            } else {
                opsize(&s, size == 1 ? 2 : size);
                put(&s, size == 1 ? 0x98 : 0x99);
            }
            emit(g, &s);
        }
        struct rm rm = pick_rm(g, size, false);
        opsize(&ib, size);
        put(&ib, 0xf6 | w);
        put_modrm(&ib, op, &rm);
    } else {
        if (size == 1)
            size = 4;
        struct rm rm = pick_rm(g, size, false);
        int r = pick_reg(g, size, true);
        opsize(&ib, size);
        if (kind == 4) {
            put(&ib, 0x0f);
            put(&ib, 0xaf);
            put_modrm(&ib, r, &rm);
        } else {
            bool s8 = chance(g, 50);
            put(&ib, s8 ? 0x6b : 0x69);
            put_modrm(&ib, r, &rm);
            put_imm(&ib, s8 ? 1 : size, imm_value(g));
        }
    }
    emit(g, &ib);
}

static int cc(struct gen *g) { return below(g, 16); }

/* BT BTS BTR BTC, BSF BSR, BSWAP, SETcc, CMOVcc. */
static void form_bit(struct gen *g)
{
    struct ib ib = { .n = 0 };
    int size = chance(g, 30) ? 2 : 4;
    struct rm rm;
    switch (below(g, 6)) {
    case 0: { /* BT* r/m, r */
        int r;
        rm = pick_rm(g, size, true);
        if (rm.mem) {
            /* With a memory operand the bit offset is signed and selects
             * any byte (SDM "BT"): keep it a small index. */
            do
                r = below(g, 8);
            while (r == 4 || r == rm.base || r == rm.index);
            need_small(g, r);
        } else {
            r = pick_reg(g, size, false);
        }
        opsize(&ib, size);
        put(&ib, 0x0f);
        put(&ib, 0xa3 | below(g, 4) << 3);
        put_modrm(&ib, r, &rm);
        break;
    }
    case 1: /* BT* r/m, imm8 */
        rm = pick_rm(g, size, true);
        opsize(&ib, size);
        put(&ib, 0x0f);
        put(&ib, 0xba);
        put_modrm(&ib, 4 + below(g, 4), &rm);
        put(&ib, shift_count_value(g));
        break;
    case 2: /* BSF/BSR */
        rm = pick_rm(g, size, false);
        opsize(&ib, size);
        put(&ib, 0x0f);
        put(&ib, 0xbc | below(g, 2));
        put_modrm(&ib, pick_reg(g, size, true), &rm);
        break;
    case 3: /* BSWAP r32 */
        put(&ib, 0x0f);
        put(&ib, 0xc8 + pick_reg(g, 4, true));
        break;
    case 4: /* SETcc r/m8 */
        rm = pick_rm(g, 1, true);
        put(&ib, 0x0f);
        put(&ib, 0x90 + cc(g));
        put_modrm(&ib, 0, &rm);
        break;
    default: /* CMOVcc r, r/m */
        rm = pick_rm(g, size, false);
        opsize(&ib, size);
        put(&ib, 0x0f);
        put(&ib, 0x40 + cc(g));
        put_modrm(&ib, pick_reg(g, size, true), &rm);
        break;
    }
    emit(g, &ib);
}

/* MOVS STOS LODS CMPS SCAS, with REP/REPE/REPNE, after CLD or STD. */
static void form_string(struct gen *g)
{
    struct ib ib = { .n = 0 };
    int size = pick_size(g), w = size != 1;
    static const uint8_t base[] = { 0xa4, 0xaa, 0xac, 0xa6, 0xae };
    int k = below(g, 5);
    if (chance(g, 40)) {
        struct ib d = { .n = 0 };
        put(&d, chance(g, 50) ? 0xfc : 0xfd); /* cld / std */
        emit(g, &d);
    }
    need_ptr(g, 6);
    need_ptr(g, 7);
    int rep = below(g, 3); /* none, F3, F2 */
    if (rep)
        need_small(g, 1);
    if (rep == 2 && k < 3)
        rep = 1; /* F2 only means REPNE for CMPS/SCAS */
    if (rep)
        put(&ib, rep == 1 ? 0xf3 : 0xf2);
    opsize(&ib, size);
    put(&ib, base[k] | w);
    emit(g, &ib);
}

/* PUSH/POP in their forms, PUSHAD/POPAD, PUSHFD, ENTER/LEAVE. */
static void form_stack(struct gen *g)
{
    struct ib ib = { .n = 0 };
    int size = chance(g, 20) ? 2 : 4;
    struct rm rm;
    switch (below(g, 10)) {
    case 0:
    case 1:
        opsize(&ib, size);
        put(&ib, 0x50 + below(g, 8)); /* push r (push esp too) */
        break;
    case 2:
    case 3:
        opsize(&ib, size);
        put(&ib, 0x58 + pick_reg(g, size, true));
        break;
    case 4:
        opsize(&ib, size);
        if (chance(g, 50)) {
            put(&ib, 0x6a);
            put(&ib, imm_value(g));
        } else {
            put(&ib, 0x68);
            put_imm(&ib, size, imm_value(g));
        }
        break;
    case 5: /* push r/m, pop r/m */
        rm = pick_rm(g, size, true);
        opsize(&ib, size);
        if (chance(g, 50)) {
            put(&ib, 0xff);
            put_modrm(&ib, 6, &rm);
        } else {
            put(&ib, 0x8f);
            put_modrm(&ib, 0, &rm);
        }
        break;
    case 6:
        opsize(&ib, size);
        put(&ib, chance(g, 50) ? 0x60 : 0x61);
        break;
    case 7:
        put(&ib, 0x9c); /* pushfd */
        break;
    case 8: /* enter imm16, 0/1 */
        put(&ib, 0xc8);
        put16(&ib, below(g, 64));
        put(&ib, below(g, 2));
        break;
    default: /* leave: mov esp, ebp; pop ebp */
        need_ptr(g, 5);
        put(&ib, 0xc9);
        break;
    }
    emit(g, &ib);
}

/* MOV, MOVZX/MOVSX, LEA, XCHG, CMPXCHG, XADD, CBW..CDQ, LAHF/SAHF,
 * CLC/STC/CMC, BCD adjust, XLAT, and the odd trap. */
static void form_misc(struct gen *g)
{
    struct ib ib = { .n = 0 };
    int size = pick_size(g), w = size != 1;
    struct rm rm;
    switch (below(g, 14)) {
    case 0: { /* mov */
        int dir = below(g, 2);
        rm = pick_rm(g, size, dir == 0);
        opsize(&ib, size);
        put(&ib, 0x88 | dir << 1 | w);
        put_modrm(&ib, pick_reg(g, size, dir == 1), &rm);
        break;
    }
    case 1: /* mov r/m, imm / mov r, imm */
        if (chance(g, 50)) {
            rm = pick_rm(g, size, true);
            opsize(&ib, size);
            put(&ib, 0xc6 | w);
            put_modrm(&ib, 0, &rm);
        } else {
            opsize(&ib, size);
            put(&ib, 0xb0 + 8 * w + pick_reg(g, size, true));
        }
        put_imm(&ib, size, imm_value(g));
        break;
    case 2: { /* movzx/movsx */
        int ssz = chance(g, 50) ? 1 : 2;
        int dsz = ssz == 2 || chance(g, 70) ? 4 : 2;
        rm = pick_rm(g, ssz, false);
        opsize(&ib, dsz);
        put(&ib, 0x0f);
        put(&ib, (chance(g, 50) ? 0xb6 : 0xbe) | (ssz == 2));
        put_modrm(&ib, pick_reg(g, dsz, true), &rm);
        break;
    }
    case 3: { /* lea: any address, no access */
        if (size == 1)
            size = 4;
        rm = (struct rm){ .mem = true,
                          .base = below(g, 9) - 1,
                          .index = -1,
                          .scale = below(g, 4),
                          .disp = imm_value(g) };
        if (chance(g, 60))
            do
                rm.index = below(g, 8);
            while (rm.index == 4);
        if (rm.base < 0 && rm.index < 0)
            rm.base = 0;
        opsize(&ib, size);
        put(&ib, 0x8d);
        put_modrm(&ib, pick_reg(g, size, true), &rm);
        break;
    }
    case 4: /* xchg */
        if (size != 1 && chance(g, 30)) {
            int r;
            do
                r = pick_reg(g, size, true);
            while (r == 0);
            opsize(&ib, size);
            put(&ib, 0x90 + r);
        } else {
            rm = pick_rm(g, size, true);
            opsize(&ib, size);
            put(&ib, 0x86 | w);
            put_modrm(&ib, pick_reg(g, size, true), &rm);
        }
        break;
    case 5: /* cmpxchg / xadd */
        rm = pick_rm(g, size, true);
        opsize(&ib, size);
        if (chance(g, 20) && rm.mem)
            put(&ib, 0xf0); /* lock: same semantics */
        put(&ib, 0x0f);
        put(&ib, (chance(g, 50) ? 0xb0 : 0xc0) | w);
        put_modrm(&ib, pick_reg(g, size, true), &rm);
        break;
    case 6: /* cbw/cwde/cwd/cdq */
        opsize(&ib, chance(g, 50) ? 2 : 4);
        put(&ib, 0x98 + below(g, 2));
        break;
    case 7: { /* lahf sahf clc stc cmc */
        static const uint8_t o[] = { 0x9f, 0x9e, 0xf8, 0xf9, 0xf5 };
        put(&ib, o[below(g, 5)]);
        break;
    }
    case 8:
    case 9: { /* daa das aaa aas aam aad */
        static const uint8_t o[] = { 0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5 };
        uint8_t b = o[below(g, 6)];
        put(&ib, b);
        if (b == 0xd4 || b == 0xd5)
            put(&ib, chance(g, 50) ? 10 : chance(g, 10) ? 0 : rnd(g));
        break;
    }
    case 10: /* xlat */
        need_ptr(g, 3);
        put(&ib, 0xd7);
        break;
    case 11:                 /* traps and faults: they end */
        if (chance(g, 70)) { /* the snippet, so not too often */
            form_alu(g);
            return;
        }
        switch (below(g, 4)) {
        case 0: put(&ib, 0xcc); break; /* int3  -> #BP */
        case 1: put(&ib, 0xce); break; /* into  -> #OF if OF */
        case 2:
            put(&ib, 0x0f);
            put(&ib, 0x0b);
            break; /* ud2   -> #UD */
        default:   /* bound -> #BR */
            rm = pick_mem(g);
            opsize(&ib, size == 2 ? 2 : 4);
            put(&ib, 0x62);
            put_modrm(&ib, pick_reg(g, 4, true), &rm); /* capstone: "writes" */
        }
        break;
    default: form_alu(g); return;
    }
    emit(g, &ib);
}

/* Forward branches: target = the start of a later unit (or the end). */
static void form_branch(struct gen *g)
{
    struct ib ib = { .n = 0 };
    int disp_size = 4, skip = below(g, 3);
    switch (below(g, 8)) {
    case 0:
    case 1:
        put(&ib, 0x70 + cc(g));
        disp_size = 1;
        break; /* jcc rel8 */
    case 2:
    case 3:
        put(&ib, 0x0f);
        put(&ib, 0x80 + cc(g));
        break; /* jcc rel32 */
    case 4:
        put(&ib, chance(g, 50) ? 0xeb : 0xe9); /* jmp */
        disp_size = ib.b[0] == 0xeb ? 1 : 4;
        break;
    case 5:
        put(&ib, 0xe3);
        disp_size = 1;
        break; /* jecxz */
    case 6:
        put(&ib, 0xe0 + below(g, 3));
        disp_size = 1;
        break;                      /* loopne loope loop */
    default: put(&ib, 0xe8); break; /* call (pushes) */
    }
    int at = ib.n;
    if (disp_size == 1) {
        put(&ib, 0);
        skip = below(g, 2);
    } else
        put32(&ib, 0);
    int off = emit(g, &ib);
    if (g->nfix < MAX_FIX) {
        struct fixup *f = &g->fix[g->nfix++];
        f->at = off + at;
        f->size = disp_size;
        f->end = g->out->len;
        f->target = g->unit + 1 + skip;
        f->undef = g->undef;
        memcpy(f->regst, g->regst, sizeof f->regst);
    }
}

typedef void (*form_fn)(struct gen *);

static void form_mixed(struct gen *g)
{
    static const form_fn all[] = { form_alu,    form_shift, form_muldiv, form_bit,
                                   form_string, form_stack, form_misc,   form_branch };
    all[below(g, 8)](g);
}

static void form_branchy(struct gen *g)
{
    if (chance(g, 45))
        form_branch(g);
    else if (chance(g, 50))
        form_alu(g);
    else
        form_mixed(g);
}

/* ---- the random-bytes generator ---------------------------------------- */

/* Stack, string and control-flow instructions use memory or EIP
 * implicitly; the templates cover them with valid pointers. */
static bool random_allowed(struct gen *g, const cs_insn *in)
{
    switch (in->id) {
    case X86_INS_PUSH:
    case X86_INS_POP:
    case X86_INS_PUSHAL:
    case X86_INS_POPAL:
    case X86_INS_PUSHAW:
    case X86_INS_POPAW:
    case X86_INS_PUSHF:
    case X86_INS_PUSHFD:
    case X86_INS_MOVSB:
    case X86_INS_MOVSW:
    case X86_INS_MOVSD:
    case X86_INS_STOSB:
    case X86_INS_STOSW:
    case X86_INS_STOSD:
    case X86_INS_LODSB:
    case X86_INS_LODSW:
    case X86_INS_LODSD:
    case X86_INS_CMPSB:
    case X86_INS_CMPSW:
    case X86_INS_CMPSD:
    case X86_INS_SCASB:
    case X86_INS_SCASW:
    case X86_INS_SCASD:
    case X86_INS_XLATB:
    case X86_INS_ENTER:
    case X86_INS_LEAVE:
    case X86_INS_LOOP:
    case X86_INS_LOOPE:
    case X86_INS_LOOPNE:
    case X86_INS_JECXZ:
    case X86_INS_JCXZ: return false;
    /* In the flag table (the interpreter needs them) but not for the host
     * oracle: EFLAGS and descriptor loads, SALC and SAL are not generated;
     * TZCNT is BSF here but TZCNT on a host with BMI1. */
    case X86_INS_POPF:
    case X86_INS_POPFD:
    case X86_INS_LAR:
    case X86_INS_LSL:
    case X86_INS_VERR:
    case X86_INS_VERW:
    case X86_INS_CMPXCHG8B:
    case X86_INS_SALC:
    case X86_INS_SAL:
    case X86_INS_TZCNT: return false;
    }
    if (cs_insn_group(g->cs, in, CS_GRP_JUMP) || cs_insn_group(g->cs, in, CS_GRP_CALL) ||
        cs_insn_group(g->cs, in, CS_GRP_RET) || cs_insn_group(g->cs, in, CS_GRP_INT) ||
        cs_insn_group(g->cs, in, CS_GRP_IRET))
        return false;
    /* Only general registers: a segment register's selector differs
     * between the host and our GDT; control/debug registers are moot. */
    const cs_x86 *x = &in->detail->x86;
    for (int i = 0; i < x->op_count; i++)
        if (x->operands[i].type == X86_OP_REG && gpr_of(x->operands[i].reg) < 0)
            return false;
    /* ESP stays a valid stack pointer. */
    cs_regs rr, rw;
    uint8_t nr, nw;
    if (cs_regs_access(g->cs, in, rr, &nr, rw, &nw) != CS_ERR_OK)
        return false;
    for (int i = 0; i < nw; i++)
        if (gpr_of(rw[i]) == 4)
            return false;
    return true;
}

/* One random instruction from the allow list with its memory operand (if
 * any) rewritten to [disp32] in the data area.  false: try again. */
static bool random_insn(struct gen *g, struct ib *ib)
{
    uint8_t b[16];
    for (int i = 0; i < 16; i++)
        b[i] = rnd(g);
    int p = 0;
    if (chance(g, 10))
        b[p++] = 0x66; /* some bias towards the */
    if (chance(g, 25))
        b[p++] = 0x0f; /* forms we care about   */
    (void)p;
    const uint8_t *cp = b;
    size_t sz = sizeof b;
    uint64_t addr = DIFF_CODE_ADDR;
    if (!cs_disasm_iter(g->cs, &cp, &sz, &addr, g->insn))
        return false;
    cs_insn *in = g->insn;
    const cs_x86 *x = &in->detail->x86;
    struct x86_flag_effect fe;
    if (!x86_insn_flag_effect(in, NULL, &fe) || !random_allowed(g, in))
        return false;
    if (x->prefix[3] || x->prefix[1] == X86_PREFIX_FS || x->prefix[1] == X86_PREFIX_GS)
        return false; /* addr16; FS/GS differ on the host */
    int n = in->size;
    bool has_mem = false;
    for (int i = 0; i < x->op_count; i++)
        if (x->operands[i].type == X86_OP_MEM)
            has_mem = true;
    ib->n = 0;
    if (!has_mem || in->id == X86_INS_LEA) {
        memcpy(ib->b, in->bytes, n);
        ib->n = n;
        return true;
    }
    /* BT* with a register bit offset can address any byte: skip. */
    if ((in->id == X86_INS_BT || in->id == X86_INS_BTS || in->id == X86_INS_BTR ||
         in->id == X86_INS_BTC) &&
        x->op_count == 2 && x->operands[1].type == X86_OP_REG)
        return false;
    uint32_t a = data_ptr(g);
    int mo = x->encoding.modrm_offset;
    if (mo == 0) { /* moffs: mov al, [addr] */
        if (x->encoding.disp_offset == 0 || x->encoding.disp_size != 4)
            return false;
        memcpy(ib->b, in->bytes, n);
        memcpy(ib->b + x->encoding.disp_offset, &a, 4);
        ib->n = n;
        return true;
    }
    uint8_t modrm = in->bytes[mo];
    int mod = modrm >> 6, rmf = modrm & 7, alen = 1;
    if (mod == 3)
        return false;
    if (rmf == 4) {
        alen++;
        if (mod == 0 && (in->bytes[mo + 1] & 7) == 5)
            alen += 4;
    }
    if (mod == 0 && rmf == 5)
        alen += 4;
    if (mod == 1)
        alen += 1;
    if (mod == 2)
        alen += 4;
    memcpy(ib->b, in->bytes, mo);
    ib->n = mo;
    put(ib, (modrm & 0x38) | 0x05);
    put32(ib, a);
    int rest = n - (mo + alen);
    if (rest < 0 || ib->n + rest > 15)
        return false;
    memcpy(ib->b + ib->n, in->bytes + mo + alen, rest);
    ib->n += rest;
    unsigned id = in->id;
    return decode(g, ib->b, ib->n) && g->insn->id == id;
}

static void form_random(struct gen *g)
{
    struct ib ib;
    for (int tries = 0; tries < 100000; tries++)
        if (random_insn(g, &ib)) {
            emit(g, &ib);
            return;
        }
    fprintf(stderr, "diff gen: no acceptable random instruction in 100000 tries\n");
    abort();
}

/* ---- snippets ------------------------------------------------------------ */

struct gen *gen_create(csh cs, uint32_t seed)
{
    struct gen *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->cs = cs;
    g->insn = cs_malloc(cs);
    g->rng = seed ? seed : 1;
    return g;
}

void gen_destroy(struct gen *g)
{
    if (g) {
        cs_free(g->insn, 1);
        free(g);
    }
}

void gen_snippet(struct gen *g, enum gen_cat cat, struct diff_in *out)
{
    static const form_fn forms[CAT_NGEN] = {
        form_alu,   form_shift, form_muldiv,  form_bit,   form_string,
        form_stack, form_misc,  form_branchy, form_mixed, form_random,
    };
    memset(out, 0, sizeof *out);
    g->out = out;
    g->undef = 0;
    g->nfix = 0;

    /* Input state: edge or random values; some registers start as
     * pointers into the data area, some as small counts. */
    for (int r = 0; r < 8; r++) {
        int k = below(g, 10);
        if (r == 4 || (cat != CAT_RANDOM && k < 3)) {
            out->st.gpr[r] = r == 4 ? DIFF_STACK_TOP - 4 * below(g, 64) : data_ptr(g);
            g->regst[r] = ST_PTR;
        } else if (k < 4) {
            out->st.gpr[r] = below(g, 64);
            g->regst[r] = ST_SMALL;
        } else {
            out->st.gpr[r] = diff_value(&g->rng);
            g->regst[r] = ST_ANY;
        }
    }
    out->st.eflags = FL_FIXED1 | FL_IF | (rnd(g) & (FL_ARITH | FL_DF));

    int nunits = 1 + below(g, cat == CAT_BRANCH ? 12 : 6);
    for (g->unit = 0; g->unit < nunits && room(g) > 48; g->unit++) {
        g->unit_off[g->unit] = out->len;
        /* Paths that branch here: merge what they know. */
        for (int i = 0; i < g->nfix; i++)
            if (g->fix[i].target == g->unit) {
                g->undef |= g->fix[i].undef;
                for (int r = 0; r < 8; r++)
                    if (g->regst[r] != g->fix[i].regst[r])
                        g->regst[r] = ST_ANY;
                g->regst[4] = ST_PTR;
            }
        forms[cat](g);
    }
    nunits = g->unit;
    g->unit_off[nunits] = out->len;
    for (int i = 0; i < g->nfix; i++) {
        struct fixup *f = &g->fix[i];
        int t = f->target < nunits ? f->target : nunits;
        int32_t d = g->unit_off[t] - f->end;
        if (f->size == 1) {
            if (d > 127) { /* units are short: cannot happen */
                fprintf(stderr, "diff gen: rel8 branch of %d bytes\n", d);
                abort();
            }
            out->code[f->at] = d;
        } else {
            memcpy(out->code + f->at, &d, 4);
        }
    }
}
