/*
 * fsm.c — runs a compiled template over output: the line splitter, the
 * rule loop and the value / record semantics of python3-textfsm 1.1.0
 * (TextFSM._CheckLine, _AppendRecord and the option hooks of
 * TextFSMOptions), kept in the same order because the order is visible
 * (Required before or after List, Fillup writing into earlier records).
 *
 * Does not compile templates (template.c) or read files. Thread: the
 * session's. Owns the session's line buffer, value state and records.
 */
#include "parse_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_buf.h"
#include "fn_err.h"
#include "fn_str.h"

/* A growable string that may be Python's None. */
typedef struct pstr {
    char *s;
    size_t len, cap;
    int set; /* 0: None */
} pstr_t;

/* One Value's state: value.value, Filldown's _myvar, List's _value. */
typedef struct vstate {
    pstr_t cur;
    pstr_t fill;
    fn_parse_val_t *items; /* owned, deep */
    size_t nitems, cap_items;
} vstate_t;

/* Records live in blocks filled front to back and freed together: one
 * malloc per 64 KiB instead of one per cell. */
typedef struct arena_blk {
    struct arena_blk *next;
    size_t used, cap;
    max_align_t data[];
} arena_blk_t;

#define ARENA_BLK (64u * 1024)

struct fn_parse {
    const fn_parse_tpl_t *t;   /* kept */
    arena_blk_t *arena;        /* owned; records, newest block first */
    pcre2_match_data *md;      /* the rule regexes' */
    pcre2_match_data *md_list; /* List items' (while md is being read) */
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit; /* made on the first JIT stack overflow */
    int state;            /* index, or FN__STATE_END / EOF */
    int failed;           /* sticky error code */
    int finished;
    int pending_cr; /* last chunk ended in '\r': a '\n' next is its pair */
    vstate_t *v;
    fn_parse_val_t **rec; /* owned; records of nvalues cells */
    size_t nrec, cap_rec;
    size_t bytes, max_bytes; /* record bytes held, cap */
    char *line;              /* partial line across feeds */
    size_t line_len, line_cap;
    char reason[FN_PARSE_REASON_LEN];
};

/* ---- values -------------------------------------------------------- */

static int pstr_set(pstr_t *p, const char *s, size_t len)
{
    p->set = s != NULL;
    p->len = 0;
    if (!s)
        return 0;
    if (len + 1 > p->cap) {
        size_t cap = p->cap ? p->cap : 32;
        while (cap < len + 1)
            cap *= 2;
        char *n = realloc(p->s, cap);
        if (!n)
            return -ENOMEM;
        p->s = n;
        p->cap = cap;
    }
    memcpy(p->s, s, len);
    p->s[len] = '\0';
    p->len = len;
    return 0;
}

static void *arena_alloc(fn_parse_t *p, size_t n)
{
    arena_blk_t *b = p->arena;
    n = (n + 15) & ~(size_t)15;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLK ? n : ARENA_BLK;
        if (!(b = malloc(sizeof *b + cap)))
            return NULL;
        b->next = p->arena;
        b->used = 0;
        b->cap = cap;
        p->arena = b;
    }
    void *m = (char *)b->data + b->used;
    b->used += n;
    p->bytes += n;
    return m;
}

static void arena_free(fn_parse_t *p)
{
    while (p->arena) {
        arena_blk_t *b = p->arena;
        p->arena = b->next;
        free(b);
    }
}

/* A heap-owned node (a List item being built) and everything in it. */
static void val_free(fn_parse_val_t *v)
{
    if (v->kind == FN_PARSE_STR)
        free((char *)v->str);
    for (size_t i = 0; i < v->n; i++)
        val_free((fn_parse_val_t *)&v->items[i]);
    free((void *)v->items);
    memset(v, 0, sizeof *v);
}

/* A STR (or NULL for s == NULL) node, in the record arena (rec) or on
 * the heap (a List item while it is being built); counts its bytes. */
static int val_str(fn_parse_t *p, fn_parse_val_t *v, const char *s, size_t len,
                   int rec)
{
    memset(v, 0, sizeof *v);
    if (!s)
        return 0;
    char *c = rec ? arena_alloc(p, len + 1) : malloc(len + 1);
    if (!c)
        return -ENOMEM;
    memcpy(c, s, len);
    c[len] = '\0';
    v->kind = FN_PARSE_STR;
    v->str = c;
    v->len = len;
    p->bytes += rec ? 0 : len + 1;
    return 0;
}

