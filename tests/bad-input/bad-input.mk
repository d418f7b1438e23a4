# tests/bad-input: every kind of bad input a stage binary must explain in one
# line, with its documented status, without crashing or hanging.
BAD_INPUT_DIR  := $(BUILD)/tests/bad-input
BAD_INPUT_ELFS := $(BAD_INPUT_DIR)/triple.elf $(BAD_INPUT_DIR)/spin.elf $(BAD_INPUT_DIR)/bigbss.elf \
                  $(BAD_INPUT_DIR)/rep.elf
BAD_INPUT_LDFLAGS := -m32 -nostdlib -static -no-pie -fno-pic -Wl,--build-id=none \
                     -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -Wl,-T,tests/bad-input/tiny.ld
ALL_TARGETS += $(BAD_INPUT_ELFS)
TEST_SUITES += tests/bad-input/bad_input.sh

$(BAD_INPUT_DIR)/%.elf: tests/bad-input/%.S tests/bad-input/tiny.ld
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BAD_INPUT_LDFLAGS) -o $@ $<
$(BAD_INPUT_DIR)/bigbss.elf: tests/bad-input/spin.S tests/bad-input/tiny.ld
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BAD_INPUT_LDFLAGS) -DBIG_BSS -o $@ $<
