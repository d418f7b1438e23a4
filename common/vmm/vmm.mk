# common/vmm: the stage binaries' command line and main() — above core,
# trace and viz (it starts the visualizer and writes the --dot file).
COMMON_SRCS += common/vmm/options.c common/vmm/vmm_main.c common/vmm/engine_wrap.c
