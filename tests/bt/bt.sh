#!/bin/bash
# tests/bt/bt.sh — the teaching guest under build/vmm-bt --engine bt, the
# stage 01 binary translator, checked against the reference interpreter:
#  - every program passes (RESULT and PASS lines), and test=all;
#  - `sensitive` observes exactly what it observes under --engine interp;
#  - compute's checksums equal the native build's;
#  - --check interp (lock step, compared at every block) finds no
#    divergence on syscall, pagefault and smc, nor on a guest that reads
#    flags the SDM leaves undefined (tests/bt/guests/uflags.S), and does
#    find one when the reference is deliberately corrupted (the checker's
#    self-test);
#  - --stats shows translated blocks, chaining, helper calls, SMC drops,
#    and the window's hidden/true faults, INVLPGs and flushes;
#  - bad guest code (invalid opcode, a jump into unmapped memory) gets the
#    exception delivered, as the `exceptions` program reports;
#  - x87 code runs natively on a stack kept in the host's x87 across
#    blocks, handler calls, bail-outs and #MF (tests/bt/guests/x87.S);
#  - indirect JMP/CALL find their targets inline (tests/bt/guests/ijump.S);
#  - string instructions run as translated window loops
#    (tests/bt/guests/strings.S);
#  - DIV/IDIV and SHLD/SHRD run natively, #DE through the host's SIGFPE
#    (tests/bt/guests/divshift.S).
# The default is identical translation (guest registers in host registers,
# NATIVE/REWRITE/CALL/HELPER classes); the call-threaded translator of
# step 1 (--bt-mode threaded) is checked too: test=all under --check
# interp in both modes, and its window-MOV counters.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-bt
PROGRAMS="hello syscall pagefault ctxswitch timer exceptions sensitive smc compute inout ptemod divzero callret fpu"
if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
    notok "bt guest tests" "$VMM or $GUEST missing (run make _all)"
    finish
fi

vmm() {  # vmm ENGINE OUT CMDLINE [vmm options...]
    local engine=$1 out=$2 cmdline=$3; shift 3
    timeout 120 "$VMM" --engine "$engine" --timeout 60 "$@" "$GUEST" -- "$cmdline" >"$out" 2>&1 </dev/null
}

vmmg() {  # vmmg ENGINE OUT IMAGE [vmm options...]: another guest image
    local engine=$1 out=$2 image=$3; shift 3
    timeout 120 "$VMM" --engine "$engine" --timeout 60 "$@" "$image" >"$out" 2>&1 </dev/null
}

for p in $PROGRAMS; do start_case "p-$p" vmm bt "$TMPD/p-$p.out" "test=$p" --stats; done
start_case all   vmm bt "$TMPD/all.out" "test=all"
start_case isens vmm interp "$TMPD/isens.out" "test=sensitive"
start_case compute vmm bt "$TMPD/compute.out" "test=compute iters=3"
for p in syscall pagefault smc ptemod ctxswitch; do start_case "c-$p" vmm bt "$TMPD/c-$p.out" "test=$p" --check interp --stats; done

# Traced runs (--trace): window walks and window flushes in the trace.
for p in pagefault ctxswitch; do start_case "tr-$p" vmm bt "$TMPD/tr-$p.out" "test=$p" --stats --trace "$TMPD/tr-$p.trc"; done
start_case tr-thr vmm bt "$TMPD/tr-thr.out" "test=pagefault" --bt-mode threaded --stats --trace "$TMPD/tr-thr.trc"

# Undefined flags read as data, as conditions and through exception
# frames (tests/bt/guests/uflags.S): the checker must not call it a
# divergence, whatever the host CPU's vendor.
for m in identical threaded; do
    start_case "uf-$m" vmmg bt "$TMPD/uf-$m.out" "$BUILD/tests/bt/uflags.elf" --bt-mode $m --check interp --stats
done
# Branches into other pages (tests/bt/guests/farjump.S): looked up
# inline, not through the run loop, with the guest's flags and ECX intact.
start_case far vmmg bt "$TMPD/far.out" "$BUILD/tests/bt/farjump.elf" --stats
start_case far-check vmmg bt "$TMPD/far-check.out" "$BUILD/tests/bt/farjump.elf" --check interp --stats
# The guest's x87 stack live in the host's x87 (tests/bt/guests/x87.S):
# across blocks, handler calls, bail-outs, #MF (host SIGFPE), FXSAVE.
for m in identical threaded; do
    start_case "x87-$m" vmmg bt "$TMPD/x87-$m.out" "$BUILD/tests/bt/x87.elf" --bt-mode $m --stats
