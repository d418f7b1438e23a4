/*
 * emit.h — a small x86-64 encoder for the binary translator's glue code.
 *
 * Only the forms the translator needs, each encoded by hand from the opcode
 * tables of SDM Vol. 2 (REX prefix §2.2.1, ModRM/SIB §2.1.5, Appendix A).
 * Registers are numbered like the hardware (RAX=0 .. R15=15); a register
 * >= 8 sets REX.B (or REX.R when it sits in ModRM.reg).
 *
 * Emission never writes past the end of the buffer: when the code does not
 * fit, e->overflow is set and the caller throws the block away (the code
 * cache then flushes and translates again).
 */
#ifndef BT_EMIT_H
#define BT_EMIT_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

/* Condition codes (the low nibble of Jcc, SDM Vol. 2 Table B-1). */
enum {
    CC_O,
    CC_NO,
    CC_B,
    CC_AE,
    CC_E,
    CC_NE,
    CC_BE,
    CC_A,
    CC_S,
    CC_NS,
    CC_P,
    CC_NP,
    CC_L,
    CC_GE,
    CC_LE,
    CC_G
};

struct emit {
    uint8_t *start, *p, *end;
    bool overflow;
};

static inline void emit_init(struct emit *e, void *buf, size_t len)
{
    e->start = e->p = buf;
    e->end = e->p + len;
    e->overflow = false;
}
static inline size_t emit_size(const struct emit *e) { return (size_t)(e->p - e->start); }

void emit_u8(struct emit *e, uint8_t v);
void emit_u32(struct emit *e, uint32_t v);
void emit_u64(struct emit *e, uint64_t v);

void emit_mov_r64_imm64(struct emit *e, int reg, uint64_t imm);       /* mov reg, imm64   */
void emit_mov_r32_imm32(struct emit *e, int reg, uint32_t imm);       /* mov reg32, imm32 */
void emit_mov_r64_r64(struct emit *e, int dst, int src);              /* mov dst, src     */
void emit_store_r64(struct emit *e, int base, int32_t disp, int src); /* mov [base+disp], src */
void emit_load_r64(struct emit *e, int dst, int base, int32_t disp);  /* mov dst, [base+disp] */
void emit_store_m32_imm32(struct emit *e, int base, int32_t disp, uint32_t imm);
void emit_store_m64_imm32(struct emit *e, int base, int32_t disp, int32_t imm); /* sign-extended */
void emit_cmp_m8_imm8(struct emit *e, int base, int32_t disp, uint8_t imm);
void emit_cmp_m32_imm32(struct emit *e, int base, int32_t disp, uint32_t imm);
void emit_sub_m32_imm8(struct emit *e, int base, int32_t disp, int8_t imm);
void emit_add_m64_imm32(struct emit *e, int base, int32_t disp, int32_t imm);
void emit_lea_r64(struct emit *e, int dst, int base, int32_t disp); /* lea dst, [base+disp] */
void emit_test_r64_r64(struct emit *e, int a, int b);
void emit_load_m32(struct emit *e, int dst, int base, int32_t disp);  /* mov r32, [base+disp] */
void emit_store_m32(struct emit *e, int base, int32_t disp, int src); /* mov [base+disp], r32 */
/* lea dst32, [base + index*scale + disp] (base/index -1 = absent): a 32-bit
 * result, so the sum wraps at 4 GiB like a guest address. */
void emit_lea32(struct emit *e, int dst, int base, int index, int scale, int32_t disp);
/* Guest memory through the window: gs: segment (0x65) and 32-bit address
 * size (0x67), so [addr] is gs.base + (addr mod 2^32).  addr must not be
 * RSP/R12 or RBP/R13 (those need SIB / mean EIP-relative with mod 00). */
void emit_gs_load32(struct emit *e, int dst, int addr);           /* mov dst32, gs:[addr32]  */
void emit_gs_store32(struct emit *e, int addr, int src);          /* mov gs:[addr32], src32  */
void emit_gs_store32_imm(struct emit *e, int addr, uint32_t imm); /* mov dword gs:[addr32], imm */
void emit_add_r64_imm8(struct emit *e, int reg, int8_t imm);
void emit_sub_r64_imm8(struct emit *e, int reg, int8_t imm);
void emit_push_r64(struct emit *e, int reg);
void emit_pop_r64(struct emit *e, int reg);
void emit_call_r64(struct emit *e, int reg); /* call reg         */
void emit_jmp_r64(struct emit *e, int reg);  /* jmp reg          */
void emit_ret(struct emit *e);
/* Relative branches: the returned pointer is the rel32 field (NULL on
 * overflow), so a chained jump can be re-pointed later (emit_patch_rel32). */
uint8_t *emit_jmp_rel32(struct emit *e, const void *target);
uint8_t *emit_jcc_rel32(struct emit *e, int cc, const void *target);
/* Make the rel32 field at field jump to target. */
void emit_patch_rel32(uint8_t *field, const void *target);
/* A rel32 from the instruction ending at field+4 to target fits? */
bool emit_rel32_ok(const uint8_t *field, const void *target);

#endif
