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
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
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

/* A pattern split into words once per backup, with an anchor: a literal
 * the line must contain for the pattern to match (most lines hold none,
 * and are passed over with one memmem per pattern). */
#define PAT_WORDS 16

typedef struct pat {
    const char *w[PAT_WORDS];
    size_t nw;
    int anywhere; /* first word "...": may start at any token */
    int kind;     /* 1 reversible/cleartext, 2 hash */
    const char *anchor;
    size_t anchor_len; /* 0: no literal, always try */
} pat_t;

/* Anchor word -> the patterns it anchors (bit i: pattern i), so a line
 * is tried only against patterns one of its tokens anchors: one hash per
 * token instead of a search per pattern (most lines hold no secret). */
#define ANCHOR_SLOTS 128 /* power of two, > 2 x the indexed patterns */
#define ANCHOR_MAX   64  /* patterns indexed; more: every line tries all */

typedef struct anchor_slot {
    const char *w; /* NULL: empty */
    size_t len;
    uint64_t mask;
} anchor_slot_t;

typedef struct pats {
    pat_t *p;
    size_t n;
    char *arena;     /* the words, NUL-separated */
    uint64_t always; /* patterns without an anchor */
    anchor_slot_t slot[ANCHOR_SLOTS];
} pats_t;

static uint32_t anchor_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static anchor_slot_t *anchor_find(pats_t *ps, const char *w, size_t len)
{
    uint32_t i = anchor_hash(w, len) & (ANCHOR_SLOTS - 1);
    while (ps->slot[i].w &&
           (ps->slot[i].len != len || memcmp(ps->slot[i].w, w, len) != 0))
        i = (i + 1) & (ANCHOR_SLOTS - 1);
    return &ps->slot[i];
}

static void anchor_index(pats_t *ps)
{
    for (size_t i = 0; i < ps->n && i < ANCHOR_MAX; i++) {
        const pat_t *pt = &ps->p[i];
        if (!pt->anchor_len) {
            ps->always |= 1ull << i;
            continue;
        }
        anchor_slot_t *sl = anchor_find(ps, pt->anchor, pt->anchor_len);
        sl->w = pt->anchor;
        sl->len = pt->anchor_len;
        sl->mask |= 1ull << i;
    }
}

/* The patterns a line's tokens anchor (all of them past ANCHOR_MAX). */
static uint64_t anchor_candidates(pats_t *ps, const char *s, const tokens_t *t)
{
    if (ps->n > ANCHOR_MAX)
        return ~0ull;
    uint64_t mask = ps->always;
    for (size_t k = 0; k < t->n; k++) {
        const char *tok = s + t->off[k];
        const char *eq = memchr(tok, '=', t->len[k]);
        mask |= anchor_find(ps, tok, t->len[k])->mask;
        if (eq) /* "password=x" is anchored by "password=" */
            mask |= anchor_find(ps, tok, (size_t)(eq - tok) + 1)->mask;
    }
    return mask;
}

static int is_wild(const char *w)
{
    return !strcmp(w, "...") || !strcmp(w, "*") || !strcmp(w, "[N]") ||
           !strcmp(w, "{}");
}

/* Splits the copy of a pattern at q into pt's words; picks its anchor. */
static void pat_split(pat_t *pt, char *q)
{
    pt->nw = 0;
    for (char *w = q; *w && pt->nw < PAT_WORDS;) {
        while (*w == ' ')
            *w++ = '\0';
        if (*w)
            pt->w[pt->nw++] = w;
        while (*w && *w != ' ')
            w++;
    }
    pt->anywhere = pt->nw > 0 && !strcmp(pt->w[0], "...");
    pt->anchor = NULL;
    pt->anchor_len = 0;
    for (size_t i = 0; i < pt->nw && !pt->anchor; i++) {
        size_t wl = strlen(pt->w[i]);
        if (is_wild(pt->w[i]))
            continue;
        pt->anchor = pt->w[i];
        pt->anchor_len =
            wl > 3 && !strcmp(pt->w[i] + wl - 3, "={}") ? wl - 2 : wl;
    }
}

