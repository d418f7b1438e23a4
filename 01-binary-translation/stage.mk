# 01-binary-translation: build/vmm-bt, the stage 01 VMM.
VMM_BT      := $(BUILD)/vmm-bt
VMM_BT_OBJS := $(BUILD)/host/01-binary-translation/main.o
ALL_TARGETS += $(VMM_BT)

# The interpreter's engine adapter is linked in once it exists; main.o is
# rebuilt when it appears.
BT_INTERP := $(wildcard common/x86/interp_engine.c)
$(VMM_BT_OBJS): HOST_CFLAGS += $(if $(BT_INTERP),-DHAVE_INTERP_ENGINE)
$(VMM_BT_OBJS): $(BT_INTERP)

$(VMM_BT): $(VMM_BT_OBJS) $(LIBVMLAB)
	$(Q)$(CC) -o $@ $(VMM_BT_OBJS) $(LIBVMLAB) $(HOST_LDLIBS)
