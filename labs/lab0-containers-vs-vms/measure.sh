#!/bin/bash
# labs/lab0-containers-vs-vms/measure.sh — the course's opening question
# (what really separates a container from a VM?) answered by measurement.
#
#   labs/lab0-containers-vs-vms/measure.sh [-n ITERATIONS] > results.txt
#
# Three kinds of "machine" run side by side:
#   container  a process in new Linux namespaces (unshare(1): PID, mount,
#              UTS, IPC, network; as root, else inside a user namespace)
#              under a cgroup memory limit (cgroup v2 memory.max; v1's
#              memory.limit_in_bytes on a host without the v2 controller);
#   vm-vmlab   build/vmm-bt (and build/vmm-hw) running the teaching guest;
#   vm-qemu    qemu-system-i386 running the same guest, if installed.
# One line per measurement:
#
#   KIND WHO key=value...       e.g.  syscall container ns=6601.1
#
# A measurement this machine forbids (no namespaces for this user, no
# cgroup memory controller, no QEMU) prints "KIND WHO skip=REASON": the
# grader skips the questions that need it, it never fails them.
# Run from the tree's root after `make _all`.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD;; esac
GUEST=${GUEST:-$BUILD/guest/guest.elf}
# The native program: 32-bit, or its x86-64 build on a kernel without IA32
# emulation (a host that cannot run i386 processes).
. "$ROOT/tests/bench/native/host.sh"
MICRO=$(native_bin micro)
N=20000
[ "${1:-}" = -n ] && N=$2
T=$(mktemp -d /tmp/vmlab-lab0.XXXXXX)
CG=""
trap 'rm -rf "$T"; [ -n "$CG" ] && rmdir "$CG" 2>/dev/null' EXIT

# ---- the container: new namespaces, the host's kernel ------------------------
# As root, unshare(1) makes the namespaces directly; an ordinary user can
# still make them inside a new user namespace (user_namespaces(7)) where
# the kernel allows it.  Where neither works the container is skipped.
NS="--pid --mount --uts --ipc --net --fork --mount-proc"
CONTAINER="" WHY=""
if ! command -v unshare >/dev/null; then WHY="unshare(1) (util-linux) not installed"
elif [ "$(id -u)" = 0 ] && unshare $NS true 2>"$T/err"; then CONTAINER="unshare $NS"
elif unshare --user --map-root-user $NS true 2>>"$T/err"; then CONTAINER="unshare --user --map-root-user $NS"
else WHY="this machine forbids new namespaces for $(id -un): $(tail -n 1 "$T/err")"; fi
incontainer() { $CONTAINER "$@"; }
now_ns() { date +%s%N; }
# best_ms RUNS CMD...: the fastest of RUNS runs, in ms (start-up times are noisy)
best_ms() {
    local runs=$1 best="" t0 t1 i d; shift
    for ((i = 0; i < runs; i++)); do
        t0=$(now_ns); "$@" >/dev/null 2>&1 </dev/null; t1=$(now_ns)
        d=$(( (t1 - t0) / 1000 ))
        if [ -z "$best" ] || (( d < best )); then best=$d; fi
    done
    awk -v us="$best" 'BEGIN { printf "%.2f", us / 1000 }'
}
# maxrss_kb CMD...: the maximum resident set size of CMD (a program, not a
# shell function: GNU time(1) reports the rusage of the process it starts)
maxrss_kb() { timeout 120 /usr/bin/time -f %M -o "$T/rss" "$@" >/dev/null 2>&1 </dev/null; tail -n1 "$T/rss"; }
# netifs: the network interfaces of this network namespace (/proc/net/dev
# is per namespace; /sys/class/net shows the host's unless sysfs is
# mounted again inside the namespace, so it is not used)
NETIFS='awk -F: "NR > 2 { gsub(/ /, \"\", \$1); printf \"%s%s\", s, \$1; s = \",\" }" /proc/net/dev'
# QEMU (TCG, the same 64 MiB) boots the same guest: QEMU ... -append test=hello
# (LAB0_QEMU=name: another QEMU binary, or a missing one to see the skips)
QEMU=() QEMU_BIN=${LAB0_QEMU:-qemu-system-i386}
command -v "$QEMU_BIN" >/dev/null &&
    QEMU=("$QEMU_BIN" -accel tcg -m 64 -kernel "$GUEST" -device isa-debug-exit,iobase=0xf4,iosize=0x04
          -display none -serial stdio -monitor none -no-reboot)

