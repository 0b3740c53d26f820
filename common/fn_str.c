/*
 * fn_str.c — see fn_str.h.
 */
#include "fn_str.h"

#include "fn_utf8.h"
#include "fn_buf.h"

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

/* The short escape of an ASCII byte, or NULL when it needs none (or the
 * \u form). */
static const char *json_short_escape(unsigned char c)
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    default:
        return NULL;
    }
}

int fn_str_json_escape(fn_buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    int rc = fn_buf_append(b, "\"", 1);
    size_t i = 0;
    while (i < len && rc == 0) {
        size_t run = i;
        while (run < len && p[run] >= 0x20 && p[run] < 0x7F && p[run] != '"' &&
               p[run] != '\\')
            run++;
        if (run > i) { /* plain ASCII passes in one append */
            rc = fn_buf_append(b, p + i, run - i);
            i = run;
            continue;
        }
        const char *esc = json_short_escape(p[i]);
        if (esc) {
            rc = fn_buf_append_str(b, esc);
            i++;
        } else if (p[i] < 0x20 || p[i] == 0x7F) {
            char u[7] = {'\\',           'u', '0', '0', hex[p[i] >> 4],
                         hex[p[i] & 15], 0};
            rc = fn_buf_append(b, u, 6);
            i++;
        } else {
            size_t n = fn_utf8_seq_len(p + i, len - i);
            if (n) {
                rc = fn_buf_append(b, p + i, n);
                i += n;
            } else {
                rc = fn_buf_append_str(b, FN_UTF8_REPLACEMENT);
                i++;
            }
        }
    }
    return rc ? rc : fn_buf_append(b, "\"", 1);
}

int fn_str_utf8(fn_buf_t *b, const char *s, size_t len)
{
    return fn_utf8_sanitize(s, len, b); /* the one sanitizer */
}
