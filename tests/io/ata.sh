#!/bin/bash
# tests/io/ata.sh — stage 05: build/vmm-io's emulated IDE disk (--ata: a
# PIIX3 IDE function with an ATA disk, 05-io/ata_bmdma.h), used by
# Debian's own drivers: libata with ata_piix, and sd_mod.  Linux boots from
# initrd-io.gz (scripts/linux.sh adds those modules; tests/io/init loads
# them) and with `vmlab.io=test vmlab.disk=sda`:
#  - finds the controller at 00:07.0 (8086:7010) in compatibility mode
#    (ports 0x1F0/0x3F6, bus master at 0xC000, IRQ 14), IDENTIFY's model,
#    multiword DMA, LBA48, and names the disk /dev/sda with the image's size;
#  - mounts the ext2 image mkfs.ext2 made on the host, reads a text file and
#    a random file (md5), writes a file, unmounts and powers off; the host
#    reads the file back with debugfs and e2fsck finds the image clean;
#  - the data moved by DMA (READ/WRITE DMA through PRD tables), flushes
#    sent (the write cache IDENTIFY reports), no command aborted;
#  - with --ata FILE,ro: mounted read-only, a raw write fails (every write
#    command aborted: ABRT), the image is unchanged.
# Under bt in APIC mode (IRQ 14 at the I/O APIC, edge), in PIC mode (the
# 8259) and under vmx.  Bad --ata values are one line and status 64.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-io
LINUX=$BUILD/linux
LIMIT=${IO_LINUX_SECONDS:-600}
if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
    notok "ata tests" "$VMM or $GUEST missing (run make _all)"
    finish
fi

# --- bad input: one line, status 64 ---------------------------------------
bad() {  # bad NAME REGEX SPEC
    "$VMM" --ata "$3" "$GUEST" >"$TMPD/bad.out" 2>&1 </dev/null
    local rc=$?
    if [ $rc -eq 64 ] && [ "$(wc -l <"$TMPD/bad.out")" -eq 2 ] &&
        grep -Eq "^vmm-io: error: $2" "$TMPD/bad.out"; then
        ok "bad --ata: $1"
    else
        notok "bad --ata: $1" "status $rc: $(head -2 "$TMPD/bad.out" | tr '\n' '|')"
    fi
}
truncate -s 1M "$TMPD/small.img"
bad "missing file" "cannot open disk '/nonexistent/disk.img' for writing: No such file" /nonexistent/disk.img
bad "a directory" "disk '.*' is not a regular file" "$TMPD"
bad "unknown flag" "--ata '.*,rw': expected FILE or FILE,ro" "$TMPD/small.img,rw"

# --- Linux on the IDE disk -----------------------------------------------------
need_linux "Linux on the emulated IDE disk"
if ! gzip -dc "$LINUX/initrd-io.gz" 2>/dev/null | grep -aq "ata_piix.ko"; then
    notok "initrd-io.gz" "no ata_piix.ko in $LINUX/initrd-io.gz (run make linux)"
    finish
fi
. "$(dirname "$0")/ext2.sh"
ext2_files # the image's files; image FILE makes one

# As tests/io/io.sh: panic=-1 ends a panicking kernel at once,
# no_timer_check keeps a busy host's timer check out of a disk test.
BASE="console=ttyS0 nokaslr panic=-1 vmlab.io=test vmlab.disk=sda"
APIC="no_timer_check"
PIC="noapic nolapic"
boot() {  # boot ID ENGINE DISK [cmdline...]
    local id=$1 engine=$2 disk=$3; shift 3
    local t0=$SECONDS
    timeout $((LIMIT + 60)) "$VMM" --engine "$engine" --mem 256M --stats --timeout "$LIMIT" \
        --ata "$disk" --initrd "$LINUX/initrd-io.gz" "$LINUX/vmlinuz" -- $BASE "$@" \
        >"$TMPD/$id.out" 2>&1 </dev/null
    local rc=$?
    echo $((SECONDS - t0)) >"$TMPD/$id.secs"
    return $rc
}

RUNS="bt bt-pic vmx"
declare -A IRQ=(
    [bt]="IRQ 14 at the I/O APIC, edge|14: [1-9][0-9]* IO-APIC 14-edge ata_piix$"
    [vmx]="IRQ 14 at the I/O APIC, edge|14: [1-9][0-9]* IO-APIC 14-edge ata_piix$"
    [bt-pic]="IRQ 14 through the 8259|14: [1-9][0-9]* XT-PIC ata_piix$"
)
for id in $RUNS ro; do
    image "$TMPD/$id.img" || { notok "mkfs.ext2" "$(tail -1 "$TMPD/mkfs.out")"; finish; }