/* A deep copy of src into the record arena. */
static int val_copy(fn_parse_t *p, fn_parse_val_t *dst,
                    const fn_parse_val_t *src)
{
    if (src->kind == FN_PARSE_STR || src->kind == FN_PARSE_NULL)
        return val_str(p, dst, src->kind ? src->str : NULL, src->len, 1);
    memset(dst, 0, sizeof *dst);
    dst->kind = src->kind;
    if (!src->n)
        return 0;
    fn_parse_val_t *it = arena_alloc(p, src->n * sizeof *it);
    if (!it)
        return -ENOMEM;
    dst->items = it;
    dst->n = src->n;
    for (size_t i = 0; i < src->n; i++)
        if (val_copy(p, &it[i], &src->items[i]))
            return -ENOMEM;
    return 0;
}

/* List's OnAssignVar: a dict of the Value regex's named groups when it
 * has nested groups and matches, else the string (or None). */
static int list_item(fn_parse_t *p, const fn__parse_value_t *tv,
                     fn_parse_val_t *it, const char *s, size_t len)
{
    if (!s || tv->list_ncap <= 1 || !tv->list_nnames)
        return val_str(p, it, s, len, 0);
    pcre2_match_data *md = p->md_list;
    int rc = pcre2_match(tv->list_re, (PCRE2_SPTR)s, len, 0, 0, md, p->mctx);
    if (rc < 0)
        return val_str(p, it, s, len, 0);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    fn_parse_val_t *kv = calloc(2 * (size_t)tv->list_nnames, sizeof *kv);
    memset(it, 0, sizeof *it);
    it->kind = FN_PARSE_DICT;
    it->items = kv;
    it->n = kv ? 2 * (size_t)tv->list_nnames : 0;
    rc = kv ? 0 : -ENOMEM;
    for (uint32_t k = 0; rc == 0 && k < tv->list_nnames; k++) {
        uint32_t g = tv->list_grp[k];
        rc = val_str(p, &kv[2 * k], tv->list_name[k], strlen(tv->list_name[k]),
                     0);
        if (rc == 0 && ov[2 * g] != PCRE2_UNSET)
            rc = val_str(p, &kv[2 * k + 1], s + ov[2 * g],
                         ov[2 * g + 1] - ov[2 * g], 0);
    }
    return rc;
}

