#!/bin/bash
# tests/io/qemu-virtio.sh — the teaching guest's virtio-blk driver
# (common/guest/kernel/virtio_blk.c, program virtio_blk) against a virtio-blk
# device nobody here wrote: QEMU's own, modern only
# (-device virtio-blk-pci,disable-legacy=on), under qemu-system-i386 TCG;
# likewise its entropy and console drivers (programs virtio_rng and
# virtio_console) against QEMU's virtio-rng-pci and virtconsole.  Then the
# same programs against build/vmm-io's devices, over virtio-pci and
# virtio-mmio.
#
# Each case writes a disk image with the host's pattern (32-bit word w of
# sector s is 0xB1000000 | (s & 0xFFFF) << 8 | w, little-endian), boots
# test=virtio_blk iters=N, and checks
#  - the guest's verdict and its RESULT line: the device found, interrupts
#    delivered and every interrupt-mode request completed by the handler,
#    polled reads with the device's interrupts suppressed (ISR stayed 0),
#    event index and indirect descriptors negotiated or not as the device
#    offered them (event_idx=off, indirect_desc=off), GET_ID's serial;
#  - on the host, after the VM is gone: the 8 sectors the guest wrote at
#    sector N hold its pattern (0x6E000000 | (s & 0xFFFF) << 8 | w) and
#    nothing else changed; a read-only disk is byte for byte unchanged and
#    the guest saw its write refused by the driver and by the device.
# QEMU alone also puts the disk behind a multi-function slot and on q35.
# Without a disk the program says SKIP and passes; with too small a disk it
# fails with one line, never hangs.
#
# A runner boots the guest with one disk:  RUNNER... OUT CMDLINE IMAGE MODE
# (MODE rw, ro, and where the runner can: rw-noevent, rw-noindirect) and
# ends with the guest's own debug-exit value (0 pass, 1 FAIL, ...), 125 when
# it cannot do MODE, 100 + status when the VMM itself failed.  qemu_blk is
# QEMU; vmm_blk takes a VMM command (--disk FILE[,ro]): build/vmm-io under
# --engine bt and vmx runs the same cases once built (VMM_IO=... picks
# another binary), over virtio-pci and virtio-mmio (TRANSPORT=mmio: the
# RESULT line says device=virtio-blk-mmio).
. "$(dirname "$0")/../lib.sh"

if ! command -v qemu-system-i386 >/dev/null; then
    skip "virtio-blk against QEMU" "qemu-system-i386 not installed"
    finish
fi
if [ ! -f "$GUEST" ]; then
    notok "guest image" "$GUEST missing (run make _all)"
    finish
fi
if ! command -v perl >/dev/null; then
    notok "virtio-blk against QEMU" "perl missing (it writes the disk patterns)"
    finish
fi

. "$(dirname "$0")/pattern.sh"

# qemu_blk OUT CMDLINE IMAGE MODE [extra -device properties]
qemu_blk() {
    local out=$1 cmdline=$2 img=$3 mode=$4 props=${5:-} drive=",format=raw" rc
    case $mode in
    rw) ;;
    rw-noevent) props="$props,event_idx=off" ;;
    rw-noindirect) props="$props,indirect_desc=off" ;;
    ro) drive="$drive,readonly=on" ;;
    *) return 125 ;;
    esac
    qemu_i386 "$out" "$cmdline" -drive "if=none,id=vd0,file=$img$drive" \
        -device "virtio-blk-pci,disable-legacy=on,drive=vd0$props"
    rc=$?
    # isa-debug-exit: (value << 1) | 1; anything even is QEMU's own status.
    if [ $((rc & 1)) -eq 1 ]; then return $(((rc - 1) / 2)); fi
    return $((100 + rc))
}

# vmm_blk VMM [VMM OPTIONS...] OUT CMDLINE IMAGE MODE : one of our VMMs.
vmm_blk() {
    local n=$# out cmdline img mode disk
    out=${@:n-3:1} cmdline=${@:n-2:1} img=${@:n-1:1} mode=${@:n:1}
    case $mode in
    rw) disk=$img ;;
    ro) disk="$img,ro" ;;
    *) return 125 ;;
    esac
    timeout 120 "${@:1:n-4}" --timeout 60 --disk "$disk" "$GUEST" -- "$cmdline" >"$out" 2>&1 </dev/null
    local rc=$?
    [ $rc -lt 64 ] && return $rc
    return $((100 + rc))
}

