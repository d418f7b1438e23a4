#!/bin/bash
# tests/bench/io.sh — stage 05's comparison: what reading a disk costs in
# traps when the disk is emulated register by register (the PIIX3 IDE disk
# of `vmm-io --ata`, 05-io/ata_bmdma.h) and when it is virtio-blk (`--disk`).
#
# Debian's Linux (build/linux, initrd-io.gz with `vmlab.io=bench`) reads
# IO_BENCH_MIB MiB (default 32) of the raw disk with dd and powers off,
# under --engine bt, once per row:
#   ata-dma      ata_piix with bus-master DMA (READ DMA EXT, PRD tables)
#   ata-pio      the same with libata's dma=0: every sector by PIO
#   virtio-msix  virtio-blk, Linux with an APIC: MSI-X, no ISR read
#   virtio-intx  virtio-blk with pci=nomsi: INTx# and an ISR read per interrupt
# and once more reading nothing: the difference of the two runs' --stats
# is the cost of the MiB read alone (probe, partition scan and power-off
# cancel out).  A column per MiB read: the disk's register accesses (each
# a trap to the VMM: a port or MMIO access; under KVM a VM exit each, but
# that REP INSW is one exit a page), of them data port words, interrupts,
# and the commands (ATA) or requests (virtio) that moved it.  The bt
# engine's own exit table is not used: its I/O instruction exits are
# mostly Linux's clock source (the ACPI PM timer), not the disk.
#
# IO_BENCH_QUICK=1 (tests/bench/io-smoke.sh): 2 MiB, rows ata-dma and
# virtio-msix only.  Prints the table and writes $IO_BENCH_OUT/io.json
# (default build/bench).  No pass/fail on speed; status 1 if a run failed.
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
VMM=$BUILD/vmm-io
LINUX=$BUILD/linux
OUT=${IO_BENCH_OUT:-$BUILD/bench}
MIB=${IO_BENCH_MIB:-32}
ROWS="ata-dma ata-pio virtio-msix virtio-intx"
if [ "${IO_BENCH_QUICK:-0}" = 1 ]; then
    MIB=2
    ROWS="ata-dma virtio-msix"
fi
WORK=$(mktemp -d /tmp/vmlab-iobench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
say() { echo "bench io: $*"; }

if [ ! -x "$VMM" ] || [ ! -f "$LINUX/vmlinuz" ] || [ ! -f "$LINUX/initrd-io.gz" ]; then
    say "needs $VMM and build/linux (make _all, make linux)"
    exit 1
fi
truncate -s $((MIB + 8))M "$WORK/disk.img"

BASE="console=ttyS0 nokaslr panic=-1 no_timer_check vmlab.io=bench"
# run ROW MIB : boot, read MIB MiB, the --stats in $WORK/ROW-MIB.out.
run() {
    local row=$1 mib=$2 dev extra=""
    case $row in
    ata-dma) dev=(--ata "$WORK/disk.img,ro") extra="vmlab.disk=sda" ;;
    ata-pio) dev=(--ata "$WORK/disk.img,ro") extra="vmlab.disk=sda vmlab.ata=pio" ;;
    virtio-msix) dev=(--disk "$WORK/disk.img,ro") ;;
    virtio-intx) dev=(--disk "$WORK/disk.img,ro") extra="pci=nomsi" ;;
    esac
    timeout 900 "$VMM" --engine bt --mem 256M --stats --timeout 840 "${dev[@]}" \
        --initrd "$LINUX/initrd-io.gz" "$LINUX/vmlinuz" -- $BASE $extra vmlab.mib="$mib" \
        >"$WORK/$row-$mib.out" 2>&1 </dev/null
    echo $? >"$WORK/$row-$mib.rc"
}

# counts FILE : "traps data irqs cmds kib" of the disk, from --stats.
counts() {
    awk '
    /^  ata: / { data = $2; other = $6; cmds = $13; irqs = $(NF - 1)
                 for (i = 1; i <= NF; i++) if ($i == "in") kib += $(i - 2)
                 traps += data + other }
    /^  ata bus master: / { traps += $4 }
    /^  virtio-blk: [0-9]+ register accesses/ { traps = $2; cmds = $14; irqs = $16 }
    /^  virtio-blk: [0-9]+ reads/ { kib = substr($4, 2) }
    END { printf "%d %d %d %d %d\n", traps, data, irqs, cmds, kib }' "$1"
}

st=0
for row in $ROWS; do
    for mib in 0 "$MIB"; do
        while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
        run "$row" "$mib" &
    done
done
wait

printf '%-12s %10s %12s %11s %10s %9s\n' "row" "MiB read" "traps/MiB" "data/MiB" "irqs/MiB" "cmds/MiB"
json="{\"mib\": $MIB, \"engine\": \"bt\", \"rows\": ["
sep=""
for row in $ROWS; do
    bad=""
    for mib in 0 "$MIB"; do
        rc=$(cat "$WORK/$row-$mib.rc")
        if [ "$rc" != 0 ] || { [ "$mib" != 0 ] && ! grep -aq "vmlab-io: read $mib MiB" "$WORK/$row-$mib.out"; }; then
            bad="run of $mib MiB: status $rc, $(tr -d '\r' <"$WORK/$row-$mib.out" | grep -a -m1 -E 'error|panic|FAIL' || echo 'no read line')"
        fi
    done
    if [ -n "$bad" ]; then
        printf '%-12s %s\n' "$row" "fail: $bad"
        st=1
        continue
    fi
    read -r t0 d0 i0 c0 k0 <<<"$(counts "$WORK/$row-0.out")"
    read -r t1 d1 i1 c1 k1 <<<"$(counts "$WORK/$row-$MIB.out")"
    line=$(awk -v t="$((t1 - t0))" -v d="$((d1 - d0))" -v i="$((i1 - i0))" -v c="$((c1 - c0))" \
        -v k="$((k1 - k0))" 'BEGIN { m = k / 1024; if (m <= 0) m = 1
        printf "%.2f %.1f %.1f %.2f %.2f", m, t / m, d / m, i / m, c / m }')
    read -r m tpm dpm ipm cpm <<<"$line"
    printf '%-12s %10s %12s %11s %10s %9s\n' "$row" "$m" "$tpm" "$dpm" "$ipm" "$cpm"
    json="$json$sep{\"row\": \"$row\", \"mib_read\": $m, \"traps_per_mib\": $tpm, \"data_port_per_mib\": $dpm, \"interrupts_per_mib\": $ipm, \"commands_per_mib\": $cpm}"
    sep=", "
done
echo "$json]}" >"$OUT/io.json"
say "per MiB read under bt, the difference of a $MIB MiB run and a 0 MiB run; $OUT/io.json"
exit $st
