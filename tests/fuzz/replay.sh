#!/bin/bash
# replay.sh — the fuzz regression suite of make test: every saved input of
# tests/fuzz/corpus/<target>/ plus 300 pseudo-random inputs per target
# (fixed seed) through the loader, trace reader, option parser and devices,
# under ASan + UBSan (tests/fuzz/replay.c; targets in targets.c).
. "$(dirname "$0")/../lib.sh"
REPLAY=$BUILD/tests/fuzz/replay
if [ ! -x "$REPLAY" ]; then
    skip "fuzz replay" "$REPLAY is not built"
    finish
fi
cd "$ROOT" || exit 1
# Sanitizer reports go to stderr (shown by tests/run.sh); a leak check is
# not what this suite is about, and the options target keeps argv alive.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$REPLAY" tests/fuzz/corpus -n "${FUZZ_REPLAY_N:-300}"