done
start_case x87-check vmmg bt "$TMPD/x87-check.out" "$BUILD/tests/bt/x87.elf" --check interp --stats
# Indirect JMP/CALL (tests/bt/guests/ijump.S): looked up inline like RET.
start_case ij vmmg bt "$TMPD/ij.out" "$BUILD/tests/bt/ijump.elf" --stats
start_case ij-check vmmg bt "$TMPD/ij-check.out" "$BUILD/tests/bt/ijump.elf" --check interp --stats
# String instructions as window loops (tests/bt/guests/strings.S).
start_case str vmmg bt "$TMPD/str.out" "$BUILD/tests/bt/strings.elf" --stats
start_case str-check vmmg bt "$TMPD/str-check.out" "$BUILD/tests/bt/strings.elf" --check interp --stats
# DIV/IDIV (#DE as host SIGFPE) and SHLD/SHRD natively (guests/divshift.S).
start_case ds vmmg bt "$TMPD/ds.out" "$BUILD/tests/bt/divshift.elf" --stats
start_case ds-check vmmg bt "$TMPD/ds-check.out" "$BUILD/tests/bt/divshift.elf" --check interp --stats
start_case thr-all vmm bt "$TMPD/thr-all.out" "test=all" --bt-mode threaded --check interp --stats
start_case thr-compute vmm bt "$TMPD/thr-compute.out" "test=compute iters=3" --bt-mode threaded --stats
start_case id-all vmm bt "$TMPD/id-all.out" "test=all" --check interp --stats
VMLAB_BT_NO_WINDOW=1 start_case id-nowin vmm bt "$TMPD/id-nowin.out" "test=all" --bt-mode identical --check interp --stats
# A code cache too small for the guest: it must flush when full and go on.
VMLAB_BT_CACHE_KB=64 start_case tiny vmm bt "$TMPD/tiny.out" "test=all" --stats

wait
VMLAB_BT_NO_WINDOW=1 timeout 60 "$VMM" --engine bt --stats "$GUEST" -- test=pagefault >"$TMPD/nowin.out" 2>&1 </dev/null
echo $? >"$TMPD/nowin.rc"

VMLAB_CHECK_INJECT=1000 timeout 60 "$VMM" --engine bt --check interp --stats "$GUEST" -- test=hello >"$TMPD/inject.out" 2>&1 </dev/null
echo $? >"$TMPD/inject.rc"

for p in $PROGRAMS; do
    case_status "p-$p" 0 "bt $p: status 0"
    expect_grep "bt $p: RESULT line" "^RESULT $p " "$TMPD/p-$p.out"
    expect_grep "bt $p: PASS line" "^PASS $p\$" "$TMPD/p-$p.out"
done
case_status all 0 "bt test=all: status 0"
if grep -q '^FAIL ' "$TMPD/all.out"; then notok "bt test=all: no FAIL" "$(grep -m1 '^FAIL ' "$TMPD/all.out")"
else ok "bt test=all: no FAIL"; fi

# sensitive: the same observations as the interpreter, both rings.
for ring in 0 3; do
    a=$(grep "^RESULT sensitive ring=$ring " "$TMPD/p-sensitive.out" | tr -d '\r')
    b=$(grep "^RESULT sensitive ring=$ring " "$TMPD/isens.out" | tr -d '\r')
    if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "sensitive ring $ring: bt observes what interp observes"
    else notok "sensitive ring $ring: bt vs interp" "bt '$a' | interp '$b'"; fi
done

# compute: the translated guest and the native build agree.
native=$("$(native_bin compute)" 3 2>&1 | grep -o 'crc32=[^ ]* listsort=[^ ]* matmul=[^ ]* fsm=[^ ]*')
guest=$(grep '^RESULT compute' "$TMPD/compute.out" | grep -o 'crc32=[^ ]* listsort=[^ ]* matmul=[^ ]* fsm=[^ ]*')
if [ -n "$native" ] && [ "$native" = "$guest" ]; then ok "compute: bt checksums equal $NATIVE_LABEL ($guest)"
else notok "compute: bt vs native checksums" "bt '$guest' native '$native'"; fi

# Lock step with the interpreter (window accesses, true and hidden faults,
# PTE changes with INVLPG, CR3 switches all included).
for p in syscall pagefault smc ptemod ctxswitch; do
    case_status "c-$p" 0 "bt --check interp $p: no divergence (status 0)"
    expect_grep "bt --check interp $p: blocks compared" "^bt: --check interp: [1-9][0-9]* block boundaries compared" "$TMPD/c-$p.out"
