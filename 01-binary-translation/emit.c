/*
 * emit.c — the x86-64 encoder (see emit.h).  Encodings from SDM Vol. 2:
 * REX = 0100WRXB (§2.2.1.2); ModRM = mod:2 reg:3 rm:3 (§2.1.5, Table 2-2);
 * rm = 100 needs a SIB byte, and mod = 00 with rm = 101 means RIP-relative
 * in 64-bit mode, so memory operands here always use mod 01 (disp8) or
 * mod 10 (disp32) and add SIB 0x24 when the base is RSP or R12.
 */
#include <string.h>
#include "01-binary-translation/emit.h"

void emit_u8(struct emit *e, uint8_t v)
{
    if (e->p >= e->end) {
        e->overflow = true;
        return;
    }
    *e->p++ = v;
}
void emit_u32(struct emit *e, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        emit_u8(e, (uint8_t)(v >> (8 * i)));
}
void emit_u64(struct emit *e, uint64_t v)
{
    emit_u32(e, (uint32_t)v);
    emit_u32(e, (uint32_t)(v >> 32));
}

/* REX prefix: w = 64-bit operand, r extends ModRM.reg, b extends rm/base.
 * force: emit 0x40 even when no bit is set (not needed by our forms). */
static void rex(struct emit *e, bool w, int reg, int rm)
{
    uint8_t v = 0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((rm & 8) ? 1 : 0);
    if (v != 0x40)
        emit_u8(e, v);
}

