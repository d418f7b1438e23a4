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
