/* Waiting for children. */
#include <sys/wait.h>
#include "syscall.h"

/* The kernel's struct (os/abi/src/lib.rs). */
struct kernel_wait_result {
    uint64_t pid;
    int64_t exit_status;
    uint64_t signal;
};

pid_t waitpid(pid_t pid, int *status, int options)
{
    struct kernel_wait_result result = {0, 0, 0};
    long ret = __syscall_ret(__sys3(SYS_wait, (long)pid, &result, (long)(options & WNOHANG)));
    if (ret > 0 && status)
        *status = result.signal ? (int)(result.signal & 0x7f)
                                : (int)((result.exit_status & 0xff) << 8);
    return (pid_t)ret;
}

pid_t wait(int *status) { return waitpid(-1, status, 0); }