# disk_case RUNNER_ID ID SECTORS ITERS MODE RUNNER... : start one case.
disk_case() {
    local rid=$1 id=$2 sectors=$3 iters=$4 mode=$5; shift 5
    pattern host 0 "$sectors" >"$TMPD/$rid-$id.img"
    cp "$TMPD/$rid-$id.img" "$TMPD/$rid-$id.orig"
    start_case "$rid-$id" "$@" "$TMPD/$rid-$id.out" "test=virtio_blk iters=$iters" "$TMPD/$rid-$id.img" "$mode"
}

# result_has ID NAME REGEX... : the RESULT line of case ID matches every REGEX.
result_has() {
    local id=$1 name=$2 line; shift 2
    line=$(grep -m1 '^RESULT virtio_blk ' "$TMPD/$id.out" | tr -d '\r')
    for re in "$@"; do
        if ! grep -Eq -- " $re( |\$)" <<<"$line"; then
            notok "$name" "no '$re' in '${line:-no RESULT line}'"
            return
        fi
    done
    ok "$name"
}

# sectors_are ID NAME KIND FIRST COUNT : the image of case ID holds KIND's
# pattern there.
sectors_are() {
    local id=$1 name=$2 kind=$3 first=$4 count=$5
    if cmp -s <(dd if="$TMPD/$id.img" bs=512 skip="$first" count="$count" status=none) \
        <(pattern "$kind" "$first" "$count"); then ok "$name"
    else notok "$name" "sectors $first..$((first + count - 1)) of the image do not hold the $kind pattern"; fi
}

# check_rw RID ID ITERS EVENT NAME : a read-write case after the run.
check_rw() {
    local rid=$1 id=$2 iters=$3 event=$4 name=$5 sectors
    if [ "$(cat "$TMPD/$rid-$id.rc")" = 125 ]; then
        skip "$name" "the runner cannot set up this case"
        return
    fi
    case_status "$rid-$id" 0 "$name: PASS (status 0)"
    expect_grep "$name: PASS line" '^PASS virtio_blk' "$TMPD/$rid-$id.out"
    result_has "$rid-$id" "$name: device found, event index $event, writable, flush offered" \
        "device=virtio-blk-${TRANSPORT:-pci}" "event_idx=$event" 'ro=0' 'flush=1' "sectors=$iters"
    # Every interrupt-mode request completed in the handler, none in the
    # polled pass raised the ISR, and the device named only our chains.
    if grep -Eq 'irq_requests=([0-9]+) .*irq_completed=\1 ' "$TMPD/$rid-$id.out" &&
        grep -q ' irqs=[1-9]' "$TMPD/$rid-$id.out"; then ok "$name: completion by interrupt"
    else notok "$name: completion by interrupt" "irqs=0 or irq_completed differs from irq_requests in '$(grep -m1 '^RESULT' "$TMPD/$rid-$id.out" || echo no RESULT line)'"; fi
    result_has "$rid-$id" "$name: polled reads raised no interrupt, no bad used entry" 'poll_isr=0' 'bad_used=0'
    result_has "$rid-$id" "$name: the write and the flush completed" 'write=ok' "wsector=$iters" 'wcount=8'
    sectors_are "$rid-$id" "$name: the guest's 8 sectors are in the image" guest "$iters" 8
    sectors=$(($(stat -c %s "$TMPD/$rid-$id.img") / 512))
    if cmp -s <(head -c $((iters * 512)) "$TMPD/$rid-$id.img") <(head -c $((iters * 512)) "$TMPD/$rid-$id.orig") &&
        cmp -s <(tail -c $(((sectors - iters - 8) * 512)) "$TMPD/$rid-$id.img") \
            <(tail -c $(((sectors - iters - 8) * 512)) "$TMPD/$rid-$id.orig"); then
        ok "$name: no other sector changed"
    else notok "$name: no other sector changed" "the image differs outside sectors $iters..$((iters + 7))"; fi
}

# run_disk_cases RID "MODES" RUNNER... : every case for one runner (the
# MODES it can set up besides rw and ro), then the checks.
run_disk_cases() {
    local rid=$1 modes=" $2 "; shift 2
    disk_case "$rid" rw 2048 300 rw "$@"
    [[ $modes == *" rw-noevent "* ]] && disk_case "$rid" noevent 2048 64 rw-noevent "$@"
    [[ $modes == *" rw-noindirect "* ]] && disk_case "$rid" noindirect 2048 64 rw-noindirect "$@"
    disk_case "$rid" ro 2048 64 ro "$@"
    disk_case "$rid" small 16 64 rw "$@"
    wait

    check_rw "$rid" rw 300 1 "$rid rw"
    [[ $modes == *" rw-noevent "* ]] && check_rw "$rid" noevent 64 0 "$rid event_idx=off"
    if [[ $modes == *" rw-noindirect "* ]]; then
        check_rw "$rid" noindirect 64 1 "$rid indirect_desc=off"
        result_has "$rid-noindirect" "$rid indirect_desc=off: the driver chains in the ring" 'indirect=0'
    fi

    case_status "$rid-ro" 0 "$rid read-only: PASS (status 0)"
    result_has "$rid-ro" "$rid read-only: the guest saw VIRTIO_BLK_F_RO, the device refused the write" \
        'ro=1' 'write=refused-(ioerr|unsupp)' 'poll_isr=0'
    if cmp -s "$TMPD/$rid-ro.img" "$TMPD/$rid-ro.orig"; then ok "$rid read-only: image unchanged"
    else notok "$rid read-only: image unchanged" "the read-only image was written"; fi

    case_status "$rid-small" 1 "$rid disk too small for iters: FAIL (status 1)"
    expect_grep "$rid disk too small: one FAIL line naming the size" \
        '^FAIL virtio_blk disk has 16 sectors, need 72' "$TMPD/$rid-small.out"
}

