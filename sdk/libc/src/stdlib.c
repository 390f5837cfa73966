/* The heap (a first-fit free list over brk, coalescing on free) and
 * number parsing. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every block starts with this header; sizes include it and are multiples
 * of 16, so payloads are 16-byte aligned. */
struct block {
    size_t size;
    struct block *next; /* next free block by address (free blocks only) */
};

#define HEADER 16
#define MIN_BLOCK 32
#define GROWTH (64 * 1024)

static struct block *free_list;

/* Puts `b` on the free list in address order, merging with neighbours. */
static void insert_free(struct block *b)
{
    struct block **link = &free_list;
    while (*link && *link < b)
        link = &(*link)->next;
    b->next = *link;
    *link = b;
    if (b->next && (char *)b + b->size == (char *)b->next) {
        b->size += b->next->size;
        b->next = b->next->next;
    }
    if (link != &free_list) {
        struct block *prev = (struct block *)((char *)link - offsetof(struct block, next));
        if ((char *)prev + prev->size == (char *)b) {
            prev->size += b->size;
            prev->next = b->next;
        }
    }
}

static int grow(size_t need)
{
    size_t bytes = (need + GROWTH - 1) / GROWTH * GROWTH;
    char *start = sbrk(0);
    /* Keep the heap 16-byte aligned. */
    size_t pad = (16 - ((uintptr_t)start & 15)) & 15;
    if (sbrk((intptr_t)(bytes + pad)) == (void *)-1)
        return -1;
    struct block *b = (struct block *)(start + pad);
    b->size = bytes;
    insert_free(b);
    return 0;
}

void *malloc(size_t size)
{
    if (size == 0)
        size = 1;
    if (size > SIZE_MAX / 2) {
        errno = ENOMEM;
        return 0;
    }
    size_t need = (size + HEADER + 15) & ~(size_t)15;
    for (int attempt = 0; attempt < 2; attempt++) {
        for (struct block **link = &free_list; *link; link = &(*link)->next) {
            struct block *b = *link;
            if (b->size < need)
                continue;
            if (b->size - need >= MIN_BLOCK) {
                struct block *rest = (struct block *)((char *)b + need);
                rest->size = b->size - need;
                rest->next = b->next;
                *link = rest;
                b->size = need;
            } else {
                *link = b->next;
            }
            return (char *)b + HEADER;
        }
        if (grow(need) < 0)
            break;
    }
    errno = ENOMEM;
    return 0;
}

void free(void *ptr)
{
    if (ptr)
        insert_free((struct block *)((char *)ptr - HEADER));
}

void *calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) {
        errno = ENOMEM;
        return 0;
    }
    void *p = malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *realloc(void *ptr, size_t size)
{
    if (!ptr)
        return malloc(size);
    size_t old = ((struct block *)((char *)ptr - HEADER))->size - HEADER;
    if (size <= old)
        return ptr;
    void *bigger = malloc(size);
    if (bigger) {
        memcpy(bigger, ptr, old);
        free(ptr);
    }
    return bigger;
}

unsigned long strtoul(const char *text, char **end, int base)
{
    const char *s = text;
    while (isspace((unsigned char)*s))
        s++;
    int negative = 0;
    if (*s == '+' || *s == '-')
        negative = *s++ == '-';
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
        isxdigit((unsigned char)s[2])) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = s[0] == '0' ? 8 : 10;
    }
    unsigned long value = 0;
    int any = 0, overflow = 0;
    for (;; s++) {
        int digit;
        if (isdigit((unsigned char)*s))
            digit = *s - '0';
        else if (isalpha((unsigned char)*s))
            digit = tolower((unsigned char)*s) - 'a' + 10;
        else
            break;
        if (digit >= base)
            break;
        if (value > (ULONG_MAX - (unsigned long)digit) / (unsigned long)base)
            overflow = 1;
        value = value * (unsigned long)base + (unsigned long)digit;
        any = 1;
    }
    if (end)
        *end = (char *)(any ? s : text);
    if (overflow) {
        errno = ERANGE;
        return ULONG_MAX;
    }
    return negative ? -value : value;
}

long strtol(const char *text, char **end, int base)
{
    const char *s = text;
    while (isspace((unsigned char)*s))
        s++;
    int negative = *s == '-';
    int saved = errno;
    errno = 0;
    unsigned long magnitude = strtoul(negative ? s + 1 : (*s == '+' ? s + 1 : s), end, base);
    if (end && *end == (negative || *s == '+' ? s + 1 : s))
        *end = (char *)text;
    if (errno == ERANGE || (!negative && magnitude > (unsigned long)LONG_MAX) ||
        (negative && magnitude > (unsigned long)LONG_MAX + 1)) {
        errno = ERANGE;
        return negative ? LONG_MIN : LONG_MAX;
    }
    errno = saved;
    return negative ? (long)(0 - magnitude) : (long)magnitude;
}

long atol(const char *text) { return strtol(text, 0, 10); }
int atoi(const char *text) { return (int)strtol(text, 0, 10); }
int abs(int value) { return value < 0 ? -value : value; }
long labs(long value) { return value < 0 ? -value : value; }

void __assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "assertion failed: %s at %s:%d", expr, file, line);
    fflush(stderr);
    abort();
}
