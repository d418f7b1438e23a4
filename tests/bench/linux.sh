#!/bin/bash
# tests/bench/linux.sh — Debian's i386 Linux from power-on to its shell
# prompt and to poweroff, side by side in one run: qemu-system-i386 TCG,
# and our interp, bt (stages 01 and 04) and vmx engines (run by `make bench`, one line in
# run.sh).  The same kernel and initramfs as tests/linux/session.sh
# (scripts/linux.sh), in APIC mode, one machine at a time.
#
# Per machine: seconds to the prompt and to the VM's end after `poweroff`
# (wall clock of this script, which includes the VMM's start), the CPU
# seconds its process used up to the prompt (the guest's idle waits are
# wall time but not CPU time: the kernel sleeps about as long under every
# machine), and for our
# engines what --stats counted: guest instructions retired, exits in all
# and the three most frequent reasons.  Writes build/bench/linux.json.
# No pass/fail on speed: the status is non-zero only when a machine that
# should boot did not.
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
TMPD=$(mktemp -d /tmp/vmlab-bench-linux.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT
. "$ROOT/tests/linux/drive.sh"
LINUX=$BUILD/linux
OUT=$BUILD/bench
CMDLINE="console=ttyS0 earlyprintk=serial,ttyS0 nokaslr"
LIMIT=${LINUX_BENCH_SECONDS:-900}
mkdir -p "$OUT"

if ! "$ROOT/scripts/linux.sh" "$LINUX" >"$TMPD/fetch.out" 2>&1; then
    echo "bench: Linux boot skipped: $(tail -1 "$TMPD/fetch.out")"
    exit 0
fi

# bt: stage 01's vmm-bt, its window dropped at every CR3 load; bt-04:
# the same translator in stage 04's vmm-mem, shadows cached per CR3.
MACHINES=(qemu-tcg interp bt bt-04 vmx)
machine() {
    case $1 in
    qemu-tcg) linux_machine "$LINUX" "$CMDLINE" qemu ;;
    interp | bt) linux_machine "$LINUX" "$CMDLINE" "$BUILD/vmm-bt" --engine "$1" ;;
    bt-04) linux_machine "$LINUX" "$CMDLINE" "$BUILD/vmm-mem" --engine bt ;;
    vmx) linux_machine "$LINUX" "$CMDLINE" "$BUILD/vmm-hw" --engine vmx ;;
    esac
}

# stat ID FIELD: from the --stats summary line "...: stats: engine E, T s,
# N exits, M interrupts, K guest instructions".
stat() {
    drive_text "$1" | sed -n "s/.*: stats: engine .*, \([0-9]*\) exits, [0-9]* interrupts, \([0-9]*\) guest instructions.*/\1 \2/p" |
        tail -1 | awk -v f="$2" '{ print (f == "exits") ? $1 : $2 }'
}
# reasons ID: the three most frequent exit reasons, "name count; ...".
reasons() {
    drive_text "$1" | awk '/exit reason \(SDM/ { on = 1; next }
        on && /^  [A-Za-z]/ && NF >= 4 && $(NF-2) ~ /^[0-9]+$/ {
            n = $(NF-2); $(NF-2) = $(NF-1) = $NF = ""; sub(/ +[0-9]+ +$/, ""); sub(/^ +/, "")
            print n "\t" $0; next }
        on && !/^  [A-Za-z]/ { on = 0 }' | sort -rn | head -3 |
        awk -F'\t' '{ printf "%s%s %s", (NR > 1 ? "; " : ""), $2, $1 }'
}

# cpu_s ID: CPU seconds (user + system) the machine's process has used so
# far, from /proc/PID/stat (utime, stime: fields 14 and 15, in clock ticks).
# Wall time includes the guest's own idle waits; CPU time is the work.
cpu_s() {
    local pid
    pid=$(pgrep -P "$(cat "$TMPD/$1.pid")" | head -1)
    [ -n "$pid" ] && awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / hz }' \
        "/proc/$pid/stat" 2>/dev/null
}

status=0
printf '\nLinux boot (Debian %s, initramfs with busybox), APIC mode:\n' \
    "$(basename "$(readlink "$LINUX/vmlinuz")" | sed 's/vmlinuz-//')"
printf '%-9s %9s %6s %11s %14s %10s  %s\n' machine prompt/s cpu/s poweroff/s instructions exits \
    "top exit reasons"
json="["
for m in "${MACHINES[@]}"; do
    machine "$m"
    if [ "$m" = qemu-tcg ] && ! command -v qemu-system-i386 >/dev/null; then
        printf '%-9s %s\n' "$m" "n/a: no qemu-system-i386"
        continue
    fi
    drive_start "$m" "${MACHINE[@]}"
    if ! drive_wait "$m" "vmlab:/# |Giving up|Kernel panic" "$LIMIT" ||
        ! drive_text "$m" | grep -q "vmlab:/# "; then
        printf '%-9s %s\n' "$m" "n/a: $(drive_reason "$m")"
        drive_stop "$m"
        drive_text "$m" | grep -q "Giving up" || status=1
        continue
    fi
    prompt=$(drive_elapsed "$m") cpu=$(cpu_s "$m")
    drive_send "$m" poweroff
    if ! drive_end "$m" 300; then
        printf '%-9s %9s %s\n' "$m" "$prompt" "n/a: poweroff did not end the VM"
        drive_stop "$m"
        status=1
        continue
    fi
    off=$(drive_elapsed "$m")
    ins=$(stat "$m" instructions) exits=$(stat "$m" exits) top=$(reasons "$m")
    printf '%-9s %9s %6s %11s %14s %10s  %s\n' "$m" "$prompt" "${cpu:--}" "$off" "${ins:--}" \
        "${exits:--}" "${top:--}"
    json+=$(printf '%s{"machine":"%s","prompt_s":%s,"prompt_cpu_s":%s,"poweroff_s":%s,"instructions":%s,"exits":%s}' \
        "$([ "$json" = "[" ] || echo ,)" "$m" "$prompt" "${cpu:-null}" "$off" "${ins:-null}" "${exits:-null}")
done
echo "$json]" >"$OUT/linux.json"
echo "(written to $OUT/linux.json; seconds are wall clock, including the VMM's start)"
exit $status
