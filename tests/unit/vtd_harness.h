/*
 * vtd_harness.h — what the VT-d unit tests share (06-passthrough/vtd.h): a
 * unit on a small guest RAM, register accesses as a 32-bit driver makes
 * them (64-bit registers low dword first), the tables a driver builds, and
 * a recorder of the MSIs the unit sends.
 */
#ifndef TESTS_VTD_HARNESS_H
#define TESTS_VTD_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "06-passthrough/vtd.h"
#include "06-passthrough/vtd_dmar.h"
#include "06-passthrough/vtd_fault.h"
#include "06-passthrough/vtd_ir.h"
#include "06-passthrough/vtd_qi.h"

#define RAM_SIZE (8u << 20)
#define ROOT     0x10000u /* root table                     */
#define CTX      0x11000u /* context table of bus 0         */
#define SL       0x20000u /* second-level tables from here   */
#define IQ       0x40000u /* invalidation queue (one page)   */
#define IRT      0x50000u /* interrupt remapping table       */
#define STATUS   0x60000u /* wait descriptors' status words  */
#define SID_BLK  0x0008   /* 00:01.0                         */

struct h {
    struct guest_ram ram;
    struct vtd u;
    unsigned nmsi;
    uint32_t msi_addr, msi_data;
};

static inline void record_msi(void *ctx, uint32_t addr, uint32_t data)
{
    struct h *h = ctx;
    h->nmsi++;
    h->msi_addr = addr;
    h->msi_data = data;
}

static inline int h_setup(void **st)
{
    struct h *h = calloc(1, sizeof *h);
    char err[128];
    assert_non_null(h);
    assert_int_equal(guest_ram_init(&h->ram, RAM_SIZE, err, sizeof err), 0);
    vtd_init(&h->u, &h->ram, record_msi, h);
    *st = h;
    return 0;
}

static inline int h_teardown(void **st)
{
    struct h *h = *st;
    guest_ram_destroy(&h->ram);
    free(h);
    return 0;
}

static inline uint32_t rd(struct h *h, uint32_t off)
{
    uint32_t v = 0;
    vtd_mmio(&h->u, off, 4, false, &v);
    return v;
}
static inline void wr(struct h *h, uint32_t off, uint32_t v) { vtd_mmio(&h->u, off, 4, true, &v); }
static inline uint64_t rd64(struct h *h, uint32_t off)
{
    return rd(h, off) | (uint64_t)rd(h, off + 4) << 32;
}
static inline void wr64(struct h *h, uint32_t off, uint64_t v)
{
    wr(h, off, (uint32_t)v);
    wr(h, off + 4, (uint32_t)(v >> 32));
}

/* One GCMD command the way the specification says (§10.4.4): the status,
 * without the one-shot bits, with one command flipped. */
static inline void gcmd(struct h *h, uint32_t bit, bool on)
{
    uint32_t s = rd(h, VTD_GSTS) & 0x96FFFFFFu;
    wr(h, VTD_GCMD, on ? s | bit : s & ~bit);
}

static inline void put64(struct h *h, uint64_t gpa, uint64_t v)
{
    memcpy(h->ram.host + gpa, &v, 8);
}
static inline uint64_t get64(struct h *h, uint64_t gpa)
{
    uint64_t v;
    memcpy(&v, h->ram.host + gpa, 8);
    return v;
}
static inline void put128(struct h *h, uint64_t gpa, uint64_t lo, uint64_t hi)
{
    put64(h, gpa, lo);
    put64(h, gpa + 8, hi);
}

/* Root entry of bus 0 -> CTX; context entry of devfn: translate through
 * the tables at slptptr with address width aw (1: 3 levels, 2: 4). */
static inline void context(struct h *h, unsigned devfn, uint64_t slptptr, unsigned aw, uint16_t did)
{
    put128(h, ROOT, CTX | 1, 0);
    put128(h, CTX + 16 * devfn, slptptr | 1, aw | (uint64_t)did << 8);
}

/* Map 4 KiB page iova -> gpa with perms (1 R, 2 W) in a 4-level table at
 * SL (PML4 SL, PDPT SL+0x1000, PD SL+0x2000, PT SL+0x3000; one of each). */
static inline void map4(struct h *h, uint64_t iova, uint64_t gpa, unsigned perms)
{
    put64(h, SL + 8 * ((iova >> 39) & 511), (SL + 0x1000) | 3);
    put64(h, SL + 0x1000 + 8 * ((iova >> 30) & 511), (SL + 0x2000) | 3);
    put64(h, SL + 0x2000 + 8 * ((iova >> 21) & 511), (SL + 0x3000) | 3);
    put64(h, SL + 0x3000 + 8 * ((iova >> 12) & 511), gpa | perms);
}

/* Root table latched and translation on. */
static inline void enable(struct h *h)
{
    wr64(h, VTD_RTADDR, ROOT);
    gcmd(h, VTD_GCMD_SRTP, true);
    gcmd(h, VTD_GCMD_TE, true);
}

/* Fault record i: {lo, hi}. */
static inline uint64_t frcd_hi(struct h *h, unsigned i) { return rd64(h, VTD_FRCD + 16 * i + 8); }
static inline uint64_t frcd_lo(struct h *h, unsigned i) { return rd64(h, VTD_FRCD + 16 * i); }

#endif
