# common/x86: the x86-32 CPU model (reference interpreter), docs/ARCHITECTURE.md §4.
COMMON_SRCS += common/x86/interp.c common/x86/runloop.c common/x86/interp_engine.c common/x86/decode.c \
               common/x86/flags.c common/x86/mem.c common/x86/seg.c common/x86/excp.c \
               common/x86/exec_alu.c common/x86/exec_ctl.c common/x86/exec_sys.c \
               common/x86/paging.c common/x86/tlb.c common/x86/flag_effects.c \
               common/x86/interp_flags.c \
               common/x86/fpu.c common/x86/fpu_host.c common/x86/exec_fpu.c common/x86/exec_fpu_env.c
