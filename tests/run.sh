#!/bin/bash
# vmlab test runner: runs every suite given on the command line and ends with
# one summary line "N passed, N failed".
#  - cmocka suites: counted from their "[  PASSED  ] n test(s)." and
#    "[  FAILED  ] n test(s)" lines;
#  - shell suites (tests/lib.sh): "ok - ..." / "not ok - ..." lines, with
#    "ok - name # SKIP reason" for a skipped test.
# A suite that exits non-zero without reporting a failure counts as one.
# Every failed line is repeated just above the summary, so a log that keeps
# only its end (a CI page) still says what failed.
set -u
pass=0 fail=0 skip=0
failed_suites=() failed_lines=()
for suite in "$@"; do
    echo "=== $suite"
    out=$(mktemp)
    start=$(date +%s)
    "$suite" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    p=0 f=0 s=0
    n=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1); p=$((p + ${n:-0}))
    n=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1); f=$((f + ${n:-0}))
    n=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out" | tail -1); s=$((s + ${n:-0}))
    n=$(grep -c '^ok - .*# SKIP' "$out"); s=$((s + n))
    n=$(grep '^ok - ' "$out" | grep -vc '# SKIP'); p=$((p + n))
    n=$(grep -c '^not ok - ' "$out"); f=$((f + n))
    while IFS= read -r line; do failed_lines+=("$suite: ${line:0:400}"); done \
        < <(grep -E '^not ok - |^\[  FAILED  \] [^0-9]' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "not ok - $suite exited with status $rc"
        failed_lines+=("$suite: exited with status $rc")
        f=1
    fi
    [ "$f" -ne 0 ] && failed_suites+=("$suite")
    echo "--- $suite: $p passed, $f failed, $s skipped ($(( $(date +%s) - start ))s)"
    pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
    rm -f "$out"
done
if [ ${#failed_suites[@]} -gt 0 ]; then
    echo "=== failures"
    printf '%s\n' "${failed_lines[@]}"
    echo "failing suites: ${failed_suites[*]}"
fi
echo "$skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
