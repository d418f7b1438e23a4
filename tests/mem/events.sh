#!/bin/bash
# tests/mem/events.sh — stage 04's memory events in the trace (trace/trace.h,
# TRACE_MMU; EPT's exits 48/49) under build/vmm-mem --engine bt and --engine
# vmx --mmu shadow|ept, read back with build/vmtrace:
#  - a guest PTE write propagated to the shadows (shadow-sync) and the store
#    to a write-protected page-table page (wp-fault): ptemod, under bt and
#    vmx shadow; none for hello, syscall or compute, which edit no table
#    after boot, and none of any kind under EPT (no shadow tables);
#  - unsync: forkexit under bt (tables of exited tasks reused: write
#    flooding) and vmx shadow with a cache of one (evicted tables stop
#    being write-protected); none for ptemod;
#  - evict: ctxswitch with --shadow-cache 1 under both; none with the
#    default cache of 8;
#  - EPT violations with their qualification and GPA: --ept-protect ro
#    makes write violations on RAM, "allowed=r-x"; without it the only
#    violation is the APIC page's (MMIO), then misconfigurations;
#  - the JSON form carries the kind, and vmtrace --stats counts them.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-mem
VMTRACE=$BUILD/vmtrace
if [ ! -x "$VMM" ] || [ ! -x "$VMTRACE" ] || [ ! -f "$GUEST" ]; then
    notok "mem events" "$VMM, $VMTRACE or $GUEST missing (run make _all)"
    finish
fi

