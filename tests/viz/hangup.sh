#!/bin/bash
# hangup.sh — a VMM whose terminal goes away leaves nothing behind.
# Each case starts a VMM (or vmtrace) in a tmux session, waits until it is
# in the state under test, kills the session and checks that within a few
# seconds no process of it is left (pgrep on a per-case file name in its
# command line) and that its status is the documented one (core/hangup.h):
#   live --viz 130, --step 130, vmtrace --viz replay 130, the "press q to
#   leave" screen of a finished run keeps the guest's status, a plain run
#   (no --viz, interp and bt engines; guest asleep in HLT, computing, in a
#   jump to itself or in an endless REP) 130;
# the "press q to leave" screen uses no CPU while it waits; and a test
# suite interrupted while its background VMMs run ends them (tests/lib.sh).
# Two ways for the terminal to go, each case run with both:
#   kill   tmux kill-session: the tty hangs up, the session leader (a shell)
#          dies of SIGHUP and the kernel sends SIGHUP to the VMM's group;
#   close  the same, but the session leader survives the hang-up, so no
#          signal reaches the VMM: it must notice the dead tty by itself
#          (POLLHUP, end of file).
. "$(dirname "$0")/../lib.sh"
VMM=$BUILD/vmm-bt
VMTRACE=$BUILD/vmtrace
VMMHW=$BUILD/vmm-hw
SOCK=vmlab-hup-$$
T="tmux -L $SOCK -f /dev/null"
DEADLINE=4          # seconds a VMM may take to go

if ! command -v tmux >/dev/null; then
    skip "hangup" "tmux is not installed"
    finish
fi
if [ ! -x "$VMM" ] || [ ! -x "$VMTRACE" ] || [ ! -f "$GUEST" ]; then
    skip "hangup" "build/vmm-bt, build/vmtrace or the guest is not built"
    finish
