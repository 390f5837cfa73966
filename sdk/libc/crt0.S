/* crt0: the entry point of a C program.
 *
 * The kernel starts a program at _start with rdi = the argument block (the
 * arguments, NUL-separated, on the stack) and rsi = its length, and rsp at
 * the top of the stack. __libc_start builds argv, runs main and exits with
 * its status. */
    .text
    .globl _start
    .type _start, @function
_start:
    xor %ebp, %ebp
    and $-16, %rsp
    call __libc_start
    ud2
    .size _start, . - _start

/* Where a signal handler returns: sigreturn (13) restores the interrupted
 * state. */
    .globl __restore_rt
    .type __restore_rt, @function
__restore_rt:
    mov $13, %eax
    syscall
    ud2
    .size __restore_rt, . - __restore_rt

    .section .note.GNU-stack, "", @progbits
