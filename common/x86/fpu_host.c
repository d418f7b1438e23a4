/*
 * fpu_host.c — the x87 numeric engine: the host's own x87 (x86/fpu.h).
 *
 * The host is an x86 (the translator emits x86 code, VMX is an x86
 * feature), and its long double is the x87's 80-bit format.  Rather than
 * re-derive IEEE 754 rounding, denormals, NaN propagation and the
 * transcendental instructions, each operation runs on the host x87 under
 * the guest's control word (precision, rounding and exception masks):
 *
 *   FNINIT; FLDCW cw; FLD b; FLD a; <op>; FNSAVE image
 *
 * FNSAVE is a non-waiting instruction: it stores the status word, the
 * tags and the registers without checking for a pending unmasked exception
 * (SDM Vol. 1 §8.3.11) and re-initialises the host FPU, so an exception
 * the guest unmasked never reaches the host as SIGFPE.  The x86-64 ABI
 * leaves the x87 stack empty and the control word 0x37F between calls,
 * which is what FNSAVE leaves behind.
 */
#include <string.h>
#include "x86/fpu.h"

/* One asm statement per operation: nothing can be reordered inside it.
 * %[m] is the 16-byte memory operand; x87 register forms are spelled as
 * bytes (SDM Vol. 2 Appendix A.5) to avoid the AT&T operand order of
 * FSUB/FDIV with register operands. */
#define RUN(ins) \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" ins "\n\tfnsave %[s]" \
                     : [s] "=m"(img), [m] "+m"(*(uint8_t(*)[16])m) \
                     : [cw] "m"(cw), [a] "m"(*a), [b] "m"(*b) \
                     : "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)")

/* The memory forms of one operation: m32 real, m64 real, m32 int, m16 int. */
#define MEM4(op, r32, r64, i32, i16) \
    case op | X87_M32: RUN(r32 " %[m]"); break; \
    case op | X87_M64: RUN(r64 " %[m]"); break; \
    case op | X87_I32: RUN(i32 " %[m]"); break; \
    case op | X87_I16: RUN(i16 " %[m]"); break;

void x87_run(unsigned op, uint16_t cw, const struct x87_reg *a, const struct x87_reg *b,
             uint8_t m[16], struct x87_result *out)
{
    uint8_t img[108], none[16];
    if (!m)
        m = none;
    switch (op) {
    case X87_ADD: RUN(".byte 0xd8, 0xc1"); break;  /* FADD ST(0), ST(1)  */
    case X87_MUL: RUN(".byte 0xd8, 0xc9"); break;  /* FMUL ST(0), ST(1)  */
    case X87_SUB: RUN(".byte 0xd8, 0xe1"); break;  /* FSUB ST(0), ST(1)  */
    case X87_SUBR: RUN(".byte 0xd8, 0xe9"); break; /* FSUBR ST(0), ST(1) */
    case X87_DIV: RUN(".byte 0xd8, 0xf1"); break;  /* FDIV ST(0), ST(1)  */
    case X87_DIVR: RUN(".byte 0xd8, 0xf9"); break; /* FDIVR ST(0), ST(1) */
    case X87_COM: RUN(".byte 0xd8, 0xd1"); break;  /* FCOM ST(1)         */
    case X87_UCOM: RUN(".byte 0xdd, 0xe1"); break; /* FUCOM ST(1)        */
    case X87_TST: RUN("ftst"); break;
    case X87_SQRT: RUN("fsqrt"); break;
    case X87_RNDINT: RUN("frndint"); break;
    case X87_F2XM1: RUN("f2xm1"); break;
    case X87_SIN: RUN("fsin"); break;
    case X87_COS: RUN("fcos"); break;
    case X87_SINCOS: RUN("fsincos"); break;
    case X87_PTAN: RUN("fptan"); break;
    case X87_XTRACT: RUN("fxtract"); break;
    case X87_SCALE: RUN("fscale"); break;
    case X87_PREM: RUN("fprem"); break;
    case X87_PREM1: RUN("fprem1"); break;
    case X87_YL2X: RUN("fyl2x"); break;
    case X87_YL2XP1: RUN("fyl2xp1"); break;
    case X87_PATAN: RUN("fpatan"); break;
    case X87_LDL2T: RUN("fldl2t"); break;
    case X87_LDL2E: RUN("fldl2e"); break;
    case X87_LDPI: RUN("fldpi"); break;
    case X87_LDLG2: RUN("fldlg2"); break;
    case X87_LDLN2: RUN("fldln2"); break;
    case X87_LD32: RUN("flds %[m]"); break;
    case X87_LD64: RUN("fldl %[m]"); break;
    case X87_ILD16: RUN("filds %[m]"); break;
    case X87_ILD32: RUN("fildl %[m]"); break;
    case X87_ILD64: RUN("fildll %[m]"); break;
    case X87_BLD: RUN("fbld %[m]"); break;
    case X87_ST32: RUN("fsts %[m]"); break;
    case X87_ST64: RUN("fstl %[m]"); break;
    case X87_IST16: RUN("fists %[m]"); break;
    case X87_IST32: RUN("fistl %[m]"); break;
    case X87_IST64: RUN("fistpll %[m]"); break;
    case X87_BST:
        RUN("fbstp %[m]");
        break;
        MEM4(X87_ADD, "fadds", "faddl", "fiaddl", "fiadds")
        MEM4(X87_MUL, "fmuls", "fmull", "fimull", "fimuls")
        MEM4(X87_SUB, "fsubs", "fsubl", "fisubl", "fisubs")
        MEM4(X87_SUBR, "fsubrs", "fsubrl", "fisubrl", "fisubrs")
        MEM4(X87_DIV, "fdivs", "fdivl", "fidivl", "fidivs")
        MEM4(X87_DIVR, "fdivrs", "fdivrl", "fidivrl", "fidivrs")
        MEM4(X87_COM, "fcoms", "fcoml", "ficoml", "ficoms")
    default: memset(img, 0, sizeof img); break;
    }
    uint16_t sw, tw;
    memcpy(&sw, img + 4, 2);
    memcpy(&tw, img + 8, 2);
    out->sw = sw;
    out->depth = 0;
    for (int i = 0; i < 8; i++)
        out->depth += ((tw >> (2 * i)) & 3) != TAG_EMPTY;
    for (int i = 0; i < 4; i++) {
        memcpy(&out->st[i].sig, img + 28 + 10 * i, 8);
        memcpy(&out->st[i].se, img + 36 + 10 * i, 2);
    }
}
