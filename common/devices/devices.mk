# common/devices: the emulated PC devices every engine shares (docs/ARCHITECTURE.md §2).
COMMON_SRCS += common/devices/uart16550.c common/devices/pit8254.c \
               common/devices/pic8259.c common/devices/debug_exit.c \
               common/devices/pc_ports.c common/devices/pci_host.c \
               common/devices/i8042.c common/devices/mc146818.c \
               common/devices/lapic.c common/devices/ioapic.c
COMMON_SRCS += common/devices/acpi_pm.c
