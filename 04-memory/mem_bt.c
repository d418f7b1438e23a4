/*
 * mem_bt.c — "--engine bt" of vmm-mem: stage 01's binary translator with
 * its window replaced by cached shadow address spaces (shadow.h).
 *
 * The translator is stage 01's, unchanged; it calls out through its MMU
 * hook (struct bt_mmu, 01-binary-translation/bt.h) at every paging change,
 * window fault, INVLPG and new code page.  Guest stores the interpreter
 * makes (a store into a write-protected table bails out of translated
 * code into the interpreter) reach the cache through the interpreter's
 * write watch (interp_watch_page, x86/interp.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/vm.h"
#include "x86/interp.h"
#include "01-binary-translation/bt.h"
#include "04-memory/mem_bt.h"
#include "04-memory/shadow.h"
#include "02-paravirt/kvm_pv.h"

struct mem_mmu {
    struct bt_mmu mmu; /* first: the hook's view of us */
    struct shadow_cache sc;
    struct interp *ip;
};

static struct shadow_cache *cache(struct bt_mmu *m) { return &((struct mem_mmu *)m)->sc; }

static struct window *mmu_paging(struct bt_mmu *m, const struct x86_cpu *cpu)
{
    return shadow_switch(cache(m), cpu->cr0, cpu->cr3, cpu->cr4);
}
static int mmu_fault(struct bt_mmu *m, int view, struct x86_cpu *cpu, uint32_t lin, bool write,
                     uint32_t *pfec)
{
    return shadow_fault(cache(m), view, cpu, lin, write, pfec);
}
static void mmu_invlpg(struct bt_mmu *m, uint32_t lin) { shadow_invlpg(cache(m), lin); }
static void mmu_code_page(struct bt_mmu *m, uint32_t gpa) { shadow_protect(cache(m), gpa); }
static void mmu_get_stats(struct bt_mmu *m, struct win_stats *sum)
{
    shadow_win_stats(cache(m), sum);
}
static void mmu_print_stats(struct bt_mmu *m, FILE *out) { shadow_print_stats(cache(m), out); }
static void mmu_destroy(struct bt_mmu *m)
{
    shadow_fini(cache(m));
    free(m);
}

static const struct bt_mmu_ops shadow_ops = {
    mmu_paging, mmu_fault, mmu_invlpg, mmu_code_page, mmu_get_stats, mmu_print_stats, mmu_destroy,
};

/* The interpreter is about to store to a watched page (a guest table). */
static void on_table_write(void *ctx, uint32_t gpa, uint32_t len)
{
    shadow_pt_write(ctx, gpa, len);
}
static void watch_page(void *ctx, uint32_t gpa, bool on) { interp_watch_page(ctx, gpa, on); }

int mem_check_cache(const char *v, char *err, size_t len)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < 1 || n > SHADOW_MAX) {
        snprintf(err, len, "--shadow-cache '%s': expected 1..%d address spaces", v, SHADOW_MAX);
        return -1;
    }
    return 0;
}

int mem_check_mmu(const char *v, char *err, size_t len)
{
    if (strcmp(v, "shadow")) {
        snprintf(err, len, "--mmu '%s': expected 'shadow' (--engine bt or vmx) or 'ept' (vmx)", v);
        return -1;
    }
    return 0;
}

/* --pv-linux on (stage 02's kvm_pv.h): kvmclock records written into
 * guest RAM by the VMM drop translations of that memory, as a guest store
 * would. */
static void mem_bt_invalidate(struct vcpu *v, uint32_t gpa, uint32_t len)
{
    bt_invalidate_range(v->engine_state, gpa, len);
}

static int mem_bt_init(struct vcpu *v, char *err, size_t errlen)
{
    const char *n = vm_engine_option(v->vm, "--shadow-cache");
    unsigned cap = n ? (unsigned)atoi(n) : SHADOW_DEFAULT;
    if (bt_engine.init(v, err, errlen) < 0)
        return -1;
    struct bt *bt = v->engine_state;
    struct mem_mmu *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "mem: out of memory");
        goto fail;
    }
    m->mmu.ops = &shadow_ops;
    m->ip = bt->ip;
    if (shadow_init(&m->sc, vm_ram(v->vm), cap, err, errlen) < 0) {
        free(m);
        goto fail;
    }
    m->sc.is_code = bt->win.is_code; /* stage 01's: pages holding code */
    m->sc.code_ctx = bt->win.ctx;
    m->sc.watch = watch_page;
    m->sc.watch_ctx = bt->ip;
    m->sc.trace = vm_trace(v->vm);
    m->sc.cpu = &v->cpu;
    if (interp_set_watch(bt->ip, on_table_write, &m->sc) < 0) {
        snprintf(err, errlen, "mem: out of memory");
        mmu_destroy(&m->mmu);
        goto fail;
    }
    if (bt_set_mmu(bt, &m->mmu) < 0) {
        snprintf(err, errlen, "mem: shadow paging needs the window (VMLAB_BT_NO_WINDOW is set)");
        mmu_destroy(&m->mmu);
        goto fail;
    }
    if (kvm_pv_attach(v, mem_bt_invalidate, err, errlen) < 0)
        goto fail; /* bt's fini frees the MMU it was given */
    return 0;
fail:
    bt_engine.fini(v);
    return -1;
}

/* The rest is stage 01's engine as it is. */
static int mem_bt_run(struct vcpu *v, struct vm_exit *exit) { return bt_engine.run(v, exit); }
static void mem_bt_stats(struct vcpu *v, FILE *out)
{
    bt_engine.print_stats(v, out);
    kvm_pv_print_stats(v, out);
}
static void mem_bt_fini(struct vcpu *v)
{
    kvm_pv_detach(v);
    bt_engine.fini(v);
}

const struct engine_ops mem_bt_engine = {
    .name = "bt",
    .summary = "binary translator (stage 01) with shadow page tables cached per address space",
    .init = mem_bt_init,
    .run = mem_bt_run,
    .counts_instructions = true,
    .print_stats = mem_bt_stats,
    .fini = mem_bt_fini,
};
