# common/trace: the per-VM event ring and the --trace file (docs/ARCHITECTURE.md §7),
# the file reader (tools/vmtrace, the visualizer's replay) and the graphviz
# pictures (--dot).
COMMON_SRCS += common/trace/trace.c common/trace/trace_reader.c common/trace/dot.c
