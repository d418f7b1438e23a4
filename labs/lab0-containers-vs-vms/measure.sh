#!/bin/bash
# labs/lab0-containers-vs-vms/measure.sh — the seed's opening question
# (what really separates a container from a VM?) answered by measurement.
#
#   labs/lab0-containers-vs-vms/measure.sh [-n ITERATIONS] > results.txt
#
# The "container" is a process in new Linux namespaces (unshare(1) from
# util-linux: PID, mount, UTS, network; as root) and, if the cgroup v1 pids
# controller is writable, a pids cgroup.  The "VM" is build/vmm-bt /
# build/vmm-hw running the teaching guest.  One line per measurement:
#
#   KIND WHO key=value...       e.g.  syscall container ns=6601.1
#
# A measurement that cannot be taken here prints "KIND WHO skip=REASON".
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
trap 'rm -rf "$T"; [ -n "${CG:-}" ] && rmdir "$CG" 2>/dev/null' EXIT

# The container: a process in new namespaces (the host kernel, its own view).
CONTAINER=""
if ! command -v unshare >/dev/null; then WHY="unshare(1) (util-linux) not installed"
elif [ "$(id -u)" != 0 ]; then WHY="not root (unshare --pid --net needs CAP_SYS_ADMIN)"
elif ! unshare --pid --mount --uts --net --fork --mount-proc true 2>"$T/err"; then
    WHY="unshare failed: $(head -n1 "$T/err")"
else CONTAINER="unshare --pid --mount --uts --net --fork --mount-proc"; fi
incontainer() { $CONTAINER "$@"; }
now_ns() { date +%s%N; }
# best_ms CMD...: the fastest of 5 runs, in ms (start-up times are noisy)
best_ms() {
    local best="" t0 t1 i
    for i in 1 2 3 4 5; do
        t0=$(now_ns); "$@" >/dev/null 2>&1 </dev/null; t1=$(now_ns)
        local d=$(( (t1 - t0) / 1000 ))
        [ -z "$best" ] || (( d < best )) && best=$d
    done
    awk -v us="$best" 'BEGIN { printf "%.2f", us / 1000 }'
}
maxrss_kb() { /usr/bin/time -f %M -o "$T/rss" "$@" >/dev/null 2>&1 </dev/null; tail -n1 "$T/rss"; }

# ---- 1. Which kernel does each one run on? -----------------------------------
echo "kernel host release=$(uname -r) hostname=$(uname -n)"
if [ -n "$CONTAINER" ]; then
    incontainer sh -c 'hostname lab0-container; echo "kernel container release=$(uname -r) hostname=$(uname -n) pid=$$ processes=$(ls -d /proc/[0-9]* | wc -l) netifs=$(ls /sys/class/net | tr "\n" " " | sed "s/ $//; s/ /,/g")"'
else echo "kernel container skip=$WHY"; fi
if [ -x "$BUILD/vmm-bt" ] && [ -f "$GUEST" ]; then
    timeout 60 "$BUILD/vmm-bt" --engine interp "$GUEST" -- test=hello >"$T/hello" 2>&1
    echo "kernel guest banner=\"$(grep -m1 '^vmlab: guest kernel' "$T/hello" | cut -d' ' -f1-3)\" status=$?"
else echo "kernel guest skip=$BUILD/vmm-bt or $GUEST missing (make _all)"; fi

# ---- 2. The cost of a system call (getpid) -----------------------------------
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
if [ -n "$CONTAINER" ]; then
    echo "startup container ms=$(best_ms $CONTAINER true)"
    echo "memory container rss_kb=$(maxrss_kb $CONTAINER sh -c true)"
else echo "startup container skip=$WHY"; echo "memory container skip=$WHY"; fi
# A VM starts when the guest kernel has booted and run its first program.
echo "startup vm-interp ms=$(best_ms "$BUILD/vmm-bt" --engine interp "$GUEST" -- test=hello)"
echo "memory vm-interp rss_kb=$(maxrss_kb "$BUILD/vmm-bt" --engine interp "$GUEST" -- test=hello) guest_ram_mb=64"

# ---- 4. Isolation: what each one sees of the host -----------------------------
echo "cpu host vendor=$(sed -n 's/^vendor_id[^:]*: //p' /proc/cpuinfo | head -n1) cpus=$(nproc)"
if [ -n "$CONTAINER" ]; then
    echo "cpu container vendor=$(incontainer sed -n 's/^vendor_id[^:]*: //p' /proc/cpuinfo | head -n1) cpus=$(incontainer nproc)"
else echo "cpu container skip=$WHY"; fi
# The guest's CPUID is answered by the VMM (under VT-x every CPUID exits).
if grep -q '^PASS syscall' "$T/sys-vmx" 2>/dev/null; then
    echo "cpu guest cpuid_exits=$(awk '$1 == "CPUID" { print $3 }' "$T/sys-vmx") answered_by=vmm"
else echo "cpu guest skip=vmx engine did not run"; fi
# cgroups: a limit the host kernel enforces on the container's processes.
if [ -n "$CONTAINER" ] && [ -w /sys/fs/cgroup/pids ]; then
    CG=/sys/fs/cgroup/pids/vmlab-lab0-$$
    mkdir "$CG" && echo 5 >"$CG/pids.max"
    ( echo "$BASHPID" >"$CG/cgroup.procs"
      exec $CONTAINER sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do sleep 1 & done; wait' ) >/dev/null 2>&1
    echo "cgroup container pids_max=5 tried=10 forks_refused=$(awk '$1 == "max" { print $2 }' "$CG/pids.events")"
else echo "cgroup container skip=${WHY:-no writable cgroup v1 pids controller}"; fi
