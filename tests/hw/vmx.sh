#!/bin/bash
# tests/hw/vmx.sh — stage 03's software VMX model (build/vmm-hw --engine vmx).
#  - every guest program passes under vmx; sensitive observes exactly what
#    it observes under the reference interpreter (differential, point 5);
#  - control experiments: the same program under different VMX controls
#    gives the same PASS while the exit profile changes as SDM Vol. 3C
#    §26.1 says it must (HLT exiting, I/O bitmaps, CR3-load exiting, RDTSC
#    exiting, exception bitmap, INVLPG exiting, external-interrupt exiting);
#  - VM-entry failures: a bad guest state is exit reason 0x80000021 naming
#    the field, a reserved control bit is VMfailValid error 7; both status 70
#    with one error line; a bad --vmx-controls list is status 64.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-hw
PROGRAMS="hello syscall pagefault ctxswitch timer exceptions sensitive smc compute inout ptemod divzero callret fpu virtio_blk iommu ata"
if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
    notok "vmx tests" "$VMM or $GUEST missing (run make _all)"
    finish
fi

run() {  # run ID ENGINE CMDLINE [vmm options...]  -> $TMPD/ID.out, $TMPD/ID.rc
    local id=$1 engine=$2 cmdline=$3; shift 3
    while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
    ( timeout 120 "$VMM" --engine "$engine" --timeout 60 --stats "$@" "$GUEST" -- "$cmdline" \
        >"$TMPD/$id.out" 2>&1 </dev/null; echo $? >"$TMPD/$id.rc" ) &
}
rc() { cat "$TMPD/$1.rc" 2>/dev/null || echo missing; }
# exits ID REASON: the count of exit reason number REASON in --stats (0 if absent).
exits() {
    awk -v r="$2" '/^  .* [0-9]+ +[0-9]+ +[0-9]+ ns$/ { if ($(NF-3) == r) { print $(NF-2); f=1 } }
                   END { if (!f) print 0 }' "$TMPD/$1.out"
}
passed() {  # passed NAME ID PROGRAM
    if [ "$(rc "$2")" = 0 ] && grep -q "^PASS $3\$" "$TMPD/$2.out"; then ok "$1"
    else notok "$1" "status $(rc "$2"), no 'PASS $3'; last: $(tail -n 3 "$TMPD/$2.out" | tr '\n' '|')"; fi
}
check() {  # check NAME CONDITION-TEXT: ok if the arithmetic condition holds
    if (( $2 )); then ok "$1"; else notok "$1" "expected $2 ($3)"; fi
}

for p in $PROGRAMS; do run "p-$p" vmx "test=$p"; done
run i-sens interp "test=sensitive"
# Experiments: A/B pairs on the program that exercises the control.
run hlt-on   vmx "test=timer"      --vmx-controls hlt=on
run hlt-off  vmx "test=timer"      --vmx-controls hlt=off
run io-all   vmx "test=inout"
run io-uart  vmx "test=inout"      --vmx-controls io=bitmap:0x3f8-0x3ff
run cr3-off  vmx "test=ctxswitch"  --vmx-controls cr3load=off
run cr3-on   vmx "test=ctxswitch"  --vmx-controls cr3load=on
run tsc-on   vmx "test=syscall"    --vmx-controls rdtsc=on
run pf-on    vmx "test=pagefault"  --vmx-controls excbitmap=0x4000
run pf-inv   vmx "test=pagefault"  --vmx-controls vmwrite=PAGE_FAULT_ERROR_CODE_MATCH:1
run inv-on   vmx "test=ptemod"     --vmx-controls invlpg=on,cr3store=on
run ext-off  vmx "test=timer"      --vmx-controls extint=off
run s-mixed  vmx "test=sensitive"  --vmx-controls hlt=off,io=bitmap:0x3f8-0x3ff,cr3load=on,rdtsc=on,excbitmap=0xffffffff,invlpg=on
# VM-entry failures and bad input.
run badcr0   vmx "test=hello"      --vmx-controls vmwrite=GUEST_CR0:0x80000030
run badpin   vmx "test=hello"      --vmx-controls vmwrite=PIN_BASED_VM_EXEC_CONTROL:0
run badlink  vmx "test=hello"      --vmx-controls vmwrite=VMCS_LINK_POINTER:0
run badopt   vmx "test=hello"      --vmx-controls hlt=maybe
wait

