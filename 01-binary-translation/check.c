/*
 * check.c — lock-step comparison of bt with the reference interpreter
 * (see check.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/vm.h"
#include "x86/interp.h"
#include "x86/flag_effects.h"
#include "01-binary-translation/check.h"

#define CHECK_IRQS 16

struct bt_check {
    struct x86_cpu cpu;   /* the reference CPU                     */
    struct guest_ram ram; /* its copy of guest RAM                 */
    struct interp *ip;
    struct vm_exit rexit; /* its last exit                         */
    uint64_t adj;         /* instructions we emulated for it (RDTSC) */
    uint32_t io_value;    /* value of the last completed IN/OUT    */
    uint32_t *reads;      /* device reads to replay, FIFO          */
    size_t nreads, rhead, rcap;
    uint64_t *tsc; /* RDTSC values to replay, FIFO          */
    size_t ntsc, thead, tcap;
    struct {
        uint64_t at;
        int vec;
    } irq[CHECK_IRQS];
    int ihead, nirq;
    bool lost;         /* a replay queue ran dry                */
    bool hold_irq;     /* no interrupt before the exception ... */
    uint64_t hold_exc; /* ... that makes the reference's count pass this */
    uint64_t compares;
    uint64_t inject_at; /* self-test: corrupt the reference here */
    bool diverged;      /* a compare failed: the run stopped there */
};

static uint64_t ref_count(const struct bt_check *chk)
{
    return interp_instructions(chk->ip) + chk->adj;
}

/* ---- the reference's hooks: replay, never touch devices ----------------------- */
static bool ref_irq_pending(void *o)
{
    struct bt_check *chk = o;
    if (chk->hold_irq) { /* see check_fault */
        struct interp_stats st;
        interp_get_stats(chk->ip, &st);
        if (st.exceptions == chk->hold_exc)
            return false;
        chk->hold_irq = false;
    }
    return chk->nirq && chk->irq[chk->ihead].at == ref_count(chk);
}
static int ref_irq_ack(void *o)
{
    struct bt_check *chk = o;
    if (!chk->nirq)
        return -1;
    int v = chk->irq[chk->ihead].vec;
    chk->ihead = (chk->ihead + 1) % CHECK_IRQS;
    chk->nirq--;
    return v;
}
static bool replay_read(struct bt_check *chk, bool write, uint32_t *val)
{
    if (write)
        return true;
    if (chk->rhead < chk->nreads) {
        *val = chk->reads[chk->rhead++];
    } else {
        *val = 0xffffffffu;
        chk->lost = true;
    }
    return true;
}
static bool ref_pio(void *o, uint16_t port, uint8_t size, bool write, uint32_t *val)
{
    (void)port;
    (void)size;
    return replay_read(o, write, val);
}
static bool ref_mmio(void *o, uint64_t gpa, uint8_t size, bool write, uint32_t *val)
{
    (void)gpa;
    (void)size;
    return replay_read(o, write, val);
}
/* RDTSC is the one nondeterministic instruction: it exits so we can give
 * the reference the value the translated guest saw. */
static bool ref_policy(void *o, struct vm_exit *e)
{
    (void)o;
    return e->reason == EXIT_RDTSC || e->reason == EXIT_IO_INSTRUCTION;
}

struct bt_check *check_create(struct vcpu *v, char *err, size_t errlen)
{
    struct bt_check *chk = calloc(1, sizeof *chk);
    if (!chk) {
        snprintf(err, errlen, "check: out of memory");
        return NULL;
    }
    struct guest_ram *ram = vm_ram(v->vm);
    if (guest_ram_init(&chk->ram, ram->size, err, errlen) < 0) {
        free(chk);
        return NULL;
    }
    memcpy(chk->ram.host, ram->host, ram->size);
    chk->cpu = v->cpu;
    /* The checker's own test (tests/bt/bt.sh): VMLAB_CHECK_INJECT=N flips
     * a bit of the reference's EAX at compare N, which must be caught. */
    const char *inj = getenv("VMLAB_CHECK_INJECT");
    chk->inject_at = inj ? strtoull(inj, NULL, 0) : 0;
    struct interp_hooks hooks = {
        .irq_pending = ref_irq_pending,
        .irq_ack = ref_irq_ack,
        .pio = ref_pio,
        .mmio = ref_mmio,
        .exit_policy = ref_policy,
    };
    chk->ip = interp_create(&chk->cpu, &chk->ram, &hooks, chk, err, errlen);
    if (!chk->ip) {
        check_destroy(chk);
        return NULL;
    }
    interp_track_flags(chk->ip, true);
    return chk;
}

