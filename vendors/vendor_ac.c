/*
 * vendor_ac.c — builds and runs the Aho–Corasick automaton of a profile's
 * error keywords ("error" anywhere in a line, "error_start" at its start).
 *
 * Built once per profile when the registry loads; every matcher of that
 * profile shares it read-only and keeps only a 16-bit state. The automaton
 * is a full DFA over byte classes (bytes no keyword uses share class 0),
 * so running it is one table load per byte, and bytes that cannot leave
 * the root state are skipped without touching the table.
 *
 * Does not: know about lines, chunks or output; the matcher feeds it the
 * cleaned text of each line.
 *
 * Thread: build on one thread; run from any number at once.
 */
#include "vendors_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct ac_kw {
    const char *p;
    size_t n;
    int anchored;
} ac_kw_t;

const char *fn__vendor_keyword(const fn_vendor_t *v, int id)
{
    const fn__strlist_t *e = &v->list[FN__VL_ERROR];
    const fn__strlist_t *s = &v->list[FN__VL_ERROR_START];
    if (id < 0)
        return NULL;
    if ((size_t)id < e->n)
        return e->items[id];
    if ((size_t)id - e->n < s->n)
        return s->items[(size_t)id - e->n];
    return NULL;
}

static size_t ac_keyword_count(const fn_vendor_t *v)
{
    return v->list[FN__VL_ERROR].n + v->list[FN__VL_ERROR_START].n;
}

static ac_kw_t ac_keyword(const fn_vendor_t *v, size_t id)
{
    ac_kw_t k;
    k.p = fn__vendor_keyword(v, (int)id);
    k.n = strlen(k.p);
    k.anchored = id >= v->list[FN__VL_ERROR].n;
    return k;
}

/* Assigns a class to every byte some keyword uses; '\n' stands for the
 * line start of anchored keywords. */
static void ac_classes(fn__ac_t *ac, const fn_vendor_t *v)
{
    uint16_t n = 1;
    memset(ac->cls, 0, sizeof(ac->cls));
    if (v->list[FN__VL_ERROR_START].n)
        ac->cls['\n'] = (uint8_t)n++;
    for (size_t i = 0; i < ac_keyword_count(v); i++) {
        ac_kw_t k = ac_keyword(v, i);
        for (size_t j = 0; j < k.n; j++) {
            unsigned char c = (unsigned char)k.p[j];
            if (!ac->cls[c])
                ac->cls[c] = (uint8_t)n++;
        }
    }
    ac->ncls = n;
}

/* Trie insertion into delta (0 = no edge yet; the root is never a
 * target). Returns the number of states or -E2BIG. */
static int ac_trie(fn__ac_t *ac, const fn_vendor_t *v, size_t cap)
{
    size_t nstates = 1;
    for (size_t i = 0; i < ac_keyword_count(v); i++) {
        ac_kw_t k = ac_keyword(v, i);
        size_t s = 0;
        for (size_t j = 0; j < k.n + (size_t)k.anchored; j++) {
            unsigned char c = k.anchored
                                  ? (j == 0 ? '\n' : (unsigned char)k.p[j - 1])
                                  : (unsigned char)k.p[j];
            uint16_t *d = &ac->delta[s * ac->ncls + ac->cls[c]];
            if (*d == 0) {
                if (nstates >= cap)
                    return -E2BIG;
                ac->match[nstates] = -1;
                *d = (uint16_t)nstates++;
            }
            s = *d;
        }
        if (ac->match[s] < 0)
            ac->match[s] = (int16_t)i;
    }
    return (int)nstates;
}

/* Breadth-first: failure links, then every missing edge resolved through
 * them, so the DFA never follows a failure link at run time. */
