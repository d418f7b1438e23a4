#!/bin/bash
# tests/io/io.sh — stage 05: build/vmm-io's virtio-blk, used by a driver
# nobody here wrote.  Debian's i386 Linux boots from initrd-io.gz
# (scripts/linux.sh: the default initramfs plus the virtio and ext4
# modules, tests/io/init loading them), finds our virtio-pci function
# through ACPI (the DSDT's PCI root bridge, 05-io/acpi_pci.h), and with
# `vmlab.io=test` on its command line:
#  - names the disk /dev/vda with the image's size and our serial (get-id);
#  - mounts the ext2 image mkfs.ext2 made on the host, reads a text file
#    and a random file the host wrote (md5 compared);
#  - writes a file, unmounts (writes and flushes reach the device) and
#    powers off with status 0; the host then reads that file back from the
#    image with debugfs (md5 compared) and e2fsck finds the file system
#    clean;
#  - with --disk FILE,ro: the disk is read-only in Linux (VIRTIO_BLK_F_RO),
#    a raw write is refused, the image is unchanged;
#  - a write the guest synced (ending with a flush) is in the image even
#    when the VMM is killed with SIGKILL right after;
#  - --stats counts the disk's register accesses (each a trap), notifies,
#    requests and interrupts.
# Under --engine bt (stage 04's translator) in APIC mode (MSI-X) and in PIC
# mode (INTx# through the 8259), and under vmx (stage 03's VMX model) with
# pci=nomsi (INTx# at the I/O APIC, level-triggered, active-low).
# The same disk test over the virtio-mmio transport (--virtio mmio): Linux
# finds the devices in the DSDT (LNRO0005, bus "platform"), under bt with
# the I/O APIC and under vmx in PIC mode.  The bt runs also have a
# virtio-rng (/dev/hwrng: rng_current virtio_rng.0, two different 16-byte
# reads) and a virtio-console (a line written to /dev/hvc0 reaches the
# --console-out file), over PCI and over MMIO; Linux negotiates indirect
# descriptors and the event index on every device.
# And bad --disk, --virtio, --rng and --console-out values are one line
# and an error status; the teaching guest still passes under vmm-io with a
# disk attached.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-io
LINUX=$BUILD/linux
LIMIT=${IO_LINUX_SECONDS:-600}
if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
    notok "io tests" "$VMM or $GUEST missing (run make _all)"
    finish
fi

# --- bad input: one line, status 64 ---------------------------------------
bad() {  # bad NAME REGEX DISK [OPTION VALUE (default --disk DISK)] [STATUS LINES]
    local opt=${4:---disk} want=${5:-64} lines=${6:-2}
    "$VMM" "$opt" "$3" "$GUEST" >"$TMPD/bad.out" 2>&1 </dev/null
    local rc=$?
    if [ $rc -eq "$want" ] && [ "$(wc -l <"$TMPD/bad.out")" -eq "$lines" ] &&
        grep -Eq "^vmm-io: error: $2" "$TMPD/bad.out"; then
        ok "bad $opt: $1"
    else
        notok "bad $opt: $1" "status $rc: $(head -2 "$TMPD/bad.out" | tr '\n' '|')"
    fi
}
# 1 MiB holding the host's pattern: test=all runs the guest's virtio_blk
# program, which checks what it reads (tests/io/pattern.sh).
. "$(dirname "$0")/pattern.sh"
pattern host 0 2048 >"$TMPD/small.img"
chmod 444 "$TMPD/small.img"
bad "missing file" "cannot open disk '/nonexistent/disk.img' for writing: No such file" /nonexistent/disk.img
bad "a directory" "disk '.*' is not a regular file" "$TMPD"
bad "unknown flag" "--disk '.*,rw': expected FILE or FILE,ro" "$TMPD/small.img,rw"
bad "unknown transport" "--virtio 'usb': expected pci or mmio" usb --virtio
bad "unknown entropy source" "--rng '/dev/random': the only source is getrandom" /dev/random --rng
bad "console output in a missing directory" "cannot create console output '/nonexistent/hvc': No such file" \
    /nonexistent/hvc --console-out 69 1
if [ "$(id -u)" -ne 0 ]; then
    bad "read-only file without ,ro" "cannot open disk '.*' for writing: Permission denied" "$TMPD/small.img"
fi
expect_status "vmm-io: teaching guest with a disk attached (test=all)" 0 \
    timeout 300 "$VMM" --engine bt --timeout 240 --disk "$TMPD/small.img,ro" "$GUEST" -- test=all
