/*
 * vendor.c — the profile registry: built-ins plus a directory's profile
 * files, the profile file parser and printer, and the accessors.
 *
 * One field table (FN__VENDOR_STRS / FN__VENDOR_LISTS) drives parsing,
 * printing and the built-in data, so print -> parse gives back the same
 * profile. Every profile gets its keyword automaton built here, once.
 *
 * Does not: log, or read anything but NAME.profile files of the one
 * directory it is given.
 * Thread: fn_vendors_new on one thread; the registry is read-only after.
 * Owns: every profile and every string in it.
 */
#include "fn_vendor.h"
#include "fn_err.h"
#include "vendors_int.h"
#include "fn_lines.h"

#include "fn_str.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fn_vendors {
    fn_vendor_t **v; /* owned */
    size_t n;
};

/* Where a parse is, for "file:line: what" messages. */
typedef struct parse_ctx {
    const char *file;
    size_t line;
    char *err;
    size_t errlen;
    unsigned seen; /* list fields set in this source (first one replaces) */
} parse_ctx_t;

static const char *const str_keys[] = {
#define FN__X(e, k) k,
    FN__VENDOR_STRS(FN__X)
#undef FN__X
};

static const char *const list_keys[] = {
#define FN__X(e, k) k,
    FN__VENDOR_LISTS(FN__X)
#undef FN__X
};

static const struct {
    const char *name;
    unsigned bit;
} clean_rules[] = {
    {"echo", FN__CLEAN_ECHO},
    {"caret", FN__CLEAN_CARET},
};

static int perr(parse_ctx_t *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int perr(parse_ctx_t *c, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        int n = snprintf(c->err, c->errlen, "%s:%zu: ", c->file, c->line);
        if (n >= 0 && (size_t)n < c->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return FN_EPARSE;
}

/* ---- profile memory ---------------------------------------------------- */

static void list_clear(fn__strlist_t *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static int list_push(fn__strlist_t *l, const char *s)
{
    char *d = strdup(s);
    char **items = d ? realloc(l->items, (l->n + 1) * sizeof(*items)) : NULL;
    if (!items) {
        free(d);
        return -ENOMEM;
    }
    items[l->n++] = d;
    l->items = items;
    return 0;
}

static void vendor_free(fn_vendor_t *v)
{
    if (!v)
        return;
    free(v->name);
    free(v->source);
    for (size_t i = 0; i < FN__VS_COUNT; i++)
        free(v->str[i]);
    for (size_t i = 0; i < FN__VL_COUNT; i++)
        list_clear(&v->list[i]);
    list_clear(&v->save_q);
    free(v->save_a);
    fn__ac_free(&v->ac);
    free(v);
}

static int set_str(fn_vendor_t *v, size_t idx, const char *s)
{
    char *d = NULL;
    if (s && *s && !(d = strdup(s)))
        return -ENOMEM;
    free(v->str[idx]);
    v->str[idx] = d;
    return 0;
}

static int vendor_copy(fn_vendor_t *dst, const fn_vendor_t *src)
{
    for (size_t i = 0; i < FN__VS_COUNT; i++)
        if (set_str(dst, i, src->str[i]) < 0)
            return -ENOMEM;
    for (size_t i = 0; i < FN__VL_COUNT; i++) {
        list_clear(&dst->list[i]);
        for (size_t j = 0; j < src->list[i].n; j++)
            if (list_push(&dst->list[i], src->list[i].items[j]) < 0)
                return -ENOMEM;
    }
    return 0;
}

/* A fresh profile holding the defaults every profile starts from. */
static fn_vendor_t *vendor_new(const char *name, const char *source)
{
    fn_vendor_t *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->name = strdup(name);
    v->source = strdup(source);
    if (!v->name || !v->source || set_str(v, FN__VS_PAGER_ANSWER, " ") ||
        set_str(v, FN__VS_CARET_ERROR, "no") ||
        list_push(&v->list[FN__VL_PASSWORD], "*assword:") ||
        list_push(&v->list[FN__VL_CLEAN], "echo") ||
        list_push(&v->list[FN__VL_CLEAN], "caret")) {
        vendor_free(v);
        return NULL;
    }
    return v;
}

/* ---- one key = value ----------------------------------------------------- */

static int key_index(const char *const *keys, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i], key) == 0)
            return (int)i;
    return -1;
}

