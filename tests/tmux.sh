# tests/tmux.sh — reading a tmux pane from a suite (sourced after
# tests/lib.sh, with $T the suite's tmux command, e.g. "tmux -L sock -f
# /dev/null").  A detached session is a real terminal of a chosen size;
# capture-pane reads its screen.  Every wait polls against a deadline, a
# safety net for a loaded machine, never a speed requirement.
#
#   screen NAME               the pane's screen, as text
#   wait_screen NAME REGEX [S] poll until the screen matches REGEX (S s, 30)
#   wait_exit NAME [S]        poll until $TMPD/NAME.rc holds the command's
#                             status; print it (or "timeout")
#   restored NAME             the terminal's modes as before
#                             ($TMPD/NAME.stty0 = .stty1) and the main
#                             screen back (not the alternate one)
screen() { $T capture-pane -p -t "$1"; }
wait_screen() {
    local end=$((SECONDS + ${3:-30}))
    while [ $SECONDS -lt $end ]; do
        screen "$1" | grep -Eq -- "$2" && return 0
        sleep 0.1
    done
    return 1
}
wait_exit() {
    local end=$((SECONDS + ${2:-30}))
    while [ $SECONDS -lt $end ]; do
        [ -s "$TMPD/$1.rc" ] && { cat "$TMPD/$1.rc"; return 0; }
        sleep 0.1
    done
    echo timeout
    return 1
}
restored() {
    cmp -s "$TMPD/$1.stty0" "$TMPD/$1.stty1" &&
        [ "$($T display -p -t "$1" '#{alternate_on}')" = 0 ]
}
