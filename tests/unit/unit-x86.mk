# tests/unit/unit-x86.mk — cmocka tests of the x86 CPU model (common/x86):
# decoder and block cache, instruction classes, exceptions and interrupts,
# page walker, TLB.  Guest snippets are assembled by the host assembler in
# .code32 mode (x86_snippets.S) and linked in as data.
X86_UNIT_TESTS := test_interp_alu test_interp_ctl test_interp_sys test_decode test_paging test_tlb
X86_UNIT_TESTS += test_interp_fpu test_interp_xlate
X86_UNIT_BINS  := $(X86_UNIT_TESTS:%=$(BUILD)/tests/unit/%)
X86_SNIPPETS   := $(BUILD)/tests/unit/x86_snippets.o
ALL_TARGETS += $(X86_UNIT_BINS)
TEST_SUITES += $(X86_UNIT_BINS)

$(X86_SNIPPETS): tests/unit/x86_snippets.S
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -c $< -o $@

$(X86_UNIT_BINS): $(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/x86_harness.h $(X86_SNIPPETS) $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) $< $(X86_SNIPPETS) -o $@ $(LIBVMLAB_SAN) -lcmocka $(HOST_LDLIBS)