done
RO_SUM=$(md5sum <"$TMPD/ro.img")
start_case bt boot bt bt "$TMPD/bt.img" $APIC
start_case bt-pic boot bt-pic bt "$TMPD/bt-pic.img" $PIC
start_case vmx boot vmx vmx "$TMPD/vmx.img" $APIC
start_case ro boot ro bt "$TMPD/ro.img,ro" $PIC vmlab.io=ro
wait

line() {  # line ID NAME REGEX: a console line of ID (the console ends lines with CR LF)
    [ -f "$TMPD/$1.txt" ] || tr -d '\r' <"$TMPD/$1.out" >"$TMPD/$1.txt"
    expect_grep "$1: $2" "$3" "$TMPD/$1.txt"
}
for id in $RUNS; do
    case_status $id 0 "$id: Linux powers off with status 0 after $(cat "$TMPD/$id.secs") s"
    line $id "libata modules loaded" "^vmlab-io: modules loaded: ata_piix .*libata .*scsi_mod sd_mod "
    line $id "the PIIX3 IDE function on bus 0" "pci 0000:00:07\\.0: \\[8086:7010\\] type 00 class 0x010180"
    line $id "ata_piix: legacy ports, bus master, IRQ 14" "ata1: PATA max MWDMA2 cmd 0x1f0 ctl 0x3f6 bmdma 0xc000 irq 14$"
    line $id "IDENTIFY: model, ATA-6, LBA48" "ata1\\.00: ATA-6: VMLAB ATA DISK, 1\\.0, max UDMA/100$"
    line $id "IDENTIFY: capacity" "ata1\\.00: 32768 sectors, multi 0: LBA48 *$"
    line $id "sd: the write cache IDENTIFY reports" "\\[sda\\] Write cache: enabled"
    line $id "/dev/sda: size and model" "^vmlab-io: sda sectors=32768 ro=0 model=VMLAB ATA DISK *$"
    line $id "ext2 mounted" "^vmlab-io: mounted$"
    line $id "reads the host's text file" "^vmlab-io: hello: hello from the host$"
    line $id "reads the host's random file (md5)" "^vmlab-io: host\\.bin md5=$HOST_SUM$"
    line $id "writes a file (md5 in the guest)" "^vmlab-io: guest\\.txt md5=$GUEST_SUM$"
    line $id "unmounts" "^vmlab-io: unmounted$"
    line $id "interrupts by ${IRQ[$id]%%|*}" "^vmlab-io: interrupts: ${IRQ[$id]#*|}"
    no_line $id "failed command|exception Emask|limiting speed|I/O error|EXT4-fs error" \
        "$id: no ATA error, no I/O error"
    got=$(debugfs -R "cat /guest.txt" "$TMPD/$id.img" 2>/dev/null | md5sum | cut -d' ' -f1)
    if [ "$got" = "$GUEST_SUM" ]; then ok "$id: the host reads the guest's file back (debugfs)"
    else notok "$id: the host reads the guest's file back (debugfs)" "md5 $got, expected $GUEST_SUM"; fi
    if e2fsck -f -n "$TMPD/$id.img" >"$TMPD/$id.fsck" 2>&1; then ok "$id: e2fsck: the file system is clean"
    else notok "$id: e2fsck: the file system is clean" "$(tail -2 "$TMPD/$id.fsck" | tr '\n' '|')"; fi
    # --stats: Linux moved the data by DMA, flushed, and nothing was aborted.
    stats=$(grep -E "^  ata: " "$TMPD/$id.out")
    if grep -Eq "\\(0 aborted\\), PIO 0 KiB in / 0 KiB out, DMA [1-9][0-9]{2,} KiB in / [1-9][0-9]{2,} KiB out, [1-9][0-9]* flushes" <<<"$stats"; then
        ok "$id: --stats: reads and writes by DMA, flushes, no command aborted"
    else
        notok "$id: --stats: reads and writes by DMA, flushes, no command aborted" "'$stats'"
    fi
    echo "# $id: $(sed 's/^  //' <<<"$stats")"
    echo "# $id: $(grep -E '^  ata bus master:' "$TMPD/$id.out" | sed 's/^  //')"
done

case_status ro 0 "ro: Linux powers off with status 0"
line ro "mounted read-only" "^vmlab-io: mounted read-only$"
line ro "reads the host's file" "^vmlab-io: hello: hello from the host$"
line ro "a raw write fails (the disk aborts it)" "^vmlab-io: raw write refused$"
line ro "libata saw the abort" "failed command: WRITE (DMA|SECTORS)"
if grep -Eq "^  ata: .* commands \\([1-9][0-9]* aborted\\)" "$TMPD/ro.out"; then
    ok "ro: --stats counts the aborted writes"
else
    notok "ro: --stats counts the aborted writes" "$(grep -E '^  ata: ' "$TMPD/ro.out")"
fi
if [ "$(md5sum <"$TMPD/ro.img")" = "$RO_SUM" ]; then ok "ro: the image is unchanged"
else notok "ro: the image is unchanged" "its md5 changed"; fi
finish
