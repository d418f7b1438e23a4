#!/bin/bash
# tests/io/qemu-ata.sh — the teaching guest's ATA driver
# (common/guest/kernel/ata.c, program ata) against an IDE disk nobody here
# wrote: QEMU's own (-drive if=ide on the pc machine's PIIX3), then against
# ours (build/vmm-io --ata) under --engine bt and vmx, with the same checks.
#
# Each case writes a disk image with the host's pattern (tests/io/pattern.sh),
# boots test=ata iters=N, and checks
#  - the guest's verdict and its RESULT line: the PIIX3 found, IDENTIFY's
#    capacity and LBA48, N sectors read and checked by PIO and by DMA, the
#    48-bit commands used, interrupts delivered; a read past the end and an
#    unknown command ended in ERR (IDNF or ABRT);
#  - on the host, after the VM is gone: the 8 sectors written by PIO at N
#    and the 8 by DMA at N+8 hold the guest's pattern and nothing else
#    changed.
# Ours only: a read-only disk (--ata FILE,ro; QEMU's IDE has none) refuses
# both writes with ABRT and stays byte for byte the same.  Both: a disk too
# small for N is one FAIL line; without a disk the program says SKIP.
. "$(dirname "$0")/../lib.sh"

if ! command -v qemu-system-i386 >/dev/null; then
    skip "ATA against QEMU" "qemu-system-i386 not installed"
    finish
fi
if [ ! -f "$GUEST" ] || ! command -v perl >/dev/null; then
    notok "ATA against QEMU" "$GUEST or perl missing (run make _all)"
    finish
fi
. "$(dirname "$0")/pattern.sh"

# A runner: RUNNER... OUT CMDLINE IMAGE MODE (rw or ro); the guest's own
# debug-exit value (0 PASS, 1 FAIL), 125 if it cannot do MODE, 100 + the
# VMM's status otherwise.
qemu_ata() {
    local out=$1 cmdline=$2 img=$3 mode=$4 rc
    [ "$mode" = rw ] || return 125 # QEMU's IDE disks cannot be read-only
    qemu_i386 "$out" "$cmdline" -drive "file=$img,format=raw,if=ide"
    rc=$?
    if [ $((rc & 1)) -eq 1 ]; then return $(((rc - 1) / 2)); fi
    return $((100 + rc))
}
vmm_ata() {
    local n=$# out cmdline img mode disk
    out=${@:n-3:1} cmdline=${@:n-2:1} img=${@:n-1:1} mode=${@:n:1}
    disk=$img
    [ "$mode" = ro ] && disk="$img,ro"
    timeout 120 "${@:1:n-4}" --timeout 60 --stats --ata "$disk" "$GUEST" -- "$cmdline" >"$out" 2>&1 </dev/null
    local rc=$?
    [ $rc -lt 64 ] && return $rc
    return $((100 + rc))
}

disk_case() {  # disk_case RID ID SECTORS ITERS MODE RUNNER...
    local rid=$1 id=$2 sectors=$3 iters=$4 mode=$5; shift 5
    pattern host 0 "$sectors" >"$TMPD/$rid-$id.img"
    cp "$TMPD/$rid-$id.img" "$TMPD/$rid-$id.orig"
    start_case "$rid-$id" "$@" "$TMPD/$rid-$id.out" "test=ata iters=$iters" "$TMPD/$rid-$id.img" "$mode"
}

result_has() {  # result_has ID NAME REGEX...
    local id=$1 name=$2 line; shift 2
    line=$(grep -m1 '^RESULT ata ' "$TMPD/$id.out" | tr -d '\r')
    for re in "$@"; do
        if ! grep -Eq -- " $re( |\$)" <<<"$line"; then
            notok "$name" "no '$re' in '${line:-no RESULT line}'"
            return
        fi
    done
    ok "$name"
}

