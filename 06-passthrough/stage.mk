# 06-passthrough: build/vmm-pt, the stage 06 VMM (device passthrough): stage
# 05's machine with a VT-d IOMMU in front of its PCI devices.
PT_SRCS      := vtd_regs.c vtd_dmar.c vtd_iotlb.c vtd_qi.c vtd_fault.c vtd_ir.c dmar_acpi.c \
                pt_machine.c
VMM_PT       := $(BUILD)/vmm-pt
VMM_PT_OBJS  := $(BUILD)/host/06-passthrough/main.o $(PT_SRCS:%.c=$(BUILD)/host/06-passthrough/%.o) \
                $(filter-out $(BUILD)/host/05-io/main.o,$(VMM_IO_OBJS))
ALL_TARGETS += $(VMM_PT)

$(VMM_PT): $(VMM_PT_OBJS) $(LIBVMLAB)
	$(Q)$(CC) -o $@ $(VMM_PT_OBJS) $(LIBVMLAB) $(HOST_LDLIBS)
