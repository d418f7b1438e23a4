#!/bin/bash
# tests/guest/workloads.sh — the workload suite (common/guest/workloads/):
# every program, one round, as a boot module under build/vmm-bt's interp
# and bt engines and under bt --check interp (the translator in lock step
# with the interpreter, compared at every block), and its Linux build natively (with IA32 emulation) or
# under qemu-i386; each prints the checksum below (an independent x86-64
# build of the same C gives the same values) and exits 0.  Also: a bad
# argument reaches the program through argv and ends it with status 2.
# Correctness only: the timings are for `make bench` (tests/bench/workloads.sh).
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-bt
WL=$BUILD/workloads
declare -A SUM=(
    [calls]=0x45e0e1a6 [bytecode]=0xb2cd52c9 [lists]=0x8a6c38ac [strings]=0x17c35d50
    [sort]=0x6d973c3e [hash]=0xb0dde7c3 [int64]=0x39489b30 [float]=0x270354a4
)
NAMES="calls bytecode lists strings sort hash int64 float"
for f in "$VMM" "$GUEST"; do
    [ -e "$f" ] || { notok "workloads" "$f missing (run make _all)"; finish; }
done

run_module() {  # OUT ENGINE NAME ARGS...  (ENGINE check: bt --check interp)
    local out=$1 engine=$2 name=$3 opt=(); shift 3
    [ "$engine" = check ] && engine=bt opt=(--check interp)
    timeout 120 "$VMM" --engine "$engine" "${opt[@]}" --timeout 60 --module "$WL/$name.elf" \
        "$GUEST" -- test=module -- "$@" >"$out" 2>&1 </dev/null
}
LINUX_RUN=
if [ "$NATIVE_ARCH" = i386 ]; then LINUX_RUN=native
elif command -v qemu-i386 >/dev/null; then LINUX_RUN=qemu-i386; fi
run_linux() {   # OUT NAME ARGS...
    local out=$1 name=$2; shift 2
    if [ "$LINUX_RUN" = native ]; then timeout 60 "$WL/$name.linux32" "$@" >"$out" 2>&1
    else timeout 60 qemu-i386 "$WL/$name.linux32" "$@" >"$out" 2>&1; fi
}

for n in $NAMES; do
    for e in interp bt check; do start_case "$e-$n" run_module "$TMPD/$e-$n.out" "$e" "$n" 1; done
    [ -n "$LINUX_RUN" ] && start_case "linux-$n" run_linux "$TMPD/linux-$n.out" "$n" 1
done
start_case badarg run_module "$TMPD/badarg.out" interp calls 0
wait

line() { echo "^WORKLOAD $1 rounds=1 checksum=${SUM[$1]} expected=${SUM[$1]} ns=[0-9]* verdict=ok"; }
for n in $NAMES; do
    for e in interp bt check; do
        l=$e
        [ "$e" = check ] && l="bt --check interp"
        case_status "$e-$n" 0 "$l $n: status 0 (module passed)"
        expect_grep "$l $n: checksum ${SUM[$n]}" "$(line "$n")" "$TMPD/$e-$n.out"
    done
    if [ -n "$LINUX_RUN" ]; then
        case_status "linux-$n" 0 "Linux build of $n ($LINUX_RUN): status 0"
        expect_grep "Linux build of $n ($LINUX_RUN): checksum ${SUM[$n]}" "$(line "$n")" \
            "$TMPD/linux-$n.out"
    else
        skip "Linux build of $n" "no IA32 emulation and no qemu-i386"
    fi
done
case_status badarg 1 "calls with rounds=0: the module fails (status 1)"
expect_grep "calls with rounds=0: usage line, exit code 2" '^RESULT module exit=2$' \
    "$TMPD/badarg.out"
finish
