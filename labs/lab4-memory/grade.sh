#!/bin/bash
# labs/lab4-memory/grade.sh — lab 4's graded tests (labs/README.md §3).
# Every test runs the teaching guest under build/vmm-mem --engine vmx --mmu
# ept (the VMX model with the VMM's EPT; the model CPU walks it in two
# dimensions with the student's ept_walk) and reads what --stats and the
# trace say: the guest must PASS (EPT is invisible to it), the walk must
# make the references SDM Vol. 3C §29.3.2 says, a broken entry must be the
# misconfiguration or violation of §29.3.3, and each violation's exit
# qualification must be Table 28-7's.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-mem
VMTRACE=$BUILD/vmtrace
T=$LAB_TMP

# ept ID PROGRAM [vmm options...]: run PROGRAM under EPT -> $T/ID
ept() {
    local id=$1 prog=$2; shift 2
    lab_run "$T/$id" "$VMM" --engine vmx --mmu ept --timeout "$LAB_TIMEOUT" --stats "$@" \
        "$GUEST" -- "test=$prog"
}
# passed ID PROGRAM: the run ended with status 0 and "PASS PROGRAM"
passed() { [ "$(lab_status "$T/$1")" = 0 ] && grep -q "^PASS $2\$" "$T/$1"; }
# failed_run NAME PTS ID PROGRAM OPTIONS: a FAIL line for a guest that did not pass
failed_run() {
    grade_fail "$1" "$2" "expected 'PASS $4' under EPT${5:+ with $5}, got $(lab_why "$T/$3")"
}
# walks ID: "W G E M F" from "ept: W walks (TLB misses): G guest + E EPT
# references, at most M in one walk, F full walks"
walks() {
    sed -n 's/^ept: \([0-9]*\) walks (TLB misses): \([0-9]*\) guest + \([0-9]*\) EPT references, at most \([0-9]*\) in one walk, \([0-9]*\) full.*/\1 \2 \3 \4 \5/p' "$T/$1"
}
# viol ID: "V R W X T M" from "ept: V violations (read R, write W, fetch X;
# T on guest page tables), M misconfigurations"
viol() {
    sed -n 's/^ept: \([0-9]*\) violations (read \([0-9]*\), write \([0-9]*\), fetch \([0-9]*\); \([0-9]*\) on guest page tables), \([0-9]*\) misconfigurations.*/\1 \2 \3 \4 \5 \6/p' "$T/$1"
}
perms() { sed -n 's/^ept: .*violations by EPT permissions found (XWR): *//p' "$T/$1"; }
restored() { sed -n 's/.* \([0-9]*\) violations handled by restoring access.*/\1/p' "$T/$1"; }

if [ ! -x "$VMM" ] || [ ! -x "$VMTRACE" ] || [ ! -f "$GUEST" ]; then
    grade_fail "build" 0 "$VMM, $VMTRACE or $GUEST missing: run make _all"
    grade_end
fi

# 1. The 2-D walk, every reference: with the EPT caches off every TLB miss
#    walks in full, 4 EPT references per guest-physical access: 4 + 1 + 4 +
#    1 + 4 = 14 for a 4 KiB page (4 with paging off).
ept w-off forkexit --ept-cache off
read -r w g e m f <<<"$(walks w-off)"
if ! passed w-off forkexit; then failed_run two_d_walk 20 w-off forkexit "--ept-cache off"
elif [ -z "$w" ] || [ "$m" != 14 ]; then
    grade_fail two_d_walk 20 "expected at most 14 references in one walk with the caches off (4 + 1 + 4 + 1 + 4), got ${m:-no walk line}: does ept_walk read and record (w->ref, w->nrefs) one entry per level, 4 levels?"
elif (( f == 0 || e < 4 * (w - 10) || g + e > 14 * w )); then
    grade_fail two_d_walk 20 "expected every one of $w walks to be full (4 EPT references per guest-physical access), got $e EPT and $g guest references, $f full walks"
else grade_pass two_d_walk 20; fi

# 2. Guest programs under EPT: paging, context switches, faults, SMC.
bad=""
for p in syscall pagefault ctxswitch exceptions smc; do
    ept "p-$p" "$p"
    passed "p-$p" "$p" || bad="$p: $(lab_why "$T/p-$p")"
    [ -n "$bad" ] && break
done
if [ -n "$bad" ]; then grade_fail programs_pass 10 "expected syscall, pagefault, ctxswitch, exceptions and smc to PASS under EPT, got $bad"
else grade_pass programs_pass 10; fi

# 3. Broken EPT entries (the VMLAB_EPT_INJECT hook of 04-memory/mem_vmx.c:
#    the leaf of the guest's first code page, 1 MiB): the first fetch is an
#    exit nobody handles, a fatal end (status 70) naming it.
inject() {  # inject NAME PTS HOW REASON RULE
    VMLAB_EPT_INJECT=$3 lab_run "$T/inj-$3" "$VMM" --engine vmx --mmu ept --timeout "$LAB_TIMEOUT" \
        "$GUEST" -- test=hello
    local name; name=$([ "$4" = 49 ] && echo misconfiguration || echo violation)
    if [ "$(lab_rc "$T/inj-$3")" = 70 ] && grep -q "no handler for exit reason $4 " "$T/inj-$3" &&
       grep -Eq "eip=0010000c EPT $name gpa=0x10000c" "$T/inj-$3"; then grade_pass "$1" "$2"
    else
        grade_fail "$1" "$2" "expected an EPT $name (exit $4) at the first fetch (gpa 0x10000c) and status 70 for $5, got $(lab_why "$T/inj-$3")"
    fi
}
inject misconfig_reserved_bit 5 rsvd 49 "a leaf with bit 45 set (beyond the 39-bit physical-address width)"
inject misconfig_memory_type 5 memtype 49 "a leaf with memory type 7"
inject misconfig_write_only 5 wonly 49 "a leaf with bits 2:0 = 010b (write without read)"
inject violation_not_present 5 absent 48 "a leaf with bits 2:0 = 000b (not present)"

