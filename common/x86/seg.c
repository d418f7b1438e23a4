/*
 * seg.c — segment descriptors and the protected-mode checks on loading a
 * segment register (SDM Vol. 3A ch. 3 and §5.5-5.8; Vol. 2 MOV/POP Sreg,
 * JMP, CALL, RET, IRET pseudocode).  The guest uses flat segments, so the
 * interesting part is privilege: CPL is CS.RPL, a descriptor's DPL says who
 * may load it, and SS must always match CPL.
 */
#include "x86/interp_int.h"

static bool desc_addr(struct interp *ip, uint16_t sel, uint32_t *addr)
{
    struct x86_cpu *c = ip->cpu;
    uint32_t base, limit;
    if (sel & 4) { /* TI=1: local descriptor table */
        if ((c->ldtr.sel & 0xfffc) == 0)
            return false;
        base = c->ldtr.base;
        limit = c->ldtr.limit;
    } else {
        base = c->gdtr.base;
        limit = c->gdtr.limit;
    }
    if ((uint32_t)(sel | 7) > limit)
        return false;
    *addr = base + (sel & ~7u);
    return true;
}

bool desc_read(struct interp *ip, uint16_t sel, uint32_t *lo, uint32_t *hi)
{
    uint32_t a;
    if (!desc_addr(ip, sel, &a))
        return false;
    *lo = ld_sys(ip, a, 4);
    *hi = ld_sys(ip, a + 4, 4);
    return true;
}

/* The CPU sets the Accessed bit (type bit 0) when it loads a descriptor. */
static void set_accessed(struct interp *ip, uint16_t sel, uint32_t *hi)
{
    uint32_t a;
    if ((*hi & 0x100) || !desc_addr(ip, sel, &a))
        return;
    *hi |= 0x100;
    st_sys(ip, a + 4, 4, *hi);
}

/* Unpack a descriptor (SDM Vol. 3A Figure 3-8) into the hidden cache. */
void desc_to_seg(struct x86_seg *s, uint16_t sel, uint32_t lo, uint32_t hi)
{
    s->sel = sel;
    s->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
    s->limit = (lo & 0xffff) | (hi & 0xf0000u);
    if (hi & (1u << 23)) /* G: 4 KiB granularity */
        s->limit = (s->limit << 12) | 0xfff;
    s->attr = ((hi >> 8) & 0xff) | (((hi >> 20) & 0xf) << 8);
}

void seg_reload_cache(struct interp *ip)
{
    for (int i = 0; i < S_NSEG; i++)
        ip->segbase[i] = ip->cpu->seg[i].base;
}

static void load(struct interp *ip, int sreg, uint16_t sel, uint32_t lo, uint32_t hi)
{
    set_accessed(ip, sel, &hi);
    desc_to_seg(&ip->cpu->seg[sreg], sel, lo, hi);
    ip->segbase[sreg] = ip->cpu->seg[sreg].base;
}

void check_stack_seg(struct interp *ip, uint16_t sel, int pl, int exc, uint32_t ext, uint32_t *lo,
                     uint32_t *hi)
{
    if ((sel & 0xfffc) == 0)
        raise_exc(ip, exc, ext);
    if (!desc_read(ip, sel, lo, hi))
        raise_exc(ip, exc, (sel & 0xfffc) | ext);
    unsigned a = (*hi >> 8) & 0xff;
    /* A writable data segment with RPL = DPL = the privilege level. */
    if ((sel & 3) != pl || DA_DPL(a) != pl || !(a & DA_S) || (a & DA_CODE) || !(a & DA_RW))
        raise_exc(ip, exc, (sel & 0xfffc) | ext);
    if (!(a & DA_P))
        raise_exc(ip, EXC_SS, (sel & 0xfffc) | ext);
}

/* MOV Sreg / POP Sreg / LDS..., protected mode. */
void load_seg(struct interp *ip, int sreg, uint16_t sel)
{
    uint32_t lo, hi;
    int pl = cpl(ip);
    if (sreg == S_SS) {
        check_stack_seg(ip, sel, pl, EXC_GP, 0, &lo, &hi);
        load(ip, sreg, sel, lo, hi);
        return;
    }
    if ((sel & 0xfffc) == 0) { /* a null selector loads, faults on use */
        memset(&ip->cpu->seg[sreg], 0, sizeof ip->cpu->seg[sreg]);
        ip->cpu->seg[sreg].sel = sel;
        ip->segbase[sreg] = 0;
        return;
    }
    if (!desc_read(ip, sel, &lo, &hi))
        raise_gp(ip, sel & 0xfffc);
    unsigned a = (hi >> 8) & 0xff;
    /* Data, or readable code; unless conforming code, DPL >= max(CPL, RPL). */
    if (!(a & DA_S) || ((a & DA_CODE) && !(a & DA_RW)))
        raise_gp(ip, sel & 0xfffc);
    bool conforming_code = (a & DA_CODE) && (a & DA_CONF);
    if (!conforming_code && ((sel & 3) > DA_DPL(a) || pl > DA_DPL(a)))
        raise_gp(ip, sel & 0xfffc);
    if (!(a & DA_P))
        raise_exc(ip, EXC_NP, sel & 0xfffc);
    load(ip, sreg, sel, lo, hi);
}

/* Target code segment of a far JMP/CALL (ret = false, pl = CPL) or of a
 * RETF/IRET (ret = true, pl = the selector's RPL). */
void check_code_seg(struct interp *ip, uint16_t sel, int pl, bool ret, uint32_t *lo, uint32_t *hi)
{
    int cur = cpl(ip);
    if ((sel & 0xfffc) == 0)
        raise_gp(ip, 0);
    if (!desc_read(ip, sel, lo, hi))
        raise_gp(ip, sel & 0xfffc);
    unsigned a = (*hi >> 8) & 0xff;
    if (!(a & DA_S) || !(a & DA_CODE)) /* call gates, TSS, task gates: not modelled */
        raise_gp(ip, sel & 0xfffc);
    bool conf = a & DA_CONF;
    if (ret) {
        if ((sel & 3) < cur || (conf ? DA_DPL(a) > pl : DA_DPL(a) != pl))
            raise_gp(ip, sel & 0xfffc);
    } else {
        if (conf ? DA_DPL(a) > pl : ((sel & 3) > pl || DA_DPL(a) != pl))
            raise_gp(ip, sel & 0xfffc);
    }
    if (!(a & DA_P))
        raise_exc(ip, EXC_NP, sel & 0xfffc);
}

void set_cs(struct interp *ip, uint16_t sel, uint32_t lo, uint32_t hi, int new_cpl)
{
    load(ip, S_CS, (sel & 0xfffc) | new_cpl, lo, hi);
    mmu_set_cpl(ip);
}

void seg_null_inaccessible(struct interp *ip)
{
    static const int segs[] = { S_ES, S_DS, S_FS, S_GS };
    int pl = cpl(ip);
    for (unsigned i = 0; i < 4; i++) {
        struct x86_seg *s = &ip->cpu->seg[segs[i]];
        bool conforming_code = (s->attr & DA_CODE) && (s->attr & DA_CONF);
        if ((s->attr & DA_S) && !conforming_code && DA_DPL(s->attr) < pl) {
            memset(s, 0, sizeof *s);
            ip->segbase[segs[i]] = 0;
        }
    }
}