for p in $PROGRAMS; do passed "vmx $p: status 0 and PASS" "p-$p" "$p"; done

# Differential: sensitive's observations under vmx equal interp's, line by line.
for ring in 0 3; do
    a=$(grep "^RESULT sensitive ring=$ring " "$TMPD/p-sensitive.out")
    b=$(grep "^RESULT sensitive ring=$ring " "$TMPD/i-sens.out")
    c=$(grep "^RESULT sensitive ring=$ring " "$TMPD/s-mixed.out")
    if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "sensitive ring $ring: vmx observes what interp observes"
    else notok "sensitive ring $ring: vmx vs interp" "vmx '$a' | interp '$b'"; fi
    if [ -n "$c" ] && [ "$c" = "$b" ]; then ok "sensitive ring $ring: same with every exit control on"
    else notok "sensitive ring $ring: many controls vs interp" "vmx '$c' | interp '$b'"; fi
done

# HLT exiting (primary control 7): HLT exits appear only when it is on; with
# it off the CPU halts inside non-root operation (HLT-state waits).
passed "hlt=on: timer passes" hlt-on timer
passed "hlt=off: timer passes" hlt-off timer
h1=$(exits hlt-on 12); h0=$(exits hlt-off 12)
check "hlt=on: HLT exits appear ($h1)" "$h1 > 0" "HLT exits with HLT exiting on"
check "hlt=off: no HLT exit ($h0)" "$h0 == 0" "no HLT exit with HLT exiting off"
waits=$(grep -o '[0-9]* HLT-state waits' "$TMPD/hlt-off.out" | cut -d' ' -f1)
check "hlt=off: the CPU waited in the HLT activity state (${waits:-none})" "${waits:-0} > 0" "HLT-state waits"

# I/O bitmaps (primary control 25): only ports whose bit is set exit.
passed "io=bitmap UART only: inout passes" io-uart inout
ports_all=$(grep 'I/O exits by port' "$TMPD/io-all.out")
ports_uart=$(grep 'I/O exits by port' "$TMPD/io-uart.out")
if echo "$ports_all" | grep -q ' 0x20=' && echo "$ports_all" | grep -q ' 0x40='; then
    ok "unconditional I/O exiting: PIC and PIT port exits appear"
else notok "unconditional I/O exiting: PIC/PIT exits" "$ports_all"; fi
others=""
for p in $(echo "$ports_uart" | grep -o ' 0x[0-9a-f]*=' | tr -d ' ='); do
    (( p < 0x3f8 || p > 0x3ff )) && others="$others $p"
done
if [ -n "$ports_uart" ] && [ -z "$others" ] && echo "$ports_uart" | grep -q ' 0x3f8='; then
    ok "io=bitmap:0x3f8-0x3ff: only UART ports exit ($ports_uart)"
else notok "io=bitmap:0x3f8-0x3ff: only UART ports exit" "other ports: '$others' in '$ports_uart'"; fi

# CR3-load exiting (primary control 15): MOV to CR3 exits only when on.
passed "cr3load=off: ctxswitch passes" cr3-off ctxswitch
passed "cr3load=on: ctxswitch passes" cr3-on ctxswitch
c0=$(exits cr3-off 28); c1=$(exits cr3-on 28)
check "cr3load=off: no control-register exit ($c0)" "$c0 == 0" "CR exits with CR3-load exiting off"
check "cr3load=on: control-register exits appear ($c1)" "$c1 > 0" "CR exits with CR3-load exiting on"

# RDTSC exiting (primary control 12).
passed "rdtsc=on: syscall passes" tsc-on syscall
t0=$(exits p-syscall 16); t1=$(exits tsc-on 16)
check "rdtsc=off (default): no RDTSC exit ($t0)" "$t0 == 0" "RDTSC exits by default"
check "rdtsc=on: RDTSC exits appear ($t1)" "$t1 > 0" "RDTSC exits with RDTSC exiting on"