# ---- 1. Which kernel does each one run on? -----------------------------------
virt=no
grep -qw hypervisor /proc/cpuinfo && virt=yes
echo "kernel host release=$(uname -r) hostname=$(uname -n) virtual=$virt"
echo "net host netifs=$(sh -c "$NETIFS")"
if [ -n "$CONTAINER" ]; then
    incontainer sh -c 'hostname lab0-container; echo "kernel container release=$(uname -r) hostname=$(uname -n) pid=$$"; echo "net container netifs=$('"$NETIFS"')"'
else echo "kernel container skip=$WHY"; echo "net container skip=$WHY"; fi
# banner FILE: the guest kernel's banner line, quoted, and its RAM
banner() {
    local b; b=$(grep -m1 '^vmlab: guest kernel' "$1" | tr -d '\r')
    echo "banner=\"$(cut -d' ' -f1-3 <<<"$b" | tr -d ',')\" ram_mb=$(sed -n 's/.* ram=\([0-9]*\) MiB.*/\1/p' <<<"$b")"
}
if [ -x "$BUILD/vmm-bt" ] && [ -f "$GUEST" ]; then
    timeout 60 "$BUILD/vmm-bt" --engine interp "$GUEST" -- test=hello >"$T/hello" 2>&1
    echo "kernel vm-vmlab $(banner "$T/hello") status=$?"
