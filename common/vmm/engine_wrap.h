/*
 * engine_wrap.h — an earlier stage's engine with a later stage's machine
 * around it.
 *
 * Stages 05 and 06 add devices, not engines: their VMMs run stage 04's
 * translator, stage 03's VMX model and the interpreter unchanged, and only
 * attach their devices to the VM after the engine is set up, print their
 * counters after the engine's, and detach them before it goes.  One macro
 * makes such a wrapped engine; the stage supplies its machine.
 */
#ifndef VMM_ENGINE_WRAP_H
#define VMM_ENGINE_WRAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core/engine.h"

/* What a stage adds to the VM (e.g. 05-io/io_machine.h). */
struct stage_machine {
    /* After the engine's init: 0, or -1 with a one-line reason. */
    int (*attach)(struct vcpu *v, char *err, size_t errlen);
    void (*print_stats)(struct vcpu *v, FILE *out);
    void (*detach)(struct vcpu *v); /* also after a failed attach */
};

int wrap_init(const struct engine_ops *e, const struct stage_machine *m, struct vcpu *v, char *err,
              size_t len);
void wrap_state_changed(const struct engine_ops *e, struct vcpu *v);
void wrap_print_stats(const struct engine_ops *e, const struct stage_machine *m, struct vcpu *v,
                      FILE *out);
bool wrap_dot_walk(const struct engine_ops *e, struct vcpu *v, FILE *f, uint32_t lin);
void wrap_fini(const struct engine_ops *e, const struct stage_machine *m, struct vcpu *v);

/* static const struct engine_ops OPS, called ID on the command line:
 * engine INNER with MACHINE around it. */
#define WRAPPED_ENGINE(ops, id, inner, machine, counts, sum) \
    static int ops##_init(struct vcpu *v, char *err, size_t len) \
    { \
        return wrap_init(&inner, &machine, v, err, len); \
    } \
    static int ops##_run(struct vcpu *v, struct vm_exit *e) { return inner.run(v, e); } \
    static void ops##_changed(struct vcpu *v) { wrap_state_changed(&inner, v); } \
    static void ops##_stats(struct vcpu *v, FILE *out) \
    { \
        wrap_print_stats(&inner, &machine, v, out); \
    } \
    static bool ops##_dot_walk(struct vcpu *v, FILE *f, uint32_t lin) \
    { \
        return wrap_dot_walk(&inner, v, f, lin); \
    } \
    static void ops##_fini(struct vcpu *v) { wrap_fini(&inner, &machine, v); } \
    static const struct engine_ops ops = { \
        .name = #id, \
        .summary = sum, \
        .counts_instructions = counts, \
        .init = ops##_init, \
        .run = ops##_run, \
        .state_changed = ops##_changed, \
        .print_stats = ops##_stats, \
        .dot_walk = ops##_dot_walk, \
        .fini = ops##_fini, \
    }

#endif
