#!/bin/bash
# labs/lab3-hw-assisted/grade.sh — lab 3's graded tests (labs/README.md §3).
# Every test runs the teaching guest under build/vmm-hw --engine vmx with
# some VMX controls and reads the exit profile that --stats prints: the
# guest must PASS whatever the controls (only the exits change), and the
# exits must be the ones SDM Vol. 3C §26.1-26.2 says those controls cause.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-hw
T=$LAB_TMP

# vmx ID PROGRAM [CONTROLS]: run PROGRAM under the VMX model -> $T/ID
vmx() {
    local id=$1 prog=$2 ctl=${3:-}
    lab_run "$T/$id" "$VMM" --engine vmx --timeout "$LAB_TIMEOUT" --stats ${ctl:+--vmx-controls "$ctl"} \
        "$GUEST" -- "test=$prog"
}
# passed ID PROGRAM: the run ended with status 0 and "PASS PROGRAM"
passed() { [ "$(lab_rc "$T/$1")" = 0 ] && grep -q "^PASS $2\$" "$T/$1"; }
# exits ID REASON: how many exits of basic reason REASON --stats counted (0 if none)
exits() {
    awk -v r="$2" '/^  .* [0-9]+ +[0-9]+ +[0-9]+ ns$/ { if ($(NF-3) == r) { print $(NF-2); f=1 } }
                   END { if (!f) print 0 }' "$T/$1"
}
# ports ID: the "I/O exits by port" list of --stats, e.g. " 0x20=7 0x3f8=213"
ports() { sed -n 's/^vmx: I\/O exits by port://p' "$T/$1"; }
# failed_run NAME PTS ID PROGRAM CONTROLS: a FAIL line for a guest that did not pass
failed_run() {
    grade_fail "$1" "$2" "expected 'PASS $4' with --vmx-controls ${5:-(defaults)}, got $(lab_why "$T/$3")"
}

if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
    grade_fail "build" 0 "$VMM or $GUEST missing: run make _all"
    grade_end
fi

# 1. HLT exiting (primary bit 7): the guest kernel sleeps in HLT while it
#    calibrates the TSC against the timer at boot, whatever program runs.
#    (Not test=timer: it also checks the tick rate against the TSC, a
#    wall-clock measurement, and grading must not depend on timing.)
vmx hlt-on hello hlt=on
vmx hlt-off hello hlt=off
if ! passed hlt-on hello; then failed_run hlt_exiting 10 hlt-on hello hlt=on
elif ! passed hlt-off hello; then failed_run hlt_exiting 10 hlt-off hello hlt=off
elif (( $(exits hlt-on 12) == 0 )); then
    grade_fail hlt_exiting 10 "expected HLT exits (reason 12) with HLT exiting on, got 0: does control_exits() return the CPU_BASED_HLT_EXITING bit for EXIT_HLT?"
elif (( $(exits hlt-off 12) != 0 )); then
    grade_fail hlt_exiting 10 "expected 0 HLT exits with HLT exiting off, got $(exits hlt-off 12): does the policy check CPU_BASED_HLT_EXITING?"
else grade_pass hlt_exiting 10; fi

# 2. RDTSC exiting (bit 12): syscall reads the TSC around its loop.
vmx tsc-off syscall
vmx tsc-on syscall rdtsc=on
if ! passed tsc-off syscall; then failed_run rdtsc_exiting 5 tsc-off syscall
elif ! passed tsc-on syscall; then failed_run rdtsc_exiting 5 tsc-on syscall rdtsc=on
elif (( $(exits tsc-off 16) != 0 )); then
    grade_fail rdtsc_exiting 5 "expected 0 RDTSC exits (reason 16) with RDTSC exiting off (the default), got $(exits tsc-off 16)"
elif (( $(exits tsc-on 16) == 0 )); then
    grade_fail rdtsc_exiting 5 "expected RDTSC exits with rdtsc=on, got 0: does control_exits() check CPU_BASED_RDTSC_EXITING for EXIT_RDTSC?"
else grade_pass rdtsc_exiting 5; fi