static int ac_links(fn__ac_t *ac, size_t nstates)
{
    uint16_t *fail = calloc(nstates, sizeof(*fail));
    uint16_t *queue = malloc(nstates * sizeof(*queue));
    if (!fail || !queue) {
        free(fail);
        free(queue);
        return -ENOMEM;
    }
    size_t head = 0, tail = 0;
    for (size_t c = 0; c < ac->ncls; c++) {
        uint16_t t = ac->delta[c];
        if (t)
            queue[tail++] = t; /* fail[t] = 0 */
    }
    while (head < tail) {
        uint16_t s = queue[head++];
        if (ac->match[s] < 0)
            ac->match[s] = ac->match[fail[s]];
        for (size_t c = 0; c < ac->ncls; c++) {
            uint16_t *d = &ac->delta[(size_t)s * ac->ncls + c];
            uint16_t f = ac->delta[(size_t)fail[s] * ac->ncls + c];
            if (*d) {
                fail[*d] = f;
                queue[tail++] = *d;
            } else {
                *d = f;
            }
        }
    }
    free(fail);
    free(queue);
    return 0;
}

/* Marks edges into keyword-ending states, fills the root skip table. */
static void ac_finish(fn__ac_t *ac, size_t nstates)
{
    for (size_t i = 0; i < nstates * ac->ncls; i++)
        if (ac->match[ac->delta[i]] >= 0)
            ac->delta[i] |= FN__AC_HIT;
    for (size_t b = 0; b < 256; b++)
        ac->go0[b] = ac->delta[ac->cls[b]] != 0;
    ac->line_start = ac->delta[ac->cls['\n']] & ~FN__AC_HIT;
    ac->nstates = (uint16_t)nstates;
}

/* How rare a byte is in device output (0 common .. 5 rare), to pick the
 * part of each keyword that the skip loop looks for. */
static unsigned ac_rarity(unsigned char c)
{
    if (c == ' ')
        return 0;
    if (c >= 'a' && c <= 'z')
        return strchr("etaoinsrlcduh", c) ? 1 : strchr("kxjqz", c) ? 5 : 3;
    if (c >= '0' && c <= '9')
        return 1;
    if (c >= 'A' && c <= 'Z')
        return 4;
    return strchr(".,/:-_", c) ? 2 : 4;
}

/* The offset of the rarest 3 bytes of a keyword (the first weighs most:
 * ac_block tests it alone first; a far offset costs automaton steps). */
static size_t ac_rare_offset(const char *k, size_t n)
{
    size_t best = 0;
    int best_score = -1000;
    for (size_t o = 0; o + 3 <= n; o++) {
        int score = (int)(8 * ac_rarity((unsigned char)k[o]) +
                          2 * ac_rarity((unsigned char)k[o + 1]) +
                          2 * ac_rarity((unsigned char)k[o + 2])) -
                    (int)o;
        if (score > best_score) {
            best_score = score;
            best = o;
        }
    }
    return best;
}

/* One rare 3-byte piece per unanchored keyword (distinct ones, at most
 * FN__AC_PRE_MAX), in the vector form ac_block uses; '\n' never occurs
 * in a line, so unused slots never match. A keyword shorter than 3
 * bytes, or too many pieces, sends the skip to the pair table. */
static void ac_prefixes(fn__ac_t *ac, const fn_vendor_t *v)
{
    ac->npre = ac->nfirst = ac->max_off = 0;
    memset(ac->vfirst, '\n', sizeof(ac->vfirst));
    memset(ac->vpre, '\n', sizeof(ac->vpre));
    for (size_t i = 0; i < ac_keyword_count(v); i++) {
        ac_kw_t k = ac_keyword(v, i);
        if (k.anchored)
            continue;
        if (k.n < 3) {
            ac->npre = FN__AC_PRE_MAX + 1;
            return;
        }
        if (k.n - 1 > ac->tail)
            ac->tail = (uint8_t)(k.n - 1 > 255 ? 255 : k.n - 1);
        size_t o = ac_rare_offset(k.p, k.n), j = 0;
        while (j < ac->npre && memcmp(ac->pre[j], k.p + o, 3) != 0)
            j++;
        if (o > ac->max_off)
            ac->max_off = (uint16_t)o;
        if (j < ac->npre)
            continue;
        if (ac->npre == FN__AC_PRE_MAX) {
            ac->npre++;
            return;
        }
        memcpy(ac->pre[ac->npre], k.p + o, 3);
        for (size_t b = 0; b < 3; b++)
            memset(ac->vpre[ac->npre][b], k.p[o + b], 16);
        if (!memchr(ac->first, k.p[o], ac->nfirst)) {
            memset(ac->vfirst[ac->nfirst], k.p[o], 16);
            ac->first[ac->nfirst++] = (uint8_t)k.p[o];
        }
        ac->npre++;
    }
}

