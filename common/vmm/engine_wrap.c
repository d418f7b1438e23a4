/*
 * engine_wrap.c — an earlier stage's engine with a later stage's machine
 * around it (engine_wrap.h).
 */
#include "vmm/engine_wrap.h"

int wrap_init(const struct engine_ops *e, const struct stage_machine *m, struct vcpu *v, char *err,
              size_t len)
{
    if (e->init(v, err, len) < 0)
        return -1;
    if (m->attach(v, err, len) < 0) {
        m->detach(v);
        e->fini(v);
        return -1;
    }
    return 0;
}

void wrap_state_changed(const struct engine_ops *e, struct vcpu *v)
{
    if (e->state_changed)
        e->state_changed(v);
}

void wrap_print_stats(const struct engine_ops *e, const struct stage_machine *m, struct vcpu *v,
                      FILE *out)
{
    if (e->print_stats)
        e->print_stats(v, out);
    m->print_stats(v, out);
}

bool wrap_dot_walk(const struct engine_ops *e, struct vcpu *v, FILE *f, uint32_t lin)
{
    return e->dot_walk && e->dot_walk(v, f, lin);
}

void wrap_fini(const struct engine_ops *e, const struct stage_machine *m, struct vcpu *v)
{
    m->detach(v);
    e->fini(v);
}