# virtio-mmio and a Multiboot guest: vmm-io names the windows on its
# command line (virtio_mmio.device=4K@0xd0000000:11 ...); the guest's
# entropy driver finds its device there, the rest of test=all still passes.
expect_status "vmm-io --virtio mmio: teaching guest, every device attached (test=all)" 0 \
    timeout 300 "$VMM" --engine bt --timeout 240 --virtio mmio --rng getrandom \
    --console-out "$TMPD/all.hvc" --disk "$TMPD/small.img,ro" "$GUEST" -- test=all
cp "$TMPD/out" "$TMPD/mmio-all.out"
expect_grep "vmm-io --virtio mmio: the devices on the guest's command line, before its own" \
    'cmdline="virtio_mmio.device=4K@0xd0000000:11 virtio_mmio.device=4K@0xd0001000:10 virtio_mmio.device=4K@0xd0002000:5 test=all"' \
    "$TMPD/mmio-all.out"
expect_grep "vmm-io --virtio mmio: the guest's virtio_rng found its device on virtio-mmio" \
    '^RESULT virtio_rng device=virtio-rng-mmio transport=mmio .* irq=10 .*repeats=0 ' "$TMPD/mmio-all.out"
expect_grep "vmm-io --virtio mmio: the guest's virtio_console wrote to the --console-out file" \
    '^vmlab: virtio_console: line 3 of 3 over mmio$' "$TMPD/all.hvc"
expect_status "vmm-io: teaching guest without a disk (test=hello)" 0 \
    timeout 120 "$VMM" --timeout 60 "$GUEST" -- test=hello
for e in vmx interp; do
    expect_status "vmm-io --engine $e: teaching guest with a disk attached (test=hello)" 0 \
        timeout 120 "$VMM" --engine $e --timeout 60 --disk "$TMPD/small.img,ro" "$GUEST" -- test=hello
done

# --- Linux on the virtio disk -----------------------------------------------
need_linux "Linux on virtio-blk"
if [ ! -f "$LINUX/initrd-io.gz" ]; then
    notok "initrd-io.gz" "scripts/linux.sh did not build $LINUX/initrd-io.gz"
    finish
fi
. "$(dirname "$0")/ext2.sh"
ext2_files # the image's files; image FILE makes one

# panic=-1: a kernel that panics ends the VM (and fails the checks) at once
# rather than at the timeout.  no_timer_check: this suite is about the
# disk; on a busy host Linux's IRQ0 check can fail in APIC mode ("IO-APIC +
# timer doesn't work", see tests/linux/session.sh, which tests the timer).
BASE="console=ttyS0 nokaslr panic=-1 vmlab.io=test"
APIC="no_timer_check"
PIC="noapic nolapic"
# The runs' own VMM options: the transport, the entropy and console devices.
declare -A VOPT=(
    [bt]="--rng getrandom --console-out $TMPD/bt.hvc"
    [mmio]="--virtio mmio --rng getrandom --console-out $TMPD/mmio.hvc"
    [mmio-pic]="--virtio mmio"
)
boot() {  # boot ID ENGINE DISK [cmdline...]
    local id=$1 engine=$2 disk=$3; shift 3
    local t0=$SECONDS
    # shellcheck disable=SC2086 # VOPT holds several words
    timeout $((LIMIT + 60)) "$VMM" --engine "$engine" --mem 256M --stats --timeout "$LIMIT" \
        ${VOPT[$id]:-} --disk "$disk" --initrd "$LINUX/initrd-io.gz" "$LINUX/vmlinuz" -- $BASE "$@" \
        >"$TMPD/$id.out" 2>&1 </dev/null
    local rc=$?
    echo $((SECONDS - t0)) >"$TMPD/$id.secs"
    return $rc
}

RUNS="vmx bt bt-pic mmio mmio-pic"
# How each run's interrupts must come: MSI-X where Linux has an APIC and
# MSI; INTx# at the I/O APIC (level, active-low: fasteoi) with pci=nomsi;
# INTx# through the 8259 in PIC mode.  virtio-mmio's line is level and
# active-low too (the DSDT says so), at the I/O APIC or the 8259.
declare -A IRQ=(
    [bt]="MSI-X, one vector per queue|[0-9]+: [1-9][0-9]* PCI-MSI [0-9]+-edge virtio0-req\\.0$"
    [vmx]="INTx# at the I/O APIC (pci=nomsi)|11: [1-9][0-9]* IO-APIC 11-fasteoi virtio0$"
    [bt-pic]="INTx# through the 8259|11: [1-9][0-9]* XT-PIC virtio0$"
    [mmio]="the virtio-mmio line at the I/O APIC|11: [1-9][0-9]* IO-APIC 11-fasteoi virtio0$"
    [mmio-pic]="the virtio-mmio line through the 8259|11: [1-9][0-9]* XT-PIC virtio0$"
)
for id in $RUNS ro; do
    image "$TMPD/$id.img" || { notok "mkfs.ext2" "$(tail -1 "$TMPD/mkfs.out")"; finish; }
