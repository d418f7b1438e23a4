# tests/pt/qemu-iommu.mk — stage 06's guest side checked against a real
# IOMMU model: the teaching guest's VT-d driver under qemu-system-x86_64
# -M q35 -device intel-iommu with QEMU's edu device doing DMA
# (qemu-iommu.sh).
TEST_SUITES += tests/pt/qemu-iommu.sh
