# tests/io/qemu-virtio.mk — stage 05's drivers checked against real devices
# (docs/ARCHITECTURE.md §8): the teaching guest's virtio-blk driver under
# qemu-system-i386 with QEMU's own virtio-blk-pci, then under build/vmm-io
# with ours (qemu-virtio.sh); the ATA driver likewise with QEMU's IDE disk
# and vmm-io --ata (qemu-ata.sh).
TEST_SUITES += tests/io/qemu-virtio.sh tests/io/qemu-ata.sh
