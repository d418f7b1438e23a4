# tests/viz: the ncurses visualizer driven under tmux (live, --step, replay,
# refusals, terminal restore).  Needs build/vmm-bt, build/vmtrace, the guest.
TEST_SUITES += tests/viz/viz.sh
# tests/viz/hangup.sh: a VMM (live, --step, the finished screen, a plain
# run) or vmtrace --viz whose tmux session is killed leaves nothing behind.
TEST_SUITES += tests/viz/hangup.sh
# tests/viz/console.sh: the VMM's stdin (piped, empty, a terminal in raw
# mode restored on every way out).  Needs build/vmm-bt and the guest.
TEST_SUITES += tests/viz/console.sh
# tests/viz/mem.sh: stage 04 in the visualizer (memory events in the log,
# the 2-D walk under EPT).  Needs build/vmm-mem and the guest.
TEST_SUITES += tests/viz/mem.sh
