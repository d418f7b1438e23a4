/*
 * exec_alu.c — data instructions: MOV, ALU, shifts and rotates, multiply
 * and divide, bit operations, exchanges, conversions, BCD, flag instructions
 * (SDM Vol. 2 for each instruction; flags Vol. 1 Appendix A).
 *
 * Handlers that exist for each operand size and for register or memory
 * operands are written once as an always-inline template (size and mem
 * are compile-time constants in every instance) and instantiated by GEN.
 */
#include "x86/interp_int.h"

#define INL static inline __attribute__((always_inline))
#define SB(size) (1u << ((size) * 8 - 1))                /* sign bit */

static uint32_t sext(uint32_t v, int size)
{
    return size == 1 ? (uint32_t)(int8_t)v : size == 2 ? (uint32_t)(int16_t)v : v;
}

/* Instantiate fam(ip, in, OP, SZ, MEM) for sizes 1/2/4 and reg/mem, and
 * build the [size][mem] row of a handler table. */
#define INST(fam, OP, SZ, M) \
    static void fam##_##OP##_##SZ##_##M(struct interp *ip, const struct insn *in) \
    { fam(ip, in, OP, SZ, M); }
#define GEN(fam, OP) INST(fam, OP, 1, 0) INST(fam, OP, 1, 1) INST(fam, OP, 2, 0) \
                     INST(fam, OP, 2, 1) INST(fam, OP, 4, 0) INST(fam, OP, 4, 1)
