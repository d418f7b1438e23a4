# tests/viz: the ncurses visualizer driven under tmux (live, --step, replay,
# refusals, terminal restore).  Needs build/vmm-bt, build/vmtrace, the guest.
TEST_SUITES += tests/viz/viz.sh
