/* System V semaphores: requests to the IPC service, in the message layout
 * of sdk/userlib/src/sem.rs (SEMGET [key, nsems, flags]; SEMOP
 * [id | count << 32, then up to SEMOPM operations of 48 bits each, num |
 * op << 16 | flags << 32, packed end to end over five words]; SEMCTL [id,
 * num, cmd, arg]). The reply's kind is the result, or -errno. */
#include <errno.h>
#include <stdarg.h>
#include <sys/sem.h>
#include <watchtower.h>

#define SEMGET_REQ 0x100
#define SEMOP_REQ 0x101
#define SEMCTL_REQ 0x102

static pid_t service;

static long call(uint64_t kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                 uint64_t e, uint64_t f)
{
    if (service <= 0) {
        pid_t pid = wt_lookup_service("ipc");
        if (pid < 0)
            return -1;
        service = pid;
    }
    struct wt_message m = {0, kind, {a, b, c, d, e, f}, 0, 0};
    if (wt_sendrec(service, &m) < 0)
        return -1;
    long result = (long)m.kind;
    if (result < 0) {
        errno = (int)-result;
        return -1;
    }
    return result;
}

int semget(key_t key, int nsems, int flags)
{
    return (int)call(SEMGET_REQ, (uint64_t)(int64_t)key, (uint64_t)(int64_t)nsems,
                     (uint64_t)flags, 0, 0, 0);
}

int semop(int id, struct sembuf *ops, size_t nops)
{
    uint64_t words[5] = {0, 0, 0, 0, 0};
    if (nops > SEMOPM) {
        errno = E2BIG;
        return -1;
    }
    for (size_t i = 0; i < nops; i++) {
        uint64_t bits = (uint64_t)ops[i].sem_num | ((uint64_t)(uint16_t)ops[i].sem_op << 16) |
                        ((uint64_t)(uint16_t)ops[i].sem_flg << 32);
        size_t at = i * 48, word = at / 64, shift = at % 64;
        words[word] |= bits << shift;
        if (shift > 16)
            words[word + 1] |= bits >> (64 - shift);
    }
    uint64_t head = ((uint64_t)(uint32_t)id) | ((uint64_t)nops << 32);
    return call(SEMOP_REQ, head, words[0], words[1], words[2], words[3], words[4]) < 0 ? -1 : 0;
}

int semctl(int id, int num, int cmd, ...)
{
    uint64_t arg = 0;
    if (cmd == SETVAL) {
        va_list args;
        va_start(args, cmd);
        arg = (uint64_t)(int64_t)va_arg(args, int);
        va_end(args);
    }
    return (int)call(SEMCTL_REQ, (uint64_t)id, (uint64_t)num, (uint64_t)cmd, arg, 0, 0);
}