void check_destroy(struct bt_check *chk)
{
    if (!chk)
        return;
    interp_destroy(chk->ip);
    guest_ram_destroy(&chk->ram);
    free(chk->reads);
    free(chk->tsc);
    free(chk);
}

void check_io_done(struct bt_check *chk, uint32_t value) { chk->io_value = value; }

void check_record_read(struct bt_check *chk, uint32_t value)
{
    if (chk->nreads == chk->rcap) {
        if (chk->rhead) { /* reuse the consumed part */
            memmove(chk->reads, chk->reads + chk->rhead,
                    (chk->nreads - chk->rhead) * sizeof *chk->reads);
            chk->nreads -= chk->rhead;
            chk->rhead = 0;
        }
        if (chk->nreads == chk->rcap) {
            size_t cap = chk->rcap ? 2 * chk->rcap : 256;
            uint32_t *p = realloc(chk->reads, cap * sizeof *p);
            if (!p) {
                chk->lost = true;
                return;
            }
            chk->reads = p;
            chk->rcap = cap;
        }
    }
    chk->reads[chk->nreads++] = value;
}

void check_record_tsc(struct bt_check *chk, uint64_t tsc)
{
    if (chk->ntsc == chk->tcap) {
        if (chk->thead) {
            memmove(chk->tsc, chk->tsc + chk->thead, (chk->ntsc - chk->thead) * sizeof *chk->tsc);
            chk->ntsc -= chk->thead;
            chk->thead = 0;
        }
        if (chk->ntsc == chk->tcap) {
            size_t cap = chk->tcap ? 2 * chk->tcap : 64;
            uint64_t *p = realloc(chk->tsc, cap * sizeof *p);
            if (!p) {
                chk->lost = true;
                return;
            }
            chk->tsc = p;
            chk->tcap = cap;
        }
    }
    chk->tsc[chk->ntsc++] = tsc;
}

void check_irq(struct bt_check *chk, uint64_t at, int vector)
{
    if (chk->nirq == CHECK_IRQS) {
        chk->lost = true;
        return;
    }
    int t = (chk->ihead + chk->nirq) % CHECK_IRQS;
    chk->irq[t].at = at;
    chk->irq[t].vec = vector;
    chk->nirq++;
}

/* ---- comparing ------------------------------------------------------------------ */
static const char *const gpr_names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
static const char *const seg_names[S_NSEG] = { "es", "cs", "ss", "ds", "fs", "gs" };

static void print_state(FILE *f, const char *who, const struct x86_cpu *c)
{
    fprintf(f, "  %-6s eip=%08x eflags=%08x", who, c->eip, c->eflags);
    for (int i = 0; i < 8; i++)
        fprintf(f, " %s=%08x", gpr_names[i], c->gpr[i]);
    fprintf(f, "\n  %-6s cr0=%08x cr2=%08x cr3=%08x cr4=%08x halted=%d", "", c->cr0, c->cr2, c->cr3,
            c->cr4, c->halted);
    for (int s = 0; s < S_NSEG; s++)
        fprintf(f, " %s=%04x", seg_names[s], c->seg[s].sel);
    fprintf(f, "\n");
}

const char *check_differs(const struct x86_cpu *a, const struct x86_cpu *b, uint32_t undef,
                          char *buf, size_t len)
{
    for (int i = 0; i < 8; i++)
        if (a->gpr[i] != b->gpr[i]) {
            snprintf(buf, len, "%s %08x vs %08x", gpr_names[i], a->gpr[i], b->gpr[i]);
            return buf;
        }
/* clang-format off */
#define F(field, name) if (a->field != b->field) { \
        snprintf(buf, len, name " %08x vs %08x", (unsigned)a->field, (unsigned)b->field); return buf; }
    F(eip, "eip")
    if (x86_eflags_diff(a->eflags, b->eflags, undef)) {
        snprintf(buf, len, "eflags %08x vs %08x", a->eflags, b->eflags);
        return buf;
    }
    F(cr0, "cr0") F(cr2, "cr2") F(cr3, "cr3") F(cr4, "cr4")
    F(halted, "halted") F(gdtr.base, "gdtr.base") F(idtr.base, "idtr.base") F(tr.sel, "tr")
#undef F
        /* clang-format on */
        for (int s = 0; s < S_NSEG;
             s++) if (a->seg[s].sel != b->seg[s].sel || a->seg[s].base != b->seg[s].base ||
                      a->seg[s].limit != b->seg[s].limit || a->seg[s].attr != b->seg[s].attr)
    {
        snprintf(buf, len, "%s %04x vs %04x", seg_names[s], a->seg[s].sel, b->seg[s].sel);
        return buf;
    }
    return NULL;
}

