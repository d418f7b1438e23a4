#!/bin/bash
# tests/mem/mem.sh — stage 04: build/vmm-mem --engine bt, the stage 01
# translator on shadow page tables cached per address space
# (04-memory/shadow.h):
#  - every teaching-guest program passes, and test=all, in both
#    translation modes;
#  - a context switch finds its shadow: ctxswitch's switches are cache
#    hits, not rebuilt windows;
#  - a cache of one address space evicts at every switch (counted) and
#    the guest still passes;
#  - --check interp (lock step with the reference interpreter) finds no
#    divergence on the paging programs and test=all;
#  - the guest's page-table edits are seen (tests/mem/guests/ptedit.S:
#    PTEs and PDEs edited in the running and a cached address space,
#    through the recursive mapping, after INVLPG and after a CR3 reload),
#    and bad tables (a table outside RAM, a directory looping to itself,
#    a read-only PTE written) give the #PF the interpreter gives;
#  - ptemod's PTE stores are trapped (write protection), tables freed
#    and reused as data are unsynced, the shadow memory is reported;
#  - bad options are usage errors, engines not built yet say so.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-mem
VMM_BT=$BUILD/vmm-bt
PTEDIT=$BUILD/tests/mem/ptedit.elf
PROGRAMS="hello syscall pagefault ctxswitch timer exceptions sensitive smc compute inout ptemod divzero callret forkexit"
if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ] || [ ! -f "$PTEDIT" ]; then
    notok "mem guest tests" "$VMM, $GUEST or $PTEDIT missing (run make _all)"
    finish
fi

vmm() {  # vmm OUT CMDLINE [vmm options...]
    local out=$1 cmdline=$2; shift 2
    timeout 120 "$VMM" --engine bt --timeout 60 "$@" "$GUEST" -- "$cmdline" >"$out" 2>&1 </dev/null
}
vmmg() {  # vmmg BINARY OUT IMAGE [vmm options...]
    local bin=$1 out=$2 image=$3; shift 3
    timeout 60 "$bin" --timeout 30 "$@" "$image" >"$out" 2>&1 </dev/null
}

for p in $PROGRAMS; do start_case "p-$p" vmm "$TMPD/p-$p.out" "test=$p" --stats; done
start_case all vmm "$TMPD/all.out" "test=all" --stats
start_case thr-all vmm "$TMPD/thr-all.out" "test=all" --bt-mode threaded --stats
start_case ctx vmm "$TMPD/ctx.out" "test=ctxswitch iters=300" --stats
start_case ctx1 vmm "$TMPD/ctx1.out" "test=ctxswitch iters=300" --shadow-cache 1 --stats
start_case all1 vmm "$TMPD/all1.out" "test=all" --shadow-cache 1 --stats
for p in ptemod pagefault ctxswitch; do
    start_case "c-$p" vmm "$TMPD/c-$p.out" "test=$p" --check interp --stats
done
start_case c-all2 vmm "$TMPD/c-all2.out" "test=all" --shadow-cache 2 --check interp --stats
start_case pte-mem vmmg "$VMM" "$TMPD/pte-mem.out" "$PTEDIT" --engine bt --stats
start_case pte-mem1 vmmg "$VMM" "$TMPD/pte-mem1.out" "$PTEDIT" --engine bt --shadow-cache 1 --stats
start_case pte-thr vmmg "$VMM" "$TMPD/pte-thr.out" "$PTEDIT" --engine bt --bt-mode threaded
start_case pte-chk vmmg "$VMM" "$TMPD/pte-chk.out" "$PTEDIT" --engine bt --check interp
start_case pte-interp vmmg "$VMM_BT" "$TMPD/pte-interp.out" "$PTEDIT" --engine interp
start_case pte-bt vmmg "$VMM_BT" "$TMPD/pte-bt.out" "$PTEDIT" --engine bt
wait

for p in $PROGRAMS; do
    case_status "p-$p" 0 "mem $p: status 0"
    expect_grep "mem $p: RESULT line" "^RESULT $p " "$TMPD/p-$p.out"
    expect_grep "mem $p: PASS line" "^PASS $p\$" "$TMPD/p-$p.out"
