/*
 * vendor_glob.c — the small pattern language of prompt, pager, password
 * and strip_line patterns: '*' (any run of bytes), "{base}" (the learned
 * base prompt, or while learning a run of host name bytes), '\' quoting.
 *
 * Does not: allocate, compile, or search inside a line; a pattern matches
 * a whole (trimmed) line or not at all. Backtracking is bounded by the
 * short subjects the matcher hands in (one prompt-sized line).
 *
 * Thread: any; pure functions.
 */
#include "vendors_int.h"

#include <string.h>

#define BASE_TOKEN     "{base}"
#define BASE_TOKEN_LEN 6

/* Bytes a host name (or user@host) may hold while learning it. */
static int is_host_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '@';
}

static int glob_base(const char *pat, const char *s, const char *e,
                     const char *base, fn__glob_cap_t *cap);

static int glob(const char *pat, const char *s, const char *e, const char *base,
                fn__glob_cap_t *cap)
{
    for (;;) {
        if (*pat == '\0')
            return s == e;
        if (*pat == '*') {
            while (*pat == '*')
                pat++;
            if (*pat == '\0')
                return 1;
            for (const char *t = s; t <= e; t++)
                if (glob(pat, t, e, base, cap))
                    return 1;
            return 0;
        }
        if (*pat == '{' && strncmp(pat, BASE_TOKEN, BASE_TOKEN_LEN) == 0)
            return glob_base(pat + BASE_TOKEN_LEN, s, e, base, cap);
        if (*pat == '\\' && pat[1] != '\0')
            pat++;
        if (s == e || *s != *pat)
            return 0;
        s++;
        pat++;
    }
}

/* "{base}": the literal base once learned, else the longest run of host
 * bytes that lets the rest match (captured). */
static int glob_base(const char *pat, const char *s, const char *e,
                     const char *base, fn__glob_cap_t *cap)
{
    if (base) {
        size_t n = strlen(base);
        if ((size_t)(e - s) < n || memcmp(s, base, n) != 0)
            return 0;
        return glob(pat, s + n, e, base, cap);
    }
    const char *t = s;
    while (t < e && is_host_byte((unsigned char)*t))
        t++;
    for (; t > s; t--) {
        if (glob(pat, t, e, base, cap)) {
            if (cap) {
                cap->p = s;
                cap->n = (size_t)(t - s);
            }
            return 1;
        }
    }
    return 0;
}

int fn__glob_match(const char *pat, const char *s, size_t n, const char *base,
                   fn__glob_cap_t *cap)
{
    return glob(pat, s, s + n, base, cap);
}

int fn__glob_match_line(const char *pat, const char *s, size_t n,
                        size_t trailing_blanks, const char *base,
                        fn__glob_cap_t *cap)
{
    size_t plen = strlen(pat);
    size_t ptrim = plen;
    while (ptrim > 0 && (pat[ptrim - 1] == ' ' || pat[ptrim - 1] == '\t'))
        ptrim--;
    if (ptrim < plen && trailing_blanks == 0)
        return 0;
    if (ptrim == plen)
        return glob(pat, s, s + n, base, cap);
    char tmp[FN__VENDOR_VALUE_MAX + 1];
    if (ptrim >= sizeof(tmp))
        return 0;
    memcpy(tmp, pat, ptrim);
    tmp[ptrim] = '\0';
    return glob(tmp, s, s + n, base, cap);
}

int fn_vendor_glob(const char *pattern, const char *text, size_t len)
{
    return fn__glob_match(pattern, text, len, "", NULL);
}