static int check_value(parse_ctx_t *c, const char *key, const char *val)
{
    if (strlen(val) > FN__VENDOR_VALUE_MAX)
        return perr(c, "value of '%s' longer than %d bytes", key,
                    FN__VENDOR_VALUE_MAX);
    if (strcmp(key, "caret_error") == 0 && strcmp(val, "yes") != 0 &&
        strcmp(val, "no") != 0)
        return perr(c, "caret_error must be 'yes' or 'no', not '%s'", val);
    if (strcmp(key, "clean") == 0 && *val) {
        size_t n = sizeof(clean_rules) / sizeof(clean_rules[0]);
        size_t i = 0;
        while (i < n && strcmp(clean_rules[i].name, val) != 0)
            i++;
        if (i == n)
            return perr(c, "unknown clean rule '%s' (echo, caret)", val);
    }
    if (strncmp(key, "error", 5) == 0)
        for (const char *p = val; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return perr(c, "control byte in error keyword");
    return 0;
}

/* Whole-line patterns match lines with blanks trimmed: trim them too
 * (into tmp, FN__VENDOR_VALUE_MAX + 1 bytes; val is checked shorter). */
static const char *trim_pattern(const char *val, char *tmp)
{
    val += strspn(val, " \t");
    size_t n = strlen(val);
    while (n > 0 && (val[n - 1] == ' ' || val[n - 1] == '\t'))
        n--;
    memcpy(tmp, val, n);
    tmp[n] = '\0';
    return tmp;
}

/* Applies one key = value (append: key += value). An empty value unsets
 * a string and empties a list; the first "=" item of a list in a source
 * replaces the inherited list, "+=" always appends. */
static int vendor_set(fn_vendor_t *v, parse_ctx_t *c, const char *key,
                      const char *val, int append)
{
    int rc = check_value(c, key, val);
    if (rc < 0)
        return rc;
    int i = key_index(str_keys, FN__VS_COUNT, key);
    if (i >= 0 && append)
        return perr(c, "'+=' only applies to lists, not '%s'", key);
    if (i >= 0)
        return set_str(v, (size_t)i, val);
    i = key_index(list_keys, FN__VL_COUNT, key);
    if (i < 0)
        return perr(c, "unknown key '%s'", key);
    fn__strlist_t *l = &v->list[i];
    char tmp[FN__VENDOR_VALUE_MAX + 1];
    if (i == FN__VL_PAGER || i == FN__VL_STRIP_LINE || i == FN__VL_PASSWORD)
        val = trim_pattern(val, tmp);
    if (append && !*val)
        return perr(c, "'%s +=' needs a value", key);
    if ((!append && !(c->seen & (1u << i))) || !*val)
        list_clear(l);
    c->seen |= 1u << i;
    if (!*val)
        return 0;
    if (l->n >= FN__VENDOR_LIST_MAX)
        return perr(c, "more than %d '%s' entries", FN__VENDOR_LIST_MAX, key);
    return list_push(l, val);
}

/* ---- profile file text -----------------------------------------------------
 */

/* Splits one line (comments, quotes and blanks already handled by the
 * common line reader) into key and value. Returns 0 for key = value, 2
 * for key += value, or FN_EPARSE. */
static int split_line(parse_ctx_t *c, fn_lines_t *r, char *s, char **key,
                      char **val)
{
    char *eq = strchr(s, '=');
    int append = eq && eq > s && eq[-1] == '+';
    if (append)
        eq[-1] = ' ';
    int rc = fn_lines_pair(r, s, key, val);
    if (rc < 0)
        return rc;
    size_t kl = strlen(*key);
    if (kl >= 32)
        return perr(c, "missing or overlong key");
    for (const char *k = *key; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || *k == '_'))
            return perr(c, "bad key '%s'", *key);
    return append ? 2 : 0;
}

