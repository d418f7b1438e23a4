/*
 * x86_snippets.S — 32-bit guest code for the interpreter's unit tests.
 * Assembled by the host assembler in .code32 mode into read-only data; a
 * test copies snip_NAME .. snip_NAME_end into guest RAM and runs it.
 * Ring-0 snippets end with HLT, ring-3 ones with INT $0x80.
 */
#define S(name) .globl snip_##name; snip_##name:
#define E(name) .globl snip_##name##_end; snip_##name##_end:

    .section .rodata
    .code32

/* ---- ALU: eax = eax OP ebx ------------------------------------------- */
S(add)  add %ebx, %eax; hlt;  E(add)
S(adc)  adc %ebx, %eax; hlt;  E(adc)
S(sub)  sub %ebx, %eax; hlt;  E(sub)
S(sbb)  sbb %ebx, %eax; hlt;  E(sbb)
S(and)  and %ebx, %eax; hlt;  E(and)
S(or)   or  %ebx, %eax; hlt;  E(or)
S(xor)  xor %ebx, %eax; hlt;  E(xor)
S(cmp)  cmp %ebx, %eax; hlt;  E(cmp)
S(neg)  neg %eax; hlt;        E(neg)
S(inc)  inc %eax; hlt;        E(inc)
S(dec)  dec %eax; hlt;        E(dec)
S(add8) add %bl, %al; hlt;    E(add8)
S(sub16) sub %bx, %ax; hlt;   E(sub16)
S(addm) add %ebx, (%edi); hlt; E(addm)
S(test_ah) test %ah, %bh; hlt; E(test_ah)

/* ---- shifts and rotates by CL ------------------------------------------ */
S(shl)  shl %cl, %eax; hlt;   E(shl)
S(shr)  shr %cl, %eax; hlt;   E(shr)
S(sar)  sar %cl, %eax; hlt;   E(sar)
S(rol)  rol %cl, %eax; hlt;   E(rol)
S(ror)  ror %cl, %eax; hlt;   E(ror)
S(rcl)  rcl %cl, %eax; hlt;   E(rcl)
S(rcr)  rcr %cl, %eax; hlt;   E(rcr)
S(shl8) shl %cl, %al; hlt;    E(shl8)
S(rcr16) rcr %cl, %ax; hlt;   E(rcr16)
S(shld) shld %cl, %ebx, %eax; hlt; E(shld)
S(shrd) shrd %cl, %ebx, %eax; hlt; E(shrd)

/* ---- multiply and divide ------------------------------------------------ */
S(mul)   mul %ebx; hlt;            E(mul)
S(imul1) imul %ebx; hlt;           E(imul1)
S(imul2) imul %ebx, %eax; hlt;     E(imul2)
S(imul3) imul $-3, %ebx, %eax; hlt; E(imul3)
S(div)   div %ebx; hlt;            E(div)
S(idiv)  idiv %ebx; hlt;           E(idiv)
S(div8)  div %bl; hlt;             E(div8)

/* ---- bit operations ------------------------------------------------------- */
S(bt)     bt  %ebx, %eax; hlt;     E(bt)
S(btsm)   bts %ebx, (%edi); hlt;   E(btsm)
S(btr5)   btr $5, %eax; hlt;       E(btr5)
S(btc)    btc %ebx, %eax; hlt;     E(btc)
S(bsf)    bsf %ebx, %eax; hlt;     E(bsf)
S(bsr)    bsr %ebx, %eax; hlt;     E(bsr)

/* ---- conditions: cmp eax, ebx, then SETcc 0..15 into [edi] ------------- */
S(setcc)
    cmp %ebx, %eax
    seto 0(%edi);  setno 1(%edi); setb 2(%edi);  setae 3(%edi)
    sete 4(%edi);  setne 5(%edi); setbe 6(%edi); seta 7(%edi)
    sets 8(%edi);  setns 9(%edi); setp 10(%edi); setnp 11(%edi)
    setl 12(%edi); setge 13(%edi); setle 14(%edi); setg 15(%edi)
    hlt
E(setcc)
S(cmov) cmp %ebx, %eax; mov $0, %ecx; mov $1, %edx; cmovl %edx, %ecx; cmovae %edx, %esi; hlt; E(cmov)

/* ---- exchanges, conversions ------------------------------------------------ */
S(xadd)    xadd %ebx, (%edi); hlt;      E(xadd)
S(cmpxchg) cmpxchg %ebx, (%edi); hlt;   E(cmpxchg)
S(cdq)     cwde; cdq; hlt;              E(cdq)
S(bswap)   bswap %eax; hlt;             E(bswap)
S(daa)     add %bl, %al; daa; hlt;      E(daa)
S(lahf)    lahf; hlt;                   E(lahf)

