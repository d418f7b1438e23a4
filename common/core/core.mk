# common/core: guest RAM, buses, exits, loader, the VM and its run loop.
COMMON_SRCS += common/core/guest_ram.c common/core/iobus.c common/core/vm_exit.c \
               common/core/loader.c common/core/vm.c common/core/vm_irq.c common/core/vm_report.c \
               common/core/lab.c common/core/hangup.c common/core/sigchain.c common/core/ticks.c \
               common/core/bzimage.c common/core/console_in.c common/core/irqchip.c