static int list_append(fn_parse_t *p, size_t vi, const char *s, size_t len)
{
    vstate_t *v = &p->v[vi];
    if (v->nitems == v->cap_items) {
        size_t cap = v->cap_items ? 2 * v->cap_items : 8;
        fn_parse_val_t *n = realloc(v->items, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        v->items = n;
        v->cap_items = cap;
    }
    int rc = list_item(p, &p->t->values[vi], &v->items[v->nitems], s, len);
    v->nitems++; /* a partial item is still freed with the list */
    return rc;
}

static void list_clear(fn_parse_t *p, vstate_t *v)
{
    (void)p;
    for (size_t i = 0; i < v->nitems; i++)
        val_free(&v->items[i]);
    v->nitems = 0;
}

static int cell_truthy(const fn_parse_val_t *c)
{
    return c->kind == FN_PARSE_STR ? c->len > 0 : c->n > 0;
}

/* Fillup's OnAssignVar: writes the value up into the earlier records
 * whose cell is empty, stopping at the first that is not. */
static int fillup(fn_parse_t *p, size_t vi, const pstr_t *cur)
{
    if (!cur->set || !cur->len)
        return 0;
    for (size_t r = p->nrec; r-- > 0;) {
        fn_parse_val_t *c = &p->rec[r][vi];
        if (cell_truthy(c))
            break;
        if (val_str(p, c, cur->s, cur->len, 1)) /* the old one stays */
            return -ENOMEM;
    }
    return 0;
}

/* TextFSMValue.AssignVar: value.value = s, then each option's hook. */
static int assign(fn_parse_t *p, size_t vi, const char *s, size_t len)
{
    const fn__parse_value_t *tv = &p->t->values[vi];
    vstate_t *v = &p->v[vi];
    int rc = pstr_set(&v->cur, s, len);
    for (int i = 0; rc == 0 && i < tv->nopts; i++) {
        switch (tv->order[i]) {
        case FN_PARSE_OPT_FILLDOWN:
            rc = pstr_set(&v->fill, v->cur.set ? v->cur.s : NULL, v->cur.len);
            break;
        case FN_PARSE_OPT_FILLUP:
            rc = fillup(p, vi, &v->cur);
            break;
        case FN_PARSE_OPT_LIST:
            rc = list_append(p, vi, s, len);
            break;
        }
    }
    return rc;
}

/* ClearVar (all == 0) and ClearAllVar (all == 1) of every Value. */
static int clear_values(fn_parse_t *p, int all)
{
    int rc = 0;
    for (size_t vi = 0; vi < p->t->nvalues; vi++) {
        const fn__parse_value_t *tv = &p->t->values[vi];
        vstate_t *v = &p->v[vi];
        v->cur.set = 0;
        if ((tv->opts & FN_PARSE_OPT_FILLDOWN) && all)
            v->fill.set = 0;
        else if (tv->opts & FN_PARSE_OPT_FILLDOWN)
            rc |=
                pstr_set(&v->cur, v->fill.set ? v->fill.s : NULL, v->fill.len);
        if ((tv->opts & FN_PARSE_OPT_LIST) &&
            (all || !(tv->opts & FN_PARSE_OPT_FILLDOWN)))
            list_clear(p, v);
    }
    return rc ? -ENOMEM : 0;
}

/* Required's OnSaveRecord: is value.value falsy? It is the list once
 * List's hook ran before it, the string (or None) otherwise. */
static int required_fails(const vstate_t *v, int as_list)
{
    return as_list ? v->nitems == 0 : !v->cur.set || v->cur.len == 0;
}

/* Builds the record's cells (Python's cur_record); *skip set when a
 * Required value is empty or every cell is None or []. */
static int record_build(fn_parse_t *p, fn_parse_val_t *rec, int *skip)
{
    int empty = 1;
    *skip = 0;
    for (size_t vi = 0; vi < p->t->nvalues; vi++) {
        const fn__parse_value_t *tv = &p->t->values[vi];
        const vstate_t *v = &p->v[vi];
        int as_list = 0;
        for (int i = 0; i < tv->nopts; i++) {
            if (tv->order[i] == FN_PARSE_OPT_LIST)
                as_list = 1;
            else if (tv->order[i] == FN_PARSE_OPT_REQUIRED &&
                     required_fails(v, as_list)) {
                *skip = 2; /* SkipRecord: the record is cleared */
                return 0;
            }
        }
        if (as_list) {
            fn_parse_val_t l = {
                .kind = FN_PARSE_LIST, .items = v->items, .n = v->nitems};
            if (val_copy(p, &rec[vi], &l))
                return -ENOMEM;
            empty &= v->nitems == 0;
        } else {
            empty &= !v->cur.set;
            if (val_str(p, &rec[vi], v->cur.set ? v->cur.s : "",
                        v->cur.set ? v->cur.len : 0, 1))
                return -ENOMEM;
        }
    }
    *skip = empty;
    return 0;
}

/* TextFSM._AppendRecord. */
static int record_append(fn_parse_t *p)
{
    size_t nv = p->t->nvalues;
    int skip, rc;
    if (!nv)
        return 0;
    if (p->nrec == p->cap_rec) {
        size_t cap = p->cap_rec ? 2 * p->cap_rec : 16;
        fn_parse_val_t **n = realloc(p->rec, cap * sizeof *n);
        if (!n)
            return -ENOMEM;
        p->rec = n;
        p->cap_rec = cap;
    } /* a skipped record gives its arena bytes back when it used one block */
    arena_blk_t *blk = p->arena;
    size_t used = blk ? blk->used : 0, before = p->bytes;
    fn_parse_val_t *rec = arena_alloc(p, nv * sizeof *rec);
    if (!rec)
        return -ENOMEM;
    memset(rec, 0, nv * sizeof *rec);
    rc = record_build(p, rec, &skip);
    if (rc || skip) {
        if (blk && p->arena == blk) {
            blk->used = used;
            p->bytes = before;
        }
        return rc ? rc : skip == 2 ? clear_values(p, 0) : 0;
    }
    p->rec[p->nrec++] = rec;
    return clear_values(p, 0);
}

/* ---- the rule loop ---------------------------------------------------- */

static int fail(fn_parse_t *p, int code)
{
    p->failed = code;
    if (code == FN_EFULL)
        snprintf(p->reason, sizeof p->reason, "parsed records exceed %zu bytes",
                 p->max_bytes);
    else if (code == -ENOMEM)
        snprintf(p->reason, sizeof p->reason, "out of memory");
    arena_free(p);
    p->nrec = 0;
    p->bytes = 0;
    return code;
}

/* pcre2_match with the session's limits; a limit hit is "no match". */
static int rule_match(fn_parse_t *p, const fn__parse_rule_t *r, const char *l,
                      size_t n)
{
    const pcre2_code *re = r->re;
    unsigned char c0 = n ? (unsigned char)l[0] : 0;
    if (n < r->min_len || (n && !(r->first[c0 >> 3] & (1u << (c0 & 7)))))
        return PCRE2_ERROR_NOMATCH;
    /* the JIT entry skips pcre2_match's option checks: a third faster */
    int rc = r->jit
                 ? pcre2_jit_match(re, (PCRE2_SPTR)l, n, 0, 0, p->md, p->mctx)
                 : pcre2_match(re, (PCRE2_SPTR)l, n, 0, 0, p->md, p->mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && !p->jit) {
        p->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
        if (p->jit) {
            pcre2_jit_stack_assign(p->mctx, NULL, p->jit);
            rc = pcre2_match(re, (PCRE2_SPTR)l, n, 0, 0, p->md, p->mctx);
        }
    }
    return rc;
}

static int rule_error(fn_parse_t *p, const fn__parse_rule_t *r, const char *l,
                      size_t n)
{
    if (r->msg)
        snprintf(p->reason, sizeof p->reason,
                 "Error: %s. Rule Line: %d. Input Line: %.*s.", r->msg, r->line,
                 (int)n, l);
    else
        snprintf(p->reason, sizeof p->reason,
                 "State Error raised. Rule Line: %d. Input Line: %.*s", r->line,
                 (int)n, l);
    return fail(p, FN_EFSM);
}

/* TextFSM._CheckLine. */
static int check_line(fn_parse_t *p, const char *l, size_t n)
{
    const fn__parse_state_t *s = &p->t->states[p->state];
    int rc = 0;
    for (size_t i = 0; i < s->nrules; i++) {
        const fn__parse_rule_t *r = &s->rules[i];
        if (rule_match(p, r, l, n) < 0)
            continue;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
        for (uint32_t g = 0; rc == 0 && g < r->ngrp; g++) {
            uint32_t k = r->grp[g].group;
            rc = ov[2 * k] == PCRE2_UNSET
                     ? assign(p, r->grp[g].value, NULL, 0)
                     : assign(p, r->grp[g].value, l + ov[2 * k],
                              ov[2 * k + 1] - ov[2 * k]);
        }
        if (rc == 0 && r->rop == FN__ROP_RECORD)
            rc = record_append(p);
        else if (rc == 0 && r->rop != FN__ROP_NONE)
            rc = clear_values(p, r->rop == FN__ROP_CLEARALL);
        if (rc)
            return fail(p, rc);
        if (p->bytes > p->max_bytes)
            return fail(p, FN_EFULL);
        if (r->lop == FN__LOP_ERROR)
            return rule_error(p, r, l, n);
        if (r->lop == FN__LOP_CONTINUE)
            continue;
        if (r->next != FN__STATE_SAME)
            p->state = r->next;
        break;
    }
    return 0;
}

/* ---- public --------------------------------------------------------- */

int fn_parse_new(const fn_parse_tpl_t *t, size_t max_bytes, fn_parse_t **out)
{
    fn_parse_t *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p)
        return -ENOMEM;
    p->t = t;
    p->state = t->start;
    p->max_bytes = max_bytes ? max_bytes : FN_PARSE_MAX_BYTES;
    p->md = pcre2_match_data_create(t->max_cap + 1, NULL);
    p->md_list = pcre2_match_data_create(t->max_cap + 1, NULL);
    p->mctx = pcre2_match_context_create(NULL);
    p->v = calloc(t->nvalues ? t->nvalues : 1, sizeof *p->v);
    if (!p->md || !p->md_list || !p->mctx || !p->v) {
        fn_parse_free(p);
        return -ENOMEM;
    }
    pcre2_set_match_limit(p->mctx, FN__PARSE_MATCH_LIMIT);
    *out = p;
    return 0;
}