done
RO_SUM=$(md5sum <"$TMPD/ro.img")
start_case vmx boot vmx vmx "$TMPD/vmx.img" $APIC pci=nomsi
start_case bt boot bt bt "$TMPD/bt.img" $APIC vmlab.io=hvc
start_case bt-pic boot bt-pic bt "$TMPD/bt-pic.img" $PIC
start_case mmio boot mmio bt "$TMPD/mmio.img" $APIC vmlab.io=hvc
start_case mmio-pic boot mmio-pic vmx "$TMPD/mmio-pic.img" $PIC
start_case ro boot ro bt "$TMPD/ro.img,ro" $PIC vmlab.io=ro
wait

line() {  # line ID NAME REGEX: a console line of ID (the console ends lines with CR LF)
    [ -f "$TMPD/$1.txt" ] || tr -d '\r' <"$TMPD/$1.out" >"$TMPD/$1.txt"
    expect_grep "$1: $2" "$3" "$TMPD/$1.txt"
}
for id in $RUNS; do
    case_status $id 0 "$id: Linux powers off with status 0 after $(cat "$TMPD/$id.secs") s"
    line $id "virtio modules loaded" \
        "^vmlab-io: modules loaded: .*ext4 .*virtio_blk .*virtio_mmio virtio_pci .*virtio_rng $"
    line $id "the PCI root bridge from the DSDT" "ACPI: PCI Root Bridge \\[PCI0\\]"
    if [[ $id == mmio* ]]; then
        line $id "the disk on virtio-mmio (the DSDT's LNRO0005)" \
            "^vmlab-io: virtio0 device=0x0002 bus=platform driver=virtio_blk indirect=1 event_idx=1$"
        no_line $id "1af4:10" "$id: no virtio PCI function"
    else
        line $id "our function on bus 0" "pci 0000:00:01\\.0: \\[1af4:1042\\] type 00"
        line $id "the disk on virtio-pci, indirect descriptors and event index negotiated" \
            "^vmlab-io: virtio0 device=0x0002 bus=pci driver=virtio_blk indirect=1 event_idx=1$"
    fi
    line $id "/dev/vda: size and serial (get-id)" "^vmlab-io: vda sectors=32768 ro=0 serial=vmlab-$id\\.img$"
    line $id "ext2 mounted" "^vmlab-io: mounted$"
    line $id "reads the host's text file" "^vmlab-io: hello: hello from the host$"
    line $id "reads the host's random file (md5)" "^vmlab-io: host\\.bin md5=$HOST_SUM$"
    line $id "writes a file (md5 in the guest)" "^vmlab-io: guest\\.txt md5=$GUEST_SUM$"
    line $id "unmounts" "^vmlab-io: unmounted$"
    line $id "interrupts by ${IRQ[$id]%%|*}" "^vmlab-io: interrupts: ${IRQ[$id]#*|}"
    no_line $id "needs reset|blk_update_request|Buffer I/O error|EXT4-fs error" "$id: no device error, no I/O error"
    got=$(debugfs -R "cat /guest.txt" "$TMPD/$id.img" 2>/dev/null | md5sum | cut -d' ' -f1)
    if [ "$got" = "$GUEST_SUM" ]; then ok "$id: the host reads the guest's file back (debugfs)"
    else notok "$id: the host reads the guest's file back (debugfs)" "md5 $got, expected $GUEST_SUM"; fi
    if e2fsck -f -n "$TMPD/$id.img" >"$TMPD/$id.fsck" 2>&1; then ok "$id: e2fsck: the file system is clean"
    else notok "$id: e2fsck: the file system is clean" "$(tail -2 "$TMPD/$id.fsck" | tr '\n' '|')"; fi
    # --stats: the disk's traffic, and what it cost in traps.
    stats=$(grep -E "^  virtio-blk: [0-9]+ reads" "$TMPD/$id.out")
    regs=$(sed -n 's/^  virtio-blk: \([0-9]*\) register accesses.*/\1/p' "$TMPD/$id.out")
    reqs=$(sed -n 's/^  virtio-blk: .* \([0-9]*\) requests,.*/\1/p' "$TMPD/$id.out")
    if echo "$stats" | grep -Eq "[1-9][0-9]* reads .* [1-9][0-9]* writes .* [1-9][0-9]* flushes, 1 other, 0 I/O errors"; then
        ok "$id: --stats counts reads, writes, flushes and the get-id"
    else
        notok "$id: --stats counts reads, writes, flushes and the get-id" "'$stats'"
    fi
    echo "# $id: $(grep -E '^  virtio-blk: [0-9]+ register' "$TMPD/$id.out" | sed 's/^  //')"
    [ -n "$reqs" ] && [ "$reqs" -gt 0 ] &&
        echo "# $id: $(awk -v a="$regs" -v r="$reqs" 'BEGIN { printf "%.1f register accesses per request", a / r }')"
