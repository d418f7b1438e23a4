#!/bin/bash
# guests.sh — hostile guests (tests/fuzz/guests/*.S) under the interpreter
# (build/vmm-bt --engine interp) and the software VMX model (build/vmm-hw
# --engine vmx).  Project rule: whatever the guest does, the VMM ends with
# a status — the guest's own (debug-exit port), 65 bad image, 70 fatal end,
# 124 --timeout — never a signal, a sanitizer report or a hang; a fatal end
# (65/70/124) prints exactly one "<prog>: error:" line, the last one.
# Random ring-0 code also runs under a sanitizer build of vmm-hw.
. "$(dirname "$0")/../lib.sh"
G=$BUILD/tests/fuzz/guests
BT=$BUILD/vmm-bt
HW=$BUILD/vmm-hw
SAN=$BUILD/tests/fuzz/vmm-hw-san
for f in "$BT" "$HW" "$G/random.elf"; do
    if [ ! -e "$f" ]; then
        notok "hostile guests" "$f is not built (run make _all)"
        finish
    fi
done
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1

# run ID VMM ARGS... : run in the background (two at a time); stdout to
# $TMPD/ID.stdout, stderr to $TMPD/ID.out, and to $TMPD/ID.st either
# "exit N", "signal N" or "hang" (no end after 150 s: killed).  Perl tells a
# death by signal from an exit status, which the shell cannot.
#
# No verdict depends on the machine's speed: a guest that must end by
# itself (status 0, or the VMM's fatal end) gets --timeout $NET, a safety
# net a loaded 2-core machine never reaches (bt needs ~30 s for smc c
# there); the short --timeout 1 stays only where a timeout (124) is one of
# the accepted ends (random code, an endless rep outsb).
run() {
    local id=$1; shift
    while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
    perl -e '
        my $st = shift;
        my $pid = fork();
        if ($pid == 0) { exec(@ARGV) or exit(127); }
        $SIG{ALRM} = sub { kill("KILL", $pid); waitpid($pid, 0);
                           open(my $f, ">", $st); print $f "hang\n"; exit(0); };
        alarm(150);
        waitpid($pid, 0);
        open(my $f, ">", $st);
        print $f (($? & 127) ? "signal " . ($? & 127) : "exit " . ($? >> 8)), "\n";
    ' "$TMPD/$id.st" "$@" >"$TMPD/$id.stdout" 2>"$TMPD/$id.out" </dev/null &
}

# verdict ID NAME WANT [REGEX] : WANT is a |-separated list of statuses or
# "any" (random code may write any value to the debug-exit port).  For a
# VMM status (65, 70, 124) the last line must be the only error line and,
# with REGEX, say so.
verdict() {
    local id=$1 name=$2 want=$3 re=${4:-}
    local st prog errs rc
    st=$(cat "$TMPD/$id.st" 2>/dev/null || echo "missing")
    prog=$(grep -m1 -o '^vmm-[a-z]*\(-san\)\?: error: ' "$TMPD/$id.out" | cut -d: -f1)
    errs=$(grep -c '^vmm-[a-z-]*: error: ' "$TMPD/$id.out")
    last=$(tail -n 1 "$TMPD/$id.out")
    case $st in
    "exit "*) rc=${st#exit } ;;
    *) notok "$name" "the VMM did not end cleanly: $st; last output: $(tail -n 3 "$TMPD/$id.out" | tr '\n' '|')"
       return ;;
    esac
    if grep -Eq 'Sanitizer|runtime error:' "$TMPD/$id.out"; then
        notok "$name" "sanitizer report: $(grep -Em1 'Sanitizer|runtime error:' "$TMPD/$id.out")"
    elif [ "$want" != any ] && ! [[ "|$want|" == *"|$rc|"* ]]; then
        notok "$name" "status $rc, expected $want; last output: $(tail -n 3 "$TMPD/$id.out" | tr '\n' '|')"
    elif [ "$errs" -gt 1 ]; then
        notok "$name" "$errs error lines (one expected): $(grep '^vmm-[a-z-]*: error: ' "$TMPD/$id.out" | tr '\n' '|')"
    elif [ "$errs" -eq 1 ] && [[ "$last" != "$prog: error: "* ]]; then
        notok "$name" "the error line is not the last line: last is '$last'"
    elif [ "$errs" -eq 1 ] && ! [[ "|65|70|124|" == *"|$rc|"* ]]; then
        notok "$name" "status $rc with an error line: $last"
    elif [ "$errs" -eq 0 ] && [ "$want" != any ] && [[ "|65|70|124|" == *"|$rc|"* ]]; then
        notok "$name" "status $rc without an error line"
    elif [ -n "$re" ] && ! grep -Eq -- "$re" <<<"$last"; then
        notok "$name" "error line does not say /$re/: $last"
    else
        ok "$name"
    fi
}

ENGINES="interp:$BT bt:$BT vmx:$HW"
NET=120
SEEDS="1 2 3 4 5 6 7 8 9 10 11 12"
SAN_SEEDS="13 14 15 16"