check_rw() {  # check_rw RID ID ITERS NAME
    local rid=$1 id=$2 n=$3 name=$4 total
    case_status "$rid-$id" 0 "$name: PASS (status 0)"
    result_has "$rid-$id" "$name: the disk found, IDENTIFY's capacity, LBA48" \
        'device=piix-ide' 'sectors=2048' 'lba48=1' 'ext=1'
    result_has "$rid-$id" "$name: $n sectors checked by PIO and by DMA, by interrupt" \
        "checked=$n" "pio_sectors=$((n + 3 + 8 + 8 + 1))" "dma_sectors=$((n + 5 + 8 + 8))" 'irqs=[1-9][0-9]*'
    result_has "$rid-$id" "$name: written and flushed; past the end and unknown command refused" \
        'write=ok' "wsector=$n" 'wcount=16' 'past_end=(idnf|abrt)' 'unknown=abrt'
    if cmp -s <(dd if="$TMPD/$rid-$id.img" bs=512 skip="$n" count=16 status=none) <(pattern guest "$n" 16); then
        ok "$name: the guest's 16 sectors (PIO and DMA) are in the image"
    else notok "$name: the guest's 16 sectors (PIO and DMA) are in the image" "sectors $n..$((n + 15)) differ"; fi
    total=$(($(stat -c %s "$TMPD/$rid-$id.img") / 512))
    if cmp -s <(head -c $((n * 512)) "$TMPD/$rid-$id.img") <(head -c $((n * 512)) "$TMPD/$rid-$id.orig") &&
        cmp -s <(tail -c $(((total - n - 16) * 512)) "$TMPD/$rid-$id.img") \
            <(tail -c $(((total - n - 16) * 512)) "$TMPD/$rid-$id.orig"); then
        ok "$name: no other sector changed"
    else notok "$name: no other sector changed" "the image differs outside sectors $n..$((n + 15))"; fi
}

run_cases() {  # run_cases RID RUNNER...
    local rid=$1; shift
    disk_case "$rid" rw 2048 300 rw "$@"
    disk_case "$rid" ro 2048 64 ro "$@"
    disk_case "$rid" small 16 64 rw "$@"
    wait
    check_rw "$rid" rw 300 "$rid rw"
    if [ "$(cat "$TMPD/$rid-ro.rc")" = 125 ]; then
        skip "$rid read-only" "the runner has no read-only IDE disk"
    else
        case_status "$rid-ro" 0 "$rid read-only: PASS (status 0)"
        result_has "$rid-ro" "$rid read-only: both writes aborted (ABRT)" 'write=refused-abrt' 'checked=64'
        if cmp -s "$TMPD/$rid-ro.img" "$TMPD/$rid-ro.orig"; then ok "$rid read-only: image unchanged"
        else notok "$rid read-only: image unchanged" "the read-only image was written"; fi
    fi
    case_status "$rid-small" 1 "$rid disk too small for iters: FAIL (status 1)"
    expect_grep "$rid disk too small: one FAIL line naming the size" \
        '^FAIL ata disk has 16 sectors, need 80' "$TMPD/$rid-small.out"
}

run_cases qemu qemu_ata
# No disk: QEMU's PIIX3 is there, its primary channel empty.
start_case none qemu_i386 "$TMPD/none.out" "test=ata"
wait
case_status none 1 "qemu, no disk: status 1 (debug-exit 0)"
result_has none "qemu, no disk: SKIP, RESULT says disk=none" 'device=piix-ide' 'disk=none' 'skipped=1'

VMM_IO=${VMM_IO:-$BUILD/vmm-io}
if [ -x "$VMM_IO" ]; then
    for engine in bt vmx; do
        run_cases "vmm-io-$engine" vmm_ata "$VMM_IO" --engine $engine
    done
    # The stats of the rw run: the data port is a trap per word under PIO.
    if grep -Eq '^  ata: [1-9][0-9]{4,} data port accesses, .* PIO [1-9][0-9]* KiB in / 4 KiB out, DMA [1-9][0-9]* KiB in / 4 KiB out, 1 flushes' \
        "$TMPD/vmm-io-bt-rw.out"; then ok "vmm-io --stats: PIO words at the data port, DMA sectors, the flush"
    else notok "vmm-io --stats: PIO words at the data port, DMA sectors, the flush" "$(grep '^  ata' "$TMPD/vmm-io-bt-rw.out")"; fi
    expect_status "vmm-io without --ata: status 0" 0 timeout 120 "$VMM_IO" --timeout 60 "$GUEST" -- test=ata
    expect_grep "vmm-io without --ata: SKIP, no controller" '^vmlab: ata: SKIP: no PIIX3 IDE controller' "$TMPD/out"
else
    skip "ATA under vmm-io" "${VMM_IO#"$ROOT"/} not built"
fi
finish
