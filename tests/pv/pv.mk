# tests/pv/pv.mk — stage 02 (paravirtualization): the PV guest under
# build/vmm-pv on bt and interp, the hypercall ABI's errors, what the
# unmodified VMMs do with a VMCALL, and the exit counts against the
# unmodified guest (pv.sh).
TEST_SUITES += tests/pv/pv.sh
