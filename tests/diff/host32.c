/*
 * host32.c — the oracle: runs instruction snippets on the real CPU.
 *
 * Built as a static 32-bit Linux program (gcc -m32 -static); the x86-64
 * host runs it in IA32 compatibility mode, so the snippet sees exactly
 * what ring-3 code of a 32-bit protected-mode OS sees.
 *
 *   diff_host32 < batch > results      (formats: proto.h)
 *
 * For each snippet: copy it to DIFF_CODE_ADDR followed by "jmp [exit_ptr]",
 * load all eight GPRs and EFLAGS from the record (diff_enter below), jump
 * to it; the snippet's last jump lands in diff_exit, which stores the
 * registers and EFLAGS and returns to C.  A CPU exception in the snippet
 * arrives as a signal (SIGFPE, SIGSEGV, SIGILL, SIGTRAP, SIGBUS); the
 * kernel's ucontext holds the vector (REG_TRAPNO), the error code and the
 * registers at the fault.  The handler runs on an alternate stack (ESP of
 * the snippet points into the data area, which must not be disturbed) and
 * resumes at diff_fault_return on our own stack.
 */
#define _GNU_SOURCE 1
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#include "proto.h"

#if !defined(__i386__)
#error "host32.c is the 32-bit oracle: build it with gcc -m32"
#endif

/* Globals, because the trampoline reaches them by absolute address.  This
 * is a one-snippet-at-a-time process, there is no second instance. */
struct diff_state diff_in_state, diff_out_state;
uint32_t diff_host_esp;
uint32_t diff_code_entry = DIFF_CODE_ADDR;
static volatile int32_t fault_vector;
static volatile uint32_t fault_error;
static volatile uint32_t current; /* record number, for error messages */

void diff_enter(void);
void diff_exit(void);
void diff_fault_return(void);

/* Offsets into struct diff_state: gpr[i] at 4*i, eflags at 32. */
__asm__(".text\n"
        ".globl diff_enter\n"
        "diff_enter:\n"
        "    push %ebp\n push %ebx\n push %esi\n push %edi\n"
        "    mov %esp, diff_host_esp\n"
        "    pushl diff_in_state+32\n" /* EFLAGS first: popf needs a stack */
        "    popfl\n"
        "    mov diff_in_state+0, %eax\n" /* MOV leaves EFLAGS alone        */
        "    mov diff_in_state+4, %ecx\n"
        "    mov diff_in_state+8, %edx\n"
        "    mov diff_in_state+12, %ebx\n"
        "    mov diff_in_state+20, %ebp\n"
        "    mov diff_in_state+24, %esi\n"
        "    mov diff_in_state+28, %edi\n"
        "    mov diff_in_state+16, %esp\n"
        "    jmp *diff_code_entry\n"
        ".globl diff_exit\n"
        "diff_exit:\n"
        "    mov %eax, diff_out_state+0\n"
        "    mov %ecx, diff_out_state+4\n"
        "    mov %edx, diff_out_state+8\n"
        "    mov %ebx, diff_out_state+12\n"
        "    mov %esp, diff_out_state+16\n"
        "    mov %ebp, diff_out_state+20\n"
        "    mov %esi, diff_out_state+24\n"
        "    mov %edi, diff_out_state+28\n"
        "    mov diff_host_esp, %esp\n"
        "    pushfl\n" /* on our stack, not the data area */
        "    popl diff_out_state+32\n"
        ".globl diff_fault_return\n"
        "diff_fault_return:\n"
        "    cld\n" /* the C ABI wants DF = 0 */
        "    pop %edi\n pop %esi\n pop %ebx\n pop %ebp\n"
        "    ret\n");

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    (void)si;
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    uint32_t eip = g[REG_EIP];
    /* A fault in this program's own code is a bug here: say so instead of
     * reporting garbage.  Anywhere else (the snippet, or where a wild
     * jump took it) it is the snippet's fault. */
    extern char __executable_start[], etext[];
    if (eip >= (uint32_t)(uintptr_t)__executable_start && eip < (uint32_t)(uintptr_t)etext) {
        char msg[128];
        int n = snprintf(msg, sizeof msg,
                         "diff_host32: signal %d at eip %#x inside "
                         "the snippet, in diff_host32 (record %u)\n",
                         sig, eip, current);
        write(2, msg, n);
        _exit(100 + sig);
    }
    fault_vector = g[REG_TRAPNO];
    fault_error = g[REG_ERR];
    static const int map[8] = { REG_EAX, REG_ECX, REG_EDX, REG_EBX,
                                REG_ESP, REG_EBP, REG_ESI, REG_EDI };
    for (int i = 0; i < 8; i++)
        diff_out_state.gpr[i] = g[map[i]];
    diff_out_state.eflags = g[REG_EFL];
    diff_out_state.eip = eip;
    /* Resume in diff_fault_return with our saved stack. */
    g[REG_EIP] = (greg_t)(uintptr_t)diff_fault_return;
    g[REG_ESP] = diff_host_esp;
    g[REG_EFL] &= ~(0x400 | 0x100); /* DF, TF */
}

