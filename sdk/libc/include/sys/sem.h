/* System V semaphores, served by the IPC service ("ipc", privileged, must
 * be in the image): each call is a sendrec to it (the message layout of
 * sdk/userlib/src/sem.rs). */
#ifndef _SYS_SEM_H
#define _SYS_SEM_H
#include <sys/ipc.h>

#define GETVAL 12
#define GETNCNT 14
#define GETZCNT 15
#define SETVAL 16
/* Most operations in one semop (what one message holds). */
#define SEMOPM 6

struct sembuf {
    unsigned short sem_num;
    short sem_op;
    short sem_flg; /* IPC_NOWAIT or 0 */
};

/* The set's id; ENOENT (no set, no IPC_CREAT), EEXIST (IPC_EXCL), EINVAL. */
int semget(key_t key, int nsems, int flags);
/* Waits until all operations apply; EINTR (a caught signal), EIDRM (the
 * set was removed), EAGAIN (IPC_NOWAIT, or too many waiters), E2BIG. */
int semop(int id, struct sembuf *ops, size_t nops);
/* GETVAL, GETNCNT, GETZCNT return the value; SETVAL takes an int; IPC_RMID
 * removes the set. */
int semctl(int id, int num, int cmd, ...);

#endif
