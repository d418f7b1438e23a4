# tests/trace: the trace tools end to end (a traced guest run, vmtrace in
# every mode against vmm-bt --stats, the DOT pictures rendered by graphviz).
TEST_SUITES += tests/trace/trace.sh
# tests/trace/walk2d.sh: stage 04's 2-D walk (EPT) as --dot --walk and as trace events.
TEST_SUITES += tests/trace/walk2d.sh
