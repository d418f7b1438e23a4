# common/viz: the ncurses visualizer (--viz, --step; vmtrace --viz), docs/ARCHITECTURE.md §7.
COMMON_SRCS += common/viz/viz.c common/viz/viz_model.c common/viz/viz_live.c \
               common/viz/pane_hist.c common/viz/pane_regs.c common/viz/pane_log.c \
               common/viz/pane_walk.c common/viz/pane_cache.c common/viz/viz_replay.c \
               common/viz/viz_walk.c
HOST_LDLIBS += -lncurses
# build/vmtrace --viz FILE (tools/vmtrace/vmtrace.c calls viz_replay).
VMTRACE_VIZ_CFLAGS := -DVMLAB_HAVE_VIZ
VMTRACE_VIZ_LDLIBS := -lncurses
