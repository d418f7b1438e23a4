# tests/hw/nested/machine.sh — a nested machine with a real KVM (sourced).
#
# QEMU's TCG emulates AMD-V, SVM with nested paging, on any host CPU
# (-cpu max), so Debian's cloud kernel booted under qemu-system-x86_64
# -accel tcg loads kvm-amd and offers a /dev/kvm that runs our paged
# 32-bit guest: the KVM engine meets real hardware-assisted virtualization
# even where the host's own /dev/kvm is missing or is PVM.  QEMU turns
# the nested guest's VMRUN into a loop of its own, so counts (exits, exit
# reasons) from in there are true and times are not: compare exits.
#
#   nested_fetch           Debian's cloud kernel and static busybox, by
#                          apt-get download into $NESTED/cache (nothing is
#                          installed on the host); 2 when the registry
#                          cannot be reached and nothing is cached
#   nested_root DIR F...   a root tree: busybox, the KVM modules, init, and
#                          each file F in /vmlab with the shared libraries
#                          ldd lists for it
#   nested_pack DIR OUT    DIR as a gzip'd newc cpio archive (initramfs)
#   nested_boot INITRD CONSOLE OUT SECONDS [APPEND]
#                          boot it; the kernel's console (ttyS0) goes to
#                          file CONSOLE, what init runs writes ttyS1 = OUT
#   nested_shell INITRD    boot it with a shell on this terminal
NESTED=${NESTED:-$BUILD/nested}
NESTED_MEM=${NESTED_MEM:-1024}
NESTED_QEMU=(qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m "$NESTED_MEM" -nodefaults
             -display none -no-reboot)
NESTED_APPEND="console=ttyS0 panic=-1 quiet"

# The kernel package behind Debian's linux-image-cloud-amd64 (e.g.
# linux-image-6.1.0-57-cloud-amd64); asks apt-get update once if the
# package lists know nothing of it.
_nested_kernel_pkg() {
    local p
    p=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -1)
    if [ -z "$p" ]; then
        apt-get update -qq >/dev/null 2>&1
        p=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -1)
    fi
    echo "$p"
}

_nested_download() {
    (cd "$NESTED/cache" && apt-get download -q -o APT::Sandbox::User=root "$1" busybox-static) \
        >"$NESTED/cache/download.log" 2>&1
}

nested_fetch() {
    local cache=$NESTED/cache x=$NESTED/cache/x pkg
    mkdir -p "$cache"
    if ! ls "$cache"/linux-image-*-cloud-amd64_*.deb >/dev/null 2>&1 ||
       ! ls "$cache"/busybox-static_*.deb >/dev/null 2>&1; then
        pkg=$(_nested_kernel_pkg)
        [ -n "$pkg" ] || { NESTED_WHY="apt cannot resolve linux-image-cloud-amd64 (Debian's package registry unreachable?)"; return 2; }
        # Stale package lists name versions the mirror no longer has:
        # one apt-get update, then a second try.
        if ! _nested_download "$pkg" && ! { apt-get update -qq >/dev/null 2>&1; _nested_download "$pkg"; }; then
            NESTED_WHY="apt-get download $pkg busybox-static failed: $(grep -m1 -E '^(E|Err)' "$cache/download.log")"
            return 2
        fi
        rm -rf "$x"
    fi
    if [ ! -d "$x" ]; then
        local d
        mkdir -p "$x.tmp"
        # Only what the machine needs: the kernel, KVM's modules, busybox.
        for d in "$cache"/*.deb; do
            dpkg-deb --fsys-tarfile "$d" | tar -x -C "$x.tmp" --wildcards './boot/vmlinuz-*' \
                './lib/modules/*/kernel/arch/x86/kvm/*.ko' './lib/modules/*/kernel/virt/lib/irqbypass.ko' \
                './bin/busybox' 2>/dev/null
        done
        mv "$x.tmp" "$x"
    fi
    NESTED_KERNEL=$(ls "$x"/boot/vmlinuz-*-cloud-amd64 | head -1)
    NESTED_MODULES=$(ls -d "$x"/lib/modules/*/kernel | head -1)
    NESTED_BUSYBOX=$x/bin/busybox
    [ -f "$NESTED_KERNEL" ] && [ -x "$NESTED_BUSYBOX" ] && [ -f "$NESTED_MODULES/arch/x86/kvm/kvm.ko" ]
}

# _nested_add ROOT FILE [NAME]: FILE into ROOT/vmlab (as NAME), with the
# shared libraries and dynamic loader it needs at their own paths.
_nested_add() {
    local root=$1 f=$2 name=${3:-$(basename "$2")} lib
    cp -L "$f" "$root/vmlab/$name" || return 1
    for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
        [ -e "$root$lib" ] && continue
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
}

nested_root() {
    local root=$1 m f; shift
    rm -rf "$root"
    mkdir -p "$root"/{bin,proc,sys,dev,tmp,lib/modules,vmlab}
    cp "$NESTED_BUSYBOX" "$root/bin/busybox"
    for m in virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-amd arch/x86/kvm/kvm-intel; do
        cp "$NESTED_MODULES/$m.ko" "$root/lib/modules/"
    done
    cp "$ROOT/tests/hw/nested/init" "$root/init"
    for f in "$@"; do _nested_add "$root" "$f" || return 1; done
}

nested_pack() {
    (cd "$1" && find . | "$NESTED_BUSYBOX" cpio -o -H newc 2>/dev/null) | gzip -1 >"$2"
}

nested_boot() {
    local initrd=$1 console=$2 out=$3 secs=$4 append=${5:-}
    : >"$out"
    timeout "$secs" "${NESTED_QEMU[@]}" -monitor none -serial "file:$console" -serial "file:$out" \
        -kernel "$NESTED_KERNEL" -initrd "$initrd" -append "$NESTED_APPEND $append" </dev/null
}

nested_shell() {
    "${NESTED_QEMU[@]}" -serial mon:stdio -kernel "$NESTED_KERNEL" -initrd "$1" \
        -append "console=ttyS0 panic=-1 vmlab.shell"
}
