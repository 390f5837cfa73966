/* What this system offers beyond POSIX: the clock, memory counters, the
 * program log and messages (os/abi/src/lib.rs, os/abi/src/ipc.rs). */
#ifndef _WATCHTOWER_H
#define _WATCHTOWER_H
#include <stdint.h>
#include <sys/types.h>

/* Nanoseconds since boot (clock, 14). */
uint64_t wt_clock_ns(void);

/* This process's memory (vmstats, 15). */
struct wt_vmstats {
    uint64_t vm_total;     /* pages attached now */
    uint64_t vm_total_max; /* at most */
    uint64_t minor_faults;
    uint64_t major_faults;
};
int wt_vmstats(struct wt_vmstats *stats);

/* The system's memory (meminfo, 16). */
struct wt_meminfo {
    uint64_t free_frames;
    uint64_t total_frames;
    uint64_t swap_used;
    uint64_t swap_total;
    uint64_t cached_pages;
};
int wt_meminfo(struct wt_meminfo *info);

/* Starts program `name` of the image with arguments argv (NULL-ended, not
 * counting the name) as a child (spawn, 2). */
pid_t wt_spawn(const char *name, char *const argv[]);

/* A message: the sender (set by the kernel), a kind, six words, and the
 * sender's effective uid and gid (set by the kernel, as the sender is). */
struct wt_message {
    uint64_t source;
    uint64_t kind;
    uint64_t payload[6];
    uint32_t uid;
    uint32_t gid;
};
_Static_assert(sizeof(struct wt_message) == 72, "the kernel's Message is 72 bytes");
#define WT_ANY ((uint64_t)-1)
int wt_send(pid_t dst, const struct wt_message *m);          /* 18 */
int wt_receive(pid_t src, struct wt_message *m);             /* 19: how it was sent */
int wt_sendrec(pid_t dst, struct wt_message *m);             /* 20 */
int wt_asend(pid_t dst, const struct wt_message *m);         /* 21 */
int wt_reply(pid_t dst, const struct wt_message *m);         /* 22 */
pid_t wt_lookup_service(const char *name);                   /* 24 */

#endif
