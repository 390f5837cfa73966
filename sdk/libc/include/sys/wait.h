/* Waiting for children (wait, 4). */
#ifndef _SYS_WAIT_H
#define _SYS_WAIT_H
#include <sys/types.h>

#define WNOHANG 1

/* The status word, as on Linux: exit status << 8, or the killing signal. */
#define WIFEXITED(s) (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s) & 0x7f) != 0)
#define WTERMSIG(s) ((s) & 0x7f)

/* ECHILD: no such child; EINTR: a caught signal interrupted the wait. With
 * WNOHANG, 0 while the child runs. */
pid_t waitpid(pid_t pid, int *status, int options);
pid_t wait(int *status);

#endif
