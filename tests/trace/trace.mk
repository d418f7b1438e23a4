# tests/trace: the trace tools end to end (a traced guest run, vmtrace in
# every mode against vmm-bt --stats, the DOT pictures rendered by graphviz).
TEST_SUITES += tests/trace/trace.sh
