#!/bin/bash
# labs/lab0-containers-vs-vms/grade.sh — lab 0: the answers in answers.txt
# (ANSWERS=file to grade another) checked against a fresh run of measure.sh.
# Each test needs both: the measurement present in measure.sh's output, and
# the student's answer agreeing with it.  Without root or unshare(1) the
# container's tests are SKIPped with the reason (no points either way).
. "$(dirname "$0")/../lib.sh"
LAB0=$ROOT/labs/lab0-containers-vs-vms
ANSWERS=${ANSWERS:-$LAB0/answers.txt}
M=$LAB_TMP/measure.txt
BUILD=$BUILD GUEST=$GUEST "$LAB0/measure.sh" -n 2000 >"$M" 2>&1

# ans KEY: the student's answer; val KIND WHO KEY: a measured value
ans() { sed -n "s/^$1[ \t]*=[ \t]*\([^ \t]*\).*/\1/p" "$ANSWERS" | tail -n 1; }
val() { awk -v k="$1" -v w="$2" -v f="$3" '$1 == k && $2 == w {
          for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) { print substr($i, length(f) + 2); exit } }' "$M"; }
# answer NAME PTS KEY WANT WHAT: the answer to KEY must be WANT (what the measurement showed)
answer() {
    local got; got=$(ans "$3")
    if grep -q '^[ \t]*lab_not_implemented(0' "$ANSWERS"; then
        grade_fail "$1" "$2" "expected an answer for $3, got \"not implemented: lab 0: answer the questions from your measurements\" (status 71): fill in $ANSWERS"
    elif [ -z "$got" ]; then grade_fail "$1" "$2" "expected an answer for $3 in $ANSWERS, got none"
    elif [ "$got" != "$4" ]; then grade_fail "$1" "$2" "expected $3 = $4 ($5), got $got"
    else grade_pass "$1" "$2"; fi
}
# skip=REASON is the rest of the line (the reason has spaces, so not val)
cskip=$(sed -n 's/^kernel container skip=//p' "$M" | head -n 1)

# 1. The container runs on the host's kernel.
hr=$(val kernel host release); cr=$(val kernel container release)
if [ -n "$cskip" ]; then grade_skip container_kernel "container: $cskip"
elif [ -z "$cr" ] || [ "$cr" != "$hr" ]; then grade_fail container_kernel 15 "expected the container's uname -r to equal the host's ($hr), got '${cr:-nothing}'"
else answer container_kernel 15 container_kernel host "uname -r in the container printed the host's $hr"; fi

# 2. The VM runs its own kernel (the teaching guest's banner).
if ! grep -q '^kernel guest banner="vmlab: guest kernel' "$M"; then
    grade_fail vm_kernel 15 "expected the guest's banner 'vmlab: guest kernel' from the VM, got '$(grep -m1 '^kernel guest' "$M")'"
else answer vm_kernel 15 vm_kernel own "the VM printed the guest kernel's banner, not $hr"; fi

# 3. System calls: a container's go to the host kernel; a guest's to the guest kernel.
calls=$(val syscall guest-interp calls); ex=$(val syscall guest-interp vm_exits); nn=$(val syscall native ns)
if [ -z "$calls" ] || [ -z "$ex" ] || [ -z "$nn" ]; then
    grade_fail guest_syscall 15 "expected 'syscall native ns=' and 'syscall guest-interp calls= vm_exits=' lines, got '$(grep -m1 '^syscall guest-interp' "$M")'"
elif (( ex >= calls )); then grade_fail guest_syscall 15 "expected fewer VM exits ($ex) than guest system calls ($calls)"
else answer guest_syscall 15 guest_syscall guest "$calls guest getpid calls, only $ex VM exits in the whole run: the guest kernel answered them"; fi

# 4. CPU identity: the container sees the host's CPU.
hv=$(val cpu host vendor); cv=$(val cpu container vendor)
if [ -n "$cskip" ]; then grade_skip container_cpu "container: $cskip"
elif [ -z "$cv" ] || [ "$cv" != "$hv" ]; then grade_fail container_cpu 10 "expected the container's /proc/cpuinfo vendor to be the host's ($hv), got '${cv:-nothing}'"
else answer container_cpu 10 container_cpu host "the container read vendor $hv from the host kernel's /proc/cpuinfo"; fi

# 5. Start-up time and 6. memory footprint, as measured.
cs=$(val startup container ms); vs=$(val startup vm-interp ms)
cm=$(val memory container rss_kb); vm=$(val memory vm-interp rss_kb)
if [ -n "$cskip" ]; then grade_skip faster_startup "container: $cskip"; grade_skip smaller_footprint "container: $cskip"
else
    if [ -z "$cs" ] || [ -z "$vs" ]; then grade_fail faster_startup 10 "expected 'startup container ms=' and 'startup vm-interp ms=' lines"
    else
        # Start-up times are wall-clock: the answer is checked only when one
        # is at least twice as fast as the other, so that the grade never
        # depends on a noisy measurement; closer than that, either answer
        # from the student's own results is accepted.
        w=$(awk -v c="$cs" -v v="$vs" 'BEGIN { print (2 * c <= v) ? "container" : (2 * v <= c) ? "vm" : "either" }')
        if [ "$w" = either ] && [[ "$(ans faster_startup)" =~ ^(container|vm)$ ]]; then grade_pass faster_startup 10
        else answer faster_startup 10 faster_startup "${w/either/container or vm}" "measured: container $cs ms, VM $vs ms"; fi
    fi
    if [ -z "$cm" ] || [ -z "$vm" ]; then grade_fail smaller_footprint 10 "expected 'memory container rss_kb=' and 'memory vm-interp rss_kb=' lines"
    else w=$(( cm < vm )) && w=$([ $w = 1 ] && echo container || echo vm)
        answer smaller_footprint 10 smaller_footprint "$w" "measured: container $cm KiB, VM $vm KiB"; fi
fi

# 7. What isolates each one (from the README's explanation; the measurements above show it).
answer container_isolation 10 container_isolation namespaces "the container got pid=1, its own hostname and network, on the same kernel"
answer vm_isolation 15 vm_isolation vmm "the guest's kernel, CPUID and devices are given to it by the VMM"
grade_end
