/* hello_user — the ring-3 half of `hello`. */
#include "ulib.h"

int hello_user(uint32_t arg)
{
    u_printf("Hello from ring 3, task %d!\n", u_getpid());
    return (int)arg; /* becomes the exit code */
}
