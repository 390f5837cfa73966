/* The verdict lines of the C test programs (as userlib::verdict prints them
 * for Rust ones): `PASS name`, or `FAIL name: detail (errno N)` counted in
 * `failures`, which a test program returns as its exit status. Included by
 * one source file of each program (it defines, not just declares). */
#ifndef LIBC_TEST_CHECK_H
#define LIBC_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>

static int failures;

static void check(const char *name, int ok, const char *detail)
{
    if (ok) {
        printf("PASS %s\n", name);
    } else {
        failures++;
        printf("FAIL %s: %s (errno %d)\n", name, detail, errno);
    }
}

#define CHECK(name, cond) check(name, (cond), #cond)

#endif
