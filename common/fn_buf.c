/*
 * fn_buf.c — capped growable buffer. See fn_buf.h.
 */
#include "fn_buf.h"
#include "fn_err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fn_buf_init(fn_buf_t *b, size_t max)
{
    memset(b, 0, sizeof(*b));
    b->max = max ? max : SIZE_MAX / 2;
}

void fn_buf_cleanup(fn_buf_t *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->truncated = 0;
}

void fn_buf_reset(fn_buf_t *b)
{
    b->len = 0;
    b->truncated = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int buf_reserve(fn_buf_t *b, size_t need)
{
    if (need + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int fn_buf_append(fn_buf_t *b, const void *ptr, size_t len)
{
    int rc = 0;
    if (b->len + len > b->max) {
        len = b->max - b->len;
        b->truncated = 1;
        rc = FN_EFULL;
    }
    if (buf_reserve(b, b->len + len) < 0)
        return -ENOMEM;
    if (len)
        memcpy(b->data + b->len, ptr, len);
    b->len += len;
    b->data[b->len] = '\0';
    return rc;
}

int fn_buf_append_str(fn_buf_t *b, const char *s)
{
    return fn_buf_append(b, s, strlen(s));
}

int fn_buf_printf(fn_buf_t *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return FN_EINTERNAL;
    if ((size_t)n < sizeof(small))
        return fn_buf_append(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return -ENOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = fn_buf_append(b, big, (size_t)n);
    free(big);
    return rc;
}

char *fn_buf_steal(fn_buf_t *b, size_t *len)
{
    if (!b->data && buf_reserve(b, 0) < 0)
        return NULL;
    char *p = b->data;
    p[b->len] = '\0';
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    b->truncated = 0;
    return p;
}

void fn_memwipe(void *p, size_t len)
{
    if (!p)
        return;
    volatile unsigned char *v = p;
    while (len--)
        *v++ = 0;
}

void fn_buf_wipe(fn_buf_t *b)
{
    if (b->data)
        fn_memwipe(b->data, b->cap);
    fn_buf_reset(b);
}
