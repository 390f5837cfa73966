/* The system-call instruction (internal to the libc).
 *
 * rax = number; arguments in rdi, rsi, rdx, r10, r8, r9; the result in
 * rax, -errno on failure. The kernel preserves every other register but
 * rcx and r11. Numbers: os/abi/src/syscall.rs. */
#ifndef LIBC_SYSCALL_H
#define LIBC_SYSCALL_H

enum {
    SYS_exit = 0, SYS_write = 1, SYS_spawn = 2, SYS_fork = 3, SYS_wait = 4,
    SYS_getpid = 5, SYS_getppid = 6, SYS_yield = 7, SYS_sleep = 8,
    SYS_brk = 9, SYS_kill = 10, SYS_sigaction = 11, SYS_sigprocmask = 12,
    SYS_sigreturn = 13, SYS_clock = 14, SYS_vmstats = 15, SYS_meminfo = 16,
    SYS_map_shared = 17, SYS_send = 18, SYS_receive = 19, SYS_sendrec = 20,
    SYS_asend = 21, SYS_reply = 22, SYS_proceventmask = 23,
    SYS_lookup_service = 24,
};

static inline long __syscall(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

#define __sys0(n) __syscall((n), 0, 0, 0, 0, 0, 0)
#define __sys1(n, a) __syscall((n), (long)(a), 0, 0, 0, 0, 0)
#define __sys2(n, a, b) __syscall((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define __sys3(n, a, b, c) __syscall((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define __sys4(n, a, b, c, d) __syscall((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* A raw result as the C convention: -1 with errno set on failure. */
long __syscall_ret(long ret);

/* Flushes stdout's partial line (at exit). */
void __stdio_flush(void);

#endif
