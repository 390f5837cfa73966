/* {{NAME}}: a program of your own for the watchtower OS, in C.
 *
 * It allocates memory (each new heap page is a page fault the dashboard
 * counts), forks a child, signals it, waits for it, lets a second child
 * crash on a bad pointer (the dashboard shows the fault and the SIGSEGV),
 * and logs each step. stdout is line-buffered: every line printf writes is
 * one line of the kernel log, shown with this process's pid. The headers
 * are in sdk/libc/include of the watchtower repository; docs/programs.md
 * describes them. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <watchtower.h>

static void on_usr1(int sig)
{
    printf("{{NAME}}: child %d caught signal %d\n", getpid(), sig);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("{{NAME}}: started as pid %d\n", getpid());

    /* Memory: 1 MiB on the heap, touched one page at a time. */
    struct wt_vmstats before, after;
    wt_vmstats(&before);
    char *buffer = malloc(1 << 20);
    if (!buffer) {
        perror("{{NAME}}: malloc");
        return 1;
    }
    for (int i = 0; i < (1 << 20); i += 4096)
        buffer[i] = 1;
    wt_vmstats(&after);
    printf("{{NAME}}: touched %d pages, %lu minor faults\n", (1 << 20) / 4096,
           (unsigned long)(after.minor_faults - before.minor_faults));
    free(buffer);

    /* Processes and signals: a child that waits for SIGUSR1. */
    pid_t child = fork();
    if (child == 0) {
        signal(SIGUSR1, on_usr1);
        unsigned left = sleep(5); /* the signal interrupts it */
        printf("{{NAME}}: child woke up (%u s of its sleep left)\n", left);
        exit(7);
    }
    printf("{{NAME}}: forked child %d\n", child);
    usleep(300000);
    kill(child, SIGUSR1);
    int status;
    waitpid(child, &status, 0);
    if (WIFEXITED(status))
        printf("{{NAME}}: child %d exited with status %d\n", child, WEXITSTATUS(status));

    /* A crash: the kernel reports the fault and kills the child. */
    pid_t crasher = fork();
    if (crasher == 0) {
        volatile int *bad = (int *)16;
        *bad = 1;
        _exit(0);
    }
    waitpid(crasher, &status, 0);
    if (WIFSIGNALED(status))
        printf("{{NAME}}: child %d was killed by signal %d\n", crasher, WTERMSIG(status));

    printf("{{NAME}}: done\n");
    /* The first program of the image is init: its exit powers off. */
    return 0;
}
