/*
 * flags.c — lazy arithmetic flags (CF PF AF ZF SF OF, SDM Vol. 1 §3.4.3.1).
 *
 * Most instructions that set flags have them overwritten before anyone
 * looks, so the handlers only record the operation (cc_op) and its inputs
 * and result; the six flags are computed here when EFLAGS is read, or just
 * the one condition a Jcc/SETcc/CMOVcc needs.
 */
#include "x86/interp_int.h"

static uint32_t parity(uint32_t v)
{
    return __builtin_parity(v & 0xff) ? 0 : FL_PF; /* PF: even # of 1s */
}

uint32_t cc_compute(const struct interp *ip)
{
    int op = ip->cc_op >> 2, size = 1 << (ip->cc_op & 3);
    if (op == CC_EFLAGS)
        return ip->cc_src1 & FL_ARITH;
    uint32_t m = szmask(size), sb = 1u << (size * 8 - 1);
    uint32_t d = ip->cc_dst & m, a = ip->cc_src1 & m, b = ip->cc_src2 & m;
    uint32_t f = 0;
    switch (op) {
    case CC_ADD:
    case CC_ADC:
        if ((op == CC_ADC && ip->cc_aux) ? d <= a : d < a)
            f |= FL_CF;
        if ((a ^ ~b) & (a ^ d) & sb)
            f |= FL_OF;           /* same-sign inputs, sign flipped */
        f |= (a ^ b ^ d) & FL_AF; /* carry out of bit 3 */
        break;
    case CC_SUB:
    case CC_SBB:
        if ((op == CC_SBB && ip->cc_aux) ? a <= b : a < b)
            f |= FL_CF;
        if ((a ^ b) & (a ^ d) & sb)
            f |= FL_OF;
        f |= (a ^ b ^ d) & FL_AF;
        break;
    case CC_LOGIC: break; /* CF = OF = 0 (AF undefined: 0) */
    case CC_INC:
        f |= ip->cc_aux & FL_CF; /* INC/DEC keep CF */
        if (d == sb)
            f |= FL_OF;
        if ((d & 0xf) == 0)
            f |= FL_AF;
        break;
    case CC_DEC:
        f |= ip->cc_aux & FL_CF;
        if (d == sb - 1)
            f |= FL_OF;
        if ((d & 0xf) == 0xf)
            f |= FL_AF;
        break;
    case CC_FIXED: f |= ip->cc_aux & (FL_CF | FL_OF | FL_AF); break;
    }
    if (d == 0)
        f |= FL_ZF;
    if (d & sb)
        f |= FL_SF;
    return f | parity(d);
}

/* Condition codes in opcode order (SDM Vol. 1 Table B-1): O NO B AE E NE BE
 * A S NS P NP L GE LE G; odd codes negate the even one below them. */
bool cc_cond(const struct interp *ip, int cc)
{
    int op = ip->cc_op >> 2, size = 1 << (ip->cc_op & 3);
    int sh = 32 - size * 8;
    bool r;
    if (op == CC_SUB) {
        /* Compare a with b directly; aligning both to bit 31 keeps unsigned
         * and signed order for 8- and 16-bit operands too. */
        uint32_t a = ip->cc_src1 << sh, b = ip->cc_src2 << sh;
        switch (cc >> 1) {
        case 1: r = a < b; break;
        case 2: r = a == b; break;
        case 3: r = a <= b; break;
        case 6: r = (int32_t)a < (int32_t)b; break;
        case 7: r = (int32_t)a <= (int32_t)b; break;
        default: goto generic;
        }
        return r ^ (cc & 1);
    }
    if (op == CC_LOGIC) {
        int32_t d = (int32_t)(ip->cc_dst << sh);
        switch (cc >> 1) {
        case 0:
        case 1: r = false; break; /* OF = CF = 0 */
        case 2:
        case 3: r = d == 0; break;
        case 4:
        case 6: r = d < 0; break; /* SF != OF with OF = 0 */
        case 7: r = d <= 0; break;
        default: goto generic;
        }
        return r ^ (cc & 1);
    }
generic:;
    uint32_t f = cc_compute(ip);
    switch (cc >> 1) {
    case 0: r = f & FL_OF; break;
    case 1: r = f & FL_CF; break;
    case 2: r = f & FL_ZF; break;
    case 3: r = f & (FL_CF | FL_ZF); break;
    case 4: r = f & FL_SF; break;
    case 5: r = f & FL_PF; break;
    case 6: r = !(f & FL_SF) != !(f & FL_OF); break;
    default: r = (f & FL_ZF) || (!(f & FL_SF) != !(f & FL_OF)); break;
    }
    return r ^ (cc & 1);
}

/* The EFLAGS bits this CPU implements; VM (virtual-8086) is not. */
#define FL_IMPL (FL_ARITH | FL_TF | FL_IF | FL_DF | FL_IOPL | FL_NT | FL_RF | FL_AC | FL_ID)

void set_eflags(struct interp *ip, uint32_t v)
{
    ip->eflags = (v & FL_IMPL & ~FL_ARITH) | FL_FIXED1;
    set_arith_flags(ip, v);
}

void interp_flatten_flags(struct interp *ip)
{
    if (ip->cc_op != CC_EFLAGS)
        set_arith_flags(ip, cc_compute(ip));
}