#define ROW(fam, OP) { { fam##_##OP##_1_0, fam##_##OP##_1_1 }, \
                       { fam##_##OP##_2_0, fam##_##OP##_2_1 }, \
                       { fam##_##OP##_4_0, fam##_##OP##_4_1 } }
#define GEN8(fam) GEN(fam, 0) GEN(fam, 1) GEN(fam, 2) GEN(fam, 3) \
                  GEN(fam, 4) GEN(fam, 5) GEN(fam, 6) GEN(fam, 7)
#define ROW8(fam) { ROW(fam, 0), ROW(fam, 1), ROW(fam, 2), ROW(fam, 3), \
                    ROW(fam, 4), ROW(fam, 5), ROW(fam, 6), ROW(fam, 7) }

/* The r/m operand: a register, or memory read-modify-write through one
 * translation (the write access is checked before anything changes). */
struct rmw { uint8_t *p; uint32_t lin; };
INL uint32_t rm_read(struct interp *ip, const struct insn *in, int size, bool mem)
{
    return mem ? ld(ip, ea(ip, in), size) : rreg(ip, size, in->rm);
}
INL void rm_write(struct interp *ip, const struct insn *in, int size, bool mem, uint32_t v)
{
    if (mem) st(ip, ea(ip, in), size, v); else wreg(ip, size, in->rm, v);
}
INL uint32_t rmw_begin(struct interp *ip, const struct insn *in, int size, bool mem, struct rmw *o)
{
    if (!mem)
        return rreg(ip, size, in->rm);
    o->lin = ea(ip, in);
    o->p = rmw_ptr(ip, o->lin, size);
    return o->p ? ld_host(o->p, size) : ld(ip, o->lin, size);
}
INL void rmw_end(struct interp *ip, const struct insn *in, int size, bool mem, struct rmw *o, uint32_t v)
{
    if (!mem) wreg(ip, size, in->rm, v);
    else if (o->p) st_host(o->p, size, v);
    else st(ip, o->lin, size, v);
}

/* ---- ALU: ADD OR ADC SBB AND SUB XOR CMP (opcode bits 5:3) ------------- */
INL uint32_t alu(struct interp *ip, int op, int size, uint32_t a, uint32_t b)
{
    uint32_t r, c;
    switch (op) {
    case 0: r = a + b; ip->cc_op = CCOP(CC_ADD, size); break;
    case 1: r = a | b; ip->cc_op = CCOP(CC_LOGIC, size); break;
    case 2: c = get_cf(ip) != 0; r = a + b + c; ip->cc_aux = c; ip->cc_op = CCOP(CC_ADC, size); break;
    case 3: c = get_cf(ip) != 0; r = a - b - c; ip->cc_aux = c; ip->cc_op = CCOP(CC_SBB, size); break;
    case 4: r = a & b; ip->cc_op = CCOP(CC_LOGIC, size); break;
    case 6: r = a ^ b; ip->cc_op = CCOP(CC_LOGIC, size); break;
    default: r = a - b; ip->cc_op = CCOP(CC_SUB, size); break;   /* SUB, CMP */
    }
    ip->cc_dst = r;
    ip->cc_src1 = a;
    ip->cc_src2 = b;
    return r;
}
INL void alu_rm_r(struct interp *ip, const struct insn *in, int op, int size, bool mem)
{
    if (op == 7) { alu(ip, op, size, rm_read(ip, in, size, mem), rreg(ip, size, in->reg)); return; }
    struct rmw o = { NULL, 0 };
    uint32_t a = rmw_begin(ip, in, size, mem, &o);
    rmw_end(ip, in, size, mem, &o, alu(ip, op, size, a, rreg(ip, size, in->reg)));
}
INL void alu_r_rm(struct interp *ip, const struct insn *in, int op, int size, bool mem)
{
    uint32_t r = alu(ip, op, size, rreg(ip, size, in->reg), rm_read(ip, in, size, mem));
    if (op != 7)
        wreg(ip, size, in->reg, r);
}
INL void alu_rm_i(struct interp *ip, const struct insn *in, int op, int size, bool mem)
{
    if (op == 7) { alu(ip, op, size, rm_read(ip, in, size, mem), in->imm); return; }
    struct rmw o = { NULL, 0 };
    uint32_t a = rmw_begin(ip, in, size, mem, &o);
    rmw_end(ip, in, size, mem, &o, alu(ip, op, size, a, in->imm));
}
GEN8(alu_rm_r) GEN8(alu_r_rm) GEN8(alu_rm_i)
const insn_fn h_alu_rm_r[8][3][2] = ROW8(alu_rm_r);
const insn_fn h_alu_r_rm[8][3][2] = ROW8(alu_r_rm);
const insn_fn h_alu_rm_i[8][3][2] = ROW8(alu_rm_i);

/* ---- TEST, MOV --------------------------------------------------------- */
INL void test_rm_r(struct interp *ip, const struct insn *in, int op, int size, bool mem)
{
    (void)op;
    alu(ip, 4, size, rm_read(ip, in, size, mem), rreg(ip, size, in->reg));
}
INL void test_rm_i(struct interp *ip, const struct insn *in, int op, int size, bool mem)
{
    (void)op;
    alu(ip, 4, size, rm_read(ip, in, size, mem), in->imm);
}
INL void mov_rm_r(struct interp *ip, const struct insn *in, int op, int size, bool mem)
{
    (void)op;
    rm_write(ip, in, size, mem, rreg(ip, size, in->reg));
}
INL void mov_r_rm(struct interp *ip, const struct insn *in, int op, int size, bool mem)
{
    (void)op;
    wreg(ip, size, in->reg, rm_read(ip, in, size, mem));
}
INL void mov_rm_i(struct interp *ip, const struct insn *in, int op, int size, bool mem)
{
    (void)op;
    rm_write(ip, in, size, mem, in->imm);
}
GEN(test_rm_r, 0) GEN(test_rm_i, 0) GEN(mov_rm_r, 0) GEN(mov_r_rm, 0) GEN(mov_rm_i, 0)
const insn_fn h_test_rm_r[3][2] = ROW(test_rm_r, 0);
const insn_fn h_test_rm_i[3][2] = ROW(test_rm_i, 0);
const insn_fn h_mov_rm_r[3][2] = ROW(mov_rm_r, 0);
const insn_fn h_mov_r_rm[3][2] = ROW(mov_r_rm, 0);
const insn_fn h_mov_rm_i[3][2] = ROW(mov_rm_i, 0);

/* ---- INC DEC (CF kept), NOT NEG ---------------------------------------- */
INL void incdec(struct interp *ip, const struct insn *in, int op, int size, bool mem)
{
    struct rmw o = { NULL, 0 };
    uint32_t a = rmw_begin(ip, in, size, mem, &o);
    ip->cc_aux = get_cf(ip);
    uint32_t r = op ? a - 1 : a + 1;
    ip->cc_op = CCOP(op ? CC_DEC : CC_INC, size);
    ip->cc_dst = r;
    ip->cc_src1 = a;
    rmw_end(ip, in, size, mem, &o, r);
}
INL void notneg(struct interp *ip, const struct insn *in, int op, int size, bool mem)
{
    struct rmw o = { NULL, 0 };
    uint32_t a = rmw_begin(ip, in, size, mem, &o);
    uint32_t r = op ? alu(ip, 5, size, 0, a) : ~a;      /* NEG = 0 - a; NOT: no flags */
    rmw_end(ip, in, size, mem, &o, r);
}
GEN(incdec, 0) GEN(incdec, 1) GEN(notneg, 0) GEN(notneg, 1)
const insn_fn h_incdec[2][3][2] = { ROW(incdec, 0), ROW(incdec, 1) };
const insn_fn h_notneg[2][3][2] = { ROW(notneg, 0), ROW(notneg, 1) };

/* ---- shifts and rotates: ROL ROR RCL RCR SHL SHR SAL SAR ---------------
 * The count is masked to 5 bits; a zero count changes nothing, flags
 * included.  Rotates change only CF and OF. */
INL void shift(struct interp *ip, const struct insn *in, int op, int size, bool mem)
{
    int bits = size * 8;
    uint32_t m = szmask(size);
    struct rmw o = { NULL, 0 };
    uint32_t a = rmw_begin(ip, in, size, mem, &o);
    unsigned c = ((in->flags & I_CL) ? ip->r[R_ECX] : in->imm) & 0x1f;
    if (c == 0)
        return;
    uint32_t r, cf, of;
    if (op >= 4) {                                   /* SHL SHR SAL SAR */
        if (op == 5) {
            r = a >> c;
            cf = (a >> (c - 1)) & 1;
            of = (a >> (bits - 1)) & 1;              /* original sign */
        } else if (op == 7) {
            int32_t s = (int32_t)sext(a, size);
            r = (uint32_t)(s >> c) & m;
            cf = (uint32_t)(s >> (c - 1)) & 1;
            of = 0;
        } else {
            r = (uint32_t)((uint64_t)a << c) & m;
            cf = c <= (unsigned)bits ? (a >> (bits - c)) & 1 : 0;
            of = ((r >> (bits - 1)) & 1) ^ cf;
        }
        ip->cc_op = CCOP(CC_FIXED, size);
        ip->cc_dst = r;
        ip->cc_aux = (cf ? FL_CF : 0) | (of ? FL_OF : 0);
        rmw_end(ip, in, size, mem, &o, r);
        return;
    }
    uint32_t fl = cc_compute(ip);
    if (op <= 1) {                                   /* ROL ROR */
        unsigned k = c % bits;
        r = k ? ((op == 0 ? (a << k) | (a >> (bits - k)) : (a >> k) | (a << (bits - k))) & m) : a;
        if (op == 0) {
            cf = r & 1;
            of = ((r >> (bits - 1)) & 1) ^ cf;
        } else {
            cf = (r >> (bits - 1)) & 1;
            of = cf ^ ((r >> (bits - 2)) & 1);
        }
    } else {                                         /* RCL RCR: N+1 bit rotate through CF */
        unsigned k = c % (bits + 1);
        uint64_t v = ((uint64_t)(fl & FL_CF) << bits) | a, vm = ((uint64_t)1 << (bits + 1)) - 1;
        if (op == 2)
            v = k ? ((v << k) | (v >> (bits + 1 - k))) & vm : v;
        else
            v = k ? ((v >> k) | (v << (bits + 1 - k))) & vm : v;
        r = (uint32_t)v & m;
        cf = (v >> bits) & 1;
        if (op == 2)
            of = ((r >> (bits - 1)) & 1) ^ cf;
        else
            of = ((r >> (bits - 1)) ^ (r >> (bits - 2))) & 1;
    }
    fl = (fl & ~(FL_CF | FL_OF)) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
    set_arith_flags(ip, fl);
    rmw_end(ip, in, size, mem, &o, r);
}
GEN8(shift)
const insn_fn h_shift[8][3][2] = ROW8(shift);

/* ---- MUL IMUL DIV IDIV (one operand: the accumulator is implicit) ------ */
INL void muldiv(struct interp *ip, const struct insn *in, int op, int size, bool mem)
{
    uint32_t src = rm_read(ip, in, size, mem), m = szmask(size);
    int bits = size * 8;
    uint64_t acc = size == 1 ? (ip->r[R_EAX] & 0xffff)
                 : ((uint64_t)(ip->r[R_EDX] & m) << bits) | (ip->r[R_EAX] & m);
    uint64_t lo, hi;
    if (op <= 1) {
        uint32_t a = ip->r[R_EAX] & m;
        bool over;
        if (op == 0) {
            uint64_t p = (uint64_t)a * src;
            lo = p & m; hi = (p >> bits) & m;
            over = hi != 0;
        } else {
            int64_t p = (int64_t)(int32_t)sext(a, size) * (int32_t)sext(src, size);
            lo = (uint64_t)p & m; hi = ((uint64_t)p >> bits) & m;
            over = (int64_t)(int32_t)sext((uint32_t)lo, size) != p;
        }
        ip->cc_op = CCOP(CC_FIXED, size);
        ip->cc_dst = lo;
        ip->cc_aux = over ? FL_CF | FL_OF : 0;
    } else {
        if ((src & m) == 0)
            raise_exc(ip, EXC_DE, 0);
        if (op == 2) {
            uint64_t q = acc / src;
            if (q > m)
                raise_exc(ip, EXC_DE, 0);
            lo = q; hi = acc % src;
        } else {
            int64_t n = size == 4 ? (int64_t)acc : size == 2 ? (int32_t)acc : (int16_t)acc;
            int64_t d = (int32_t)sext(src, size);
            if (d == -1 && n == INT64_MIN)
                raise_exc(ip, EXC_DE, 0);
            int64_t q = n / d, rem = n % d;
            int64_t qmax = (int64_t)(m >> 1);
            if (q > qmax || q < -qmax - 1)
                raise_exc(ip, EXC_DE, 0);
            lo = (uint64_t)q & m; hi = (uint64_t)rem & m;
        }
    }
    if (size == 1) {
        wreg(ip, 2, R_EAX, (uint32_t)((hi << 8) | lo));
    } else {
        wreg(ip, size, R_EAX, (uint32_t)lo);
        wreg(ip, size, R_EDX, (uint32_t)hi);
    }
}
GEN(muldiv, 0) GEN(muldiv, 1) GEN(muldiv, 2) GEN(muldiv, 3)
const insn_fn h_muldiv[4][3][2] = { ROW(muldiv, 0), ROW(muldiv, 1), ROW(muldiv, 2), ROW(muldiv, 3) };

/* The remaining handlers take size and memory-ness at run time. */
#define MEM (in->flags & I_MEM)

static uint32_t imul_trunc(struct interp *ip, int size, uint32_t a, uint32_t b)
{
    int64_t p = (int64_t)(int32_t)sext(a, size) * (int32_t)sext(b, size);
    uint32_t r = (uint32_t)p & szmask(size);
    ip->cc_op = CCOP(CC_FIXED, size);
    ip->cc_dst = r;
    ip->cc_aux = (int64_t)(int32_t)sext(r, size) != p ? FL_CF | FL_OF : 0;
    return r;
}
void h_imul2(struct interp *ip, const struct insn *in)          /* IMUL Gv, Ev */
{
    uint32_t b = rm_read(ip, in, in->size, MEM);
    wreg(ip, in->size, in->reg, imul_trunc(ip, in->size, rreg(ip, in->size, in->reg), b));
}
void h_imul3(struct interp *ip, const struct insn *in)          /* IMUL Gv, Ev, imm */
{
    uint32_t a = rm_read(ip, in, in->size, MEM);
    wreg(ip, in->size, in->reg, imul_trunc(ip, in->size, a, in->imm));
}

void h_lea(struct interp *ip, const struct insn *in)
{
    wreg(ip, in->size, in->reg, ea_off(ip, in));
}
void h_movzx(struct interp *ip, const struct insn *in)          /* op = source size */
{
    wreg(ip, in->size, in->reg, rm_read(ip, in, in->op, MEM));
}
void h_movsx(struct interp *ip, const struct insn *in)
{
    wreg(ip, in->size, in->reg, sext(rm_read(ip, in, in->op, MEM), in->op));
}

/* ---- bit operations ---------------------------------------------------- */
/* BT BTS BTR BTC (op & 3); op & 4: bit offset is the immediate.  With a
 * register offset and a memory operand the offset is a signed bit string
 * index, so the address moves (SDM Vol. 2 "BT"). */
void h_bt(struct interp *ip, const struct insn *in)
{
    int size = in->size, bits = size * 8;
    uint32_t off = (in->op & 4) ? in->imm : rreg(ip, size, in->reg);
    uint32_t fl = cc_compute(ip);
    uint32_t v, bit, r;
    if (MEM) {
        uint32_t lin = ea(ip, in);
        if (!(in->op & 4))
            lin += (uint32_t)(((int32_t)sext(off, size) >> (size == 4 ? 5 : 4)) * size);
        bit = off & (bits - 1);
        if ((in->op & 3) == 0) {
            v = ld(ip, lin, size);
        } else {
            uint8_t *p = rmw_ptr(ip, lin, size);
            v = p ? ld_host(p, size) : ld(ip, lin, size);
            r = (in->op & 3) == 1 ? v | (1u << bit) : (in->op & 3) == 2 ? v & ~(1u << bit) : v ^ (1u << bit);
            if (p) st_host(p, size, r); else st(ip, lin, size, r);
        }
    } else {
        bit = off & (bits - 1);
        v = rreg(ip, size, in->rm);
        r = (in->op & 3) == 1 ? v | (1u << bit) : (in->op & 3) == 2 ? v & ~(1u << bit) : v ^ (1u << bit);
        if (in->op & 3)
            wreg(ip, size, in->rm, r);
    }
    set_arith_flags(ip, (fl & ~FL_CF) | ((v >> bit) & 1 ? FL_CF : 0));
}
void h_bsf(struct interp *ip, const struct insn *in)
{
    uint32_t v = rm_read(ip, in, in->size, MEM), fl = cc_compute(ip) & ~FL_ZF;
    if (v == 0)
        fl |= FL_ZF;                          /* destination unchanged */
    else
        wreg(ip, in->size, in->reg, __builtin_ctz(v));
    set_arith_flags(ip, fl);
}
void h_bsr(struct interp *ip, const struct insn *in)
{
    uint32_t v = rm_read(ip, in, in->size, MEM), fl = cc_compute(ip) & ~FL_ZF;
    if (v == 0)
        fl |= FL_ZF;
    else
        wreg(ip, in->size, in->reg, 31 - __builtin_clz(v));
    set_arith_flags(ip, fl);
}
/* SHLD/SHRD r/m, reg, count: shift r/m, filling from reg. */
static void shxd(struct interp *ip, const struct insn *in, bool left)
{
    int size = in->size, bits = size * 8;
    uint32_t m = szmask(size);
    struct rmw o = { NULL, 0 };
    uint32_t a = rmw_begin(ip, in, size, MEM, &o), b = rreg(ip, size, in->reg);
    unsigned c = ((in->flags & I_CL) ? ip->r[R_ECX] : in->imm) & 0x1f;
    if (c == 0)
        return;
    uint64_t t, r;
    uint32_t cf;
    if (size == 2) {
        /* A count above 16 is undefined; Intel CPUs shift the 48-bit
         * value a:b:a (QEMU models the same), so do we. */
        t = ((uint64_t)a << 32) | ((uint64_t)b << 16) | a;
        if (left) {
            r = ((t << c) >> 32) & m;
            cf = (uint32_t)((t << (c - 1)) >> 47) & 1;
        } else {
            r = (t >> c) & m;
            cf = (uint32_t)(t >> (c - 1)) & 1;
        }
    } else if (left) {
        t = ((uint64_t)a << bits) | b;
        r = ((t << c) >> bits) & m;
        cf = (uint32_t)(t >> (2 * bits - c)) & 1;
    } else {
        t = ((uint64_t)b << bits) | a;
        r = (t >> c) & m;
        cf = (uint32_t)(t >> (c - 1)) & 1;
    }
    uint32_t of = (uint32_t)((r ^ a) >> (bits - 1)) & 1;
    ip->cc_op = CCOP(CC_FIXED, size);
    ip->cc_dst = (uint32_t)r;
    ip->cc_aux = (cf ? FL_CF : 0) | (of ? FL_OF : 0);
    rmw_end(ip, in, size, MEM, &o, (uint32_t)r);
}
void h_shld(struct interp *ip, const struct insn *in) { shxd(ip, in, true); }
void h_shrd(struct interp *ip, const struct insn *in) { shxd(ip, in, false); }

/* ---- exchanges ---------------------------------------------------------- */
void h_xchg(struct interp *ip, const struct insn *in)
{
    struct rmw o = { NULL, 0 };
    uint32_t a = rmw_begin(ip, in, in->size, MEM, &o);
    rmw_end(ip, in, in->size, MEM, &o, rreg(ip, in->size, in->reg));
    wreg(ip, in->size, in->reg, a);
}
void h_xadd(struct interp *ip, const struct insn *in)
{
    struct rmw o = { NULL, 0 };
    uint32_t a = rmw_begin(ip, in, in->size, MEM, &o);
    uint32_t r = alu(ip, 0, in->size, a, rreg(ip, in->size, in->reg));
    wreg(ip, in->size, in->reg, a);
    rmw_end(ip, in, in->size, MEM, &o, r);
}
void h_cmpxchg(struct interp *ip, const struct insn *in)
{
    struct rmw o = { NULL, 0 };
    uint32_t d = rmw_begin(ip, in, in->size, MEM, &o);
    uint32_t acc = rreg(ip, in->size, R_EAX);
    alu(ip, 7, in->size, acc, d);
    if (acc == d) {
        rmw_end(ip, in, in->size, MEM, &o, rreg(ip, in->size, in->reg));
    } else {
        rmw_end(ip, in, in->size, MEM, &o, d);    /* the CPU always writes */
        wreg(ip, in->size, R_EAX, d);
    }
}
void h_cmpxchg8b(struct interp *ip, const struct insn *in)
{
    uint32_t lin = ea(ip, in);
    mem_xlate(ip, ip->tlb, lin, ACC_W);
    mem_xlate(ip, ip->tlb, lin + 7, ACC_W);
    uint32_t lo = ld(ip, lin, 4), hi = ld(ip, lin + 4, 4);
    uint32_t fl = cc_compute(ip) & ~FL_ZF;
    if (lo == ip->r[R_EAX] && hi == ip->r[R_EDX]) {
        st(ip, lin, 4, ip->r[R_EBX]);
        st(ip, lin + 4, 4, ip->r[R_ECX]);
        fl |= FL_ZF;
    } else {
        st(ip, lin, 4, lo);
        st(ip, lin + 4, 4, hi);
        ip->r[R_EAX] = lo;
        ip->r[R_EDX] = hi;
    }
    set_arith_flags(ip, fl);
}
void h_bswap(struct interp *ip, const struct insn *in)
{
    if (in->size == 2)            /* undefined by the SDM; real CPUs clear the word */
        ip->r[in->reg] &= 0xffff0000u;
    else
        ip->r[in->reg] = __builtin_bswap32(ip->r[in->reg]);
}

/* ---- conditional set / move -------------------------------------------- */
void h_setcc(struct interp *ip, const struct insn *in)
{
    rm_write(ip, in, 1, MEM, cc_cond(ip, in->op));
}
void h_cmovcc(struct interp *ip, const struct insn *in)
{
    uint32_t v = rm_read(ip, in, in->size, MEM);     /* the source is always read */
    if (cc_cond(ip, in->op))
        wreg(ip, in->size, in->reg, v);
}

/* ---- conversions -------------------------------------------------------- */
void h_cbw(struct interp *ip, const struct insn *in)            /* CBW / CWDE */
{
    if (in->size == 2) wreg(ip, 2, R_EAX, sext(ip->r[R_EAX] & 0xff, 1));
    else ip->r[R_EAX] = sext(ip->r[R_EAX] & 0xffff, 2);
}
void h_cwd(struct interp *ip, const struct insn *in)            /* CWD / CDQ */
{
    uint32_t sign = (ip->r[R_EAX] >> (in->size * 8 - 1)) & 1;
    wreg(ip, in->size, R_EDX, sign ? 0xffffffffu : 0);
}

/* ---- BCD (SDM Vol. 2 DAA/DAS/AAA/AAS/AAM/AAD pseudocode) ---------------- */
static void set_szp(struct interp *ip, uint32_t fl, uint8_t r)
{
    fl &= ~(FL_SF | FL_ZF | FL_PF);
    if (r == 0) fl |= FL_ZF;
    if (r & 0x80) fl |= FL_SF;
    if (!__builtin_parity(r)) fl |= FL_PF;
    set_arith_flags(ip, fl);
}
void h_daa(struct interp *ip, const struct insn *in)
{
    (void)in;
    uint32_t fl = cc_compute(ip);
    uint8_t al = ip->r[R_EAX], old = al;
    bool cf = fl & FL_CF;
    fl &= ~(FL_CF | FL_AF | FL_OF);
    if ((old & 0xf) > 9 || (cc_compute(ip) & FL_AF)) { al += 6; fl |= FL_AF; }
    if (old > 0x99 || cf) { al += 0x60; fl |= FL_CF; }
    wreg(ip, 1, R_EAX, al);
    set_szp(ip, fl, al);
}
void h_das(struct interp *ip, const struct insn *in)
{
    (void)in;
    uint32_t fl = cc_compute(ip);
    uint8_t al = ip->r[R_EAX], old = al;
    bool cf = fl & FL_CF, af = fl & FL_AF;
    fl &= ~(FL_CF | FL_AF | FL_OF);
    if ((old & 0xf) > 9 || af) { al -= 6; fl |= FL_AF; if (old < 6 || cf) fl |= FL_CF; }
    if (old > 0x99 || cf) { al -= 0x60; fl |= FL_CF; }
    wreg(ip, 1, R_EAX, al);
    set_szp(ip, fl, al);
}
static void aaa_aas(struct interp *ip, bool add)
{
    uint32_t fl = cc_compute(ip);
    uint32_t ax = ip->r[R_EAX] & 0xffff;
    if ((ax & 0xf) > 9 || (fl & FL_AF)) {
        ax = add ? ax + 0x106 : ax - 0x106;
        fl |= FL_AF | FL_CF;
    } else {
        fl &= ~(FL_AF | FL_CF);
    }
    wreg(ip, 2, R_EAX, ax & 0xff0f);
    set_arith_flags(ip, fl);
}
void h_aaa(struct interp *ip, const struct insn *in) { (void)in; aaa_aas(ip, true); }
void h_aas(struct interp *ip, const struct insn *in) { (void)in; aaa_aas(ip, false); }
void h_aam(struct interp *ip, const struct insn *in)
{
    uint8_t base = in->imm, al = ip->r[R_EAX];
    if (base == 0)
        raise_exc(ip, EXC_DE, 0);
    uint8_t r = al % base;
    wreg(ip, 2, R_EAX, ((al / base) << 8) | r);
    set_szp(ip, cc_compute(ip), r);
}
void h_aad(struct interp *ip, const struct insn *in)
{
    uint8_t r = (uint8_t)((ip->r[R_EAX] & 0xff) + ((ip->r[R_EAX] >> 8) & 0xff) * (in->imm & 0xff));
    wreg(ip, 2, R_EAX, r);
    set_szp(ip, cc_compute(ip), r);
}
void h_salc(struct interp *ip, const struct insn *in)
{
    (void)in;
    wreg(ip, 1, R_EAX, get_cf(ip) ? 0xff : 0);
}

/* ---- flag instructions --------------------------------------------------- */
void h_lahf(struct interp *ip, const struct insn *in)
{
    (void)in;
    wreg(ip, 1, 4 /* AH */, (cc_compute(ip) & 0xd5) | FL_FIXED1);
}
void h_sahf(struct interp *ip, const struct insn *in)
{
    (void)in;
    uint32_t ah = (ip->r[R_EAX] >> 8) & 0xd5;     /* SF ZF AF PF CF */
    set_arith_flags(ip, (cc_compute(ip) & FL_OF) | ah);
}
void h_clc(struct interp *ip, const struct insn *in) { (void)in; set_arith_flags(ip, cc_compute(ip) & ~FL_CF); }
void h_stc(struct interp *ip, const struct insn *in) { (void)in; set_arith_flags(ip, cc_compute(ip) | FL_CF); }
void h_cmc(struct interp *ip, const struct insn *in) { (void)in; set_arith_flags(ip, cc_compute(ip) ^ FL_CF); }
void h_cld(struct interp *ip, const struct insn *in) { (void)in; ip->eflags &= ~FL_DF; }
void h_std(struct interp *ip, const struct insn *in) { (void)in; ip->eflags |= FL_DF; }
void h_nop(struct interp *ip, const struct insn *in) { (void)ip; (void)in; }
void h_ud(struct interp *ip, const struct insn *in) { (void)in; raise_ud(ip); }
/* A write through CS: code segments are never writable in protected mode. */
void h_gp0(struct interp *ip, const struct insn *in) { (void)in; raise_gp(ip, 0); }
