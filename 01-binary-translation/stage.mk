# 01-binary-translation: build/vmm-bt, the stage 01 VMM.
VMM_BT      := $(BUILD)/vmm-bt
VMM_BT_OBJS := $(BUILD)/host/01-binary-translation/main.o
ALL_TARGETS += $(VMM_BT)

$(VMM_BT): $(VMM_BT_OBJS) $(LIBVMLAB)
	$(Q)$(CC) -o $@ $(VMM_BT_OBJS) $(LIBVMLAB) $(HOST_LDLIBS)
