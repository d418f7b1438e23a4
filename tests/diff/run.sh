#!/bin/bash
# tests/diff/run.sh — the differential test suite in `make test`:
# 20000 generated snippets + the edge-case table against the host CPU on
# the interpreter, then DIFF_BT_N (5000) + the edge cases three ways: host
# CPU, interpreter and stage 01's binary translator (identical translation).
# DIFF_N, DIFF_BT_N and DIFF_SEED override the counts and the seed.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
bin=$BUILD/tests/diff/diff_interp
if [ ! -x "$bin" ]; then
    echo "ok - diff interp vs host CPU # SKIP $bin not built (no interpreter in common/x86 yet)"
    exit 0
fi
"$bin" -n "${DIFF_N:-20000}" -s "${DIFF_SEED:-1}"
rc=$?
"$bin" -b -n "${DIFF_BT_N:-5000}" -s "${DIFF_SEED:-1}"
rc2=$?
[ $rc -ne 0 ] && exit $rc
exit $rc2
