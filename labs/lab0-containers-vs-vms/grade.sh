#!/bin/bash
# labs/lab0-containers-vs-vms/grade.sh — lab 0: the answers in answers.txt
# (ANSWERS=file to grade another) checked against a fresh run of measure.sh.
# Every answer is graded from a measurement: the measurement must be there
# and the answer must agree with it.  A measurement this machine forbids
# (no namespaces, no cgroup memory controller, no QEMU) makes the tests
# that need it SKIP with the reason: counted in neither score nor total.
. "$(dirname "$0")/../lib.sh"
LAB0=$ROOT/labs/lab0-containers-vs-vms
ANSWERS=${ANSWERS:-$LAB0/answers.txt}
M=$LAB_TMP/measure.txt
if [ -n "${LAB0_MEASURED:-}" ] && [ -s "$LAB0_MEASURED" ]; then
    cp "$LAB0_MEASURED" "$M" # measure.sh's output of an earlier run on this machine
else
    BUILD=$BUILD GUEST=$GUEST "$LAB0/measure.sh" -n 2000 >"$M" 2>&1
fi

# ans KEY: the student's answer; val KIND WHO KEY: a measured value;
# skipped KIND WHO: the reason a measurement was not taken (empty if it was)
ans() { sed -n "s/^$1[ \t]*=[ \t]*\([^ \t]*\).*/\1/p" "$ANSWERS" | tail -n 1; }
val() { awk -v k="$1" -v w="$2" -v f="$3" '$1 == k && $2 == w {
          for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) { print substr($i, length(f) + 2); exit } }' "$M"; }
skipped() { sed -n "s/^$1 $2 skip=//p" "$M" | head -n 1; }
# answer NAME PTS KEY WANT WHAT: the answer to KEY must be WANT (one of
# WANT's words: "container vm-vmlab"), what the measurement showed
answer() {
    local got; got=$(ans "$3")
    if grep -q '^[ \t]*lab_not_implemented(0' "$ANSWERS"; then
        grade_fail "$1" "$2" "expected an answer for $3, got \"not implemented: lab 0: answer the questions from your measurements\" (status 71): fill in $ANSWERS"
    elif [ -z "$got" ]; then grade_fail "$1" "$2" "expected an answer for $3 in $ANSWERS, got none"
    elif ! [[ " $4 " == *" $got "* ]]; then grade_fail "$1" "$2" "expected $3 = ${4// / or } ($5), got $got"
    else grade_pass "$1" "$2"; fi
}
# needs NAME KIND WHO...: SKIP NAME if a measurement it needs was not taken here
needs() {
    local name=$1 kind=$2 who why; shift 2
    for who in "$@"; do
        why=$(skipped "$kind" "$who")
        if [ -n "$why" ]; then grade_skip "$name" "$kind $who not measured here: $why"; return 1; fi
    done
}

# 1. The container runs on the host's kernel; 2. a VM on its own, ours and QEMU's.
hr=$(val kernel host release); cr=$(val kernel container release)
if needs container_kernel kernel container; then
    if [ -z "$cr" ]; then grade_fail container_kernel 10 "expected a 'kernel container release=' line, got '$(grep -m1 '^kernel container' "$M")'"
    else w=$([ "$cr" = "$hr" ] && echo host || echo own)
        answer container_kernel 10 container_kernel "$w" "uname -r in the container printed $cr, the host's is $hr"; fi
fi
for who in vmlab qemu; do
    pts=$([ $who = vmlab ] && echo 10 || echo 5) key=$([ $who = vmlab ] && echo vm_kernel || echo qemu_kernel)
    if needs "$key" kernel "vm-$who"; then
        if grep -q "^kernel vm-$who banner=\"vmlab: guest kernel\"" "$M"; then
            answer "$key" "$pts" "$key" own "the VM under $who printed the guest kernel's banner, not $hr"
        else grade_fail "$key" "$pts" "expected the guest's banner 'vmlab: guest kernel' from the VM under $who, got '$(grep -m1 "^kernel vm-$who" "$M")'"; fi
    fi
done

# 3. The container's own view: its first process is PID 1 of its PID
#    namespace, and its network namespace has its own interfaces.
if needs container_pid kernel container; then
    p=$(val kernel container pid)
    if [ -z "$p" ]; then grade_fail container_pid 10 "expected 'pid=' on the 'kernel container' line, got '$(grep -m1 '^kernel container' "$M")'"
    else answer container_pid 10 container_pid "$p" "the container's shell saw its own PID as $p (echo \$\$)"; fi
