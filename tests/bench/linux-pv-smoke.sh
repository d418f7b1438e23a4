#!/bin/bash
# tests/bench/linux-pv-smoke.sh — tests/bench/linux-pv.sh (the exit table of
# Linux with and without --pv-linux, 02-paravirt/README.md) in its quick
# mode: stage 04's vmm-mem --engine bt only, 1 s idle.  The table's shape
# and what the option must show whatever the host's speed: every row a
# number in each of the four columns, idle counts never below 0, PV EOIs
# only with the option and then no EOI register write... and linux-pv.json
# written.  No timing is checked.
. "$(dirname "$0")/../lib.sh"

need_linux "Linux PV exit table (bench quick mode)"
[ -x "$BUILD/vmm-mem" ] || { skip "Linux PV exit table" "vmm-mem is not built"; finish; }
LINUX_PV_IDLE=1 LINUX_PV_MACHINES=bt LINUX_PV_OUT=$TMPD timeout 600 \
    "$ROOT/tests/bench/linux-pv.sh" >"$TMPD/table" 2>&1
rc=$?
if [ "$rc" = 0 ]; then ok "linux-pv.sh (quick: bt, 1 s idle) ran"
else notok "linux-pv.sh (quick)" "status $rc: $(tail -n 4 "$TMPD/table" | tr '\n' '|')"; fi
echo "# $(grep -m1 '^Linux exits' "$TMPD/table")"

# row LABEL: the four numbers of a row of the table.
row() { awk -v l="$1" 'substr($0, 1, length(l)) == l && substr($0, length(l) + 1, 1) == " " {
        print $(NF-3), $(NF-2), $(NF-1), $NF }' "$TMPD/table"; }
t=$(awk '/^Linux exits with and without/ { on = 1; next } on && /^\(boot:/ { exit } on' "$TMPD/table")
bad=$(echo "$t" | awk 'NR > 1 { for (i = NF - 3; i <= NF; i++) if ($i !~ /^[0-9]+$/) { print; break } }')
if [ -n "$t" ] && [ -z "$bad" ] && [ "$(echo "$t" | wc -l)" -ge 8 ]; then
    ok "table: $(($(echo "$t" | wc -l) - 1)) rows, four counts each, none negative"
else
    notok "table shape" "${bad:-$(echo "$t" | tr '\n' '|')}"
fi
for r in "HLT (12)" "I/O instruction (30)" "exits in all" "interrupts" "bt helper calls in all"; do
    read -r bo bn io in <<<"$(row "$r")"
    if [ -n "$in" ] && [ "$bo" -gt 0 ] && [ "$bn" -gt 0 ]; then ok "row '$r': $bo $bn $io $in"
    else notok "row '$r'" "'$(row "$r")'"; fi
done
read -r bo bn io in <<<"$(row "EOIs paravirtual (PV EOI)")"
read -r wo wn wio win <<<"$(row "EOIs by APIC register write")"
if [ "$bo" = 0 ] && [ "$io" = 0 ] && [ -n "$bn" ] && [ "$bn" -gt "$wn" ] && [ "$wo" -gt "$wn" ]; then
    ok "PV EOIs only with --pv-linux, and then most EOIs ($bn PV, $wn by register; $wo by register without)"
else
    notok "PV EOI columns" "PV: $bo $bn $io $in; by register: $wo $wn $wio $win"
fi
if grep -q '"machine": "bt"' "$TMPD/linux-pv.json" 2>/dev/null &&
    { ! command -v jq >/dev/null || jq -e '.machines[0].rows | length >= 7' "$TMPD/linux-pv.json" >/dev/null; }; then
    ok "linux-pv.json written"
else
    notok "linux-pv.json" "$(head -c 200 "$TMPD/linux-pv.json" 2>&1)"
fi
finish
