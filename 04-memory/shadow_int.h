/*
 * shadow_int.h — between shadow.c (the cache) and shadow_wp.c (keeping
 * the cached shadows coherent with the guest's tables).
 */
#ifndef MEM_SHADOW_INT_H
#define MEM_SHADOW_INT_H

#include "04-memory/shadow.h"
#include "trace/trace.h"
#include "x86/cpu.h"

#define RMAP_MANY 2u /* mapped at several linear pages (never page + 1) */

/* Shadow s walked through guest table page gpa: as its directory (pd) or
 * as the page table of directory index pde.  Watches the page. */
void table_use(struct shadow_cache *c, struct shadow_space *s, uint32_t gpa, bool pd, int pde);
/* No shadow uses page gpa as a table any more. */
void table_unwatch(struct shadow_cache *c, uint32_t gpa);
void space_release(struct shadow_cache *c, struct shadow_space *s);
/* Unmap the one view s owns (the user view; the kernel view's for it). */
void space_flush(struct shadow_cache *c, struct shadow_space *s);
/* Drop the kernel view's 4 MiB region r. */
void kernel_zap(struct shadow_cache *c, unsigned r);
/* A new shadow s starts with the global pages mapped. */
void globals_fill(struct shadow_cache *c, struct shadow_space *s);

/* One TRACE_MMU event (trace/trace.h), when somebody reads the trace. */
static inline void shadow_event(struct shadow_cache *c, uint32_t kind, uint16_t flags,
                                uint64_t qual, uint32_t addr, uint64_t value)
{
    if (c->trace && trace_on(c->trace))
        trace_mmu(c->trace, kind, flags, qual, addr, value, c->cpu ? c->cpu->eip : 0);
}

#endif
