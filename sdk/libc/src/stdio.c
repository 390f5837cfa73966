/* Formatted output. Each stream keeps the line being written; a newline
 * (or a full buffer, or fflush, or exit) writes it as one log line. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "syscall.h"

/* The kernel's longest log line. */
#define LINE 200

struct __file {
    char line[LINE];
    size_t len;
};

static struct __file out_file, err_file;
FILE *stdout = &out_file;
FILE *stderr = &err_file;

static void flush_line(FILE *f)
{
    if (f->len) {
        __sys2(SYS_write, f->line, f->len);
        f->len = 0;
    }
}

static void put(FILE *f, const char *text, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n') {
            /* An empty line is still a line. */
            if (f->len == 0)
                __sys2(SYS_write, " ", 0);
            flush_line(f);
            continue;
        }
        if (f->len == LINE)
            flush_line(f);
        f->line[f->len++] = text[i];
    }
}

int fflush(FILE *stream)
{
    if (stream) {
        flush_line(stream);
    } else {
        flush_line(stdout);
        flush_line(stderr);
    }
    return 0;
}

void __stdio_flush(void) { fflush(0); }

/* --- vsnprintf --- */

struct sink {
    char *buf;
    size_t size;
    size_t len; /* what would have been written */
};

static void emit(struct sink *s, char c)
{
    if (s->len + 1 < s->size)
        s->buf[s->len] = c;
    s->len++;
}

static void emit_padded(struct sink *s, const char *prefix, const char *digits, size_t ndigits,
                        int width, int precision, int left, int zero)
{
    size_t plen = strlen(prefix);
    size_t zeros = precision >= 0 && (size_t)precision > ndigits ? (size_t)precision - ndigits : 0;
    size_t body = plen + zeros + ndigits;
    size_t pad = width > 0 && (size_t)width > body ? (size_t)width - body : 0;
    if (!left && !zero)
        for (; pad; pad--)
            emit(s, ' ');
    for (size_t i = 0; i < plen; i++)
        emit(s, prefix[i]);
    if (!left && zero)
        for (; pad; pad--)
            emit(s, '0');
    for (; zeros; zeros--)
        emit(s, '0');
    for (size_t i = 0; i < ndigits; i++)
        emit(s, digits[i]);
    for (; pad; pad--)
        emit(s, ' ');
}