done
for c in all thr-all all1; do
    case_status "$c" 0 "mem $c: test=all status 0"
    no_line "$c" '^FAIL ' "mem $c: test=all, no FAIL"
done

# shadow N: the Nth number of the "shadow: ... switches" line of case ID.
switches() { sed -n 's/^shadow: \([0-9]*\) address-space switches: \([0-9]*\) hits, \([0-9]*\) misses, \([0-9]*\) evictions.*/\1 \2 \3 \4/p' "$TMPD/$1.out"; }
guest_switches() { sed -n 's/^RESULT ctxswitch mode=yield switches=\([0-9]*\) .*/\1/p' "$TMPD/$1.out" | tr -d '\r'; }

case_status ctx 0 "mem ctxswitch: status 0"
read -r n hits misses ev <<<"$(switches ctx)"
g=$(guest_switches ctx)
if [ -n "$g" ] && [ -n "$hits" ] && [ "$hits" -ge "$g" ] && [ "$misses" -le 16 ] && [ "$ev" = 0 ]; then
    ok "mem ctxswitch: $g guest switches, $hits shadow cache hits, $misses misses, no eviction"
else
    notok "mem ctxswitch: switches find their shadow" "guest switches '$g', shadow line '$n $hits $misses $ev'"
fi
case_status ctx1 0 "mem --shadow-cache 1 ctxswitch: status 0"
expect_grep "mem --shadow-cache 1 ctxswitch: PASS" '^PASS ctxswitch' "$TMPD/ctx1.out"
read -r n hits misses ev <<<"$(switches ctx1)"
g=$(guest_switches ctx1)
if [ -n "$g" ] && [ -n "$ev" ] && [ "$ev" -ge "$g" ] && [ "$hits" -lt "$g" ]; then
    ok "mem --shadow-cache 1: $ev evictions for $g guest switches (counted), guest still right"
else
    notok "mem --shadow-cache 1: evictions counted" "guest switches '$g', shadow line '$n $hits $misses $ev'"
fi
expect_grep "mem --shadow-cache 1 test=all: evictions" '^shadow: .* [1-9][0-9]* evictions \(cache of 1, LRU\)' "$TMPD/all1.out"

for c in c-ptemod c-pagefault c-ctxswitch c-all2; do
    case_status "$c" 0 "mem $c --check interp: no divergence (status 0)"
    expect_grep "mem $c --check interp: blocks compared" '^bt: --check interp: [1-9][0-9]* block boundaries compared' "$TMPD/$c.out"
done

# ptedit: status = the first step that saw a stale or wrong translation.
for c in pte-mem pte-mem1 pte-thr pte-chk; do
    case_status "$c" 0 "mem ptedit ($c): page-table edits seen, bad tables give the right #PF (status 0)"
done
case_status pte-interp 0 "vmm-bt interp ptedit: the reference passes (status 0)"
case_status pte-bt 0 "vmm-bt bt ptedit: stage 01's window drops on a CR3 reload too (status 0)"
expect_grep "mem ptedit: tables written are trapped" '^shadow: write protection: [1-9][0-9]* tables watched.* [1-9][0-9]* guest table writes trapped, [1-9][0-9]* shadow entries dropped' "$TMPD/pte-mem.out"
expect_grep "mem ptedit --shadow-cache 1: evictions" '^shadow: .* [1-9][0-9]* evictions \(cache of 1' "$TMPD/pte-mem1.out"

