/* Start-up and exit. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "syscall.h"

int errno;

int main(int argc, char **argv);

#define MAX_ARGS 32
#define MAX_ATEXIT 16

static void (*atexit_functions[MAX_ATEXIT])(void);
static int atexit_count;

long __syscall_ret(long ret)
{
    if (ret < 0 && ret > -4096) {
        errno = (int)-ret;
        return -1;
    }
    return ret;
}

/* Called by _start (crt0.S) with the argument block the kernel placed on
 * the stack: the arguments, NUL-separated, the first the program's name. */
void __libc_start(const char *args, unsigned long len) __attribute__((noreturn));
void __libc_start(const char *args, unsigned long len)
{
    static char *argv[MAX_ARGS + 1];
    int argc = 0;
    unsigned long i = 0;
    while (args && i < len && argc < MAX_ARGS) {
        if (args[i] == '\0') {
            i++;
            continue;
        }
        argv[argc++] = (char *)&args[i];
        while (i < len && args[i] != '\0')
            i++;
    }
    argv[argc] = 0;
    exit(main(argc, argv));
}

int atexit(void (*function)(void))
{
    if (atexit_count == MAX_ATEXIT)
        return -1;
    atexit_functions[atexit_count++] = function;
    return 0;
}

void exit(int status)
{
    while (atexit_count > 0)
        atexit_functions[--atexit_count]();
    __stdio_flush();
    _exit(status);
}

void _exit(int status)
{
    __sys1(SYS_exit, (long)status);
    __builtin_unreachable();
}

void abort(void)
{
    __stdio_flush();
    __sys2(SYS_kill, __sys0(SYS_getpid), 6 /* SIGABRT */);
    _exit(134);
}
