/*
 * bt_stats.c — "--stats" for the translator: what was translated and how
 * it ran (chaining, indirect lookups, SMC, the window, helper calls by
 * instruction and by the VT-x exit reason they would cause).
 */
#include <stdio.h>
#include "core/engine.h"
#include "x86/interp.h"
#include "01-binary-translation/bt.h"
#include "01-binary-translation/check.h"

void bt_print_stats(struct vcpu *v, FILE *out)
{
    struct bt *bt = v->engine_state;
    struct cc_stats cs;
    struct interp_stats is;
    cc_get_stats(bt->cc, &cs);
    interp_get_stats(bt->ip, &is);
    const struct bt_stats *s = &bt->st;
    uint64_t chained = s->direct_exits - s->unchained;
    fprintf(out,
            "bt: %llu instructions, %llu blocks translated (%u cached, %llu KiB of "
            "%llu KiB code cache in use, %llu bytes emitted), %llu flushes\n",
            (unsigned long long)is.instructions, (unsigned long long)cs.translated,
            cc_blocks(bt->cc), (unsigned long long)(cc_used(bt->cc) >> 10),
            (unsigned long long)(cc_capacity(bt->cc) >> 10), (unsigned long long)cs.code_bytes,
            (unsigned long long)cs.flushes);
    if (bt->identical) /* chained exits are not counted: that would cost flags */
        fprintf(out,
                "bt: block exits: %llu unchained (through the run loop), "
                "indirect lookups %llu hit / %llu miss; %llu chains made, %llu unlinked; "
                "%llu run-loop entries (%llu to poll interrupts)\n",
                (unsigned long long)s->unchained, (unsigned long long)s->indirect_hits,
                (unsigned long long)s->indirect_misses, (unsigned long long)cs.chains,
                (unsigned long long)cs.unlinks, (unsigned long long)s->loop_exits,
                (unsigned long long)s->fuel_exits);
    else
        fprintf(out,
                "bt: block exits: %llu chained, %llu unchained (through the run loop), "
                "indirect lookups %llu hit / %llu miss; %llu chains made, %llu unlinked; "
                "%llu run-loop entries (%llu to poll interrupts)\n",
                (unsigned long long)chained, (unsigned long long)s->unchained,
                (unsigned long long)s->indirect_hits, (unsigned long long)s->indirect_misses,
                (unsigned long long)cs.chains, (unsigned long long)cs.unlinks,
                (unsigned long long)s->loop_exits, (unsigned long long)s->fuel_exits);
    fprintf(out,
            "bt: SMC: %llu translated blocks invalidated (guest code written); "
            "%llu instructions interpreted (page-crossing blocks, STI/MOV SS shadow); "
            "%llu TLB misses, %llu exceptions, %llu interrupts\n",
            (unsigned long long)cs.invalidated, (unsigned long long)s->interpreted,
            (unsigned long long)is.tlb_misses, (unsigned long long)is.exceptions,
            (unsigned long long)is.interrupts);
    if (bt->identical)
        fprintf(out,
                "bt: identical translation: %llu guest instructions translated NATIVE "
                "(copied/rewritten, registers in host registers), %llu of them x87 "
                "(the guest's x87 state in the host's)\n",
                (unsigned long long)s->native_insns, (unsigned long long)s->x87_native);
    if (bt->use_window) {
        struct win_stats ws = bt->w->st;
        if (bt->mmu) /* the MMU's windows, summed */
            bt->mmu->ops->get_stats(bt->mmu, &ws);
        fprintf(out,
                "bt: window: %llu MOV instructions translated to window accesses; "
                "%llu hidden page faults, %llu true faults (bailed out to the interpreter, "
                "%llu bail-outs in all), %llu window flushes, %llu invlpg, %llu view switches; "
                "%llu guest page-table walks (%llu of them hidden faults)\n",
                (unsigned long long)s->window_insns, (unsigned long long)ws.hidden,
                (unsigned long long)ws.true_faults, (unsigned long long)s->bailouts,
                (unsigned long long)ws.flushes, (unsigned long long)ws.invlpg,
                (unsigned long long)s->gs_switches, (unsigned long long)ws.walks,
                (unsigned long long)ws.walk_hidden);
        if (bt->mmu)
            bt->mmu->ops->print_stats(bt->mmu, out);
    }
    if (bt->tpend_lost)
        fprintf(out, "bt: trace: %llu window-walk events lost (buffer full)\n",
                (unsigned long long)bt->tpend_lost);
    fprintf(out, "bt: helper calls (sensitive instructions, never run natively):");
    bool any = false;
    for (int i = 0; i < HLP_N; i++)
        if (s->helper[i]) {
            int r = bt_helper_reason(i);
            fprintf(out, "%s %s %llu", any ? "," : "", bt_helper_name(i),
                    (unsigned long long)s->helper[i]);
            if (r >= 0)
                fprintf(out, " [%d]", r);
            any = true;
        }
    fprintf(out, "%s\n", any ? "" : " none");
    if (bt->check)
        check_print_stats(bt->check, out);
}