fi
hn=$(val net host netifs); cn=$(val net container netifs)
if needs container_network net container; then
    if [ -z "$cn" ]; then grade_fail container_network 10 "expected a 'net container netifs=' line, got '$(grep -m1 '^net container' "$M")'"
    elif [ "$cn" = "$hn" ]; then grade_skip container_network "the host's interfaces ($hn) are the container's: nothing to tell apart here"
    else answer container_network 10 container_network own "the container's /proc/net/dev lists $cn, the host's $hn"; fi
fi

# 4. A memory limit the host kernel enforces on the container (cgroups).
if needs container_memory_limit cgroup container; then
    k=$(val cgroup container oom_kills); g=$(val cgroup container got_bytes); u=$(val cgroup container unlimited_got_bytes)
    if [ -z "$k" ] || [ -z "$g" ] || [ -z "$u" ]; then
        grade_fail container_memory_limit 10 "expected a 'cgroup container ... oom_kills= got_bytes= unlimited_got_bytes=' line, got '$(grep -m1 '^cgroup container' "$M")'"
    else w=$( (( k > 0 && g < u )) && echo enforced || echo ignored)
        answer container_memory_limit 10 container_memory_limit "$w" "under a 32 MiB limit the container's 64 MiB got $g bytes through and $k OOM kill(s), without it $u bytes"; fi
fi

# 5. System calls: a container's go to the host kernel; a guest's to the guest kernel.
calls=$(val syscall guest-interp calls); ex=$(val syscall guest-interp vm_exits)
if [ -z "$calls" ] || [ -z "$ex" ]; then
    grade_fail guest_syscall 15 "expected a 'syscall guest-interp calls= vm_exits=' line, got '$(grep -m1 '^syscall guest-interp' "$M")'"
else w=$( (( ex < calls )) && echo guest || echo host)
    answer guest_syscall 15 guest_syscall "$w" "$calls guest getpid calls, $ex VM exits in the whole run"; fi

# 6. CPU identity: the container reads the host's; the guest's CPUID is the VMM's answer.
if needs container_cpu cpu container; then
    hv=$(val cpu host vendor); cv=$(val cpu container vendor)
    if [ -z "$cv" ]; then grade_fail container_cpu 5 "expected a 'cpu container vendor=' line, got '$(grep -m1 '^cpu container' "$M")'"
    else w=$([ "$cv" = "$hv" ] && echo host || echo vmm)
        answer container_cpu 5 container_cpu "$w" "the container read vendor $cv from /proc/cpuinfo, the host's is $hv"; fi
fi
if needs vm_cpu cpu vm-vmlab; then
    n=$(val cpu vm-vmlab cpuid_exits)
    if [ -z "$n" ]; then grade_fail vm_cpu 5 "expected a 'cpu vm-vmlab cpuid_exits=' line, got '$(grep -m1 '^cpu vm-vmlab' "$M")'"
    else w=$( (( n > 0 )) && echo vmm || echo host)
        answer vm_cpu 5 vm_cpu "$w" "the guest's CPUID caused $n VM exit(s): the VMM answered it"; fi
fi

# 7. Start-up time and 8. memory footprint, as measured.  Times are
# wall-clock and noisy: every machine within a factor of 2 of the fastest
# is an accepted answer (and one alone when it is clearly the fastest).
# The footprint uses the same rule.
closest() {  # KIND KEY: the machines within a factor of 2 of the smallest value
    awk -v k="$1" -v f="$2" '$1 == k && $2 !~ /^host/ {
            for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) { v[$2] = substr($i, length(f) + 2) + 0 } }
         END { m = -1; for (w in v) if (m < 0 || v[w] < m) m = v[w]
               for (w in v) if (v[w] <= 2 * m) { sub(/^vm-/, "", w); printf "%s%s", s, w; s = " " } }' "$M"
}
table() { awk -v k="$1" -v f="$2" '$1 == k && !/skip=/ { for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) printf "%s %s, ", $2, substr($i, length(f) + 2) }' "$M" | sed 's/, $//'; }
if needs faster_startup startup container vm-vmlab; then
    answer faster_startup 10 faster_startup "$(closest startup ms)" "measured ms: $(table startup ms)"
fi
if needs smaller_footprint memory container vm-vmlab; then
    answer smaller_footprint 10 smaller_footprint "$(closest memory rss_kb)" "measured maximum RSS in KiB: $(table memory rss_kb)"
fi
grade_end