fi
# Whatever happens, no process of ours survives the suite.
cleanup() {
    $T kill-server 2>/dev/null
    end_children
    local p    # what is left (a VMM that ignored the hang-up), and its wrapper
    for p in $(pgrep -f "$TMPD/"); do kill -9 "$p" 2>/dev/null; done
    sleep 0.2
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
    rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The marker: every case runs its own symlink of the guest (or copy of the
# trace), so its process is found by name and nothing else is.
"$VMM" --trace "$TMPD/all.trace" "$GUEST" -- test=all >/dev/null 2>&1

# start NAME VARIANT PROG ARGS... : run in a new 80x24 session.  A wrapper
# shell that outlives the hang-up (trap) writes the status to NAME.rc.
start() {
    local name=$1 variant=$2; shift 2
    {
        echo "cd $ROOT"
        [ "$variant" = close ] && echo "trap 'echo >$TMPD/$name.hup' HUP"
        printf '%s ' "bash -c 'trap : HUP; \"\$@\" 2>$TMPD/$name.err; echo \$? >$TMPD/$name.rc' _" "$@"
        echo
    } >"$TMPD/$name.sh"
    $T new-session -d -s "$name" -x 80 -y 24 "bash $TMPD/$name.sh"
}
screen() { $T capture-pane -p -t "$1" 2>/dev/null; }
wait_screen() {
    local end=$((SECONDS + ${3:-10}))
    while [ $SECONDS -lt $end ]; do
        screen "$1" | grep -Eq -- "$2" && return 0
        sleep 0.1
    done
    return 1
}
# wait_armed NAME : until a process of NAME catches SIGHUP (SigCgt bit 0),
# or has run 8 s without (a VMM that does not: the checks then show how
# it fares).
wait_armed() {
    local end=$((SECONDS + 8)) pid cgt
    while [ $SECONDS -lt $end ]; do
        for pid in $(procs "$1"); do
            cgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
            [ -n "$cgt" ] && (( 0x$cgt & 1 )) && return 0
        done
        sleep 0.1
    done
    [ -n "$(procs "$1")" ]
}
procs() { pgrep -f "^($VMM|$VMMHW|$VMTRACE) .*$TMPD/$1\." ; }
# gone NAME : true once no process of NAME is left and its status is known
# (polls until DEADLINE); prints "status S" or what is left.
gone() {
    local end=$((SECONDS + DEADLINE))
    while [ $SECONDS -le $end ]; do
        if [ -z "$(procs "$1")" ] && [ -s "$TMPD/$1.rc" ]; then
            echo "status $(cat "$TMPD/$1.rc")"
            return 0
        fi
        sleep 0.1
    done
    local left
    left=$(procs "$1" | tr '\n' ' ')
    echo "still running after ${DEADLINE}s: pid $left($(ps -o pcpu=,stat= -p "${left%% *}" 2>/dev/null | tr -s ' ') %cpu)"
    return 1
}

# hup_case NAME WANT-STATUS SCREEN-REGEX PROG ARGS... : for both variants,
# start, wait for the screen (empty regex: a short pause), kill, check.
hup_case() {
    local name=$1 want=$2 re=$3; shift 3
    local variant
    for variant in kill close; do
        local n=$name-$variant args=() a
        for a in "$@"; do
            case $a in
                @IMAGE@) ln -sf "$GUEST" "$TMPD/$n.elf"; a=$TMPD/$n.elf ;;
                @SPIN@|@REP@) a=${a//@/}; ln -sf "$BUILD/tests/bad-input/${a,,}.elf" "$TMPD/$n.elf"
                              a=$TMPD/$n.elf ;;
                @TRACE@) cp "$TMPD/all.trace" "$TMPD/$n.trace"; a=$TMPD/$n.trace ;;
            esac
            args+=("$a")
        done
        start "$n" "$variant" "${args[@]}"
        if [ -n "$re" ] && ! wait_screen "$n" "$re"; then
            notok "$name, $variant: never reached /$re/" "screen: $(screen "$n" | grep -v '^ *$' | tail -n 3 | tr '\n' '|')"
            $T kill-session -t "$n" 2>/dev/null
            continue
        fi
        # No screen: wait until the VM runs (its SIGHUP handler is set).
        [ -z "$re" ] && ! wait_armed "$n" &&
            notok "$name, $variant: never ran" "status $(cat "$TMPD/$n.rc" 2>/dev/null)" && continue
        if [ -z "$(procs "$n")" ]; then
            notok "$name, $variant" "the process was not running before the kill (status $(cat "$TMPD/$n.rc" 2>/dev/null))"
            continue
        fi
        $T kill-session -t "$n"
        local got msg=""
        got=$(gone "$n")
        # A stopped VMM says why on stderr (vmtrace prints nothing).
        [ "$want" = 130 ] && [ "$1" != "$VMTRACE" ] &&
            ! grep -Eq '^vmm-(bt|hw): stopped: (SIGHUP|the terminal went away)' "$TMPD/$n.err" &&
            msg="; no 'stopped: SIGHUP / the terminal went away' line"
        if [ "$got" = "status $want" ] && [ -z "$msg" ]; then
            ok "$name, terminal gone ($variant): nothing left, status $want"
        else
            notok "$name, terminal gone ($variant)" "$got (want status $want)$msg; stderr: $(tail -n 2 "$TMPD/$n.err" 2>/dev/null | tr '\n' '|')"
        fi
    done
}

# The visualizer, in each of its modes.
hup_case live 130 'I/O instruction +30' "$VMM" --viz @IMAGE@ -- test=timer iters=6000
hup_case step 130 ' STEP +exit #1 ' "$VMM" --step @IMAGE@ -- test=all
hup_case finished 0 'guest exited with status 0 -- press q to leave' "$VMM" --viz @IMAGE@ -- test=hello
hup_case finished-bt 0 'guest exited with status 0 -- press q to leave' \
    "$VMM" --engine bt --viz @IMAGE@ -- test=hello