# 3. INVLPG exiting (bit 9): ptemod flips a PTE's R/W bit and INVLPGs it 200 times.
vmx inv-off ptemod
vmx inv-on ptemod invlpg=on
if ! passed inv-off ptemod; then failed_run invlpg_exiting 5 inv-off ptemod
elif (( $(exits inv-off 14) != 0 )); then
    grade_fail invlpg_exiting 5 "expected 0 INVLPG exits (reason 14) with INVLPG exiting off, got $(exits inv-off 14)"
elif (( $(exits inv-on 14) == 0 )); then
    grade_fail invlpg_exiting 5 "expected INVLPG exits with invlpg=on, got 0 ($(lab_why "$T/inv-on")): does control_exits() check CPU_BASED_INVLPG_EXITING?"
else grade_pass invlpg_exiting 5; fi

# 4. The INVLPG handler: the CPU did not invalidate, the VMM must; ptemod
#    checks that a write to the page faults once it is read-only again.
if ! passed inv-on ptemod; then
    if grep -q '^FAIL\|ro_write_fault=0' "$T/inv-on"; then
        grade_fail invlpg_handler 10 "expected ptemod to pass with invlpg=on, got '$(grep -m1 '^FAIL\|RESULT ptemod' "$T/inv-on")': does the INVLPG handler call ops->invlpg with the qualification (the linear address)?"
    elif [ "$(lab_rc "$T/inv-on")" = 124 ]; then
        grade_fail invlpg_handler 10 "expected ptemod to finish with invlpg=on, got a timeout: does the handler advance EIP by the VM-exit instruction length (skip())?"
    else failed_run invlpg_handler 10 inv-on ptemod invlpg=on; fi
else grade_pass invlpg_handler 10; fi

# 5. CR3-load exiting (bit 15): ctxswitch switches address spaces ~1000 times.
vmx cr3-off ctxswitch
lab_run "$T/cr3-on" "$VMM" --engine vmx --timeout "$LAB_TIMEOUT" --stats --vmx-controls cr3load=on \
    --trace "$T/cr3.trace" "$GUEST" -- test=ctxswitch
if ! passed cr3-off ctxswitch; then failed_run cr3_load_exiting 10 cr3-off ctxswitch
elif ! passed cr3-on ctxswitch; then failed_run cr3_load_exiting 10 cr3-on ctxswitch cr3load=on
elif (( $(exits cr3-off 28) != 0 )); then
    grade_fail cr3_load_exiting 10 "expected 0 control-register exits (reason 28) with CR3-load exiting off, got $(exits cr3-off 28)"
elif (( $(exits cr3-on 28) == 0 )); then
    grade_fail cr3_load_exiting 10 "expected control-register exits with cr3load=on, got 0: does cr_exits() check CPU_BASED_CR3_LOAD_EXITING?"
else grade_pass cr3_load_exiting 10; fi

# 6. CR3-target values: a MOV to CR3 of one of the first CR3_TARGET_COUNT
#    target values does not exit.  The values are the guest's own CR3s,
#    taken from the trace of the run above; the two most frequent become
#    targets, the expected exit count is that of the remaining loads.
"$BUILD/vmtrace" "$T/cr3.trace" 2>/dev/null | grep -o '> cr3 value=0x[0-9a-f]*' | cut -d= -f2 |
    sort | uniq -c | sort -rn >"$T/cr3.values"
t0=$(awk 'NR==1 {print $2}' "$T/cr3.values"); t1=$(awk 'NR==2 {print $2}' "$T/cr3.values")
rest=$(awk 'NR>2 {n += $1} END {print n+0}' "$T/cr3.values")
if [ -z "$t0" ] || [ -z "$t1" ]; then
    grade_fail cr3_target_values 5 "expected CR3 loads in the trace of ctxswitch with cr3load=on, got none: $(lab_why "$T/cr3-on")"
