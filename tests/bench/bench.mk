# tests/bench/bench.mk — native baselines for the performance comparisons
# (docs/ARCHITECTURE.md §9).
#
# build/bench/compute.linux32: the guest's compute benchmark core run as a
# static 32-bit Linux process.  compute.c is compiled with the guest's
# code-generation flags (freestanding, integer registers only, no PIC) so the
# native run executes the same instruction mix as the guest's ring-3 program;
# only the small main() uses libc.

BENCH_NATIVE_DIR   := $(BUILD)/bench
COMPUTE_LINUX32    := $(BENCH_NATIVE_DIR)/compute.linux32
BENCH_GUESTLIKE_CFLAGS := -m32 -std=c11 -O2 -g -Wall -Wextra -Werror -MMD -MP \
                      -ffreestanding -mgeneral-regs-only -fno-pic -fno-stack-protector \
                      -fno-omit-frame-pointer

$(BENCH_NATIVE_DIR)/native/compute.o: common/guest/compute/compute.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_GUESTLIKE_CFLAGS) -c $< -o $@

$(COMPUTE_LINUX32): tests/bench/native/compute_main.c $(BENCH_NATIVE_DIR)/native/compute.o
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -m32 -static -std=c11 -O2 -g -Wall -Wextra -Werror -MMD -MP -I . \
	    -o $@ $< $(BENCH_NATIVE_DIR)/native/compute.o

# Built by `make _all` too: tests/guest/native.sh compares it with the guest.
ALL_TARGETS   += $(COMPUTE_LINUX32)
BENCH_TARGETS += $(COMPUTE_LINUX32)

# The same programs as x86-64 processes, for hosts whose kernel has no IA32
# emulation (tests/bench/native/host.sh picks them after a probe): the
# checksums are the same portable C, the list nodes twice as big.
COMPUTE_LINUX64 := $(BENCH_NATIVE_DIR)/compute.linux64
IA32_PROBE      := $(BENCH_NATIVE_DIR)/ia32-probe.linux32
BENCH_HOST64_CFLAGS := $(filter-out -m32,$(BENCH_GUESTLIKE_CFLAGS))

$(BENCH_NATIVE_DIR)/native64/compute.o: common/guest/compute/compute.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(BENCH_HOST64_CFLAGS) -c $< -o $@

$(COMPUTE_LINUX64): tests/bench/native/compute_main.c $(BENCH_NATIVE_DIR)/native64/compute.o
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -static -std=c11 -O2 -g -Wall -Wextra -Werror -MMD -MP -MF $@.d -I . \
	    -o $@ $< $(BENCH_NATIVE_DIR)/native64/compute.o

$(IA32_PROBE): tests/bench/native/ia32_probe.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -m32 -static -nostdlib -no-pie -fno-pic -O2 -Wall -Wextra -Werror \
	    -Wl,--build-id=none -o $@ $<

ALL_TARGETS   += $(COMPUTE_LINUX64) $(IA32_PROBE)
BENCH_TARGETS += $(COMPUTE_LINUX64) $(IA32_PROBE)
