#!/bin/bash
# bad_input.sh — bad input to build/vmm-bt (and build/vmm-hw for the options
# of its engines): each case must end with one line
# "vmm-bt: error: <what is wrong>", the documented status (core/vm.h:
# 64 usage, 65 image, 69 engine, 70 guest crashed, 124 timeout), no crash
# (status < 128 except 124) and no hang (every run is wrapped in timeout 30).
. "$(dirname "$0")/../lib.sh"
VMM=$BUILD/vmm-bt
PROG=vmm-bt
ELFS=$BUILD/tests/bad-input

if [ ! -x "$VMM" ]; then
    skip "bad input" "build/vmm-bt is not built"
    finish
fi

# check NAME WANT_STATUS REGEX ARGS... : run $VMM ARGS, check status, that
# exactly one error line "$PROG: error: ..." is printed and that it matches REGEX.
check() {
    local name=$1 want=$2 re=$3; shift 3
    timeout 30 "$VMM" "$@" >"$TMPD/out" 2>&1 </dev/null
    local rc=$?
    local errs
    errs=$(grep -c "^$PROG: error: " "$TMPD/out")
    if [ "$rc" -ne "$want" ]; then
        notok "$name" "exit status $rc, expected $want; output: $(tail -n 3 "$TMPD/out" | tr '\n' '|')"
    elif [ "$rc" -ge 128 ] && [ "$rc" -ne 124 ]; then
        notok "$name" "crashed (status $rc)"
    elif [ "$errs" -ne 1 ]; then
        notok "$name" "expected exactly one '$PROG: error:' line, got $errs: $(tail -n 3 "$TMPD/out" | tr '\n' '|')"
    elif ! grep -Eq "^$PROG: error: .*($re)" "$TMPD/out"; then
        notok "$name" "error line does not say /$re/: $(grep "^$PROG: error: " "$TMPD/out")"
    else
        ok "$name"
    fi
}

check "missing image file"   65 "cannot open guest image '/nonexistent/guest.elf': No such file" \
      /nonexistent/guest.elf
printf '#!/bin/sh\necho hello\n' >"$TMPD/script.sh"
check "image is not an ELF"  65 "is not an ELF file" "$TMPD/script.sh"
check "64-bit ELF (/bin/true)" 65 "is a 64-bit ELF" /bin/true
check "ELF larger than --mem" 65 "does not fit in 4 MiB of guest RAM \(--mem\)" \
      --mem 4M "$ELFS/bigbss.elf"
check "unknown option"       64 "unknown option '--frobnicate'" --frobnicate "$ELFS/spin.elf"
check "option without value" 64 "option --timeout needs a value" "$ELFS/spin.elf" --timeout
check "bad --mem size"       64 "--mem 'lots' is not a size" --mem lots "$ELFS/spin.elf"
check "no image"             64 "no guest image given" --stats
check "unknown engine"       64 "unknown engine 'vmx2'" --engine vmx2 "$ELFS/spin.elf"
# help_has NAME REGEX FILE : FILE, its lines joined with '|', matches REGEX.
help_has() {
    if tr '\n' '|' <"$3" | grep -Eq -- "$2"; then ok "$1"
    else notok "$1" "no /$2/ in $(head -c 300 "$3" | tr '\n' '|')"; fi
}

# An engine's own options: known only to the binaries that have the engine,
# accepted only with it, checked before any VM is built.
check "--check without bt"   64 "option --check is an option of --engine bt, not of --engine interp" \
      --engine interp --check interp "$ELFS/spin.elf"
check "--bt-mode without bt" 64 "option --bt-mode is an option of --engine bt, not of --engine interp" \
      --bt-mode threaded "$ELFS/spin.elf"
check "bad --bt-mode"        64 "--bt-mode 'fast': expected 'identical' or 'threaded'" \
      --engine bt --bt-mode fast "$ELFS/spin.elf"
check "--vmx-controls is not vmm-bt's" 64 "unknown option '--vmx-controls' \(not an option of vmm-bt" \
      --engine bt --vmx-controls hlt=off "$ELFS/spin.elf"
if [ -x "$BUILD/vmm-hw" ]; then
    VMM=$BUILD/vmm-hw PROG=vmm-hw check "--bt-mode is not vmm-hw's" 64 \
        "unknown option '--bt-mode' \(not an option of vmm-hw" --bt-mode threaded "$ELFS/spin.elf"
    VMM=$BUILD/vmm-hw PROG=vmm-hw check "--vmx-controls without vmx" 64 \
        "option --vmx-controls is an option of --engine vmx, not of --engine interp" \
        --engine interp --vmx-controls hlt=off "$ELFS/spin.elf"
    VMM=$BUILD/vmm-hw PROG=vmm-hw check "bad --vmx-controls before any VM" 64 \
        "--vmx-controls: hlt=maybe: expected on or off" \
        --engine vmx --vmx-controls hlt=maybe /nonexistent/guest.elf
    # --help: each engine's options under that engine, and only its binary's.
    "$BUILD/vmm-hw" --help >"$TMPD/hw-help.out" 2>&1
    help_has "vmm-hw --help: --vmx-controls under vmx" '\* vmx [^|]*\|    --vmx-controls LIST' \
        "$TMPD/hw-help.out"
    no_line hw-help "--bt-mode" "vmm-hw --help: no --bt-mode"
else
    skip "vmm-hw's engine options" "build/vmm-hw is not built"
fi
"$VMM" --help >"$TMPD/bt-help.out" 2>&1
help_has "vmm-bt --help: --bt-mode and --check under bt" \
    '\|  bt [^|]*\|    --bt-mode MODE [^|]*\|[^|]*\|    --check ENGINE' "$TMPD/bt-help.out"
