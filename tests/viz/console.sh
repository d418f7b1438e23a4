#!/bin/bash
# console.sh — the VMM's stdin and its terminal (core/console_in.h).
# Piped or empty stdin does not disturb a run.  On a terminal (a tmux
# pane) stdin is in raw mode while the guest runs and the modes come back
# exactly on every way out: the guest's end, Ctrl-C (status 130: signals
# stay on in raw mode), SIGTERM (status 143: killed, terminal restored by
# the handler first).  The teaching guest does not read COM1 yet, so
# what the guest receives is tested in tests/unit/test_console_in.c and
# test_vm_exit.c (input raises IRQ 4).
. "$(dirname "$0")/../lib.sh"
VMM=$BUILD/vmm-bt
SOCK=vmlab-con-$$
T="tmux -L $SOCK -f /dev/null"

if [ ! -x "$VMM" ] || [ ! -f "$GUEST" ]; then
    skip "console input" "build/vmm-bt or the guest is not built"
    finish
fi

# Piped and empty stdin.
printf 'typed at the guest\r' | "$VMM" "$GUEST" -- test=hello >"$TMPD/pipe.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q '^PASS hello' "$TMPD/pipe.out"; then ok "piped stdin: run unchanged"
else notok "piped stdin: run unchanged" "status $rc: $(tail -2 "$TMPD/pipe.out")"; fi
expect_status "stdin /dev/null: run unchanged" 0 "$VMM" "$GUEST" -- test=hello </dev/null

if ! command -v tmux >/dev/null; then
    skip "console input on a terminal" "tmux is not installed"
    finish
fi
cleanup() {
    $T kill-server 2>/dev/null
    end_children
    rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"
    rm -rf "$TMPD"
}
trap cleanup EXIT

# term_case NAME HOW WANT ARGS... : run the VMM in a tmux pane (its own
# symlink of the guest, to find its process), with the pane's modes saved
# before and after; HOW ends it: wait, ctrl-c, sigterm.
term_case() {
    local name=$1 how=$2 want=$3; shift 3
    ln -sf "$GUEST" "$TMPD/$name.elf"
    cat >"$TMPD/$name.sh" <<EOS
stty -g >$TMPD/$name.before
"$VMM" "$TMPD/$name.elf" $* >/dev/null 2>&1
echo \$? >$TMPD/$name.rc
stty -g >$TMPD/$name.after
sleep 30
EOS
    $T new-session -d -s "$name" -x 80 -y 24 "bash $TMPD/$name.sh"
    local tty pid end=$((SECONDS + 10))
    tty=$($T display -p -t "$name" '#{pane_tty}')
    while [ $SECONDS -lt $end ] && [ ! -s "$TMPD/$name.rc" ]; do
        pid=$(pgrep -f "^$VMM $TMPD/$name\.elf")
        [ -n "$pid" ] && stty -F "$tty" -a 2>/dev/null | grep -q -- '-icanon' && break
        sleep 0.05
    done
    if [ "$how" != wait ]; then
        if [ -n "$pid" ] && stty -F "$tty" -a | grep -q -- '-icanon -echo\|-echo.*-icanon\|-icanon.*-echo'; then
            ok "$name: raw mode while the guest runs"
        else
            notok "$name: raw mode while the guest runs" "$(stty -F "$tty" -a 2>&1 | tail -2)"
        fi
        case $how in
            ctrl-c) $T send-keys -t "$name" C-c ;;
            sigterm) kill -TERM "$pid" ;;
        esac
    fi
    end=$((SECONDS + 10))
    while [ $SECONDS -lt $end ] && [ ! -s "$TMPD/$name.after" ]; do sleep 0.05; done
    local rc
    rc=$(cat "$TMPD/$name.rc" 2>/dev/null)
    if [ "$rc" = "$want" ]; then ok "$name: status $want"
    else notok "$name: status $want" "status ${rc:-none}"; fi
    if [ -s "$TMPD/$name.before" ] && cmp -s "$TMPD/$name.before" "$TMPD/$name.after"; then
        ok "$name: terminal modes restored"
    else
        notok "$name: terminal modes restored" \
            "before $(cat "$TMPD/$name.before" 2>/dev/null), after $(cat "$TMPD/$name.after" 2>/dev/null)"
    fi
    $T kill-session -t "$name" 2>/dev/null
}

term_case end wait 0 -- test=hello
term_case ctrl-c ctrl-c 130 --engine interp -- test=timer iters=6000
term_case sigterm sigterm 143 --engine bt -- test=timer iters=6000
finish