else echo "kernel vm-vmlab skip=$BUILD/vmm-bt or $GUEST missing (make _all)"; fi
if [ ${#QEMU[@]} -gt 0 ] && [ -f "$GUEST" ]; then
    timeout 120 "${QEMU[@]}" -append test=hello >"$T/qhello" 2>&1 </dev/null
    echo "kernel vm-qemu $(banner "$T/qhello")"
else echo "kernel vm-qemu skip=$QEMU_BIN not installed"; fi

# ---- 2. The path of a system call (getpid) ------------------------------------
# The host's and the container's go to the host kernel (the same one); the
# guest's go to the guest kernel, inside the VM: the VMM sees none of them.
if [ -x "$MICRO" ]; then
    mhz=$("$MICRO" tsc | sed -n 's/.*mhz=\([0-9.]*\).*/\1/p')
    echo "tsc host mhz=$mhz"
    echo "syscall native ns=$("$MICRO" syscall "$N" | sed -n 's/.*ns_per_op=\([0-9.]*\).*/\1/p') arch=$NATIVE_ARCH"
    if [ -n "$CONTAINER" ]; then
        echo "syscall container ns=$(incontainer "$MICRO" syscall "$N" | sed -n 's/.*ns_per_op=\([0-9.]*\).*/\1/p')"
    else echo "syscall container skip=$WHY"; fi
else echo "syscall native skip=$MICRO missing (make _all)"; mhz=""; fi
# The guest's syscall program: 10000 SYS_getpid from ring 3, TSC cycles per call.
for eng in bt:interp bt:bt hw:vmx; do
    vmm=$BUILD/vmm-${eng%%:*} e=${eng#*:}
    if timeout 120 "$vmm" --engine "$e" --stats "$GUEST" -- test=syscall >"$T/sys-$e" 2>&1 &&
       grep -q '^PASS syscall' "$T/sys-$e"; then
        cyc=$(sed -n 's/^RESULT syscall .*cycles_per_call=\([0-9]*\).*/\1/p' "$T/sys-$e")
        calls=$(sed -n 's/^RESULT syscall calls=\([0-9]*\).*/\1/p' "$T/sys-$e")
        ex=$(sed -n 's/.* \([0-9]*\) exits, .*/\1/p' "$T/sys-$e" | head -n1)
        ns=$(awk -v c="$cyc" -v m="${mhz:-0}" 'BEGIN { if (m > 0) printf "%.1f", c * 1000 / m; else print "?" }')
        echo "syscall guest-$e ns=$ns cycles=$cyc calls=$calls vm_exits=${ex:-?}"
    else
        echo "syscall guest-$e skip=engine $e did not run the guest: $(grep -m1 -E 'error|not implemented' "$T/sys-$e")"
    fi
done

# ---- 3. Start-up time and memory footprint ------------------------------------
# A container has started when its first process runs; a VM when its
# kernel has booted and run its first program (test=hello).
if [ -n "$CONTAINER" ]; then
    echo "startup container ms=$(best_ms 5 $CONTAINER true)"
    echo "memory container rss_kb=$(maxrss_kb $CONTAINER sh -c true)"
else echo "startup container skip=$WHY"; echo "memory container skip=$WHY"; fi
echo "startup vm-vmlab ms=$(best_ms 5 "$BUILD/vmm-bt" --engine interp "$GUEST" -- test=hello)"
echo "memory vm-vmlab rss_kb=$(maxrss_kb "$BUILD/vmm-bt" --engine interp "$GUEST" -- test=hello) guest_ram_mb=64"
if [ ${#QEMU[@]} -gt 0 ]; then
    echo "startup vm-qemu ms=$(best_ms 3 timeout 120 "${QEMU[@]}" -append test=hello)"
    echo "memory vm-qemu rss_kb=$(maxrss_kb "${QEMU[@]}" -append test=hello) guest_ram_mb=64"
else echo "startup vm-qemu skip=$QEMU_BIN not installed"; echo "memory vm-qemu skip=$QEMU_BIN not installed"; fi

# ---- 4. Whose CPU each one sees -------------------------------------------------
echo "cpu host vendor=$(sed -n 's/^vendor_id[^:]*: //p' /proc/cpuinfo | head -n1) cpus=$(nproc)"
if [ -n "$CONTAINER" ]; then
    echo "cpu container vendor=$(incontainer sed -n 's/^vendor_id[^:]*: //p' /proc/cpuinfo | head -n1) cpus=$(incontainer nproc)"
else echo "cpu container skip=$WHY"; fi
# The guest's CPUID is answered by the VMM (under VT-x every CPUID exits).
if grep -q '^PASS syscall' "$T/sys-vmx" 2>/dev/null; then
    echo "cpu vm-vmlab cpuid_exits=$(awk '$1 == "CPUID" { print $3 }' "$T/sys-vmx") answered_by=vmm"
else echo "cpu vm-vmlab skip=vmx engine did not run"; fi

# ---- 5. A memory limit the host kernel enforces (cgroups) ----------------------
# The container's processes are put in a cgroup whose memory limit is 32
# MiB, then try to hold 64 MiB (tail(1) keeps a line of 64 MiB of zeros):
# the kernel's OOM killer ends them.  The same command without the limit
# gets its 64 MiB.  A VM's limit is its guest RAM, set by the VMM.
cg_make() {
    local m
    # cgroup v2 (cgroups(7)): a cgroup2 mount whose controllers include memory
    for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
        [ "$(stat -fc %T "$m" 2>/dev/null)" = cgroup2fs ] || continue
        grep -qw memory "$m/cgroup.controllers" 2>/dev/null || continue
        grep -qw memory "$m/cgroup.subtree_control" || echo +memory >"$m/cgroup.subtree_control" 2>/dev/null
        CG=$m/vmlab-lab0-$$
        mkdir "$CG" 2>/dev/null && echo 32M >"$CG/memory.max" 2>/dev/null || { rmdir "$CG" 2>/dev/null; CG=""; continue; }
        echo 0 >"$CG/memory.swap.max" 2>/dev/null
        CGV=2; return 0
    done
    # cgroup v1's memory controller, where v2 does not have it
    m=/sys/fs/cgroup/memory
    if [ -w "$m" ]; then
        CG=$m/vmlab-lab0-$$
        mkdir "$CG" 2>/dev/null && echo $((32 << 20)) >"$CG/memory.limit_in_bytes" || { rmdir "$CG" 2>/dev/null; CG=""; return 1; }
        echo $((32 << 20)) >"$CG/memory.memsw.limit_in_bytes" 2>/dev/null
        CGV=1; return 0
    fi
    return 1
}
cg_oom_kills() {
    if [ "$CGV" = 2 ]; then awk '$1 == "oom_kill" { print $2 }' "$CG/memory.events"
    else awk '$1 == "oom_kill" { print $2 }' "$CG/memory.oom_control"; fi
}
HOG='head -c 64M /dev/zero | tail -n 1 | wc -c'
if [ -z "$CONTAINER" ]; then echo "cgroup container skip=$WHY"
elif [ "$(id -u)" != 0 ]; then echo "cgroup container skip=not root: a cgroup's memory limit is set by root (or a delegated cgroup)"
elif ! cg_make; then echo "cgroup container skip=no writable cgroup memory controller (neither cgroup v2 'memory' nor v1 /sys/fs/cgroup/memory)"
else
    got=$( ( echo "$BASHPID" >"$CG/cgroup.procs"; exec $CONTAINER sh -c "$HOG" ) 2>/dev/null </dev/null)
    free=$($CONTAINER sh -c "$HOG" 2>/dev/null </dev/null)
    echo "cgroup container version=$CGV memory_max_mb=32 tried_mb=64 got_bytes=${got:-0} oom_kills=$(cg_oom_kills) unlimited_got_bytes=${free:-0}"
fi
