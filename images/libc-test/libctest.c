/* Checks every header of the C library inside the OS: one PASS or FAIL line
 * per check; the exit status is the number of failures. Ends by running
 * csemtest (the semaphore checks) as a child and counting its failures. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <watchtower.h>

#include "check.h"

static void test_string(void)
{
    char buf[32];
    CHECK("string.strlen", strlen("hello") == 5 && strlen("") == 0);
    CHECK("string.strcmp", strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0 && strcmp("x", "x") == 0);
    CHECK("string.strncmp", strncmp("abcX", "abcY", 3) == 0 && strncmp("ab", "ac", 2) < 0);
    strcpy(buf, "foo");
    strcat(buf, "bar");
    CHECK("string.strcpy_strcat", strcmp(buf, "foobar") == 0);
    memset(buf, 'x', 4);
    CHECK("string.memset", memcmp(buf, "xxxxar", 6) == 0);
    memcpy(buf, "0123456789", 11);
    memmove(buf + 2, buf, 5);
    CHECK("string.memmove_overlap", strcmp(buf, "0101234789") == 0);
    const char *path = "a/b/c";
    CHECK("string.strchr", strchr(path, '/') == path + 1 && strrchr(path, '/') == path + 3 &&
                               strchr(path, 'z') == NULL && strchr(path, '\0') == path + 5);
    CHECK("string.strstr", strstr("haystack", "st") != NULL && strcmp(strstr("haystack", "st"), "stack") == 0 &&
                               strstr("abc", "d") == NULL);
    strncpy(buf, "ab", 5);
    CHECK("string.strncpy_pads", buf[0] == 'a' && buf[2] == 0 && buf[4] == 0);
    CHECK("string.memchr", memchr("abc", 'c', 3) != NULL && memchr("abc", 'd', 3) == NULL);
    CHECK("string.strerror", strncmp(strerror(EINTR), "EINTR", 5) == 0);
    char *copy = strdup("dup");
    CHECK("string.strdup", copy && strcmp(copy, "dup") == 0);
    free(copy);
}

static void test_stdio(void)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%d|%5d|%-4d|%05d|%+d", -42, 7, 3, 12, 5);
    CHECK("stdio.snprintf_int", strcmp(buf, "-42|    7|3   |00012|+5") == 0 && n == 23);
    snprintf(buf, sizeof buf, "%x %X %#x %o %u", 255, 255, 16, 8, 4000000000u);
    CHECK("stdio.snprintf_unsigned", strcmp(buf, "ff FF 0x10 10 4000000000") == 0);
    snprintf(buf, sizeof buf, "%ld %lld %zu %lx", -9000000000L, 123LL, (size_t)77, 0xdeadbeefcafeUL);
    CHECK("stdio.snprintf_long", strcmp(buf, "-9000000000 123 77 deadbeefcafe") == 0);
    snprintf(buf, sizeof buf, "[%s|%.2s|%6s|%-3s|%c%%]", "abc", "xyz", "r", "l", 'Q');
    CHECK("stdio.snprintf_string", strcmp(buf, "[abc|xy|     r|l  |Q%]") == 0);
    snprintf(buf, sizeof buf, "%p", (void *)0x1234);
    CHECK("stdio.snprintf_pointer", strcmp(buf, "0x1234") == 0);
    n = snprintf(buf, 4, "%s", "truncated");
    CHECK("stdio.snprintf_truncates", n == 9 && strcmp(buf, "tru") == 0);
    n = sprintf(buf, "%d-%d", INT_MIN, INT_MAX);
    CHECK("stdio.sprintf_limits", strcmp(buf, "-2147483648-2147483647") == 0 && n == 22);
    /* Lines reach the log: the boot test finds these. */
    printf("libctest: printf line %d of %s\n", 1, "stdio");
    puts("libctest: puts line");
    printf("libctest: partial ");
    printf("line joined\n");
    fprintf(stderr, "libctest: stderr line\n");
    CHECK("stdio.printf_returns_count", printf("libctest: %s\n", "count") == 16);
}