static void die(const char *what)
{
    perror(what);
    exit(2);
}

int main(void)
{
    static uint8_t pristine[DIFF_DATA_SIZE];
    static uint8_t altstack[65536];
    static struct diff_in in;

    uint8_t *data = mmap((void *)DIFF_DATA_ADDR, DIFF_DATA_SIZE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    uint8_t *code = mmap((void *)DIFF_CODE_ADDR, DIFF_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (data != (void *)DIFF_DATA_ADDR || code != (void *)DIFF_CODE_ADDR)
        die("diff_host32: mmap at the fixed snippet addresses");

    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    if (sigaltstack(&ss, NULL))
        die("sigaltstack");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    int sigs[] = { SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL))
            die("sigaction");

    struct diff_batch b;
    if (fread(&b, sizeof b, 1, stdin) != 1 || b.magic != DIFF_MAGIC) {
        fprintf(stderr, "diff_host32: bad batch header on stdin\n");
        return 2;
    }
    diff_fill_data(pristine, b.data_seed);
    memcpy(data, pristine, DIFF_DATA_SIZE);
    *(uint32_t *)DIFF_EXIT_PTR = (uint32_t)(uintptr_t)diff_exit;
    alarm(60); /* a snippet that never ends is a generator bug */

    for (uint32_t n = 0; n < b.count; n++) {
        if (fread(&in, sizeof in, 1, stdin) != 1 || in.len > DIFF_CODE_MAX) {
            fprintf(stderr, "diff_host32: short or bad record %u\n", n);
            return 2;
        }
        memcpy(code, in.code, in.len);
        /* jmp dword [DIFF_EXIT_PTR]: changes no register and no flag. */
        code[in.len] = 0xff;
        code[in.len + 1] = 0x25;
        uint32_t p = DIFF_EXIT_PTR;
        memcpy(code + in.len + 2, &p, 4);

        current = n;
        diff_in_state = in.st;
        fault_vector = -1;
        fault_error = 0;
        diff_enter();

        struct diff_out out = { .vector = fault_vector,
                                .error_code = fault_error,
                                .st = diff_out_state };
        if (out.vector < 0)
            out.st.eip = DIFF_CODE_ADDR + in.len;
        static struct diff_block blk[DIFF_NBLOCKS];
        for (uint32_t i = 0; i < DIFF_NBLOCKS; i++) {
            uint32_t off = i * DIFF_BLOCK;
            if (memcmp(data + off, pristine + off, DIFF_BLOCK)) {
                blk[out.ndirty].index = i;
                memcpy(blk[out.ndirty].bytes, data + off, DIFF_BLOCK);
                memcpy(data + off, pristine + off, DIFF_BLOCK);
                out.ndirty++;
            }
        }
        fwrite(&out, sizeof out, 1, stdout);
        fwrite(blk, sizeof blk[0], out.ndirty, stdout);
    }
    if (fflush(stdout))
        die("diff_host32: write");
    return 0;
}
