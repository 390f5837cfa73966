/* Processes and the log. */
#ifndef _UNISTD_H
#define _UNISTD_H
#include <sys/types.h>

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

/* fork (3): the child's pid in the parent, 0 in the child; -1 and errno
 * (EAGAIN: no process slot, ENOMEM) on failure. */
pid_t fork(void);
/* getpid (5), getppid (6). */
pid_t getpid(void);
pid_t getppid(void);
/* Ends the process at once (exit, 0): no stdio flush. */
void _exit(int status) __attribute__((noreturn));
/* Sleeps (sleep, 8): 0, or the seconds left when a caught signal
 * interrupted it. */
unsigned int sleep(unsigned int seconds);
/* 0, or -1 with errno EINTR when a caught signal interrupted it. */
int usleep(useconds_t microseconds);
/* Writes one line to the kernel log (write, 1; fd 1 and 2 only): the
 * bytes written, at most one log line's worth. */
ssize_t write(int fd, const void *buf, size_t count);
/* The heap (brk, 9). */
int brk(void *end);
void *sbrk(intptr_t increment);
/* Gives up the rest of the time slice (yield, 7). */
int sched_yield(void);

#endif
