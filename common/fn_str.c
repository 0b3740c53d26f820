/*
 * fn_str.c — see fn_str.h.
 */
#include "fn_str.h"

#include <ctype.h>
#include <string.h>

char *fn_str_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

uint64_t fn_str_hash(const char *s)
{
    uint64_t x = 14695981039346656037ull; /* FNV-1a 64 offset basis */
    for (; *s; s++)
        x = (x ^ (unsigned char)*s) * 1099511628211ull;
    return x;
}

const char *fn_str_last_line(const char *text, size_t len, size_t *n)
{
    const char *end = text + len;
    while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    const char *start = end;
    while (start > text && start[-1] != '\n')
        start--;
    *n = (size_t)(end - start);
    return start;
}