/* ModRM (+SIB, +disp) for [base + disp] with ModRM.reg = reg. */
static void modrm_mem(struct emit *e, int reg, int base, int32_t disp)
{
    bool d8 = disp >= -128 && disp <= 127;
    emit_u8(e, (uint8_t)((d8 ? 0x40 : 0x80) | ((reg & 7) << 3) | (base & 7)));
    if ((base & 7) == RSP)
        emit_u8(e, 0x24); /* SIB: no index, base = RSP/R12 */
    if (d8)
        emit_u8(e, (uint8_t)disp);
    else
        emit_u32(e, (uint32_t)disp);
}
static void modrm_reg(struct emit *e, int reg, int rm)
{
    emit_u8(e, (uint8_t)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

void emit_mov_r64_imm64(struct emit *e, int reg, uint64_t imm)
{
    rex(e, true, 0, reg);
    emit_u8(e, 0xb8 + (reg & 7)); /* REX.W B8+r io */
    emit_u64(e, imm);
}
void emit_mov_r32_imm32(struct emit *e, int reg, uint32_t imm)
{
    rex(e, false, 0, reg);
    emit_u8(e, 0xb8 + (reg & 7)); /* B8+r id (zero-extends) */
    emit_u32(e, imm);
}
void emit_mov_r64_r64(struct emit *e, int dst, int src)
{
    rex(e, true, src, dst);
    emit_u8(e, 0x89); /* MOV r/m64, r64 */
    modrm_reg(e, src, dst);
}
void emit_store_r64(struct emit *e, int base, int32_t disp, int src)
{
    rex(e, true, src, base);
    emit_u8(e, 0x89);
    modrm_mem(e, src, base, disp);
}
void emit_load_r64(struct emit *e, int dst, int base, int32_t disp)
{
    rex(e, true, dst, base);
    emit_u8(e, 0x8b); /* MOV r64, r/m64 */
    modrm_mem(e, dst, base, disp);
}
void emit_store_m32_imm32(struct emit *e, int base, int32_t disp, uint32_t imm)
{
    rex(e, false, 0, base);
    emit_u8(e, 0xc7); /* C7 /0 id */
    modrm_mem(e, 0, base, disp);
    emit_u32(e, imm);
}
void emit_store_m64_imm32(struct emit *e, int base, int32_t disp, int32_t imm)
{
    rex(e, true, 0, base);
    emit_u8(e, 0xc7); /* REX.W C7 /0 id */
    modrm_mem(e, 0, base, disp);
    emit_u32(e, (uint32_t)imm);
}
void emit_cmp_m8_imm8(struct emit *e, int base, int32_t disp, uint8_t imm)
{
    rex(e, false, 0, base);
    emit_u8(e, 0x80); /* 80 /7 ib */
    modrm_mem(e, 7, base, disp);
    emit_u8(e, imm);
}
void emit_cmp_m32_imm32(struct emit *e, int base, int32_t disp, uint32_t imm)
{
    rex(e, false, 0, base);
    emit_u8(e, 0x81); /* 81 /7 id */
    modrm_mem(e, 7, base, disp);
    emit_u32(e, imm);
}
void emit_sub_m32_imm8(struct emit *e, int base, int32_t disp, int8_t imm)
{
    rex(e, false, 0, base);
    emit_u8(e, 0x83); /* 83 /5 ib */
    modrm_mem(e, 5, base, disp);
    emit_u8(e, (uint8_t)imm);
}
void emit_add_m64_imm32(struct emit *e, int base, int32_t disp, int32_t imm)
{
    rex(e, true, 0, base);
    if (imm >= -128 && imm <= 127) {
        emit_u8(e, 0x83); /* REX.W 83 /0 ib */
        modrm_mem(e, 0, base, disp);
        emit_u8(e, (uint8_t)imm);
    } else {
        emit_u8(e, 0x81); /* REX.W 81 /0 id */
        modrm_mem(e, 0, base, disp);
        emit_u32(e, (uint32_t)imm);
    }
}
void emit_lea_r64(struct emit *e, int dst, int base, int32_t disp)
{
    rex(e, true, dst, base);
    emit_u8(e, 0x8d); /* LEA r64, m */
    modrm_mem(e, dst, base, disp);
}
void emit_test_r64_r64(struct emit *e, int a, int b)
{
    rex(e, true, b, a);
    emit_u8(e, 0x85); /* TEST r/m64, r64 */
    modrm_reg(e, b, a);
}
void emit_load_m32(struct emit *e, int dst, int base, int32_t disp)
{
    rex(e, false, dst, base);
    emit_u8(e, 0x8b); /* MOV r32, r/m32 */
    modrm_mem(e, dst, base, disp);
}
void emit_store_m32(struct emit *e, int base, int32_t disp, int src)
{
    rex(e, false, src, base);
    emit_u8(e, 0x89); /* MOV r/m32, r32 */
    modrm_mem(e, src, base, disp);
}
void emit_lea32(struct emit *e, int dst, int base, int index, int scale, int32_t disp)
{
    if (base < 0 && index < 0) {
        emit_mov_r32_imm32(e, dst, (uint32_t)disp);
        return;
    }
    int ss = scale == 8 ? 3 : scale == 4 ? 2 : scale == 2 ? 1 : 0;
    /* REX: R = dst, X = index, B = base. */
    uint8_t r = 0x40 | ((dst & 8) ? 4 : 0) | (index >= 8 ? 2 : 0) | (base >= 8 ? 1 : 0);
    if (r != 0x40)
        emit_u8(e, r);
    emit_u8(e, 0x8d); /* LEA r32, m */
    if (base < 0) {   /* [index*scale + disp32]: SIB base 101, mod 00 */
        emit_u8(e, (uint8_t)(0x04 | ((dst & 7) << 3)));
        emit_u8(e, (uint8_t)((ss << 6) | ((index & 7) << 3) | 5));
        emit_u32(e, (uint32_t)disp);
        return;
    }
    bool d8 = disp >= -128 && disp <= 127;
    emit_u8(e, (uint8_t)((d8 ? 0x40 : 0x80) | ((dst & 7) << 3) | 4)); /* always a SIB */
    emit_u8(e, (uint8_t)((ss << 6) | ((index < 0 ? 4 : index & 7) << 3) | (base & 7)));
    if (d8)
        emit_u8(e, (uint8_t)disp);
    else
        emit_u32(e, (uint32_t)disp);
}
static void gs_a32(struct emit *e, int reg, int addr)
{
    emit_u8(e, 0x65); /* GS segment override */
    emit_u8(e, 0x67); /* address size 32 */
    rex(e, false, reg, addr);
}
void emit_gs_load32(struct emit *e, int dst, int addr)
{
    gs_a32(e, dst, addr);
    emit_u8(e, 0x8b);
    emit_u8(e, (uint8_t)(((dst & 7) << 3) | (addr & 7))); /* mod 00 */
}
void emit_gs_store32(struct emit *e, int addr, int src)
{
    gs_a32(e, src, addr);
    emit_u8(e, 0x89);
    emit_u8(e, (uint8_t)(((src & 7) << 3) | (addr & 7)));
}
void emit_gs_store32_imm(struct emit *e, int addr, uint32_t imm)
{
    gs_a32(e, 0, addr);
    emit_u8(e, 0xc7); /* C7 /0 id */
    emit_u8(e, (uint8_t)(addr & 7));
    emit_u32(e, imm);
}
void emit_add_r64_imm8(struct emit *e, int reg, int8_t imm)
{
    rex(e, true, 0, reg);
    emit_u8(e, 0x83);
    modrm_reg(e, 0, reg);
    emit_u8(e, (uint8_t)imm);
}
void emit_sub_r64_imm8(struct emit *e, int reg, int8_t imm)
{
    rex(e, true, 0, reg);
    emit_u8(e, 0x83);
    modrm_reg(e, 5, reg);
    emit_u8(e, (uint8_t)imm);
}
void emit_push_r64(struct emit *e, int reg)
{
    rex(e, false, 0, reg);
    emit_u8(e, 0x50 + (reg & 7));
}
void emit_pop_r64(struct emit *e, int reg)
{
    rex(e, false, 0, reg);
    emit_u8(e, 0x58 + (reg & 7));
}
void emit_call_r64(struct emit *e, int reg)
{
    rex(e, false, 0, reg);
    emit_u8(e, 0xff); /* FF /2 */
    modrm_reg(e, 2, reg);
}
void emit_jmp_r64(struct emit *e, int reg)
{
    rex(e, false, 0, reg);
    emit_u8(e, 0xff); /* FF /4 */
    modrm_reg(e, 4, reg);
}
void emit_ret(struct emit *e) { emit_u8(e, 0xc3); }

bool emit_rel32_ok(const uint8_t *field, const void *target)
{
    int64_t d = (int64_t)((intptr_t)target - (intptr_t)(field + 4));
    return d >= INT32_MIN && d <= INT32_MAX;
}
void emit_patch_rel32(uint8_t *field, const void *target)
{
    int32_t d = (int32_t)((intptr_t)target - (intptr_t)(field + 4));
    memcpy(field, &d, 4);
}
static uint8_t *rel32(struct emit *e, const void *target)
{
    uint8_t *field = e->p;
    emit_u32(e, 0);
    if (e->overflow)
        return NULL;
    emit_patch_rel32(field, target);
    return field;
}
uint8_t *emit_jmp_rel32(struct emit *e, const void *target)
{
    emit_u8(e, 0xe9); /* E9 cd */
    return rel32(e, target);
}
uint8_t *emit_jcc_rel32(struct emit *e, int cc, const void *target)
{
    emit_u8(e, 0x0f); /* 0F 80+cc cd */
    emit_u8(e, (uint8_t)(0x80 | cc));
    return rel32(e, target);
}
