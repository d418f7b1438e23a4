# tests/mem/mem.mk — stage 04 (vmm-mem): cmocka tests of the shadow cache and EPT,
# the teaching guest and a page-table-editing guest under vmm-mem (mem.sh).
MEM_UNIT_BINS := $(BUILD)/tests/unit/test_mem_shadow $(BUILD)/tests/unit/test_mem_ept
MEM_SAN_OBJS  := $(addprefix $(BUILD)/san/04-memory/,shadow.o shadow_wp.o ept.o ept_mmu.o ept_walk2d.o) \
                 $(BUILD)/san/01-binary-translation/window.o
MEM_GUEST_DIR := $(BUILD)/tests/mem
ALL_TARGETS += $(MEM_UNIT_BINS) $(MEM_GUEST_DIR)/ptedit.elf
TEST_SUITES += $(MEM_UNIT_BINS) tests/mem/mem.sh tests/mem/vmx.sh tests/mem/events.sh

$(MEM_UNIT_BINS): $(BUILD)/tests/unit/%: tests/unit/%.c $(MEM_SAN_OBJS) $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) $< $(MEM_SAN_OBJS) -o $@ $(LIBVMLAB_SAN) -lcmocka $(HOST_LDLIBS)

$(MEM_GUEST_DIR)/ptedit.elf: tests/mem/guests/ptedit.S tests/fuzz/guests/guest.inc tests/bad-input/tiny.ld
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(FUZZ_GUEST_LD) -Wl,-T,tests/bad-input/tiny.ld -o $@ $<