static const fn__builtin_t *builtin_find(const char *name)
{
    for (size_t i = 0; i < fn__vendor_builtin_count; i++)
        if (strcmp(fn__vendor_builtins[i].name, name) == 0)
            return &fn__vendor_builtins[i];
    return NULL;
}

static fn_vendor_t *builtin_load(const fn__builtin_t *b, char *err,
                                 size_t errlen);

/* "inherit = NAME" (first key only): start from that built-in. */
static int vendor_inherit(fn_vendor_t *v, parse_ctx_t *c, const char *name)
{
    const fn__builtin_t *b = builtin_find(name);
    if (!b)
        return perr(c, "inherit: no built-in profile '%s'", name);
    fn_vendor_t *base = builtin_load(b, c->err, c->errlen);
    if (!base)
        return -ENOMEM;
    int rc = vendor_copy(v, base);
    vendor_free(base);
    return rc;
}

/* Parses a whole profile text into v (which holds the defaults). */
static int vendor_parse(fn_vendor_t *v, parse_ctx_t *c, const char *text,
                        size_t len)
{
    fn_lines_t *r = malloc(sizeof(*r));
    if (!r)
        return -ENOMEM;
    fn_lines_init(r, text, len, c->file, c->err, c->errlen);
    int nkeys = 0, rc;
    char *s, *key, *val;
    while ((rc = fn_lines_next(r, &s)) == 1) {
        c->line = (size_t)r->line;
        rc = split_line(c, r, s, &key, &val);
        if (rc >= 0 && strcmp(key, "inherit") == 0)
            rc = nkeys || rc == 2 ? perr(c, "inherit must be the first key")
                                  : vendor_inherit(v, c, val);
        else if (rc >= 0)
            rc = vendor_set(v, c, key, val, rc == 2);
        if (rc < 0)
            break;
        nkeys++;
    }
    free(r);
    return rc < 0 ? rc : 0;
}

/* Marks in `tab` which bytes may start (last = 0) or end (last = 1) a
 * line that a pattern of list `l` matches; wildcards there allow all. */
static void line_table(uint8_t *tab, const fn__strlist_t *l, unsigned bit,
                       int last)
{
    for (size_t i = 0; i < l->n; i++) {
        const char *p = l->items[i];
        size_t n = strlen(p);
        unsigned char c = (unsigned char)(last ? p[n - 1] : p[0]);
        int base = last ? n >= 6 && strcmp(p + n - 6, "{base}") == 0
                        : strncmp(p, "{base}", 6) == 0;
        int wild = c == '*' || c == '\\' || base ||
                   (last && n > 1 && p[n - 2] == '\\');
        for (size_t b = 0; b < 256; b++)
            if (wild || b == c)
                tab[b] |= (uint8_t)bit;
    }
}

static void line_tables(fn_vendor_t *v)
{
    static const struct {
        int list;
        unsigned bit;
    } t[] = {{FN__VL_STRIP_LINE, FN__LINE_STRIP},
             {FN__VL_PAGER, FN__LINE_PAGER},
             {FN__VL_PASSWORD, FN__LINE_PASSWORD}};
    memset(v->line_first, 0, sizeof(v->line_first));
    memset(v->line_last, 0, sizeof(v->line_last));
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        line_table(v->line_first, &v->list[t[i].list], t[i].bit, 0);
        line_table(v->line_last, &v->list[t[i].list], t[i].bit, 1);
    }
}

