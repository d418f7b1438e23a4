# 04-memory: build/vmm-mem, the stage 04 VMM (memory virtualization): the
# stage 01 translator on cached shadow page tables; --pv-linux on is stage
# 02's KVM interface for Linux (02-paravirt/kvm_pv.c); --engine vmx is stage
# 03's VMX model with EPT or shadow page tables (mem_vmx.c).
MEM_SRCS     := shadow.c shadow_wp.c mem_bt.c ept.c ept_mmu.c ept_walk2d.c mem_vmx.c vmx_shadow.c
VMM_MEM      := $(BUILD)/vmm-mem
VMM_MEM_OBJS := $(BUILD)/host/04-memory/main.o \
                $(MEM_SRCS:%.c=$(BUILD)/host/04-memory/%.o) \
                $(BT_SRCS:%.c=$(BUILD)/host/01-binary-translation/%.o) \
                $(BUILD)/host/02-paravirt/kvm_pv.o $(BUILD)/host/02-paravirt/pvclock.o \
                $(patsubst %,$(BUILD)/host/03-hw-assisted/%.o,vmx vmx_ops vmx_config \
                  vmcs vmcs_check exit_handler)
ALL_TARGETS += $(VMM_MEM)

$(VMM_MEM): $(VMM_MEM_OBJS) $(LIBVMLAB)
	$(Q)$(CC) -o $@ $(VMM_MEM_OBJS) $(LIBVMLAB) $(HOST_LDLIBS)