/* Run the reference until it has retired `instructions` (or cannot go on:
 * halted, shut down).  -1 if it failed. */
static int ref_advance(struct bt_check *chk, uint64_t instructions, char *msg, size_t len)
{
    while (ref_count(chk) < instructions) {
        uint64_t before = ref_count(chk);
        if (chk->rexit.reason == EXIT_IO_INSTRUCTION)
            chk->rexit.u.io.value = chk->io_value;
        int r = interp_run(chk->ip, &chk->rexit, instructions - before);
        if (r == INTERP_BUDGET)
            break;
        if (r < 0) {
            snprintf(msg, len, "check: the reference interpreter failed: %s", chk->rexit.message);
            chk->diverged = true;
            return -1;
        }
        if (chk->rexit.reason == EXIT_RDTSC) { /* replay the translated run's value */
            uint64_t t = 0;
            if (chk->thead < chk->ntsc)
                t = chk->tsc[chk->thead++];
            else
                chk->lost = true;
            chk->cpu.gpr[R_EAX] = (uint32_t)t;
            chk->cpu.gpr[R_EDX] = (uint32_t)(t >> 32);
            chk->cpu.eip += chk->rexit.instr_len;
            chk->rexit.reason = 0;
            chk->adj++;
            continue;
        }
        if (chk->rexit.reason == EXIT_IO_INSTRUCTION && ref_count(chk) == before)
            continue; /* completes on the next run */
        if (ref_count(chk) == before)
            break; /* halted or shut down: no progress */
    }
    return 0;
}

/* The states agree: the flags the reference holds undefined take bt's
 * values (one of the values the SDM allows), and from here they count as
 * defined: a later instruction that reads them sees the same on both. */
static void adopt_undefined(struct bt_check *chk, const struct x86_cpu *cpu)
{
    uint32_t u = interp_undef_flags(chk->ip) & FL_ARITH;
    chk->cpu.eflags = (chk->cpu.eflags & ~u) | (cpu->eflags & u);
    interp_set_undef_flags(chk->ip, 0);
}

int check_step(struct bt_check *chk, const struct x86_cpu *cpu, uint64_t instructions, char *msg,
               size_t len)
{
    chk->compares++;
    if (ref_advance(chk, instructions, msg, len) < 0)
        return -1;
    if (chk->compares == chk->inject_at)
        chk->cpu.gpr[R_EAX] ^= 1;
    char buf[96];
    uint32_t undef = interp_undef_flags(chk->ip);
    const char *d = check_differs(cpu, &chk->cpu, undef, buf, sizeof buf);
    if (!d && ref_count(chk) != instructions) {
        snprintf(buf, sizeof buf, "instructions retired %llu vs %llu",
                 (unsigned long long)instructions, (unsigned long long)ref_count(chk));
        d = buf;
    }
    if (!d) {
        adopt_undefined(chk, cpu);
        return 0;
    }
    fprintf(stderr,
            "check: bt and interp diverge after %llu instructions (compare #%llu,"
            " undefined flags %03x):%s\n",
            (unsigned long long)instructions, (unsigned long long)chk->compares, undef,
            chk->lost ? " (a replay queue ran dry: the runs lost sync)" : "");
    print_state(stderr, "bt", cpu);
    print_state(stderr, "interp", &chk->cpu);
    snprintf(msg, len, "--check interp: divergence at guest eip 0x%08x: %s (bt vs interp)",
             cpu->eip, d);
    chk->diverged = true;
    return -1;
}

int check_fault(struct bt_check *chk, const struct x86_cpu *cpu, uint64_t instructions, char *msg,
                size_t len)
{
    if (ref_advance(chk, instructions, msg, len) < 0)
        return -1;
    if (ref_count(chk) != instructions)
        return 0; /* out of step: the next compare says so */
    adopt_undefined(chk, cpu);
    struct interp_stats st;
    interp_get_stats(chk->ip, &st);
    chk->hold_irq = true;
    chk->hold_exc = st.exceptions;
    return 0;
}

/* The closing line of --stats: after a divergence the run stopped at the
 * failing compare, so it must not read like a clean lock-step run. */
void check_print_stats(const struct bt_check *chk, FILE *out)
{
    fprintf(out,
            "bt: --check interp: %llu block boundaries compared, reference at %llu "
            "instructions, %s\n",
            (unsigned long long)chk->compares, (unsigned long long)ref_count(chk),
            chk->diverged ? "DIVERGED at the last compare (the run stopped there)"
                          : "no divergence");
}