/* Both lists, hashes first (tried in this order). 0 or -ENOMEM. */
static int pats_compile(const fn_vendor_t *v, pats_t *ps)
{
    static const struct {
        int list, kind;
    } order[] = {{FN__VL_SECRET_HASH, 2}, {FN__VL_SECRET, 1}};
    size_t n = 0, bytes = 0;
    for (size_t o = 0; o < 2; o++) {
        const fn__strlist_t *l = &v->list[order[o].list];
        n += l->n;
        for (size_t i = 0; i < l->n; i++)
            bytes += strlen(l->items[i]) + 1;
    }
    ps->n = 0;
    ps->p = malloc((n ? n : 1) * sizeof(*ps->p));
    ps->arena = malloc(bytes ? bytes : 1);
    if (!ps->p || !ps->arena)
        return -ENOMEM;
    char *q = ps->arena;
    for (size_t o = 0; o < 2; o++) {
        const fn__strlist_t *l = &v->list[order[o].list];
        for (size_t i = 0; i < l->n; i++) {
            size_t len = strlen(l->items[i]);
            memcpy(q, l->items[i], len + 1);
            pat_t *pt = &ps->p[ps->n++];
            pat_split(pt, q);
            pt->kind = order[o].kind;
            q += len + 1;
        }
    }
    anchor_index(ps);
    return 0;
}

static void pats_free(pats_t *ps)
{
    free(ps->p);
    free(ps->arena);
}

/* The secret of the line under pattern pt, if it matches. */
static int match_pattern(const pat_t *pt, const char *s, const tokens_t *t,
                         size_t *at, size_t *alen)
{
    size_t first = pt->anywhere ? 1 : 0;
    for (size_t k = 0; k < t->n; k++) {
        *alen = 0;
        if (match_words(pt->w + first, pt->nw - first, s, t, k, at, alen) &&
            *alen)
            return 1;
        if (!pt->anywhere)
            break;
    }
    return 0;
}

/* Which pattern kind holds the line's secret: 1 reversible/cleartext,
 * 2 hash, 0 none. Patterns are tried in order (hashes first). */
static int redact_match(pats_t *ps, const char *s, size_t n, size_t *at,
                        size_t *alen)
{
    tokens_t t;
    tokenize(s, n, &t);
    uint64_t cand = anchor_candidates(ps, s, &t);
    for (size_t i = 0; i < ps->n && cand; i++) {
        if (i < 64 && !(cand >> i & 1u))
            continue;
        if (match_pattern(&ps->p[i], s, &t, at, alen))
            return ps->p[i].kind;
    }
    return 0;
}

/* Appends text with each matching line's secret replaced; unchanged runs
 * of lines go out in one append. */
static int redact_text(pats_t *ps, const char *text, size_t len, int mode,
                       fn_buf_t *out, unsigned *count)
{
    const char *p = text, *e = text + len, *run = text;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *end = nl ? nl + 1 : e;
        size_t n = (size_t)((nl ? nl : e) - p), at = 0, alen = 0;
        if (n > 0 && p[n - 1] == '\r') /* CRLF: the '\r' is no secret */
            n--;
        int kind = redact_match(ps, p, n, &at, &alen);
        if (kind == 1 || (kind == 2 && mode == FN_REDACT_ALL)) {
            int rc = fn_buf_append(out, run, (size_t)(p - run) + at);
            if (rc == 0)
                rc = fn_buf_append_str(out, REDACT_MARK);
            if (rc < 0)
                return rc;
            run = p + at + alen;
            (*count)++;
        }
        p = end;
    }
    return fn_buf_append(out, run, (size_t)(e - run));
}

int fn_vendor_backup_redact(const fn_vendor_t *v, const char *text, size_t len,
                            int mode, fn_buf_t *out, unsigned *nredacted)
{
    unsigned count = 0;
    pats_t ps = {0};
    int rc = mode == FN_REDACT_NONE ? 0 : pats_compile(v, &ps);
    if (rc == 0 && mode != FN_REDACT_NONE)
        rc = redact_text(&ps, text, len, mode, out, &count);
    else if (rc == 0)
        rc = fn_buf_append(out, text, len);
    pats_free(&ps);
    if (nredacted)
        *nredacted = count;
    return rc < 0 ? rc : 0;
}
