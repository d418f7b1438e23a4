/*
 * fpu.c — x87 state: initialisation, tags, FXAM's classes and the
 * saved-state images (x86/fpu.h).
 */
#include <string.h>
#include "x86/fpu.h"

/* The QNaN floating-point indefinite: sign 1, exponent all ones,
 * significand 1.1000... (SDM Vol. 1 Table 4-3). */
const struct x87_reg x87_indefinite = { 0xc000000000000000ull, 0xffff };

void fpu_init(struct x86_fpu *f)
{
    f->cw = FCW_DEFAULT;
    f->sw = 0;
    f->top = 0;
    f->full = 0;
    f->fop = 0;
    f->fip = f->fdp = 0;
    f->fcs = f->fds = 0;
}

/* SDM Vol. 3A Table 9-1: after RESET the control word is 0040H (all
 * exceptions unmasked), the tag word 5555H (every register "zero"), the
 * registers +0.0, MXCSR 1F80H.  An OS runs FNINIT before using it. */
void fpu_reset(struct x86_fpu *f)
{
    fpu_init(f);
    memset(f->r, 0, sizeof f->r);
    f->cw = 0x0040;
    f->full = 0xff;
    f->mxcsr = MXCSR_RESET;
}

void fpu_update_es(struct x86_fpu *f)
{
    if (f->sw & ~f->cw & FSW_EXC)
        f->sw |= FSW_ES | FSW_B;
    else
        f->sw &= ~(FSW_ES | FSW_B);
}

int fpu_tag_of(const struct x87_reg *v)
{
    unsigned e = v->se & 0x7fff;
    if (e == 0)
        return v->sig ? TAG_SPECIAL : TAG_ZERO; /* denormal, pseudo-denormal */
    if (e == 0x7fff || !(v->sig >> 63))
        return TAG_SPECIAL; /* NaN, infinity, unsupported (J = 0) */
    return TAG_VALID;
}

uint16_t fpu_tw(const struct x86_fpu *f)
{
    uint16_t tw = 0;
    for (int i = 0; i < 8; i++) {
        int t = (f->full >> i & 1) ? fpu_tag_of(&f->r[i]) : TAG_EMPTY;
        tw |= (uint16_t)(t << (2 * i));
    }
    return tw;
}

/* FXAM: C3 C2 C0 = 000 unsupported, 001 NaN, 010 normal, 011 infinity,
 * 100 zero, 101 empty, 110 denormal; C1 = sign. */
uint16_t fpu_xam(const struct x86_fpu *f)
{
    const struct x87_reg *v = &f->r[f->top];
    unsigned e = v->se & 0x7fff;
    bool j = v->sig >> 63;
    uint16_t c = (v->se & 0x8000) ? FSW_C1 : 0;
    if (fpu_empty(f, 0))
        return c | FSW_C3 | FSW_C0;
    if (e == 0)
        return c | (v->sig ? FSW_C3 | FSW_C2 : FSW_C3);
    if (!j)
        return c; /* unnormal, pseudo-NaN, pseudo-infinity */
    if (e == 0x7fff)
        return c | ((v->sig << 1) ? FSW_C0 : FSW_C2 | FSW_C0);
    return c | FSW_C2;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint16_t get16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}
static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Figure 8-9 (32-bit protected mode): CW, SW, TW, FIP, FCS | FOP << 16,
 * FDP, FDS, each in a 32-bit slot (the unused upper halves read as ones);
 * Figure 8-10's 16-bit form: seven 16-bit slots, no opcode. */
void fpu_env_store(const struct x86_fpu *f, uint8_t *buf, bool o16)
{
    if (o16) {
        put16(buf + 0, f->cw);
        put16(buf + 2, fpu_sw(f));
        put16(buf + 4, fpu_tw(f));
        put16(buf + 6, (uint16_t)f->fip);
        put16(buf + 8, f->fcs);
        put16(buf + 10, (uint16_t)f->fdp);
        put16(buf + 12, f->fds);
        return;
    }
    put32(buf + 0, 0xffff0000u | f->cw);
    put32(buf + 4, 0xffff0000u | fpu_sw(f));
    put32(buf + 8, 0xffff0000u | fpu_tw(f));
    put32(buf + 12, f->fip);
    put32(buf + 16, f->fcs | (uint32_t)(f->fop & 0x7ff) << 16);
    put32(buf + 20, f->fdp);
    put32(buf + 24, 0xffff0000u | f->fds);
}

void fpu_env_load(struct x86_fpu *f, const uint8_t *buf, bool o16)
{
    uint16_t tw;
    if (o16) {
        f->cw = get16(buf);
        f->sw = get16(buf + 2);
        tw = get16(buf + 4);
        f->fip = get16(buf + 6);
        f->fcs = get16(buf + 8);
        f->fdp = get16(buf + 10);
        f->fds = get16(buf + 12);
    } else {
        f->cw = get16(buf);
        f->sw = get16(buf + 4);
        tw = get16(buf + 8);
        f->fip = get32(buf + 12);
        f->fcs = get16(buf + 16);
        f->fop = get16(buf + 18) & 0x7ff;
        f->fdp = get32(buf + 20);
        f->fds = get16(buf + 24);
    }
    f->top = (f->sw & FSW_TOP) >> 11;
    f->sw &= ~FSW_TOP;
    f->full = 0; /* only "empty" matters: the other tags follow the contents */
    for (int i = 0; i < 8; i++)
        if (((tw >> (2 * i)) & 3) != TAG_EMPTY)
            f->full |= 1u << i;
    fpu_update_es(f);
}

/* FXSAVE, 32-bit form (SDM Vol. 2A FXSAVE, Table 3-53). */
void fpu_fxsave(const struct x86_fpu *f, uint8_t *buf)
{
    memset(buf, 0, 32);
    put16(buf + 0, f->cw);
    put16(buf + 2, fpu_sw(f));
    buf[4] = f->full; /* abridged tag word, physical order */
    put16(buf + 6, f->fop & 0x7ff);
    put32(buf + 8, f->fip);
    put16(buf + 12, f->fcs);
    put32(buf + 16, f->fdp);
    put16(buf + 20, f->fds);
    put32(buf + 24, f->mxcsr);
    put32(buf + 28, MXCSR_MASK);
    for (int i = 0; i < 8; i++) {
        const struct x87_reg *v = &f->r[(f->top + i) & 7];
        uint8_t *p = buf + 32 + 16 * i;
        memset(p, 0, 16);
        memcpy(p, &v->sig, 8);
        put16(p + 8, v->se);
    }
}

bool fpu_fxrstor(struct x86_fpu *f, const uint8_t *buf)
{
    uint32_t mxcsr = get32(buf + 24);
    if (mxcsr & ~(uint32_t)MXCSR_MASK)
        return false;
    f->cw = get16(buf);
    f->sw = get16(buf + 2);
    f->top = (f->sw & FSW_TOP) >> 11;
    f->sw &= ~FSW_TOP;
    f->full = buf[4];
    f->fop = get16(buf + 6) & 0x7ff;
    f->fip = get32(buf + 8);
    f->fcs = get16(buf + 12);
    f->fdp = get32(buf + 16);
    f->fds = get16(buf + 20);
    f->mxcsr = mxcsr;
    for (int i = 0; i < 8; i++) {
        struct x87_reg *v = &f->r[(f->top + i) & 7];
        memcpy(&v->sig, buf + 32 + 16 * i, 8);
        v->se = get16(buf + 40 + 16 * i);
    }
    fpu_update_es(f);
    return true;
}
