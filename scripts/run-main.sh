#!/bin/bash
# run-main.sh — what `make run` does: boot the teaching guest with every
# program (test=all) and print a summary table.
#
# Runs build/vmm-bt --engine interp --stats (stage 01's VMM on the reference
# interpreter); if that is not built yet (or has no interpreter linked in),
# boots under qemu-system-i386 (TCG) instead so the guest can still be seen.
#   CMDLINE="test=syscall iters=1000" make run     other guest command line
#   RUN_TIMEOUT=600 make run                        seconds before giving up
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
GUEST=$BUILD/guest/guest.elf
VMM=$BUILD/vmm-bt
CMDLINE=${CMDLINE:-test=all}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

if [ ! -f "$GUEST" ]; then
    echo "run-main: $GUEST is not built (make _all)" >&2
    exit 1
fi

start=$(date +%s.%N)
if [ -x "$VMM" ] && ! "$VMM" --help | grep -Eq '^  interp .*not built yet'; then
    runner="vmm-bt --engine interp"
    echo "== $runner --stats $GUEST -- $CMDLINE"
    timeout $((RUN_TIMEOUT + 30)) "$VMM" --engine interp --stats --timeout "$RUN_TIMEOUT" \
        "$GUEST" -- $CMDLINE >"$out" 2>"$err" </dev/null
    rc=$?
    status=$rc
else
    runner="qemu-system-i386 (TCG; vmm-bt has no engine yet)"
    echo "== $runner -kernel $GUEST -append \"$CMDLINE\""
    timeout "$RUN_TIMEOUT" qemu-system-i386 -accel tcg -m 64 -kernel "$GUEST" -append "$CMDLINE" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -display none -serial stdio \
        -monitor none -no-reboot >"$out" 2>"$err" </dev/null
    rc=$?
    # isa-debug-exit: status = (value << 1) | 1
    if [ $((rc & 1)) -eq 1 ]; then status=$((rc >> 1)); else status=$rc; fi
fi
secs=$(echo "$(date +%s.%N) - $start" | bc)

cat "$out"
# VMM messages (stats, errors) after the guest's console.
[ -s "$err" ] && cat "$err"

echo
echo "== summary: $runner, $CMDLINE, $(printf '%.1f' "$secs") s"
awk '
    /^RESULT / { n = $2; if (!(n in seen)) { seen[n] = 1; order[++k] = n }
                 r = ""; for (i = 3; i <= NF; i++) r = r (r ? " " : "") $i
                 res[n] = res[n] (res[n] ? " " : "") r }
    /^PASS /   { n = $2; if (!(n in seen)) { seen[n] = 1; order[++k] = n } v[n] = "PASS" }
    /^FAIL /   { n = $2; if (!(n in seen)) { seen[n] = 1; order[++k] = n }
                 w = ""; for (i = 3; i <= NF; i++) w = w (w ? " " : "") $i
                 v[n] = "FAIL"; res[n] = res[n] (res[n] ? " " : "") "(" w ")" }
    END {
        printf "  %-14s %-6s %s\n", "program", "result", "key RESULT numbers"
        for (i = 1; i <= k; i++) {
            n = order[i]; s = res[n]
            if (length(s) > 90) s = substr(s, 1, 87) "..."
            printf "  %-14s %-6s %s\n", n, (n in v) ? v[n] : "-", s
        }
        if (k == 0) print "  (no RESULT/PASS/FAIL lines from the guest)"
    }' "$out"
case $status in
    0)   verdict="all programs passed" ;;
    1)   verdict="some program FAILED" ;;
    2)   verdict="guest command line error" ;;
    124) verdict="timed out after $RUN_TIMEOUT s" ;;
    *)   verdict="see the messages above" ;;
esac
echo "  guest exit status $status: $verdict"
[ "$status" -eq 0 ]