else
    tv="cr3load=on,vmwrite=CR3_TARGET_VALUE0:$t0,vmwrite=CR3_TARGET_VALUE1:$t1"
    vmx cr3-t2 ctxswitch "$tv,vmwrite=CR3_TARGET_COUNT:2"
    vmx cr3-t1 ctxswitch "$tv,vmwrite=CR3_TARGET_COUNT:1"
    n2=$(exits cr3-t2 28); n1=$(exits cr3-t1 28)
    if ! passed cr3-t2 ctxswitch; then failed_run cr3_target_values 5 cr3-t2 ctxswitch "$tv"
    elif (( n2 != rest )); then
        grade_fail cr3_target_values 5 "expected $rest CR3-load exits with targets $t0 and $t1 (count 2), got $n2: does a load of a CR3-target value (first CR3_TARGET_COUNT of them) skip the exit?"
    elif (( n1 <= rest )); then
        grade_fail cr3_target_values 5 "expected more than $rest CR3-load exits with CR3_TARGET_COUNT=1 (only $t0 is a target), got $n1: are only the first CR3_TARGET_COUNT values compared?"
    else grade_pass cr3_target_values 5; fi
fi

# 7. CR3-store exiting (bit 16): MOV from CR3 exits; what the guest reads is unchanged.
lab_run "$T/i-sens" "$BUILD/vmm-hw" --engine interp --timeout "$LAB_TIMEOUT" "$GUEST" -- test=sensitive
vmx st-off sensitive
vmx st-on sensitive cr3store=on
if ! passed st-on sensitive; then failed_run cr3_store_exiting 5 st-on sensitive cr3store=on
elif (( $(exits st-off 28) != 0 )); then
    grade_fail cr3_store_exiting 5 "expected 0 control-register exits for sensitive by default (CR0/CR4 reads never exit), got $(exits st-off 28)"
elif (( $(exits st-on 28) == 0 )); then
    grade_fail cr3_store_exiting 5 "expected control-register exits with cr3store=on, got 0: does cr_exits() check CPU_BASED_CR3_STORE_EXITING for MOV from CR3?"
else grade_pass cr3_store_exiting 5; fi

# 8. Unconditional I/O exiting (bit 24) and no I/O exiting at all.
vmx io-all inout io=all
vmx io-none inout io=none
pa=$(ports io-all)
if ! passed io-all inout; then failed_run io_unconditional 10 io-all inout io=all
elif ! passed io-none inout; then failed_run io_unconditional 10 io-none inout io=none
elif ! [[ "$pa" == *" 0x20="* && "$pa" == *" 0x3f8="* ]]; then
    grade_fail io_unconditional 10 "expected exits on the PIC (0x20) and the UART (0x3f8) with unconditional I/O exiting, got ports:${pa:- none}: does io_exits() return the CPU_BASED_UNCOND_IO_EXITING bit?"
elif (( $(exits io-none 30) != 0 )); then
    grade_fail io_unconditional 10 "expected 0 I/O exits (reason 30) with neither I/O control set, got $(exits io-none 30)"
else grade_pass io_unconditional 10; fi

# 9. I/O bitmaps (bit 25): only the ports whose bit is set exit.
vmx io-uart inout io=bitmap:0x3f8-0x3ff
vmx io-pic  inout io=bitmap:0x20-0x21+0xa0-0xa1
pu=$(ports io-uart); pp=$(ports io-pic)
bad_u=$(echo "$pu" | tr ' ' '\n' | cut -d= -f1 | while read -r p; do
    [ -n "$p" ] && (( p < 0x3f8 || p > 0x3ff )) && printf ' %s' "$p"; done)
bad_p=$(echo "$pp" | tr ' ' '\n' | cut -d= -f1 | while read -r p; do
    [ -n "$p" ] && ! (( p == 0x20 || p == 0x21 || p == 0xa0 || p == 0xa1 )) && printf ' %s' "$p"; done)
if ! passed io-uart inout; then failed_run io_bitmap 10 io-uart inout io=bitmap:0x3f8-0x3ff
elif ! passed io-pic inout; then failed_run io_bitmap 10 io-pic inout io=bitmap:0x20-0x21+0xa0-0xa1
elif [ -n "$bad_u" ] || [[ "$pu" != *" 0x3f8="* ]]; then
    grade_fail io_bitmap 10 "expected I/O exits only on ports 0x3f8-0x3ff (their bits set in bitmap A), got ports:${pu:- none}: does io_exits() look up each port's bit in IO_BITMAP_A/B instead of exiting on all?"
