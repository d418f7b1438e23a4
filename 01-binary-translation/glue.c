/*
 * glue.c — code both translations emit alike (glue.h).
 */
#include "01-binary-translation/glue.h"

static const int saved[6] = { RBP, RBX, R12, R13, R14, R15 };

void glue_prologue(struct emit *e, int ipr)
{
    for (int i = 0; i < 6; i++)
        emit_push_r64(e, saved[i]);
    emit_sub_r64_imm8(e, RSP, 8); /* 16-byte aligned at our calls */
    emit_mov_r64_r64(e, R13, RDI);
    emit_mov_r64_r64(e, ipr, RSI);
    emit_mov_r64_r64(e, R14, RDX);
}

void glue_epilogue(struct emit *e)
{
    emit_add_r64_imm8(e, RSP, 8);
    for (int i = 5; i >= 0; i--)
        emit_pop_r64(e, saved[i]);
    emit_ret(e);
}

void glue_ret(struct emit *e, const struct bt *bt, int code)
{
    emit_mov_r32_imm32(e, RAX, (uint32_t)code);
    emit_jmp_rel32(e, bt->exit_glue);
}

uint8_t *glue_call_insn(struct emit *e, int ipr, const struct insn *in, int h)
{
    emit_mov_r64_imm64(e, RSI, (uintptr_t)in);
    emit_store_r64(e, ipr, OFF_IP(cur), RSI);
    emit_mov_r64_r64(e, RDI, ipr);
    if (h >= 0) { /* HELPER: sensitive, emulated */
        emit_mov_r64_r64(e, RDX, R13);
        emit_mov_r32_imm32(e, RCX, (uint32_t)h);
        emit_mov_r64_imm64(e, RAX, (uintptr_t)bt_helper);
    } else if (h == GLUE_X87) { /* the x87 state to and from struct x86_fpu */
        emit_mov_r64_r64(e, RDX, R13);
        emit_mov_r64_imm64(e, RAX, (uintptr_t)bt_x87_call);
    } else { /* CALL: the interpreter's handler */
        emit_mov_r64_imm64(e, RAX, (uintptr_t)in->fn);
    }
    emit_call_r64(e, RAX);
    emit_cmp_m8_imm8(e, ipr, OFF_IP(stop), 0);
    return emit_jcc_rel32(e, CC_NE, e->p);
}

void glue_stop_stubs(struct emit *e, const struct bt *bt, struct tblock *tb,
                     uint8_t *const *stop_fix, unsigned n)
{
    uint8_t *common = e->p; /* the shared tail: record the block, return */
    emit_mov_r64_imm64(e, RAX, (uintptr_t)tb);
    emit_store_r64(e, R13, OFF_BT(last), RAX);
    glue_ret(e, bt, BT_RET_STOP);
    for (unsigned i = 0; i < n; i++) {
        if (!stop_fix[i])
            continue; /* a native or WINDOW instruction (or overflow) */
        emit_patch_rel32(stop_fix[i], e->p);
        emit_store_m32_imm32(e, R13, OFF_BT(done), i + 1);
        emit_jmp_rel32(e, common);
    }
}
