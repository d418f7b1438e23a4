/*
 * vmx.h — the software VMX model ("--engine vmx"): VT-x as a program.
 *
 * The VMM (this stage) fills a VMCS (vmcs.h) with controls chosen on the
 * command line (--vmx-controls), "launches" the guest, handles the exits
 * (exit_handler.c) and "resumes".  The modelled CPU checks the VMCS at every
 * VM entry as SDM Vol. 3C ch. 27 says, runs the guest on the reference
 * interpreter in "VMX non-root operation", and leaves it exactly where the
 * controls say it must (SDM Vol. 3C ch. 26): see vmx.c.
 */
#ifndef HW_VMX_H
#define HW_VMX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/engine.h"

enum vmx_io_mode { VMX_IO_UNCONDITIONAL, VMX_IO_BITMAP, VMX_IO_NONE };

#define VMX_MAX_WRITES 16

/* The VMM's choices (--vmx-controls, documented in 03-hw-assisted/README.md). */
struct vmx_config {
    bool hlt, cr3load, cr3store, invlpg, rdtsc, movdr, extint, msrbitmap, dump;
    enum vmx_io_mode io;
    uint8_t  io_exit[8192];          /* I/O bitmaps A|B: 1 = the port exits */
    uint32_t excbitmap;
    int      nwrites;                /* vmwrite=FIELD:VALUE, applied last  */
    struct { uint32_t enc; uint64_t value; } writes[VMX_MAX_WRITES];
};

/* The defaults (what KVM sets up on a VT-x machine with EPT), then the
 * comma-separated list s (may be NULL).  0, or -1 with a one-line reason. */
int vmx_config_parse(const char *s, struct vmx_config *c, char *err, size_t len);

extern const struct engine_ops vmx_engine;

#endif
