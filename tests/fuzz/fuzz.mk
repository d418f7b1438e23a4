# tests/fuzz: fuzzing the parts of the VMM that read untrusted input — the
# ELF/Multiboot loader, the trace reader, the command line, the devices.
#
#   make _test   runs tests/fuzz/replay.sh: the saved crashers of
#                tests/fuzz/corpus/<target>/ and pseudo-random inputs,
#                built with gcc + ASan/UBSan (no libFuzzer needed)
#   make fuzz    builds the libFuzzer harnesses (clang-14; Debian package
#                libclang-rt-14-dev) and runs each for FUZZ_SECONDS, one at
#                a time; new crashers land in $(BUILD)/fuzz/<target>/artifacts
FUZZ_DIR     := $(BUILD)/tests/fuzz
FUZZ_REPLAY  := $(FUZZ_DIR)/replay
FUZZ_NAMES   := loader trace options devices
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_SECONDS ?= 120
FUZZ_CC      ?= clang-14
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O1 -I common -I . -Wall -Wextra \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
# Only the modules the targets reach, built with clang for libFuzzer's coverage.
FUZZ_SRCS    := common/core/loader.c common/core/guest_ram.c common/vmm/options.c \
                common/core/vm_exit.c common/trace/trace_reader.c \
                common/devices/uart16550.c common/devices/pit8254.c common/devices/pic8259.c
FUZZ_SRCS    += common/devices/acpi_pm.c

ALL_TARGETS += $(FUZZ_REPLAY)
TEST_SUITES += tests/fuzz/replay.sh

$(FUZZ_REPLAY): tests/fuzz/replay.c tests/fuzz/targets.c tests/fuzz/targets.h $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(HOST_CFLAGS) -O1 $(SAN_FLAGS) tests/fuzz/replay.c tests/fuzz/targets.c -o $@ \
		$(LIBVMLAB_SAN) $(HOST_LDLIBS)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_main.c tests/fuzz/targets.c tests/fuzz/targets.h $(FUZZ_SRCS)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -DFUZZ_TARGET=fuzz_$* tests/fuzz/fuzz_main.c \
		tests/fuzz/targets.c $(FUZZ_SRCS) -o $@ -lm

# Each target in turn (the machine is shared: one fuzzer, one process).  The
# working corpus starts from the saved inputs; a crash stops `make fuzz`.
.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	$(Q)for t in $(FUZZ_NAMES); do \
		mkdir -p $(BUILD)/fuzz/$$t/corpus $(BUILD)/fuzz/$$t/artifacts && \
		echo "=== fuzz $$t ($(FUZZ_SECONDS) s)" && \
		$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
			-close_fd_mask=1 -detect_leaks=0 \
			-artifact_prefix=$(BUILD)/fuzz/$$t/artifacts/ \
			$(BUILD)/fuzz/$$t/corpus tests/fuzz/corpus/$$t || exit 1; \
	done

# Hostile guests (tests/fuzz/guests/*.S, linked like tests/bad-input's) run
# by tests/fuzz/guests.sh under --engine interp (vmm-bt) and --engine vmx
# (vmm-hw), and the random-code guest also under a sanitizer build of
# vmm-hw (its interp and vmx engines) so memory errors in the VMM show.
FUZZ_GUEST_DIR   := $(BUILD)/tests/fuzz/guests
FUZZ_GUEST_LD    := -m32 -nostdlib -static -no-pie -fno-pic -Wl,--build-id=none \
                    -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments
FUZZ_GUEST_ELFS  := $(patsubst %,$(FUZZ_GUEST_DIR)/%.elf,random pitpic uart smc wild \
                    endmem endover endrun)
FUZZ_VMM_SAN     := $(FUZZ_DIR)/vmm-hw-san
ALL_TARGETS += $(FUZZ_GUEST_ELFS) $(FUZZ_VMM_SAN)
TEST_SUITES += tests/fuzz/guests.sh

$(FUZZ_GUEST_DIR)/%.elf: tests/fuzz/guests/%.S tests/fuzz/guests/guest.inc tests/bad-input/tiny.ld
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(FUZZ_GUEST_LD) -Wl,-T,tests/bad-input/tiny.ld -o $@ $<
FUZZ_ENDMEM_DEPS := tests/fuzz/guests/endmem.S tests/fuzz/guests/guest.inc tests/fuzz/guests/endmem.ld
$(FUZZ_GUEST_DIR)/endmem.elf: $(FUZZ_ENDMEM_DEPS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(FUZZ_GUEST_LD) -Wl,-T,tests/fuzz/guests/endmem.ld -o $@ $<
$(FUZZ_GUEST_DIR)/endover.elf: $(FUZZ_ENDMEM_DEPS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(FUZZ_GUEST_LD) -DOVER -Wl,-T,tests/fuzz/guests/endmem.ld -o $@ $<
$(FUZZ_GUEST_DIR)/endrun.elf: $(FUZZ_ENDMEM_DEPS)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(FUZZ_GUEST_LD) -DFALL_OFF -Wl,-T,tests/fuzz/guests/endmem.ld -o $@ $<

$(FUZZ_VMM_SAN): $(VMM_HW_SRCS:%.c=$(BUILD)/san/%.o) $(LIBVMLAB_SAN)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LDLIBS) -lpthread