run() {  # run ID PROGRAM [vmm options...]: a traced run, its text in $TMPD/ID.txt
    local id=$1 p=$2; shift 2
    timeout 120 "$VMM" --timeout 60 --trace "$TMPD/$id.trace" "$@" "$GUEST" -- "test=$p" \
        >"$TMPD/$id.out" 2>&1 </dev/null
    echo $? >"$TMPD/$id.rc"
    "$VMTRACE" "$TMPD/$id.trace" >"$TMPD/$id.txt" 2>&1
}
for e in bt:"--engine bt" vs:"--engine vmx --mmu shadow"; do
    for p in ptemod forkexit ctxswitch hello syscall compute; do
        start_case "${e%%:*}-$p" run "${e%%:*}-$p" "$p" ${e#*:}
    done
    start_case "${e%%:*}-ctx1" run "${e%%:*}-ctx1" ctxswitch ${e#*:} --shadow-cache 1
done
start_case vs-fork1 run vs-fork1 forkexit --engine vmx --mmu shadow --shadow-cache 1
start_case ept-ptemod run ept-ptemod ptemod --engine vmx --mmu ept
start_case ept-ro run ept-ro ptemod --engine vmx --mmu ept --ept-protect ro
start_case ept-fork run ept-fork forkexit --engine vmx --mmu ept
wait

# n ID KIND: how many memory events of KIND the text of case ID has.
n() { grep -cE "^[0-9.]+ mmu +eip=0x[0-9a-f]{8} $2 " "$TMPD/$1.txt"; }
has() {  # has NAME ID KIND
    local c; c=$(n "$2" "$3")
    if [ "$(cat "$TMPD/$2.rc")" = 0 ] && [ "$c" -gt 0 ]; then ok "$1 ($c)"
    else notok "$1" "status $(cat "$TMPD/$2.rc"), $c '$3' events; $(grep -m2 ' mmu ' "$TMPD/$2.txt" | tr '\n' '|')"; fi
}
hasnt() {  # hasnt NAME ID KIND
    local c; c=$(n "$2" "$3")
    if [ "$(cat "$TMPD/$2.rc")" = 0 ] && [ "$c" = 0 ]; then ok "$1"
    else notok "$1" "status $(cat "$TMPD/$2.rc"), $c '$3' events: $(grep -m1 " mmu .* $3 " "$TMPD/$2.txt")"; fi
}

for e in bt vs; do
    name=$([ $e = bt ] && echo "bt" || echo "vmx shadow")
    has "$name ptemod: shadow syncs (the PTE writes propagated)" "$e-ptemod" shadow-sync
    has "$name ptemod: write-protection faults on the page table" "$e-ptemod" wp-fault
    expect_grep "$name ptemod: a sync names the guest PTE and the shadow entries dropped" \
        ' mmu +eip=0x[0-9a-f]{8} shadow-sync guest PTE @0x[0-9a-f]{8} for lin=0x[0-9a-f]{8}: [1-9][0-9]* shadow entries dropped$' "$TMPD/$e-ptemod.txt"
    for p in hello syscall compute; do
        hasnt "$name $p: no shadow sync (no table edited after boot)" "$e-$p" shadow-sync
        hasnt "$name $p: no unsync" "$e-$p" unsync
    done
    hasnt "$name ptemod: no unsync" "$e-ptemod" unsync
    has "$name ctxswitch --shadow-cache 1: evictions" "$e-ctx1" evict
    hasnt "$name ctxswitch (cache of 8): no eviction" "$e-ctxswitch" evict
    hasnt "$name forkexit (cache of 8): no eviction" "$e-forkexit" evict
done
has "bt forkexit: unsyncs (tables of exited tasks flooded with writes)" bt-forkexit unsync
has "vmx shadow forkexit --shadow-cache 1: unsyncs (evicted tables unprotected)" vs-fork1 unsync
expect_grep "bt ctxswitch --shadow-cache 1: an eviction names both CR3s" \
    ' mmu +eip=0x[0-9a-f]{8} evict shadow of cr3=0x[0-9a-f]{8} \(for cr3=0x[0-9a-f]{8}\)$' "$TMPD/bt-ctx1.txt"
# The count of each kind is the VMM's own count (--stats is not asked for
# in these runs: the trace and the stats are compared in mem.sh's terms).
for c in ept-ptemod ept-ro ept-fork; do
    k=$(grep -c ' mmu ' "$TMPD/$c.txt")
    if [ "$(cat "$TMPD/$c.rc")" = 0 ] && [ "$k" = 0 ]; then ok "vmx ept ${c#ept-}: no shadow event of any kind"
    else notok "vmx ept ${c#ept-}: no shadow event" "status $(cat "$TMPD/$c.rc"), $k events"; fi
done

# EPT: the exits, with their qualification (SDM Vol. 3C Table 28-7) and GPA.
ram_viol() { grep -cE ' exit  eip=0x[0-9a-f]{8} EPT violation gpa=0x[0-9a-f]{1,7} ' "$TMPD/$1.txt"; }
v=$(ram_viol ept-ro)
if [ "$v" -gt 1 ] && grep -qE ' EPT violation gpa=0x[0-9a-f]+ gla=0x[0-9a-f]{8} -w- qual=0x1aa allowed=r-x \(the translation\)' "$TMPD/ept-ro.txt" &&
   ! grep -E ' EPT violation gpa=0x[0-9a-f]{1,7} ' "$TMPD/ept-ro.txt" | grep -qv ' -w- '; then
    ok "vmx ept --ept-protect ro: $v write violations on RAM, qualification 0x1aa (write; EPT allowed r-x; the translation)"
else notok "vmx ept --ept-protect ro: violations" "$v on RAM; $(grep -m2 'EPT violation' "$TMPD/ept-ro.txt" | tr '\n' '|')"; fi
for c in ept-ptemod ept-fork; do
    v=$(ram_viol "$c")
    if [ "$v" = 0 ] && [ "$(grep -c 'EPT violation gpa=0xfee00[0-9a-f]\{3\} ' "$TMPD/$c.txt")" = 1 ] &&
       grep -q ' EPT misconfiguration gpa=0xfee00' "$TMPD/$c.txt"; then
        ok "vmx ept ${c#ept-}: no violation on RAM; the APIC page once, then misconfigurations"
    else notok "vmx ept ${c#ept-}: violations" "$v on RAM; $(grep -m3 'EPT ' "$TMPD/$c.txt" | tr '\n' '|')"; fi
done

# JSON and --stats know the new type.
"$VMTRACE" --json "$TMPD/bt-ptemod.trace" >"$TMPD/json" 2>&1
expect_grep "vmtrace --json: a memory event has its kind and text" \
    '^\{"i":[0-9]+,"time_ns":[0-9]+,"type":"mmu","eip":[0-9]+,"flags":[0-9]+,"kind":1,"qual":[0-9]+,"addr":[0-9]+,"value":[1-9][0-9]*,"text":".*shadow-sync guest PTE' "$TMPD/json"
"$VMTRACE" --json "$TMPD/ept-ro.trace" >"$TMPD/json-ept" 2>&1
expect_grep "vmtrace --json: an EPT violation has its GPA and qualification" \
    '"type":"exit",.*"reason":48,.*"gpa":[0-9]+,"gla":[0-9]+,"qual":426' "$TMPD/json-ept"
"$VMTRACE" --stats "$TMPD/bt-ptemod.trace" >"$TMPD/stats" 2>&1
k=$(grep -c ' mmu ' "$TMPD/bt-ptemod.txt")
expect_grep "vmtrace --stats: counts the memory events ($k)" " $k memory \\(shadow\\) events\$" "$TMPD/stats"
finish
