# tests/hw/hw.mk — stage 03 (hardware-assisted virtualization): the VMX
# model's guest runs, control experiments and VM-entry failures (vmx.sh),
# the KVM engine where KVM can run the guest (kvm.sh), and the VMCS unit
# test (field encodings and widths, VM-entry checks).
TEST_SUITES += tests/hw/vmx.sh tests/hw/kvm.sh