void fn_parse_free(fn_parse_t *p)
{
    if (!p)
        return;
    arena_free(p);
    free(p->rec);
    for (size_t i = 0; p->v && i < p->t->nvalues; i++) {
        list_clear(p, &p->v[i]);
        free(p->v[i].items);
        free(p->v[i].cur.s);
        free(p->v[i].fill.s);
    }
    free(p->v);
    free(p->line);
    pcre2_match_data_free(p->md);
    pcre2_match_data_free(p->md_list);
    pcre2_match_context_free(p->mctx);
    pcre2_jit_stack_free(p->jit);
    free(p);
}

int fn_parse_line(fn_parse_t *p, const char *line, size_t len)
{
    if (p->failed)
        return p->failed;
    if (p->finished)
        return FN_ESTATE;
    if (p->state < 0) /* End or EOF: the rest of the input is ignored */
        return 0;
    return check_line(p, line, len);
}

/* Byte classes of str.splitlines(): 1 ends a line, 2 may end one as the
 * last byte of U+0085 (C2 85) or U+2028 / U+2029 (E2 80 A8 / A9). */
static const unsigned char line_class[256] = {
    ['\n'] = 1, ['\r'] = 1, ['\v'] = 1, ['\f'] = 1, [0x1c] = 1,
    [0x1d] = 1, [0x1e] = 1, [0x85] = 2, [0xa8] = 2, [0xa9] = 2,
};

