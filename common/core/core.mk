# common/core: guest RAM, buses, exits, options, loader, the VM and its run loop.
COMMON_SRCS += common/core/guest_ram.c common/core/iobus.c common/core/vm_exit.c \
               common/core/options.c common/core/loader.c common/core/vm.c \
               common/core/vmm_main.c common/core/lab.c \
               common/core/hangup.c
