# tests/io/pattern.sh — the disk pattern of the teaching guest's virtio_blk
# program (common/guest/programs/virtio_blk.c), sourced by the io suites.
# pattern host|guest FIRST COUNT : the bytes of sectors FIRST..FIRST+COUNT-1,
# 32-bit word w of sector s being TOP | (s & 0xFFFF) << 8 | w, TOP 0xB1000000
# for what the host writes and 0x6E000000 for what the guest writes.
pattern() {
    perl -e 'my ($k, $f, $n) = @ARGV; my $top = $k eq "host" ? 0xB1000000 : 0x6E000000;
             for my $s ($f .. $f + $n - 1) { print pack("V*", map { $top | ($s & 0xFFFF) << 8 | $_ } 0 .. 127) }' "$@"
}
