# common/trace: the per-VM event ring and the --trace file (DESIGN.md §4).
COMMON_SRCS += common/trace/trace.c