run_disk_cases qemu "rw-noevent rw-noindirect" qemu_blk

# QEMU only: a 4-entry queue, its descriptors reused all the time: with
# indirect descriptors four requests go per kick (9 requests, 3 kicks),
# without one (9 kicks); the device's serial through GET_ID; no disk at all.
pattern host 0 2048 >"$TMPD/q4.img"
cp "$TMPD/q4.img" "$TMPD/q4i.img"
start_case q4 qemu_blk "$TMPD/q4.out" "test=virtio_blk iters=64" "$TMPD/q4.img" rw \
    ",queue-size=4,indirect_desc=off,serial=VMLAB0042"
start_case q4i qemu_blk "$TMPD/q4i.out" "test=virtio_blk iters=64" "$TMPD/q4i.img" rw ",queue-size=4"
start_case none qemu_i386 "$TMPD/none.out" "test=virtio_blk"
# Enumeration: function 3 of a multi-function slot whose function 0 is
# another virtio device (virtio-rng, 0x1044), and the q35 machine (PCIe).
pattern host 0 2048 >"$TMPD/mf.img"
cp "$TMPD/mf.img" "$TMPD/q35.img"
start_case mf qemu_i386 "$TMPD/mf.out" "test=virtio_blk" \
    -drive "if=none,id=vd0,file=$TMPD/mf.img,format=raw" \
    -device virtio-rng-pci,disable-legacy=on,addr=0x5.0,multifunction=on \
    -device virtio-blk-pci,disable-legacy=on,drive=vd0,addr=0x5.3
start_case q35 qemu_i386 "$TMPD/q35.out" "test=virtio_blk" -M q35 \
    -drive "if=none,id=vd0,file=$TMPD/q35.img,format=raw" -device virtio-blk-pci,disable-legacy=on,drive=vd0
wait
case_status q4 0 "qemu queue-size=4: PASS (status 0)"
result_has q4 "qemu queue-size=4, direct: one request per kick" 'indirect=0' 'irq_requests=9' 'irq_kicks=9' 'write=ok'
result_has q4 "qemu serial=VMLAB0042: GET_ID reads it" 'id=VMLAB0042'
case_status q4i 0 "qemu queue-size=4, indirect: PASS (status 0)"
result_has q4i "qemu queue-size=4, indirect: four requests per kick" 'indirect=1' 'irq_requests=9' 'irq_kicks=3' 'write=ok'
case_status mf 1 "qemu multi-function slot: PASS (status 1)"
result_has mf "qemu multi-function slot: the disk found at 00:05.3, past virtio-rng at 00:05.0" \
    'device=virtio-blk-pci' 'pci=00:05.3' 'write=ok'
case_status q35 1 "qemu -M q35: PASS (status 1)"
result_has q35 "qemu -M q35: the disk works on the PCIe machine" 'device=virtio-blk-pci' 'write=ok' 'poll_isr=0'
case_status none 1 "no disk: status 1 (debug-exit 0)"
expect_grep "no disk: SKIP line" '^vmlab: virtio_blk: SKIP: no virtio-blk PCI device' "$TMPD/none.out"
result_has none "no disk: RESULT says device=none" 'device=none' 'skipped=1'

