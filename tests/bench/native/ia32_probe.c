/*
 * ia32_probe.c — can this host run 32-bit Linux processes?  A static i386
 * program that only exits with status 0 through the i386 system-call gate.
 * A kernel built without IA32 emulation (CONFIG_IA32_EMULATION) refuses
 * to exec it ("Exec format error"): tests/bench/native/host.sh then picks
 * the x86-64 builds of the native programs.
 */
void _start(void)
{
    __asm__ volatile("int $0x80" : : "a"(1), "b"(0)); /* exit(0) */
    for (;;)
        ;
}
