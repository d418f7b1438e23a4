# tests/hw/hw.mk — stage 03 (hardware-assisted virtualization): the VMX
# model's guest runs, control experiments and VM-entry failures (vmx.sh),
# the KVM engine where KVM can run the guest (kvm.sh), and the VMCS unit
# test (field encodings and widths, VM-entry checks).
TEST_SUITES += tests/hw/vmx.sh tests/hw/kvm.sh tests/hw/nested-kvm.sh

TEST_VMCS := $(BUILD)/tests/unit/test_vmcs
ALL_TARGETS += $(TEST_VMCS)
TEST_SUITES += $(TEST_VMCS)
$(TEST_VMCS): tests/unit/test_vmcs.c 03-hw-assisted/vmcs.c 03-hw-assisted/vmcs.h \
              03-hw-assisted/vmcs_check.c 03-hw-assisted/vmcs_check.h $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) tests/unit/test_vmcs.c 03-hw-assisted/vmcs.c \
		03-hw-assisted/vmcs_check.c -o $@ $(LIBVMLAB_SAN) -lcmocka $(HOST_LDLIBS)

# The interpreter's exit-policy hook (the x86 harness and snippets of unit-x86.mk).
TEST_POLICY := $(BUILD)/tests/unit/test_interp_policy
ALL_TARGETS += $(TEST_POLICY)
TEST_SUITES += $(TEST_POLICY)
$(TEST_POLICY): tests/unit/test_interp_policy.c tests/unit/x86_harness.h $(BUILD)/tests/unit/x86_snippets.o $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) $< $(BUILD)/tests/unit/x86_snippets.o -o $@ $(LIBVMLAB_SAN) -lcmocka $(HOST_LDLIBS)

# The KVM engine's exit translation (kvm_exit.c), which needs no /dev/kvm.
TEST_KVM_EXIT := $(BUILD)/tests/unit/test_kvm_exit
ALL_TARGETS += $(TEST_KVM_EXIT)
TEST_SUITES += $(TEST_KVM_EXIT)
$(TEST_KVM_EXIT): tests/unit/test_kvm_exit.c 03-hw-assisted/kvm_exit.c 03-hw-assisted/kvm.h common/core/vm_exit.h $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) tests/unit/test_kvm_exit.c 03-hw-assisted/kvm_exit.c -o $@ $(LIBVMLAB_SAN) -lcmocka $(HOST_LDLIBS)

# --kvm-controls parsing (kvm_controls.c), which needs no /dev/kvm either.
TEST_KVM_CONTROLS := $(BUILD)/tests/unit/test_kvm_controls
ALL_TARGETS += $(TEST_KVM_CONTROLS)
TEST_SUITES += $(TEST_KVM_CONTROLS)
$(TEST_KVM_CONTROLS): tests/unit/test_kvm_controls.c 03-hw-assisted/kvm_controls.c 03-hw-assisted/kvm_controls.h $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) tests/unit/test_kvm_controls.c 03-hw-assisted/kvm_controls.c -o $@ $(LIBVMLAB_SAN) -lcmocka $(HOST_LDLIBS)