# ptemod: the kernel's PTE stores hit a write-protected table (trapped,
# or the table unsynced once they flood it); the program itself checks
# that every toggle is seen (PASS above).
expect_grep "mem ptemod: PTE stores trapped" '^shadow: write protection: [1-9][0-9]* tables watched.* [1-9][0-9]* guest table writes trapped' "$TMPD/p-ptemod.out"
expect_grep "mem --stats: shadow memory reported" '^shadow: memory: [1-9][0-9]* shadows cached, [1-9][0-9]* pages mapped, [1-9][0-9]* KiB of host page tables' "$TMPD/all.out"
# forkexit: every address space is a shadow built anew; the one of an
# exited task goes when its freed directory is written over (unsynced).
expect_grep "mem forkexit: a shadow built per address space" '^shadow: [0-9]+ address-space switches: [0-9]+ hits, [1-9][0-9]+ misses' "$TMPD/p-forkexit.out"
expect_grep "mem forkexit: dead address spaces' tables unsynced" '^shadow: write protection: .* [1-9][0-9]+ tables unsynced' "$TMPD/p-forkexit.out"
expect_grep "mem test=all: freed tables unsynced (write flooding)" '^shadow: write protection: .* [1-9][0-9]* tables unsynced' "$TMPD/all.out"

# The bench table (tests/bench/shadow.sh) with tiny counts: every cell
# holds a number, and the per-operation counts say what the cache does:
# a context switch drops no window and takes no hidden fault under bt-04,
# finds its shadow (at least 0.9 hits per switch: more when timer
# preemption adds switches the counts do not cancel out), changes the gs
# base twice (into the kernel, out to the other task: the CR3 load keeps
# the shared kernel view; three without it), and stage 01 drops its
# window.
SHADOW_QUICK=1 timeout 300 "$ROOT/tests/bench/shadow.sh" >"$TMPD/bench" 2>&1
rc=$?
if [ "$rc" = 0 ]; then ok "bench shadow.sh (SHADOW_QUICK=1): every run worked"
else notok "bench shadow.sh (SHADOW_QUICK=1)" "status $rc: $(tail -n 3 "$TMPD/bench" | tr '\n' '|')"; fi
row=$(grep -E '^context switch +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+x +[0-9.]+x +[0-9.]+x$' "$TMPD/bench")
if [ -n "$row" ]; then ok "bench shadow.sh: context switch row has native, bt-01, bt-04 and ratios"
else notok "bench shadow.sh: context switch row" "$(grep '^context switch' "$TMPD/bench" | head -n 1)"; fi
read -r h f g hit w <<<"$(sed -n 's/^context switch *bt-04 *//p' "$TMPD/bench")"
if [ "$h" = 0.00 ] && [ "$f" = 0.00 ] && awk -v x="$hit" 'BEGIN { exit !(x >= 0.9) }'; then
    ok "bench shadow.sh: bt-04 context switch: no hidden fault, no window dropped, $hit cache hits"
else
    notok "bench shadow.sh: bt-04 context switch per op" "hidden '$h' dropped '$f' hits '$hit'"
fi
if awk -v x="$g" 'BEGIN { exit !(x >= 1.5 && x < 2.5) }'; then
    ok "bench shadow.sh: bt-04 context switch: $g gs base writes (the CR3 load makes none)"
else
    notok "bench shadow.sh: bt-04 context switch gs writes" "'$g' per switch, expected 2"
fi
read -r h f g hit w <<<"$(sed -n 's/^context switch *bt-01 *//p' "$TMPD/bench")"
if awk -v x="$f" -v y="$h" 'BEGIN { exit !(x >= 0.9 && y >= 1) }'; then
    ok "bench shadow.sh: bt-01 context switch drops its window ($f/op, $h hidden faults/op)"
else
    notok "bench shadow.sh: bt-01 context switch per op" "hidden '$h' dropped '$f'"
fi

# Options.
expect_status "mem --mmu ept on bt: usage error (64)" 64 "$VMM" --engine bt --mmu ept "$GUEST"
expect_status "mem --shadow-cache 0: usage error (64)" 64 "$VMM" --shadow-cache 0 "$GUEST"
expect_status "mem --shadow-cache 17: usage error (64)" 64 "$VMM" --shadow-cache 17 "$GUEST"
expect_status "mem --engine kvm: not built yet (69)" 69 "$VMM" --engine kvm "$GUEST"
expect_status "mem --mmu shadow: the default, accepted" 0 timeout 60 "$VMM" --mmu shadow --timeout 30 "$GUEST" -- test=hello
finish