static void test_stdlib(void)
{
    CHECK("stdlib.atoi", atoi("42") == 42 && atoi("  -17x") == -17 && atoi("x") == 0);
    char *end;
    CHECK("stdlib.strtol", strtol("0x1f", &end, 16) == 31 && *end == 0 && strtol("0755", NULL, 0) == 493 &&
                               strtol("-12z", &end, 10) == -12 && *end == 'z');
    errno = 0;
    CHECK("stdlib.strtol_range", strtol("99999999999999999999", NULL, 10) == LONG_MAX && errno == ERANGE);
    CHECK("stdlib.abs", abs(-3) == 3 && labs(-4L) == 4);

    /* malloc: distinct, aligned, usable, reused after free. */
    char *blocks[64];
    int ok = 1;
    for (int i = 0; i < 64; i++) {
        blocks[i] = malloc(100 + i * 37);
        if (!blocks[i] || ((unsigned long)blocks[i] & 15)) ok = 0;
        else memset(blocks[i], i, 100 + i * 37);
    }
    for (int i = 0; i < 64 && ok; i++)
        for (int j = 0; j < 100 + i * 37; j++)
            if ((unsigned char)blocks[i][j] != i) { ok = 0; break; }
    CHECK("stdlib.malloc_distinct_aligned", ok);
    void *before = sbrk(0);
    for (int i = 0; i < 64; i++) free(blocks[i]);
    for (int round = 0; round < 100; round++) {
        char *p = malloc(2000);
        if (!p) { ok = 0; break; }
        p[1999] = 1;
        free(p);
    }
    CHECK("stdlib.free_reuses", ok && sbrk(0) == before);
    /* A big block grows the heap through brk, page by page (faults). */
    struct wt_vmstats vm0, vm1;
    wt_vmstats(&vm0);
    char *big = malloc(1 << 20);
    if (big) for (int i = 0; i < (1 << 20); i += 4096) big[i] = (char)i;
    wt_vmstats(&vm1);
    CHECK("stdlib.malloc_large_faults_pages", big && sbrk(0) > before && vm1.minor_faults >= vm0.minor_faults + 200);
    int *zeros = calloc(1000, sizeof(int));
    ok = zeros != NULL;
    for (int i = 0; ok && i < 1000; i++) if (zeros[i]) ok = 0;
    CHECK("stdlib.calloc_zeroes", ok);
    char *r = malloc(8);
    strcpy(r, "realloc");
    r = realloc(r, 5000);
    CHECK("stdlib.realloc_keeps", r && strcmp(r, "realloc") == 0);
    free(r);
    free(big);
    free(zeros);
    errno = 0;
    CHECK("stdlib.malloc_huge_fails", malloc((size_t)1 << 62) == NULL && errno == ENOMEM);
}

static volatile int caught;
static void on_usr1(int sig) { caught = sig; }

static void test_unistd_wait(void)
{
    pid_t me = getpid();
    CHECK("unistd.getpid", me > 0);
    pid_t child = fork();
    if (child == 0) {
        if (getppid() != me) _exit(99);
        _exit(7);
    }
    int status = -1;
    pid_t got = waitpid(child, &status, 0);
    CHECK("unistd.fork_getppid_exit", child > 0 && got == child && WIFEXITED(status) && WEXITSTATUS(status) == 7);
    errno = 0;
    CHECK("wait.waitpid_echild", waitpid(child, &status, 0) == -1 && errno == ECHILD);
    child = fork();
    if (child == 0) {
        usleep(200000);
        _exit(0);
    }
    CHECK("wait.wnohang_running", waitpid(child, &status, WNOHANG) == 0);
    CHECK("wait.wait_any", wait(&status) == child && WIFEXITED(status));
    uint64_t t0 = wt_clock_ns();
    CHECK("unistd.usleep", usleep(50000) == 0 && wt_clock_ns() - t0 >= 50000000ull);
    t0 = wt_clock_ns();
    CHECK("unistd.sleep", sleep(1) == 0 && wt_clock_ns() - t0 >= 1000000000ull);
    errno = 0;
    CHECK("unistd.write_bad_fd", write(5, "x", 1) == -1 && errno == EINVAL);
    CHECK("unistd.write_log", write(1, "libctest: write line", 20) == 20);
}

