# tests/demo: the live lecture demos (make demo STAGE=n, scripts/demo.sh)
# driven under tmux at 80x24: every stage to its end, the pacing keys,
# the refusals.  Needs the stage binaries and both guests.
TEST_SUITES += tests/demo/demo.sh
