#ifndef _SYS_IPC_H
#define _SYS_IPC_H
#include <sys/types.h>

#define IPC_PRIVATE ((key_t)0)
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define IPC_NOWAIT 04000
#define IPC_RMID 0

#endif
