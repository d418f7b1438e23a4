#!/bin/bash
# tests/pv/linux-pv.sh — Debian's Linux as a paravirtual guest of KVM's
# interface (stage 02, --pv-linux on: 02-paravirt/kvm_pv.h): booted under
# stage 04's vmm-mem (bt with cached shadow page tables, the fastest boot),
# once with the option and once without, both at the same time.
#
# With it, Linux finds "KVMKVMKVM" at CPUID 0x40000000, takes kvmclock at
# the _NEW MSRs and makes it its clocksource; its clock keeps time against
# the host's.  It enables PV EOI (MSR_KVM_PV_EOI_EN), and most of its
# interrupts then end with a PV EOI instead of a write of the APIC's EOI
# register.  It enables steal time (MSR_KVM_STEAL_TIME): with host busy
# loops competing for the CPUs, /proc/stat's steal column rises.  Without
# the option nothing changes: no KVM, no kvm-clock, every EOI a register
# write, steal 0.
#
#   tests/pv/linux-pv.sh      (LINUX_SESSION_SECONDS bounds a boot, default 300;
#                              PV_LINUX_VMM="build/vmm-pv --engine interp" boots
#                              under another VMM and engine with the option)
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/linux/drive.sh"
LINUX=$BUILD/linux
LIMIT=${LINUX_SESSION_SECONDS:-300}
declare -A steal
# PV_LINUX_VMM: the VMM and engine (e.g. "build/vmm-hw --engine vmx").
VMM=${PV_LINUX_VMM:-$BUILD/vmm-mem --engine bt}
CSRC=/sys/devices/system/clocksource/clocksource0/current_clocksource

need_linux "Linux as a PV guest"
[ -x "${VMM%% *}" ] || { skip "Linux as a PV guest" "${VMM%% *} is not built"; finish; }

boot() { # boot ID PV(on|off)
    drive_start "$1" $VMM --pv-linux "$2" --mem 256M --stats \
        --initrd "$LINUX/initrd.gz" "$LINUX/vmlinuz" -- console=ttyS0 nokaslr
}
# cmd ID NAME CMD REGEX: CMD's output must match REGEX.
cmd() {
    if drive_cmd "$1" "$3" 120; then
        expect_grep "$1: $2" "$4" "$(drive_output "$1")"
    else
        notok "$1: $2" "no answer: $(drive_reason "$1")"
    fi
}
poweroff() {
    drive_send "$1" poweroff
    if drive_end "$1" 60; then
        local st=$(drive_status "$1")
        [ "$st" = 0 ] && ok "$1: poweroff, status 0" || notok "$1: poweroff, status 0" "status $st"
    else
        notok "$1: poweroff" "still running: $(drive_reason "$1")"
        drive_stop "$1"
    fi
}

boot pv on || notok "pv: starts" "$VMM"
boot full off || notok "full: starts" "$VMM"
echo "# $VMM"
for id in pv full; do
    if drive_wait "$id" "vmlab:/# |Kernel panic" "$LIMIT" && drive_text "$id" | grep -q "vmlab:/# "; then
        ok "$id: shell prompt after $(drive_elapsed "$id") s"
    else
        notok "$id: shell prompt" "$(drive_reason "$id")"
    fi
done

# Kernel messages printed on the console while a command runs would land in
# the middle of its output (a loaded host makes the kernel warn): from here
# on they go to the log only, which dmesg reads.
for id in pv full; do cmd $id "console messages off" "dmesg -n 1; echo quiet" "^quiet$"; done

# With --pv-linux on: the kernel's own account of what it found.
cmd pv "Linux finds KVM at CPUID 0x40000000" "dmesg | grep -i hypervisor" \
    "Hypervisor detected: KVM"
cmd pv "kvmclock at the _NEW MSRs" "dmesg | grep kvm-clock" \
    "kvm-clock: Using msrs 4b564d01 and 4b564d00"
cmd pv "kvm-clock is the clocksource" "dmesg | grep 'Switched to'" \
    "clocksource: Switched to clocksource kvm-clock"
cmd pv "current_clocksource: kvm-clock" "cat $CSRC" "^kvm-clock$"
# The wall clock: the guest's date is the host's (both UTC), within 60 s.
host=$(date +%s)
cmd pv "date: the host's wall clock" "date +%s" "^[0-9]+$"
guest=$(grep -E -m1 '^[0-9]+$' "$(drive_output pv)")
if [ -n "$guest" ] && [ $((guest - host)) -le 60 ] && [ $((host - guest)) -le 60 ]; then
    ok "pv: guest date $guest within 60 s of the host's $host"
else
    notok "pv: guest date within 60 s of the host's" "guest '${guest}', host $host"
fi
# And it runs at the host's rate: /proc/uptime read twice, 3 s apart; the
# guest's interval must lie between the host's time from the end of the
# first read to the start of the second and the host's time around both
# (less 0.2 s, plus 0.2 s).
t0=$(date +%s.%N)
cmd pv "uptime before" "cat /proc/uptime" "^[0-9.]+ "
t1=$(date +%s.%N)
guest_uptime() { grep -E -m1 '^[0-9]+\.[0-9]+ [0-9]+\.[0-9]+$' "$(drive_output pv)" | cut -d' ' -f1; }
u0=$(guest_uptime)
sleep 3
t2=$(date +%s.%N)
cmd pv "uptime after" "cat /proc/uptime" "^[0-9.]+ "
t3=$(date +%s.%N)
u1=$(guest_uptime)
if [ -n "$u0" ] && [ -n "$u1" ] && [ "$(echo "d = $u1 - $u0; d >= $t2 - $t1 - 0.2 && d <= $t3 - $t0 + 0.2" | bc 2>/dev/null)" = 1 ]; then
    ok "pv: /proc/uptime advances with the host's clock ($u0 -> $u1 s)"
