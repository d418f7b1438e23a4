#!/bin/bash
# tests/guest/qemu.sh — the teaching guest under QEMU, the reference machine
# (docs/ARCHITECTURE.md §8): every program must pass under qemu-system-i386 (TCG) with
# its RESULT and PASS lines, test=all must pass, the PVH entry must boot
# under qemu-system-x86_64 -M microvm, a user ELF module must run (and
# abi-user.elf find its arguments, brk and the clock as documented), and bad
# input must end the VM with the documented status and one error line:
#   debug-exit value v  ->  QEMU status (v << 1) | 1
#   0 pass -> 1, 1 FAIL -> 3, 2 bad command line -> 5, 3 bad module -> 7.
# QEMU runs go at most two at a time (the machine is shared).
. "$(dirname "$0")/../lib.sh"

PROGRAMS="hello syscall pagefault ctxswitch timer exceptions sensitive smc compute inout ptemod divzero callret fpu virtio_blk iommu ata"
# Probes (program.h PROBE): run by name only, listed as "PROBE", not in test=all.
PROBES="dirty iowidth lmsw"
USER_ELF=$BUILD/guest/hello-user.elf

if ! command -v qemu-system-i386 >/dev/null; then
    skip "qemu guest tests" "qemu-system-i386 not installed"
    finish
fi
if [ ! -f "$GUEST" ]; then
    notok "guest image" "$GUEST missing (run make _all)"
    finish
fi

# ---- run every QEMU case, two at a time (start_case in lib.sh)
echo "not an ELF file, just text" >"$TMPD/notelf.txt"
have_x86_64=0
if command -v qemu-system-x86_64 >/dev/null; then
    have_x86_64=1
    # Decide KVM vs TCG and make the PVH-only image before going parallel.
    echo "# microvm: accel=$(microvm_accel), image $(pvh_image)"
fi

start_case list      qemu_i386 "$TMPD/list.out" "test=list"
for p in $PROGRAMS; do
    start_case "p-$p" qemu_i386 "$TMPD/p-$p.out" "test=$p"
done
for p in $PROBES; do
    start_case "p-$p" qemu_i386 "$TMPD/p-$p.out" "test=$p"
done
start_case all       qemu_i386 "$TMPD/all.out" "test=all"
start_case module    qemu_i386 "$TMPD/module.out" "test=module" -initrd "$USER_ELF"
start_case abi       qemu_i386 "$TMPD/abi.out" "test=module -- alpha 42" \
    -initrd "$BUILD/guest/abi-user.elf"
[ $have_x86_64 = 1 ] && start_case microvm qemu_microvm "$TMPD/microvm.out" "test=all"
start_case unknown   qemu_i386 "$TMPD/unknown.out" "test=no_such_program"
start_case badkey    qemu_i386 "$TMPD/badkey.out" "test=hello color=blue"
start_case badtoken  qemu_i386 "$TMPD/badtoken.out" "test=hello garbage"
start_case baditers  qemu_i386 "$TMPD/baditers.out" "test=hello iters=12x"
start_case notelf    qemu_i386 "$TMPD/notelf.out" "test=module" -initrd "$TMPD/notelf.txt"
wait

# ---- checks (case_status, no_line in lib.sh; statuses are QEMU's)

listed=$(sed -n 's/^PROGRAM \([^ ]*\) .*/\1/p' "$TMPD/list.out" | tr -d '\r')
case_status list 1 "test=list exits with status 1 (debug-exit 0)"

probes=$(sed -n 's/^PROBE \([^ ]*\) .*/\1/p' "$TMPD/list.out" | tr -d '\r')
for p in $PROBES; do
    if ! grep -qx "$p" <<<"$probes"; then notok "probe $p" "not listed as 'PROBE $p' by test=list"; continue; fi
    case_status "p-$p" 1 "probe $p: status 1 (debug-exit 0)"
    expect_grep "probe $p: PASS line" "^PASS $p\$" "$TMPD/p-$p.out"
    if grep -q "^RESULT $p \|^PASS $p\$" "$TMPD/all.out"; then notok "probe $p: not in test=all" "test=all ran it"
    else ok "probe $p: not in test=all"; fi
