/*
 * fn_lines.c — see fn_lines.h. Pure text handling: no allocation while
 * reading (the line buffer is inside the reader), no logging.
 */
#include "fn_lines.h"

#include "fn_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

void fn_lines_init(fn_lines_t *r, const char *text, size_t len,
                   const char *origin, char *err, size_t errlen)
{
    r->p = text ? text : "";
    r->end = r->p + (text ? len : 0);
    r->origin = origin ? origin : "<inline>";
    r->line = 0;
    r->err = err;
    r->errlen = errlen;
    r->buf[0] = '\0';
}

int fn_lines_error(const fn_lines_t *r, const char *fmt, ...)
{
    if (!r->err || !r->errlen)
        return FN_EPARSE;
    int n = snprintf(r->err, r->errlen, "%s:%d: ", r->origin, r->line);
    if (n < 0 || (size_t)n >= r->errlen)
        return FN_EPARSE;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return FN_EPARSE;
}

/* A quote opens a quoted part only where a word or value starts (line
 * start, after a blank or '='), so "Cisco's" stays plain text. */
static int opens_quote(const char *start, const char *q)
{
    return (*q == '"' || *q == '\'') &&
           (q == start || is_blank(q[-1]) || q[-1] == '=');
}

/* End of the quoted part that opens at q (the closing quote), or NULL. */
static char *quote_end(char *q)
{
    for (char *s = q + 1; *s; s++) {
        if (*q == '"' && *s == '\\' && s[1])
            s++;
        else if (*s == *q)
            return s;
    }
    return NULL;
}

/* Cuts an inline comment: '#' after a blank, outside quotes. */
static void cut_comment(char *s)
{
    for (char *c = s; *c; c++) {
        if (opens_quote(s, c)) {
            char *e = quote_end(c);
            if (!e)
                return; /* the value decoder reports it */
            c = e;
        } else if (*c == '#' && c > s && is_blank(c[-1])) {
            *c = '\0';
            return;
        }
    }
}

static char *trim(char *s)
{
    while (is_blank(*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && is_blank(e[-1]))
        *--e = '\0';
    return s;
}

int fn_lines_next(fn_lines_t *r, char **line)
{
    while (r->p < r->end) {
        const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
        size_t n = nl ? (size_t)(nl - r->p) : (size_t)(r->end - r->p);
        const char *s = r->p;
        r->p = nl ? nl + 1 : r->end;
        r->line++;
        if (n && s[n - 1] == '\r')
            n--;
        if (n > FN_LINES_MAX)
            return fn_lines_error(r, "line longer than %d bytes", FN_LINES_MAX);
        if (memchr(s, '\0', n))
            return fn_lines_error(r, "NUL byte in line");
        memcpy(r->buf, s, n);
        r->buf[n] = '\0';
        char *t = trim(r->buf);
        if (!*t || *t == '#' || *t == ';')
            continue;
        cut_comment(t);
        *line = trim(t);
        return 1;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes the quoted part opening at *in into *out (out <= in: decoding
 * only shrinks); moves both past it. */
static int unquote(fn_lines_t *r, char **in, char **out)
{
    char q = **in, *s = *in + 1, *o = *out;
    for (; *s && *s != q; s++) {
        char ch = *s;
        if (q == '"' && ch == '\\') {
            static const char from[] = "nrtbe\\\"", to[] = "\n\r\t\b\033\\\"";
            const char *k = s[1] ? strchr(from, s[1]) : NULL;
            if (k) {
                ch = to[k - from];
                s++;
            } else if (s[1] == 'x' && hexval(s[2]) >= 0 && hexval(s[3]) >= 0) {
                ch = (char)(hexval(s[2]) * 16 + hexval(s[3]));
                if (!ch)
                    return fn_lines_error(r, "\\x00 in a quoted value");
                s += 3;
            } else {
                return fn_lines_error(r, "unknown escape '\\%c'", s[1]);
            }
        }
        *o++ = ch;
    }
    if (*s != q)
        return fn_lines_error(r, "unterminated quoted value");
    *in = s + 1;
    *out = o;
    return 0;
}

int fn_lines_value(fn_lines_t *r, char *s)
{
    if (*s != '"' && *s != '\'')
        return 0;
    char *in = s, *out = s;
    int rc = unquote(r, &in, &out);
    if (rc < 0)
        return rc;
    if (*trim(in))
        return fn_lines_error(r, "text after the closing quote");
    *out = '\0';
    return 0;
}

int fn_lines_word(fn_lines_t *r, char **s, char **word)
{
    char *in = *s;
    while (is_blank(*in))
        in++;
    if (!*in)
        return 0;
    char *start = in, *out = in;
    while (*in && !is_blank(*in)) {
        if (opens_quote(start, in) ||
            (in > start && in[-1] == '=' && (*in == '"' || *in == '\''))) {
            int rc = unquote(r, &in, &out);
            if (rc < 0)
                return rc;
        } else {
            *out++ = *in++;
        }
    }
    char *next = *in ? in + 1 : in;
    *out = '\0';
    *word = start;
    *s = next;
    return 1;
}

int fn_lines_pair(fn_lines_t *r, char *s, char **key, char **value)
{
    char *eq = strchr(s, '=');
    if (!eq)
        return fn_lines_error(r, "expected 'key = value'");
    *eq = '\0';
    *key = trim(s);
    if (!**key)
        return fn_lines_error(r, "missing key before '='");
    *value = trim(eq + 1);
    return fn_lines_value(r, *value);
}

int fn_lines_slurp(const char *path, size_t cap, char **text, size_t *len,
                   char *err, size_t errlen)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int rc = -errno;
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    size_t n = 0, size = 65536;
    char *buf = malloc(size + 1);
    int rc = buf ? 0 : -ENOMEM;
    while (rc == 0) {
        if (n == size) { /* full: grow, or stop one byte past the cap */
            char *b = size > cap ? NULL : realloc(buf, size * 2 + 1);
            rc = size > cap ? -EFBIG : b ? 0 : -ENOMEM;
            if (!b)
                break;
            buf = b;
            size *= 2;
        }
        size_t got = fread(buf + n, 1, size - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (rc == 0 && n > cap)
        rc = -EFBIG;
    if (rc == 0 && ferror(f))
        rc = -EIO;
    fclose(f);
    if (rc < 0) {
        free(buf);
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path,
                     rc == -EFBIG ? "file too large" : strerror(-rc));
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}