done
case_status inject 70 "bt --check interp: a corrupted reference is caught (status 70)"
expect_grep "bt --check interp: divergence names the register" "divergence at guest eip 0x[0-9a-f]+: eax" "$TMPD/inject.out"
expect_grep "bt --check interp: both states printed" "^  interp +eip=" "$TMPD/inject.out"
# The closing statistics of a run that diverged must not say "no divergence".
if grep -q '^bt: --check interp: .*DIVERGED at the last compare' "$TMPD/inject.out" &&
   ! grep -q 'no divergence' "$TMPD/inject.out"; then ok "bt --check interp: after a divergence --stats says DIVERGED, never 'no divergence'"
else notok "bt --check interp: closing statistics after a divergence" "$(grep -m1 '^bt: --check interp:' "$TMPD/inject.out" || echo 'no --check line')"; fi

for m in identical threaded; do
    case_status "uf-$m" 0 "bt $m --check interp: undefined flags read (PUSHF, LAHF, Jcc, frames): no divergence"
    expect_grep "bt $m --check interp uflags: blocks compared" "^bt: --check interp: [1-9][0-9]* block boundaries compared" "$TMPD/uf-$m.out"
done

for m in identical threaded; do
    case_status "x87-$m" 0 "bt $m x87: native stack across blocks, handlers, bail-outs, #MF, FXSAVE (status 0)"
done
case_status x87-check 0 "bt x87 under --check interp: no divergence (status 0)"
expect_grep "bt identical x87: x87 instructions translated native" \
    "^bt: identical translation: .* [1-9][0-9]* of them x87" "$TMPD/x87-identical.out"
case_status ij 0 "bt indirect JMP/CALL: a jump table and function pointers compute the right sum (status 0)"
case_status ij-check 0 "bt indirect JMP/CALL under --check interp: no divergence (status 0)"
# 70000 indirect branches: the translated code finds their targets itself;
# bt_lookup (C, counted as hits and misses) is called only to fill the table.
hits=$(sed -n 's/.*indirect lookups \([0-9]*\) hit.*/\1/p' "$TMPD/ij.out")
if [ -n "$hits" ] && [ "$hits" -lt 1000 ]; then
    ok "bt indirect JMP/CALL: looked up inline ($hits of 70000 in bt_lookup)"
else
    notok "bt indirect JMP/CALL: looked up inline" "${hits:-no} of 70000 looked up in bt_lookup"
fi
case_status str 0 "bt strings: REP MOVS/STOS/CMPS/SCAS both ways, ECX = 0, long, into code (status 0)"
case_status str-check 0 "bt strings under --check interp: no divergence (status 0)"
# The 8 MiB copies are interrupted by the poller at the top of an
# iteration: back to the run loop, not to the interpreter.
polls=$(sed -n 's/.* (\([0-9]*\) to poll interrupts).*/\1/p' "$TMPD/str.out")
bails=$(sed -n 's/.* \([0-9]*\) bail-outs in all.*/\1/p' "$TMPD/str.out")
if [ "${polls:-0}" -gt 0 ] && [ "$bails" = 8 ]; then
    ok "bt strings: polled inside REP loops ($polls polls), the interpreter not involved"
else
    notok "bt strings: polled inside REP loops" "${polls:-no} polls, ${bails:-no} bail-outs (expected 8)"
fi
# Without the poller only the 8 stores into the code page bail out: the
# other string instructions ran as translated loops, not in the interpreter.
bails=$(sed -n 's/.* \([0-9]*\) bail-outs in all.*/\1/p' "$TMPD/str-check.out")
if [ "$bails" = 8 ]; then
    ok "bt strings: run translated (8 bail-outs, the stores into the code page)"
else
    notok "bt strings: run translated" "${bails:-no} bail-outs, expected 8 (the stores into the code page)"
fi
case_status ds 0 "bt DIV/IDIV/SHLD/SHRD: results and #DE at the instruction (status 0)"
case_status ds-check 0 "bt DIV/IDIV/SHLD/SHRD under --check interp: no divergence (status 0)"
# 50 iterations of 2 #DE: each a host SIGFPE at a native DIV/IDIV, which
# bails out to the interpreter (a DIV through its handler never bails).
bails=$(sed -n 's/.* \([0-9]*\) bail-outs in all.*/\1/p' "$TMPD/ds-check.out")
if [ "$bails" = 100 ]; then
    ok "bt DIV/IDIV: run natively, each #DE a host SIGFPE (100 bail-outs)"
else
    notok "bt DIV/IDIV: run natively, each #DE a host SIGFPE" "${bails:-no} bail-outs, expected 100"