done
for p in $PROGRAMS; do
    if ! grep -qx "$p" <<<"$listed"; then
        notok "$p" "program '$p' is not in the guest image (test=list)"
        continue
    fi
    case_status "p-$p" 1 "$p: status 1 (debug-exit 0)"
    expect_grep "$p: RESULT line" "^RESULT $p " "$TMPD/p-$p.out"
    expect_grep "$p: PASS line" "^PASS $p\$" "$TMPD/p-$p.out"
done

# Program-specific facts that the generic checks would miss.
if [ -f "$TMPD/p-sensitive.out" ]; then
    expect_grep "sensitive: ring-0 view reported" '^RESULT sensitive ring=0 cs=' "$TMPD/p-sensitive.out"
    expect_grep "sensitive: ring-3 view shows popf keeps IF and cli traps" \
        '^RESULT sensitive ring=3 .* popf_if_kept=1 cli_fault=13' "$TMPD/p-sensitive.out"
fi
if [ -f "$TMPD/p-smc.out" ]; then
    expect_grep "smc: self-patching loop sum matches" \
        '^RESULT smc .*loop_sum=(0x[0-9a-f]+) loop_expect=\1 ' "$TMPD/p-smc.out"
fi

# test=all: every listed program passes, nothing fails.
case_status all 1 "test=all: status 1"
for p in $listed; do
    grep -q "^PASS $p\$" "$TMPD/all.out" || notok "test=all: $p" "no 'PASS $p' line"
done
no_line all '^FAIL ' "test=all: no FAIL line"

# PVH entry (Xen ELF note) under the microvm machine.
if [ $have_x86_64 = 1 ]; then
    case_status microvm 1 "microvm (PVH boot): test=all status 1"
    expect_grep "microvm: booted through PVH" 'boot=pvh' "$TMPD/microvm.out"
    no_line microvm '^FAIL ' "microvm: no FAIL line"
else
    skip "microvm (PVH boot)" "qemu-system-x86_64 not installed"
fi

# The user-supplied ELF as a Multiboot module.
if [ -f "$USER_ELF" ]; then
    case_status module 1 "module: hello-user.elf runs (status 1)"
    expect_grep "module: PASS line" '^PASS module$' "$TMPD/module.out"
else
    notok "module" "$USER_ELF missing (run make _all)"
fi
# The module ABI's process services on the reference machine.
case_status abi 1 "module abi-user.elf: passes (status 1)"
no_line abi '^ABI FAIL' "module abi-user.elf: no failed check"
expect_grep "module abi-user.elf: argv after --" '^ABI argc=3 argv=module,alpha,42 envp=empty align=16' \
    "$TMPD/abi.out"
expect_grep "module abi-user.elf: brk" '^ABI brk=ok' "$TMPD/abi.out"
expect_grep "module abi-user.elf: clock" '^ABI clock_res_ns=[0-9]* tick2_ns=[0-9]* tsc_hz=[0-9]*' \
    "$TMPD/abi.out"

# Bad input: status (2<<1)|1 = 5 for the command line, (3<<1)|1 = 7 for a
# module that is not an ELF, each with one error line naming the problem.
case_status unknown 5 "unknown test name: status 5"
expect_grep "unknown test name: error line" "unknown test 'no_such_program'" "$TMPD/unknown.out"
case_status badkey 5 "unknown command-line key: status 5"
expect_grep "unknown command-line key: error line" "color" "$TMPD/badkey.out"
case_status badtoken 5 "malformed command-line token: status 5"
expect_grep "malformed command-line token: error line" "garbage" "$TMPD/badtoken.out"
case_status baditers 5 "malformed iters=: status 5"
expect_grep "malformed iters=: error line" "12x" "$TMPD/baditers.out"
case_status notelf 7 "non-ELF module: status 7"
expect_grep "non-ELF module: error line" "not an ELF" "$TMPD/notelf.out"

finish