/* save_expect "QUESTION => ANSWER" items as questions and answers. */
static int vendor_save_split(fn_vendor_t *v, parse_ctx_t *c)
{
    const fn__strlist_t *l = &v->list[FN__VL_SAVE_EXPECT];
    list_clear(&v->save_q);
    free(v->save_a);
    v->save_a = l->n ? calloc(l->n, sizeof(*v->save_a)) : NULL;
    if (l->n && !v->save_a)
        return -ENOMEM;
    for (size_t i = 0; i < l->n; i++) {
        const char *arrow = strstr(l->items[i], "=>");
        if (!arrow) {
            c->line = 0;
            return perr(c, "save_expect '%s': expected QUESTION => ANSWER",
                        l->items[i]);
        }
        size_t qn = (size_t)(arrow - l->items[i]);
        while (qn > 0 && l->items[i][qn - 1] == ' ')
            qn--;
        char q[FN__VENDOR_VALUE_MAX + 1];
        memcpy(q, l->items[i], qn);
        q[qn] = '\0';
        int rc = list_push(&v->save_q, q);
        if (rc < 0)
            return rc;
        v->save_a[i] = arrow + 2 + (arrow[2] == ' ');
    }
    return 0;
}

/* Derived fields, checks that need the whole profile, the automaton. */
static int vendor_finish(fn_vendor_t *v, parse_ctx_t *c)
{
    int src = vendor_save_split(v, c);
    if (src < 0)
        return src;
    v->clean = 0;
    for (size_t i = 0; i < v->list[FN__VL_CLEAN].n; i++)
        for (size_t j = 0; j < sizeof(clean_rules) / sizeof(*clean_rules); j++)
            if (strcmp(v->list[FN__VL_CLEAN].items[i], clean_rules[j].name) ==
                0)
                v->clean |= clean_rules[j].bit;
    v->caret_error = v->str[FN__VS_CARET_ERROR] &&
                     strcmp(v->str[FN__VS_CARET_ERROR], "yes") == 0;
    line_tables(v);
    if (!v->list[FN__VL_PROMPT_USER].n && !v->list[FN__VL_PROMPT_PRIV].n &&
        !v->list[FN__VL_PROMPT_CONFIG].n) {
        c->line = 0;
        return perr(c,
                    "profile '%s' has no prompt_user/prompt_priv/"
                    "prompt_config pattern",
                    v->name);
    }
    fn__ac_free(&v->ac);
    int rc = fn__ac_build(&v->ac, v);
    if (rc == -E2BIG) {
        c->line = 0;
        return perr(c, "error keywords too long in total (max %d bytes)",
                    FN__AC_STATES_MAX);
    }
    return rc;
}

static fn_vendor_t *builtin_load(const fn__builtin_t *b, char *err,
                                 size_t errlen)
{
    parse_ctx_t c = {"builtin", 0, err, errlen, 0};
    fn_vendor_t *v = vendor_new(b->name, "builtin");
    if (!v)
        return NULL;
    for (const char *const *kv = b->kv; *kv; kv += 2, c.line++)
        if (vendor_set(v, &c, kv[0], kv[1], 0) < 0) {
            vendor_free(v);
            return NULL;
        }
    return v;
}

/* ---- directory ------------------------------------------------------------
 */

