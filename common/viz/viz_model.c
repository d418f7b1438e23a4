/*
 * viz_model.c — the visualizer's data: counters, rates, the exit log per
 * reason, the code-cache counters and the guest console (viz_model.h).
 */
#include <string.h>
#include "viz/viz_model.h"

void viz_model_init(struct viz_model *m, const char *engine, const char *source)
{
    memset(m, 0, sizeof *m);
    snprintf(m->engine, sizeof m->engine, "%s", engine ? engine : "?");
    snprintf(m->source, sizeof m->source, "%s", source ? source : "");
    m->filter = -1;
    m->walk_auto = true;
}

void viz_model_exit(struct viz_model *m, const struct vm_exit *e, uint64_t t_ns)
{
    int slot = viz_slot(e->reason);
    struct viz_exit x = {
        .type = TRACE_EXIT,
        .seq = ++m->nexits,
        .time_ns = t_ns,
        .reason = e->reason,
        .eip = e->guest_eip,
        .qual = e->qualification,
        .cost_ns = e->cost_ns,
    };
    memcpy(&x.u, &e->u, sizeof x.u);
    m->count[slot]++;
    m->cost_ns[slot] += e->cost_ns;
    m->log[m->nlog++ & (VIZ_LOG - 1)] = x;
    m->newest = x;
    m->by_reason[slot][m->by_reason_n[slot]++ % VIZ_LOG_REASON] = x;
    m->last_eip = e->guest_eip;
    if (t_ns > m->now_ns)
        m->now_ns = t_ns;
}

void viz_exit_unpack(const struct viz_exit *x, struct vm_exit *e)
{
    memset(e, 0, sizeof *e);
    e->reason = x->reason;
    e->guest_eip = x->eip;
    e->qualification = x->qual;
    e->cost_ns = x->cost_ns;
    memcpy(&e->u, &x->u, sizeof x->u);
}

void viz_model_mmu(struct viz_model *m, const struct trace_event *ev)
{
    struct viz_exit x = {
        .type = TRACE_MMU,
        .flags = ev->flags,
        .addr = ev->addr,
        .value = ev->value,
        .seq = m->nexits,
        .time_ns = ev->time_ns,
        .reason = ev->reason,
        .eip = ev->eip,
        .qual = ev->qual,
    };
    m->log[m->nlog++ & (VIZ_LOG - 1)] = x;
    m->by_reason[VIZ_MMU][m->by_reason_n[VIZ_MMU]++ % VIZ_LOG_REASON] = x;
    m->mmu_count[ev->reason < TRACE_MMU_KINDS ? ev->reason : 0]++;
    m->nmmu++;
}

void viz_model_event(struct viz_model *m, const struct trace_event *ev)
{
    switch (ev->type) {
    case TRACE_MMU: viz_model_mmu(m, ev); break;
    case TRACE_IRQ: m->irqs++; break;
    case TRACE_PAGE_WALK: /* a walk = PDE (level 2), PTE (1), result (0) */
        if (!(ev->flags & (TRACE_F_WALK_EPT | TRACE_F_WALK_RESULT)) && ev->reason == 2)
            m->walks_seen++;
        break;
    case TRACE_CODE_CACHE:
        m->cc_seen = true;
        if (ev->reason == 1)
            m->cc_decoded++;
        else if (ev->reason == 2)
            m->cc_invalidated++;
        else if (ev->reason == 3)
            m->cc_flushed++;
        m->cc_occupancy = ev->value;
        break;
    default: break;
    }
    if (ev->time_ns > m->now_ns)
        m->now_ns = ev->time_ns;
}

void viz_model_console(struct viz_model *m, uint8_t byte)
{
    m->console[m->console_n++ % VIZ_CONSOLE] = (char)byte;
}

void viz_model_tick(struct viz_model *m, uint64_t t_ns)
{
    if (t_ns > m->now_ns)
        m->now_ns = t_ns;
    uint64_t dt = m->now_ns - m->rate_t0;
    if (dt < VIZ_RATE_NS)
        return;
    double s = (double)dt / 1e9;
    for (int i = 0; i < VIZ_NSLOTS; i++) {
        m->rate[i] = (double)(m->count[i] - m->rate_count[i]) / s;
        m->rate_count[i] = m->count[i];
    }
    m->total_rate = (double)(m->nexits - m->rate_total) / s;
    m->rate_total = m->nexits;
    m->rate_t0 = m->now_ns;
}

int viz_model_next_filter(const struct viz_model *m, int cur)
{
    for (int s = cur + 1; s < VIZ_NSLOTS; s++)
        if (m->count[s])
            return s;
    return cur < VIZ_MMU && m->nmmu ? VIZ_MMU : -1;
}

uint64_t viz_model_log_len(const struct viz_model *m)
{
    if (m->filter < 0)
        return m->nlog < VIZ_LOG ? m->nlog : VIZ_LOG;
    uint64_t n = m->by_reason_n[m->filter];
    return n < VIZ_LOG_REASON ? n : VIZ_LOG_REASON;
}

const struct viz_exit *viz_model_log_get(const struct viz_model *m, uint64_t i)
{
    if (i >= viz_model_log_len(m))
        return NULL;
    if (m->filter < 0)
        return &m->log[(m->nlog - 1 - i) & (VIZ_LOG - 1)];
    uint64_t n = m->by_reason_n[m->filter];
    return &m->by_reason[m->filter][(n - 1 - i) % VIZ_LOG_REASON];
}
