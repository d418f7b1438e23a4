#!/bin/bash
# tests/trace/walk2d.sh — the 2-D walk of stage 04's EPT (04-memory/ept_walk2d.c)
# as pictures and trace events, from the walk the model CPU made:
#  - vmm-mem --engine vmx --mmu ept --dot FILE --walk ADDR: the grid of the
#    guest's levels (page directory, page table, page) x EPT levels (PML4E,
#    PDPTE, PDE, PTE): 14 references in the walk's order, each with its
#    value; the guest PDE names the page table the next row translates,
#    the guest PTE the page, each EPT PTE maps its row's page one to one
#    (the VMM's EPT maps guest RAM onto the RAM object); it renders;
#  - --mmu shadow has no second dimension: the guest's 1-D walk is drawn;
#  - the trace of a run with the EPT caches off: full walks of 12 EPT and
#    2 guest references between two results, rows in order.
. "$(dirname "$0")/../lib.sh"
VMM=$BUILD/vmm-mem
VMTRACE=$BUILD/vmtrace
if [ ! -x "$VMM" ] || [ ! -x "$VMTRACE" ] || [ ! -f "$GUEST" ]; then
    notok "2-D walk" "$VMM, $VMTRACE or $GUEST missing (run make _all)"
    finish
fi
D=$TMPD/walk.dot
timeout 120 "$VMM" --engine vmx --mmu ept --timeout 60 --dot "$D" --walk 0x00101000 "$GUEST" -- test=hello \
    >"$TMPD/run.out" 2>&1 </dev/null
rc=$?
if [ $rc = 0 ] && grep -q '^digraph walk_2d {' "$D" &&
   grep -q 'label="2-D walk of linear address 0x00101000 (--walk, at the end of the run): 14 memory references' "$D"; then
    ok "--dot --walk under EPT: the 2-D walk of 0x00101000, 14 memory references"
else notok "--dot --walk under EPT" "status $rc; $(head -n 3 "$D" | tr '\n' '|')"; fi
# The references in order: "ref N: <what>" per node.
got=$(sed -n 's/.*label="ref \([0-9]*\): \(EPT [A-Z0-9]*\|guest [A-Z]*\)\\l.*/\1:\2/p' "$D" | tr '\n' ' ')
want="1:EPT PML4E 2:EPT PDPTE 3:EPT PDE 4:EPT PTE 5:guest PDE 6:EPT PML4E 7:EPT PDPTE 8:EPT PDE 9:EPT PTE 10:guest PTE 11:EPT PML4E 12:EPT PDPTE 13:EPT PDE 14:EPT PTE "
if [ "$got" = "$want" ]; then ok "the 14 references with their levels, in the walk's order (EPT x 4, PDE, EPT x 4, PTE, EPT x 4)"
else notok "the 14 references and levels" "got: $got"; fi
# Each row's values agree with each other (a walk, not 14 unrelated reads).
val() { sed -n "s/.*ref $1: [^\\\\]*\\\\l@ [^\\\\]*\\\\l= 0x\\([0-9a-f]*\\).*/\\1/p" "$D"; }
gpa() { sed -n "s/.*g$1 \\[shape=plaintext, label=\"[a-z ]*\\\\lGPA 0x\\([0-9a-f]*\\)\\\\l.*/\\1/p" "$D"; }
pde=$(val 5) pte=$(val 10) pt=$(gpa 1) page=$(gpa 2) e4=$(val 4) e9=$(val 9) e14=$(val 14)
pd=$(gpa 0)
if [ -n "$pde" ] && [ -n "$pte" ] && [ $((0x$pde & ~0xfff)) = $((0x$pt)) ] && [ $((0x$pte & ~0xfff)) = $((0x$page & ~0xfff)) ] &&
   [ $((0x$page)) = $((0x00101000)) ] && [ $((0x$e4 & 0x7ffffff000)) = $((0x$pd)) ] &&
   [ $((0x$e9 & 0x7ffffff000)) = $((0x$pt)) ] && [ $((0x$e14 & 0x7ffffff000)) = $((0x$page & ~0xfff)) ] &&
   grep -q 'out \[shape=box3d, label="GPA 0x00101000 -> HPA 0x101000' "$D"; then
    ok "the values: PDE $pde names the page table $pt, PTE $pte the page; each row's EPT PTE maps it one to one"
else notok "the values agree" "PD $pd PDE $pde PT $pt PTE $pte page $page; EPT PTEs $e4 $e9 $e14"; fi
if command -v dot >/dev/null; then
    dot -Tsvg "$D" -o "$D.svg" 2>"$D.err"
    if [ $? = 0 ] && [ ! -s "$D.err" ] && grep -q '</svg>' "$D.svg"; then ok "the 2-D walk renders with dot -Tsvg"
    else notok "the 2-D walk renders" "$(head -c 300 "$D.err")"; fi
else skip "the 2-D walk renders" "graphviz (dot) not installed"; fi
# An unmapped address: the guest's walk stops at the PDE.
timeout 120 "$VMM" --engine vmx --timeout 60 --dot "$TMPD/bad.dot" --walk 0x80000000 "$GUEST" -- test=hello >/dev/null 2>&1 </dev/null
if grep -q 'label="2-D walk of linear address 0x80000000 (--walk, at the end of the run): 5 memory references' "$TMPD/bad.dot" &&
   grep -q '#PF error code 0x0' "$TMPD/bad.dot"; then
    ok "--walk 0x80000000 under EPT: 5 references (the PD row), then the guest's #PF"
else notok "--walk of an unmapped address" "$(head -n 2 "$TMPD/bad.dot" | tail -n 1)"; fi
# --mmu shadow: no second dimension.
timeout 120 "$VMM" --engine vmx --mmu shadow --timeout 60 --dot "$TMPD/sh.dot" --walk 0x00101000 "$GUEST" -- test=hello >/dev/null 2>&1 </dev/null
expect_grep "--mmu shadow --dot --walk: the guest's 1-D walk" 'walk of linear address 0x00101000 \(--walk\)' "$TMPD/sh.dot"

# The trace: with the caches off, a walk of a 4 KiB page is 12 EPT and 2
# guest references between two guest results, rows PD, PT, page in order.
timeout 120 "$VMM" --engine vmx --mmu ept --ept-cache off --timeout 60 --trace "$TMPD/t.trace" "$GUEST" -- test=hello \
    >/dev/null 2>&1 </dev/null
"$VMTRACE" "$TMPD/t.trace" >"$TMPD/t.txt" 2>&1
full=$(awk '/ walk  / && / lin=/ {
        if ($4 == "EPT" && $6 ~ /^row=/) { seq = seq substr($6, 5) "." $7 " " }
        else if ($0 ~ / (PDE|PTE) @/) { seq = seq ($5 == "PDE" ? "gPDE " : "gPTE ") }
        else if ($0 ~ /-> / && $4 != "EPT") { if (seq == want) n++; seq = "" } }
        END { print n + 0 }' want="PD.PML4E PD.PDPTE PD.PDE PD.PTE gPDE PT.PML4E PT.PDPTE PT.PDE PT.PTE gPTE page.PML4E page.PDPTE page.PDE page.PTE " "$TMPD/t.txt")
if [ "$full" -gt 10 ]; then ok "trace: $full full 2-D walks recorded reference by reference (12 EPT + 2 guest)"
else notok "trace: full 2-D walks" "$full; $(grep -m5 ' walk ' "$TMPD/t.txt" | tr '\n' '|')"; fi
finish
