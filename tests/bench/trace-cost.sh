#!/bin/bash
# tests/bench/trace-cost.sh — what --trace costs (docs/ARCHITECTURE.md §7, §9).
#
# The same guest programs under vmm-bt --engine interp, without and with
# --trace FILE, side by side in one run (alternating, REPS times each, the
# fastest run of each side kept: the machine is shared and noise only ever
# adds time).  Time = the guest's own TSC cycles for its measured loop
# (the RESULT line), so boot and the trace file's final flush are the same
# on both sides.  Target: traced / untraced <= 1.20 for compute and syscall.
# test=inout (nothing but I/O exits) is shown too, as the worst case.
# Like the rest of `make bench`, no pass/fail on speed: the verdict is
# printed; the status is non-zero only if a guest run fails.
#
# Environment: COMPUTE_ITERS (20), SYSCALL_ITERS (200000), REPS (5).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
VMM=$BUILD/vmm-bt
GUEST=$BUILD/guest/guest.elf
REPS=${REPS:-5}
TMPD=$(mktemp -d /tmp/vmlab-trace-cost.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT
TARGET=1.20

# run ARGS... : prints "cycles events" for one run (events 0 if untraced).
run() {
    local out=$TMPD/out
    "$VMM" --engine interp --stats "$@" >"$out" 2>&1 || { echo "FAIL FAIL"; return; }
    local cyc ev
    cyc=$(sed -n 's/^RESULT .* cycles=\([0-9]*\).*/\1/p' "$out" | awk '{ s += $1 } END { print s + 0 }')
    ev=$(sed -n 's/^  trace: \([0-9]*\) events written$/\1/p' "$out")
    echo "$cyc ${ev:-0}"
}

echo "trace-cost: vmm-bt --engine interp without / with --trace FILE, best of $REPS each (guest TSC cycles)"
printf '%-34s %14s %14s %8s %10s %9s\n' "workload" "untraced" "traced" "ratio" "events" "trace MB"
worst=0
status=0
measure() {   # measure LABEL TARGETED(0/1) GUEST-ARGS...
    local label=$1 targeted=$2; shift 2
    local best_off= best_on= events=0 r a b
    for ((r = 0; r < REPS; r++)); do
        read -r a _ < <(run "$GUEST" -- "$@")
        read -r b events < <(run --trace "$TMPD/t.trace" "$GUEST" -- "$@")
        if [ "$a" = FAIL ] || [ "$b" = FAIL ]; then
            printf '%-34s guest run failed\n' "$label"; status=1; return
        fi
        [ -z "$best_off" ] || [ "$a" -lt "$best_off" ] && best_off=$a
        [ -z "$best_on" ] || [ "$b" -lt "$best_on" ] && best_on=$b
    done
    local ratio mb
    ratio=$(awk -v a="$best_off" -v b="$best_on" 'BEGIN { printf "%.3f", b / a }')
    mb=$(awk -v n="$events" 'BEGIN { printf "%.2f", (40 + 48 * n) / 1048576 }')
    printf '%-34s %14s %14s %8s %10s %9s%s\n' "$label" "$best_off" "$best_on" "$ratio" "$events" \
        "$mb" "$([ "$targeted" = 1 ] || echo '  (worst case, not targeted)')"
    if [ "$targeted" = 1 ]; then
        worst=$(awk -v w="$worst" -v r="$ratio" 'BEGIN { print (r > w) ? r : w }')
    fi
}
measure "compute iters=${COMPUTE_ITERS:-20}" 1 test=compute iters="${COMPUTE_ITERS:-20}"
measure "syscall iters=${SYSCALL_ITERS:-200000}" 1 test=syscall iters="${SYSCALL_ITERS:-200000}"
measure "inout (I/O exits only)" 0 test=inout

verdict=$(awk -v w="$worst" -v t="$TARGET" 'BEGIN { print (w <= t) ? "within" : "OVER" }')
echo "trace-cost: worst traced/untraced ratio $worst (target <= $TARGET): $verdict target"
exit $status
