/*
 * hello_user_elf.c — a complete user program for the vmlab guest, built as
 * a freestanding i386 ELF linked at 0x08048000 and passed to the kernel as
 * a boot module:
 *
 *   qemu-system-i386 -kernel build/guest/guest.elf -initrd build/guest/hello-user.elf \
 *       -append test=module ...
 *
 * It knows nothing about the kernel but the tiny ABI (README.md): int 0x80
 * with EAX = number (Linux i386 numbers), EBX/ECX/EDX = arguments.
 */
#define SYS_exit  1
#define SYS_write 4
#define SYS_time  13
#define SYS_yield 158

static int sys3(int nr, int a, int b, int c)
{
    int ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return ret;
}

static unsigned len(const char *s)
{
    unsigned n = 0;
    while (s[n])
        n++;
    return n;
}

static void puts1(const char *s) { sys3(SYS_write, 1, (int)s, (int)len(s)); }

static char bss_buf[64];     /* must be zero: checks the loader's .bss */
static int data_word = 1234; /* must be 1234: checks .data             */

void _start(void)
{
    int code = 0;
    puts1("hello from a user ELF module\n");
    for (unsigned i = 0; i < sizeof bss_buf; i++)
        if (bss_buf[i])
            code = 1;
    if (data_word != 1234)
        code = 2;
    const char *msg = "write returns its length\n";
    if (sys3(SYS_write, 1, (int)msg, (int)len(msg)) != (int)len(msg))
        code = 3;
    int t0 = sys3(SYS_time, 0, 0, 0);
    for (int i = 0; i < 3; i++)
        sys3(SYS_yield, 0, 0, 0);
    if (sys3(SYS_time, 0, 0, 0) < t0)
        code = 4;
    sys3(SYS_exit, code, 0, 0);
    for (;;)
        ;
}
