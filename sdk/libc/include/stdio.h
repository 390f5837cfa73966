/* Formatted output to the kernel log. stdout and stderr are line-buffered:
 * each complete line becomes one write (one log line, shown with the
 * writer's pid); a partial line is written at exit or fflush. No floating
 * point conversions (%f) yet: processes have no FPU state of their own. */
#ifndef _STDIO_H
#define _STDIO_H
#include <stdarg.h>
#include <stddef.h>

typedef struct __file FILE;
extern FILE *stdout;
extern FILE *stderr;
#define EOF (-1)

int printf(const char *format, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE *stream, const char *format, ...) __attribute__((format(printf, 2, 3)));
int sprintf(char *buf, const char *format, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *buf, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));
int vprintf(const char *format, va_list args);
int vfprintf(FILE *stream, const char *format, va_list args);
int vsnprintf(char *buf, size_t size, const char *format, va_list args);
int vsprintf(char *buf, const char *format, va_list args);
int puts(const char *text);
int fputs(const char *text, FILE *stream);
int putchar(int c);
int fputc(int c, FILE *stream);
int fflush(FILE *stream);
void perror(const char *prefix);

#endif
