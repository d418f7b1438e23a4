#!/bin/bash
# tests/trace/trace.sh — the trace tools end to end: a real guest run with
# --trace and --dot, then build/vmtrace in every mode, cross-checked against
# the VMM's own --stats and rendered by graphviz.
. "$(dirname "$0")/../lib.sh"
VMM=$BUILD/vmm-bt
VMTRACE=$BUILD/vmtrace
T=$TMPD/run.trace

# 1. One traced run: every program (exits, interrupts, page faults, SMC).
"$VMM" --engine interp --stats --trace "$T" --dot "$TMPD/walk-cr2.dot" "$GUEST" -- test=all \
    >"$TMPD/guest.out" 2>"$TMPD/vmm.err"
rc=$?
if [ $rc -eq 0 ] && [ -s "$T" ]; then ok "traced guest run (test=all) passes and writes a trace"
else notok "traced guest run" "status $rc; $(tail -n 2 "$TMPD/vmm.err" | tr '\n' '|')"; fi
# Events in the file: its size says (the engine's last code-cache event,
# at shutdown, comes after vmm-bt's "events written" line).
events=$(( ($(stat -c %s "$T") - 40) / 48 ))
written=$(sed -n 's/^  trace: \([0-9]*\) events written$/\1/p' "$TMPD/vmm.err")
if [ -n "$written" ] && [ "$written" -ge $((events - 1)) ] && [ "$written" -le "$events" ]; then
    ok "the trace file holds the events vmm-bt reports written ($written of $events)"
else notok "trace file size" "$events events in the file, vmm-bt says '${written}' written"; fi

# 2. Text: a comment line, then one line per event.
"$VMTRACE" "$T" >"$TMPD/text" 2>"$TMPD/text.err"
rc=$?
lines=$(($(wc -l <"$TMPD/text") - 1))
if [ $rc -eq 0 ] && [ -n "$events" ] && [ "$lines" -eq "$events" ]; then
    ok "vmtrace text: one line per event ($events)"
else notok "vmtrace text" "status $rc, $lines lines for ${events:-?} events; $(head -c 200 "$TMPD/text.err")"; fi
expect_grep "vmtrace text decodes I/O exits (port, direction, size, value)" \
    '^[0-9]+\.[0-9]{9} exit  eip=0x[0-9a-f]{8} I/O instruction out port=0x3f8 size=1 value=0x[0-9a-f]+ \([0-9]+ ns\)$' "$TMPD/text"
expect_grep "vmtrace text shows page-walk references (PDE with its value and bits)" \
    'walk  eip=0x[0-9a-f]{8} lin=0x[0-9a-f]{8} PDE @0x[0-9a-f]{8} = 0x[0-9a-f]{8} \[P ' "$TMPD/text"
expect_grep "vmtrace text shows walk results: physical address" '-> phys 0x[0-9a-f]{8}' "$TMPD/text"
expect_grep "vmtrace text shows walk results: the #PF of the wild access" \
    'lin=0x80000000 -> #PF error=0x[0-9a-f]+ \(not present' "$TMPD/text"
expect_grep "vmtrace text shows interrupts delivered" 'irq   eip=0x[0-9a-f]{8} interrupt delivered vector=0x20' "$TMPD/text"
expect_grep "vmtrace text shows code-cache events" 'cache eip=0x[0-9a-f]{8} (decode|invalidate) gpa=' "$TMPD/text"

