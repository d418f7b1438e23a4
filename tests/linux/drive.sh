# tests/linux/drive.sh — drive a machine's serial console from a script
# (sourced after tests/lib.sh), the way `expect` would: the machine reads
# its standard input from a FIFO this shell writes to, and writes its
# console to a file this shell reads.
#
#   drive_start ID CMD...    start the machine
#   drive_wait ID REGEX SECS true once the console has a line matching
#                            REGEX (grep -E), false on timeout or if the
#                            machine ended first
#   drive_send ID TEXT       type TEXT and Enter
#   drive_cmd ID CMD SECS    type CMD framed by markers; true when it ended
#                            (its exit status is in the end marker)
#   drive_output ID          the file holding the last drive_cmd's output
#   drive_end ID SECS        true once the machine has ended
#   drive_status ID          its exit status
#   drive_elapsed ID         seconds since drive_start (one decimal)
#   drive_reason ID          the console's last line, for a failure message
#   drive_stop ID            end it (TERM, then KILL)
#   linux_machine DIR CMDLINE VMM... : set the array MACHINE to the command
#                            that boots DIR's Debian kernel and initramfs
#                            (scripts/linux.sh) with CMDLINE: under VMM
#                            (e.g. build/vmm-bt --engine bt) with 256 MiB
#                            and --stats, or, for VMM "qemu", under
#                            qemu-system-i386 TCG with the same files
# The console is in $TMPD/ID.out, with CRs and terminal escape sequences
# (busybox's shell asks the terminal for its cursor position) removed in
# the copies the functions read.

drive_start() {
    local id=$1
    shift
    rm -f "$TMPD/$id".{in,out,rc,n}
    mkfifo "$TMPD/$id.in" || return 1
    date +%s.%N >"$TMPD/$id.t0"
    # The reader's open of the FIFO waits for this writer: open ours after.
    # (The subshell's own stderr is dropped: no "Terminated" from drive_stop.)
    ( "$@" <"$TMPD/$id.in" >"$TMPD/$id.out" 2>&1; echo $? >"$TMPD/$id.rc" ) 2>/dev/null &
    echo $! >"$TMPD/$id.pid"
    eval "exec {DRIVE_FD_${id//-/_}}>\"\$TMPD/\$id.in\""
    echo 0 >"$TMPD/$id.n"
}

# The console as text: no CR, no CSI escape sequences.
drive_text() {
    sed -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' "$TMPD/$1.out"
}

drive_wait() {
    local id=$1 re=$2 end=$((SECONDS + $3))
    while [ $SECONDS -lt $end ]; do
        drive_text "$id" | grep -Eq -- "$re" && return 0
        [ -f "$TMPD/$id.rc" ] && { drive_text "$id" | grep -Eq -- "$re"; return; }
        sleep 0.2
    done
    return 1
}

drive_send() {
    local fd=DRIVE_FD_${1//-/_}
    printf '%s\r' "$2" >&"${!fd}" 2>/dev/null
}

# Close our end of the FIFO: the machine sees the end of its input.
drive_close() {
    local fd=DRIVE_FD_${1//-/_}
    [ -n "${!fd:-}" ] && eval "exec ${!fd}>&-"
    eval "DRIVE_FD_${1//-/_}="
}

drive_cmd() {
    local id=$1 n
    n=$(($(cat "$TMPD/$id.n") + 1))
    echo $n >"$TMPD/$id.n"
    # The quotes split the markers in the echoed command line, so only
    # the shell's output of them matches "^@@BEGIN n$".
    drive_send "$id" "echo '@@'BEGIN $n; $2; echo '@@'END $n \$?"
    drive_wait "$id" "^@@END $n [0-9]+" "$3" || return 1
    drive_text "$id" | sed -n "/^@@BEGIN $n\$/,/^@@END $n /p" | sed '1d;$d' >"$TMPD/$id.cmd"
}

drive_output() { echo "$TMPD/$1.cmd"; }

drive_end() {
    local id=$1 end=$((SECONDS + $2))
    while [ $SECONDS -lt $end ]; do
        [ -f "$TMPD/$id.rc" ] && { drive_close "$id"; return 0; }
        sleep 0.2
    done
    return 1
}

drive_status() { cat "$TMPD/$1.rc" 2>/dev/null; }

drive_elapsed() {
    local now
    now=$(date +%s.%N)
    awk -v a="$(cat "$TMPD/$1.t0")" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
}

drive_reason() {
    local last
    last=$(drive_text "$1" | grep -v '^[[:space:]]*$' | tail -1)
    if [ -f "$TMPD/$1.rc" ]; then
        echo "ended with status $(cat "$TMPD/$1.rc"); last line: ${last:-none}"
    else
        echo "last line: ${last:-none}"
    fi
}

drive_stop() {
    local pid
    drive_close "$1"
    pid=$(cat "$TMPD/$1.pid" 2>/dev/null) || return 0
    pkill -TERM -P "$pid" 2>/dev/null
    sleep 1
    pkill -KILL -P "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

linux_machine() {
    local dir=$1 cmdline=$2
    shift 2
    if [ "$1" = qemu ]; then
        MACHINE=(qemu-system-i386 -accel tcg -m 256 -display none -serial stdio -monitor none
            -no-reboot -kernel "$dir/vmlinuz" -initrd "$dir/initrd.gz" -append "$cmdline")
    else
        MACHINE=("$@" --mem 256M --stats --initrd "$dir/initrd.gz" "$dir/vmlinuz" -- $cmdline)
    fi
}
