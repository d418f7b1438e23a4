# tests/bench/micro.mk — the microbenchmark table of Adams & Agesen
# (ASPLOS 2006, Table 1) across engines: tests/bench/micro.sh, run by
# `make bench` (one line in run.sh).
#
# build/bench/micro.linux32: the native column, a static 32-bit Linux
# process doing each operation (int $0x80 getpid, call/ret, SIGFPE round
# trip, first touch of anonymous memory, mprotect toggle, sched_yield
# ping-pong).  Built by `make _all` too: tests/bench/micro-smoke.sh runs it.

MICRO_LINUX32 := $(BUILD)/bench/micro.linux32

$(MICRO_LINUX32): tests/bench/native/micro_native.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -m32 -static -std=c11 -O2 -g -Wall -Wextra -Werror -MMD -MP -o $@ $<

# And as x86-64, for a host without IA32 emulation (native/host.sh).
MICRO_LINUX64 := $(BUILD)/bench/micro.linux64
$(MICRO_LINUX64): tests/bench/native/micro_native.c
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -static -std=c11 -O2 -g -Wall -Wextra -Werror -MMD -MP -MF $@.d -o $@ $<

ALL_TARGETS   += $(MICRO_LINUX32) $(MICRO_LINUX64)
BENCH_TARGETS += $(MICRO_LINUX32) $(MICRO_LINUX64)
# The table's parsing with tiny iteration counts (no timing asserted).
TEST_SUITES   += tests/bench/micro-smoke.sh
