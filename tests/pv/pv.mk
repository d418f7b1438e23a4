# tests/pv/pv.mk — stage 02 (paravirtualization): the PV guest under
# build/vmm-pv on bt and interp, the hypercall ABI's errors, what the
# unmodified VMMs do with a VMCALL, and the exit counts against the
# unmodified guest (pv.sh).
TEST_SUITES += tests/pv/pv.sh

# The VMM side on a VM without a guest: register protocol, errors, the
# mmu_update validation, the virtual IF gate, the PV timer's late ticks.
TEST_PV_HC := $(BUILD)/tests/unit/test_pv_hypercall
ALL_TARGETS += $(TEST_PV_HC)
TEST_SUITES += $(TEST_PV_HC)
TEST_PV_HC_OBJS := $(BUILD)/san/02-paravirt/hypercall.o $(BUILD)/san/02-paravirt/pv_mmu.o
$(TEST_PV_HC): tests/unit/test_pv_hypercall.c $(TEST_PV_HC_OBJS) $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) $< $(TEST_PV_HC_OBJS) -o $@ $(LIBVMLAB_SAN) -lcmocka $(HOST_LDLIBS)

# kvmclock and KVM's CPUID leaves for Linux (--pv-linux on): the pvclock
# scale and records, the MSRs on a VM, a VM without the option beside it.
TEST_PVCLOCK := $(BUILD)/tests/unit/test_pvclock
TEST_PVCLOCK_OBJS := $(BUILD)/san/02-paravirt/pvclock.o $(BUILD)/san/02-paravirt/kvm_pv.o
ALL_TARGETS += $(TEST_PVCLOCK)
TEST_SUITES += $(TEST_PVCLOCK)
$(TEST_PVCLOCK): tests/unit/test_pvclock.c $(TEST_PVCLOCK_OBJS) $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) $< $(TEST_PVCLOCK_OBJS) -o $@ $(LIBVMLAB_SAN) -lcmocka $(HOST_LDLIBS)

# Debian's Linux with --pv-linux on and off (two boots under vmm-mem, ~25 s).
TEST_SUITES += tests/pv/linux-pv.sh
