# tests/bench/native/host.sh — which native build this host can run
# (sourced; needs BUILD).  The native programs (compute, micro) are static
# i386 processes, the same instruction mix as the guest; a kernel without
# IA32 emulation cannot run them, and is a legal host all the same.  Then
# their x86-64 builds stand in (the checksums are portable C; a timing is
# labelled as such).  Probed once, by build/bench/ia32-probe.linux32.
#
#   native_bin NAME   path of NAME.linux32, or NAME.linux64 without IA32
#   NATIVE_ARCH       i386 or x86-64
#   NATIVE_LABEL      "native i386", or "native x86-64 (no IA32 emulation)"
if [ -z "${NATIVE_ARCH:-}" ]; then       # probed once (exported to children)
    if "$BUILD/bench/ia32-probe.linux32" 2>/dev/null; then NATIVE_ARCH=i386
    else NATIVE_ARCH=x86-64; fi
    export NATIVE_ARCH
fi
if [ "$NATIVE_ARCH" = i386 ]; then NATIVE_LABEL="native i386"
else NATIVE_LABEL="native x86-64 (no IA32 emulation)"; fi
native_bin() {
    if [ "$NATIVE_ARCH" = i386 ]; then echo "$BUILD/bench/$1.linux32"
    else echo "$BUILD/bench/$1.linux64"; fi
}
