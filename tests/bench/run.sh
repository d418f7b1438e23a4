#!/bin/bash
# tests/bench/run.sh — what `make bench` runs (docs/ARCHITECTURE.md §9).
#
# Compute-bound guest code, side by side: the guest's `test=compute` run
#   (a) under build/vmm-bt --engine interp      (our reference interpreter)
#   (b) under qemu-system-i386 -accel tcg        (QEMU's binary translator)
#   (c) under Bochs, booted from a GRUB ISO      (an interpreter, for scale)
#   (d) natively: build/bench/compute.linux32    (the same compute code as a
#       static i386 Linux process), and under qemu-i386 (user-mode TCG).
#
# Each side gets its own iteration count, calibrated so that it runs for
# about BENCH_SECONDS (default 5).  Guest instructions are counted once, by
# the interpreter (--stats "guest instructions"): a test=compute run minus a
# test=hello run (same boot) gives instructions per iteration, and every
# side is credited with that many per iteration (it is the same code).
# Time of a VM run = from the kernel's banner line to the PASS line (boot
# firmware, GRUB and VMM start-up excluded); of a native run = the process.
#
# Prints a table and writes build/bench/results.json.  No pass/fail on speed.
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
GUEST=$BUILD/guest/guest.elf
VMM=$BUILD/vmm-bt
. "$ROOT/tests/bench/native/host.sh"     # compute.linux32, or .linux64 without IA32
NATIVE=$(native_bin compute)
NATIVE32=$BUILD/bench/compute.linux32
OUT=$BUILD/bench
TARGET=${BENCH_SECONDS:-5}
WORK=$(mktemp -d /tmp/vmlab-bench.XXXXXX)
BOCHS_PID=
cleanup() {
    [ -n "$BOCHS_PID" ] && kill "$BOCHS_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$OUT"

say() { echo "bench: $*"; }

# stamp: copy stdin to stdout, each line prefixed with the time it arrived.
stamp() { while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done; }

# span FILE: seconds from the banner line to the PASS line of a stamped log.
span() {
    awk '/ vmlab: guest kernel/ && !b { b = $1 } / PASS compute/ && !p { p = $1 }
         END { if (b && p) printf "%.3f\n", p - b; else print "" }' "$1"
}

# iters_for SECONDS_MEASURED ITERS_MEASURED: iterations for TARGET seconds.
iters_for() {
    awk -v t="$1" -v n="$2" -v want="$TARGET" \
        'BEGIN { k = (t > 0) ? int(n * want / t + 0.5) : n * 10; if (k < 1) k = 1; print k }'
}

# ---- (a) the interpreter ----------------------------------------------------
run_interp() {   # ITERS LOG -> seconds; LOG.stats has the --stats output
    "$VMM" --engine interp --stats --timeout 600 "$GUEST" -- test=compute iters="$1" \
        2>"$2.stats" | stamp >"$2"
    span "$2"
}
# ---- (a') the stage 01 binary translator ---------------------------------------
run_bt() {
    "$VMM" --engine bt --timeout 600 "$GUEST" -- test=compute iters="$1" 2>/dev/null | stamp >"$2"
    span "$2"
}
# ---- (b) QEMU system emulation, TCG --------------------------------------------
run_qemu() {
    timeout 600 qemu-system-i386 -accel tcg -m 64 -kernel "$GUEST" \
        -append "test=compute iters=$1" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -display none -serial stdio -monitor none -no-reboot </dev/null 2>&1 | stamp >"$2"
    span "$2"
}
# ---- (c) Bochs ---------------------------------------------------------------------
# Bochs has no -kernel: GRUB (grub-mkrescue) loads the Multiboot image from an
# ISO.  No isa-debug-exit either: COM1 goes to a file, which is polled for the
# PASS line, then Bochs is stopped.  Debian's Bochs has no "nogui" display and
# is built with its debugger: SDL2 with SDL's dummy video driver, and an -rc
# file that says "continue".
BOCHS_WHY=
bochs_setup() {
    local missing=
    for t in bochs grub-mkrescue xorriso mformat; do
        command -v "$t" >/dev/null || missing="$missing $t"
    done
    [ -d /usr/lib/grub/i386-pc ] || missing="$missing grub-pc-bin"
    if [ -n "$missing" ]; then
        BOCHS_WHY="missing:$missing (scripts/deps.sh installs grub-pc-bin xorriso mtools bochs-sdl)"
        return 1
    fi
    local plugdir
    plugdir=$(dirname "$(find /usr/lib -name 'libbx_sdl2_gui.so*' 2>/dev/null | head -1)" 2>/dev/null)
    if [ -z "$plugdir" ] || [ "$plugdir" = . ]; then
        BOCHS_WHY="no headless display library for Bochs (Debian's has no nogui; install bochs-sdl)"
        return 1
    fi
    BOCHS_BIOS=/usr/share/bochs/BIOS-bochs-latest
    BOCHS_VGA=
    for f in /usr/share/bochs/VGABIOS-lgpl-latest /usr/share/vgabios/vgabios.bin \
             /usr/share/seabios/vgabios-stdvga.bin /usr/share/seabios/vgabios-isavga.bin; do
        [ -r "$f" ] && { BOCHS_VGA=$f; break; }
    done
    if [ ! -r "$BOCHS_BIOS" ] || [ -z "$BOCHS_VGA" ]; then
        BOCHS_WHY="no Bochs BIOS or VGA BIOS image (packages bochsbios, seabios/vgabios)"
        return 1
    fi
    return 0
}
run_bochs() {    # ITERS LOG -> seconds (banner to PASS, polled every 20 ms)
    local d=$WORK/bochs-$1 iters=$1 log=$2
    mkdir -p "$d/iso/boot/grub"
    cp "$GUEST" "$d/iso/boot/guest.elf"
    cat >"$d/iso/boot/grub/grub.cfg" <<EOF
set timeout=0
set default=0
menuentry "vmlab compute" {
    multiboot /boot/guest.elf test=compute iters=$iters
    boot
}
EOF
    if ! grub-mkrescue -o "$d/vmlab.iso" "$d/iso" >"$d/mkrescue.log" 2>&1; then
        echo "grub-mkrescue failed: $(tail -n 1 "$d/mkrescue.log")" >"$WORK/bochs.why"
        return 1
    fi
    cat >"$d/bochsrc" <<EOF
megs: 64
cpu: ips=50000000
romimage: file=$BOCHS_BIOS
vgaromimage: file=$BOCHS_VGA
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path="$d/vmlab.iso", status=inserted
boot: cdrom
display_library: sdl2
com1: enabled=1, mode=file, dev=$d/serial.out
clock: sync=none, time0=local
sound: driver=dummy
speaker: enabled=0
log: $d/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
EOF
    echo c >"$d/debugger.rc"
    : >"$log"
    (cd "$d" && SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy \
        exec timeout 900 bochs -q -f "$d/bochsrc" -rc "$d/debugger.rc" \
        >"$d/bochs.out" 2>&1 </dev/null) &
    BOCHS_PID=$!
    local tb= tp= start=$EPOCHREALTIME
    while kill -0 "$BOCHS_PID" 2>/dev/null; do
        if [ -z "$tb" ] && grep -q "vmlab: guest kernel" "$d/serial.out" 2>/dev/null; then
            tb=$EPOCHREALTIME
        fi
        if grep -q "PASS compute\|FAIL" "$d/serial.out" 2>/dev/null; then
            tp=$EPOCHREALTIME
            break
        fi
        sleep 0.02
    done
    kill "$BOCHS_PID" 2>/dev/null
    wait "$BOCHS_PID" 2>/dev/null
    BOCHS_PID=
    cp "$d/serial.out" "$log" 2>/dev/null
    if [ -z "$tp" ] || ! grep -q "PASS compute" "$log"; then
        echo "Bochs did not reach PASS: $(grep -v '^ALSA' "$d/bochs.out" 2>/dev/null |
              tail -n 2 | tr '\n' ' ')" >"$WORK/bochs.why"
        return 1
    fi
    awk -v a="${tb:-$start}" -v b="$tp" 'BEGIN { printf "%.3f\n", b - a }'
}
# ---- (d) native and qemu-i386 --------------------------------------------------------
run_native() {
    local t0=$EPOCHREALTIME
    "$NATIVE" "$1" >"$2" 2>&1 || return 1
    awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", b - a }'
}
run_qemu_user() {
    local t0=$EPOCHREALTIME
    qemu-i386 "$NATIVE32" "$1" >"$2" 2>&1 || return 1
    awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", b - a }'
}

