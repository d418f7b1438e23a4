/*
 * pci_host.h — the PCI host bridge: configuration mechanism #1 and bus 0.
 *
 * PCI Local Bus Specification 3.0 §3.2.2.3.2 ("Software Generation of
 * Configuration Transactions"), configuration mechanism #1:
 *
 *     CONFIG_ADDRESS  0xCF8, 32-bit only:
 *         31 enable | 30:24 reserved (0) | 23:16 bus | 15:11 device |
 *         10:8 function | 7:2 register (dword) | 1:0 read as 0
 *     CONFIG_DATA     0xCFC-0xCFF: byte, word or dword at any offset, the
 *                     bytes (register & 0xFC) + (port - 0xCFC) onwards.
 *
 * Only a dword access at 0xCF8 reaches CONFIG_ADDRESS (§3.2.2.3.2: "the
 * host bridge ... only responds to DWORD I/O accesses"; byte accesses at
 * 0xCF8-0xCFB belong to other devices, mechanism #2's CSE at 0xCF8 and the
 * PIIX's reset control at 0xCF9: nobody here).  With the enable bit clear
 * CONFIG_DATA is ordinary I/O space: nobody answers (all ones, dropped).
 *
 * Bus 0 holds up to 32 devices x 8 functions (devfn = device << 3 |
 * function), each a 256-byte configuration space (§6.1, the type 0
 * header of Figure 6-1) with a mask of writable bits and one of
 * write-1-to-clear bits (the Status register, §6.2.3).  Reads of a
 * function nobody registered, or of another bus, give 0xFFFFFFFF: the
 * master abort of an unclaimed configuration cycle, which is how
 * software finds an empty slot (Vendor ID 0xFFFF, §6.2.1).
 *
 * Base address registers (§6.2.5.1): pci_bar() makes the address bits
 * above the region's size writable and the low (size-encoding and type)
 * bits read-only, so writing all ones reads back ~(size - 1) | flags,
 * the sizing protocol of "Address and size of the BAR".
 *
 * The host bridge itself is 00:00.0, an Intel 82441FX PMC (440FX chipset
 * datasheet 290549, §3.2: vendor 8086, device 1237, revision 02, class
 * 06 00 00 "host bridge"), what QEMU's pc machine presents, so a kernel's
 * PCI probe finds a real bus.
 */
#ifndef DEVICES_PCI_HOST_H
#define DEVICES_PCI_HOST_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_CONFIG_BASE   0xCF8
#define PCI_CONFIG_NPORTS 8 /* CONFIG_ADDRESS 0xCF8, CONFIG_DATA 0xCFC-0xCFF */
#define PCI_ENABLE        0x80000000u
#define PCI_NFUNCS        256 /* bus 0: 32 devices x 8 functions */
#define PCI_DEVFN(d, f)   ((unsigned)(d) << 3 | (unsigned)(f))

/* Type 0 header offsets (§6.1, Figure 6-1). */
enum {
    PCI_VENDOR_ID = 0x00,
    PCI_DEVICE_ID = 0x02,
    PCI_COMMAND = 0x04,
    PCI_STATUS = 0x06,
    PCI_REVISION = 0x08, /* then prog-if 0x09, subclass 0x0A, class 0x0B */
    PCI_CACHE_LINE = 0x0C,
    PCI_LATENCY = 0x0D,
    PCI_HEADER_TYPE = 0x0E, /* bit 7: multi-function device */
    PCI_BAR0 = 0x10,        /* six BARs, 0x10-0x24 */
    PCI_SUBSYS_VENDOR = 0x2C,
    PCI_SUBSYS_ID = 0x2E,
    PCI_INT_LINE = 0x3C,
    PCI_INT_PIN = 0x3D,
};
#define PCI_BAR_IO    0x1 /* BAR bit 0: I/O space (§6.2.5.1)        */
#define PCI_BAR_PREF  0x8 /* memory BAR bit 3: prefetchable          */
#define PCI_BAR_MEM64 0x4 /* memory BAR bits 2:1 = 10b: 64-bit (unused) */

struct pci_function;

/* What a device behind a function does.  Every field may be 0. */
struct pci_function_ops {
    const char *name; /* "host bridge", in listings */
    /* After a configuration write of len bytes at reg (the masks already
     * applied): a BAR moved, the Command register changed, ... */
    void (*config_write)(void *dev, struct pci_function *f, unsigned reg, unsigned len);
    /* Before a configuration read of len bytes at reg: a device whose
     * configuration registers are a window on something else (virtio's
     * PCI configuration access capability) fills cfg there.  May be 0. */
    void (*config_read)(void *dev, struct pci_function *f, unsigned reg, unsigned len);
};

struct pci_function {
    bool present;
    uint8_t cfg[256];   /* the configuration space as read       */
    uint8_t wmask[256]; /* bits a write changes                  */
    uint8_t w1c[256];   /* bits a write of 1 clears (Status)      */
    const struct pci_function_ops *ops;
    void *dev;
};

struct pci_host {
    uint32_t config_address; /* CONFIG_ADDRESS as last written */
    struct pci_function fn[PCI_NFUNCS];
};

/* An empty bus 0 with the host bridge at 00:00.0. */
void pci_host_init(struct pci_host *h);
/* Put a function on bus at devfn: a type 0 header with the IDs given,
 * Command/Status/cache line/latency/interrupt line writable, no BARs.
 * class_code is class << 16 | subclass << 8 | prog-if.  NULL if bus is
 * not 0 or devfn is taken.  A function other than 0 marks function 0 of
 * its device multi-function (header type bit 7) so software probes it. */
struct pci_function *pci_register(struct pci_host *h, unsigned bus, unsigned devfn,
                                  const struct pci_function_ops *ops, void *dev, uint16_t vendor,
                                  uint16_t device, uint32_t class_code, uint8_t revision);
/* BAR n (0-5) decoding size bytes (a power of two: >= 4 for I/O, >= 16
 * for memory) of the space given by flags (PCI_BAR_IO, or memory with
 * PCI_BAR_PREF).  The address starts at 0 (unassigned). */
void pci_bar(struct pci_function *f, int n, uint32_t size, uint32_t flags);
/* The base address BAR n holds now (type bits removed). */
uint32_t pci_bar_address(const struct pci_function *f, int n);
/* Little-endian access to a configuration space (len 1, 2 or 4). */
uint32_t pci_cfg_get(const struct pci_function *f, unsigned reg, unsigned len);
void pci_cfg_set(struct pci_function *f, unsigned reg, unsigned len, uint32_t v);
/* iobus handler for 0xCF8-0xCFF; dev is the struct pci_host. */
void pci_host_io(void *dev, uint64_t offset, uint8_t size, bool is_write, uint32_t *value);

#endif