# 4. MMIO: the local APIC page is not in the EPT; its first access is a
#    violation, after which the VMM marks it write-only (a misconfiguration
#    from then on, as KVM marks MMIO).  hello writes the APIC three times.
ept mmio hello
read -r v r wr x t mc <<<"$(viol mmio)"
if ! passed mmio hello; then failed_run mmio_violation_then_misconfig 10 mmio hello
elif [ "${v:-x}" != 1 ] || [ "${mc:-x}" != 2 ] || ! grep -q "3 MMIO exits on 1 pages" "$T/mmio"; then
    grade_fail mmio_violation_then_misconfig 10 "expected the APIC page to be 1 violation (not present) then 2 misconfigurations (write without read), got ${v:-?} violations and ${mc:-?} misconfigurations"
else grade_pass mmio_violation_then_misconfig 10; fi

# 5-6. The experiment: every RAM page read+execute (ro) or execute-only (xo)
#    in EPT; the VMM restores RWX at each violation.  The permissions AND
#    over the levels must forbid exactly what the leaf forbids.
ept ro ptemod --ept-protect ro --trace "$T/ro.trace"
read -r v r wr x t mc <<<"$(viol ro)"
ps=$(perms ro) rs=$(restored ro)
if ! passed ro ptemod; then failed_run violation_read_only 15 ro ptemod "--ept-protect ro"
elif [ "${r:-1}" != 0 ] || [ "${x:-1}" != 0 ] || (( ${wr:-0} < 2 )); then
    grade_fail violation_read_only 15 "expected only write violations with every page R+X (read 0, fetch 0), got read ${r:-?}, write ${wr:-?}, fetch ${x:-?}: is the access checked against the AND of R/W/X over the four levels?"
elif [ "$ps" != "---=1 x-r=$rs" ] || [ "$rs" != $((v - 1)) ]; then
    grade_fail violation_read_only 15 "expected the permissions found to be x-r for every RAM violation (and --- once, the APIC page), got '$ps' for $v violations ($rs restored)"
else grade_pass violation_read_only 15; fi
ept xo ptemod --ept-protect xo --trace "$T/xo.trace"
read -r v r wr x t mc <<<"$(viol xo)"
ps=$(perms xo) rs=$(restored xo)
if ! passed xo ptemod; then failed_run violation_execute_only 10 xo ptemod "--ept-protect xo"
elif [ "${x:-1}" != 0 ] || (( ${r:-0} == 0 || ${wr:-0} == 0 )); then
    grade_fail violation_execute_only 10 "expected read and write violations but no fetch violation with every page execute-only, got read ${r:-?}, write ${wr:-?}, fetch ${x:-?}"
elif [ "$ps" != "---=1 x--=$rs" ] || [ "$rs" != $((v - 1)) ]; then
    grade_fail violation_execute_only 10 "expected the permissions found to be x-- for every RAM violation, got '$ps' for $v violations ($rs restored)"
else grade_pass violation_execute_only 10; fi

# 7. The exit qualification of every violation (Table 28-7), as the trace
#    recorded it: ro, a write to the translation, EPT allowed r-x: 0x1aa;
#    xo, reads 0x1a1 and writes 0x1a2; the APIC page's first write, nothing
#    allowed: 0x182.
quals() { "$VMTRACE" "$1" 2>/dev/null | sed -n 's/.* EPT violation gpa=\(0x[0-9a-f]*\) .* qual=\(0x[0-9a-f]*\) .*/\1 \2/p'; }
qbad=$( { quals "$T/ro.trace" | awk '{ ok = ($1 ~ /^0xfee/) ? $2 == "0x182" : $2 == "0x1aa"; if (!ok) print "ro " $0 }'
          quals "$T/xo.trace" | awk '{ ok = ($1 ~ /^0xfee/) ? $2 == "0x182" : ($2 == "0x1a1" || $2 == "0x1a2"); if (!ok) print "xo " $0 }'
        } | head -n 3 | tr '\n' ';')
nq=$( { quals "$T/ro.trace"; quals "$T/xo.trace"; } | wc -l)
if ! passed ro ptemod || ! passed xo ptemod; then
    grade_fail exit_qualification 10 "expected ptemod to PASS with --ept-protect ro and xo, got $(lab_why "$T/ro") / $(lab_why "$T/xo")"
elif (( nq < 4 )) || [ -n "$qbad" ]; then
    grade_fail exit_qualification 10 "expected qualification 0x1aa (write, EPT allowed r-x, linear address valid, to the translation) under ro, 0x1a1/0x1a2 under xo, 0x182 for the APIC page, got (gpa qual) ${qbad:-only $nq violations}: bits 2:0 the access, 5:3 the permissions, 7 and 8"
else grade_pass exit_qualification 10; fi

# 8. EPT accessed and dirty flags (EPTP bit 6): setting them must not break
#    the walk (A in every entry used, D in the leaf on a write, §29.3.5).
ept ad-pte ptemod --ept-ad on
ept ad-fork forkexit --ept-ad on
if ! passed ad-pte ptemod; then failed_run ept_accessed_dirty 5 ad-pte ptemod "--ept-ad on"
elif ! passed ad-fork forkexit; then failed_run ept_accessed_dirty 5 ad-fork forkexit "--ept-ad on"
else grade_pass ept_accessed_dirty 5; fi

grade_end