# measure NAME FN CAL_ITERS: calibrate with CAL_ITERS, then run for ~TARGET s.
# Sets R_ITERS R_SECS (empty on failure).
measure() {
    local name=$1 fn=$2 cal=$3 t
    R_ITERS= R_SECS=
    t=$($fn "$cal" "$WORK/$name.cal.log")
    if [ -z "$t" ] || ! grep -q "PASS compute" "$WORK/$name.cal.log"; then
        say "$name: calibration run failed: $(tail -n 2 "$WORK/$name.cal.log" | tr '\n' ' ')"
        return 1
    fi
    R_ITERS=$(iters_for "$t" "$cal")
    t=$($fn "$R_ITERS" "$WORK/$name.log")
    if [ -z "$t" ] || ! grep -q "PASS compute" "$WORK/$name.log"; then
        say "$name: run with iters=$R_ITERS failed: $(tail -n 2 "$WORK/$name.log" | tr '\n' ' ')"
        R_ITERS=
        return 1
    fi
    R_SECS=$t
    say "$name: iters=$R_ITERS in $t s"
}

for f in "$GUEST" "$VMM" "$NATIVE"; do
    if [ ! -e "$f" ]; then
        echo "bench: $f is missing: run 'make' first" >&2
        exit 1
    fi
done
say "compute benchmark, each side calibrated to about $TARGET s (BENCH_SECONDS)"

