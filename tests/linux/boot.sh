#!/bin/bash
# tests/linux/boot.sh — Debian's 32-bit Linux (linux-image-686) through the
# Linux boot protocol loader (core/bzimage.h), under each engine: how far
# it gets, milestone by milestone, on its serial console.
#
# The kernel and initramfs come from scripts/linux.sh (`make linux`); the
# suite skips when Debian's registry cannot be reached and nothing is
# cached.  `nokaslr` is on the command line so that the kernel lands at
# the same address in every run (KASLR works too: its decompressor probes
# the x87 FPU, arch/x86/boot/cpuflags.c, FNINIT); with it, the
# decompressor's first words on COM1 are "KASLR disabled" (boot/compressed
# misc.c warn(); Debian builds without X86_VERBOSE_BOOTUP, so the
# "Decompressing Linux..." lines are not printed).
. "$(dirname "$0")/../lib.sh"
LINUX=$BUILD/linux
CMDLINE="console=ttyS0 earlyprintk=serial,ttyS0 noapic nolapic nokaslr"
STOP_AFTER=${LINUX_BOOT_SECONDS:-180} # per engine, wall clock

"$ROOT/scripts/linux.sh" "$LINUX" >"$TMPD/fetch.out" 2>&1
rc=$?
if [ $rc -eq 2 ]; then
    skip "Linux boots" "$(tail -1 "$TMPD/fetch.out")"
    finish
elif [ $rc -ne 0 ]; then
    notok "make linux" "$(tail -1 "$TMPD/fetch.out")"
    finish
fi
ok "make linux: kernel and initramfs"

# Cached: a second run downloads nothing (the packages keep their mtime).
before=$(stat -c %Y "$LINUX"/cache/*.deb | tr '\n' ' ')
"$ROOT/scripts/linux.sh" "$LINUX" >"$TMPD/fetch2.out" 2>&1
rc=$?
after=$(stat -c %Y "$LINUX"/cache/*.deb | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$before" = "$after" ] && ! grep -q "Get:" "$TMPD/fetch2.out"; then
    ok "make linux again: nothing downloaded"
else
    notok "make linux again: nothing downloaded" "$(tail -2 "$TMPD/fetch2.out" | tr '\n' '|')"
fi

# The initramfs is a gzip'd newc cpio with busybox and /init.
bb=$LINUX/x/bin/busybox
"$bb" true 2>/dev/null || bb="qemu-i386 $bb"
gzip -dc "$LINUX/initrd.gz" | $bb cpio -t 2>/dev/null >"$TMPD/cpio.list"
if grep -qx init "$TMPD/cpio.list" && grep -qx bin/busybox "$TMPD/cpio.list"; then
    ok "initramfs holds /init and /bin/busybox"
else
    notok "initramfs holds /init and /bin/busybox" "listing: $(head -c 200 "$TMPD/cpio.list" | tr '\n' ' ')"
fi

# boot ID VMM ENGINE: boot until the kernel gives up, init is reached, the
# VMM ends, or STOP_AFTER seconds; the console in $TMPD/ID.out.
boot() {
    local id=$1 vmm=$2 engine=$3 pid end=$((SECONDS + STOP_AFTER))
    "$vmm" --engine "$engine" --mem 256M --stats --initrd "$LINUX/initrd.gz" "$LINUX/vmlinuz" \
        -- $CMDLINE >"$TMPD/$id.out" 2>&1 </dev/null &
    pid=$!
    while kill -0 $pid 2>/dev/null && [ $SECONDS -lt $end ]; do
        grep -Eq "Giving up|Kernel panic|vmlab-linux: init reached" "$TMPD/$id.out" && break
        sleep 0.5
    done
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    return 0
}

# Milestones, in boot order: each proves one part of the protocol.
MILESTONES=(
    "decompressor: command line and early serial console|^KASLR disabled: 'nokaslr' on cmdline"
    "kernel runs: Linux version|Linux version 6\\.1\\.[0-9]+-[0-9]+-686"
    "zero page: E820 RAM above 1 MiB|BIOS-e820: \\[mem 0x0000000000100000-0x000000000fffffff\\] usable"
    "zero page: EBDA and BIOS area reserved|BIOS-e820: \\[mem 0x00000000000e0000-0x00000000000fffff\\] reserved"
    "zero page: initrd handed over|RAMDISK: \\[mem 0x0[0-9a-f]{7}-0x0fffffff\\]"
    "zero page: command line|Kernel command line: $CMDLINE"
    "firmware: the MP table in the BIOS area|found SMP MP-table at \\[mem 0x000f0040-0x000f004f\\]"
    "firmware: the ACPI RSDP and MADT|ACPI: APIC 0x00000000000F0[0-9A-F]{3} "
    "firmware: the ACPI PM timer|ACPI: PM-Timer IO Port: 0x608"
    # Either measured with timer interrupts, or (when the TSC calibrated
    # against the PIT, which depends on the host's load) computed from the
    # TSC rate: "Calibrating delay loop (skipped), value calculated ...".
    "PIT: delay loop calibrated|Calibrating delay loop(\\.\\.\\.| \\(skipped\\), value calculated using timer frequency\\.\\.) [0-9.]+ BogoMIPS"
)

ENGINES=("interp $BUILD/vmm-bt interp" "bt $BUILD/vmm-bt bt" "vmx $BUILD/vmm-hw vmx")
for e in "${ENGINES[@]}"; do
    set -- $e
    [ -x "$2" ] && start_case "$1" boot "$1" "$2" "$3"
done
wait

for e in "${ENGINES[@]}"; do
    set -- $e
    id=$1
    if [ ! -x "$2" ]; then
        skip "$id: Linux boots" "$2 is not built"
        continue
    fi
    for m in "${MILESTONES[@]}"; do
        expect_grep "$id: ${m%%|*}" "${m#*|}" "$TMPD/$id.out"
    done
    last=$(grep -E '^\[ *[0-9]+\.[0-9]+\]' "$TMPD/$id.out" | tail -1 | sed 's/^\[[^]]*\] //')
    # The kernel runs /init: it needed the x87 FPU and FXSAVE (x86/fpu.h).
    if grep -q "vmlab-linux: init reached" "$TMPD/$id.out"; then
        ok "$id: init reached"
    else
        notok "$id: init reached" "the kernel stops at: ${last:-nothing printed}"
    fi
done
finish