else
    notok "pv: /proc/uptime advances with the host's clock" \
        "guest $u0 -> $u1 s; host $(echo "$t2 - $t1" | bc) to $(echo "$t3 - $t0" | bc) s"
fi

# Steal time: a busy loop in the guest while host busy loops (one more
# than the host has CPUs) compete with the VMM's thread; /proc/stat's cpu
# line read before, after 3 s of it and a second later.  No bound on the
# amount (the host's load decides it): with the option it is above 0 at
# the end and never goes back; without, it stays 0.
HOG_PIDS=
hogs_start() {
    local i
    for i in $(seq 0 "$(nproc)"); do
        (end=$((SECONDS + 30)); while [ $SECONDS -lt $end ]; do :; done) &
        HOG_PIDS="$HOG_PIDS $!"
    done
}
hogs_stop() { [ -n "$HOG_PIDS" ] && kill $HOG_PIDS 2>/dev/null; wait $HOG_PIDS 2>/dev/null; HOG_PIDS=; }
STEAL_CMD="head -1 /proc/stat; timeout 3 sh -c 'while :; do :; done'; head -1 /proc/stat; sleep 1; head -1 /proc/stat"
steal_values() { awk '$1 == "cpu" { printf "%s ", $9 }' "$(drive_output "$1")"; }
hogs_start
for id in pv full; do
    drive_cmd "$id" "$STEAL_CMD" 120 && steal[$id]=$(steal_values "$id") ||
        notok "$id: steal time under load" "no answer: $(drive_reason "$id")"
done
hogs_stop
set -- ${steal[pv]}
if [ $# = 3 ] && [ "$3" -gt 0 ] && [ "$1" -le "$2" ] && [ "$2" -le "$3" ]; then
    ok "pv: steal time rises under host load, never backwards ($1 -> $2 -> $3 ticks)"
else
    notok "pv: steal time rises under host load" "/proc/stat steal: '${steal[pv]}'"
fi
if [ "${steal[full]}" = "0 0 0 " ]; then ok "full: steal stays 0 under host load"
else notok "full: steal stays 0" "/proc/stat steal: '${steal[full]}'"; fi

# Without: leaf 0x40000000 is vmlab's, which Linux does not know.
cmd full "no KVM found" "dmesg | grep -c -i -E 'Hypervisor detected|kvm-clock'" "^0$"
cmd full "the clocksource is not kvm-clock" "cat $CSRC" "^(tsc|acpi_pm|pit|refined-jiffies|jiffies)$"

poweroff pv
poweroff full
mkdir -p "$BUILD/linux/session"
cp "$TMPD/pv.out" "$BUILD/linux/session/pv-linux.console" 2>/dev/null
cp "$TMPD/full.out" "$BUILD/linux/session/pv-linux-off.console" 2>/dev/null
expect_grep "pv: --stats counts the kvmclock records" \
    "kvm-pv: .*records written: [1-9][0-9]* time, [1-9][0-9]* wall clock" "$TMPD/pv.out"
no_line full "kvm-pv:" "full: no kvm-pv in --stats"
# PV EOI: enabled by the guest (its MSR write, with the word's address),
# most EOIs through the flag, and the register writes drop against the
# same boot without the option (which has no PV EOI at all).
expect_grep "pv: Linux enables PV EOI (MSR_KVM_PV_EOI_EN)" "kvm-pv: PV EOI on at 0x[0-9a-f]+" "$TMPD/pv.out"
eois() { # eois ID: "<by register write> <paravirtual>" from the local APIC line
    sed -n 's/^  local APIC: .*EOIs: \([0-9]*\) by register write, \([0-9]*\) paravirtual$/\1 \2/p' \
        "$TMPD/$1.out" | tail -1
}
read -r pw pp <<<"$(eois pv)"
read -r fw fp <<<"$(eois full)"
if [ -n "$pp" ] && [ "$pp" -gt $((2 * pw)) ]; then
    ok "pv: most EOIs are PV EOIs ($pp PV, $pw by APIC register write)"
else
    notok "pv: most EOIs are PV EOIs" "'$pp' PV, '$pw' by register write"
fi
if [ -n "$fw" ] && [ "$fp" = 0 ] && [ "$fw" -gt $((2 * pw)) ]; then
    ok "APIC EOI register writes drop with PV EOI: $fw without, $pw with"
else
    notok "APIC EOI register writes drop with PV EOI" "without: '$fw' writes, '$fp' PV; with: '$pw' writes"
fi
expect_grep "pv: Linux enables steal time (MSR_KVM_STEAL_TIME)" \
    "kvm-pv: steal time on at 0x[0-9a-f]+: [1-9][0-9]* ns reported" "$TMPD/pv.out"
finish
