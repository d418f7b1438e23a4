/*
 * shadow.h — shadow page tables done as production VMMs do them, for the
 * binary translator's window (01-binary-translation/window.h).
 *
 * Stage 01 keeps one window, the host-MMU page table the translated code
 * runs on, and drops it whole at every CR3 write: each context switch
 * then pays a hidden fault for every page it touches again.  Here each
 * guest address space (keyed by CR3) keeps its own window, and a context
 * switch only points gs at the cached one (Adams & Agesen §3.2; KVM's
 * kvm_mmu_get_page keys its shadow pages by guest table the same way).
 * A cached shadow stays right only if the VMM sees every change to the
 * guest tables it was built from:
 *
 *   write protection  every guest page a shadow walk went through (page
 *                     directory, page table) is watched: mapped read-only
 *                     in every window and watched in the interpreter
 *                     (interp_watch_page), so a guest store to it traps;
 *   update            before the store, the shadow entries the written
 *                     entry produced are dropped in every cached shadow
 *                     that used it (a PDE: its 4 MiB; a PTE: its page), to
 *                     be refilled by the next hidden fault with the new
 *                     value;
 *   unsync            a page table written SHADOW_FLOOD times with no walk
 *                     through it in between is no page table any more (a
 *                     freed table reused for data): it is unwatched and
 *                     what it mapped is dropped (KVM: write flooding);
 *   global pages      with CR4.PGE, pages whose entries have G=1 survive
 *                     a CR3 load (SDM Vol. 3A §4.10.2.4): a new shadow
 *                     starts with them mapped (read-only; a write walks);
 *   the cache         at most `cap` shadows (1..SHADOW_MAX); a CR3 not
 *                     cached evicts the least recently used one (counted);
 *   one kernel view   the kernel (CPL 0-2) view is one window shared by
 *                     every address space, as KVM shares the shadow pages
 *                     of guest tables address spaces share: each 4 MiB of
 *                     it remembers the directory entry it was built from,
 *                     and a CR3 load drops the regions whose entry in the
 *                     new directory differs.  So a CR3 load in ring 0
 *                     changes no gs base; only the user view is per CR3.
 *
 * A CR0.WP, CR4.PSE or CR4.PGE change drops every shadow (rights and page
 * sizes change meaning).  Paging off is one more "address space".
 */
#ifndef MEM_SHADOW_H
#define MEM_SHADOW_H

#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include "01-binary-translation/window.h"

struct trace;

#define SHADOW_MAX \
    15                            /* cached address spaces at most; with the kernel
                              view, 16 windows: a 16-bit user mask      */
#define SHADOW_KERNEL  SHADOW_MAX /* sp[] index of the shared kernel view */
#define SHADOW_DEFAULT 8          /* --shadow-cache default                      */
#define SHADOW_FLOOD   8          /* writes with no walk before a table is unsynced */
#define SHADOW_GLOBALS 256        /* global pages remembered                     */

struct shadow_stats {
    uint64_t switches;     /* address-space changes (CR3, paging mode)   */
    uint64_t hits, misses; /* of those: shadow found / built anew         */
    uint64_t evictions;    /* misses that dropped a cached shadow (LRU)   */
    uint64_t mode_flushes; /* every shadow dropped (CR0.WP, CR4.PSE/PGE)   */
    uint64_t wp_writes;    /* guest stores to write-protected tables      */
    uint64_t zapped;       /* shadow entries (4 KiB pages) they dropped    */
    uint64_t zap_flushes;  /* whole shadows dropped by them (mixed use)    */
    uint64_t unsynced;     /* tables unwatched after write flooding       */
    uint64_t protected_;   /* pages that became watched                   */
    uint64_t revoked;      /* writable mappings made read-only for them   */
    uint64_t global_kept;  /* global pages mapped into a new shadow        */
    uint64_t kernel_kept;  /* CR3 loads that kept the kernel view whole    */
    uint64_t kernel_zaps;  /* its 4 MiB regions dropped at a CR3 load      */
};

