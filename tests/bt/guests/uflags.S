/* uflags.S — a guest that reads flags the SDM leaves undefined, for
 * `--check interp` (tests/bt/bt.sh).  Translated code computes them on
 * the host CPU, the reference interpreter its own way; both are right,
 * and whatever they are, the values reach general registers here (EBX
 * sums them), so the checker must hand the reference bt's values before
 * each read (01-binary-translation/check.h).  Reads as data (PUSHF, LAHF,
 * DAA, ADC, SALC), as conditions (Jcc, SETcc), and through an exception
 * frame (#UD, INT n) after XOR, shifts by 2 and by the width, MUL, DIV,
 * BSF, BT and AAM.  Ends with status 0; the sum is not checked (it may
 * differ between CPUs).
 */
#include "../../fuzz/guests/guest.inc"

/* Set all six flags first (0xff + 1 + ...): an AMD CPU keeps AF through a
 * logic op where the interpreter clears it, so the two states differ. */
.macro SETALL
    mov $0x7f, %esi
    add $0x81, %esi                 /* CF ZF AF PF (0x100) */
    mov $0x7fffffff, %esi
    add $1, %esi                    /* OF SF AF PF */
    stc
.endm

    MULTIBOOT_HEADER
    .text
    .globl _start
_start:
    mov $stack_top, %esp
    SETUP_IDT handler
    xor %ebx, %ebx
    mov $50, %ebp                   /* repeat: translated, then cached */
loop:
    mov $1, %edi
    SETALL
    xor %edi, %edi                  /* AF undefined ... */
    pushf                           /* ... pushed */
    pop %eax
    add %eax, %ebx
    SETALL
    or $0x35, %edi                  /* AF undefined ... */
    lahf                            /* ... into AH */
    add %eax, %ebx
    SETALL
    xor %eax, %eax
    daa                             /* reads AF */
    add %eax, %ebx
    mov $0x81, %eax
    SETALL
    shl $2, %eax                    /* OF AF undefined */
    seto %cl
    add %ecx, %ebx
    SETALL
    shl $2, %eax
    lahf                            /* AF: 1 on AMD, 0 here */
    add %eax, %ebx
    shl $2, %eax
    jno 1f
    inc %ebx
1:  mov $0xff, %al
    mov $8, %cl
    SETALL
    shl %cl, %al                    /* CF undefined: count >= width */
    adc $0, %ebx
    mov $0x12345, %eax
    mov $0x777, %edx
    SETALL
    mul %edx                        /* SF ZF AF PF undefined */
    sets %cl
    add %ecx, %ebx
    setp %cl
    add %ecx, %ebx
    SETALL
    mul %edx
    lahf
    add %eax, %ebx
    pushf
    pop %eax
    add %eax, %ebx
    mov $1000, %eax
    xor %edx, %edx
    mov $7, %ecx
    SETALL
    div %ecx                        /* all six undefined */
    pushf
    pop %eax
    add %eax, %ebx
    mov $0x10, %eax
    SETALL
    bsf %eax, %ecx                  /* CF OF SF AF PF undefined */
    .byte 0xd6                      /* SALC: AL from CF */
    add %eax, %ebx
    SETALL
    bt $4, %eax                     /* OF SF AF PF undefined */
    jp 2f
    add $3, %ebx
2:  mov $77, %eax
    SETALL
    aam                             /* OF AF CF undefined */
    adc %eax, %ebx
    SETALL
    shl $2, %eax                    /* AF undefined, then an exception frame */
    ud2
    SETALL
    mul %edx                        /* SF ZF AF PF, and a software interrupt's frame */
    int $0x30
    dec %ebp
    jnz loop
    EXIT 0

/* Every vector: add the pushed EFLAGS to EBX; skip a UD2. */
handler:
    add 8(%esp), %ebx
    push %eax
    mov 4(%esp), %eax
    cmpw $0x0b0f, (%eax)
    jne 3f
    addl $2, 4(%esp)
3:  pop %eax
    iret

    IDT_DATA
    STACK