# The entropy driver (common/guest/programs/virtio_rng.c, on the
# transport-neutral kernel/virtio_dev.c) against QEMU's virtio-rng-pci,
# with and without the event index, then against vmm-io's --rng over PCI
# and virtio-mmio (found on the command line vmm-io writes), bt and vmx.
# rng_check ID NAME TRANSPORT EVENT: the verdict and the RESULT line.
rng_check() {
    local id=$1 name=$2 transport=$3 event=$4 want=${5:-1}
    case_status "$id" "$want" "$name: PASS (status $want)"
    expect_grep "$name: PASS line" '^PASS virtio_rng' "$TMPD/$id.out"
    local line
    line=$(grep -m1 '^RESULT virtio_rng ' "$TMPD/$id.out" | tr -d '\r')
    for re in "device=virtio-rng-$transport" "event_idx=$event" 'requests=17' 'bytes=320' 'irqs=16' \
        'irq_completed=16' 'poll_isr=0' 'bad_len=0' 'repeats=0' 'bad_used=0'; do
        if ! grep -Eq -- " $re( |\$)" <<<"$line"; then
            notok "$name: every request full, by interrupt and polled, no repeat" "no '$re' in '${line:-no RESULT line}'"
            return
        fi
    done
    ok "$name: every request full, by interrupt and polled, no repeat"
}
rng_vmm() {  # rng_vmm OUT VMM... : one of our VMMs, its output in OUT
    local out=$1; shift
    timeout 120 "$@" >"$out" 2>&1 </dev/null
}
start_case rng-q qemu_i386 "$TMPD/rng-q.out" "test=virtio_rng" -device virtio-rng-pci,disable-legacy=on
start_case rng-qn qemu_i386 "$TMPD/rng-qn.out" "test=virtio_rng" \
    -device virtio-rng-pci,disable-legacy=on,event_idx=off
VMM_IO=${VMM_IO:-$BUILD/vmm-io}
if [ -x "$VMM_IO" ]; then
    for engine in bt vmx; do
        for t in pci mmio; do
            start_case "rng-$engine-$t" rng_vmm "$TMPD/rng-$engine-$t.out" "$VMM_IO" --engine $engine \
                --timeout 60 --virtio $t --rng getrandom "$GUEST" -- test=virtio_rng
        done
    done
fi
# The console driver (programs/virtio_console.c): three lines out on port
# 0, to QEMU's virtconsole (on virtio-serial-pci) and to vmm-io's
# --console-out over both transports; the host reads them in the file.
start_case con-q qemu_i386 "$TMPD/con-q.out" "test=virtio_console" \
    -device virtio-serial-pci,disable-legacy=on -chardev "file,id=c0,path=$TMPD/con-q.txt" \
    -device virtconsole,chardev=c0
if [ -x "$VMM_IO" ]; then
    for t in pci mmio; do
        start_case "con-$t" rng_vmm "$TMPD/con-$t.out" "$VMM_IO" --timeout 60 --virtio $t \
            --console-out "$TMPD/con-$t.txt" "$GUEST" -- test=virtio_console
    done
fi
wait
# con_check ID NAME TRANSPORT STATUS
con_check() {
    local id=$1 name=$2 transport=$3 want=$4
    case_status "$id" "$want" "$name: PASS (status $want)"
    expect_grep "$name: RESULT line" \
        "^RESULT virtio_console device=virtio-console-$transport transport=$transport lines=3 bytes=[0-9]+ bad_used=0" \
        "$TMPD/$id.out"
    if [ "$(cat "$TMPD/$id.txt" 2>/dev/null)" = "$(printf 'vmlab: virtio_console: line %s of 3 over %s\n' 1 "$transport" 2 "$transport" 3 "$transport")" ]; then
        ok "$name: the three lines, in order, in the host's file"
    else
        notok "$name: the three lines, in order, in the host's file" "got '$(head -c 200 "$TMPD/$id.txt" 2>/dev/null | tr '\n' '|')'"
    fi
}
con_check con-q "qemu virtconsole" pci 1
if [ -x "$VMM_IO" ]; then
    con_check con-pci "vmm-io --virtio pci: virtio-console" pci 0
    con_check con-mmio "vmm-io --virtio mmio: virtio-console" mmio 0
fi
rng_check rng-q "qemu virtio-rng-pci" pci 1 1
rng_check rng-qn "qemu virtio-rng-pci event_idx=off" pci 0 1

# Our VMMs' virtio-blk joins here when built: the same cases, the same checks.
VMM_IO=${VMM_IO:-$BUILD/vmm-io}
if [ -x "$VMM_IO" ]; then
    for engine in bt vmx; do
        run_disk_cases "vmm-io-$engine" "" vmm_blk "$VMM_IO" --engine $engine
        # The same driver over virtio-mmio (kernel/virtio_dev.c), the
        # device named on the guest's command line.
        TRANSPORT=mmio run_disk_cases "vmm-io-$engine-mmio" "" vmm_blk "$VMM_IO" --engine $engine \
            --virtio mmio
        for t in pci mmio; do
            rng_check "rng-$engine-$t" "vmm-io --engine $engine --virtio $t: virtio-rng" $t 1 0
        done
    done
else
    skip "virtio-blk under vmm-io" "${VMM_IO#"$ROOT"/} not built"
fi

finish
