# tests/lib.sh — helpers for shell test suites (sourced).
# Each check prints one TAP-like line that tests/run.sh counts:
#   ok - NAME            not ok - NAME: WHY            ok - NAME # SKIP WHY
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
GUEST=${GUEST:-$BUILD/guest/guest.elf}
. "$ROOT/tests/bench/native/host.sh"     # native_bin, NATIVE_LABEL
TMPD=$(mktemp -d /tmp/vmlab-test.XXXXXX)
_failures=0

# end_children : end every process this shell started, and theirs (TERM,
# then KILL after 2 s).  Run on exit, normal or interrupted (SIGINT,
# SIGTERM, SIGHUP): start_case's background VMMs and qemu must not outlive
# their suite (and timeout(1) puts qemu in a process group of its own, out
# of reach of a terminal's Ctrl-C).  One ps(1), no $(...): a command
# substitution would be a child of this shell itself.
end_children() {
    local f=$TMPD/.ps pid ppid all=() queue=($$)
    declare -A kids=()
    ps -e -o pid= -o ppid= >"$f" 2>/dev/null || return 0
    while read -r pid ppid; do kids[$ppid]+=" $pid"; done <"$f"
    while [ ${#queue[@]} -gt 0 ]; do
        for pid in ${kids[${queue[0]}]}; do all+=("$pid"); queue+=("$pid"); done
        queue=("${queue[@]:1}")
    done
    [ ${#all[@]} -eq 0 ] && return 0
    kill -TERM "${all[@]}" 2>/dev/null
    local end=$((SECONDS + 2))
    while [ $SECONDS -le $end ]; do
        for pid in "${all[@]}"; do kill -0 "$pid" 2>/dev/null && break; pid=; done
        [ -z "$pid" ] && return 0
        sleep 0.1
    done
    kill -KILL "${all[@]}" 2>/dev/null
    return 0
}
trap 'end_children; rm -rf "$TMPD"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

_passes=0
ok()    { echo "ok - $1"; _passes=$((_passes + 1)); }
notok() { echo "not ok - $1: $2"; _failures=$((_failures + 1)); }
skip()  { echo "ok - $1 # SKIP $2"; }

# why_output FILE : what a failed run's output says of why: its first FAIL
# line, or line naming an error, if any, and its last three lines.
why_output() {
    local first
    first=$(grep -E -m1 '^FAIL |[Ee]rror[: ]|[Pp]anic' "$1" 2>/dev/null)
    [ -n "$first" ] && printf 'first failure: %s; ' "${first:0:300}"
    printf 'last output: %s' "$(tail -n 3 "$1" 2>/dev/null | tr '\n' '|')"
}

# expect_status NAME WANT CMD... : run CMD (output to $TMPD/out), check its exit status.
expect_status() {
    local name=$1 want=$2; shift 2
    "$@" >"$TMPD/out" 2>&1
    local rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$name"
    else notok "$name" "exit status $rc, expected $want; $(why_output "$TMPD/out")"; fi
}

# expect_grep NAME REGEX FILE : FILE must contain a line matching REGEX.
expect_grep() {
    if grep -Eq -- "$2" "$3"; then ok "$1"
    else notok "$1" "no line matching /$2/ in output; last lines: $(tail -n 3 "$3" | tr '\n' '|')"; fi
}

# qemu_i386 OUTFILE CMDLINE [extra qemu args...] : boot the guest under
# qemu-system-i386 (TCG); the guest's debug-exit value v gives status (v<<1)|1.
qemu_i386() {
    local out=$1 cmdline=$2; shift 2
    timeout 120 qemu-system-i386 -accel tcg -m 64 -kernel "$GUEST" -append "$cmdline" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -display none -serial stdio -monitor none -no-reboot "$@" >"$out" 2>&1 </dev/null
}

# pvh_image : print the path of a copy of $GUEST without its Multiboot
# header.  QEMU's -kernel tries Multiboot before the PVH ELF note, so only
# such a copy really enters through the PVH entry point (XEN_ELFNOTE_PHYS32_ENTRY).
pvh_image() {
    local img=$TMPD/pvh-$(basename "$GUEST") off
    if [ ! -f "$img" ]; then
        # The header's magic 0x1BADB002 is 4-byte aligned in the first 8 KiB.
        off=$(od -An -tx4 -v -w4 -N 8192 "$GUEST" | grep -n -m1 '1badb002' | cut -d: -f1)
        cp "$GUEST" "$img.tmp" || return 1
        [ -n "$off" ] && printf '\0\0\0\0' | dd of="$img.tmp" bs=1 seek=$(( (off - 1) * 4 )) conv=notrunc status=none
        mv "$img.tmp" "$img"
    fi
    echo "$img"
}

# microvm_accel : kvm if /dev/kvm is writable and can run the guest, else
# tcg (VMLAB_NO_KVM=1 forces tcg).  Checked once per test script by booting
# test=hello: some hosts expose a KVM that cannot run this guest (PVM, the
# kvm_pvm module, raises #GP when a 32-bit guest turns on 2-level paging).
microvm_accel() {
    if [ ! -f "$TMPD/microvm-accel" ]; then
        local accel=tcg
        if [ -w /dev/kvm ] && [ -z "${VMLAB_NO_KVM:-}" ]; then
            timeout 30 qemu-system-x86_64 -M microvm,pic=on,pit=on,rtc=off -accel kvm -m 64 \
                -kernel "$GUEST" -append "test=hello" \
                -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
                -display none -serial stdio -monitor none -no-reboot -nodefaults \
                >"$TMPD/kvm-probe.out" 2>&1 </dev/null
            [ $? -eq 1 ] && accel=kvm
        fi
        echo $accel >"$TMPD/microvm-accel"
    fi
    cat "$TMPD/microvm-accel"
}

# qemu_microvm OUTFILE CMDLINE [extra...] : PVH boot under qemu-system-x86_64 -M microvm.
qemu_microvm() {
    local out=$1 cmdline=$2; shift 2
    local accel img
    accel=$(microvm_accel)
    img=$(pvh_image) || return 125
    timeout 120 qemu-system-x86_64 -M microvm,pic=on,pit=on,rtc=off -accel $accel -m 64 \
        -kernel "$img" -append "$cmdline" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -display none -serial stdio -monitor none -no-reboot -nodefaults "$@" >"$out" 2>&1 </dev/null
}

# Cases that run in the background, two at a time (the machine is shared):
#   start_case ID CMD...   runs CMD; its exit status goes to $TMPD/ID.rc
#   (CMD writes its output to $TMPD/ID.out by convention), then `wait`.
start_case() {
    local id=$1; shift
    while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
    ( "$@"; echo $? >"$TMPD/$id.rc" ) &
}
# case_status ID WANT NAME : case ID must have ended with status WANT.
case_status() {
    local rc; rc=$(cat "$TMPD/$1.rc" 2>/dev/null || echo missing)
    if [ "$rc" = "$2" ]; then ok "$3"
    else notok "$3" "exit status $rc, expected $2; $(why_output "$TMPD/$1.out")"; fi
}
# no_line ID REGEX NAME : case ID's output must not contain REGEX.
no_line() {
    if grep -Eq -- "$2" "$TMPD/$1.out"; then notok "$3" "unexpected: $(grep -E -m1 -- "$2" "$TMPD/$1.out")"
    else ok "$3"; fi
}

# need_linux NAME : the Debian kernel and initramfs in $BUILD/linux
# (scripts/linux.sh, cached); when the package registry cannot be reached
# the suite skips NAME with the reason and ends, on any other failure it
# fails "make linux" and ends.
need_linux() {
    "$ROOT/scripts/linux.sh" "$BUILD/linux" >"$TMPD/fetch.out" 2>&1
    local rc=$?
    if [ $rc -eq 2 ]; then
        skip "$1" "$(tail -1 "$TMPD/fetch.out")"
        finish
    elif [ $rc -ne 0 ]; then
        notok "make linux" "$(tail -1 "$TMPD/fetch.out")"
        finish
    fi
}

finish() { exit $(( _failures > 0 ? 1 : 0 )); }
# summary : the suite's own "N passed, N failed" line, for a suite that is
# also run by hand (tests/run.sh prints the total over all suites).
summary() { echo "$_passes passed, $_failures failed"; }