elif [ -n "$bad_p" ] || [[ "$pp" != *" 0x20="* ]]; then
    grade_fail io_bitmap 10 "expected I/O exits only on the PIC ports 0x20-0x21, 0xa0-0xa1, got ports:${pp:- none}: bit n of the bitmap is bit n%8 of byte n/8"
else grade_pass io_bitmap 10; fi

# 9b. Every port an access touches (§26.1.3).  test=iowidth makes, 100
#     times each, a word OUT and IN at 0x510 (ports 0x510-0x511), a dword
#     IN at 0x50e (0x50e-0x511), a word OUT at 0xffff (past the last port:
#     it wraps) and a byte OUT at 0x510 (0x510 alone).  Only port 0x511's
#     bit is set: all but the byte access exit.
vmx io-wide iowidth io=bitmap:0x511
pw=$(ports io-wide)
if ! passed io-wide iowidth; then failed_run io_bitmap_every_port 5 io-wide iowidth io=bitmap:0x511
elif [[ " $pw " != *" 0x510=200 "* || " $pw " != *" 0x50e=100 "* ]]; then
    grade_fail io_bitmap_every_port 5 "expected 200 exits at 0x510 (word IN/OUT over 0x510-0x511) and 100 at 0x50e (dword over 0x50e-0x511) with only port 0x511's bit set, got ports:${pw:- none}: does io_exits() test every port from io->port to io->port + size - 1, not the first one only?"
elif [[ " $pw " != *" 0xffff=100 "* ]]; then
    grade_fail io_bitmap_every_port 5 "expected 100 exits at 0xffff (a word access there wraps past the last port, and such an access always exits with I/O bitmaps), got ports:${pw:- none}"
elif [ "$(wc -w <<<"$pw")" != 3 ]; then
    grade_fail io_bitmap_every_port 5 "expected exits only at 0x50e, 0x510 (words and dwords) and 0xffff, got ports:${pw}: a byte access at 0x510 touches only 0x510, whose bit is clear"
else grade_pass io_bitmap_every_port 5; fi

# 10. Exception bitmap: #DE (bit 0) and #PF (bit 14) exit and are reinjected.
vmx de-on divzero excbitmap=0x1
vmx pf-off pagefault
vmx pf-on pagefault excbitmap=0x4000
if ! passed de-on divzero; then failed_run exception_bitmap 10 de-on divzero excbitmap=0x1
elif ! passed pf-on pagefault; then failed_run exception_bitmap 10 pf-on pagefault excbitmap=0x4000
elif (( $(exits de-on 0) < 200 )); then
    grade_fail exception_bitmap 10 "expected at least 200 exception exits (reason 0) for divzero's 200 #DE with bitmap bit 0 set, got $(exits de-on 0): is the vector's bit of EXCEPTION_BITMAP tested?"
elif (( $(exits pf-off 0) != 0 )); then
    grade_fail exception_bitmap 10 "expected 0 exception exits with an empty exception bitmap, got $(exits pf-off 0)"
elif (( $(exits pf-on 0) == 0 )); then
    grade_fail exception_bitmap 10 "expected #PF exits with bit 14 set (PFEC mask = match = 0), got 0"
else grade_pass exception_bitmap 10; fi

# 11. The #PF error-code rule (§26.2).  pagefault's faults are all
#     not-present (P=0); ptemod's write to a read-only page is P=1.
vmx pfp-pf pagefault excbitmap=0x4000,vmwrite=PAGE_FAULT_ERROR_CODE_MASK:1,vmwrite=PAGE_FAULT_ERROR_CODE_MATCH:1
vmx pfp-pte ptemod excbitmap=0x4000,vmwrite=PAGE_FAULT_ERROR_CODE_MASK:1,vmwrite=PAGE_FAULT_ERROR_CODE_MATCH:1
vmx pfinv pagefault vmwrite=PAGE_FAULT_ERROR_CODE_MATCH:1
if ! passed pfp-pf pagefault; then failed_run pfec_mask_match 10 pfp-pf pagefault "excbitmap=0x4000,PFEC mask=1,match=1"
elif ! passed pfp-pte ptemod; then failed_run pfec_mask_match 10 pfp-pte ptemod "excbitmap=0x4000,PFEC mask=1,match=1"
elif (( $(exits pfp-pf 0) != 0 )); then
    grade_fail pfec_mask_match 10 "expected 0 #PF exits for not-present faults with bit 14 set, PFEC mask=1 match=1, got $(exits pfp-pf 0): is (error code & PFEC_MASK) == PFEC_MATCH required?"
