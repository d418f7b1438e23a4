/*
 * edge.c — a fixed table of snippets at the corners of the SDM: division
 * faults, shift and rotate counts of 0, 1, the width and beyond, BCD
 * adjust, BSF on zero, string instructions with ECX = 0 and DF = 1,
 * PUSH ESP / POP [ESP], and the exceptions ring-3 code can raise.
 *
 * P is a pointer into the data area (both sides fill it with the same
 * values).  Every case runs on the real CPU and on the interpreter; the
 * table holds no expected results, the host CPU is the oracle.
 */
#include <stdlib.h>
#include <string.h>
#include "gen.h"
#include "x86/cpu.h"

#define P  0x10005000u
#define PB "00 50 00 10"          /* P as imm32/disp32 bytes */
#define P4 "04 50 00 10"
#define ALLF (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
/* eax ecx edx ebx (esp = default) ebp esi edi */
#define R(a, c, d, b, bp, si, di) { a, c, d, b, 0, bp, si, di }
#define R0 R(0x12345678, 0x9abcdef0, 0x0f0f0f0f, 0x80000000, P, P + 0x100, P + 0x200)

const struct edge_case edge_cases[] = {
    /* Division (SDM "DIV", "IDIV": #DE on zero divisor or quotient overflow). */
    { "div by zero",                    "f7 f1",       R(1, 0, 0, 0, 0, 0, 0), 0 },
    { "div quotient overflow",          "f7 f1",       R(0, 1, 2, 0, 0, 0, 0), 0 },
    { "div 64/32 max quotient",         "f7 f1",       R(0xffffffff, 0xffffffff, 0xfffffffe, 0, 0, 0, 0), 0 },
    { "idiv INT_MIN / -1",              "99 f7 f9",    R(0x80000000, 0xffffffff, 0, 0, 0, 0, 0), 0 },
    { "idiv8 -128 / -1",                "66 98 f6 f9", R(0x80, 0xff, 0, 0, 0, 0, 0), 0 },
    { "idiv8 -128 / 1",                 "66 98 f6 f9", R(0x80, 0x01, 0, 0, 0, 0, 0), 0 },
    { "idiv16 negative dividend",       "66 99 66 f7 f9", R(0xfffff000, 7, 0, 0, 0, 0, 0), 0 },
    { "idiv remainder sign",            "99 f7 f9",    R(0xfffffff9, 2, 0, 0, 0, 0, 0), 0 },
    { "div8 0xfeff / 0xff",             "f6 f1",       R(0xfeff, 0xff, 0, 0, 0, 0, 0), 0 },
    { "div8 0xff00 / 0xff overflow",    "f6 f1",       R(0xff00, 0xff, 0, 0, 0, 0, 0), 0 },
    /* BCD (SDM "DAA" "DAS" "AAA" "AAS" "AAM" "AAD"). */
    { "aam 0 -> #DE",                   "d4 00",       R0, 0 },
    { "aam 10",                         "d4 0a",       R(0x63, 0, 0, 0, 0, 0, 0), 0 },
    { "aam 0xff",                       "d4 ff",       R(0xfe, 0, 0, 0, 0, 0, 0), 0 },
    { "aad 10",                         "d5 0a",       R(0x0909, 0, 0, 0, 0, 0, 0), 0 },
    { "aad 0x10 with carry out of AL",  "d5 10",       R(0xffff, 0, 0, 0, 0, 0, 0), 0 },
    { "add 0x99 + daa",                 "04 99 27",    R(0x99, 0, 0, 0, 0, 0, 0), 0 },
    { "daa with AF and CF in",          "27",          R(0x9a, 0, 0, 0, 0, 0, 0), FL_AF | FL_CF },
    { "sub + das",                      "2c 01 2f",    R(0x10, 0, 0, 0, 0, 0, 0), 0 },
    { "das 0x00 with CF",               "2f",          R(0x00, 0, 0, 0, 0, 0, 0), FL_CF | FL_AF },
    { "add + aaa",                      "04 08 37",    R(0x09, 0, 0, 0, 0, 0, 0), 0 },
    { "aaa AL=0xfa (AH+1, AL&0xf)",     "37",          R(0x01fa, 0, 0, 0, 0, 0, 0), 0 },
    { "sub + aas",                      "2c 09 3f",    R(0x100, 0, 0, 0, 0, 0, 0), 0 },
    /* Shifts and rotates (SDM "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR"). */
    { "shl by CL=0 keeps flags",        "d3 e0",       R(1, 0, 0, 0, 0, 0, 0), ALLF },
    { "shl by 32 masks to 0",           "c1 e0 20",    R(1, 0, 0, 0, 0, 0, 0), ALLF },
    { "shl 8-bit by 9",                 "c0 e0 09",    R(0xff, 0, 0, 0, 0, 0, 0), 0 },
    { "shl by 1 sets OF",               "d1 e0",       R(0x40000000, 0, 0, 0, 0, 0, 0), 0 },
    { "shr by 1 OF = old MSB",          "d1 e8",       R(0x80000000, 0, 0, 0, 0, 0, 0), 0 },
    { "sar by 31",                      "c1 f8 1f",    R(0x80000000, 0, 0, 0, 0, 0, 0), 0 },
    { "sar 8-bit by 8",                 "c0 f8 08",    R(0x80, 0, 0, 0, 0, 0, 0), 0 },
    { "shr 16-bit by 16",               "66 c1 e8 10", R(0x8001, 0, 0, 0, 0, 0, 0), 0 },
    { "rcl 8-bit by 9 (mod 9 = 0)",     "c0 d0 09",    R(0x81, 0, 0, 0, 0, 0, 0), FL_CF },
    { "rcl 8-bit by 10",                "c0 d0 0a",    R(0x81, 0, 0, 0, 0, 0, 0), FL_CF },
    { "rcr 16-bit by 17",               "66 c1 d8 11", R(0x8001, 0, 0, 0, 0, 0, 0), FL_CF },
    { "rcr 32-bit by 1 with CF",        "d1 d8",       R(0x1, 0, 0, 0, 0, 0, 0), FL_CF },
    { "rol by 1 sets OF",               "d1 c0",       R(0x40000000, 0, 0, 0, 0, 0, 0), 0 },
    { "rol 8-bit by 8 sets CF",         "c0 c0 08",    R(0x81, 0, 0, 0, 0, 0, 0), 0 },
    { "ror 16-bit by CL=16",            "66 d3 c8",    R(0x8001, 16, 0, 0, 0, 0, 0), 0 },
    { "shld by 31",                     "0f a4 d0 1f", R(0x12345678, 0, 0x9abcdef0, 0, 0, 0, 0), 0 },
    { "shrd by CL=1",                   "0f ad d0",    R(0x12345678, 1, 0x9abcdef1, 0, 0, 0, 0), 0 },
    { "shld by CL=0 keeps flags",       "0f a5 d0",    R(0x12345678, 0x20, 0x9abcdef0, 0, 0, 0, 0), ALLF },
    { "shld 16-bit by 16",              "66 0f a4 d0 10", R(0x1234, 0, 0xabcd, 0, 0, 0, 0), 0 },
    /* Bit operations (SDM "BSF" "BSR" "BT"). */
    { "bsf with zero source",           "0f bc c1",    R(0x12345678, 0, 0, 0, 0, 0, 0), 0 },
    { "bsr with zero source",           "0f bd c1",    R(0x12345678, 0, 0, 0, 0, 0, 0), ALLF },
    { "bsr top bit",                    "0f bd c1",    R(0, 0x80000000, 0, 0, 0, 0, 0), 0 },
    { "bsf 16-bit",                     "66 0f bc c1", R(0x12345678, 0x8000, 0, 0, 0, 0, 0), 0 },
    { "bt reg offset 37 = bit 5",       "0f a3 c8",    R(0x20, 37, 0, 0, 0, 0, 0), 0 },
    { "bts memory, negative offset",    "bb " PB " b9 f7 ff ff ff 0f ab 0b", R0, 0 },
    { "btc memory, offset 100",         "bb " PB " b9 64 00 00 00 0f bb 0b", R0, 0 },
    { "btr imm 33 on register (mod 32)", "0f ba f0 21", R(0xffffffff, 0, 0, 0, 0, 0, 0), 0 },
    { "bswap",                          "0f c8",       R(0x12345678, 0, 0, 0, 0, 0, 0), 0 },
    /* Exchange and compare (SDM "CMPXCHG" "XADD" "XCHG"). */
    { "cmpxchg equal",                  "0f b1 d1",    R(5, 5, 9, 0, 0, 0, 0), 0 },
    { "cmpxchg not equal",              "0f b1 d1",    R(4, 5, 9, 0, 0, 0, 0), 0 },
    { "cmpxchg8 memory not equal",      "0f b0 0d " PB, R(4, 5, 9, 0, 0, 0, 0), 0 },
    { "lock cmpxchg memory",            "f0 0f b1 0d " PB, R(4, 5, 9, 0, 0, 0, 0), 0 },
    { "xadd same register",             "0f c1 c0",    R(0x80000000, 0, 0, 0, 0, 0, 0), 0 },
    { "xadd memory",                    "0f c1 05 " PB, R(0x7fffffff, 0, 0, 0, 0, 0, 0), 0 },
    { "xchg memory",                    "87 05 " PB,   R(0x11223344, 0, 0, 0, 0, 0, 0), 0 },
    { "xchg ax, ax is a nop",           "66 90",       R0, ALLF },
    /* Stack (SDM "PUSH": pushes the value ESP had before; "POP"). */
    { "push esp pushes the old ESP",    "54",          R0, 0 },
    { "push sp (16-bit)",               "66 54",       R0, 0 },
    { "pop [esp] addresses after pop",  "8f 04 24",    R0, 0 },
    { "pop [esp+4]",                    "8f 44 24 04", R0, 0 },
    { "push dword [esp]",               "ff 34 24",    R0, 0 },
    { "pop esp",                        "5c",          R0, 0 },
    { "push imm8 sign-extended",        "6a 80",       R0, 0 },
    { "push word imm",                  "66 6a ff",    R0, 0 },
    { "pushad, popad",                  "60 61",       R0, 0 },
    { "pushad, change, popad",          "60 31 c0 f7 d3 61", R0, 0 },
    { "pushfd after flag ops",          "f9 fd 9c",    R0, FL_ZF },
    { "enter 8, 0",                     "c8 08 00 00", R0, 0 },
    { "enter 8, 1",                     "c8 08 00 01", R0, 0 },
    { "enter 0, 2 (reads the old frame)", "c8 00 00 02", R0, 0 },
    { "leave",                          "c9",          R0, 0 },
    { "call pushes the return address", "e8 00 00 00 00", R0, 0 },
    /* String instructions (SDM "MOVS" "REP" "CMPS" "SCAS"). */
    { "rep movsb with ECX=0",           "f3 a4",       R(0, 0, 0, 0, P, P, P + 0x100), ALLF },
    { "rep movsd, overlapping forward", "f3 a5",       R(0, 8, 0, 0, P, P, P + 4), 0 },
    { "std; rep movsb backwards",       "fd f3 a4",    R(0, 9, 0, 0, P, P + 0x40, P + 0x44), 0 },
    { "std; rep stosd",                 "fd f3 ab",    R(0xdeadbeef, 5, 0, 0, P, P, P + 0x100), 0 },
    { "rep stosw",                      "f3 66 ab",    R(0xdeadbeef, 5, 0, 0, P, P, P + 0x101), 0 },
    { "repe cmpsb",                     "f3 a6",       R(0, 20, 0, 0, P, P, P + 0x40), 0 },
    { "repe cmpsb on equal memory",     "f3 a6",       R(0, 20, 0, 0, P, P, P), 0 },
    { "repne scasb",                    "f2 ae",       R(0x80, 50, 0, 0, P, P, P), 0 },
    { "repne scasd with ECX=0 keeps flags", "f2 af",   R(0x80, 0, 0, 0, P, P, P), ALLF },
    { "lodsw; stosw",                   "66 ad 66 ab", R(0, 0, 0, 0, P, P + 0x10, P + 0x80), 0 },
    { "std; lodsd",                     "fd ad",       R(0, 0, 0, 0, P, P + 0x10, P + 0x80), 0 },
    { "movsb, cmpsb, scasb",            "a4 a6 ae",    R(0, 0, 0, 0, P, P + 0x10, P + 0x80), 0 },
    /* Exceptions ring-3 code can raise (SDM Vol. 3A ch. 6). */
    { "int3 -> #BP, EIP after",         "40 cc 40",    R0, 0 },
    { "into with OF=1 -> #OF",          "ce",          R0, FL_OF },
    { "into with OF=0 runs on",         "ce 40",       R0, 0 },
    { "ud2 -> #UD",                     "40 0f 0b",    R0, 0 },
    { "cli at CPL 3 -> #GP(0)",         "fa",          R0, 0 },
    { "sti at CPL 3 -> #GP(0)",         "fb",          R0, 0 },
    { "hlt at CPL 3 -> #GP(0)",         "f4",          R0, 0 },
    { "in al, dx at CPL 3 -> #GP(0)",   "ec",          R0, 0 },
    { "out 0x80, al at CPL 3 -> #GP(0)", "e6 80",      R0, 0 },
    { "int 0x41 through a DPL 0 gate -> #GP", "cd 41", R0, 0 },
    { "lock add reg, reg -> #UD",       "f0 01 c0",    R0, 0 },
    { "mov eax, cr0 at CPL 3 -> #GP(0)", "0f 20 c0",   R0, 0 },
    { "bound in range",                 "c7 05 " PB " 00 00 00 00 c7 05 " P4 " 0a 00 00 00 62 05 " PB,
                                        R(5, 0, 0, 0, 0, 0, 0), 0 },
    { "bound above range -> #BR",       "c7 05 " PB " 00 00 00 00 c7 05 " P4 " 0a 00 00 00 62 05 " PB,
                                        R(11, 0, 0, 0, 0, 0, 0), 0 },
    /* Arithmetic corners. */
    { "neg INT_MIN",                    "f7 d8",       R(0x80000000, 0, 0, 0, 0, 0, 0), 0 },
    { "neg 0 clears CF",                "f7 d8",       R(0, 0, 0, 0, 0, 0, 0), FL_CF },
    { "inc INT_MAX keeps CF",           "40",          R(0x7fffffff, 0, 0, 0, 0, 0, 0), FL_CF },
    { "dec INT_MIN",                    "48",          R(0x80000000, 0, 0, 0, 0, 0, 0), 0 },
    { "adc carry in and out",           "11 d8",       R(0xffffffff, 0, 0, 0, 0, 0, 0), FL_CF },
    { "sbb 8-bit borrow",               "18 d8",       R(0, 0, 0, 0, 0, 0, 0), FL_CF },
    { "sbb 0x80 - 0 - 1 overflows",     "1c 00",       R(0x80, 0, 0, 0, 0, 0, 0), FL_CF },
    { "add 16-bit keeps the upper half", "66 05 01 00", R(0x1ffff, 0, 0, 0, 0, 0, 0), 0 },
    { "or sets PF from the low byte",   "0d 00 03 00 00", R(0, 0, 0, 0, 0, 0, 0), 0 },
    { "not leaves flags",               "f7 d0",       R(0, 0, 0, 0, 0, 0, 0), ALLF },
    { "imul 32 overflow",               "0f af c1",    R(0x10000, 0x10000, 0, 0, 0, 0, 0), 0 },
    { "imul 3-operand by -1",           "6b c1 ff",    R(0, 0x80000000, 0, 0, 0, 0, 0), 0 },
    { "imul 8-bit signed",              "f6 e9",       R(0x80, 0xff, 0, 0, 0, 0, 0), 0 },
    { "mul 8-bit 0xff * 0xff",          "f6 e1",       R(0xff, 0xff, 0, 0, 0, 0, 0), 0 },
    { "mul 32 high half",               "f7 e1",       R(0xffffffff, 0xffffffff, 5, 0, 0, 0, 0), 0 },
    { "cmp INT_MIN, 1 sets OF",         "3d 01 00 00 00", R(0x80000000, 0, 0, 0, 0, 0, 0), 0 },
    /* Flags to registers and back. */
    { "sahf, lahf",                     "b4 d5 9e 9f", R0, 0 },
    { "lahf with all flags",            "9f",          R0, ALLF },
    { "setcc after cmp",                "39 c8 0f 90 c0 0f 92 c4 0f 94 c3 0f 96 c7 0f 98 c2 0f 9a c6 0f 9c c1 0f 9e c5",
                                        R(0x80000000, 1, 0, 0, 0, 0, 0), 0 },
    { "cmovcc false keeps the destination", "0f 44 c1", R(0x12345678, 0x9abcdef0, 0, 0, 0, 0, 0), 0 },
    { "cmov 16-bit true",               "66 0f 45 c1", R(0x12345678, 0x9abcdef0, 0, 0, 0, 0, 0), 0 },
    { "cmc, clc, stc",                  "f5 f8 f9 f5", R0, 0 },
    /* Moves and conversions. */
    { "movsx byte 0x80",                "0f be c1",    R(0, 0x80, 0, 0, 0, 0, 0), 0 },
    { "movzx byte to 16-bit dest",      "66 0f b6 c1", R(0xffffffff, 0x80, 0, 0, 0, 0, 0), 0 },
    { "cbw cwde cwd cdq",               "66 98 98 66 99 99", R(0x8080, 0, 0, 0, 0, 0, 0), 0 },
    { "xlat",                           "d7",          R(0x123456ff, 0, 0, P, 0, 0, 0), 0 },
    { "lea [esp+ecx*4+0x10]",           "8d 44 8c 10", R(0, 3, 0, 0, 0, 0, 0), 0 },
    { "lea 16-bit truncates",           "66 8d 04 0b", R(0, 0x1ffff, 0, 0xffff0002, 0, 0, 0), 0 },
    { "read through CS (execute/read code segment)", "2e 8b 05 " PB, R0, 0 },
    { "write through CS -> #GP(0)",     "2e 89 05 " PB, R0, 0 },
    { "setcc through CS -> #GP(0)",     "2e 0f 94 05 " PB, R0, FL_ZF },
    { "sets through CS -> #GP(0)",      "2e 0f 98 05 " PB, R0, 0 },
    { "cmpxchg through CS -> #GP(0)",   "2e 0f b1 0d " PB, R(4, 5, 9, 0, 0, 0, 0), 0 },
    { "test m32, imm through CS (a read)", "2e f7 05 " PB " 01 00 00 00", R0, 0 },
    { "test m32, r32 through CS (a read)", "2e 85 05 " PB, R0, 0 },
    { "ES/SS/DS overrides (flat)",      "26 8b 05 " PB " 36 01 05 " P4 " 3e 8a 25 " PB, R0, 0 },
    { "movsb with CS source override",  "2e a4",       R(0, 0, 0, 0, P, P, P + 0x100), 0 },
    { "mov moffs",                      "a1 " PB " a2 " P4, R0, 0 },
    /* Control flow. */
    { "jecxz taken",                    "e3 01 40",    R(0, 0, 0, 0, 0, 0, 0), 0 },
    { "jecxz not taken",                "e3 01 40",    R(0, 1, 0, 0, 0, 0, 0), 0 },
    { "loop taken",                     "b9 03 00 00 00 e2 02 40 40", R0, 0 },
    { "loop ECX=1 not taken",           "b9 01 00 00 00 e2 01 40", R0, 0 },
    { "loope with ZF=0",                "e1 01 40",    R(0, 5, 0, 0, 0, 0, 0), 0 },
    { "jcc rel32",                      "0f 84 01 00 00 00 40", R0, FL_ZF },
};
const int n_edge_cases = sizeof edge_cases / sizeof edge_cases[0];

bool edge_snippet(int i, struct diff_in *out)
{
    const struct edge_case *e = &edge_cases[i];
    memset(out, 0, sizeof *out);
    const char *s = e->hex;
    while (*s) {
        if (*s == ' ') {
            s++;
            continue;
        }
        char *end;
        unsigned long v = strtoul(s, &end, 16);
        if (end != s + 2 || v > 0xff || out->len >= DIFF_CODE_MAX)
            return false;
        out->code[out->len++] = v;
        s = end;
    }
    memcpy(out->st.gpr, e->gpr, sizeof out->st.gpr);
    if (!out->st.gpr[R_ESP])
        out->st.gpr[R_ESP] = DIFF_STACK_TOP;
    out->st.eflags = FL_FIXED1 | FL_IF | e->eflags;
    return true;
}
