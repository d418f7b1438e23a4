#!/bin/bash
# scripts/kvm-shell.sh — `make kvm-shell`: a shell in the nested machine
# that tests/hw/nested-kvm.sh uses, with a real /dev/kvm (QEMU's TCG
# emulates AMD-V; tests/hw/nested/machine.sh), the stage binaries, the
# guests and QEMU in /vmlab.  Leave it with `exit` (or Ctrl-A X).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
. "$ROOT/tests/hw/nested/machine.sh"
nested_fetch
case $? in
0) ;;
2) echo "kvm-shell: $NESTED_WHY" >&2; exit 1 ;;
*) echo "kvm-shell: could not unpack the kernel and busybox in $NESTED/cache" >&2; exit 1 ;;
esac
files=("$ROOT/tests/hw/nested/case" "$BUILD"/guest/*.elf)
for b in "$BUILD"/vmm-* "$BUILD"/vmtrace /usr/bin/qemu-system-x86_64; do [ -x "$b" ] && files+=("$b"); done
nested_root "$NESTED/shell-root" "${files[@]}" || exit 1
# terminfo, so that the visualizer (--viz, ncurses) can draw on the console.
mkdir -p "$NESTED/shell-root/lib" && cp -a /lib/terminfo "$NESTED/shell-root/lib/"
mkdir -p "$NESTED/shell-root/usr/share/qemu"
for f in bios-microvm.bin pvh.bin linuxboot_dma.bin; do cp -L "/usr/share/qemu/$f" "$NESTED/shell-root/usr/share/qemu/"; done
cat >"$NESTED/shell-root/vmlab/banner" <<'EOB'

vmlab nested machine: Debian's cloud kernel on QEMU TCG, with kvm-amd on
the AMD-V that TCG emulates.  /dev/kvm is real here.  In /vmlab:
  ./vmm-hw --engine kvm --stats guest.elf -- test=hello
  ./vmm-hw --engine kvm --viz guest.elf -- test=timer
                       (first: stty rows R cols C to your terminal's size)
  KVM_TRACE=1 ./case hello ./vmm-hw --engine kvm guest.elf -- test=hello
                       (exits counted by KVM's own trace points)
  ./qemu-system-x86_64 -accel kvm -M microvm ...   (QEMU, for comparison)
Leave with `exit`.

EOB
nested_pack "$NESTED/shell-root" "$NESTED/shell.gz" || exit 1
rm -rf "$NESTED/shell-root"
nested_shell "$NESTED/shell.gz"
