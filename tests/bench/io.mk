# tests/bench/io.mk — stage 05's disk comparison (tests/bench/io.sh, one
# line in run.sh, so `make bench` prints it): traps, interrupts and commands
# per MiB read for the emulated IDE disk and for virtio-blk under bt.
# The quick mode in `make test` (no timing asserted):
TEST_SUITES += tests/bench/io-smoke.sh
# Only this table: `make bench-io` (IO_BENCH_MIB per run, default 32).
.PHONY: bench-io
bench-io: _all
	$(Q)tests/bench/io.sh
