/* The semaphore checks of the Rust semtest (after MINIX's test88), written
 * against <sys/sem.h>: values, IPC_NOWAIT, a waiter woken by a post, a
 * waiter interrupted by a caught signal (EINTR, nothing taken), IPC_RMID
 * waking a waiter with EIDRM, and the creation flags. PASS/FAIL lines; the
 * exit status is the number of failures. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static void on_usr1(int sig) { (void)sig; }

/* Waits (up to 2 s) until `count` processes wait on semaphore 0 of `id`. */
static int wait_for_waiters(int id, int count)
{
    for (int i = 0; i < 200; i++) {
        if (semctl(id, 0, GETNCNT) == count)
            return 1;
        usleep(10000);
    }
    return 0;
}

static int exit_status(pid_t child)
{
    int status = -1;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

int main(void)
{
    int id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    CHECK("csem.semget", id >= 0);
    if (id < 0)
        return 1;
    CHECK("csem.setval_getval", semctl(id, 0, SETVAL, 3) == 0 && semctl(id, 0, GETVAL) == 3 &&
                                    semctl(id, 1, GETVAL) == 0);
    struct sembuf take3 = {0, -3, 0};
    CHECK("csem.semop_take", semop(id, &take3, 1) == 0 && semctl(id, 0, GETVAL) == 0);
    struct sembuf take_nowait = {0, -1, IPC_NOWAIT};
    errno = 0;
    CHECK("csem.nowait_eagain", semop(id, &take_nowait, 1) == -1 && errno == EAGAIN);
    struct sembuf many[SEMOPM + 1];
    for (int i = 0; i < SEMOPM + 1; i++)
        many[i] = (struct sembuf){0, 1, 0};
    errno = 0;
    CHECK("csem.too_many_ops_e2big",
          semop(id, many, SEMOPM + 1) == -1 && errno == E2BIG && semctl(id, 0, GETVAL) == 0);

    /* A waiter woken by a post. */
    pid_t child = fork();
    if (child == 0) {
        struct sembuf take = {0, -1, 0};
        _exit(semop(id, &take, 1) == 0 ? 0 : 1);
    }
    CHECK("csem.waiter_counted", wait_for_waiters(id, 1));
    struct sembuf post = {0, 1, 0};
    CHECK("csem.post", semop(id, &post, 1) == 0);
    CHECK("csem.waiter_woken", exit_status(child) == 0 && semctl(id, 0, GETVAL) == 0);

    /* A waiter interrupted by a caught signal: EINTR, nothing taken. */
    child = fork();
    if (child == 0) {
        signal(SIGUSR1, on_usr1);
        struct sembuf take = {0, -1, 0};
        int r = semop(id, &take, 1);
        _exit(r == -1 && errno == EINTR ? 0 : 1);
    }
    CHECK("csem.eintr_waiter_counted", wait_for_waiters(id, 1));
    kill(child, SIGUSR1);
    CHECK("csem.eintr", exit_status(child) == 0);
    CHECK("csem.eintr_left_queue", wait_for_waiters(id, 0) && semctl(id, 0, GETVAL) == 0);

    /* IPC_RMID wakes a waiter with EIDRM. */
    child = fork();
    if (child == 0) {
        struct sembuf take = {0, -1, 0};
        int r = semop(id, &take, 1);
        _exit(r == -1 && errno == EIDRM ? 0 : 1);
    }
    CHECK("csem.rmid_waiter_counted", wait_for_waiters(id, 1));
    CHECK("csem.rmid", semctl(id, 0, IPC_RMID) == 0);
    CHECK("csem.rmid_eidrm", exit_status(child) == 0);
    errno = 0;
    CHECK("csem.removed_set_einval", semctl(id, 0, GETVAL) == -1 && errno == EINVAL);

    /* Keys: ENOENT without IPC_CREAT, EEXIST with IPC_EXCL. */
    errno = 0;
    CHECK("csem.key_enoent", semget(4242, 1, 0600) == -1 && errno == ENOENT);
    int keyed = semget(4242, 1, IPC_CREAT | 0600);
    errno = 0;
    CHECK("csem.key_eexist", keyed >= 0 && semget(4242, 1, IPC_CREAT | IPC_EXCL | 0600) == -1 && errno == EEXIST);
    CHECK("csem.key_same_set", semget(4242, 1, 0600) == keyed);
    semctl(keyed, 0, IPC_RMID);
    printf("csemtest: %d failed\n", failures);
    return failures;
}
