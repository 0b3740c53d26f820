/*
 * store_diff.c — line diff in unified format (what `diff -u` prints and
 * `patch` applies), for config backups.
 *
 * Myers' O(ND) greedy algorithm on lines (hashed first), after trimming
 * the common head and tail, keeping each round's V vector to walk the
 * path back. Rounds are capped (DIFF_DMAX): past the cap the unexplored
 * rest becomes one delete+insert block, still a correct patch. Pure: no
 * store, no I/O; any thread; owns only its temporary arrays.
 */
#include "store_int.h"

#include "fn_err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_DMAX 2048 /* rounds kept: 4 * DMAX^2 bytes (16 MB) at worst */

typedef struct line {
    const char *p;
    size_t len; /* with its '\n', if it has one */
    uint32_t h;
} line_t;

typedef struct side {
    line_t *l;
    size_t n;
    uint8_t *changed; /* 1: deleted (old) or inserted (new) */
} side_t;

typedef struct change {
    size_t i0, i1, j0, j1; /* old [i0,i1) becomes new [j0,j1) */
} change_t;

/* ---- lines ------------------------------------------------------------- */

static int split_lines(const char *t, size_t len, side_t *s)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += t[i] == '\n';
    n += len && t[len - 1] != '\n';
    s->n = 0;
    s->l = malloc((n ? n : 1) * sizeof(*s->l));
    s->changed = calloc(n ? n : 1, 1);
    if (!s->l || !s->changed)
        return -ENOMEM;
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(t + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - t) + 1 : len;
        line_t *l = &s->l[s->n++];
        l->p = t + start;
        l->len = end - start;
        uint32_t h = 2166136261u; /* FNV-1a */
        for (size_t i = start; i < end; i++)
            h = (h ^ (uint8_t)t[i]) * 16777619u;
        l->h = h;
        start = end;
    }
    return 0;
}