/* ---- strings ---------------------------------------------------------------- */
S(rep_movsb)   rep movsb; hlt;    E(rep_movsb)
S(rep_movsd)   rep movsl; hlt;    E(rep_movsd)
S(rep_stosd)   rep stosl; hlt;    E(rep_stosd)
S(repe_cmpsb)  repe cmpsb; hlt;   E(repe_cmpsb)
S(repne_scasb) repne scasb; hlt;  E(repne_scasb)
S(lodsb)       lodsb; lodsb; hlt; E(lodsb)

/* ---- stack and branches ------------------------------------------------------ */
S(stack)  push %eax; push $0x1234; pushf; pop %ecx; pop %edx; pop %ebx; hlt; E(stack)
S(pusha)  pusha; xor %eax, %eax; xor %ebp, %ebp; mov $7, %esi; popa; hlt; E(pusha)
S(enter)  enter $16, $0; mov %esp, %eax; mov %ebp, %ebx; leave; hlt; E(enter)
S(call)   call 1f; add $1, %eax; hlt; 1: mov $5, %eax; ret; E(call)
S(retimm) push $1; push $2; call 1f; hlt; 1: ret $8; E(retimm)
S(loop)   mov $10, %ecx; xor %eax, %eax; 1: add $2, %eax; loop 1b; hlt; E(loop)
S(jecxz)  xor %ecx, %ecx; mov $1, %eax; jecxz 1f; mov $2, %eax; 1: hlt; E(jecxz)
S(jl)     cmp %ebx, %eax; jl 1f; mov $0, %ecx; hlt; 1: mov $1, %ecx; hlt; E(jl)
S(callind) call *%esi; hlt; E(callind)
S(ret5)   mov $5, %eax; ret; E(ret5)

/* ---- exceptions, privilege ---------------------------------------------------- */
S(ud2)      ud2;                          E(ud2)
S(div0)     xor %ebx, %ebx; div %ebx;     E(div0)
S(int3)     int3; hlt;                    E(int3)
S(u_cli)    cli; int $0x80;               E(u_cli)
S(u_int30)  int $0x30;                    E(u_int30)
S(u_popf)   pushf; pop %eax; and $~0x200, %eax; push %eax; popf; pushf; pop %ebx; int $0x80; E(u_popf)
S(u_movcr)  mov %cr0, %eax;               E(u_movcr)
S(u_loadds) mov $0x10, %eax; mov %eax, %ds; int $0x80; E(u_loadds)
S(u_in)     in $0x60, %al;                E(u_in)
S(u_read)   mov (%esi), %eax; int $0x80;  E(u_read)
S(u_write)  movl $1, (%esi); int $0x80;   E(u_write)
S(rd)       mov (%esi), %eax; hlt;        E(rd)
S(wr)       movl $0x77, (%esi); hlt;      E(wr)
S(nops)     nop; nop; hlt;                E(nops)
S(sti_shadow) sti; mov $1, %eax; mov $2, %ebx; hlt; E(sti_shadow)
S(io)       in $0x60, %al; out %al, $0x61; hlt; E(io)
S(straight) mov $1, %eax; mov $2, %ebx; mov $3, %ecx; mov $4, %edx; hlt; E(straight)
S(cpuid0)   xor %eax, %eax; cpuid; hlt;   E(cpuid0)
S(rdmsr_bad) mov $0x1234, %ecx; rdmsr; hlt; E(rdmsr_bad)
S(sysenter_msr) mov $0x174, %ecx; mov $0x8, %eax; xor %edx, %edx; wrmsr; xor %eax, %eax; rdmsr; hlt; E(sysenter_msr)
S(rdtsc2)   rdtsc; mov %eax, %esi; mov %edx, %edi; rdtsc; hlt; E(rdtsc2)
S(mov_cr3)  mov %eax, %cr3; hlt;          E(mov_cr3)
S(invlpg)   invlpg (%esi); hlt;           E(invlpg)

/* ---- decoder ------------------------------------------------------------------------ */
S(smc)      call 0f; 0: pop %ebx; movb $0x42, (1f - 0b + 1)(%ebx); 1: mov $0x11, %eax; hlt; E(smc)
S(movimm)   mov $0x11111111, %eax; hlt;   E(movimm)
S(o16)      add $1, %ax; hlt;             E(o16)
S(a16)      addr16 lea 2(%bx,%si), %eax; hlt; E(a16)
S(fsread)   mov %fs:0x10, %eax; hlt;      E(fsread)
S(lockreg)  .byte 0xf0; add %ebx, %eax; hlt; E(lockreg)
S(lockmem)  lock addl $1, (%edi); hlt;    E(lockmem)
S(badop)    .byte 0x0f, 0x38, 0xff;       E(badop)
S(loopsum)  mov $100, %ecx; xor %eax, %eax; 1: add %ecx, %eax; dec %ecx; jnz 1b; hlt; E(loopsum)

    .section .note.GNU-stack, "", @progbits
