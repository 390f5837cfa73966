/* Processes, time, the heap, the log. */
#include <errno.h>
#include <unistd.h>
#include <watchtower.h>
#include "syscall.h"

pid_t fork(void) { return (pid_t)__syscall_ret(__sys0(SYS_fork)); }
pid_t getpid(void) { return (pid_t)__sys0(SYS_getpid); }
pid_t getppid(void) { return (pid_t)__sys0(SYS_getppid); }
int sched_yield(void) { return (int)__sys0(SYS_yield); }
uint64_t wt_clock_ns(void) { return (uint64_t)__sys0(SYS_clock); }

int usleep(useconds_t microseconds)
{
    return (int)__syscall_ret(__sys1(SYS_sleep, (uint64_t)microseconds * 1000));
}

unsigned int sleep(unsigned int seconds)
{
    uint64_t start = wt_clock_ns();
    uint64_t ns = (uint64_t)seconds * 1000000000ull;
    if (__sys1(SYS_sleep, ns) == 0)
        return 0;
    uint64_t slept = wt_clock_ns() - start;
    return slept >= ns ? 0 : (unsigned int)((ns - slept + 999999999ull) / 1000000000ull);
}

ssize_t write(int fd, const void *buf, size_t count)
{
    if (fd != STDOUT_FILENO && fd != STDERR_FILENO) {
        errno = EINVAL;
        return -1;
    }
    return (ssize_t)__syscall_ret(__sys2(SYS_write, buf, count));
}

int brk(void *end)
{
    long now = __sys1(SYS_brk, end);
    if (now != (long)end) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void *sbrk(intptr_t increment)
{
    long old = __sys1(SYS_brk, 0);
    if (increment == 0)
        return (void *)old;
    if (brk((void *)(old + increment)) < 0)
        return (void *)-1;
    return (void *)old;
}

int wt_vmstats(struct wt_vmstats *stats) { return (int)__syscall_ret(__sys1(SYS_vmstats, stats)); }
int wt_meminfo(struct wt_meminfo *info) { return (int)__syscall_ret(__sys1(SYS_meminfo, info)); }

pid_t wt_spawn(const char *name, char *const argv[])
{
    char packed[512];
    size_t len = 0;
    for (int i = 0; argv && argv[i]; i++) {
        size_t n = 0;
        while (argv[i][n])
            n++;
        if (len + n + 1 > sizeof packed) {
            errno = E2BIG;
            return -1;
        }
        for (size_t j = 0; j < n; j++)
            packed[len + j] = argv[i][j];
        packed[len + n] = '\0';
        len += n + 1;
    }
    size_t name_len = 0;
    while (name[name_len])
        name_len++;
    return (pid_t)__syscall_ret(__sys4(SYS_spawn, name, name_len, packed, len));
}

int wt_send(pid_t dst, const struct wt_message *m) { return (int)__syscall_ret(__sys2(SYS_send, (long)dst, m)); }
int wt_receive(pid_t src, struct wt_message *m) { return (int)__syscall_ret(__sys2(SYS_receive, (long)src, m)); }
int wt_sendrec(pid_t dst, struct wt_message *m) { return (int)__syscall_ret(__sys2(SYS_sendrec, (long)dst, m)); }
int wt_asend(pid_t dst, const struct wt_message *m) { return (int)__syscall_ret(__sys2(SYS_asend, (long)dst, m)); }
int wt_reply(pid_t dst, const struct wt_message *m) { return (int)__syscall_ret(__sys2(SYS_reply, (long)dst, m)); }

pid_t wt_lookup_service(const char *name)
{
    size_t n = 0;
    while (name[n])
        n++;
    return (pid_t)__syscall_ret(__sys2(SYS_lookup_service, name, n));
}
