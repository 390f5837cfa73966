/* Signals. */
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include "syscall.h"

/* The kernel's struct (os/abi/src/signal.rs). */
struct kernel_sigaction {
    uint64_t handler;
    uint64_t restorer;
    uint64_t mask;
};

void __restore_rt(void); /* crt0.S */

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    struct kernel_sigaction new_k, old_k = {0, 0, 0};
    struct kernel_sigaction *new_p = 0;
    if (act) {
        new_k.handler = (uint64_t)act->sa_handler;
        new_k.restorer = (act->sa_handler == SIG_DFL || act->sa_handler == SIG_IGN)
                             ? 0
                             : (uint64_t)__restore_rt;
        new_k.mask = act->sa_mask;
        new_p = &new_k;
    }
    long ret = __syscall_ret(__sys3(SYS_sigaction, (long)sig, new_p, old ? &old_k : 0));
    if (ret < 0)
        return -1;
    if (old) {
        old->sa_handler = (sighandler_t)old_k.handler;
        old->sa_mask = old_k.mask;
        old->sa_flags = 0;
    }
    return 0;
}

sighandler_t signal(int sig, sighandler_t handler)
{
    struct sigaction act = {handler, 0, 0}, old;
    if (sigaction(sig, &act, &old) < 0)
        return SIG_ERR;
    return old.sa_handler;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    sigset_t current;
    if (!set) {
        /* Ask by blocking nothing. */
        long ret = __syscall_ret(__sys3(SYS_sigprocmask, SIG_BLOCK, 0, &current));
        if (ret < 0)
            return -1;
        if (old)
            *old = current;
        return 0;
    }
    return (int)__syscall_ret(__sys3(SYS_sigprocmask, (long)how, (long)*set, old));
}

int kill(pid_t pid, int sig) { return (int)__syscall_ret(__sys2(SYS_kill, (long)pid, (long)sig)); }
int raise(int sig) { return kill(getpid(), sig); }

static int valid(int sig)
{
    if (sig <= 0 || sig >= NSIG) {
        errno = EINVAL;
        return 0;
    }
    return 1;
}

int sigemptyset(sigset_t *set) { *set = 0; return 0; }
int sigfillset(sigset_t *set) { *set = ~(sigset_t)1; return 0; }
int sigaddset(sigset_t *set, int sig) { if (!valid(sig)) return -1; *set |= (sigset_t)1 << sig; return 0; }
int sigdelset(sigset_t *set, int sig) { if (!valid(sig)) return -1; *set &= ~((sigset_t)1 << sig); return 0; }
int sigismember(const sigset_t *set, int sig) { if (!valid(sig)) return -1; return (*set >> sig) & 1; }
