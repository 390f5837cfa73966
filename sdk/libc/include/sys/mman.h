/* Memory the kernel offers: shared anonymous regions (map_shared, 17),
 * inherited across fork. There are no files to map and no munmap. */
#ifndef _SYS_MMAN_H
#define _SYS_MMAN_H
#include <sys/types.h>

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20
#define MAP_ANON MAP_ANONYMOUS
#define MAP_FAILED ((void *)-1)

/* Only mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1,
 * 0): a new zero-filled shared region; anything else fails with EINVAL. */
void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
/* The kernel's call: a new shared region of length bytes (rounded up to
 * pages); ENOMEM. */
void *map_shared(size_t length);

#endif
