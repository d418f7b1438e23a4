#!/bin/bash
# tests/mem/vmx.sh — stage 04 on the VMX model: build/vmm-mem --engine vmx
# --mmu ept (04-memory/mem_vmx.c, ept_mmu.c) and --mmu shadow
# (04-memory/vmx_shadow.c):
#  - every teaching-guest program passes under both, and test=all; the
#    paging programs also without VPID, with EPT A/D flags and with the
#    EPT caches off;
#  - sensitive observes under EPT what it observes under the interpreter;
#  - with EPT the guest's paging never exits: ctxswitch and ptemod make no
#    CR-access, INVLPG or #PF exit; with shadow paging they do;
#  - the 2-D walk: 14 references at most per walk, every walk full with the
#    caches off and far fewer references per walk with them on; without
#    VPID every VM entry flushes the TLB;
#  - MMIO: the APIC page is one EPT violation, then misconfigurations;
#  - the experiment: every RAM page read-only (--ept-protect ro) or
#    execute-only (xo) in EPT behind the guest's back: the violations are
#    exactly the accesses EPT forbids (ro: writes, never reads or fetches;
#    xo: reads and writes, never fetches), the qualification shows what EPT
#    allowed, the VMM restores access for each, and the programs pass;
#  - ptedit (tests/mem/guests/ptedit.S) edits its tables and builds bad ones
#    under both; shadow paging traps the edits, a cache of one evicts;
#  - an EPT entry with a reserved bit, memory type 7, write without read
#    or not present is exit 49 or 48 and a documented fatal end (70);
#  - bad options are usage errors.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-mem
VMM_BT=$BUILD/vmm-bt
PTEDIT=$BUILD/tests/mem/ptedit.elf
PROGRAMS="hello syscall pagefault ctxswitch timer exceptions sensitive smc compute inout ptemod divzero callret forkexit fpu"
EXPERIMENT="hello syscall pagefault ctxswitch exceptions ptemod forkexit compute"
if [ ! -x "$VMM" ] || [ ! -x "$VMM_BT" ] || [ ! -f "$GUEST" ] || [ ! -f "$PTEDIT" ]; then
    notok "mem vmx tests" "$VMM, $VMM_BT, $GUEST or $PTEDIT missing (run make _all)"
    finish
fi

vmm() {  # vmm OUT CMDLINE [vmm options...]
    local out=$1 cmdline=$2; shift 2
    timeout 120 "$VMM" --engine vmx --timeout 60 --stats "$@" "$GUEST" -- "$cmdline" >"$out" 2>&1 </dev/null
}

for mmu in ept shadow; do
    for p in $PROGRAMS; do start_case "$mmu-$p" vmm "$TMPD/$mmu-$p.out" "test=$p" --mmu "$mmu"; done
    start_case "$mmu-all" vmm "$TMPD/$mmu-all.out" "test=all" --mmu "$mmu"
done
# The variants run the paging-heavy programs (test=all's timer checks the
# tick rate, which a loaded host disturbs: it has its own cases above).
for v in novpid:--vpid=off ad:--ept-ad=on nocache:--ept-cache=off; do
    for p in forkexit ptemod; do start_case "${v%%:*}-$p" vmm "$TMPD/${v%%:*}-$p.out" "test=$p" "${v#*:}"; done
done
start_case i-sens timeout 60 "$VMM_BT" --engine interp --timeout 30 "$GUEST" -- test=sensitive \
    >"$TMPD/i-sens.out" 2>&1 </dev/null
for m in ro xo; do
    for p in $EXPERIMENT; do
        start_case "$m-$p" vmm "$TMPD/$m-$p.out" "test=$p" --ept-protect "$m"
    done
done
start_case ad-ro vmm "$TMPD/ad-ro.out" "test=ptemod" --ept-protect ro --ept-ad on
pte() {  # pte ID [vmm options...]: ptedit under --engine vmx
    local id=$1; shift
    timeout 60 "$VMM" --engine vmx --timeout 30 --stats "$@" "$PTEDIT" >"$TMPD/$id.out" 2>&1 </dev/null
}
start_case pte-ept pte pte-ept --mmu ept
start_case pte-shadow pte pte-shadow --mmu shadow
start_case pte-shadow1 pte pte-shadow1 --mmu shadow --shadow-cache 1
start_case shadow1-all vmm "$TMPD/shadow1-all.out" "test=forkexit" --mmu shadow --shadow-cache 1
wait