for ev in $ENGINES; do
    e=${ev%%:*} vmm=${ev#*:}
    for s in $SEEDS; do run "$e-rnd-$s" "$vmm" --engine "$e" --timeout 1 "$G/random.elf" -- "seed=$s"; done
    for m in a b c d e f g h i; do run "$e-pit-$m" "$vmm" --engine "$e" --timeout $NET "$G/pitpic.elf" -- "$m"; done
    for m in a b d e; do run "$e-uart-$m" "$vmm" --engine "$e" --timeout $NET "$G/uart.elf" -- "$m"; done
    run "$e-uart-c" "$vmm" --engine "$e" --timeout 1 "$G/uart.elf" -- c
    for m in a b c; do run "$e-smc-$m" "$vmm" --engine "$e" --timeout $NET "$G/smc.elf" -- "$m"; done
    for m in a b c d e f g h i j k l m; do
        run "$e-wild-$m" "$vmm" --engine "$e" --mem 2M --timeout $NET "$G/wild.elf" -- "$m"
    done
    for f in endmem endover endrun; do run "$e-$f" "$vmm" --engine "$e" --mem 2M --timeout $NET "$G/$f.elf"; done
done
if [ -x "$SAN" ]; then
    for e in interp vmx; do
        for s in $SAN_SEEDS; do run "san-$e-rnd-$s" "$SAN" --engine "$e" --timeout 1 "$G/random.elf" -- "seed=$s"; done
    done
fi
wait

for ev in $ENGINES; do
    e=${ev%%:*}
    for s in $SEEDS; do verdict "$e-rnd-$s" "$e: random ring-0 code, seed=$s" any; done
    verdict "$e-pit-a" "$e: PIT count 0, PIC half-initialised, no EOI: fatal end" 70 "in service"
    verdict "$e-pit-b" "$e: IRQ0 masked, sti; hlt: fatal end" 70 "IRQ0 is masked"
    verdict "$e-pit-c" "$e: PIT mode 2 count 1: fatal end" 70 "PIT not counting"
    verdict "$e-pit-d" "$e: PIT mode 3 count 2 (600 kHz IRQ0): 20000 ticks" 0
    verdict "$e-pit-e" "$e: PIT count half written: fatal end" 70 "PIT not counting"
    verdict "$e-pit-f" "$e: PIC level-triggered IRQ0 (LTIM): fatal end" 70 "level-triggered"
    verdict "$e-pit-g" "$e: timer handler never sends EOI: fatal end" 70 "in service"
    verdict "$e-pit-h" "$e: PIC auto-EOI, PIT count 0: ticks arrive" 0
    verdict "$e-pit-i" "$e: PIC vectors 0xF8, special mask, poll, PIT read-back" 0
    verdict "$e-uart-a" "$e: UART divisor 0, rep outsb of 1 MiB" 0
    if [ "$(stat -c %s "$TMPD/$e-uart-a.stdout")" -eq $((1 << 20)) ]; then
        ok "$e: all 1 MiB of rep outsb reached the console"
    else
        notok "$e: rep outsb 1 MiB" "console got $(stat -c %s "$TMPD/$e-uart-a.stdout") bytes"
    fi
    verdict "$e-uart-b" "$e: rep insb of 1 MiB from an idle UART" 0
    verdict "$e-uart-c" "$e: rep outsb, ECX=0xffffffff, past the end of RAM" "70|124"
    verdict "$e-uart-d" "$e: back-to-back THR-empty interrupts (20000)" 0
    verdict "$e-uart-e" "$e: UART loopback, receive FIFO overrun" 0
    verdict "$e-smc-a" "$e: patching the next instruction's immediate, 100000 times" 0
    verdict "$e-smc-b" "$e: rep movsb over the code it then calls" 0
    verdict "$e-smc-c" "$e: two functions written alternately and called" 0
    for m in a b c; do verdict "$e-wild-$m" "$e: jump outside RAM ($m): fatal end" 70 "outside RAM"; done
    verdict "$e-wild-d" "$e: read/write of 0xF0000000 (no RAM)" "0|70"
    verdict "$e-wild-e" "$e: 4-byte read straddling the end of RAM" "0|70"
    verdict "$e-wild-f" "$e: 4-byte write straddling the end of RAM" "0|70"
    verdict "$e-wild-g" "$e: GDT beyond RAM, DS reloaded" "0|70"
    verdict "$e-wild-h" "$e: GDT straddling the end of RAM, DS reloaded" "0|70"
    verdict "$e-wild-i" "$e: IDT beyond RAM, int \$0x80" "0|70"
    verdict "$e-wild-j" "$e: paging on with CR3 beyond RAM" "0|70"
    verdict "$e-wild-k" "$e: far jump through a GDT beyond RAM" "0|70"
    verdict "$e-wild-l" "$e: stack beyond RAM, call" "0|70"
    verdict "$e-wild-m" "$e: push straddling the end of RAM" "0|70"
    verdict "$e-endmem" "$e: ELF segment ending exactly at the end of --mem 2M" 0
    verdict "$e-endover" "$e: ELF segment one byte past --mem 2M: refused" 65 "does not fit in 2 MiB"
    verdict "$e-endrun" "$e: code running off the end of RAM: fatal end" 70 "outside RAM"
done
if [ -x "$SAN" ]; then
    for e in interp vmx; do
        for s in $SAN_SEEDS; do
            verdict "san-$e-rnd-$s" "$e under ASan/UBSan: random ring-0 code, seed=$s" any
        done
    done
else
    skip "random code under ASan/UBSan" "$SAN is not built"
fi
finish