fi
case_status far 0 "bt far exits: a loop branching across pages computes the right sum (status 0)"
case_status far-check 0 "bt far exits under --check interp: no divergence (status 0)"
# 50000 iterations of 5 far exits would be 250000 run-loop entries.
entries=$(sed -n 's/.* \([0-9]*\) run-loop entries.*/\1/p' "$TMPD/far.out")
if [ -n "$entries" ] && [ "$entries" -lt 5000 ]; then
    ok "bt far exits: found inline, not by the run loop ($entries run-loop entries for 250000 far exits)"
else
    notok "bt far exits: found inline, not by the run loop" "${entries:-no} run-loop entries for 250000 far exits"
fi

# Both translation modes under the lock-step checker, every program.
for m in thr-all id-all id-nowin; do
    case_status "$m" 0 "bt $m: test=all under --check interp, no divergence (status 0)"
    expect_grep "bt $m: blocks compared" "^bt: --check interp: [1-9][0-9]* block boundaries compared" "$TMPD/$m.out"
    if grep -q '^FAIL ' "$TMPD/$m.out"; then notok "bt $m: no FAIL" "$(grep -m1 '^FAIL ' "$TMPD/$m.out")"
    else ok "bt $m: no FAIL"; fi
done
expect_grep "bt identical: instructions translated NATIVE" "^bt: identical translation: [0-9]{3,} guest instructions translated NATIVE" "$TMPD/id-all.out"
expect_grep "bt identical: window true faults resolved precisely" "^bt: window: .* [1-9][0-9]* true faults" "$TMPD/id-all.out"
native3=$("$(native_bin compute)" 3 2>&1 | grep -o 'crc32=[^ ]* listsort=[^ ]* matmul=[^ ]* fsm=[^ ]*')
thr=$(grep '^RESULT compute' "$TMPD/thr-compute.out" | grep -o 'crc32=[^ ]* listsort=[^ ]* matmul=[^ ]* fsm=[^ ]*')
if [ -n "$native3" ] && [ "$native3" = "$thr" ]; then ok "compute: threaded bt checksums equal $NATIVE_LABEL"
else notok "compute: threaded bt vs native checksums" "bt '$thr' native '$native3'"; fi

# --stats: the translator's counters are there and make sense.
s=$TMPD/p-syscall.out
expect_grep "bt --stats: blocks translated" "^bt: [0-9]+ instructions, [1-9][0-9]* blocks translated" "$s"
expect_grep "bt --stats: chains made" "^bt: block exits: .* [1-9][0-9]* chains made" "$s"
expect_grep "bt --stats threaded: chained exits" "^bt: block exits: [1-9][0-9]* chained" "$TMPD/thr-compute.out"
expect_grep "bt --stats: int n and iret are helpers (syscall loop)" "int n [0-9]{4,}.*|iret [0-9]{4,}" "$s"
expect_grep "bt --stats: in/out counted with SDM reason 30" "in [0-9]+ \[30\], out [0-9]+ \[30\]" "$s"
expect_grep "bt smc: translated blocks invalidated" "^bt: SMC: [1-9][0-9]* translated blocks invalidated" "$TMPD/p-smc.out"

# The window (shadow page table): hidden faults map pages, the guest's own
# page faults are true faults, INVLPG and CR3 writes unmap.
expect_grep "bt window (threaded): MOVs translated to window accesses" "^bt: window: [1-9][0-9]* MOV instructions" "$TMPD/thr-compute.out"
expect_grep "bt window pagefault: hidden and true faults" "^bt: window: .* [1-9][0-9]* hidden page faults, [1-9][0-9]* true faults" "$TMPD/p-pagefault.out"
expect_grep "bt window ptemod: invlpg drops pages" "^bt: window: .* [1-9][0-9]* invlpg" "$TMPD/p-ptemod.out"
expect_grep "bt window ctxswitch: CR3 writes flush" "^bt: window: .* [0-9]{3,} window flushes" "$TMPD/p-ctxswitch.out"
case_status nowin 0 "bt without the window (VMLAB_BT_NO_WINDOW=1) pagefault: status 0"
case_status tiny 0 "bt with a 64 KiB code cache: test=all status 0"
expect_grep "bt with a 64 KiB code cache: full-cache flushes happen" \
    '^bt: [0-9]+ instructions, .* of 64 KiB code cache in use, .* [1-9][0-9]* flushes$' "$TMPD/tiny.out"
if grep -q '^bt: window' "$TMPD/nowin.out"; then notok "bt without the window: no window line" "window stats printed"
else ok "bt without the window: no window line"; fi

