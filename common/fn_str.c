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

#define DIST_MAX 64

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
    unsigned m = a < b ? a : b;
    return m < c ? m : c;
}

/* Optimal string alignment distance over three rolling rows. */
unsigned fn_str_distance(const char *a, const char *b, unsigned cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la >= DIST_MAX || lb >= DIST_MAX)
        return cap;
    unsigned rows[3][DIST_MAX];
    unsigned *pp = rows[0], *p = rows[1], *r = rows[2];
    for (size_t j = 0; j <= lb; j++)
        p[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        r[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned sub = p[j - 1] + (tolower((unsigned char)a[i - 1]) !=
                                       tolower((unsigned char)b[j - 1]));
            r[j] = min3(p[j] + 1, r[j - 1] + 1, sub);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && pp[j - 2] + 1 < r[j])
                r[j] = pp[j - 2] + 1;
        }
        unsigned *t = pp;
        pp = p;
        p = r;
        r = t;
    }
    return p[lb] < cap ? p[lb] : cap;
}

const char *fn_str_closest(const char *word, const char *const *names, size_t n)
{
    const char *best = NULL;
    unsigned best_d = 3;
    size_t len = strlen(word);
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        unsigned d = fn_str_distance(word, names[i], best_d);
        if (d < best_d && d * 2 < len) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
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