static int valid_name(const char *s, size_t n)
{
    if (n == 0 || n > FN__VENDOR_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

static int read_file(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    char *buf = malloc(FN__VENDOR_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, FN__VENDOR_FILE_MAX + 1, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (!buf)
        return -ENOMEM;
    if (bad || n > FN__VENDOR_FILE_MAX) {
        free(buf);
        return bad ? -EIO : -EFBIG;
    }
    *text = buf;
    *len = n;
    return 0;
}

static int registry_put(fn_vendors_t *vs, fn_vendor_t *v)
{
    for (size_t i = 0; i < vs->n; i++) {
        if (strcmp(vs->v[i]->name, v->name) == 0) {
            vendor_free(vs->v[i]);
            vs->v[i] = v;
            return 0;
        }
    }
    fn_vendor_t **a = realloc(vs->v, (vs->n + 1) * sizeof(*a));
    if (!a)
        return -ENOMEM;
    a[vs->n++] = v;
    vs->v = a;
    return 0;
}

static int load_file(fn_vendors_t *vs, const char *path, const char *name,
                     char *err, size_t errlen)
{
    parse_ctx_t c = {path, 0, err, errlen, 0};
    char *text = NULL;
    size_t len = 0;
    int rc = read_file(path, &text, &len);
    if (rc < 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, fn_strerror(rc));
        return rc;
    }
    fn_vendor_t *v = vendor_new(name, path);
    rc = v ? vendor_parse(v, &c, text, len) : -ENOMEM;
    free(text);
    if (rc == 0)
        rc = vendor_finish(v, &c);
    if (rc == 0)
        rc = registry_put(vs, v);
    if (rc < 0)
        vendor_free(v);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Profile file names of dir, sorted (load order decides nothing, but a
 * stable order gives stable error messages). */
static int list_dir(const char *dir, fn__strlist_t *names)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 8 && strcmp(de->d_name + n - 8, ".profile") == 0)
            rc = list_push(names, de->d_name);
    }
    closedir(d);
    if (rc == 0 && names->n)
        qsort(names->items, names->n, sizeof(char *), name_cmp);
    return rc;
}

static int load_dir(fn_vendors_t *vs, const char *dir, char *err, size_t errlen)
{
    fn__strlist_t names = {0};
    int rc = list_dir(dir, &names);
    if (rc < 0 && err && errlen)
        snprintf(err, errlen, "%s: %s", dir, fn_strerror(rc));
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        const char *f = names.items[i];
        size_t n = strlen(f) - 8;
        char path[4096];
        int pn = snprintf(path, sizeof(path), "%s/%s", dir, f);
        if (pn < 0 || (size_t)pn >= sizeof(path)) {
            rc = -ENAMETOOLONG;
        } else if (!valid_name(f, n)) {
            parse_ctx_t c = {path, 0, err, errlen, 0};
            rc = perr(&c, "bad profile name (letters, digits, _ and -)");
        } else {
            char name[FN__VENDOR_NAME_MAX + 1];
            memcpy(name, f, n);
            name[n] = '\0';
            rc = load_file(vs, path, name, err, errlen);
        }
    }
    list_clear(&names);
    return rc;
}

/* ---- public
 * ------------------------------------------------------------------ */

int fn_vendors_new(fn_vendors_t **out, const char *dir, char *err,
                   size_t errlen)
{
    fn_vendors_t *vs = calloc(1, sizeof(*vs));
    if (!vs)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < fn__vendor_builtin_count; i++) {
        parse_ctx_t c = {"builtin", 0, err, errlen, 0};
        fn_vendor_t *v = builtin_load(&fn__vendor_builtins[i], err, errlen);
        rc = v ? vendor_finish(v, &c) : -ENOMEM;
        if (rc == 0)
            rc = registry_put(vs, v);
        else
            vendor_free(v);
    }
    if (rc == 0 && dir)
        rc = load_dir(vs, dir, err, errlen);
    if (rc < 0) {
        fn_vendors_free(vs);
        return rc;
    }
    *out = vs;
    return 0;
}

void fn_vendors_free(fn_vendors_t *vs)
{
    if (!vs)
        return;
    for (size_t i = 0; i < vs->n; i++)
        vendor_free(vs->v[i]);
    free(vs->v);
    free(vs);
}

const fn_vendor_t *fn_vendors_find(const fn_vendors_t *vs, const char *name)
{
    for (size_t i = 0; name && i < vs->n; i++)
        if (strcmp(vs->v[i]->name, name) == 0)
            return vs->v[i];
    return NULL;
}

