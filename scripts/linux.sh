#!/bin/bash
# scripts/linux.sh — Debian's 32-bit Linux and a busybox initramfs for it
# (`make linux`; tests/linux/session.sh calls it too).
#
#   scripts/linux.sh [DIR]      (DIR defaults to build/linux)
#
# Downloads, with `apt-get download` into DIR/cache (nothing is installed
# on the host), the kernel package behind Debian's linux-image-686 (a
# non-PAE i686 kernel, e.g. linux-image-6.1.0-57-686) and busybox-static,
# both for i386, unpacks them with dpkg -x into DIR/x and builds
#   DIR/vmlinuz     a link to the bzImage, DIR/x/boot/vmlinuz-*-686
#   DIR/initrd.gz   gzip'd newc cpio (the initramfs format the kernel
#                   unpacks, Documentation/driver-api/early-userspace/
#                   buffer-format.rst): busybox, tests/linux/init as
#                   /init, and busybox init's /etc/inittab and /etc/profile
#   DIR/initrd-io.gz  the same, plus the kernel modules of the virtio disk,
#                   the IDE disk and ext2 (IO_MODULES, from the kernel package) and
#                   tests/io/init as /init, which loads them (stage 05,
#                   tests/io/io.sh); the default initramfs is unchanged
# The archive is written with busybox's own `cpio -o -H newc` (under
# qemu-i386 if the host cannot run i386 programs), so the host needs no cpio.
# A second run downloads nothing.
#
# Exit status: 0 done; 2 the package registry cannot be reached and nothing
# is cached (one line on stderr: a test skips with it as the reason);
# 1 anything else.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$ROOT/build/linux}
mkdir -p "$DIR" && DIR=$(cd "$DIR" && pwd) || exit 1
CACHE=$DIR/cache
X=$DIR/x
APT_OPTS=(-q -o APT::Sandbox::User=root)

say() { echo "linux.sh: $*" >&2; }
unreachable() { say "$*"; exit 2; }

# The versioned package linux-image-686:i386 depends on, e.g.
# linux-image-6.1.0-57-686 ("Depends: linux-image-6.1.0-57-686:i386").
kernel_pkg() {
    apt-cache depends linux-image-686:i386 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ :]*-686\)\(:i386\)\{0,1\}$/\1/p' | head -1
}

# i386 packages: the architecture known to dpkg, and package lists for it
# (one apt-get update when they are missing or name nothing).
resolve_kernel() {
    if ! dpkg --print-foreign-architectures | grep -qx i386; then
        dpkg --add-architecture i386 2>/dev/null ||
            { say "cannot add the i386 architecture (dpkg --add-architecture i386 needs root)"; exit 1; }
    fi
    PKG=$(kernel_pkg)
    if [ -z "$PKG" ]; then
        apt-get update -qq >"$CACHE/update.log" 2>&1
        PKG=$(kernel_pkg)
    fi
    [ -n "$PKG" ] ||
        unreachable "apt cannot resolve linux-image-686:i386 (Debian's package registry unreachable?)"
}

download() {
    (cd "$CACHE" && apt-get download "${APT_OPTS[@]}" "$PKG:i386" busybox-static:i386) \
        >"$CACHE/download.log" 2>&1
}

fetch() {
    mkdir -p "$CACHE"
    if ls "$CACHE"/linux-image-*-686_*_i386.deb >/dev/null 2>&1 &&
        ls "$CACHE"/busybox-static_*_i386.deb >/dev/null 2>&1; then
        return 0
    fi
    resolve_kernel
    # Stale package lists name versions the mirror no longer has: one
    # apt-get update, then a second try.
    if ! download && ! { apt-get update -qq >/dev/null 2>&1; PKG=$(kernel_pkg); download; }; then
        unreachable "apt-get download $PKG:i386 busybox-static:i386 failed" \
            "(Debian's package registry unreachable?):" \
            "$(grep -m1 -E '^(E|Err)' "$CACHE/download.log")"
    fi
    rm -rf "$X"
}

