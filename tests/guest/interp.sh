#!/bin/bash
# tests/guest/interp.sh — the teaching guest under build/vmm-bt --engine interp,
# the reference interpreter.  Our VMMs exit with the guest's debug-exit value
# itself (0 pass, 1 FAIL, 2 bad command line, 3 bad module).
#  - every program passes with its RESULT and PASS lines, and test=all;
#  - a user ELF passed with --module runs;
#  - the module ABI's process services (abi-user.elf): argv from the words
#    after "--", brk, clock_gettime and SYS_tsc_hz; a module's exit code is
#    the verdict;
#  - `sensitive` observes exactly what it observes under QEMU (the reference
#    machine): the architectural answers are the same on both;
#  - compute prints the same checksums as the native build;
#  - the guest's own bad-input paths reach the VMM's exit status.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-bt
PROGRAMS="hello syscall pagefault ctxswitch timer exceptions sensitive smc compute inout ptemod divzero callret fpu virtio_blk iommu ata"
if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
    notok "interp guest tests" "$VMM or $GUEST missing (run make _all)"
    finish
fi

interp() {  # interp OUT CMDLINE [vmm options...]
    local out=$1 cmdline=$2; shift 2
    timeout 120 "$VMM" --engine interp --timeout 60 "$@" "$GUEST" -- "$cmdline" >"$out" 2>&1 </dev/null
}

echo "not an ELF file, just text" >"$TMPD/notelf.txt"
for p in $PROGRAMS; do start_case "p-$p" interp "$TMPD/p-$p.out" "test=$p"; done
start_case all     interp "$TMPD/all.out" "test=all"
start_case module  interp "$TMPD/module.out" "test=module" --module "$BUILD/guest/hello-user.elf"
start_case abi     interp "$TMPD/abi.out" "test=module -- alpha 42 x=y" --module "$BUILD/guest/abi-user.elf"
start_case abiexit interp "$TMPD/abiexit.out" "test=module -- exit 7" --module "$BUILD/guest/abi-user.elf"
start_case unknown interp "$TMPD/unknown.out" "test=no_such_program"
start_case notelf  interp "$TMPD/notelf.out" "test=module" --module "$TMPD/notelf.txt"
start_case compute interp "$TMPD/compute.out" "test=compute iters=3"
command -v qemu-system-i386 >/dev/null && start_case qsens qemu_i386 "$TMPD/qsens.out" "test=sensitive"
wait

for p in $PROGRAMS; do
    case_status "p-$p" 0 "interp $p: status 0"
    expect_grep "interp $p: RESULT line" "^RESULT $p " "$TMPD/p-$p.out"
    expect_grep "interp $p: PASS line" "^PASS $p\$" "$TMPD/p-$p.out"
done
case_status all 0 "interp test=all: status 0"
no_line all '^FAIL ' "interp test=all: no FAIL"
case_status module 0 "interp --module hello-user.elf: status 0"
expect_grep "interp module: PASS line" '^PASS module$' "$TMPD/module.out"
case_status abi 0 "interp abi-user.elf: status 0"
no_line abi '^ABI FAIL' "interp abi-user.elf: no failed check"
expect_grep "interp abi: argv from the words after --, Linux's initial stack" \
    '^ABI argc=4 argv=module,alpha,42,x=y envp=empty align=16$' "$TMPD/abi.out"
expect_grep "interp abi: brk grows, shrinks, frees, refuses outside the heap" '^ABI brk=ok$' \
    "$TMPD/abi.out"
expect_grep "interp abi: clock_gettime below 1 ms resolution, 2 ticks ~ 20 ms (2-200)" \
    '^ABI clock_res_ns=[0-9]* tick2_ns=[0-9]* tsc_hz=[0-9]*$' "$TMPD/abi.out"
hz=$(sed -n 's/^ABI .* tsc_hz=\([0-9]*\).*/\1/p' "$TMPD/abi.out")
tpt=$(sed -n 's/.*tsc_per_tick=\([0-9]*\).*/\1/p' "$TMPD/abi.out")
if [ -n "$hz" ] && [ -n "$tpt" ] && [ "$hz" = $((tpt * 100)) ]; then
    ok "interp abi: SYS_tsc_hz = the banner's tsc_per_tick x 100 Hz ($hz)"
else notok "interp abi: SYS_tsc_hz" "tsc_hz '$hz', banner tsc_per_tick '$tpt'"; fi
case_status abiexit 1 "interp module exiting 7: status 1 (FAIL)"
expect_grep "interp module exiting 7: its exit code reported" '^RESULT module exit=7$' \
    "$TMPD/abiexit.out"
expect_grep "interp module exiting 7: FAIL line" '^FAIL module exit code 7$' "$TMPD/abiexit.out"
case_status unknown 2 "interp unknown test name: status 2"
expect_grep "interp unknown test name: error line" "unknown test 'no_such_program'" "$TMPD/unknown.out"
case_status notelf 3 "interp non-ELF module: status 3"
expect_grep "interp non-ELF module: error line" "not an ELF" "$TMPD/notelf.out"

# sensitive: same observations as QEMU, field by field (both lines).
if [ -f "$TMPD/qsens.out" ]; then
    for ring in 0 3; do
        a=$(grep "^RESULT sensitive ring=$ring " "$TMPD/p-sensitive.out" | tr -d '\r')
        b=$(grep "^RESULT sensitive ring=$ring " "$TMPD/qsens.out" | tr -d '\r')
        if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "sensitive ring $ring: interp observes what QEMU observes"
        else notok "sensitive ring $ring: interp vs QEMU" "interp '$a' | qemu '$b'"; fi
    done
else
    skip "sensitive: interp vs QEMU" "qemu-system-i386 not installed"
fi

# compute: the guest under the interpreter and the native build agree.
native=$("$(native_bin compute)" 3 2>&1 | grep -o 'crc32=[^ ]* listsort=[^ ]* matmul=[^ ]* fsm=[^ ]*')
guest=$(grep '^RESULT compute' "$TMPD/compute.out" | grep -o 'crc32=[^ ]* listsort=[^ ]* matmul=[^ ]* fsm=[^ ]*')
if [ -n "$native" ] && [ "$native" = "$guest" ]; then ok "compute: interp checksums equal $NATIVE_LABEL ($guest)"
else notok "compute: interp vs native checksums" "interp '$guest' native '$native'"; fi

finish