size_t fn_vendors_count(const fn_vendors_t *vs)
{
    return vs->n;
}

const fn_vendor_t *fn_vendors_at(const fn_vendors_t *vs, size_t i)
{
    return i < vs->n ? vs->v[i] : NULL;
}

const char *fn_vendors_closest(const fn_vendors_t *vs, const char *name)
{
    const char *names[64];
    size_t n = 0;
    for (size_t i = 0; i < vs->n && n < 64; i++)
        names[n++] = vs->v[i]->name;
    return fn_str_closest(name, names, n);
}

/* ---- print
 * ------------------------------------------------------------------- */

static int needs_quotes(const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return 0;
    if (s[0] == ' ' || s[0] == '\t' || s[0] == '"' || s[n - 1] == ' ' ||
        s[n - 1] == '\t')
        return 1;
    if (s[0] == '#' || s[0] == ';' || s[0] == '\'')
        return 1; /* the line reader would take them as comment/quote */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
            (s[i] == '#' && i && (s[i - 1] == ' ' || s[i - 1] == '\t')))
            return 1;
    return 0;
}

static int print_value(fn_buf_t *out, const char *key, const char *s)
{
    int rc = fn_buf_printf(out, "%s =", key);
    if (rc < 0 || !s || !*s)
        return rc < 0 ? rc : fn_buf_append_str(out, "\n");
    if (!needs_quotes(s))
        return fn_buf_printf(out, " %s\n", s);
    rc = fn_buf_append_str(out, " \"");
    for (const unsigned char *p = (const unsigned char *)s; rc >= 0 && *p;
         p++) {
        if (*p == '\\' || *p == '"')
            rc = fn_buf_printf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            rc = fn_buf_printf(out, "\\x%02x", *p);
        else
            rc = fn_buf_append(out, p, 1);
    }
    return rc < 0 ? rc : fn_buf_append_str(out, "\"\n");
}

int fn_vendor_print(const fn_vendor_t *v, fn_buf_t *out)
{
    int rc = fn_buf_printf(out, "# flexnet vendor profile %s\n", v->name);
    for (size_t i = 0; rc >= 0 && i < FN__VS_COUNT; i++)
        rc = print_value(out, str_keys[i], v->str[i]);
    for (size_t i = 0; rc >= 0 && i < FN__VL_COUNT; i++) {
        const fn__strlist_t *l = &v->list[i];
        if (l->n == 0)
            rc = print_value(out, list_keys[i], NULL);
        for (size_t j = 0; rc >= 0 && j < l->n; j++)
            rc = print_value(out, list_keys[i], l->items[j]);
    }
    return rc == -ENOMEM ? rc : (rc < 0 ? -ENOMEM : 0);
}

/* ---- accessors
 * --------------------------------------------------------------- */

static const char *list_at(const fn_vendor_t *v, int l, size_t i)
{
    return i < v->list[l].n ? v->list[l].items[i] : NULL;
}

const char *fn_vendor_name(const fn_vendor_t *v)
{
    return v->name;
}

const char *fn_vendor_description(const fn_vendor_t *v)
{
    return v->str[FN__VS_DESCRIPTION];
}

const char *fn_vendor_source(const fn_vendor_t *v)
{
    return v->source;
}

size_t fn_vendor_setup_count(const fn_vendor_t *v)
{
    return v->list[FN__VL_SETUP].n;
}

const char *fn_vendor_setup_at(const fn_vendor_t *v, size_t i)
{
    return list_at(v, FN__VL_SETUP, i);
}

const char *fn_vendor_backup_command(const fn_vendor_t *v)
{
    return v->str[FN__VS_BACKUP];
}

const char *fn_vendor_enable_command(const fn_vendor_t *v)
{
    return v->str[FN__VS_ENABLE];
}

const char *fn_vendor_config_enter(const fn_vendor_t *v)
{
    return v->str[FN__VS_CONFIG_ENTER];
}

