/*
 * ustart.S — first ring-3 instructions of a built-in program's task.
 * The kernel enters here with EAX = entry function, EBX = its argument and
 * ESP = USER_STACK_TOP (demand-zero stack): call entry(arg), then exit with
 * its return value.
 */
        .text
        .globl u_task_start
u_task_start:
        push    %ebx
        call    *%eax
        push    %eax
        call    u_exit
1:      jmp     1b