declare -A ITERS SECS NOTE
ORDER="interp bt qemu-tcg bochs native qemu-i386"

# Instructions per iteration, from the interpreter.
"$VMM" --engine interp --stats --timeout 120 "$GUEST" -- test=hello >"$WORK/hello.log" 2>&1
HELLO_INSNS=$(sed -n 's/.* \([0-9][0-9]*\) guest instructions.*/\1/p' "$WORK/hello.log" | tail -1)

if measure interp run_interp 20; then
    ITERS[interp]=$R_ITERS SECS[interp]=$R_SECS
    COMP_INSNS=$(sed -n 's/.* \([0-9][0-9]*\) guest instructions.*/\1/p' "$WORK/interp.log.stats" | tail -1)
fi
if [ -z "${HELLO_INSNS:-}" ] || [ -z "${COMP_INSNS:-}" ]; then
    say "no instruction count from 'vmm-bt --engine interp --stats' (hello: ${HELLO_INSNS:-none}," \
        "compute: ${COMP_INSNS:-none}); cannot compute instructions per second"
    PER_ITER=
else
    PER_ITER=$(awk -v c="$COMP_INSNS" -v h="$HELLO_INSNS" -v n="${ITERS[interp]}" \
               'BEGIN { printf "%.0f\n", (c - h) / n }')
    say "guest instructions per compute iteration: $PER_ITER" \
        "= (test=compute iters=${ITERS[interp]}: $COMP_INSNS - test=hello: $HELLO_INSNS) / ${ITERS[interp]}," \
        "counted by the interpreter; every side is credited with the same count (same guest code)"
fi

if measure bt run_bt 200; then
    ITERS[bt]=$R_ITERS SECS[bt]=$R_SECS
fi
if command -v qemu-system-i386 >/dev/null && measure qemu-tcg run_qemu 200; then
    ITERS[qemu-tcg]=$R_ITERS SECS[qemu-tcg]=$R_SECS
fi
if bochs_setup && measure bochs run_bochs 10; then
    ITERS[bochs]=$R_ITERS SECS[bochs]=$R_SECS
else
    [ -z "$BOCHS_WHY" ] && BOCHS_WHY=$(cat "$WORK/bochs.why" 2>/dev/null)
    [ -z "$BOCHS_WHY" ] && BOCHS_WHY="see the messages above"
    NOTE[bochs]="not run: $BOCHS_WHY"
    say "bochs: ${NOTE[bochs]}"
fi
if measure native run_native 2000; then
    ITERS[native]=$R_ITERS SECS[native]=$R_SECS
fi
if command -v qemu-i386 >/dev/null && measure qemu-i386 run_qemu_user 200; then
    ITERS[qemu-i386]=$R_ITERS SECS[qemu-i386]=$R_SECS
fi