static int line_eq(const line_t *a, const line_t *b)
{
    return a->h == b->h && a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* ---- Myers ------------------------------------------------------------- */

/* Search state over the middle a[0..n) / b[0..m). */
typedef struct myers {
    const line_t *a, *b;
    long n, m;
    long *v; /* V[k + off] for the current round */
    long off;
    int32_t *trace; /* round d's V[-d..d] at trace[d*d .. d*d+2d] */
} myers_t;

static long snake(const myers_t *s, long x, long y)
{
    while (x < s->n && y < s->m && line_eq(&s->a[x], &s->b[y])) {
        x++;
        y++;
    }
    return x;
}

/* Runs rounds 0..dmax; returns the round that reached (n, m), or -1 with
 * *best_k the diagonal that got furthest in the last round. */
static long myers_search(myers_t *s, long dmax, long *best_k)
{
    long best = -1;
    for (long d = 0; d <= dmax; d++) {
        for (long k = -d; k <= d; k += 2) {
            long x;
            if (k == -d ||
                (k != d && s->v[s->off + k - 1] < s->v[s->off + k + 1]))
                x = s->v[s->off + k + 1];
            else
                x = s->v[s->off + k - 1] + 1;
            x = snake(s, x, x - k);
            s->v[s->off + k] = x;
            s->trace[d * d + d + k] = (int32_t)x;
            if (x >= s->n && x - k >= s->m)
                return d;
            if (d == dmax && 2 * x - k > best) {
                best = 2 * x - k;
                *best_k = k;
            }
        }
    }
    return -1;
}

/* Walks back from (x, x-k) at round d, marking edits in the middle. */
static void myers_back(const myers_t *s, long d, long k, uint8_t *del,
                       uint8_t *ins)
{
    long x = s->trace[d * d + d + k];
    for (; d > 0; d--) {
        const int32_t *pv = &s->trace[(d - 1) * (d - 1) + (d - 1)];
        int down = k == -d || (k != d && pv[k - 1] < pv[k + 1]);
        long pk = down ? k + 1 : k - 1;
        long px = pv[pk], py = px - pk;
        if (down)
            ins[py] = 1; /* moved down: new line py inserted */
        else
            del[px] = 1; /* moved right: old line px deleted */
        k = pk;
        x = px;
    }
    (void)x;
}

static int myers(const line_t *a, long n, const line_t *b, long m, uint8_t *del,
                 uint8_t *ins)
{
    long dmax = n + m < DIFF_DMAX ? n + m : DIFF_DMAX;
    myers_t s = {a, b, n, m, NULL, dmax + 1, NULL};
    s.v = calloc((size_t)(2 * dmax + 3), sizeof(long));
    s.trace =
        malloc((size_t)(dmax + 1) * (size_t)(dmax + 1) * sizeof(*s.trace));
    if (!s.v || !s.trace) {
        free(s.v);
        free(s.trace);
        return -ENOMEM;
    }
    long k = 0, d = myers_search(&s, dmax, &k);
    if (d < 0) { /* too many edits: the rest is one replace block */
        d = dmax;
        long x = s.trace[d * d + d + k];
        for (long i = x; i < n; i++)
            del[i] = 1;
        for (long j = x - k; j < m; j++)
            ins[j] = 1;
    } else {
        k = n - m;
    }
    myers_back(&s, d, k, del, ins);
    free(s.v);
    free(s.trace);
    return 0;
}

/* ---- unified output ---------------------------------------------------- */

typedef struct out {
    fn_buf_t *buf;
    int rc; /* first append error */
} out_t;

static void put(out_t *o, const void *p, size_t len)
{
    int rc = fn_buf_append(o->buf, p, len);
    if (rc && !o->rc)
        o->rc = rc;
}

static void put_line(out_t *o, char mark, const line_t *l)
{
    put(o, &mark, 1);
    put(o, l->p, l->len);
    static const char nonl[] = "\n\\ No newline at end of file\n";
    if (l->len == 0 || l->p[l->len - 1] != '\n')
        put(o, nonl, sizeof(nonl) - 1);
}

static void put_range(out_t *o, size_t start, size_t len)
{
    char tmp[48];
    int n = len == 1 ? snprintf(tmp, sizeof(tmp), "%zu", start + 1)
                     : snprintf(tmp, sizeof(tmp), "%zu,%zu",
                                len ? start + 1 : start, len);
    put(o, tmp, (size_t)n);
}

/* Prints changes c[0..nc) as one hunk with ctx lines around. */
static void put_hunk(out_t *o, const side_t *a, const side_t *b,
                     const change_t *c, size_t nc, size_t ctx)
{
    size_t as = c[0].i0 > ctx ? c[0].i0 - ctx : 0;
    size_t bs = c[0].j0 - (c[0].i0 - as);
    const change_t *z = &c[nc - 1];
    size_t ae = z->i1 + ctx < a->n ? z->i1 + ctx : a->n;
    size_t be = z->j1 + (ae - z->i1);
    put(o, "@@ -", 4);
    put_range(o, as, ae - as);
    put(o, " +", 2);
    put_range(o, bs, be - bs);
    put(o, " @@\n", 4);
    size_t i = as;
    for (size_t h = 0; h < nc; h++) {
        for (; i < c[h].i0; i++)
            put_line(o, ' ', &a->l[i]);
        for (; i < c[h].i1; i++)
            put_line(o, '-', &a->l[i]);
        for (size_t j = c[h].j0; j < c[h].j1; j++)
            put_line(o, '+', &b->l[j]);
    }
    for (; i < ae; i++)
        put_line(o, ' ', &a->l[i]);
}

/* Pairs unchanged lines in order and lists the change blocks. */
static int collect_changes(const side_t *a, const side_t *b, change_t **out,
                           size_t *nout)
{
    size_t i = 0, j = 0, n = 0, cap = 0;
    change_t *c = NULL;
    while (i < a->n || j < b->n) {
        if (i < a->n && j < b->n && !a->changed[i] && !b->changed[j]) {
            i++;
            j++;
            continue;
        }
        change_t ch = {i, i, j, j};
        while (ch.i1 < a->n && a->changed[ch.i1])
            ch.i1++;
        while (ch.j1 < b->n && b->changed[ch.j1])
            ch.j1++;
        if (ch.i1 == i && ch.j1 == j) { /* unpaired line: a bug */
            free(c);
            return FN_EINTERNAL;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            change_t *p = realloc(c, cap * sizeof(*c));
            if (!p) {
                free(c);
                return -ENOMEM;
            }
            c = p;
        }
        c[n++] = ch;
        i = ch.i1;
        j = ch.j1;
    }
    *out = c;
    *nout = n;
    return 0;
}

static int write_unified(const side_t *a, const side_t *b, const char *la,
                         const char *lb, size_t ctx, fn_buf_t *buf)
{
    change_t *c;
    size_t nc;
    int rc = collect_changes(a, b, &c, &nc);
    if (rc || nc == 0)
        return rc;
    out_t o = {buf, 0};
    put(&o, "--- ", 4);
    put(&o, la, strlen(la));
    put(&o, "\n+++ ", 5);
    put(&o, lb, strlen(lb));
    put(&o, "\n", 1);
    for (size_t h = 0; h < nc;) {
        size_t e = h + 1; /* merge changes whose gap fits two contexts */
        while (e < nc && c[e].i0 - c[e - 1].i1 <= 2 * ctx)
            e++;
        put_hunk(&o, a, b, c + h, e - h, ctx);
        h = e;
    }
    free(c);
    return o.rc;
}

static void side_free(side_t *s)
{
    free(s->l);
    free(s->changed);
}

int fn_store_diff(const char *old_text, size_t old_len, const char *new_text,
                  size_t new_len, const char *old_label, const char *new_label,
                  unsigned context, fn_buf_t *out)
{
    if ((!old_text && old_len) || (!new_text && new_len) || !out)
        return FN_EPARSE;
    side_t a = {0}, b = {0};
    int rc = split_lines(old_text, old_len, &a);
    if (rc == 0)
        rc = split_lines(new_text, new_len, &b);
    if (rc == 0) {
        size_t pre = 0, suf = 0;
        while (pre < a.n && pre < b.n && line_eq(&a.l[pre], &b.l[pre]))
            pre++;
        while (suf < a.n - pre && suf < b.n - pre &&
               line_eq(&a.l[a.n - 1 - suf], &b.l[b.n - 1 - suf]))
            suf++;
        rc = myers(a.l + pre, (long)(a.n - pre - suf), b.l + pre,
                   (long)(b.n - pre - suf), a.changed + pre, b.changed + pre);
    }
    if (rc == 0)
        rc = write_unified(&a, &b, old_label ? old_label : "a",
                           new_label ? new_label : "b", context, out);
    side_free(&a);
    side_free(&b);
    return rc;
}
