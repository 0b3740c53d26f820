/*
 * index.c — the ntc-templates `index` file: which template parses which
 * command on which platform, chosen as textfsm's clitable does
 * (IndexTable, CliTable._PreParse / _Completion / GetRowMatch).
 *
 * Reads one file (DIR/index); keeps its rows with compiled regexes. Does
 * not load templates (the caller does, with fn_parse_tpl_load). Thread:
 * any; an index is read-only after fn_parse_index_load.
 */
#include "parse_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_buf.h"
#include "fn_err.h"
#include "fn_str.h"

/* flexnet vendor name -> ntc-templates platform name. Data, not code: a
 * vendor whose names agree needs no row, but listing all says so. */
static const struct {
    const char *vendor, *platform;
} platforms[] = {
    {"cisco_ios", "cisco_ios"},
    {"cisco_nxos", "cisco_nxos"},
    {"cisco_iosxr", "cisco_xr"},
    {"juniper_junos", "juniper_junos"},
    {"arista_eos", "arista_eos"},
    {"huawei_vrp", "huawei_vrp"},
    {"mikrotik_routeros", "mikrotik_routeros"},
    {"linux", "linux"},
};

typedef struct ix_row {
    char *templates;      /* owned; "a.textfsm:b.textfsm" */
    fn_parse_tpl_t *tpl;  /* owned; its first template, once preloaded */
    pcre2_code *platform; /* owned; NULL: matches anything */
    pcre2_code *command;  /* owned; NULL: matches anything */
} ix_row_t;

struct fn_parse_index {
    atomic_int refs; /* references less one */
    char *dir;       /* owned */
    ix_row_t *rows;
    size_t nrows;
};

const char *fn_parse_platform(const char *vendor)
{
    for (size_t i = 0; i < sizeof platforms / sizeof platforms[0]; i++)
        if (strcmp(platforms[i].vendor, vendor) == 0)
            return platforms[i].platform;
    return vendor;
}

/* clitable's _Completion: "sh[[ow]]" -> "sh(o(w)?)?". */
static int completion(fn_buf_t *out, const char *f)
{
    const char *p = f, *o;
    while ((o = strstr(p, "[[")) != NULL) {
        const char *c = strstr(o + 3, "]]"); /* .+? : at least one char */
        if (!c)
            break;
        fn_buf_append(out, p, (size_t)(o - p));
        size_t n = (size_t)(c - o - 2);
        for (size_t i = 0; i < n; i++) {
            fn_buf_append(out, "(", 1);
            fn_buf_append(out, o + 2 + i, 1);
        }
        for (size_t i = 0; i < n; i++)
            fn_buf_append(out, ")?", 2);
        p = c + 2;
    }
    return fn_buf_append_str(out, p);
}

static int field_re(const char *f, int is_command, pcre2_code **re)
{
    fn_buf_t b;
    int err, rc;
    PCRE2_SIZE off;
    *re = NULL;
    if (!*f)
        return 0;
    fn_buf_init(&b, 0);
    rc = is_command ? completion(&b, f) : fn_buf_append_str(&b, f);
    if (rc == 0) {
        *re = pcre2_compile((PCRE2_SPTR)b.data, b.len, PCRE2_ANCHORED, &err,
                            &off, NULL);
        rc = *re ? 0 : FN_ETEMPLATE;
    }
    fn_buf_cleanup(&b);
    return rc;
}

/* Splits line on ',' into at most max stripped fields (in place). */
static size_t split(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        char *c = strchr(p, ',');
        if (c)
            *c = '\0';
        if (n < max)
            f[n] = fn_str_trim(p);
        n++;
        if (!c)
            return n;
        p = c + 1;
    }
}

#define IX_MAX_COLS 16

typedef struct ix_cols {
    size_t n;
    int template, platform, command; /* column indexes, -1: absent */
} ix_cols_t;

static int header(char *line, ix_cols_t *c)
{
    char *f[IX_MAX_COLS];
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    if (!*fn_str_trim(line))
        return 0;
    c->n = split(line, f, IX_MAX_COLS);
    if (c->n > IX_MAX_COLS)
        return FN_ETEMPLATE;
    c->template = c->platform = c->command = -1;
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(f[i], "Template") == 0)
            c->template = (int)i;
        else if (strcmp(f[i], "Platform") == 0)
            c->platform = (int)i;
        else if (strcmp(f[i], "Command") == 0)
            c->command = (int)i;
    }
    return c->template <0 ? FN_ETEMPLATE : 1;
}