elif (( $(exits pfp-pte 0) == 0 )); then
    grade_fail pfec_mask_match 10 "expected #PF exits for protection faults (P=1) with PFEC mask=1 match=1, got 0"
elif (( $(exits pfinv 0) == 0 )); then
    grade_fail pfec_mask_match 10 "expected every #PF to exit with bit 14 CLEAR and PFEC mask=0 != match=1 (the inverted rule), got 0: with bit 14 clear a #PF exits when they differ"
else grade_pass pfec_mask_match 10; fi

# 12. The CR-access handler: MOV to CR0 (the VMM owns PG and PE through the
#     guest/host mask, so turning paging on exits), MOV to/from CR3; the guest
#     must observe exactly what it observes without VT-x (the interpreter).
ctl="cr3load=on,cr3store=on,vmwrite=CR0_GUEST_HOST_MASK:0x80000021"
vmx cr-mix sensitive "$ctl"
a=$(grep '^RESULT sensitive' "$T/cr-mix"); b=$(grep '^RESULT sensitive' "$T/i-sens")
if ! passed cr-mix sensitive; then
    if [ "$(lab_rc "$T/cr-mix")" = 124 ]; then
        grade_fail cr_access_handler 5 "expected sensitive to finish with $ctl, got a timeout: after emulating, is EIP advanced by the VM-exit instruction length?"
    else failed_run cr_access_handler 5 cr-mix sensitive "$ctl"; fi
elif (( $(exits cr-mix 28) < 3 )); then
    grade_fail cr_access_handler 5 "expected at least 3 control-register exits (CR0 with PG, CR3 loads and stores) with $ctl, got $(exits cr-mix 28)"
elif [ -z "$b" ] || [ "$a" != "$b" ]; then
    grade_fail cr_access_handler 5 "expected sensitive to observe what it observes under the interpreter, got '$a' vs '$b': MOV from CR must give the guest's view (ops->get_cr)"
else grade_pass cr_access_handler 5; fi

# 13. LMSW (SDM Vol. 2A "LMSW"): it loads PE, MP, EM and TS from its operand
#     but can only set PE, never clear it.  test=lmsw, 100 times: LMSW with
#     PE=0 and TS flipped, read CR0, LMSW to restore TS; the VMM owns TS (and
#     PE, PG) through the CR0 guest/host mask, so every LMSW exits (200).
ctl="vmwrite=CR0_GUEST_HOST_MASK:0x80000029"
vmx lmsw lmsw "$ctl"
if ! passed lmsw lmsw; then
    if grep -q '^RESULT lmsw .*pe_cleared=[1-9]' "$T/lmsw" || grep -q '^FAIL lmsw .*PE' "$T/lmsw"; then
        grade_fail lmsw_keeps_pe 5 "expected CR0.PE to stay 1 after LMSW with PE=0, got '$(grep -m1 -E '^FAIL lmsw|^RESULT lmsw' "$T/lmsw")': LMSW can set PE, never clear it (keep the old PE in cr_access)"
    else grade_fail lmsw_keeps_pe 5 "expected 'PASS lmsw' with --vmx-controls $ctl, got $(lab_why "$T/lmsw"): did an LMSW that clears PE reach set_cr (a refused CR0 leaves TS unloaded) or crash the guest?"; fi
elif (( $(exits lmsw 28) < 200 )); then
    grade_fail lmsw_keeps_pe 5 "expected 200 control-register exits (every LMSW changes the VMM-owned TS) with $ctl, got $(exits lmsw 28)"
else grade_pass lmsw_keeps_pe 5; fi

grade_end
