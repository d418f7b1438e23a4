# tests/bt/bt.mk — stage 01's binary translator: cmocka tests of its encoder,
# code cache and instruction classes, and the guest under --engine bt.
BT_UNIT_TESTS := test_bt_emit test_bt_codecache test_bt_window test_bt_classes test_flag_effects
BT_UNIT_BINS  := $(BT_UNIT_TESTS:%=$(BUILD)/tests/unit/%)
BT_SAN_OBJS   := $(addprefix $(BUILD)/san/01-binary-translation/,$(BT_SRCS:.c=.o))
ALL_TARGETS += $(BT_UNIT_BINS)
TEST_SUITES += $(BT_UNIT_BINS) tests/bt/bt.sh

$(BT_UNIT_BINS): $(BUILD)/tests/unit/%: tests/unit/%.c $(BT_SAN_OBJS) $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) $< $(BT_SAN_OBJS) -o $@ $(LIBVMLAB_SAN) -lcmocka $(HOST_LDLIBS)

# Small guests for bt.sh: one reads undefined flags (for --check interp),
# one branches across pages in a hot loop (the far exits), one keeps x87
# state live in the host's x87 (native x87, #MF, bail-outs).
BT_GUEST_DIR := $(BUILD)/tests/bt
ALL_TARGETS += $(BT_GUEST_DIR)/uflags.elf $(BT_GUEST_DIR)/farjump.elf $(BT_GUEST_DIR)/x87.elf \
               $(BT_GUEST_DIR)/ijump.elf $(BT_GUEST_DIR)/strings.elf \
               $(BT_GUEST_DIR)/divshift.elf
$(BT_GUEST_DIR)/%.elf: tests/bt/guests/%.S tests/fuzz/guests/guest.inc tests/bad-input/tiny.ld
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(FUZZ_GUEST_LD) -Wl,-T,tests/bad-input/tiny.ld -o $@ $<
