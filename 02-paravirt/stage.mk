# 02-paravirt: build/vmm-pv, the stage 02 VMM — stage 01's engines (interp,
# bt) running a paravirtual guest (build/guest/guest-pv.elf) that calls the
# VMM with hypercalls (hypercall.c); with --pv-linux on, Linux gets KVM's
# paravirtual CPUID leaves and kvmclock (kvm_pv.c, pvclock.c).
PV_SRCS     := main.c hypercall.c pv_mmu.c kvm_pv.c pvclock.c
VMM_PV      := $(BUILD)/vmm-pv
VMM_PV_OBJS := $(PV_SRCS:%.c=$(BUILD)/host/02-paravirt/%.o) \
               $(BT_SRCS:%.c=$(BUILD)/host/01-binary-translation/%.o)
ALL_TARGETS += $(VMM_PV)

$(VMM_PV): $(VMM_PV_OBJS) $(LIBVMLAB)
	$(Q)$(CC) -o $@ $(VMM_PV_OBJS) $(LIBVMLAB) $(HOST_LDLIBS)