static int line_keep(fn_parse_t *p, const char *s, size_t n)
{
    if (p->line_len + n > FN_PARSE_MAX_LINE) /* cut: the cap is the line */
        n = FN_PARSE_MAX_LINE - p->line_len;
    if (p->line_len + n + 1 > p->line_cap) {
        size_t cap = p->line_cap ? p->line_cap : 256;
        while (cap < p->line_len + n + 1)
            cap *= 2;
        char *l = realloc(p->line, cap);
        if (!l)
            return fail(p, -ENOMEM);
        p->line = l;
        p->line_cap = cap;
    }
    memcpy(p->line + p->line_len, s, n);
    p->line_len += n;
    return 0;
}

/* Ends the line at data[start, i) (plus any kept partial), dropping the
 * `drop` bytes of a multi-byte terminator already before data[i]. */
static int line_end(fn_parse_t *p, const char *data, size_t start, size_t i,
                    size_t drop)
{
    if (!p->line_len && i - start >= drop) /* whole line in this chunk */
        return fn_parse_line(p, data + start, i - start - drop);
    if (line_keep(p, data + start, i - start))
        return p->failed;
    p->line_len -= drop <= p->line_len ? drop : p->line_len;
    int rc = fn_parse_line(p, p->line, p->line_len);
    p->line_len = 0;
    return rc;
}

/* Bytes of a multi-byte terminator before data[i] (class 2), else 0. */
static size_t u_term(const fn_parse_t *p, const char *data, size_t start,
                     size_t i)
{
    unsigned char c = (unsigned char)data[i], b[2] = {0, 0};
    size_t have = 0;
    for (size_t k = i; k > start && have < 2; k--)
        b[1 - have++] = (unsigned char)data[k - 1];
    for (size_t k = p->line_len; have < 2 && k > 0; k--)
        b[1 - have++] = (unsigned char)p->line[k - 1];
    if (c == 0x85)
        return b[1] == 0xc2 ? 1 : 0;
    return b[0] == 0xe2 && b[1] == 0x80 && have == 2 ? 2 : 0;
}

