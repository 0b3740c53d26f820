/*
 * vendor_strip.c — drops a profile's volatile lines (backup_strip) from
 * a configuration backup, so identical configurations give identical
 * text: "Current configuration : 2345 bytes", "!Time: ...", a RouterOS
 * export's date line.
 *
 * Also: whether a backup looks like a configuration at all (a line
 * starting with one of the profile's backup_marker patterns).
 *
 * Does not: touch other lines, trim blanks, or allocate anything but
 * out's growth. A pattern matches a line's start ('*' any run of bytes,
 * '\' quoting, the glob of vendor_glob.c).
 *
 * Thread: any; pure function over an immutable profile.
 */
#include "vendors_int.h"

#include <string.h>

/* 1 if the line (s, n; no '\n', no trailing '\r') starts with a
 * pattern of the list. */
static int line_starts_with(const fn__strlist_t *l, const char *s, size_t n)
{
    char pat[FN__VENDOR_VALUE_MAX + 2];
    for (size_t i = 0; i < l->n; i++) {
        size_t plen = strlen(l->items[i]);
        if (plen > FN__VENDOR_VALUE_MAX)
            continue;
        memcpy(pat, l->items[i], plen);
        pat[plen] = '*'; /* a prefix: the rest of the line is free */
        pat[plen + 1] = '\0';
        if (fn__glob_match(pat, s, n, NULL, NULL))
            return 1;
    }
    return 0;
}

int fn_vendor_backup_clean(const fn_vendor_t *v, const char *text, size_t len,
                           fn_buf_t *out)
{
    const fn__strlist_t *l = &v->list[FN__VL_BACKUP_STRIP];
    const char *p = text, *e = text + len;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *end = nl ? nl + 1 : e;
        size_t n = (size_t)((nl ? nl : e) - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (l->n == 0 || !line_starts_with(l, p, n)) {
            int rc = fn_buf_append(out, p, (size_t)(end - p));
            if (rc < 0)
                return rc;
        }
        p = end;
    }
    return 0;
}

int fn_vendor_backup_plausible(const fn_vendor_t *v, const char *text,
                               size_t len)
{
    const fn__strlist_t *l = &v->list[FN__VL_BACKUP_MARKER];
    if (l->n == 0)
        return 1;
    const char *p = text, *e = text + len;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        size_t n = (size_t)((nl ? nl : e) - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (line_starts_with(l, p, n))
            return 1;
        p = nl ? nl + 1 : e;
    }
    return 0;
}
