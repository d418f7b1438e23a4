# tests/linux/linux.mk — Debian's 32-bit Linux under the VMMs (issue 12).
#   make linux   fetch linux-image-686 and busybox-static (i386) into
#                build/linux/cache and build build/linux/initrd.gz
#                (scripts/linux.sh; cached, so a second run downloads
#                nothing; status 2 when Debian's registry is unreachable)
.PHONY: linux
linux:
	$(Q)scripts/linux.sh $(BUILD)/linux

# The session test fetches through scripts/linux.sh itself (and skips when
# the registry is unreachable), so `make test` needs no `make linux` first.
TEST_SUITES += tests/linux/session.sh tests/linux/observe.sh
