# tests/bench/workloads.mk — the workload suite side by side
# (tests/bench/workloads.sh, one line in run.sh, so `make bench` prints it).
# The programs are built by common/guest/workloads/workloads.mk.
BENCH_TARGETS += $(WL_MODULES) $(WL_LINUX32)
# The table's parsing with a tiny time budget (no timing asserted).
TEST_SUITES   += tests/bench/workloads-smoke.sh
# Only this table: `make bench-workloads` (BENCH_WL_SECONDS per cell).
.PHONY: bench-workloads
bench-workloads: _all
	$(Q)tests/bench/workloads.sh