# The trace: every window fill that walked the guest page tables is a walk
# (references + outcome, flags bit 4 = window, common/README.md) at the
# faulting instruction's EIP; the outcomes agree with --stats (one per
# walk, #PF outcomes = true faults, hidden faults among the successful
# ones), window flushes are code-cache events of kind 4, and the
# interpreter's walks (bail-outs, fetches) now have their outcome too.
# JSON flags: 16 window, 2 outcome, 4 #PF, 8 4 MiB page.
for id in tr-pagefault tr-ctxswitch tr-thr; do
    case_status "$id" 0 "bt --trace $id: status 0"
    if ! "$BUILD/vmtrace" --json "$TMPD/$id.trc" >"$TMPD/$id.json" 2>"$TMPD/$id.err"; then
        notok "bt --trace $id: vmtrace --json reads it" "$(head -1 "$TMPD/$id.err")"; continue
    fi
    w=$(grep '^bt: window:' "$TMPD/$id.out")
    walks=$(echo "$w" | sed -n 's/.* \([0-9]*\) guest page-table walks.*/\1/p')
    whid=$(echo "$w" | sed -n 's/.*(\([0-9]*\) of them hidden faults).*/\1/p')
    tf=$(echo "$w" | sed -n 's/.* \([0-9]*\) true faults.*/\1/p')
    fl=$(echo "$w" | sed -n 's/.* \([0-9]*\) window flushes.*/\1/p')
    outc=$(grep -cE '"type":"walk".*"flags":(18|22|26|30),' "$TMPD/$id.json")
    wok=$(grep -cE '"type":"walk".*"flags":(18|26),' "$TMPD/$id.json")
    wpf=$(grep -cE '"type":"walk".*"flags":(22|30),' "$TMPD/$id.json")
    refs=$(grep -cE '"type":"walk".*"flags":16,' "$TMPD/$id.json")
    noeip=$(grep -cE '"type":"walk","eip":0,"flags":(16|18|22|26|30),' "$TMPD/$id.json")
    wfl=$(grep -cE '"type":"cache".*"kind":4,' "$TMPD/$id.json")
    iout=$(grep -cE '"type":"walk".*"flags":(2|6|10|14),' "$TMPD/$id.json")
    if [ -n "$walks" ] && [ "$walks" -gt 0 ] && [ "$outc" = "$walks" ] && [ "$refs" -ge "$outc" ] && [ "$noeip" = 0 ]
    then ok "bt --trace $id: one window walk outcome per walk in --stats ($outc), references before, EIP set"
    else notok "bt --trace $id: window walk outcomes" "trace $outc outcomes $refs refs $noeip without EIP, --stats '$walks' walks"; fi
    if [ -n "$tf" ] && [ "$wpf" = "$tf" ] && [ -n "$whid" ] && [ "$whid" -gt 0 ] && [ "$wok" -ge "$whid" ]
    then ok "bt --trace $id: #PF outcomes = true faults ($tf), hidden faults ($whid) among $wok successful walks"
    else notok "bt --trace $id: window walk results" "trace $wpf #PF / $wok ok, --stats '$tf' true faults '$whid' hidden walks"; fi
    if [ -n "$fl" ] && [ "$fl" -gt 0 ] && [ "$wfl" = "$fl" ]
    then ok "bt --trace $id: window flushes traced as code-cache kind 4 ($wfl)"
    else notok "bt --trace $id: window flushes" "trace $wfl, --stats '$fl'"; fi
    if [ "$iout" -gt 0 ]; then ok "bt --trace $id: interpreter walks have their outcome ($iout)"
    else notok "bt --trace $id: interpreter walk outcomes" "none in the trace"; fi
done
expect_grep "bt --trace ctxswitch: window flushes (CR3 writes) in the trace" "^bt: window: .* [0-9]{3,} window flushes" "$TMPD/tr-ctxswitch.out"

# Bad guest code: the exceptions program runs ud2 / an invalid opcode and
# touches unmapped memory; under bt each exception is delivered to the
# guest's handler with the right vector (its PASS above), counted here.
expect_grep "bt exceptions: delivered through the guest IDT" "^RESULT exceptions " "$TMPD/p-exceptions.out"
expect_grep "bt exceptions: counted by the engine" "[1-9][0-9]* exceptions" "$TMPD/p-exceptions.out"
expect_grep "bt: a jump into unmapped memory delivers #PF at the target (CR2, EIP)" \
    'case=#PF-fetch delivered=1 vector=14 error=0x4 cr2=0x20000000 eip_ok=1' "$TMPD/p-exceptions.out"
expect_grep "bt: an invalid opcode delivers #UD at the instruction" \
    'case=#UD delivered=1 vector=6 error=0x0 .* eip_ok=1' "$TMPD/p-exceptions.out"

finish