int vsnprintf(char *buf, size_t size, const char *format, va_list args)
{
    struct sink s = {buf, size, 0};
    for (const char *p = format; *p; p++) {
        if (*p != '%') {
            emit(&s, *p);
            continue;
        }
        p++;
        int left = 0, zero = 0, plus = 0, space = 0, alt = 0;
        for (;; p++) {
            if (*p == '-') left = 1;
            else if (*p == '0') zero = 1;
            else if (*p == '+') plus = 1;
            else if (*p == ' ') space = 1;
            else if (*p == '#') alt = 1;
            else break;
        }
        int width = 0;
        if (*p == '*') {
            width = va_arg(args, int);
            if (width < 0) {
                left = 1;
                width = -width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9')
                width = width * 10 + (*p++ - '0');
        }
        int precision = -1;
        if (*p == '.') {
            p++;
            precision = 0;
            if (*p == '*') {
                precision = va_arg(args, int);
                p++;
            } else {
                while (*p >= '0' && *p <= '9')
                    precision = precision * 10 + (*p++ - '0');
            }
        }
        int size_mod = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long */
        for (;; p++) {
            if (*p == 'h') size_mod--;
            else if (*p == 'l') size_mod++;
            else if (*p == 'z' || *p == 'j' || *p == 't') size_mod = 1;
            else break;
        }
        char digits[32];
        size_t n = 0;
        const char *prefix = "";
        switch (*p) {
        case 'd':
        case 'i': {
            long long v = size_mod >= 1 ? va_arg(args, long) : va_arg(args, int);
            if (size_mod == -1) v = (short)v;
            if (size_mod == -2) v = (signed char)v;
            unsigned long long m = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
            do digits[sizeof digits - ++n] = (char)('0' + m % 10); while (m /= 10);
            if (precision == 0 && v == 0) n = 0;
            prefix = v < 0 ? "-" : plus ? "+" : space ? " " : "";
            emit_padded(&s, prefix, digits + sizeof digits - n, n, width, precision, left,
                        zero && precision < 0);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o':
        case 'p': {
            unsigned long long v;
            unsigned base = *p == 'o' ? 8 : (*p == 'u' ? 10 : 16);
            const char *alphabet = *p == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            if (*p == 'p') {
                v = (uintptr_t)va_arg(args, void *);
                prefix = "0x";
            } else {
                v = size_mod >= 1 ? va_arg(args, unsigned long) : va_arg(args, unsigned int);
                if (size_mod == -1) v = (unsigned short)v;
                if (size_mod == -2) v = (unsigned char)v;
                if (alt && v != 0)
                    prefix = *p == 'x' ? "0x" : *p == 'X' ? "0X" : *p == 'o' ? "0" : "";
            }
            int is_zero = v == 0;
            do digits[sizeof digits - ++n] = alphabet[v % base]; while (v /= base);
            if (precision == 0 && is_zero) n = 0;
            emit_padded(&s, prefix, digits + sizeof digits - n, n, width, precision, left,
                        zero && precision < 0);
            break;
        }
        case 'c': {
            char c = (char)va_arg(args, int);
            emit_padded(&s, "", &c, 1, width, -1, left, 0);
            break;
        }
        case 's': {
            const char *text = va_arg(args, const char *);
            if (!text) text = "(null)";
            size_t len = precision >= 0 ? strnlen(text, (size_t)precision) : strlen(text);
            emit_padded(&s, "", text, len, width, -1, left, 0);
            break;
        }
        case '%':
            emit(&s, '%');
            break;
        case '\0':
            p--;
            break;
        default:
            /* Unknown conversions (%f among them) are printed as they are. */
            emit(&s, '%');
            emit(&s, *p);
        }
    }
    if (size)
        buf[s.len < size ? s.len : size - 1] = '\0';
    return s.len > INT32_MAX ? -1 : (int)s.len;
}

int vsprintf(char *buf, const char *format, va_list args) { return vsnprintf(buf, SIZE_MAX, format, args); }

int snprintf(char *buf, size_t size, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(buf, size, format, args);
    va_end(args);
    return n;
}

int sprintf(char *buf, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(buf, SIZE_MAX, format, args);
    va_end(args);
    return n;
}

int vfprintf(FILE *stream, const char *format, va_list args)
{
    char text[512];
    va_list copy;
    va_copy(copy, args);
    int n = vsnprintf(text, sizeof text, format, copy);
    va_end(copy);
    if (n < 0)
        return n;
    put(stream, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
    return n;
}

int vprintf(const char *format, va_list args) { return vfprintf(stdout, format, args); }

int printf(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vfprintf(stdout, format, args);
    va_end(args);
    return n;
}

int fprintf(FILE *stream, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vfprintf(stream, format, args);
    va_end(args);
    return n;
}

int fputs(const char *text, FILE *stream)
{
    put(stream, text, strlen(text));
    return 0;
}

int puts(const char *text)
{
    fputs(text, stdout);
    put(stdout, "\n", 1);
    return 0;
}

int fputc(int c, FILE *stream)
{
    char ch = (char)c;
    put(stream, &ch, 1);
    return (unsigned char)ch;
}

int putchar(int c) { return fputc(c, stdout); }

void perror(const char *prefix)
{
    if (prefix && *prefix)
        fprintf(stderr, "%s: %s\n", prefix, strerror(errno));
    else
        fprintf(stderr, "%s\n", strerror(errno));
}
