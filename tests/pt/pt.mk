# tests/pt/pt.mk — stage 06 (vmm-pt): cmocka tests of the VT-d unit (its
# registers, DMA remapping, queued invalidation, interrupt remapping, the
# DMAR table, a virtqueue's DMA through it), and the teaching guest, a guest that
# probes the unit's registers, and Linux under vmm-pt (pt.sh).
PT_UNIT_BINS := $(addprefix $(BUILD)/tests/unit/,test_vtd_regs test_vtd_dmar test_vtd_qi \
                  test_vtd_ir test_vtd_acpi test_vtd_dma)
PT_SAN_OBJS  := $(filter-out %/pt_machine.o,$(PT_SRCS:%.c=$(BUILD)/san/06-passthrough/%.o)) \
                $(BUILD)/san/05-io/virtqueue.o
PT_GUEST_DIR := $(BUILD)/tests/pt
ALL_TARGETS += $(PT_UNIT_BINS) $(PT_GUEST_DIR)/vtdprobe.elf
TEST_SUITES += $(PT_UNIT_BINS) tests/pt/pt.sh

$(PT_UNIT_BINS): $(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/vtd_harness.h $(PT_SAN_OBJS) \
                 $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) $< $(PT_SAN_OBJS) -o $@ $(LIBVMLAB_SAN) -lcmocka $(HOST_LDLIBS)

$(PT_GUEST_DIR)/vtdprobe.elf: tests/pt/guests/vtdprobe.S tests/fuzz/guests/guest.inc tests/bad-input/tiny.ld
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(FUZZ_GUEST_LD) -Wl,-T,tests/bad-input/tiny.ld -o $@ $<