unpack() {
    [ -d "$X" ] && return 0
    local d
    rm -rf "$X.tmp"
    mkdir -p "$X.tmp"
    for d in "$CACHE"/*.deb; do dpkg -x "$d" "$X.tmp" || return 1; done
    # Only the kernel (boot/) and busybox are used: the modules (190 MB)
    # and the packages' docs go.
    find "$X.tmp" -mindepth 1 -maxdepth 1 ! -name boot ! -name bin -exec rm -rf {} +
    mv "$X.tmp" "$X"
}

# Run an i386 binary: natively where the host kernel runs 32-bit programs
# (IA32 emulation), else under QEMU's user-mode emulator (qemu-i386, from
# the qemu-user package scripts/deps.sh installs).
run_i386() {
    if "$1" true 2>/dev/null; then "$@"; else qemu-i386 "$@"; fi
}

# The initramfs: busybox, its applets as links made by init, /init and /etc.
initramfs() {
    local root=$DIR/root busybox=$X/bin/busybox
    [ -x "$busybox" ] || { say "no busybox in $X (bad busybox-static package?)"; return 1; }
    local f fresh=1
    for f in "$ROOT"/tests/linux/{init,inittab,profile} "$busybox"; do
        [ -f "$DIR/initrd.gz" ] && [ "$DIR/initrd.gz" -nt "$f" ] || fresh=0
    done
    [ $fresh -eq 1 ] && return 0
    rm -rf "$root"
    mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,etc}
    cp "$busybox" "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    cp "$ROOT/tests/linux/init" "$root/init"
    chmod 755 "$root/init"
    cp "$ROOT/tests/linux/inittab" "$ROOT/tests/linux/profile" "$root/etc/"
    (set -o pipefail
     cd "$root" && find . | run_i386 "$busybox" cpio -o -H newc 2>"$DIR/cpio.log" | gzip -9 >"$DIR/initrd.gz.tmp") &&
        mv "$DIR/initrd.gz.tmp" "$DIR/initrd.gz"
}

# Stage 05's modules, in load order (each after what it depends on, as the
# packages' modinfo "depends=" says): the virtio core and ring, the PCI
# and MMIO transports (Debian's virtio_mmio has no
# CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES: it finds devices through ACPI, _HID
# LNRO0005), the block, entropy and console drivers, then ext4 (Debian's 686 kernel has no ext2
# driver: CONFIG_EXT4_USE_FOR_EXT2) and what it needs.
IO_MODULES="drivers/virtio/virtio_ring drivers/virtio/virtio
 drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev
 drivers/virtio/virtio_pci drivers/virtio/virtio_mmio drivers/block/virtio_blk
 drivers/char/hw_random/virtio-rng drivers/char/virtio_console lib/crc16 fs/mbcache
 fs/jbd2/jbd2 crypto/crc32c_generic fs/ext4/ext4"
# The emulated IDE disk (--ata): libata on the SCSI midlayer, ata_piix for
# the PIIX3 function, sd_mod for /dev/sda with its T10 protection
# information helpers (sd_mod depends on t10-pi, which needs the CRCs).
IO_MODULES="$IO_MODULES drivers/scsi/scsi_common drivers/scsi/scsi_mod drivers/ata/libata
 drivers/ata/ata_piix crypto/crct10dif_common crypto/crct10dif_generic lib/crc-t10dif lib/crc64
 crypto/crc64_rocksoft_generic lib/crc64-rocksoft block/t10-pi drivers/scsi/sd_mod"

# DIR/modules/NAME.ko for IO_MODULES, from the kernel package.
io_modules() {
    local m deb want=()
    deb=$(ls "$CACHE"/linux-image-*-686_*_i386.deb | head -1)
    for m in $IO_MODULES; do
        [ -f "$DIR/modules/$(basename "$m").ko" ] || want+=("./lib/modules/*/kernel/$m.ko")
    done
    [ ${#want[@]} -eq 0 ] && return 0
    rm -rf "$DIR/modules.tmp" && mkdir -p "$DIR/modules.tmp" "$DIR/modules" &&
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$DIR/modules.tmp" --wildcards "${want[@]}" &&
        find "$DIR/modules.tmp" -name '*.ko' -exec mv {} "$DIR/modules/" \; &&
        rm -rf "$DIR/modules.tmp"
}

# The modules' names in load order, one a line (the initramfs's
# /lib/modules/order; a different list rebuilds the initramfs).
io_order() { echo "$IO_MODULES" | tr ' ' '\n' | sed -n 's,.*/,,p'; }

# DIR/initrd-io.gz: the default tree, the modules, tests/io/init as /init.
io_initramfs() {
    local root=$DIR/root-io m
    [ -f "$DIR/initrd-io.gz" ] && [ "$DIR/initrd-io.gz" -nt "$ROOT/tests/io/init" ] &&
        [ "$DIR/initrd-io.gz" -nt "$DIR/initrd.gz" ] &&
        [ "$(cat "$root/lib/modules/order" 2>/dev/null)" = "$(io_order)" ] && return 0
    io_modules || return 1
    rm -rf "$root"
    cp -a "$DIR/root" "$root" && mkdir -p "$root/lib/modules" || return 1
    for m in $IO_MODULES; do cp "$DIR/modules/$(basename "$m").ko" "$root/lib/modules/" || return 1; done
    io_order >"$root/lib/modules/order"
    cp "$ROOT/tests/io/init" "$root/init" && chmod 755 "$root/init"
    (set -o pipefail
     cd "$root" && find . | run_i386 "$X/bin/busybox" cpio -o -H newc 2>"$DIR/cpio.log" | gzip -9 >"$DIR/initrd-io.gz.tmp") &&
        mv "$DIR/initrd-io.gz.tmp" "$DIR/initrd-io.gz"
}

fetch
unpack || { say "dpkg -x failed on a package in $CACHE"; exit 1; }
KERNEL=$(ls "$X"/boot/vmlinuz-*-686 2>/dev/null | head -1)
[ -f "$KERNEL" ] || { say "no $X/boot/vmlinuz-*-686 (bad kernel package?)"; exit 1; }
ln -sfn "${KERNEL#"$DIR"/}" "$DIR/vmlinuz"
initramfs || { say "cannot build $DIR/initrd.gz"; exit 1; }
io_initramfs || { say "cannot build $DIR/initrd-io.gz"; exit 1; }
echo "linux.sh: $DIR/vmlinuz -> $(basename "$KERNEL"), $DIR/initrd.gz"