static int row_add(fn_parse_index_t *ix, char *line, const ix_cols_t *c)
{
    char *f[IX_MAX_COLS];
    if (line[0] == '#' || split(line, f, IX_MAX_COLS) != c->n)
        return 0; /* clitable drops rows of the wrong width silently */
    ix_row_t *rows = realloc(ix->rows, (ix->nrows + 1) * sizeof *rows);
    if (!rows)
        return -ENOMEM;
    ix->rows = rows;
    ix_row_t *r = &rows[ix->nrows++];
    memset(r, 0, sizeof *r);
    if (!(r->templates = strdup(f[c->template])))
        return -ENOMEM;
    int rc = c->platform >= 0 ? field_re(f[c->platform], 0, &r->platform) : 0;
    if (rc == 0 && c->command >= 0)
        rc = field_re(f[c->command], 1, &r->command);
    return rc;
}

fn_parse_index_t *fn_parse_index_ref(const fn_parse_index_t *ix)
{
    fn_parse_index_t *m = (fn_parse_index_t *)ix;
    if (m)
        atomic_fetch_add(&m->refs, 1);
    return m;
}

void fn_parse_index_free(fn_parse_index_t *ix)
{
    if (!ix || atomic_fetch_sub(&ix->refs, 1) > 0)
        return;
    for (size_t i = 0; i < ix->nrows; i++) {
        free(ix->rows[i].templates);
        fn_parse_tpl_free(ix->rows[i].tpl);
        pcre2_code_free(ix->rows[i].platform);
        pcre2_code_free(ix->rows[i].command);
    }
    free(ix->rows);
    free(ix->dir);
    free(ix);
}

int fn_parse_index_load(const char *dir, fn_parse_index_t **out, char *reason,
                        size_t reason_len)
{
    char path[4096];
    ix_cols_t cols = {0};
    char *line = NULL;
    size_t cap = 0;
    int rc = 0, lineno = 0;
    *out = NULL;
    if (snprintf(path, sizeof path, "%s/index", dir) >= (int)sizeof path)
        return -ENAMETOOLONG;
    FILE *f = fopen(path, "r");
    if (!f) {
        rc = -errno;
        if (reason && reason_len)
            snprintf(reason, reason_len, "%s: %s", path, strerror(-rc));
        return rc;
    }
    fn_parse_index_t *ix = calloc(1, sizeof *ix);
    if (!ix || !(ix->dir = strdup(dir)))
        rc = -ENOMEM;
    while (rc == 0 && getline(&line, &cap, f) > 0) {
        lineno++;
        rc = cols.n ? row_add(ix, line, &cols) : header(line, &cols);
        rc = rc == 1 ? 0 : rc;
    }
    if (rc == 0 && !cols.n)
        rc = FN_ETEMPLATE;
    if (rc == FN_ETEMPLATE && reason && reason_len)
        snprintf(reason, reason_len, "%s:%d: %s", path, lineno,
                 cols.n ? "invalid regular expression"
                        : "no header with a Template column");
    free(line);
    fclose(f);
    if (rc) {
        fn_parse_index_free(ix);
        return rc;
    }
    *out = ix;
    return 0;
}

static int re_ok(pcre2_code *re, const char *s)
{
    if (!re)
        return 1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc =
        md ? pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL) : -1;
    pcre2_match_data_free(md);
    return rc >= 0;
}

/* The first row for platform (NULL: any) and command, or NULL. */
static ix_row_t *row_find(const fn_parse_index_t *ix, const char *platform,
                          const char *command, size_t from)
{
    for (size_t i = from; i < ix->nrows; i++) {
        ix_row_t *r = &ix->rows[i];
        if ((!platform || re_ok(r->platform, platform)) &&
            re_ok(r->command, command))
            return r;
    }
    return NULL;
}

static char *row_path(const fn_parse_index_t *ix, const ix_row_t *r)
{
    size_t n = strcspn(r->templates, ":");
    fn_buf_t b;
    fn_buf_init(&b, 0);
    fn_buf_printf(&b, "%s/%.*s", ix->dir, (int)n, r->templates);
    return fn_buf_steal(&b, NULL);
}

int fn_parse_index_find(const fn_parse_index_t *ix, const char *vendor,
                        const char *command, char **path)
{
    const ix_row_t *r = row_find(ix, fn_parse_platform(vendor), command, 0);
    *path = r ? row_path(ix, r) : NULL;
    return !r ? FN_ENOTFOUND : *path ? 0 : -ENOMEM;
}

int fn_parse_index_preload(fn_parse_index_t *ix, const char *command,
                           char *reason, size_t reason_len)
{
    for (ix_row_t *r = row_find(ix, NULL, command, 0); r;
         r = row_find(ix, NULL, command, (size_t)(r - ix->rows) + 1)) {
        if (r->tpl)
            continue;
        char *path = row_path(ix, r);
        if (!path)
            return -ENOMEM;
        int rc = fn_parse_tpl_load(path, &r->tpl, reason, reason_len);
        free(path);
        if (rc)
            return rc;
    }
    return 0;
}

const fn_parse_tpl_t *fn_parse_index_get(const fn_parse_index_t *ix,
                                         const char *vendor,
                                         const char *command)
{
    const ix_row_t *r = row_find(ix, fn_parse_platform(vendor), command, 0);
    return r ? r->tpl : NULL;
}
