# 03-hw-assisted: build/vmm-hw, the stage 03 VMM (KVM engine; VMX model to come).
VMM_HW      := $(BUILD)/vmm-hw
VMM_HW_OBJS := $(BUILD)/host/03-hw-assisted/main.o $(BUILD)/host/03-hw-assisted/kvm.o
ALL_TARGETS += $(VMM_HW)

$(VMM_HW): $(VMM_HW_OBJS) $(LIBVMLAB)
	$(Q)$(CC) -o $@ $(VMM_HW_OBJS) $(LIBVMLAB) $(HOST_LDLIBS)