# Exception bitmap bit 14: every #PF exits and the VMM reinjects it.
passed "excbitmap=0x4000: pagefault passes" pf-on pagefault
e0=$(exits p-pagefault 0); e1=$(exits pf-on 0)
check "exception bitmap 0: no exception exit ($e0)" "$e0 == 0" "exception exits by default"
check "exception bitmap #PF: exception exits appear ($e1)" "$e1 > 0" "exception exits with bit 14"
expect_grep "exception bitmap #PF: the VMM reinjected vector 14" 'vector 14 reinjected [1-9]' "$TMPD/pf-on.out"
# SDM Vol. 3C §26.2: with bit 14 CLEAR, a #PF exits when (PFEC & MASK) != MATCH.
passed "excbitmap=0, PFEC_MATCH=1: pagefault passes" pf-inv pagefault
e2=$(exits pf-inv 0)
check "bit 14 clear, PFEC mask 0 != match 1: every #PF exits ($e2)" "$e2 > 0" "exception exits, inverted PFEC rule"

# INVLPG exiting (primary control 9) and CR3-store exiting (16).
passed "invlpg=on,cr3store=on: ptemod passes" inv-on ptemod
i0=$(exits p-ptemod 14); i1=$(exits inv-on 14)
check "invlpg=off (default): no INVLPG exit ($i0)" "$i0 == 0" "INVLPG exits by default"
check "invlpg=on: INVLPG exits appear ($i1)" "$i1 > 0" "INVLPG exits with INVLPG exiting on"

# External-interrupt exiting (pin-based control 0): off = the CPU takes the
# PIC's interrupts through the guest IDT; no reason 1 or 7 exits at all.
passed "extint=off: timer passes" ext-off timer
x1=$(exits hlt-on 1); x0=$(exits ext-off 1); w0=$(exits ext-off 7)
check "extint=on (default): external-interrupt exits appear ($x1)" "$x1 > 0" "reason 1 exits"
check "extint=off: no external-interrupt or window exit ($x0, $w0)" "$x0 + $w0 == 0" "reason 1/7 exits"

# VM-entry failures (SDM Vol. 3C §27.3, §27.8; VM-instruction errors §31.4).
[ "$(rc badcr0)" = 70 ] && ok "bad GUEST_CR0: status 70" || notok "bad GUEST_CR0: status" "$(rc badcr0)"
expect_grep "bad GUEST_CR0: exit reason 0x80000021 decoded" 'VM-entry failure due to invalid guest state.*0x80000021' "$TMPD/badcr0.out"
expect_grep "bad GUEST_CR0: names the field and the rule" 'GUEST_CR0 \(0x6800\) = 0x80000030: PG \(bit 31\) is 1 but PE \(bit 0\) is 0' "$TMPD/badcr0.out"
nerr=$(grep -c '^vmm-hw: error: VM entry failed' "$TMPD/badcr0.out")
[ "$nerr" = 1 ] && ok "bad GUEST_CR0: one error line" || notok "bad GUEST_CR0: one error line" "$nerr lines"
expect_grep "bad GUEST_CR0: exit history printed on the fatal end" 'last [0-9]+ of [0-9]+ exits' "$TMPD/badcr0.out"
[ "$(rc badpin)" = 70 ] && ok "reserved pin-based bit: status 70" || notok "reserved pin-based bit: status" "$(rc badpin)"
expect_grep "reserved pin-based bit: VMfailValid error 7 naming the field" 'VMLAUNCH failed \(VM-instruction error 7\): PIN_BASED_VM_EXEC_CONTROL = 0x00000000: bit 1 must be 1' "$TMPD/badpin.out"
[ "$(rc badlink)" = 70 ] && ok "bad VMCS link pointer: status 70" || notok "bad VMCS link pointer: status" "$(rc badlink)"
expect_grep "bad VMCS link pointer: named" 'VMCS_LINK_POINTER \(0x2800\) = 0x0: must be 0xffffffffffffffff' "$TMPD/badlink.out"
[ "$(rc badopt)" = 64 ] && ok "bad --vmx-controls: status 64" || notok "bad --vmx-controls: status" "$(rc badopt)"
expect_grep "bad --vmx-controls: one line" '^vmm-hw: error: --vmx-controls: hlt=maybe: expected on or off$' "$TMPD/badopt.out"

finish
