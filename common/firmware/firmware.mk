# common/firmware: the tables a BIOS leaves for the OS (docs/ARCHITECTURE.md §11).
COMMON_SRCS += common/firmware/firmware.c common/firmware/mptable.c common/firmware/acpi.c
