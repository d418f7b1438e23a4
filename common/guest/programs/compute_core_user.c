/*
 * compute_core_user.c — puts the shared compute core (common/guest/compute/)
 * into the guest's ring-3 image: the build links every programs/ *_user.o
 * into the user-accessible region, and the core must run in ring 3.
 * The native build compiles the same compute.c directly (tests/bench/bench.mk).
 */
#include "../compute/compute.c"
