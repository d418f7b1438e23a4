/*
 * handlers.h — the instruction handlers (exec_*.c), one per operation.
 *
 * The decoder (decode.c) stores the handler of each instruction in
 * struct insn (x86/decoded.h); calling in->fn(ip, in) executes it.  An
 * engine built on the decoded form classifies instructions by handler:
 * stage 01's translator re-emits in->fn == h_alu_rm_r[op][size][mem] as a
 * native ALU instruction, and calls the handler itself for the others.
 * The tables are indexed [operation][size 1,2,4 -> 0,1,2][r/m is memory].
 */
#ifndef X86_HANDLERS_H
#define X86_HANDLERS_H

#include "x86/decoded.h"

#define H(name) void name(struct interp *ip, const struct insn *in)
extern const insn_fn h_alu_rm_r[8][3][2], h_alu_r_rm[8][3][2], h_alu_rm_i[8][3][2];
extern const insn_fn h_mov_rm_r[3][2], h_mov_r_rm[3][2], h_mov_rm_i[3][2];
extern const insn_fn h_test_rm_r[3][2], h_test_rm_i[3][2];
extern const insn_fn h_incdec[2][3][2], h_notneg[2][3][2], h_shift[8][3][2];
extern const insn_fn h_muldiv[4][3][2];
H(h_lea);
H(h_movzx);
H(h_movsx);
H(h_imul2);
H(h_imul3);
H(h_bt);
H(h_bsf);
H(h_bsr);
H(h_shld);
H(h_shrd);
H(h_xchg);
H(h_xadd);
H(h_cmpxchg);
H(h_cmpxchg8b);
H(h_bswap);
H(h_setcc);
H(h_cmovcc);
H(h_cbw);
H(h_cwd);
H(h_daa);
H(h_das);
H(h_aaa);
H(h_aas);
H(h_aam);
H(h_aad);
H(h_lahf);
H(h_sahf);
H(h_clc);
H(h_stc);
H(h_cmc);
H(h_cld);
H(h_std);
H(h_nop);
H(h_ud);
H(h_gp0);
H(h_fpu);
H(h_fwait);
H(h_fxsave);
H(h_salc);

H(h_jcc);
H(h_jmp);
H(h_jmp_rm);
H(h_call);
H(h_call_rm);
H(h_ret);
H(h_ret_imm);
H(h_loop);
H(h_jecxz);
H(h_push_r);
H(h_pop_r);
H(h_push_i);
H(h_push_rm);
H(h_pop_rm);
H(h_push_sreg);
H(h_pop_sreg);
H(h_pusha);
H(h_popa);
H(h_pushf);
H(h_popf);
H(h_enter);
H(h_leave);
H(h_xlat);
H(h_movs);
H(h_stos);
H(h_lods);
H(h_cmps);
H(h_scas);
H(h_ins);
H(h_outs);
H(h_in);
H(h_out);
H(h_hlt);
H(h_cli);
H(h_sti);
H(h_int);
H(h_int3);
H(h_into);
H(h_iret);
H(h_jmpf);
H(h_jmpf_m);
H(h_callf);
H(h_callf_m);
H(h_retf);
H(h_bound);

H(h_mov_rm_sreg);
H(h_mov_sreg_rm);
H(h_lxs);
H(h_grp6);
H(h_grp7);
H(h_vmcall);
H(h_lar);
H(h_lsl);
H(h_mov_r_cr);
H(h_mov_cr_r);
H(h_mov_r_dr);
H(h_mov_dr_r);
H(h_clts);
H(h_cpuid);
H(h_rdtsc);
H(h_rdmsr);
H(h_wrmsr);
H(h_wbinvd);
H(h_sysenter);
H(h_sysexit);
#undef H

#endif
