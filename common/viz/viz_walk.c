/*
 * viz_walk.c — page walks put together from the trace's PAGE_WALK events
 * (trace/trace.h), for the walk pane of a replay and of a live VM whose
 * MMU records its walks (stage 04's EPT: the 2-D walk as the model CPU
 * made it, not walked again by the visualizer).
 *
 * A 1-D walk is its PDE (level 2), its PTE (level 1), then its result.  A
 * 2-D walk (SDM Vol. 3C §29.3.2) is, per guest-physical access of the
 * guest's walk (the row: TRACE_F_WALK_ROW), the EPT references that
 * translated it, then the guest entry read there; then the EPT result
 * (the host-physical address) and the guest result.  A walk always ends
 * with its guest result (level 0, no TRACE_F_WALK_EPT).
 */
#include <string.h>
#include "viz/viz_model.h"

static void start(struct viz_walker *w, const struct trace_event *ev)
{
    memset(&w->cur, 0, sizeof w->cur);
    w->cur.paging = w->cur.recorded = true;
    w->cur.lin = ev->addr;
    w->cur.eip = ev->eip;
    w->have_cur = true;
}

void viz_walker_done(struct viz_walker *w)
{
    if (!w->have_cur)
        return;
    w->newest = w->cur;
    if (w->page && w->npages)
        w->page[(w->cur.lin >> 12) & (w->npages - 1)] = w->cur;
    w->twod_seen |= w->cur.twod;
    w->have_cur = false;
}

const struct viz_walk *viz_walker_page(const struct viz_walker *w, uint32_t lin)
{
    if (!w->page || !w->npages)
        return NULL;
    const struct viz_walk *p = &w->page[(lin >> 12) & (w->npages - 1)];
    return p->recorded && (p->lin >> 12) == (lin >> 12) ? p : NULL;
}

/* A guest entry (PDE: level 2, PTE: 1), in both pictures. */
static void guest_ref(struct viz_walk *c, const struct trace_event *ev)
{
    int i = 2 - (int)ev->reason;
    bool cached = ev->flags & TRACE_F_WALK_CACHED;
    struct viz_walk_dim *d = &c->dim;
    d->present = true;
    d->table[i] = (uint32_t)ev->qual;
    d->entry[i] = (uint32_t)ev->value;
    if (d->nrefs < i + 1)
        d->nrefs = i + 1;
    if (i == 0)
        c->cr3 = (uint32_t)ev->qual & ~0xfffu;
    struct viz_walk_row *r = &c->row[i];
    r->used = true;
    r->gref = !cached;
    r->gcached = cached;
    r->gpa = ev->qual;
    r->gentry = (uint32_t)ev->value;
    c->refs += !cached;
}

static void result(struct viz_walker *w, const struct trace_event *ev)
{
    struct viz_walk *c = &w->cur;
    if (ev->flags & TRACE_F_WALK_EPT) { /* the host-physical address */
        c->hpa = ev->qual;
        return;
    }
    struct viz_walk_dim *d = &c->dim;
    d->present = true;
    d->done = true;
    d->large = ev->flags & TRACE_F_WALK_LARGE;
    if (ev->flags & TRACE_F_WALK_EXIT) {
        c->ept_exit = true;
        c->exit_reason = (uint32_t)ev->value;
        c->exit_gpa = ev->qual;
    } else {
        d->ok = !(ev->flags & TRACE_F_WALK_FAULT);
        d->phys = ev->qual;
        d->error_code = (uint32_t)ev->value;
        if (d->ok)
            c->row[2].gpa = ev->qual;
    }
    viz_walker_done(w);
}

bool viz_walker_event(struct viz_walker *w, const struct trace_event *ev)
{
    bool ept = ev->flags & TRACE_F_WALK_EPT, res = ev->flags & TRACE_F_WALK_RESULT;
    bool begins = (ept && !res) || (!ept && !res && ev->reason == 2);
    if (begins && (!w->have_cur || ev->addr != w->cur.lin || (!ept && w->cur.dim.nrefs)))
        start(w, ev); /* (a new PDE in a walk that has one: a new walk) */
    if (!w->have_cur || ev->addr != w->cur.lin)
        return false; /* part of a walk whose start we did not see */
    struct viz_walk *c = &w->cur;
    if (res) {
        result(w, ev);
        return !w->have_cur;
    }
    if (!ept) {
        if (ev->reason == 1 || ev->reason == 2)
            guest_ref(c, ev);
        return false;
    }
    struct viz_walk_row *r = &c->row[2 - TRACE_F_WALK_ROW(ev->flags)];
    c->twod = true;
    r->used = true;
    if (ev->flags & TRACE_F_WALK_CACHED) { /* the guest-physical cache: no reference */
        r->cached = true;
        r->hpa = ev->qual;
        r->gpa = ev->value;
    } else if (r->nept < 4) {
        r->ept_table[r->nept] = ev->qual;
        r->ept_entry[r->nept++] = ev->value;
        c->refs++;
    }
    return false;
}
