# 03-hw-assisted: build/vmm-hw, the stage 03 VMM — the KVM engine and the
# software VMX model (VMCS, VM entry checks, exits decided by the controls),
# sharing one exit handler; and stage 02's hypercalls for the VMX model.
VMM_HW      := $(BUILD)/vmm-hw
VMM_HW_SRCS := 03-hw-assisted/main.c 03-hw-assisted/kvm.c 03-hw-assisted/kvm_exit.c \
               03-hw-assisted/kvm_controls.c \
               03-hw-assisted/vmx.c 03-hw-assisted/vmx_ops.c 03-hw-assisted/vmx_config.c \
               03-hw-assisted/vmcs.c 03-hw-assisted/vmcs_check.c 03-hw-assisted/exit_handler.c
VMM_HW_SRCS += 02-paravirt/hypercall.c 02-paravirt/pv_mmu.c # --pv on: stage 02's hypercalls
VMM_HW_SRCS += 02-paravirt/kvm_pv.c 02-paravirt/pvclock.c # --pv-linux on
VMM_HW_OBJS := $(VMM_HW_SRCS:%.c=$(BUILD)/host/%.o)
ALL_TARGETS += $(VMM_HW)

$(VMM_HW): $(VMM_HW_OBJS) $(LIBVMLAB)
	$(Q)$(CC) -o $@ $(VMM_HW_OBJS) $(LIBVMLAB) $(HOST_LDLIBS)