struct shadow_space {
    /* This address space's window: its user view, and (base alias) the
     * shared kernel view's base, so gs needs no change at a CR3 load. */
    struct window win;
    uint8_t *own_kbase; /* its own kernel reservation, unused        */
    bool used, paged;   /* holds an address space; paging on        */
    uint32_t cr3;       /* its page directory (guest-physical)       */
    uint64_t stamp;     /* last switch to it (LRU)                   */
    /* Per guest-physical page and view: linear page it was last mapped
     * at + 1, or RMAP_MANY (several): to make it read-only again. */
    uint32_t *rmap[WIN_VIEWS];
};

struct shadow_global {
    uint32_t lin, gpa, pt; /* linear page, frame, its page table      */
    int view;
};

struct shadow_cache {
    struct guest_ram *ram;
    unsigned cap, npages;
    struct shadow_space sp[SHADOW_MAX + 1]; /* + the kernel view           */
    struct shadow_space *cur;
    /* The kernel view: per 4 MiB, the directory entry (A and D masked)
     * its mappings came from, and which regions hold any; built with
     * paging on or off (kpaged). */
    uint32_t kpde[1024], kregions[32];
    bool kpaged;
    uint32_t wp, pse_pge; /* CR0.WP and CR4.PSE|PGE of the shadows  */
    uint64_t clock;
    /* Per guest-physical page: which shadows use it as page directory
     * (pd) or page table (pt), for which directory index (pt_index: -1
     * none yet, -2 several), and writes since a walk last used it. */
    uint16_t *pd_users, *pt_users;
    int16_t *pt_index;
    uint8_t *flood;
    struct shadow_global globals[SHADOW_GLOBALS];
    unsigned nglobals;
    /* The translator's: does page gpa hold translated code? */
    bool (*is_code)(void *ctx, uint32_t gpa);
    void *code_ctx;
    /* Watch stores to page gpa (on) or stop (interp_watch_page). */
    void (*watch)(void *ctx, uint32_t gpa, bool on);
    void *watch_ctx;
    /* --trace / --viz: syncs, unsyncs, trapped table writes and evictions
     * as TRACE_MMU events (NULL: none), with the EIP of cpu. */
    struct trace *trace;
    const struct x86_cpu *cpu;
    struct shadow_stats st;
};

struct shadow_memory {
    uint64_t spaces;      /* shadows cached                            */
    uint64_t mapped;      /* shadow entries (4 KiB pages mapped)       */
    uint64_t table_bytes; /* host page tables holding them (PT + PD pages) */
    uint64_t book_bytes;  /* the VMM's bookkeeping (bitmaps, rmaps)    */
};

int shadow_init(struct shadow_cache *c, struct guest_ram *ram, unsigned cap, char *err,
                size_t errlen);
void shadow_fini(struct shadow_cache *c);
/* The paging state is now cr0/cr3/cr4: the window to run on. */
struct window *shadow_switch(struct shadow_cache *c, uint32_t cr0, uint32_t cr3, uint32_t cr4);
/* win_fault on the current shadow, with the walk's tables watched. */
int shadow_fault(struct shadow_cache *c, int view, struct x86_cpu *cpu, uint32_t lin, bool write,
                 uint32_t *pfec);
void shadow_invlpg(struct shadow_cache *c, uint32_t lin);
/* Page gpa holds code (or a table): no window may keep it writable. */
void shadow_protect(struct shadow_cache *c, uint32_t gpa);
/* The guest is about to store len bytes at gpa, a watched page. */
void shadow_pt_write(struct shadow_cache *c, uint32_t gpa, uint32_t len);
/* Is page gpa write-protected as a guest page table? */
bool shadow_is_table(const struct shadow_cache *c, uint32_t gpa);
void shadow_win_stats(const struct shadow_cache *c, struct win_stats *sum);
void shadow_memory(const struct shadow_cache *c, struct shadow_memory *m);
void shadow_print_stats(const struct shadow_cache *c, FILE *out);

#endif
