#!/bin/bash
# tests/pt/pt.sh — stage 06: build/vmm-pt, stage 05's machine with a VT-d
# IOMMU (06-passthrough/vtd.h) in front of its PCI devices.
#  - a bad --iommu is one line and status 64;
#  - the teaching guest boots under every engine with the unit there, and
#    runs its virtio-blk program (test=all) with the disk's DMA and MSIs
#    going through the unit (translation off: the guest has not turned it
#    on); --stats shows the unit, and --iommu off is stage 05's machine;
#  - a small guest (tests/pt/guests/vtdprobe.S) finds the DMAR table in the
#    firmware's tables and drives the unit's registers through MMIO under
#    each engine: VER, CAP, RTADDR/SRTP, TE, two commands at once ignored;
#  - the IDE disk (--ata) under the teaching guest's ata program, its bus
#    master's DMA through the unit; virtio-rng on PCI through it too;
#    virtio-mmio devices work, not behind it;
#  - the teaching guest's VT-d driver (program iommu) finds the unit through
#    the DMAR table and, with no edu device to drive, says device=none;
#  - Debian's i386 Linux finds the DMAR table next to the firmware's (its
#    ACPI table list, checksums verified) and runs stage 05's disk test on
#    vmm-pt: the disk read and written through the unit's DMA path.
# The unit's semantics (translation, faults, caches, queued invalidation,
# interrupt remapping) are the cmocka tests tests/unit/test_vtd_*.c.
. "$(dirname "$0")/../lib.sh"

VMM=$BUILD/vmm-pt
LINUX=$BUILD/linux
LIMIT=${PT_LINUX_SECONDS:-600}
if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
    notok "pt tests" "$VMM or $GUEST missing (run make _all)"
    finish
fi

# --- bad input: one line, status 64 ---------------------------------------
"$VMM" --iommu maybe "$GUEST" >"$TMPD/bad.out" 2>&1 </dev/null
rc=$?
if [ $rc -eq 64 ] && grep -q "^vmm-pt: error: --iommu 'maybe': expected on or off" "$TMPD/bad.out"; then
    ok "bad --iommu: one line, status 64"
else
    notok "bad --iommu: one line, status 64" "status $rc: $(head -2 "$TMPD/bad.out" | tr '\n' '|')"
fi

# --- the teaching guest -----------------------------------------------------
. "$ROOT/tests/io/pattern.sh"
pattern host 0 2048 >"$TMPD/small.img"
expect_status "vmm-pt: teaching guest, disk behind the IOMMU (test=all)" 0 \
    timeout 300 "$VMM" --engine bt --stats --timeout 240 --disk "$TMPD/small.img,ro" "$GUEST" -- test=all
cp "$TMPD/out" "$TMPD/all.out"
expect_grep "test=all: the guest's virtio_blk program passes" "^PASS virtio_blk" "$TMPD/all.out"
expect_grep "--stats: the unit at 0xfed90000" "^stage 06: VT-d unit at 0xfed90000$" "$TMPD/all.out"
expect_grep "--stats: the disk's DMA went through the unit, translation off, no fault" \
    "^  vt-d: [1-9][0-9]* DMA page lookups, 0 translated .*, 0 faults recorded, 0 not recorded" \
    "$TMPD/all.out"
for e in vmx interp; do
    expect_status "vmm-pt --engine $e: teaching guest (test=hello)" 0 \
        timeout 120 "$VMM" --engine $e --timeout 60 --disk "$TMPD/small.img,ro" "$GUEST" -- test=hello
done
expect_status "vmm-pt --iommu off: teaching guest (test=hello)" 0 \
    timeout 120 "$VMM" --iommu off --stats --timeout 60 "$GUEST" -- test=hello
if grep -q "VT-d" "$TMPD/out"; then notok "--iommu off: no unit" "--stats shows one"
else ok "--iommu off: no unit"; fi

# --- a guest that probes the unit's registers (tests/pt/guests/vtdprobe.S) ---
PROBE=$BUILD/tests/pt/vtdprobe.elf
for e in bt vmx interp; do
    expect_status "vmm-pt --engine $e: a guest finds the DMAR table and drives GCMD/GSTS" 0 \
        timeout 60 "$VMM" --engine $e --timeout 30 "$PROBE"
done
expect_grep "the ignored GCMD write is explained in one line" \
    "^vmm-pt: vt-d: GCMD write 0x02000000 with GSTS 0xc0000000 changes several commands; ignored" \
    "$TMPD/out"
expect_status "vmm-pt --iommu off: that guest finds no table (status 10)" 10 \
    timeout 60 "$VMM" --iommu off --timeout 30 "$PROBE"

# --- the other devices of stage 05 under vmm-pt -------------------------------
# The IDE bus master (00:07.0) is a PCI device too: its PRD tables and
# buffers go through the unit (translation off here, so the lookups show).
pattern host 0 2048 >"$TMPD/ata.img"
expect_status "vmm-pt --ata: the guest's ata program (PIO and DMA)" 0 \
    timeout 120 "$VMM" --engine bt --stats --timeout 60 --ata "$TMPD/ata.img" "$GUEST" -- test=ata
expect_grep "--ata: its bus master moved data" "^  ata bus master: .*, [1-9][0-9]* transfers, 0 bus errors" \
    "$TMPD/out"
expect_grep "--ata: the bus master's DMA went through the unit" \
    "^  vt-d: [1-9][0-9]* DMA page lookups, 0 translated .*, 0 faults recorded" "$TMPD/out"
# virtio-rng (00:02.0) and virtio-console (00:03.0) on PCI: behind the unit.
expect_status "vmm-pt --rng --console-out: the guest's virtio_rng program" 0 \
    timeout 120 "$VMM" --engine bt --stats --timeout 60 --rng getrandom \
    --console-out "$TMPD/pt.hvc" "$GUEST" -- test=virtio_rng
