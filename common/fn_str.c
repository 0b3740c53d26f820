/*
 * fn_str.c — see fn_str.h.
 */
#include "fn_str.h"
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

/* Length of the well-formed UTF-8 sequence at s (n bytes left), or 0 when
 * the bytes there are not one (overlong, surrogate, > U+10FFFF, cut). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        len = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    if (s[0] == 0xE0)
        lo = 0xA0; /* overlong */
    else if (s[0] == 0xED)
        hi = 0x9F; /* surrogates */
    else if (s[0] == 0xF0)
        lo = 0x90; /* overlong */
    else if (s[0] == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
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
            size_t n = utf8_seq_len(p + i, len - i);
            if (n) {
                rc = fn_buf_append(b, p + i, n);
                i += n;
            } else {
                rc = fn_buf_append_str(b, "\xEF\xBF\xBD"); /* U+FFFD */
                i++;
            }
        }
    }
    return rc ? rc : fn_buf_append(b, "\"", 1);
}

int fn_str_utf8(fn_buf_t *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    int rc = fn_buf_append(b, "", 0);
    for (size_t i = 0; i < len && rc == 0;) {
        size_t run = i;
        while (run < len && p[run] < 0x80)
            run++;
        if (run > i) {
            rc = fn_buf_append(b, p + i, run - i);
            i = run;
            continue;
        }
        size_t n = utf8_seq_len(p + i, len - i);
        rc = n ? fn_buf_append(b, p + i, n)
               : fn_buf_append_str(b, "\xEF\xBF\xBD"); /* U+FFFD */
        i += n ? n : 1;
    }
    return rc;
}
