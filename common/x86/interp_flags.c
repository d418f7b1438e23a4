/*
 * interp_flags.c — the interpreter's decoded instructions and the flag
 * table (x86/flag_effects.h): each struct insn carries its flag class,
 * filled at decode time; the run-time argument (a shift count in CL, the
 * count register of REP CMPS/SCAS) comes from the registers before the
 * instruction runs.
 */
#include "x86/interp_int.h"

struct x86_flag_effect insn_flag_effect(const struct interp *ip, const struct insn *in)
{
    long arg = 1;
    switch (in->fclass) {
    case FC_SHIFT:
    case FC_SAR:
    case FC_ROT:
    case FC_RCX:
    case FC_SHXD:
        if (!(in->flags & I_CL))
            arg = in->imm & 0x1f; /* SDM: count masked to 5 bits */
        else
            arg = ip ? (long)(ip->r[R_ECX] & 0x1f) : FE_ARG_UNKNOWN;
        break;
    case FC_STRCMP:
        if (in->flags & (I_REP | I_REPNE))
            arg = ip ? (long)(ip->r[R_ECX] & in->amask) : FE_ARG_UNKNOWN;
        break;
    }
    return x86_flag_effect(in->fclass, in->size, arg);
}

/* The run loop's inner loop with the undefined set kept up to date after
 * every instruction (a faulting one never gets there: it did not happen;
 * a REP string that paused has done iterations, which define the flags of
 * CMPS/SCAS as the whole instruction would). */
const struct insn *interp_run_tracked(struct interp *ip, const struct insn *in,
                                      const struct insn *end)
{
    do {
        ip->cur = in;
        struct x86_flag_effect fe = insn_flag_effect(ip, in);
        in->fn(ip, in);
        if (!ip->exit_reason || ip->exit_reason == EXIT_HLT)
            ip->undef_flags = x86_undef_after(ip->undef_flags, &fe);
        in++;
    } while (in < end && !ip->stop);
    return in;
}

void interp_track_flags(struct interp *ip, bool on) { ip->track_flags = on; }
uint32_t interp_undef_flags(const struct interp *ip) { return ip->undef_flags; }
void interp_set_undef_flags(struct interp *ip, uint32_t undef) { ip->undef_flags = undef; }
void interp_split_flag_reads(struct interp *ip, bool on) { ip->split_flag_reads = on; }
