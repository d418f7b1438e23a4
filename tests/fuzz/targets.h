/*
 * targets.h — the fuzz targets, shared by the libFuzzer harnesses
 * (fuzz_<target>.c, built with clang -fsanitize=fuzzer) and the plain
 * regression runner (replay.c, built with gcc + ASan/UBSan for make test).
 *
 * Each target feeds arbitrary bytes to one part of the VMM that reads
 * untrusted input and checks the project rule: bad input gives an error
 * return with a non-empty one-line message, never a crash, a hang or
 * undefined behaviour.  A broken invariant prints one line and aborts, so
 * both libFuzzer and the replay runner see it as a crash.
 */
#ifndef TESTS_FUZZ_TARGETS_H
#define TESTS_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* The ELF/Multiboot loader (core/loader.c): the bytes are the image file. */
int fuzz_loader(const uint8_t *data, size_t n);
/* The trace reader (trace/trace_reader.c): the bytes are a --trace file. */
int fuzz_trace(const uint8_t *data, size_t n);
/* The command line (vmm/options.c): NUL-separated arguments. */
int fuzz_options(const uint8_t *data, size_t n);
/* The devices (devices/): a program of port reads/writes, clock steps and
 * interrupt acknowledges on a UART, PIT and PIC pair wired as in a PC. */
int fuzz_devices(const uint8_t *data, size_t n);

struct fuzz_target {
    const char *name;
    int (*run)(const uint8_t *data, size_t n);
};
extern const struct fuzz_target fuzz_targets[]; /* ends with { NULL, NULL } */

#endif