for mmu in ept shadow; do
    for p in $PROGRAMS; do
        case_status "$mmu-$p" 0 "vmx $mmu $p: status 0"
        expect_grep "vmx $mmu $p: PASS line" "^PASS $p\$" "$TMPD/$mmu-$p.out"
    done
done
for c in ept-all shadow-all; do
    case_status "$c" 0 "vmx $c: test=all status 0"
    no_line "$c" '^FAIL ' "vmx $c: test=all, no FAIL"
done

for v in novpid ad nocache; do
    for p in forkexit ptemod; do
        case_status "$v-$p" 0 "vmx $v $p: status 0"
        expect_grep "vmx $v $p: PASS line" "^PASS $p\$" "$TMPD/$v-$p.out"
    done
done

# Sensitive: what the guest observes does not depend on the MMU.
for ring in 0 3; do
    for mmu in ept shadow; do
        a=$(grep "^RESULT sensitive ring=$ring " "$TMPD/$mmu-sensitive.out")
        b=$(grep "^RESULT sensitive ring=$ring " "$TMPD/i-sens.out")
        if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "vmx $mmu sensitive ring $ring: as under interp"
        else notok "vmx $mmu sensitive ring $ring" "vmx '$a' | interp '$b'"; fi
    done
done

# count ID NAME: the count of exit NAME in --stats of case ID (0 if absent).
count() {
    local n; n=$(grep -E "^  $2 +[0-9]+ +[0-9]+ " "$TMPD/$1.out" | awk '{print $(NF-2)}')
    echo "${n:-0}"
}
paging_exits() {  # CR access + INVLPG + exception exits of case ID
    echo $(( $(count "$1" "Control-register accesses") + $(count "$1" "INVLPG") + \
             $(count "$1" "Exception or non-maskable interrupt \(NMI\)") ))
}
for p in ctxswitch ptemod pagefault forkexit; do
    e=$(paging_exits "ept-$p"); s=$(paging_exits "shadow-$p")
    if [ "$e" = 0 ]; then ok "vmx ept $p: no paging exit (CR access, INVLPG, #PF)"
    else notok "vmx ept $p: no paging exit" "$e CR-access/INVLPG/exception exits"; fi
    if [ "$s" -gt 0 ]; then ok "vmx shadow $p: paging exits ($s: CR3 loads, INVLPG, #PF)"
    else notok "vmx shadow $p: paging exits" "none: the VMM never saw the guest's paging"; fi
done

# The 2-D walk: "ept: W walks (TLB misses): G guest + E EPT references, at most M in one walk, F full".
walk() { sed -n 's/^ept: \([0-9]*\) walks (TLB misses): \([0-9]*\) guest + \([0-9]*\) EPT references, at most \([0-9]*\) in one walk, \([0-9]*\) full.*/\1 \2 \3 \4 \5/p' "$TMPD/$1.out"; }
read -r w g e m f <<<"$(walk nocache-forkexit)"
if [ -n "$w" ] && [ "$m" = 14 ] && [ "$f" -gt 0 ] && [ $((g + e)) -le $((w * 14)) ] && [ $((g + e)) -ge $((w * 4)) ]; then
    ok "vmx ept caches off: $w walks, $((g + e)) references, 14 at most, $f full walks"
else
    notok "vmx ept caches off: 2-D walk references" "walk line '$w $g $e $m $f'"
fi
read -r w2 g2 e2 m2 f2 <<<"$(walk ept-forkexit)"
if [ -n "$w2" ] && [ "$m2" -le 14 ] && awk -v a=$((g2 + e2)) -v b="$w2" -v c=$((g + e)) -v d="$w" \
    'BEGIN { exit !(a / b < c / d / 2) }'; then
    ok "vmx ept caches on: $(awk -v a=$((g2 + e2)) -v b="$w2" 'BEGIN { printf "%.2f", a / b }') references per walk (off: $(awk -v a=$((g + e)) -v b="$w" 'BEGIN { printf "%.2f", a / b }'))"