# ---- table and JSON ---------------------------------------------------------------
describe() {
    case $1 in
    interp)    echo "vmm-bt --engine interp (reference interpreter)" ;;
    bt)        echo "vmm-bt --engine bt (stage 01 binary translator)" ;;
    qemu-tcg)  echo "qemu-system-i386 -accel tcg -kernel" ;;
    bochs)     echo "Bochs $(bochs --help 2>&1 | sed -n 's/.*Bochs x86 Emulator \([0-9.]*\).*/\1/p' | head -1), GRUB ISO" ;;
    native)    echo "$(basename "$NATIVE"), $NATIVE_LABEL process" ;;
    qemu-i386) echo "qemu-i386 compute.linux32 (user-mode TCG)" ;;
    esac
}
NATIVE_IPS=
if [ -n "$PER_ITER" ] && [ -n "${SECS[native]:-}" ]; then
    NATIVE_IPS=$(awk -v p="$PER_ITER" -v n="${ITERS[native]}" -v s="${SECS[native]}" \
                 'BEGIN { printf "%.0f\n", p * n / s }')
fi
echo
printf '%-48s %8s %9s %14s %10s %12s\n' "engine" "iters" "seconds" "guest insns" "MIPS" "slowdown"
json="{\n  \"benchmark\": \"compute\",\n  \"target_seconds\": $TARGET,\n"
json+="  \"instructions_per_iter\": ${PER_ITER:-null},\n"
json+="  \"instruction_count_source\": \"vmm-bt --engine interp --stats: test=compute minus test=hello, divided by iters; the same per-iteration count is used for every engine (same guest code)\",\n"
json+="  \"time_measured\": \"VMs: banner line to PASS line; native: whole process\",\n"
json+="  \"engines\": ["
sep=
for e in $ORDER; do
    if [ -n "${SECS[$e]:-}" ]; then
        if [ -n "$PER_ITER" ]; then
            read -r insns mips ratio < <(awk -v p="$PER_ITER" -v n="${ITERS[$e]}" -v s="${SECS[$e]}" \
                -v nat="$NATIVE_IPS" 'BEGIN { i = p * n; ips = i / s;
                   r = (nat > 0) ? sprintf("%.1fx", nat / ips) : "-";
                   printf "%.0f %.1f %s\n", i, ips / 1e6, r }')
        else
            insns=- mips=- ratio=-
        fi
        printf '%-48s %8s %9s %14s %10s %12s\n' "$(describe "$e")" "${ITERS[$e]}" "${SECS[$e]}" \
            "$insns" "$mips" "$ratio"
        json+="$sep\n    {\"engine\": \"$e\", \"what\": \"$(describe "$e")\", \"iters\": ${ITERS[$e]}, \"seconds\": ${SECS[$e]}, \"guest_instructions\": ${insns/-/null}, \"mips\": ${mips/-/null}}"
    else
        why=${NOTE[$e]:-"failed, see above"}
        printf '%-48s %s\n' "$(describe "$e")" "$why"
        json+="$sep\n    {\"engine\": \"$e\", \"what\": \"$(describe "$e")\", \"skipped\": \"${why//\"/\'}\"}"
    fi
    sep=,
done
json+="\n  ]\n}\n"
printf '%b' "$json" >"$OUT/results.json"
echo
echo "MIPS = guest instructions per second / 1e6; guest instructions = $PER_ITER per iteration" \
     "(counted by the interpreter, same code on every side); slowdown = native MIPS / engine MIPS."
# Time per iteration of bt relative to native and to QEMU's TCG.
if [ -n "${SECS[bt]:-}" ]; then
    for ref in native qemu-tcg; do
        [ -n "${SECS[$ref]:-}" ] && awk -v a="${SECS[bt]}" -v n="${ITERS[bt]}" -v b="${SECS[$ref]}" \
            -v m="${ITERS[$ref]}" -v r="$ref" \
            'BEGIN { printf "bt / %s: %.2fx the time per iteration\n", r, (a / n) / (b / m) }'
    done
fi
echo "bench: wrote $OUT/results.json"
"$ROOT/tests/bench/workloads.sh"    # the workload suite, per program and geometric mean
st=$?
"$ROOT/tests/bench/trace-cost.sh" || st=1  # what --trace costs (trace tools)
"$ROOT/tests/bench/shadow.sh" || st=1  # stage 04: shadow paging, bt-01 vs bt-04 vs native
"$ROOT/tests/bench/micro.sh" || st=1   # Adams & Agesen microbenchmark table (micro.mk)
"$ROOT/tests/bench/linux.sh" || st=1   # Debian's Linux to the prompt and to poweroff
"$ROOT/tests/bench/io.sh" || st=1      # stage 05: traps per MiB, IDE disk vs virtio-blk
exit $st
