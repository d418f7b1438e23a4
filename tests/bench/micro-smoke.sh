#!/bin/bash
# tests/bench/micro-smoke.sh — tests/bench/micro.sh with tiny iteration
# counts (MICRO_QUICK=1): every cell of the table that should hold a number
# holds one, every other cell says why not, micro.json has them all, and
# the exits per operation come out as the programs define them (2 per
# in/out pair; 1 INVLPG per PTE toggle with INVLPG exiting on; 1 VMCALL per
# PTE toggle on the paravirtual kernel).  No timing is checked.
. "$(dirname "$0")/../lib.sh"

ROWS="syscall inout pagefault ptemod ctxswitch divzero callret"
ENGINES="native qemu-tcg interp bt vmx vmx-2006 kvm bt-pv vmx-pv"
MICRO_QUICK=1 MICRO_OUT=$TMPD timeout 120 "$ROOT/tests/bench/micro.sh" >"$TMPD/table" 2>&1
rc=$?
J=$TMPD/micro.json
if [ "$rc" = 0 ]; then ok "micro.sh (MICRO_QUICK=1) ran every available cell"
else
    # The footnotes of the cells that say "fail[n]", else the last lines.
    why=$(for n in $(grep -o 'fail\[[0-9]*\]' "$TMPD/table" | tr -dc '0-9\n' | sort -un); do
              grep "^\[$n\] " "$TMPD/table"; done | head -n 3 | tr '\n' '|')
    notok "micro.sh (MICRO_QUICK=1)" "status $rc; ${why:-$(tail -n 3 "$TMPD/table" | tr '\n' '|')}"
fi
if [ ! -s "$J" ]; then
    notok "micro.json written" "no $J"
    finish
fi

# The JSON parses (when a JSON tool is at hand).
if command -v jq >/dev/null; then
    if jq -e '.cells | length == 63' "$J" >/dev/null; then ok "micro.json parses, 7 x 9 cells"
    else notok "micro.json parses, 7 x 9 cells" "$(jq '.cells | length' "$J" 2>&1 | tail -n 1)"; fi
else
    skip "micro.json parses" "jq is not installed"
fi

# cellj ROW ENGINE: the JSON line of one cell (micro.sh writes one per line).
cellj() { grep -F "{\"row\": \"$1\", \"engine\": \"$2\"," "$J"; }
avail() { grep -F "{\"engine\": \"$1\"," "$J" | grep -q '"available": true'; }

# Every cell: a number, or n/a with a reason where n/a is expected.
bad=
for r in $ROWS; do
    for e in $ENGINES; do
        c=$(cellj "$r" "$e")
        expect_na=
        [ "$e" = native ] && [ "$r" = inout ] && expect_na=1
        avail "$e" || expect_na=1
        if [ -n "$expect_na" ]; then
            echo "$c" | grep -q '"status": "n/a", "why": "..*"' || bad="$bad $e/$r(not n/a with a reason: $c)"
        else
            echo "$c" | grep -Eq '"status": "ok", "ns_per_op": [0-9]+(\.[0-9]+)?[,}]' ||
                bad="$bad $e/$r(${c:-missing})"
        fi
    done
done
if [ -z "$bad" ]; then ok "every cell has ns/op, or n/a with its reason (native in/out, engines not usable here)"
else notok "cells with a number" "$bad"; fi

# The printed table: one line per row, 9 cells each, numbers or n/a[k]/fail[k].
t=$(awk '/^Microbenchmarks/ { on = 1; next } on && /^$/ { exit } on' "$TMPD/table")
lines=$(echo "$t" | awk 'NR > 1' | awk '{
        n = 0; for (i = NF; i >= 1 && ($i ~ /^[0-9.]+$/ || $i ~ /^(n\/a|fail)\[[0-9]+\]$/); i--) n++
        print n }' | sort -u)
if [ "$(echo "$t" | wc -l)" = 8 ] && [ "$lines" = 9 ]; then ok "ns table: 7 rows x 9 columns, every cell a number or a footnoted n/a"
else notok "ns table shape" "$(echo "$t" | tr '\n' '|')"; fi
for e in $ENGINES; do
    avail "$e" && continue
    n=$(grep -Ec "^\[[0-9]+\] $e: " "$TMPD/table")
    if [ "$n" -ge 1 ]; then ok "$e unavailable: footnote says why ($(grep -E "^\[[0-9]+\] $e: " "$TMPD/table" | head -n 1 | cut -c1-80))"
    else notok "$e unavailable" "no footnote for it"; fi
done

# Exits per operation: what the programs do, whatever the speed.
exits_of() { cellj "$1" "$2" | sed -n 's/.*"exits_total_per_op": \([0-9.]*\).*/\1/p'; }
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'; }
for e in interp vmx; do
    avail "$e" || continue
    x=$(exits_of inout "$e")
    if within "$x" 1.9 2.6; then ok "$e: $x exits per in/out pair (an out and an in)"
    else notok "$e exits per in/out pair" "got '${x:-none}', expected about 2"; fi
done
if avail vmx-2006; then
    x=$(cellj ptemod vmx-2006 | sed -n 's/.*"INVLPG (14)": {"per_op": \([0-9.]*\).*/\1/p')
    if within "$x" 0.9 1.3; then ok "vmx-2006: $x INVLPG exits per PTE toggle"
    else notok "vmx-2006 INVLPG exits per PTE toggle" "got '${x:-none}', expected about 1"; fi
    x=$(exits_of syscall vmx)
    if within "$x" 0 0.5; then ok "vmx (default controls): $x exits per system call"
    else notok "vmx exits per system call" "got '${x:-none}', expected about 0"; fi
fi
# The paravirtual kernel: a PTE toggle is one mmu_update hypercall (VMCALL)
# where the unmodified kernel's INVLPG exits under vmx-2006.
for e in bt-pv vmx-pv; do
    avail "$e" || continue
    x=$(cellj ptemod "$e" | sed -n 's/.*"VMCALL (18)": {"per_op": \([0-9.]*\).*/\1/p')
    if within "$x" 0.9 1.3; then ok "$e: $x VMCALL exits per PTE toggle (one mmu_update)"
    else notok "$e VMCALL exits per PTE toggle" "got '${x:-none}', expected about 1"; fi
done
if avail bt; then
    x=$(cellj syscall bt | sed -n 's/.*"bt_callouts_per_op": {[^}]*"int n": \([0-9.]*\).*/\1/p')
    if within "$x" 0.9 1.3; then ok "bt: $x int-n callouts per system call"
    else notok "bt int-n callouts per system call" "got '${x:-none}', expected about 1"; fi
fi
finish