else
    notok "vmx ept caches on: fewer references per walk" "on '$w2 $g2 $e2', off '$w $g $e'"
fi
flushes() { sed -n 's/.*VPID \(on\|off\): \([0-9]*\) TLB flushes at VM entry.*/\1 \2/p' "$TMPD/$1.out"; }
read -r v1 n1 <<<"$(flushes ept-forkexit)"
read -r v2 n2 <<<"$(flushes novpid-forkexit)"
if [ "$v1" = on ] && [ "$n1" = 0 ] && [ "$v2" = off ] && [ "${n2:-0}" -gt 0 ]; then
    ok "vmx ept VPID: no flush at VM entry with it, $n2 without"
else
    notok "vmx ept VPID" "with '$v1 $n1', without '$v2 $n2'"
fi
expect_grep "vmx ept VPID: ENABLE_VPID in the secondary controls" "^vmx: secondary .*ENABLE_VPID" "$TMPD/ept-all.out"
expect_grep "vmx ept A/D: EPTP bit 6 set" "^ept: VMM: EPTP 0x[0-9a-f]*[4567cdef]e," "$TMPD/ad-forkexit.out"

# MMIO: the guest's three APIC writes (virtual-wire mode).
if [ "$(count ept-hello "EPT violation")" = 1 ] && [ "$(count ept-hello "EPT misconfiguration")" = 2 ] &&
    grep -q "3 MMIO exits on 1 pages" "$TMPD/ept-hello.out"; then
    ok "vmx ept MMIO: the APIC page is one violation, then misconfigurations"
else
    notok "vmx ept MMIO" "violations $(count ept-hello "EPT violation"), misconfigurations $(count ept-hello "EPT misconfiguration")"
fi

# The experiment.  viol ID: "V R W X T" from the violations line.
viol() { sed -n 's/^ept: \([0-9]*\) violations (read \([0-9]*\), write \([0-9]*\), fetch \([0-9]*\); \([0-9]*\) on guest page tables).*/\1 \2 \3 \4 \5/p' "$TMPD/$1.out"; }
perms() { sed -n 's/^ept: .*violations by EPT permissions found (XWR): *//p' "$TMPD/$1.out"; }
restored() { sed -n 's/.* \([0-9]*\) violations handled by restoring access.*/\1/p' "$TMPD/$1.out"; }
for m in ro xo; do
    for p in $EXPERIMENT; do
        id=$m-$p
        case_status "$id" 0 "vmx ept --ept-protect $m $p: status 0 (the guest is unaware)"
        read -r v r w x t <<<"$(viol "$id")"
        ps=$(perms "$id"); rs=$(restored "$id")
        if [ "$m" = ro ]; then want="---=1 x-r=$rs"; good=$([ "${r:-1}" = 0 ] && [ "${x:-1}" = 0 ] && [ "${w:-0}" -gt 1 ] && echo y)
        else want="---=1 x--=$rs"; good=$([ "${x:-1}" = 0 ] && [ $((${r:-0} + ${w:-0})) -gt 1 ] && echo y); fi
        if [ "$good" = y ] && [ "$ps" = "$want" ] && [ "$rs" = $((v - 1)) ]; then
            ok "vmx ept --ept-protect $m $p: $rs violations restored (read $r, write $w, fetch $x), EPT allowed ${want#* }"
        else
            notok "vmx ept --ept-protect $m $p: the right violations" "violations '$v $r $w $x $t', permissions '$ps', restored '$rs'"
        fi
    done
done
case_status ad-ro 0 "vmx ept --ept-protect ro --ept-ad on ptemod: status 0"

# The page-table-editing guest (tests/mem/guests/ptedit.S): edits seen,
# bad tables fault as the interpreter's do.
for c in pte-ept pte-shadow pte-shadow1; do case_status "$c" 0 "vmx $c: ptedit passes (status 0)"; done
expect_grep "vmx shadow ptedit: table writes trapped, shadow entries dropped" \
    '^shadow: [0-9]+ #PF exits: .* [1-9][0-9]* guest table writes trapped; [1-9][0-9]* shadow entries dropped' "$TMPD/pte-shadow.out"
