#!/bin/sh
# Install the Debian packages vmlab needs, when they are missing.
# Called by `make` before anything is built; does nothing when all are present.
#   NEEDED: building and `make test` (compilers, libraries, QEMU as the
#           reference machine, graphviz for the DOT tests, tmux for the
#           visualizer tests, clang-format for the formatting check and
#           scripts/format.sh, acpica-tools' iasl to cross-check the ACPI
#           tables in tests/unit/test_acpi.c, jq to check the labs' build/grade.json,
#           e2fsprogs for the ext2 disk images of tests/io/io.sh).
#           A failure to install them is an error.
#   SLIDES: `make slides` (pandoc 2.17 builds the decks) and its check in
#           `make test` (Debian's chromium, headless, with a CJK font for the
#           glossary's Chinese terms); if they cannot be installed, say so
#           and go on: `make slides` names what is missing, the check skips.
#   BENCH:  only `make bench`'s Bochs peer (booted from a GRUB ISO);
#           if they cannot be installed, say so and go on: the benchmark
#           prints why a row is missing.
set -e
NEEDED="gcc-multilib libcapstone-dev libcmocka-dev libncurses-dev pkg-config graphviz \
        qemu-system-x86 qemu-user tmux clang-format acpica-tools jq e2fsprogs"
SLIDES="pandoc chromium fonts-wqy-microhei"
BENCH="bochs bochsbios bochs-sdl grub-pc-bin grub-common xorriso mtools"

missing() {
    out=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out="$out $p"
    done
    echo "$out"
}
need=$(missing $NEEDED)
bench=$(missing $BENCH)
slides=$(missing $SLIDES)
[ -z "$need$bench$slides" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    if [ -n "$need" ]; then
        echo "vmlab: missing Debian packages:$need" >&2
        echo "vmlab: run 'make deps' as root, or: apt-get install$need" >&2
        exit 1
    fi
    [ -n "$bench" ] && echo "vmlab: note: benchmark peers not installed:$bench (make bench will skip them)" >&2
    [ -n "$slides" ] && echo "vmlab: note: not installed:$slides (make slides and its check need them)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ -n "$need" ]; then
    echo "vmlab: installing Debian packages:$need"
    apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
if [ -n "$bench" ]; then
    echo "vmlab: installing benchmark peers:$bench"
    apt-get install -y -qq --no-install-recommends $bench >/dev/null ||
        echo "vmlab: note: could not install$bench; make bench will skip what is missing" >&2
fi
if [ -n "$slides" ]; then
    echo "vmlab: installing the slides' tools:$slides"
    apt-get install -y -qq --no-install-recommends $slides >/dev/null ||
        echo "vmlab: note: could not install$slides; make slides says what is missing" >&2
fi
echo "vmlab: packages installed"
