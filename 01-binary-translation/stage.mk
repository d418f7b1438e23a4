# 01-binary-translation: build/vmm-bt, the stage 01 VMM (engines interp and bt).
BT_SRCS     := emit.c glue.c codecache.c translate.c ident.c ident_native.c ident_tail.c ident_x87.c ident_string.c bt_engine.c bt_x87.c bt_fault.c bt_stats.c check.c window.c poller.c
VMM_BT      := $(BUILD)/vmm-bt
VMM_BT_OBJS := $(BUILD)/host/01-binary-translation/main.o \
               $(BT_SRCS:%.c=$(BUILD)/host/01-binary-translation/%.o)
ALL_TARGETS += $(VMM_BT)

$(VMM_BT): $(VMM_BT_OBJS) $(LIBVMLAB)
	$(Q)$(CC) -o $@ $(VMM_BT_OBJS) $(LIBVMLAB) $(HOST_LDLIBS)
