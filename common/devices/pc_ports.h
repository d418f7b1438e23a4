/*
 * pc_ports.h — the I/O ports of our PC: which device answers where.
 *
 * The one table of the port map.  The VM registers its devices on the port
 * bus from it (core/vm.c), the exit-flow picture names a port's handler
 * with it (trace/dot.c), the visualizer's exit log names the device behind
 * an IN/OUT (viz/pane_log.c).  The addresses are those of the IBM PC/AT
 * (and QEMU's isa-debug-exit for 0xF4); the devices are in this folder.
 */
#ifndef DEVICES_PC_PORTS_H
#define DEVICES_PC_PORTS_H

#include <stdint.h>

enum pc_port_dev {
    PC_PIC_MASTER, /* 0x20-0x21  8259A master (IRQ0-7)        */
    PC_PIT,        /* 0x40-0x43  8254 PIT counters 0-2, control */
    PC_KBD_DATA,   /* 0x60       i8042 data (IRQ1, IRQ12)      */
    PC_PORT_B,     /* 0x61       system control port B: gate 2 */
    PC_KBD_CMD,    /* 0x64       i8042 status / command        */
    PC_RTC,        /* 0x70-0x71  MC146818 CMOS/RTC (IRQ8)      */
    PC_PIC_SLAVE,  /* 0xA0-0xA1  8259A slave (IRQ8-15)         */
    PC_DEBUG_EXIT, /* 0xF4-0xF7  debug exit: ends the VM       */
    PC_COM1,       /* 0x3F8-0x3FF 16550A UART COM1 (IRQ4)      */
    PC_ACPI_PM,    /* 0x600-0x60B ACPI PM1a blocks, PM timer   */
    PC_PCI,        /* 0xCF8-0xCFF PCI configuration mechanism #1 */
    PC_NPORT_DEVS
};

struct pc_port_range {
    uint16_t base, count; /* ports base .. base + count - 1          */
    const char *name;     /* short, on the bus and in logs: "com1"   */
    const char *device;   /* what answers: "16550 UART COM1"         */
};

/* In port order, indexed by enum pc_port_dev. */
extern const struct pc_port_range pc_ports[PC_NPORT_DEVS];

/* The range that holds port; NULL if no device of ours decodes it (a read
 * gives all ones, a write is dropped: a floating ISA bus). */
const struct pc_port_range *pc_port_find(uint16_t port);

#endif