static void test_signal(void)
{
    struct sigaction act = {on_usr1, 0, 0}, old;
    CHECK("signal.sigaction", sigaction(SIGUSR1, &act, &old) == 0 && old.sa_handler == SIG_DFL);
    caught = 0;
    CHECK("signal.raise_caught", raise(SIGUSR1) == 0 && caught == SIGUSR1);
    sigset_t set, prev;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK("signal.sigset", sigismember(&set, SIGUSR1) == 1 && sigismember(&set, SIGUSR2) == 0);
    caught = 0;
    sigprocmask(SIG_BLOCK, &set, &prev);
    raise(SIGUSR1);
    int blocked_held = caught == 0;
    sigprocmask(SIG_SETMASK, &prev, NULL);
    CHECK("signal.sigprocmask_blocks_then_delivers", blocked_held && caught == SIGUSR1);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    CHECK("signal.sigprocmask_query", now == prev);
    errno = 0;
    CHECK("signal.sigaction_sigkill_einval", sigaction(SIGKILL, &act, NULL) == -1 && errno == EINVAL);
    errno = 0;
    CHECK("signal.kill_esrch", kill(30000, SIGUSR1) == -1 && errno == ESRCH);
    /* A child killed by SIGTERM; one interrupted in sleep by a caught signal. */
    pid_t child = fork();
    if (child == 0) {
        for (;;) sleep(10);
    }
    usleep(100000);
    kill(child, SIGTERM);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK("signal.kill_child", WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    child = fork();
    if (child == 0) {
        signal(SIGUSR2, on_usr1);
        unsigned left = sleep(5);
        _exit(left > 0 && caught == SIGUSR2 ? 0 : 1);
    }
    usleep(200000);
    kill(child, SIGUSR2);
    waitpid(child, &status, 0);
    CHECK("signal.sleep_interrupted", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK("signal.signal_ignore", signal(SIGUSR1, SIG_IGN) == on_usr1 && raise(SIGUSR1) == 0);
}

static void test_mman(void)
{
    int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK("mman.mmap_shared", shared != MAP_FAILED && shared[0] == 0);
    if (shared == MAP_FAILED) return;
    pid_t child = fork();
    if (child == 0) {
        shared[1] = 1234;
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK("mman.shared_across_fork", shared[1] == 1234);
    errno = 0;
    CHECK("mman.mmap_file_einval", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0) == MAP_FAILED && errno == EINVAL);
}

static void exit_42(void) { _exit(42); }

static void test_exit_paths(void)
{
    int status = -1;
    pid_t child = fork();
    if (child == 0) {
        atexit(exit_42);
        exit(0);
    }
    waitpid(child, &status, 0);
    CHECK("stdlib.atexit_runs", WIFEXITED(status) && WEXITSTATUS(status) == 42);
    child = fork();
    if (child == 0)
        abort();
    waitpid(child, &status, 0);
    CHECK("stdlib.abort_sigabrt", WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
    child = fork();
    if (child == 0) {
        assert(child == 0);
        assert(child == 1); /* fails: prints where, then aborts */
        _exit(0);
    }
    waitpid(child, &status, 0);
    CHECK("assert.fails_with_sigabrt", WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

static void test_misc(void)
{
    fputs("libctest: fputs", stdout);
    putchar('\n');
    char *end;
    CHECK("stdlib.strtoul", strtoul("ffFF", &end, 16) == 0xffff && *end == 0);
    CHECK("unistd.sched_yield", sched_yield() == 0);
    CHECK("unistd.sbrk_query", sbrk(0) != (void *)-1 && sbrk(0) != NULL);
    struct wt_meminfo info;
    CHECK("watchtower.meminfo", wt_meminfo(&info) == 0 && info.total_frames > info.free_frames && info.free_frames > 0);
    CHECK("watchtower.lookup_service", wt_lookup_service("ipc") > 0);
    errno = 0;
    CHECK("watchtower.lookup_unknown_esrch", wt_lookup_service("no-such-service") == -1 && errno == ESRCH);
    errno = 0;
    CHECK("watchtower.spawn_unknown_enoent", wt_spawn("no-such-program", NULL) == -1 && errno == ENOENT);
}

static void test_errno_ctype(void)
{
    CHECK("errno.values", EPERM == 1 && ESRCH == 3 && EINTR == 4 && ECHILD == 10 && EAGAIN == 11 &&
                              ENOMEM == 12 && EINVAL == 22 && ENOSYS == 38 && EIDRM == 43);
    CHECK("ctype", isdigit('7') && !isdigit('a') && isspace('\t') && toupper('q') == 'Q' && isxdigit('F'));
}

int main(int argc, char **argv)
{
    CHECK("start.argv", argc >= 1 && strcmp(argv[0], "libctest") == 0 && argv[argc] == NULL);
    test_string();
    test_stdio();
    test_stdlib();
    test_unistd_wait();
    test_signal();
    test_mman();
    test_errno_ctype();
    test_exit_paths();
    test_misc();
    char *args[] = {"from-libctest", NULL};
    pid_t sem = wt_spawn("csemtest", args);
    int status = -1;
    waitpid(sem, &status, 0);
    CHECK("sem.csemtest_passed", sem > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    printf("libctest: %d failed\n", failures);
    return failures;
}