const char *fn_vendor_config_leave(const fn_vendor_t *v)
{
    return v->str[FN__VS_CONFIG_LEAVE];
}

const char *fn_vendor_config_commit(const fn_vendor_t *v)
{
    return v->str[FN__VS_CONFIG_COMMIT];
}

const char *fn_vendor_save_command(const fn_vendor_t *v)
{
    return v->str[FN__VS_SAVE];
}

size_t fn_vendor_save_expect_count(const fn_vendor_t *v)
{
    return v->save_q.n;
}

void fn_vendor_save_expect_at(const fn_vendor_t *v, size_t i,
                              const char **question, const char **answer)
{
    *question = v->save_q.items[i];
    *answer = v->save_a[i];
}

const char *fn_vendor_config_discard(const fn_vendor_t *v)
{
    return v->str[FN__VS_CONFIG_DISCARD];
}

int fn_vendor_enable_by_output(const fn_vendor_t *v)
{
    const char *c = v->str[FN__VS_ENABLE_CHECK];
    return c && !strcmp(c, "output");
}

const char *fn_vendor_username_suffix(const fn_vendor_t *v)
{
    return v->str[FN__VS_USERNAME_SUFFIX];
}

const char *fn_vendor_pager_answer(const fn_vendor_t *v)
{
    return v->str[FN__VS_PAGER_ANSWER] ? v->str[FN__VS_PAGER_ANSWER] : " ";
}

size_t fn_vendor_error_count(const fn_vendor_t *v)
{
    return v->list[FN__VL_ERROR].n + v->list[FN__VL_ERROR_START].n;
}

const char *fn_vendor_error_at(const fn_vendor_t *v, size_t i)
{
    return fn__vendor_keyword(v, i > 0x7fff ? -1 : (int)i);
}

int fn_vendor_error_anchored(const fn_vendor_t *v, size_t i)
{
    return i >= v->list[FN__VL_ERROR].n && i < fn_vendor_error_count(v);
}

int fn_vendor_caret_error(const fn_vendor_t *v)
{
    return v->caret_error;
}

/* List holding a mode's prompt patterns, or -1. */
static int prompt_list(int mode)
{
    switch (mode) {
    case FN_VENDOR_MODE_USER:
        return FN__VL_PROMPT_USER;
    case FN_VENDOR_MODE_PRIV:
        return FN__VL_PROMPT_PRIV;
    case FN_VENDOR_MODE_CONFIG:
        return FN__VL_PROMPT_CONFIG;
    default:
        return -1;
    }
}

size_t fn_vendor_prompt_count(const fn_vendor_t *v, int mode)
{
    int l = prompt_list(mode);
    return l < 0 ? 0 : v->list[l].n;
}

const char *fn_vendor_prompt_at(const fn_vendor_t *v, int mode, size_t i)
{
    int l = prompt_list(mode);
    return l < 0 ? NULL : list_at(v, l, i);
}

size_t fn_vendor_pager_count(const fn_vendor_t *v)
{
    return v->list[FN__VL_PAGER].n;
}

const char *fn_vendor_pager_at(const fn_vendor_t *v, size_t i)
{
    return list_at(v, FN__VL_PAGER, i);
}

size_t fn_vendor_backup_strip_count(const fn_vendor_t *v)
{
    return v->list[FN__VL_BACKUP_STRIP].n;
}

const char *fn_vendor_backup_strip_at(const fn_vendor_t *v, size_t i)
{
    return list_at(v, FN__VL_BACKUP_STRIP, i);
}

size_t fn_vendor_secret_count(const fn_vendor_t *v, int hash)
{
    return v->list[hash ? FN__VL_SECRET_HASH : FN__VL_SECRET].n;
}

const char *fn_vendor_secret_at(const fn_vendor_t *v, int hash, size_t i)
{
    return list_at(v, hash ? FN__VL_SECRET_HASH : FN__VL_SECRET, i);
}
