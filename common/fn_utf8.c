/*
 * fn_utf8.c — see fn_utf8.h.
 */
#include "fn_utf8.h"

size_t fn_utf8_seq_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (s[0] < 0x80)
        return 1;
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

int fn_utf8_valid(const void *s, size_t len)
{
    const unsigned char *p = s;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) { /* the common case: plain ASCII */
            i++;
            continue;
        }
        size_t n = fn_utf8_seq_len(p + i, len - i);
        if (!n)
            return 0;
        i += n;
    }
    return 1;
}

int fn_utf8_sanitize(const void *s, size_t len, fn_buf_t *out)
{
    const unsigned char *p = s;
    size_t i = 0, start = 0;
    int rc = fn_buf_append(out, "", 0); /* "" rather than NULL data */
    while (i < len && rc == 0) {
        size_t n = p[i] < 0x80 ? 1 : fn_utf8_seq_len(p + i, len - i);
        if (n) {
            i += n;
            continue;
        }
        rc = fn_buf_append(out, p + start, i - start);
        if (rc == 0)
            rc = fn_buf_append_str(out, FN_UTF8_REPLACEMENT);
        start = ++i;
    }
    return rc ? rc : fn_buf_append(out, p + start, len - start);
}

int fn_utf8_base64(const void *s, size_t len, fn_buf_t *out)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        "0123456789+/";
    const unsigned char *p = s;
    int rc = fn_buf_append(out, "", 0);
    for (size_t i = 0; i < len && rc == 0; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        char q[4] = {tab[v >> 18 & 63], tab[v >> 12 & 63],
                     i + 1 < len ? tab[v >> 6 & 63] : '=',
                     i + 2 < len ? tab[v & 63] : '='};
        rc = fn_buf_append(out, q, 4);
    }
    return rc;
}