case_status shadow1-all 0 "vmx shadow --shadow-cache 1 forkexit: status 0"
expect_grep "vmx shadow --shadow-cache 1: evictions" '^shadow: .* [1-9][0-9]* evictions \(cache of 1' "$TMPD/shadow1-all.out"
expect_grep "vmx shadow ctxswitch: switches are cache hits" '^shadow: [0-9]+ address-space switches: [0-9]{3,} hits, [0-9] misses, 0 evictions' "$TMPD/shadow-ctxswitch.out"

# A broken EPT entry (the VMLAB_EPT_INJECT hook of 04-memory/mem_vmx.c) at
# the guest's first instruction: the architectural exit, a fatal end (70)
# with the history, never a crash.
for h in rsvd:49 memtype:49 wonly:49 absent:48; do
    VMLAB_EPT_INJECT=${h%%:*} timeout 60 "$VMM" --engine vmx --timeout 30 "$GUEST" -- test=hello \
        >"$TMPD/inj.out" 2>&1 </dev/null
    rc=$?
    if [ "$rc" = 70 ] && grep -q "no handler for exit reason ${h#*:} " "$TMPD/inj.out" &&
        grep -Eq "eip=0010000c EPT (misconfiguration|violation) gpa=0x10000c" "$TMPD/inj.out"; then
        ok "vmx ept entry ${h%%:*}: exit ${h#*:} at the first fetch, status 70"
    else
        notok "vmx ept entry ${h%%:*}: exit ${h#*:}" "status $rc; $(grep -E 'error|EPT' "$TMPD/inj.out" | tail -n 2 | tr '\n' '|')"
    fi
done

# Hostile guests (tests/fuzz/guests: random ring-0 code, wild addresses,
# code and tables at the end of RAM) under both MMUs: the VMM ends
# cleanly (the guest's status, 70 with one error line, or 124), never by
# a signal.
FG=$BUILD/tests/fuzz/guests
hostile() {  # hostile ID ELF [vmm options...] -- [guest args]
    local id=$1 elf=$2; shift 2
    timeout 60 "$VMM" --engine vmx --mem 2M --timeout 2 "$@" "$FG/$elf" >"$TMPD/$id.out" 2>&1 </dev/null
    echo $? >"$TMPD/$id.rc"
}
if [ -f "$FG/wild.elf" ] && [ -f "$FG/random.elf" ]; then
    for mmu in ept shadow; do
        bad=""
        for c in "wild:a" "wild:b" "wild:d" "wild:f" "wild:i" "wild:l" "random:seed=1" "random:seed=2" "random:seed=3" \
            "endmem:" "endover:" "endrun:"; do
            arg=${c#*:}
            if [ -n "$arg" ]; then hostile "h-$mmu" "${c%%:*}.elf" --mmu "$mmu" -- "$arg"
            else hostile "h-$mmu" "${c%%:*}.elf" --mmu "$mmu"; fi
            rc=$(cat "$TMPD/h-$mmu.rc")
            errs=$(grep -c '^vmm-mem: error: ' "$TMPD/h-$mmu.out")
            if [ "$rc" -ge 128 ] || [ "$errs" -gt 1 ] || { [ "$rc" = 70 ] && [ "$errs" != 1 ]; }; then
                bad="$bad ${c}:status=$rc,errors=$errs"
            fi
        done
        if [ -z "$bad" ]; then ok "vmx $mmu: hostile guests end cleanly (no signal, one error line at most)"
        else notok "vmx $mmu: hostile guests end cleanly" "$bad"; fi
    done
else
    notok "vmx hostile guests" "$FG/*.elf missing (run make _all)"
fi

# Options.
expect_status "vmx --mmu nested: usage error (64)" 64 "$VMM" --engine vmx --mmu nested "$GUEST"
expect_status "vmx --ept-protect rw: usage error (64)" 64 "$VMM" --engine vmx --ept-protect rw "$GUEST"
expect_status "vmx --vpid maybe: usage error (64)" 64 "$VMM" --engine vmx --vpid maybe "$GUEST"
expect_status "bt --ept-protect: not bt's option (64)" 64 "$VMM" --engine bt --ept-protect ro "$GUEST"
finish
