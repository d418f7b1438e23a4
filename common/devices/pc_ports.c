/*
 * pc_ports.c — the port map of our PC (pc_ports.h).
 */
#include "devices/pc_ports.h"

#include <stddef.h>
#include "devices/acpi_pm.h"
#include "devices/debug_exit.h"
#include "devices/i8042.h"
#include "devices/mc146818.h"
#include "devices/pci_host.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/uart16550.h"

const struct pc_port_range pc_ports[PC_NPORT_DEVS] = {
    [PC_PIC_MASTER] = { PIC_MASTER_BASE, 2, "pic-master", "8259 PIC master" },
    [PC_PIT] = { PIT_BASE, PIT_NPORTS, "pit", "8254 PIT" },
    [PC_KBD_DATA] = { I8042_DATA_PORT, 1, "kbd-data", "i8042 keyboard controller data" },
    [PC_PORT_B] = { PIT_PORT_B, 1, "port-b", "port B (PIT gate 2)" },
    [PC_KBD_CMD] = { I8042_CMD_PORT, 1, "kbd-cmd", "i8042 keyboard controller status" },
    [PC_RTC] = { RTC_BASE, RTC_NPORTS, "rtc", "MC146818 CMOS/RTC" },
    [PC_PIC_SLAVE] = { PIC_SLAVE_BASE, 2, "pic-slave", "8259 PIC slave" },
    [PC_DEBUG_EXIT] = { DEBUG_EXIT_PORT, DEBUG_EXIT_PORTS, "debug-exit", "debug-exit" },
    [PC_COM1] = { UART_COM1_BASE, UART_NPORTS, "com1", "16550 UART COM1" },
    [PC_ACPI_PM] = { ACPI_PM_BASE, ACPI_PM_NPORTS, "acpi-pm", "ACPI PM1a, PM timer" },
    [PC_PCI] = { PCI_CONFIG_BASE, PCI_CONFIG_NPORTS, "pci", "PCI host bridge (config #1)" },
};

const struct pc_port_range *pc_port_find(uint16_t port)
{
    for (int i = 0; i < PC_NPORT_DEVS; i++)
        if (port >= pc_ports[i].base && port - pc_ports[i].base < pc_ports[i].count)
            return &pc_ports[i];
    return NULL;
}
