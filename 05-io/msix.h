/*
 * msix.h — MSI-X: a PCI function's interrupts as memory writes (PCI Local
 * Bus Specification 3.0 §6.8.2).
 *
 * Instead of a shared, level-triggered INTx# wire, the function writes a
 * message — an address and a data word the OS chose — which the chipset
 * turns into an interrupt of a local APIC: address 0xFEExxxxx names the
 * destination APIC (bits 19:12) and the destination mode (bit 2), data
 * the vector (bits 7:0) and the delivery mode (bits 10:8) (Intel SDM Vol.
 * 3A §11.11).  Each vector is an entry of a table in one of the
 * function's BARs:
 *
 *   entry n at table + 16n:  le32 address | le32 upper address |
 *                            le32 data | le32 vector control (bit 0 masked)
 *   pending bit array (PBA): bit n set while entry n has a message held
 *                            back by a mask
 *
 * and the capability (ID 0x11) in configuration space says where, with
 * Message Control: bits 10:0 table size - 1, bit 14 function mask, bit 15
 * MSI-X enable.  A message raised while its entry or the whole function is
 * masked is remembered in the PBA and sent when unmasked; entries start
 * masked (§6.8.2.9).
 */
#ifndef IO_MSIX_H
#define IO_MSIX_H

#include <stdbool.h>
#include <stdint.h>
#include "devices/pci_host.h"

#define MSIX_MAX_VECTORS 8
#define PCI_CAP_MSIX     0x11
#define MSIX_ENABLE      0x8000 /* Message Control bit 15 */
#define MSIX_MASKALL     0x4000 /* Message Control bit 14 */

struct msix {
    struct pci_function *f;
    unsigned cap;  /* the capability's offset in configuration space */
    unsigned nvec; /* table entries                                   */
    uint32_t table[MSIX_MAX_VECTORS][4];
    uint32_t pending; /* the PBA */
    /* The chipset: deliver the message (core/vm.h vm_msi). */
    void (*send)(void *ctx, uint32_t addr, uint32_t data);
    void *ctx;
    uint64_t sent, held; /* --stats */
};

/* The capability at cap (its next pointer next) of function f, nvec
 * entries, the table and the PBA in BAR0 at the offsets given. */
void msix_init(struct msix *m, struct pci_function *f, unsigned cap, unsigned next, unsigned nvec,
               uint32_t table_off, uint32_t pba_off,
               void (*send)(void *ctx, uint32_t addr, uint32_t data), void *ctx);
bool msix_enabled(const struct msix *m);
/* Raise vector v: its message now, or pending while masked. */
void msix_notify(struct msix *m, unsigned v);
/* Accesses to the table and the PBA (off: from the start of each). */
void msix_table_io(struct msix *m, unsigned off, uint8_t size, bool is_write, uint32_t *value);
void msix_pba_io(struct msix *m, unsigned off, uint8_t size, bool is_write, uint32_t *value);
/* After a configuration write of len bytes at reg: an unmask through
 * Message Control sends what was pending. */
void msix_config_write(struct msix *m, unsigned reg, unsigned len);

#endif