int fn_parse_feed(fn_parse_t *p, const char *data, size_t len)
{
    size_t start = 0;
    if (p->failed || p->finished)
        return p->failed ? p->failed : FN_ESTATE;
    if (!len)
        return 0;
    if (p->pending_cr && len && data[0] == '\n')
        start = 1;
    p->pending_cr = 0;
    for (size_t i = start; i < len; i++) {
        /* eight plain ASCII bytes (0x20..0x7f) at a time: no terminator */
        while (i + 8 <= len) {
            uint64_t x;
            memcpy(&x, data + i, 8);
            if (((x - 0x2020202020202020ull) | x) & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned cls = line_class[(unsigned char)data[i]];
        size_t drop = 0;
        if (!cls || (cls == 2 && !(drop = u_term(p, data, start, i))))
            continue;
        int rc = line_end(p, data, start, i, drop);
        if (rc)
            return rc;
        if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
            i++;
        else if (data[i] == '\r' && i + 1 == len)
            p->pending_cr = 1;
        start = i + 1;
    }
    if (start < len && line_keep(p, data + start, len - start))
        return p->failed;
    return 0;
}

int fn_parse_finish(fn_parse_t *p)
{
    int rc = 0;
    if (p->failed)
        return p->failed;
    if (p->finished)
        return FN_ESTATE;
    if (p->line_len) {
        rc = fn_parse_line(p, p->line, p->line_len);
        p->line_len = 0;
        if (rc)
            return rc;
    }
    p->finished = 1;
    if (p->state != FN__STATE_END && !p->t->eof_declared &&
        (rc = record_append(p)) != 0)
        return fail(p, rc);
    return p->bytes > p->max_bytes ? fail(p, FN_EFULL) : 0;
}

const fn_parse_tpl_t *fn_parse_template(const fn_parse_t *p)
{
    return p->t;
}

const char *fn_parse_reason(const fn_parse_t *p)
{
    return p->reason;
}

size_t fn_parse_nrecords(const fn_parse_t *p)
{
    return p->nrec;
}

const fn_parse_val_t *fn_parse_record(const fn_parse_t *p, size_t i)
{
    return i < p->nrec ? p->rec[i] : NULL;
}

size_t fn_parse_mem(const fn_parse_t *p)
{
    size_t m = sizeof *p + p->bytes + p->line_cap +
               p->cap_rec * sizeof *p->rec + p->t->nvalues * sizeof *p->v +
               (p->t->max_cap + 1) * 16;
    for (size_t i = 0; i < p->t->nvalues; i++)
        m += p->v[i].cur.cap + p->v[i].fill.cap +
             p->v[i].cap_items * sizeof(fn_parse_val_t);
    return m;
}

int fn_parse_json_val(fn_buf_t *b, const fn_parse_val_t *v)
{
    int rc = 0;
    switch (v->kind) {
    case FN_PARSE_STR:
        return fn_str_json_escape(b, v->str, v->len);
    case FN_PARSE_LIST:
    case FN_PARSE_DICT:
        rc = fn_buf_append_str(b, v->kind == FN_PARSE_LIST ? "[" : "{");
        for (size_t i = 0; rc == 0 && i < v->n; i++) {
            if (i)
                rc = fn_buf_append_str(
                    b, v->kind == FN_PARSE_DICT && (i & 1) ? ": " : ", ");
            if (rc == 0)
                rc = fn_parse_json_val(b, &v->items[i]);
        }
        return rc ? rc
                  : fn_buf_append_str(b, v->kind == FN_PARSE_LIST ? "]" : "}");
    default:
        return fn_buf_append_str(b, "null");
    }
}

int fn_parse_json(const fn_parse_t *p, fn_buf_t *b)
{
    int rc = fn_buf_append_str(b, "[");
    for (size_t r = 0; rc == 0 && r < p->nrec; r++) {
        rc = fn_buf_append_str(b, r ? ", {" : "{");
        for (size_t i = 0; rc == 0 && i < p->t->nvalues; i++) {
            const char *nm = p->t->values[i].name;
            if (i)
                rc = fn_buf_append_str(b, ", ");
            if (rc == 0)
                rc = fn_str_json_escape(b, nm, strlen(nm));
            if (rc == 0)
                rc = fn_buf_append_str(b, ": ");
            if (rc == 0)
                rc = fn_parse_json_val(b, &p->rec[r][i]);
        }
        if (rc == 0)
            rc = fn_buf_append_str(b, "}");
    }
    return rc ? rc : fn_buf_append_str(b, "]");
}
