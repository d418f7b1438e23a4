/*
 * bytecode.c — a switch-driven bytecode interpreter, the shape of every
 * scripting-language VM: one dense `switch` on the opcode, which the
 * compiler turns into a jump table (one indirect jump per bytecode whose
 * target changes with the program).  The bytecode counts the primes below
 * LIMIT by trial division and sums the Collatz steps of 1..COLLATZ.
 */
#include "wl.h"

#define LIMIT   1200
#define COLLATZ 150

enum op {
    HALT,
    PUSH,
    LOAD,
    STORE,
    ADD,
    SUB,
    MUL,
    DIV,
    MOD,
    LT,
    EQ,
    JZ,
    JMP,
    DUP,
    DROP,
    INC,
    AND,
    SHR
};

struct vm {
    int32_t code[256];
    int n;
    int32_t var[8];
    uint32_t steps;
};

static void emit(struct vm *m, int32_t op, int32_t arg)
{
    m->code[m->n++] = op;
    if (op == PUSH || op == LOAD || op == STORE || op == JZ || op == JMP || op == INC)
        m->code[m->n++] = arg;
}

static int32_t run(struct vm *m)
{
    int32_t st[32], sp = 0, pc = 0, a, b;
    for (;;) {
        m->steps++;
        switch ((enum op)m->code[pc++]) {
        case HALT: return sp ? st[sp - 1] : 0;
        case PUSH: st[sp++] = m->code[pc++]; break;
        case LOAD: st[sp++] = m->var[m->code[pc++]]; break;
        case STORE: m->var[m->code[pc++]] = st[--sp]; break;
        case ADD: b = st[--sp], a = st[--sp], st[sp++] = a + b; break;
        case SUB: b = st[--sp], a = st[--sp], st[sp++] = a - b; break;
        case MUL: b = st[--sp], a = st[--sp], st[sp++] = a * b; break;
        case DIV: b = st[--sp], a = st[--sp], st[sp++] = b ? a / b : 0; break;
        case MOD: b = st[--sp], a = st[--sp], st[sp++] = b ? a % b : 0; break;
        case LT: b = st[--sp], a = st[--sp], st[sp++] = a < b; break;
        case EQ: b = st[--sp], a = st[--sp], st[sp++] = a == b; break;
        case JZ: a = m->code[pc++], pc = st[--sp] ? pc : a; break;
        case JMP: pc = m->code[pc]; break;
        case DUP: st[sp] = st[sp - 1], sp++; break;
        case DROP: sp--; break;
        case INC: m->var[m->code[pc++]]++; break;
        case AND: b = st[--sp], a = st[--sp], st[sp++] = a & b; break;
        case SHR: b = st[--sp], a = st[--sp], st[sp++] = (int32_t)((uint32_t)a >> b); break;
        default: return -1;
        }
    }
}

/* Variables: 0 n, 1 d, 2 isprime, 3 count, 4 x, 5 steps. */
static void assemble(struct vm *m)
{
    m->n = 0;
    emit(m, PUSH, 2), emit(m, STORE, 0); /* n = 2 */
    int outer = m->n;                    /* while (n < LIMIT) */
    emit(m, LOAD, 0), emit(m, PUSH, LIMIT), emit(m, LT, 0), emit(m, JZ, 0);
    int exit1 = m->n - 1;
    emit(m, PUSH, 2), emit(m, STORE, 1), emit(m, PUSH, 1), emit(m, STORE, 2);
    int inner = m->n; /* while (d * d < n + 1) */
    emit(m, LOAD, 1), emit(m, DUP, 0), emit(m, MUL, 0), emit(m, LOAD, 0), emit(m, PUSH, 1);
    emit(m, ADD, 0), emit(m, LT, 0), emit(m, JZ, 0);
    int exit2 = m->n - 1;
    emit(m, LOAD, 0), emit(m, LOAD, 1), emit(m, MOD, 0), emit(m, JZ, 0); /* n % d == 0 */
    int notprime = m->n - 1;
    emit(m, INC, 1), emit(m, JMP, inner);
    m->code[notprime] = m->n;
    emit(m, PUSH, 0), emit(m, STORE, 2);
    m->code[exit2] = m->n;
    emit(m, LOAD, 3), emit(m, LOAD, 2), emit(m, ADD, 0), emit(m, STORE, 3), emit(m, INC, 0);
    emit(m, JMP, outer);
    m->code[exit1] = m->n;
    /* for (n = 1; n < COLLATZ; n++) for (x = n; x != 1; steps++) x = odd ? 3x+1 : x/2 */
    emit(m, PUSH, 1), emit(m, STORE, 0);
    int c_outer = m->n;
    emit(m, LOAD, 0), emit(m, PUSH, COLLATZ), emit(m, LT, 0), emit(m, JZ, 0);
    int c_exit = m->n - 1;
    emit(m, LOAD, 0), emit(m, STORE, 4);
    int c_inner = m->n;
    emit(m, LOAD, 4), emit(m, PUSH, 1), emit(m, EQ, 0), emit(m, PUSH, 0), emit(m, EQ, 0);
    emit(m, JZ, 0);
    int c_done = m->n - 1;
    emit(m, INC, 5), emit(m, LOAD, 4), emit(m, PUSH, 1), emit(m, AND, 0), emit(m, JZ, 0);
    int even = m->n - 1;
    emit(m, LOAD, 4), emit(m, PUSH, 3), emit(m, MUL, 0), emit(m, PUSH, 1), emit(m, ADD, 0);
    emit(m, STORE, 4), emit(m, JMP, c_inner);
    m->code[even] = m->n;
    emit(m, LOAD, 4), emit(m, PUSH, 1), emit(m, SHR, 0), emit(m, STORE, 4), emit(m, JMP, c_inner);
    m->code[c_done] = m->n;
    emit(m, INC, 0), emit(m, JMP, c_outer);
    m->code[c_exit] = m->n;
    emit(m, LOAD, 3), emit(m, LOAD, 5), emit(m, PUSH, 1000), emit(m, MUL, 0), emit(m, ADD, 0);
    emit(m, HALT, 0);
}

static uint32_t bytecode_round(void)
{
    struct vm m;
    wl_memset(&m, 0, sizeof m);
    assemble(&m);
    int32_t r = run(&m);
    return wl_mix(wl_mix((uint32_t)r, m.steps), (uint32_t)m.var[3]);
}

WORKLOAD("bytecode", 0xb2cd52c9, bytecode_round);