/* First-two-byte table of the unanchored keywords (anchored ones start
 * from the line-start state, never from a skip). */
static void ac_pairs(fn__ac_t *ac, const fn_vendor_t *v)
{
    for (size_t i = 0; i < ac_keyword_count(v); i++) {
        ac_kw_t k = ac_keyword(v, i);
        if (k.anchored)
            continue;
        unsigned b0 = (unsigned char)k.p[0];
        for (unsigned b1 = 0; b1 < 256; b1++) {
            if (k.n >= 2 && b1 != (unsigned char)k.p[1])
                continue;
            unsigned x = b0 << 8 | b1;
            ac->pairs[x >> 3] |= (uint8_t)(1u << (x & 7));
        }
    }
}

int fn__ac_build(fn__ac_t *ac, const fn_vendor_t *v)
{
    memset(ac, 0, sizeof(*ac));
    ac_classes(ac, v);
    size_t cap = 1 + v->list[FN__VL_ERROR_START].n;
    for (size_t i = 0; i < ac_keyword_count(v); i++)
        cap += ac_keyword(v, i).n;
    if (cap > FN__AC_STATES_MAX)
        return -E2BIG;
    ac->delta = calloc(cap * ac->ncls, sizeof(*ac->delta));
    ac->match = malloc(cap * sizeof(*ac->match));
    ac->pairs = calloc(65536 / 8, 1);
    if (!ac->delta || !ac->match || !ac->pairs) {
        fn__ac_free(ac);
        return -ENOMEM;
    }
    ac->match[0] = -1;
    int n = ac_trie(ac, v, cap);
    int rc = n < 0 ? n : ac_links(ac, (size_t)n);
    if (rc < 0) {
        fn__ac_free(ac);
        return rc;
    }
    ac_finish(ac, (size_t)n);
    ac_pairs(ac, v);
    ac_prefixes(ac, v);
    return 0;
}

void fn__ac_free(fn__ac_t *ac)
{
    free(ac->delta);
    free(ac->match);
    free(ac->pairs);
    ac->delta = NULL;
    ac->match = NULL;
    ac->pairs = NULL;
    ac->nstates = 0;
}

/* 16 bytes at a time (GCC/clang vector extension). */
typedef uint8_t ac_v16 __attribute__((vector_size(16)));

/* The first of 16 hit bytes (0xff) in h, or 16. */
static unsigned ac_first_hit(ac_v16 hit)
{
    uint64_t h[2];
    memcpy(h, &hit, 16);
    if (h[0])
        return (unsigned)__builtin_ctzll(h[0]) / 8;
    return h[1] ? 8 + (unsigned)__builtin_ctzll(h[1]) / 8 : 16;
}

static ac_v16 ac_vec(const uint8_t *p)
{
    ac_v16 v;
    memcpy(&v, p, 16);
    return v;
}

/* The first of the 16 positions at p where a keyword's rare piece
 * starts, or 16 (p[0..18) readable). The pieces' first bytes are tested
 * alone first: usually none occurs. */
