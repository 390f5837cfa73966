/* Shared memory. */
#include <errno.h>
#include <sys/mman.h>
#include "syscall.h"

void *map_shared(size_t length)
{
    long ret = __syscall_ret(__sys1(SYS_map_shared, length));
    return ret < 0 ? MAP_FAILED : (void *)ret;
}

void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
    if (addr != 0 || (prot & ~(PROT_READ | PROT_WRITE)) != 0 ||
        flags != (MAP_SHARED | MAP_ANONYMOUS) || fd != -1 || offset != 0 || length == 0) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    return map_shared(length);
}