expect_grep "--rng: the entropy device found on PCI" \
    "^RESULT virtio_rng device=virtio-rng-pci transport=pci .*repeats=0 " "$TMPD/out"
expect_grep "--rng: its DMA went through the unit" \
    "^  vt-d: [1-9][0-9]* DMA page lookups, 0 translated .*, 0 faults recorded" "$TMPD/out"
# virtio-mmio devices have no PCI source-id: they work, but not behind
# the unit (06-passthrough/README.md).
expect_status "vmm-pt --virtio mmio: the guest's virtio_rng program" 0 \
    timeout 120 "$VMM" --engine bt --stats --timeout 60 --virtio mmio --rng getrandom "$GUEST" -- \
    test=virtio_rng
expect_grep "--virtio mmio: the entropy device found over MMIO" \
    "^RESULT virtio_rng device=virtio-rng-mmio transport=mmio " "$TMPD/out"
expect_grep "--virtio mmio: its DMA does not go through the unit" "^  vt-d: 0 DMA page lookups" \
    "$TMPD/out"

# --- the teaching OS's VT-d driver (common/guest/programs/iommu.c) -----------
# It finds the unit through the DMAR table; with no DMA-capable test device
# (QEMU's edu) it says so and passes.  tests/pt/qemu-iommu.sh runs it fully.
expect_status "vmm-pt: the guest's iommu program" 0 \
    timeout 120 "$VMM" --engine bt --timeout 60 "$GUEST" -- test=iommu
expect_grep "iommu: the DMAR table's unit at 0xfed90000, no edu device" \
    "^RESULT iommu dmar=found drhd=0xfed90000 device=none skipped=1$" "$TMPD/out"
expect_grep "iommu: a SKIP line that says why" "^vmlab: iommu: SKIP: no edu PCI device" "$TMPD/out"
expect_status "vmm-pt --iommu off: the guest's iommu program" 0 \
    timeout 120 "$VMM" --iommu off --engine bt --timeout 60 "$GUEST" -- test=iommu
expect_grep "--iommu off: iommu finds no DMAR table" "^RESULT iommu dmar=none rsdp=no skipped=1$" \
    "$TMPD/out"

# --- Linux finds the DMAR table and uses the disk ----------------------------
need_linux "Linux on vmm-pt"
if [ ! -f "$LINUX/initrd-io.gz" ]; then
    notok "initrd-io.gz" "scripts/linux.sh did not build $LINUX/initrd-io.gz"
    finish
fi
for t in mkfs.ext2 debugfs; do
    command -v $t >/dev/null || PATH=$PATH:/sbin:/usr/sbin
    command -v $t >/dev/null || { notok "e2fsprogs" "no $t (make deps installs e2fsprogs)"; finish; }
done
mkdir -p "$TMPD/src"
echo "hello from the host" >"$TMPD/src/hello.txt"
truncate -s 16M "$TMPD/disk.img" && mkfs.ext2 -q -F -d "$TMPD/src" "$TMPD/disk.img" >/dev/null 2>&1
GUEST_SUM=$(seq 1 30000 | md5sum | cut -d' ' -f1)
t0=$SECONDS
timeout $((LIMIT + 60)) "$VMM" --engine bt --mem 256M --stats --timeout "$LIMIT" \
    --disk "$TMPD/disk.img" --initrd "$LINUX/initrd-io.gz" "$LINUX/vmlinuz" -- \
    console=ttyS0 nokaslr panic=-1 no_timer_check vmlab.io=test >"$TMPD/linux.out" 2>&1 </dev/null
rc=$?
tr -d '\r' <"$TMPD/linux.out" >"$TMPD/linux.txt"
if [ $rc -eq 0 ]; then ok "Linux on vmm-pt powers off with status 0 after $((SECONDS - t0)) s"
else notok "Linux on vmm-pt powers off with status 0" "status $rc; $(why_output "$TMPD/linux.txt")"; fi
expect_grep "Linux lists the DMAR table at 0xF0A00" \
    "ACPI: DMAR 0x00000000000F0A00 000040 \\(v01 VMLAB  VMLABPC  00000001 VMLB 00000001\\)" \
    "$TMPD/linux.txt"
if grep -Eq "ACPI.*(Incorrect checksum|Invalid).*DMAR|DMAR.*(Incorrect checksum|Invalid)" "$TMPD/linux.txt"; then
    notok "ACPICA has no complaint about it" "$(grep -m1 DMAR "$TMPD/linux.txt")"
else ok "ACPICA has no complaint about it"; fi
expect_grep "Linux reads the disk through the unit's DMA path" "^vmlab-io: hello: hello from the host$" "$TMPD/linux.txt"
expect_grep "Linux writes it" "^vmlab-io: unmounted$" "$TMPD/linux.txt"
got=$(debugfs -R "cat /guest.txt" "$TMPD/disk.img" 2>/dev/null | md5sum | cut -d' ' -f1)
if [ "$got" = "$GUEST_SUM" ]; then ok "the host reads the guest's file back (debugfs)"
else notok "the host reads the guest's file back (debugfs)" "md5 $got, expected $GUEST_SUM"; fi
expect_grep "--stats: Linux's disk DMA went through the unit (translation off)" \
    "^  vt-d: [1-9][0-9]* DMA page lookups, 0 translated .*, 0 faults recorded" "$TMPD/linux.txt"
expect_grep "MSI-X through the unit's interrupt path" \
    "^vmlab-io: interrupts: [0-9]+: [1-9][0-9]* PCI-MSI [0-9]+-edge virtio0-req\\.0$" "$TMPD/linux.txt"
finish
