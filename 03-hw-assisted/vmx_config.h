/*
 * vmx_config.h — the VMM's choice of VMX controls: the --vmx-controls list
 * of vmm-hw (documented in 03-hw-assisted/README.md), which the vmx engine
 * turns into VMCS execution controls when it sets up the VMCS (vmx.c).
 *
 *   hlt=on|off  cr3load=  cr3store=  invlpg=  rdtsc=  movdr=  extint=
 *   msrbitmap=  io=all|none|bitmap:PORTS  excbitmap=N  vmwrite=FIELD:VALUE
 *   dump
 */
#ifndef HW_VMX_CONFIG_H
#define HW_VMX_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vmx_io_mode { VMX_IO_UNCONDITIONAL, VMX_IO_BITMAP, VMX_IO_NONE };

#define VMX_MAX_WRITES 16

/* The VMM's choices (--vmx-controls, documented in 03-hw-assisted/README.md). */
struct vmx_config {
    bool hlt, cr3load, cr3store, invlpg, rdtsc, movdr, extint, msrbitmap, dump;
    enum vmx_io_mode io;
    uint8_t io_exit[8192]; /* I/O bitmaps A|B: 1 = the port exits */
    uint32_t excbitmap;
    int nwrites; /* vmwrite=FIELD:VALUE, applied last  */
    struct {
        uint32_t enc;
        uint64_t value;
    } writes[VMX_MAX_WRITES];
};

/* The defaults (what KVM sets up on a VT-x machine with EPT), then the
 * comma-separated list s (may be NULL).  0, or -1 with a one-line reason. */
int vmx_config_parse(const char *s, struct vmx_config *c, char *err, size_t len);

#endif