# 3. JSON Lines: every line parses; header first; one object per event.
"$VMTRACE" --json "$T" >"$TMPD/json" 2>"$TMPD/json.err"
rc=$?
if command -v python3 >/dev/null; then
    check=$(python3 -c '
import json, sys
n = 0; types = set()
for i, line in enumerate(open(sys.argv[1])):
    o = json.loads(line)
    if i == 0:
        assert o["type"] == "header" and o["magic"] == "VMLTRACE" and o["version"] == 1, o
    else:
        assert o["i"] == i - 1, (i, o)
        types.add(o["type"])
        if o["type"] == "exit" and o["reason"] == 30:
            assert o["direction"] in ("in", "out") and o["size"] in (1, 2, 4), o
    n += 1
print(n - 1, ",".join(sorted(types)))' "$TMPD/json" 2>&1)
else
    # No python: every line is one {...} object with balanced quotes.
    bad=$(grep -cv '^{.*}$' "$TMPD/json")
    check="$(($(wc -l <"$TMPD/json") - 1)) cache,exit,irq,walk"
    [ "$bad" -eq 0 ] || check="$bad lines are not objects"
fi
if [ $rc -eq 0 ] && [ "$check" = "$events cache,exit,irq,walk" ]; then
    ok "vmtrace --json: header + $events objects, every line parses"
else notok "vmtrace --json" "status $rc; check said: $(echo "$check" | tail -n 2 | tr '\n' '|')"; fi

# 4. --stats: the same table as vmm-bt --stats for the same run.
"$VMTRACE" --stats "$T" >"$TMPD/stats" 2>&1
table='^  .* +[0-9]+ +[0-9]+ +[0-9]+ ns$'
grep -E "$table" "$TMPD/vmm.err" >"$TMPD/vmm.table"
grep -E "$table" "$TMPD/stats" >"$TMPD/vmtrace.table"
if [ -s "$TMPD/vmm.table" ] && diff -u "$TMPD/vmm.table" "$TMPD/vmtrace.table" >"$TMPD/stats.diff"; then
    ok "vmtrace --stats: exits by reason, counts and mean cost equal vmm-bt --stats ($(wc -l <"$TMPD/vmm.table") reasons)"
else notok "vmtrace --stats = vmm-bt --stats" "$(tr '\n' '|' <"$TMPD/stats.diff" | head -c 400)"; fi
vmm_exits=$(sed -n 's/.* s, \([0-9]*\) exits, \([0-9]*\) interrupts.*/\1 \2/p' "$TMPD/vmm.err")
tr_exits=$(sed -n 's/.* events, \([0-9]*\) exits, \([0-9]*\) interrupts.*/\1 \2/p' "$TMPD/stats")
if [ -n "$vmm_exits" ] && [ "$vmm_exits" = "$tr_exits" ]; then
    ok "vmtrace --stats: total exits and interrupts equal vmm-bt's ($vmm_exits)"
else notok "vmtrace --stats totals" "vmm-bt '$vmm_exits', vmtrace '$tr_exits'"; fi

# 5. Exit flow graph: renders; names I/O instruction with the right count.
render() {   # render NAME DOT : dot -Tsvg without a word on stderr
    if ! command -v dot >/dev/null; then skip "$1" "graphviz (dot) not installed"; return 1; fi
    dot -Tsvg "$2" -o "$2.svg" 2>"$2.err"
    if [ $? -eq 0 ] && [ ! -s "$2.err" ] && grep -q '</svg>' "$2.svg"; then ok "$1"
    else notok "$1" "$(head -c 300 "$2.err")"; return 1; fi
}
"$VMTRACE" --dot "$T" -o "$TMPD/flow.dot"
render "vmtrace --dot: the exit flow renders with dot -Tsvg" "$TMPD/flow.dot"
io_count=$(awk '$1 == "I/O" && $2 == "instruction" && $3 == "30" { print $4 }' "$TMPD/vmm.err")
if [ -n "$io_count" ] && grep -q "guest -> r30 \[label=\"$io_count\"\]" "$TMPD/flow.dot" &&
   grep -q "I/O instruction\\\\nexit reason 30\\\\n$io_count exits" "$TMPD/flow.dot" &&
   grep -q "I/O instruction" "$TMPD/flow.dot.svg"; then
    ok "exit flow: guest -> I/O instruction edge carries vmm-bt's count ($io_count)"
else notok "exit flow I/O count" "vmm-bt says '${io_count}'; $(grep r30 "$TMPD/flow.dot" | head -2 | tr '\n' '|')"; fi
expect_grep "exit flow: the UART handler and the end of the run" 'label="port bus: 16550 UART COM1"' "$TMPD/flow.dot"
expect_grep "exit flow: the debug-exit write ends the VM" '-> end \[label="1"\]' "$TMPD/flow.dot"

# 6. Page walk graphs of the stage binary.
render "vmm-bt --dot: the page walk of the last #PF renders" "$TMPD/walk-cr2.dot"
last_pf=$(grep -o 'lin=0x[0-9a-f]* -> #PF' "$TMPD/text" | tail -n 1 | sed 's/lin=\(0x[0-9a-f]*\).*/\1/')
if [ -n "$last_pf" ] && grep -q "walk of linear address $last_pf (the last #PF, walked when it happened" "$TMPD/walk-cr2.dot"; then
    ok "page walk (default): the address of the last #PF in the trace ($last_pf)"
else notok "page walk (default address)" "last #PF in the trace '$last_pf'; $(grep -o 'walk of linear address [^(]*' "$TMPD/walk-cr2.dot")"; fi
expect_grep "page walk (default): ends in the #PF" '#PF error code 0x[0-9a-f]+\\l\(not present' "$TMPD/walk-cr2.dot"
# The walk is kept when the #PF happens: a ring-3 task's fault has U=1 in
# its error code, and its task's tables, long gone at the end of the run
# (a walk at the end is the kernel's supervisor read: error code 0x0).
for e in interp bt; do
    "$VMM" --engine "$e" --dot "$TMPD/walk-pf-$e.dot" "$GUEST" -- test=pagefault >/dev/null 2>&1
    expect_grep "page walk ($e, test=pagefault): the ring-3 task's fault, walked when it happened" \
        '#PF error code 0x[4-7]\\l\(not present, (read|write), user' "$TMPD/walk-pf-$e.dot"
done
# A page of the user region (mapped in every address space), walked many
# times during the run: the PDE and PTE the
# picture shows (from RAM at the end) are the ones the trace recorded.
"$VMM" --dot "$TMPD/walk.dot" --walk 0x00101000 --trace "$TMPD/hello.trace" "$GUEST" -- test=hello \
    >/dev/null 2>&1
render "vmm-bt --dot --walk 0x00101000 renders" "$TMPD/walk.dot"
"$VMTRACE" "$TMPD/hello.trace" >"$TMPD/hello.text" 2>&1
# (The PDE is matched by value: each task has its own page directory, whose
# kernel entries are copies of the same PDE.)
pde=$(grep -o 'PDE = 0x[0-9a-f]*' "$TMPD/walk.dot" | sed 's/PDE = \(0x[0-9a-f]*\)/PDE @0x[0-9a-f]* = \1/')
pte=$(grep -o '@ 0x[0-9a-f]*\\lPTE = 0x[0-9a-f]*' "$TMPD/walk.dot" | sed 's/@ \(0x[0-9a-f]*\)\\lPTE = \(0x[0-9a-f]*\)/PTE @\1 = \2/')
if [ -n "$pde" ] && [ -n "$pte" ] && grep -q "lin=0x00101... $pde \[" "$TMPD/hello.text" &&
   grep -q "lin=0x00101... $pte \[" "$TMPD/hello.text" &&
   grep -q '4 KiB frame at 0x00101000' "$TMPD/walk.dot" && grep -q 'P=1 W=. U=. A=1 D=.' "$TMPD/walk.dot"; then
    ok "page walk of 0x00101000: names the PDE and PTE with the values the trace recorded ($pde; $pte)"
else notok "page walk PDE/PTE" "dot: '$pde' '$pte'; trace: $(grep -m2 'lin=0x00101' "$TMPD/hello.text" | tr '\n' '|')"; fi

# 7. Bad input: one line on stderr, non-zero status.
bad() {   # bad NAME FILE REGEX
    "$VMTRACE" "$2" >"$TMPD/bad.out" 2>"$TMPD/bad.err"
    local rc=$? n
    n=$(wc -l <"$TMPD/bad.err")
    if [ $rc -ne 0 ] && [ "$n" -eq 1 ] && grep -Eq "^vmtrace: error: .*$3" "$TMPD/bad.err" && [ ! -s "$TMPD/bad.out" ]; then
        ok "$1"
    else notok "$1" "status $rc, $n stderr lines: $(head -c 200 "$TMPD/bad.err")"; fi
}
bad "vmtrace: missing file" "$TMPD/nonexistent.trace" "cannot open: No such file"
bad "vmtrace: not a trace (the guest ELF)" "$GUEST" "not a vmlab trace"
head -c 1010 "$T" >"$TMPD/cut.trace"
bad "vmtrace: truncated trace" "$TMPD/cut.trace" "truncated: the last event has 10 of 48 bytes"
head -c 17 "$T" >"$TMPD/cut-header.trace"
bad "vmtrace: truncated header" "$TMPD/cut-header.trace" "truncated: the header"
{ head -c 8 "$T"; printf '\x09\x00\x00\x00'; tail -c +13 "$T"; } >"$TMPD/v9.trace"
bad "vmtrace: unknown format version" "$TMPD/v9.trace" "version 9 is not supported"
expect_status "vmtrace: bad option is status 2" 2 "$VMTRACE" --frobnicate "$T"
expect_status "vmm-bt: uncreatable --dot file is status 64" 64 "$VMM" --dot /nonexistent-dir/w.dot "$GUEST"
expect_status "vmm-bt: --walk without --dot is status 64" 64 "$VMM" --walk 0x1000 "$GUEST"
if grep -q "not built into this binary" "$VMTRACE"; then
    "$VMTRACE" --viz "$T" >"$TMPD/viz.out" 2>&1
    rc=$?
    if [ $rc -ne 0 ] && grep -qx "vmtrace: --viz: the visualizer is not built into this binary" "$TMPD/viz.out"; then
        ok "vmtrace --viz without the visualizer says so"
    else notok "vmtrace --viz without the visualizer" "status $rc: $(head -c 200 "$TMPD/viz.out")"; fi
fi
finish