static unsigned ac_block(const fn__ac_t *ac, const unsigned char *p)
{
    ac_v16 x0 = ac_vec(p), any = {0};
    for (size_t k = 0; k < ac->nfirst; k++)
        any |= (ac_v16)(x0 == ac_vec(ac->vfirst[k]));
    if (ac_first_hit(any) == 16)
        return 16;
    ac_v16 x1 = ac_vec(p + 1), x2 = ac_vec(p + 2), hit = {0};
    for (size_t k = 0; k < ac->npre; k++)
        hit |= (ac_v16)((x0 == ac_vec(ac->vpre[k][0])) &
                        (x1 == ac_vec(ac->vpre[k][1])) &
                        (x2 == ac_vec(ac->vpre[k][2])));
    return ac_first_hit(hit);
}

/* Keywords found by their rare pieces, 16 positions at a time, reading
 * up to FN__AC_PAD bytes past e (see fn__ac_run). A piece at j means a
 * keyword may start at j - max_off or later: the automaton goes on from
 * there (from the root, nothing started before s is in progress). Bytes
 * past e may fake a hit (harmless) or hide the piece of a keyword that
 * goes on in the next call: unless the line ends at e (last), its last
 * bytes are checked exactly. */
static const unsigned char *ac_skip_pieces(const fn__ac_t *ac,
                                           const unsigned char *s,
                                           const unsigned char *e, int last,
                                           const unsigned char **until)
{
    const unsigned char *from = s;
    for (; s < e; s += 16) {
        unsigned at = ac_block(ac, s);
        if (at < 16 && s + at < e) {
            size_t j = (size_t)(s + at - from);
            *until = s + at + 1; /* no skipping before the piece */
            return j > ac->max_off ? from + (j - ac->max_off) : from;
        }
        if (at < 16)
            break;
    }
    if (last)
        return e;
    const unsigned char *t =
        (size_t)(e - from) > ac->tail ? e - ac->tail : from;
    while (t < e && !ac->go0[*t])
        t++;
    return t;
}

/* Many root bytes (lower-case words): skip while the next two bytes
 * cannot start a keyword. Skipping a root byte b is exact: from the root,
 * "b c" with no keyword starting so ends where "c" alone ends. The last
 * byte is kept if it may start a keyword continued in the next call. */
static const unsigned char *ac_skip_pairs(const fn__ac_t *ac,
                                          const unsigned char *s,
                                          const unsigned char *e)
{
    const uint8_t *pairs = ac->pairs;
    while (e - s >= 2) {
        unsigned i = (unsigned)s[0] << 8 | s[1];
        if (pairs[i >> 3] & (1u << (i & 7)))
            return s;
        s++;
    }
    return s < e && !ac->go0[*s] ? e : s;
}

/* Skips bytes that keep the automaton in its root state; *until: the
 * automaton must not skip again before it. */
static const unsigned char *ac_skip(const fn__ac_t *ac, const unsigned char *s,
                                    const unsigned char *e, int last,
                                    const unsigned char **until)
{
    if (ac->npre == 0) /* only anchored keywords: none starts mid-line */
        return e;
    if (ac->npre <= FN__AC_PRE_MAX)
        return ac_skip_pieces(ac, s, e, last, until);
    return ac_skip_pairs(ac, s, e);
}

int fn__ac_run(const fn__ac_t *ac, uint16_t *state, const char *p, size_t n,
               int last)
{
    const unsigned char *s = (const unsigned char *)p;
    const unsigned char *e = s + n, *until = s;
    const uint16_t *delta = ac->delta;
    size_t ncls = ac->ncls;
    uint32_t st = *state;
    if (!delta)
        return -1;
    while (s < e) {
        if (st == 0 && s >= until && (s = ac_skip(ac, s, e, last, &until)) == e)
            break;
        uint32_t d = delta[st * ncls + ac->cls[*s++]];
        st = d & ~FN__AC_HIT;
        if (d & FN__AC_HIT) {
            *state = (uint16_t)st;
            return ac->match[st];
        }
    }
    *state = (uint16_t)st;
    return -1;
}
