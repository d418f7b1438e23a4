# 05-io: build/vmm-io, the stage 05 VMM (I/O virtualization): virtio-blk
# over virtio-pci with split virtqueues, on the engines of stages 03 (vmx)
# and 04 (bt), and the interpreter.
IO_SRCS      := virtqueue.c msix.c virtio_dev.c virtio_pci.c virtio_mmio.c virtio_blk.c \
                virtio_rng.c virtio_console.c acpi_pci.c io_machine.c \
                ata.c ata_identify.c ata_bmdma.c
VMM_IO       := $(BUILD)/vmm-io
VMM_IO_OBJS  := $(BUILD)/host/05-io/main.o $(IO_SRCS:%.c=$(BUILD)/host/05-io/%.o) \
                $(MEM_SRCS:%.c=$(BUILD)/host/04-memory/%.o) \
                $(BT_SRCS:%.c=$(BUILD)/host/01-binary-translation/%.o) \
                $(BUILD)/host/02-paravirt/kvm_pv.o $(BUILD)/host/02-paravirt/pvclock.o \
                $(addprefix $(BUILD)/host/03-hw-assisted/,vmx.o vmx_ops.o vmx_config.o vmcs.o \
                  vmcs_check.o exit_handler.o)
ALL_TARGETS += $(VMM_IO)

$(VMM_IO): $(VMM_IO_OBJS) $(LIBVMLAB)
	$(Q)$(CC) -o $@ $(VMM_IO_OBJS) $(LIBVMLAB) $(HOST_LDLIBS)
