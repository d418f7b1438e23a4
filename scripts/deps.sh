#!/bin/sh
# Install the Debian packages vmlab needs, when they are missing.
# Called by `make` before anything is built; does nothing when all are present.
set -e
PKGS="gcc-multilib libcapstone-dev libcmocka-dev libncurses-dev pkg-config graphviz \
      qemu-system-x86 qemu-user tmux bochs bochsbios bochs-sdl grub-pc-bin grub-common \
      xorriso mtools"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "vmlab: missing Debian packages:$missing" >&2
    echo "vmlab: run 'make deps' as root, or: apt-get install$missing" >&2
    exit 1
fi
echo "vmlab: installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "vmlab: packages installed"