hup_case replay 130 'vmlab viz +trace ' "$VMTRACE" --viz @TRACE@
hup_case replay-step 130 ' STEP +exit #0 ' "$VMTRACE" --viz --step @TRACE@
# Without the visualizer: asleep in HLT (the timer test), or computing,
# under the interpreter and under the translator (and its poller thread).
hup_case plain-hlt 130 '' "$VMM" --engine interp @IMAGE@ -- test=timer iters=6000
hup_case plain-bt-hlt 130 '' "$VMM" --engine bt @IMAGE@ -- test=timer iters=6000
hup_case plain-bt-compute 130 '' "$VMM" --engine bt @IMAGE@ -- test=compute iters=100000
# Stage 03's VMX model: the guest's HLT is a VM exit or (hlt=off) an
# activity state the engine waits in (vm_wait_for_interrupt).
if [ -x "$VMMHW" ]; then
    hup_case plain-vmx-hlt 130 '' "$VMMHW" --engine vmx @IMAGE@ -- test=timer iters=6000
    hup_case plain-vmx-hltoff 130 '' "$VMMHW" --engine vmx --vmx-controls hlt=off @IMAGE@ \
        -- test=timer iters=6000
else
    skip "vmm-hw" "build/vmm-hw is not built"
fi
# Guests that never leave the engine by themselves: a jump to itself, and
# one endless REP LODSB (engines pause a REP every few thousand rounds).
if [ -f "$BUILD/tests/bad-input/spin.elf" ] && [ -f "$BUILD/tests/bad-input/rep.elf" ]; then
    for eng in interp bt; do
        hup_case "plain-$eng-spin" 130 '' "$VMM" --engine $eng @SPIN@
        hup_case "plain-$eng-rep" 130 '' "$VMM" --engine $eng @REP@
    done
    # Under --check a REP runs whole (the reference compares whole
    # instructions), so the stop cannot take effect for a minute: the
    # backstop (core/hangup.h, SIGALRM after 5 s: status 128+14) ends it.
    DEADLINE=9 hup_case backstop-bt-check-rep 142 '' \
        "$VMM" --engine bt --check interp @REP@
    # ... and with the screen up: the crash handler gives the terminal
    # back before SIGALRM ends the process.
    DEADLINE=9 hup_case backstop-viz-check-rep 142 ' vmlab viz ' \
        "$VMM" --viz --engine bt --check interp @REP@
else
    skip "spinning guests" "build/tests/bad-input/{spin,rep}.elf are not built"
fi

# --- SIGTERM on the "press q to leave" screen leaves it (it used to wait
# for q for ever), with the guest's status ------------------------------------
n=term-finished
ln -sf "$GUEST" "$TMPD/$n.elf"
start "$n" kill "$VMM" --viz "$TMPD/$n.elf" -- test=hello
if wait_screen "$n" 'guest exited with status 0 -- press q to leave' && [ -n "$(procs "$n")" ]; then
    kill -TERM $(procs "$n")
    got=$(gone "$n")
    if [ "$got" = "status 0" ]; then
        ok "SIGTERM on the 'press q to leave' screen: leaves, status 0"
    else
        notok "SIGTERM on the 'press q to leave' screen" "$got (want status 0)"
    fi
else
    notok "SIGTERM on the 'press q to leave' screen" "never reached it"
fi
$T kill-session -t "$n" 2>/dev/null

# --- nohup: a VMM started with SIGHUP ignored keeps running ---------------
# (the user asked it to outlive the terminal): it finishes its guest (3 s
# of timer ticks) with the guest's status after the session is killed.
n=nohup
ln -sf "$GUEST" "$TMPD/$n.elf"
echo 'trap "" HUP; exec "$@"' >"$TMPD/nohup-wrap.sh"
start "$n" kill bash "$TMPD/nohup-wrap.sh" "$VMM" "$TMPD/$n.elf" -- test=timer iters=500
if wait_screen "$n" 'vmlab: guest kernel' && [ -n "$(procs "$n")" ]; then
    $T kill-session -t "$n"
    sleep 1
    alive=$(procs "$n")
    got=$(DEADLINE=12 gone "$n")
    if [ -n "$alive" ] && [ "$got" = "status 0" ]; then
        ok "SIGHUP ignored (nohup): the VMM outlives its terminal and finishes, status 0"
    else
        notok "SIGHUP ignored (nohup)" "running 1 s after the kill: ${alive:-no}; then $got (want status 0)"
    fi