no_line bt-help "--vmx-controls" "vmm-bt --help: no --vmx-controls"
check "--check unknown ref"  69 "--check qemu: only 'interp' can be the reference" \
      --engine bt --check qemu "$ELFS/spin.elf"
check "bad module"           65 "cannot open module '/nonexistent/mod'" \
      --module /nonexistent/mod "$ELFS/spin.elf"
# Found by tests/fuzz: opening a FIFO blocked for ever; --timeout beyond a
# time_t deadline stopped the guest at once; an argument with a newline
# broke the one error line in two.
mkfifo "$TMPD/fifo"
check "image is a FIFO (no hang)" 65 "guest image '.*/fifo' is not a regular file" "$TMPD/fifo"
check "module is a FIFO (no hang)" 65 "module '.*/fifo' is not a regular file" \
      --module "$TMPD/fifo" "$ELFS/spin.elf"
# Linux bzImages (core/bzimage.h), synthetic: mkbz FILE VERSION LOADFLAGS
# writes a boot sector with a setup header (protocol VERSION, 4 hex
# digits) and 4 KiB of "kernel": code32_start 1 MiB, relocatable,
# pref_address 16 MiB, init_size 8 MiB (so it needs 24 MiB of RAM).
mkbz() {
    local f=$1 v=$2 lf=$3
    head -c 5120 /dev/zero >"$f"
    poke() { printf "$2" | dd of="$f" bs=1 seek=$(($1)) conv=notrunc status=none; }
    poke 0x1F1 '\x01'; poke 0x1FE '\x55\xaa'; poke 0x200 '\xeb\x6a'; poke 0x202 'HdrS'
    poke 0x206 "\\x${v:2:2}\\x${v:0:2}"; poke 0x211 "\\x$lf"; poke 0x214 '\x00\x00\x10\x00'
    poke 0x22C '\xff\xff\xff\x7f'; poke 0x230 '\x00\x00\x20\x00'; poke 0x234 '\x01'
    poke 0x238 '\xff\x07\x00\x00'; poke 0x258 '\x00\x00\x00\x01'; poke 0x260 '\x00\x00\x80\x00'
}
mkbz "$TMPD/bz" 020f 01
mkbz "$TMPD/bz-old" 0204 01
mkbz "$TMPD/bz-zimage" 020f 00
head -c 1024 /dev/zero >"$TMPD/bootsect" && printf '\x55\xaa' |
    dd of="$TMPD/bootsect" bs=1 seek=510 conv=notrunc status=none
truncate -s 40M "$TMPD/big-initrd"
check "Linux: boot sector, no setup header" 65 "no \"HdrS\" at 0x202" "$TMPD/bootsect"
check "Linux: boot protocol too old" 65 "boot protocol 2.04; this loader needs 2.06" "$TMPD/bz-old"
check "Linux: zImage" 65 "is a zImage" "$TMPD/bz-zimage"
check "Linux: too big for --mem" 65 "needs 24 MiB of guest RAM .* has 16 MiB \(--mem\)" \
      --mem 16M "$TMPD/bz"
check "Linux: initrd larger than RAM" 65 "initrd '.*' \(41943040 bytes\) is larger than the guest's 32 MiB" \
      --mem 32M --initrd "$TMPD/big-initrd" "$TMPD/bz"
check "Linux: missing initrd" 65 "cannot open initrd '/nonexistent/rd'" \
      --initrd /nonexistent/rd "$TMPD/bz"
check "Linux: --module instead of --initrd" 65 "takes an --initrd FILE, not Multiboot --module" \
      --module "$TMPD/bz" "$TMPD/bz"
check "--initrd with a Multiboot ELF" 65 "--initrd is for a Linux bzImage; '.*spin.elf' is not one" \
      --initrd "$TMPD/bz" "$ELFS/spin.elf"
check "--timeout 1e300"      64 "--timeout '1e300' is too long" --timeout 1e300 "$ELFS/spin.elf"
check "option with a newline: one line" 64 "unknown option '--a\?b'" $'--a\nb' "$ELFS/spin.elf"

# The cases that run guest code need an engine.
if "$VMM" --help | grep -Eq '^  interp .*not built yet'; then
    skip "guest triple fault" "the interp engine is not linked into vmm-bt yet"
    skip "guest spins past --timeout" "the interp engine is not linked into vmm-bt yet"
else
    check "guest triple fault" 70 "triple fault" --engine interp "$ELFS/triple.elf"
    # The history dump comes before the error line: check it was printed.
    expect_grep "triple fault prints the exit history" "last [0-9]+ of [0-9]+ exits" "$TMPD/out"
    check "guest spins past --timeout" 124 "still running after --timeout 1 s" \
          --engine interp --timeout 1 "$ELFS/spin.elf"
    # The binary translator on the same bad guests: a triple fault and a
    # guest that never stops end the VM cleanly, never crash the VMM.
    check "bt: guest triple fault" 70 "triple fault" --engine bt "$ELFS/triple.elf"
    check "bt: guest spins past --timeout" 124 "still running after --timeout 1 s" \
          --engine bt --timeout 1 "$ELFS/spin.elf"
    if [ -f "$GUEST" ]; then
        # Controls: good input gives no error, and the guest's own verdict on a
        # bad kernel command line (debug-exit value 2) becomes the status.
        expect_status "good guest boots without error (control)" 0 \
            timeout 30 "$VMM" --engine interp "$GUEST" -- test=hello
        expect_status "guest rejects a bad command line: status 2" 2 \
            timeout 30 "$VMM" --engine interp "$GUEST" -- test=no-such-program
        expect_grep "guest explains the bad command line" "^vmlab: error: .*no-such-program" "$TMPD/out"
    else
        skip "good guest boots without error (control)" "$GUEST is not built"
    fi
fi
finish
