/*
 * fuzz_main.c — the libFuzzer entry point of one target (targets.h),
 * built once per target with -DFUZZ_TARGET=fuzz_<name> by `make fuzz`
 * (clang -fsanitize=fuzzer,address,undefined; tests/fuzz/fuzz.mk).
 */
#include "tests/fuzz/targets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return FUZZ_TARGET(data, size); }