else
    notok "SIGHUP ignored (nohup)" "never ran; $(screen "$n" | grep -v '^ *$' | tail -n 2 | tr '\n' '|')"
fi

# --- an interrupted suite leaves nothing behind (tests/lib.sh) -------------
# A suite of two background cases (start_case): a VMM, and one under
# timeout(1) as lib.sh runs qemu (timeout puts it in a process group of its
# own, which a terminal's Ctrl-C does not reach).  Interrupted while they
# run (TERM, HUP, Ctrl-C typed in its terminal), it must end them.
SPIN=$BUILD/tests/bad-input/spin.elf
suite_left() { pgrep -f "^(timeout 60 )?$VMM --timeout 60 $TMPD/$1\.elf"; }
if [ -f "$SPIN" ]; then
    for sig in TERM HUP INT; do
        n=suite-$sig
        ln -sf "$SPIN" "$TMPD/$n.elf"
        printf '%s\n' ". '$ROOT/tests/lib.sh'" \
            "start_case a '$VMM' --timeout 60 '$TMPD/$n.elf'" \
            "start_case b timeout 60 '$VMM' --timeout 60 '$TMPD/$n.elf'" \
            "wait" "finish" >"$TMPD/$n.sh"
        if [ $sig = INT ]; then
            $T new-session -d -s "$n" -x 80 -y 24 "bash $TMPD/$n.sh"
        else
            bash "$TMPD/$n.sh" >/dev/null 2>&1 &
            spid=$!
        fi
        end=$((SECONDS + 10))
        while [ $SECONDS -lt $end ] && [ "$(suite_left "$n" | wc -l)" -lt 3 ]; do sleep 0.1; done
        if [ "$(suite_left "$n" | wc -l)" -lt 3 ]; then
            notok "suite interrupted by SIG$sig" "its cases never ran: $(suite_left "$n" | tr '\n' ' ')"
            continue
        fi
        if [ $sig = INT ]; then
            $T send-keys -t "$n" C-c
        else
            kill -s $sig "$spid"
            wait "$spid" 2>/dev/null
        fi
        end=$((SECONDS + DEADLINE))
        while [ $SECONDS -le $end ] && [ -n "$(suite_left "$n")" ]; do sleep 0.1; done
        left=$(suite_left "$n" | tr '\n' ' ')
        if [ -z "$left" ]; then
            ok "a suite interrupted by SIG$sig leaves no VMM (nor timeout(1)) behind"
        else
            notok "suite interrupted by SIG$sig" "still running after ${DEADLINE}s: $left"
        fi
    done
else
    skip "interrupted suite" "$SPIN is not built"
fi

# Waiting for nothing costs nothing: a finished run's last screen sleeps
# in poll(2) (about 1% of a core for ~15 redraws a second), and under
# --engine bt the translator's poller thread parks while the vCPU is away
# (it woke every 500 us for good before: 5% of a core).
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }
hz=$(getconf CLK_TCK)
for eng in interp bt; do
    n=idle-$eng
    ln -sf "$GUEST" "$TMPD/$n.elf"
    start "$n" kill "$VMM" --engine $eng --viz "$TMPD/$n.elf" -- test=hello
    pid=
    wait_screen "$n" 'press q to leave' && pid=$(procs "$n")
    if [ -n "$pid" ]; then
        t0=$(ticks "$pid"); sleep 3; t1=$(ticks "$pid")
        if [ -n "$t1" ] && [ $((t1 - t0)) -le $((hz * 3 / 50)) ]; then
            ok "--engine $eng: the 'press q to leave' screen idles ($((t1 - t0)) ticks of $((hz * 3)) in 3 s)"
        else
            notok "--engine $eng: the 'press q to leave' screen idles" "$((t1 - t0)) ticks of CPU in 3 s (at most $((hz * 3 / 50)): 2%)"
        fi
    else
        notok "--engine $eng: the 'press q to leave' screen idles" "never reached it"
    fi
    $T kill-session -t "$n" 2>/dev/null
done
finish
