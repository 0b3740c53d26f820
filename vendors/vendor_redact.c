/*
 * vendor_redact.c — keeps secrets out of configuration backups, the
 * RANCID / Oxidized way: a profile lists where its configurations hold
 * secrets (lists `secret` and `secret_hash`, data), and every match is
 * replaced by "<removed>" before a backup reaches the store, S3 or gRPC.
 *
 * Pattern language (one configuration line, split into blank-separated
 * tokens; the pattern matches from the first token, the rest of the line
 * is free):
 *   WORD      that token exactly
 *   *         any one token
 *   [N]       an optional token of digits (the "type" of "password 7 …")
 *   {}        the secret: the token is replaced ("…" quotes are kept)
 *   KEY={}    a token starting KEY=: what follows '=' is the secret
 *   ...       (first only) the rest may start at any token of the line
 * `secret_hash` patterns are tried first (the more specific "secret 5 {}"
 * before "secret [N] {}"): their match is a one-way hash, redacted only
 * in mode ALL; a `secret` match (cleartext or reversible: type 0/7, $9$,
 * cipher, communities, keys) is redacted unless the mode is NONE.
 *
 * Does not: parse configuration structure, allocate beyond out's growth.
 * Thread: any; pure function over an immutable profile.
 */
#include "vendors_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define REDACT_TOKENS 64
#define REDACT_MARK   "<removed>"

typedef struct tokens {
    size_t n;
    size_t off[REDACT_TOKENS], len[REDACT_TOKENS];
} tokens_t;

static void tokenize(const char *s, size_t n, tokens_t *t)
{
    size_t i = 0;
    t->n = 0;
    while (i < n && t->n < REDACT_TOKENS) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == n)
            break;
        t->off[t->n] = i;
        if (s[i] == '"') { /* a quoted token runs to its closing quote */
            const char *q = memchr(s + i + 1, '"', n - i - 1);
            i = q ? (size_t)(q - s) + 1 : n;
        }
        while (i < n && s[i] != ' ' && s[i] != '\t')
            i++;
        t->len[t->n] = i - t->off[t->n];
        t->n++;
    }
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return n > 0;
}

/* Matches pattern words pw[0..np) against line tokens from k on. On a
 * match sets *at / *alen to the secret's bytes. */
static int match_words(const char *const *pw, size_t np, const char *s,
                       const tokens_t *t, size_t k, size_t *at, size_t *alen)
{
    for (size_t i = 0; i < np; i++, k++) {
        const char *w = pw[i];
        size_t wl = strlen(w);
        if (strcmp(w, "[N]") == 0) {
            if (k < t->n && all_digits(s + t->off[k], t->len[k]) &&
                match_words(pw + i + 1, np - i - 1, s, t, k + 1, at, alen))
                return 1;
            k--; /* absent: the next word looks at this token */
            continue;
        }
        if (k >= t->n)
            return 0;
        const char *tok = s + t->off[k];
        size_t tl = t->len[k];
        if (strcmp(w, "*") == 0)
            continue;
        if (strcmp(w, "{}") == 0) {
            int quoted = tl >= 2 && tok[0] == '"' && tok[tl - 1] == '"';
            *at = t->off[k] + (size_t)quoted;
            *alen = tl - 2 * (size_t)quoted;
            continue;
        }
        if (wl > 3 && strcmp(w + wl - 3, "={}") == 0) {
            size_t kl = wl - 2; /* "KEY=" */
            if (tl < kl || memcmp(tok, w, kl) != 0)
                return 0;
            *at = t->off[k] + kl;
            *alen = tl - kl;
            continue;
        }
        if (tl != wl || memcmp(tok, w, wl) != 0)
            return 0;
    }
    return 1;
}

/* The secret of line (s, n) under pattern p, if it matches. */
static int match_pattern(const char *p, const char *s, size_t n,
                         const tokens_t *t, size_t *at, size_t *alen)
{
    const char *pw[REDACT_TOKENS];
    size_t np = 0;
    char buf[FN__VENDOR_VALUE_MAX + 1];
    (void)n;
    snprintf(buf, sizeof(buf), "%s", p);
    for (char *w = buf; *w && np < REDACT_TOKENS;) { /* split on blanks */
        while (*w == ' ')
            *w++ = '\0';
        if (*w)
            pw[np++] = w;
        while (*w && *w != ' ')
            w++;
    }
    int anywhere = np > 0 && strcmp(pw[0], "...") == 0;
    size_t first = anywhere ? 1 : 0;
    for (size_t k = 0; k < t->n; k++) {
        *alen = 0;
        if (match_words(pw + first, np - first, s, t, k, at, alen) && *alen)
            return 1;
        if (!anywhere)
            break;
    }
    return 0;
}

/* Which list's pattern holds the line's secret: 1 reversible/cleartext,
 * 2 hash, 0 none. */
static int redact_match(const fn_vendor_t *v, const char *s, size_t n,
                        size_t *at, size_t *alen)
{
    static const struct {
        int list, kind;
    } order[] = {{FN__VL_SECRET_HASH, 2}, {FN__VL_SECRET, 1}};
    tokens_t t;
    tokenize(s, n, &t);
    for (size_t o = 0; o < 2; o++) {
        const fn__strlist_t *l = &v->list[order[o].list];
        for (size_t i = 0; i < l->n; i++)
            if (match_pattern(l->items[i], s, n, &t, at, alen))
                return order[o].kind;
    }
    return 0;
}

int fn_vendor_backup_redact(const fn_vendor_t *v, const char *text, size_t len,
                            int mode, fn_buf_t *out, unsigned *nredacted)
{
    const char *p = text, *e = text + len;
    unsigned count = 0;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *end = nl ? nl + 1 : e;
        size_t n = (size_t)((nl ? nl : e) - p), at = 0, alen = 0;
        int kind =
            mode == FN_REDACT_NONE ? 0 : redact_match(v, p, n, &at, &alen);
        int rc;
        if (kind == 1 || (kind == 2 && mode == FN_REDACT_ALL)) {
            rc = fn_buf_append(out, p, at);
            if (rc == 0)
                rc = fn_buf_append_str(out, REDACT_MARK);
            if (rc == 0)
                rc = fn_buf_append(out, p + at + alen,
                                   (size_t)(end - p) - at - alen);
            count++;
        } else {
            rc = fn_buf_append(out, p, (size_t)(end - p));
        }
        if (rc < 0)
            return rc;
        p = end;
    }
    if (nredacted)
        *nredacted = count;
    return 0;
}