done

# virtio-rng and virtio-console, over PCI (bt) and MMIO (mmio).
for id in bt mmio; do
    bus=pci
    [ $id = mmio ] && bus=platform
    line $id "virtio-rng on $bus, bound to virtio_rng" \
        "^vmlab-io: virtio1 device=0x0004 bus=$bus driver=virtio_rng indirect=1 event_idx=1$"
    line $id "virtio-console on $bus, bound to virtio_console" \
        "^vmlab-io: virtio2 device=0x0003 bus=$bus driver=virtio_console indirect=1 event_idx=1$"
    line $id "/dev/hwrng is the virtio-rng" "^vmlab-io: rng_current=virtio_rng\\.0$"
    mapfile -t rnd < <(sed -n 's/^vmlab-io: hwrng \([0-9a-f]\{32\}\)$/\1/p' "$TMPD/$id.txt")
    if [ ${#rnd[@]} -eq 2 ] && [ "${rnd[0]}" != "${rnd[1]}" ] && [ "${rnd[0]}" != "$(printf '0%.0s' {1..32})" ]; then
        ok "$id: two 16-byte reads of /dev/hwrng, different"
    else
        notok "$id: two 16-byte reads of /dev/hwrng, different" "got '${rnd[*]}'"
    fi
    expect_grep "$id: --stats: the rng's bytes came from getrandom(2)" \
        "^  virtio-rng: [1-9][0-9]* requests, [1-9][0-9]* bytes of getrandom\\(2\\), 0 short$" "$TMPD/$id.out"
    expect_grep "$id: a line written to /dev/hvc0 is in the --console-out file" \
        "^vmlab-io: hello over hvc0, [0-9]" "$TMPD/$id.hvc"
    expect_grep "$id: --stats: the console's writes" \
        "^  virtio-console: [1-9][0-9]* writes, [1-9][0-9]* bytes out, 0 output errors$" "$TMPD/$id.out"
done

# SIGKILL after a sync: what the guest saw flushed is in the image.
image "$TMPD/kill.img"
# (In a subshell whose stderr is dropped: no "Killed" notice from bash.)
(
    "$VMM" --engine bt --mem 256M --timeout "$LIMIT" --disk "$TMPD/kill.img" \
        --initrd "$LINUX/initrd-io.gz" "$LINUX/vmlinuz" -- $BASE $PIC vmlab.io=kill \
        >"$TMPD/kill.out" 2>&1 </dev/null &
    echo $! >"$TMPD/kill.pid"
    wait $!
    echo $? >"$TMPD/kill.rc"
) 2>/dev/null &
sub=$!
while [ ! -s "$TMPD/kill.pid" ]; do sleep 0.1; done
pid=$(cat "$TMPD/kill.pid")
end=$((SECONDS + LIMIT))
while [ $SECONDS -lt $end ] && kill -0 $pid 2>/dev/null && ! grep -q "vmlab-io: synced" "$TMPD/kill.out"; do
    sleep 0.2
done
kill -KILL $pid 2>/dev/null
wait $sub
rc=$(cat "$TMPD/kill.rc")
if [ $rc -eq 137 ] && grep -q "vmlab-io: synced" "$TMPD/kill.out"; then
    got=$(debugfs -R "cat /guest.txt" "$TMPD/kill.img" 2>/dev/null | md5sum | cut -d' ' -f1)
    if [ "$got" = "$GUEST_SUM" ]; then ok "kill: a synced file survives SIGKILL of the VMM"
    else notok "kill: a synced file survives SIGKILL of the VMM" "md5 $got, expected $GUEST_SUM"; fi
else
    notok "kill: a synced file survives SIGKILL of the VMM" \
        "status $rc before the guest synced: $(tail -2 "$TMPD/kill.out" | tr '\n' '|')"
fi

case_status ro 0 "ro: Linux powers off with status 0"
line ro "/dev/vda is read-only (VIRTIO_BLK_F_RO)" "^vmlab-io: vda sectors=32768 ro=1 "
line ro "mounted read-only" "^vmlab-io: mounted read-only$"
line ro "reads the host's file" "^vmlab-io: hello: hello from the host$"
line ro "a raw write is refused" "^vmlab-io: raw write refused$"
if [ "$(md5sum <"$TMPD/ro.img")" = "$RO_SUM" ]; then ok "ro: the image is unchanged"
else notok "ro: the image is unchanged" "its md5 changed"; fi
finish
