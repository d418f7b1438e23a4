#!/bin/bash
# tests/diff/run.sh — the differential test suite in `make test`:
# 20000 generated snippets + the edge-case table against the host CPU.
# DIFF_N and DIFF_SEED override the count and the seed.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
bin=$BUILD/tests/diff/diff_interp
if [ ! -x "$bin" ]; then
    echo "ok - diff interp vs host CPU # SKIP $bin not built (no interpreter in common/x86 yet)"
    exit 0
fi
exec "$bin" -n "${DIFF_N:-20000}" -s "${DIFF_SEED:-1}"
