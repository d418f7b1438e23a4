/*
 * fpu.c — the x87 FPU and FXSAVE/FXRSTOR seen from a guest kernel (SDM
 * Vol. 1 ch. 8): after FNINIT the control and status words are the
 * documented 037FH and 0; a small computation (sqrt(pi) * 1000 rounded to
 * an integer, 1/3 in double precision) gives the bits a real x87 gives;
 * FCOMIP sets EFLAGS; the state survives FXSAVE, FNINIT, FXRSTOR.  The
 * kernel is built without x87 code (-mgeneral-regs-only), so everything
 * is inline assembly on memory operands.
 */
#include "../kernel/program.h"

struct fpu_out {
    uint16_t cw, sw;
    int32_t sqrtpi, one;
    uint64_t third;
    uint8_t below;
};

static void fpu_work(struct fpu_out *o, uint8_t *fx)
{
    static const int32_t thousand = 1000, three = 3;
    __asm__ volatile(
        "fninit\n\t"
        "fnstcw %[cw]\n\t"
        "fnstsw %[sw]\n\t"
        "fldpi\n\t"
        "fsqrt\n\t"
        "fimull %[k]\n\t"
        "fistpl %[sp]\n\t" /* round to nearest: 1772 */
        "fld1\n\t"
        "fidivl %[three]\n\t"
        "fstpl %[third]\n\t"
        "fld1\n\t"
        "fldz\n\t"
        "fcomip %%st(1), %%st\n\t" /* 0 < 1: CF = 1 */
        "setb %[below]\n\t"
        "fxsave %[fx]\n\t"
        "fninit\n\t"
        "fxrstor %[fx]\n\t"
        "fistpl %[one]\n\t"
        : [cw] "=m"(o->cw), [sw] "=m"(o->sw), [sp] "=m"(o->sqrtpi), [third] "=m"(o->third),
          [below] "=m"(o->below), [one] "=m"(o->one), [fx] "+m"(*(uint8_t(*)[512])fx)
        : [k] "m"(thousand), [three] "m"(three)
        : "cc", "memory");
}

static int fpu_prog(struct prog_ctx *ctx)
{
    static uint8_t fx[512] __attribute__((aligned(16)));
    struct fpu_out o = { 0 };
#ifndef VMLAB_PV /* the paravirtual kernel set these at boot (kernel/mm.c) */
    uint32_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 = (cr0 & ~(1u << 2 | 1u << 3)) | 1u << 1 | 1u << 5; /* EM = TS = 0, MP = NE = 1 */
    __asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
#endif
    fpu_work(&o, fx);
    result(ctx, "cw=%x sw=%x sqrtpi1000=%d third=%08x%08x fcomi_below=%d fxrstor=%d", o.cw, o.sw,
           (int)o.sqrtpi, (uint32_t)(o.third >> 32), (uint32_t)o.third, o.below, (int)o.one);
    if (o.cw != 0x037f || o.sw != 0)
        return prog_fail(ctx, "FNINIT left cw=%x sw=%x", o.cw, o.sw);
    if (o.sqrtpi != 1772 || o.third != 0x3fd5555555555555ull)
        return prog_fail(ctx, "wrong results");
    if (o.below != 1 || o.one != 1)
        return prog_fail(ctx, "FCOMIP or FXSAVE/FXRSTOR failed");
    return 0;
}

PROGRAM("fpu", "x87 arithmetic, FCOMIP and FXSAVE/FXRSTOR in the guest kernel", 1, fpu_prog);
