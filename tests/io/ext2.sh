# tests/io/ext2.sh — the ext2 image Debian's Linux mounts in the io suites
# (io.sh on virtio-blk, ata.sh on the IDE disk), sourced after tests/lib.sh.
# ext2_files: e2fsprogs found (or the suite ends), the two files the image
# holds in $TMPD/src, HOST_SUM the md5 of the host's file and GUEST_SUM of
# what the guest writes (seq 1 30000); image FILE makes a 16 MiB ext2 of them.
ext2_files() {
    local t
    for t in mkfs.ext2 debugfs e2fsck; do
        command -v $t >/dev/null || PATH=$PATH:/sbin:/usr/sbin
        command -v $t >/dev/null || { notok "e2fsprogs" "no $t (make deps installs e2fsprogs)"; finish; }
    done
    mkdir -p "$TMPD/src"
    echo "hello from the host" >"$TMPD/src/hello.txt"
    head -c 300000 /dev/urandom >"$TMPD/src/host.bin"
    HOST_SUM=$(md5sum <"$TMPD/src/host.bin" | cut -d' ' -f1)
    GUEST_SUM=$(seq 1 30000 | md5sum | cut -d' ' -f1)
}
image() {
    truncate -s 16M "$1" && mkfs.ext2 -q -F -d "$TMPD/src" "$1" >"$TMPD/mkfs.out" 2>&1
}
