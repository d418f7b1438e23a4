# tests/guest/guest.mk — guest-level test suites (docs/ARCHITECTURE.md §8): the
# teaching guest's programs under QEMU, and the compute benchmark's
# checksums compared with the native build (built by tests/bench/bench.mk).
TEST_SUITES += tests/guest/qemu.sh tests/guest/native.sh tests/guest/interp.sh \
               tests/guest/workloads.sh
