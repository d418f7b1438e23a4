#!/bin/bash
# scripts/grade.sh [LAB] — `make grade`: run lab LAB's graded tests, or with
# no LAB every lab's, and write the records of every test to
# $BUILD/grade.json for a course's autograder (labs/README.md §3, §5):
#
#   [ {"lab": 1, "test": "helper_ring0_observations", "points": 10, "max": 10,
#      "status": "pass", "hidden": false, "message": ""}, ... ]
#
# status is pass, fail (points < max), skip (this machine cannot run the
# test; max 0) or error (a grade script that ended without its Score line).
# VMLAB_HIDDEN_TESTS=dir adds the instructor's hidden tests (dir/labN/*.sh).
#   scripts/grade.sh --check LAB : only check LAB and VMLAB_HIDDEN_TESTS;
#                                  a one-line error and status 2 if wrong.
#   scripts/grade.sh --json RECORDS OUT : only turn records into JSON.
# Exit status: 0 full marks, 1 some points lost, 2 usage or a broken grader.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD;; esac

all_labs() { ls -d labs/lab[0-9]*-*/ 2>/dev/null | sed 's|^labs/lab\([0-9]*\)-.*|\1|' | sort -n | tr '\n' ' '; }
# check LAB : a one-line error on stderr (status 2) for a lab or a hidden
# tests folder that does not exist.
check() {
    local lab=$1 hidden=${VMLAB_HIDDEN_TESTS:-} labs; labs=$(all_labs)
    if [ -n "$lab" ] && { ! [[ "$lab" =~ ^[0-9]+$ ]] || ! ls labs/lab"$lab"-*/grade.sh >/dev/null 2>&1; }; then
        echo "grade: no lab '$lab' (the labs are ${labs% }; make grade LAB=n, or no LAB for all)" >&2; return 2
    fi
    if [ -n "$hidden" ] && [ ! -d "$hidden" ]; then
        echo "grade: the hidden tests folder '$hidden' does not exist (HIDDEN=dir, labs/README.md §5)" >&2; return 2
    fi
}
# write_json RECORDS OUT : the records (labs/lib.sh) as a JSON array.
# Strings are escaped (\ and " by sed, as awks differ in gsub's
# backslashes; records hold no control characters, labs/lib.sh removed
# them), numbers and booleans bare.
write_json() {
    sed 's/\\/\\\\/g; s/"/\\"/g' "$1" | awk -F'\t' '
        function str(s) { return "\"" s "\"" }
        function num(s) { return (s ~ /^[0-9]+$/) ? s : "null" }
        BEGIN { printf "[" }
        { printf "%s\n  {\"lab\": %s, \"test\": %s, \"points\": %s, \"max\": %s, \"status\": %s, \"hidden\": %s, \"message\": %s}",
                 (NR > 1 ? "," : ""), num($1), str($2), num($3), num($4), str($5),
                 ($6 == "true" ? "true" : "false"), str($7) }
        END { printf "%s]\n", (NR ? "\n" : "") }' >"$2"
}
if [ "${1:-}" = --check ]; then check "${2:-}"; exit; fi
if [ "${1:-}" = --json ]; then write_json "$2" "$3"; exit; fi
LAB=${1:-}
check "$LAB" || exit 2
if [ -n "${VMLAB_HIDDEN_TESTS:-}" ]; then VMLAB_HIDDEN_TESTS=$(cd "$VMLAB_HIDDEN_TESTS" && pwd); fi
export VMLAB_HIDDEN_TESTS

T=$(mktemp -d /tmp/vmlab-grade-all.XXXXXX)
trap 'rm -rf "$T"' EXIT
: >"$T/records"
status=0 score=0 total=0 summary=""
for n in ${LAB:-$(all_labs)}; do
    g=$(ls labs/lab"$n"-*/grade.sh | head -n 1)
    [ -z "$LAB" ] && echo "== lab $n: $(dirname "$g")"
    GRADE_RECORDS=$T/records BUILD=$BUILD ROOT=$ROOT "$g" 2>&1 | tee "$T/out-$n"
    rc=${PIPESTATUS[0]}
    s=$(sed -n 's/^Score: \([0-9]*\/[0-9]*\)$/\1/p' "$T/out-$n" | tail -n 1)
    if [ -z "$s" ]; then
        why="$g ended without a Score line (status $rc): $(grep . "$T/out-$n" | tail -n 1)"
        printf '%s\tgrade.sh\t0\t0\terror\tfalse\t%s\n' "$n" "$(tr '\t' ' ' <<<"$why")" >>"$T/records"
        summary+=", lab $n: error"; status=2; continue
    fi
    score=$((score + ${s%/*})) total=$((total + ${s#*/})) summary+=", lab $n: $s"
    [ "$rc" != 0 ] && [ "$status" = 0 ] && status=1
done

mkdir -p "$BUILD"
write_json "$T/records" "$T/grade.json" && mv "$T/grade.json" "$BUILD/grade.json"
if [ -z "$LAB" ]; then
    echo "Total: $score/$total (${summary#, })"
    echo "grade: $(wc -l <"$T/records") test records in ${BUILD#"$ROOT"/}/grade.json"
fi
exit $status
