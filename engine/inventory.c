/*
 * inventory.c — the inventory model, the INI parser, target selection.
 *
 * Does not: resolve names, open connections, read secrets (password_env
 * is a variable *name*; the engine reads it when a session logs in).
 * The YAML parser lives in inventory_yaml.c and shares the model through
 * inventory_int.h. Any thread; an inventory is immutable once loaded.
 * Owns: every host record and string of the inventory.
 */
#include "inventory_int.h"

#include "fn_err.h"
#include "fn_str.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INV_MAX_FILE (64u << 20) /* refuse inventories over 64 MiB */

/* ------------------------------------------------------------------ */
/* model */

int fn__inv_error(const fn_inventory_t *inv, int line, char *err, size_t errlen,
                  const char *fmt, ...)
{
    if (!err || !errlen)
        return FN_EPARSE;
    int n = snprintf(err, errlen, "%s:%d: ", inv->origin, line);
    if (n < 0 || (size_t)n >= errlen)
        return FN_EPARSE;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return FN_EPARSE;
}

fn_inventory_t *fn__inv_new(const char *origin)
{
    fn_inventory_t *inv = calloc(1, sizeof(*inv));
    if (!inv)
        return NULL;
    snprintf(inv->origin, sizeof(inv->origin), "%s",
             origin ? origin : "<inline>");
    if (!fn__inv_group(inv, "all")) {
        free(inv);
        return NULL;
    }
    return inv;
}

fn_host_t *fn__inv_host_new(void)
{
    fn_host_t *h = calloc(1, sizeof(*h));
    if (h) {
        h->legacy_algos = -1;
        h->compression = -1;
    }
    return h;
}

void fn__inv_host_free(fn_host_t *h)
{
    if (!h)
        return;
    char **strs[] = {&h->name,     &h->address,      &h->vendor,
                     &h->username, &h->password_env, &h->enable_password_env,
                     &h->key_file};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        free(*strs[i]);
    for (size_t i = 0; i < INV_NALGO; i++)
        free(h->algos[i]);
    for (size_t i = 0; i < h->ndata; i++) {
        free(h->data_keys[i]);
        free(h->data_vals[i]);
    }
    free(h->data_keys);
    free(h->data_vals);
    free(h->groups);
    free(h);
}

void fn_inventory_free(fn_inventory_t *inv)
{
    if (!inv)
        return;
    for (size_t i = 0; i < inv->nhosts; i++)
        fn__inv_host_free(inv->hosts[i]);
    for (size_t i = 0; i < inv->ngroups; i++)
        free(inv->groups[i]);
    free(inv->hosts);
    free(inv->groups);
    free(inv->index);
    free(inv);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 8;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p)
        return -ENOMEM;
    *arr = p;
    *cap = n;
    return 0;
}

const char *fn__inv_group(fn_inventory_t *inv, const char *name)
{
    for (size_t i = 0; i < inv->ngroups; i++)
        if (strcmp(inv->groups[i], name) == 0)
            return inv->groups[i];
    if (grow((void **)&inv->groups, &inv->capgroups, inv->ngroups + 1,
             sizeof(char *)) < 0)
        return NULL;
    char *g = strdup(name);
    if (!g)
        return NULL;
    inv->groups[inv->ngroups++] = g;
    return g;
}

int fn__inv_host_join(fn_host_t *h, const char *group)
{
    for (size_t i = 0; i < h->ngroups; i++)
        if (h->groups[i] == group)
            return 0;
    const char **g = realloc(h->groups, (h->ngroups + 1) * sizeof(*g));
    if (!g)
        return -ENOMEM;
    h->groups = g;
    h->groups[h->ngroups++] = group;
    return 0;
}

static int set_str(char **slot, const char *val)
{
    char *s = strdup(val);
    if (!s)
        return -ENOMEM;
    free(*slot);
    *slot = s;
    return 0;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"1", "yes", "true", "on"};
    static const char *const no[] = {"0", "no", "false", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(v, no[i]) == 0)
            return *out = 0, 0;
    }
    return FN_EPARSE;
}

static int parse_port(const char *v, unsigned *out)
{
    if (!*v || strlen(v) > 5)
        return FN_EPARSE;
    unsigned p = 0;
    for (const char *c = v; *c; c++) {
        if (!isdigit((unsigned char)*c))
            return FN_EPARSE;
        p = p * 10 + (unsigned)(*c - '0');
    }
    if (p < 1 || p > 65535)
        return FN_EPARSE;
    *out = p;
    return 0;
}

int fn__inv_host_data(fn_host_t *h, const char *key, const char *val)
{
    for (size_t i = 0; i < h->ndata; i++)
        if (strcmp(h->data_keys[i], key) == 0)
            return set_str(&h->data_vals[i], val);
    char **k = realloc(h->data_keys, (h->ndata + 1) * sizeof(char *));
    if (!k)
        return -ENOMEM;
    h->data_keys = k;
    char **v = realloc(h->data_vals, (h->ndata + 1) * sizeof(char *));
    if (!v)
        return -ENOMEM;
    h->data_vals = v;
    h->data_keys[h->ndata] = strdup(key);
    h->data_vals[h->ndata] = strdup(val);
    if (!h->data_keys[h->ndata] || !h->data_vals[h->ndata]) {
        free(h->data_keys[h->ndata]);
        free(h->data_vals[h->ndata]);
        return -ENOMEM;
    }
    h->ndata++;
    return 0;
}

static const char *const algo_keys[INV_NALGO] = {"kex", "hostkeys", "ciphers",
                                                 "macs"};

/* The string attributes, by key: one table for both formats. */
static char **str_slot(fn_host_t *h, const char *key)
{
    if (!strcmp(key, "name"))
        return &h->name;
    if (!strcmp(key, "hostname") || !strcmp(key, "host") ||
        !strcmp(key, "address"))
        return &h->address;
    if (!strcmp(key, "vendor") || !strcmp(key, "platform"))
        return &h->vendor;
    if (!strcmp(key, "username") || !strcmp(key, "user"))
        return &h->username;
    if (!strcmp(key, "password_env"))
        return &h->password_env;
    if (!strcmp(key, "enable_password_env"))
        return &h->enable_password_env;
    if (!strcmp(key, "key_file"))
        return &h->key_file;
    for (size_t i = 0; i < INV_NALGO; i++)
        if (!strcmp(key, algo_keys[i]))
            return &h->algos[i];
    return NULL;
}

int fn__inv_host_set(fn_host_t *h, const char *key, const char *val,
                     const char **why)
{
    if (!strcmp(key, "port")) {
        if (parse_port(val, &h->port) < 0)
            return *why = "bad port (want 1..65535)", FN_EPARSE;
        return 0;
    }
    if (!strcmp(key, "legacy_algos") || !strcmp(key, "compression")) {
        int *slot = key[0] == 'l' ? &h->legacy_algos : &h->compression;
        if (parse_bool(val, slot) < 0)
            return *why = "bad boolean (want 0/1, yes/no, true/false)",
                   FN_EPARSE;
        return 0;
    }
    if (!strcmp(key, "password") || !strcmp(key, "enable_password"))
        return *why = "passwords never go in an inventory: use "
                      "password_env / enable_password_env",
               FN_EPARSE;
    char **slot = str_slot(h, key);
    if (slot)
        return set_str(slot, val);
    return fn__inv_host_data(h, key, val);
}

int fn__inv_host_inherit(fn_host_t *h, const fn_host_t *src)
{
    char **dst[] = {&h->address,
                    &h->vendor,
                    &h->username,
                    &h->password_env,
                    &h->enable_password_env,
                    &h->key_file,
                    &h->algos[0],
                    &h->algos[1],
                    &h->algos[2],
                    &h->algos[3]};
    char *const from[] = {src->address,
                          src->vendor,
                          src->username,
                          src->password_env,
                          src->enable_password_env,
                          src->key_file,
                          src->algos[0],
                          src->algos[1],
                          src->algos[2],
                          src->algos[3]};
    for (size_t i = 0; i < sizeof(dst) / sizeof(dst[0]); i++)
        if (!*dst[i] && from[i] && set_str(dst[i], from[i]) < 0)
            return -ENOMEM;
    if (!h->port)
        h->port = src->port;
    if (h->legacy_algos < 0)
        h->legacy_algos = src->legacy_algos;
    if (h->compression < 0)
        h->compression = src->compression;
    for (size_t i = 0; i < src->ndata; i++)
        if (!fn_host_get(h, src->data_keys[i]) &&
            fn__inv_host_data(h, src->data_keys[i], src->data_vals[i]) < 0)
            return -ENOMEM;
    return 0;
}

static size_t name_hash(const char *s)
{
    return (size_t)fn_str_hash(s);
}

static int index_put(fn_inventory_t *inv, size_t idx)
{
    if ((inv->nhosts + 1) * 2 > inv->nindex) {
        size_t n = inv->nindex ? inv->nindex * 2 : 64;
        size_t *t = calloc(n, sizeof(*t));
        if (!t)
            return -ENOMEM;
        size_t *old = inv->index, oldn = inv->nindex;
        inv->index = t;
        inv->nindex = n;
        for (size_t i = 0; i < oldn; i++)
            if (old[i])
                index_put(inv, old[i] - 1);
        free(old);
    }
    size_t m = inv->nindex - 1;
    size_t i = name_hash(inv->hosts[idx]->name) & m;
    while (inv->index[i])
        i = (i + 1) & m;
    inv->index[i] = idx + 1;
    return 0;
}

fn_host_t *fn__inv_lookup(const fn_inventory_t *inv, const char *name)
{
    if (!inv->nindex)
        return NULL;
    size_t m = inv->nindex - 1;
    for (size_t i = name_hash(name) & m; inv->index[i]; i = (i + 1) & m) {
        fn_host_t *h = inv->hosts[inv->index[i] - 1];
        if (strcmp(h->name, name) == 0)
            return h;
    }
    return NULL;
}

int fn__inv_add(fn_inventory_t *inv, fn_host_t *h, int *other_line)
{
    fn_host_t *dup = fn__inv_lookup(inv, h->name);
    if (dup) {
        *other_line = dup->line;
        fn__inv_host_free(h);
        return FN_EEXISTS;
    }
    if (grow((void **)&inv->hosts, &inv->caphosts, inv->nhosts + 1,
             sizeof(fn_host_t *)) < 0) {
        fn__inv_host_free(h);
        return -ENOMEM;
    }
    inv->hosts[inv->nhosts] = h;
    if (index_put(inv, inv->nhosts) < 0)
        return -ENOMEM; /* still owned by inv: freed with it */
    inv->nhosts++;
    return 0;
}

int fn__inv_finish(fn_inventory_t *inv, const fn_vendors_t *vendors, char *err,
                   size_t errlen)
{
    for (size_t i = 0; i < inv->nhosts; i++) {
        fn_host_t *h = inv->hosts[i];
        if (!h->port)
            h->port = 22;
        if (h->legacy_algos < 0)
            h->legacy_algos = 0;
        if (h->compression < 0)
            h->compression = 0;
        if (!h->vendor && set_str(&h->vendor, "") < 0)
            return -ENOMEM;
        if (!h->address && set_str(&h->address, h->name) < 0)
            return -ENOMEM;
        if (vendors && h->vendor[0] && !fn_vendors_find(vendors, h->vendor)) {
            const char *near = fn_vendors_closest(vendors, h->vendor);
            return fn__inv_error(inv, h->line, err, errlen,
                                 "host %s: unknown vendor '%s'%s%s%s", h->name,
                                 h->vendor, near ? ": did you mean '" : "",
                                 near ? near : "", near ? "'?" : "");
        }
        /* "all" first, whatever order the parser joined groups in */
        if (fn__inv_host_join(h, inv->groups[0]) < 0)
            return -ENOMEM;
        for (size_t g = h->ngroups - 1; g > 0; g--)
            h->groups[g] = h->groups[g - 1];
        h->groups[0] = inv->groups[0];
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* INI */

/* Splits "HOST[:PORT]" / "[v6]:PORT" into h->address and h->port. */
static int ini_split_hostport(fn_host_t *h, char *tok, const char **why)
{
    char *host = tok, *port = NULL;
    if (tok[0] == '[') {
        char *close = strchr(tok, ']');
        if (!close)
            return *why = "unclosed '[' in host", FN_EPARSE;
        *close = '\0';
        host = tok + 1;
        if (close[1] == ':')
            port = close + 2;
        else if (close[1])
            return *why = "junk after ']' in host", FN_EPARSE;
    } else {
        char *colon = strchr(tok, ':');
        if (colon && !strchr(colon + 1, ':')) {
            *colon = '\0';
            port = colon + 1;
        }
    }
    if (!*host)
        return *why = "empty host", FN_EPARSE;
    if (port && fn__inv_host_set(h, "port", port, why) < 0)
        return FN_EPARSE;
    return set_str(&h->address, host);
}

/* Two lines for the same name: a bare repeat (no key=value) or an
 * identical line only adds the group; anything else is a duplicate. */
static int ini_merge(fn_inventory_t *inv, fn_host_t *h, const char *rest,
                     const char *group, int line, char *err, size_t errlen)
{
    fn_host_t *old = fn__inv_lookup(inv, h->name);
    const char *old_rest = fn_host_get(old, "\x01line");
    if (*rest && !(old_rest && strcmp(old_rest, rest) == 0)) {
        int l = old->line;
        fn__inv_host_free(h);
        return fn__inv_error(inv, line, err, errlen,
                             "duplicate host %s (first at line %d)", old->name,
                             l);
    }
    fn__inv_host_free(h);
    return group ? fn__inv_host_join(old, group) : 0;
}

static int ini_host_line(fn_inventory_t *inv, char *s, const char *group,
                         int line, char *err, size_t errlen)
{
    const char *why = NULL;
    fn_host_t *h = fn__inv_host_new();
    if (!h)
        return -ENOMEM;
    h->line = line;
    char *tok = s;
    char *rest = s + strcspn(s, " \t");
    if (*rest)
        *rest++ = '\0';
    rest = fn_str_trim(rest);
    int rc = set_str(&h->name, tok); /* as written, before the split */
    if (rc == 0)
        rc = ini_split_hostport(h, tok, &why);
    if (rc == 0)
        rc = fn__inv_host_data(h, "\x01line", rest); /* for ini_merge; hidden */
    char *copy = rc == 0 ? strdup(rest) : NULL;
    if (rc == 0 && !copy)
        rc = -ENOMEM;
    for (char *kv = copy; rc == 0 && kv && *kv;) {
        size_t n = strcspn(kv, " \t");
        char *next = kv + n;
        if (*next)
            *next++ = '\0';
        next += strspn(next, " \t");
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            why = "expected key=value";
            rc = FN_EPARSE;
            break;
        }
        *eq = '\0';
        rc = fn__inv_host_set(h, kv, eq + 1, &why);
        kv = next;
    }
    free(copy);
    if (rc < 0) {
        fn__inv_host_free(h);
        return rc == FN_EPARSE
                   ? fn__inv_error(inv, line, err, errlen, "%s", why)
                   : rc;
    }
    if (fn__inv_lookup(inv, h->name))
        return ini_merge(inv, h, rest, group, line, err, errlen);
    if (group && fn__inv_host_join(h, group) < 0) {
        fn__inv_host_free(h);
        return -ENOMEM;
    }
    int other = 0;
    return fn__inv_add(inv, h, &other);
}

static int ini_section(fn_inventory_t *inv, char *s, const char **group,
                       int line, char *err, size_t errlen)
{
    char *close = strchr(s, ']');
    if (!close || fn_str_trim(close + 1)[0])
        return fn__inv_error(inv, line, err, errlen,
                             "bad section header (want [group])");
    *close = '\0';
    char *name = fn_str_trim(s + 1);
    if (!*name || strcspn(name, " \t") != strlen(name))
        return fn__inv_error(inv, line, err, errlen, "bad group name");
    *group = fn__inv_group(inv, name);
    return *group ? 0 : -ENOMEM;
}

int fn__inv_parse_ini(fn_inventory_t *inv, const char *text, size_t len,
                      char *err, size_t errlen)
{
    const char *group = NULL;
    const char *p = text, *end = text + len;
    int rc = 0;
    char *line = NULL;
    for (int no = 1; rc == 0 && p < end; no++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        free(line);
        line = strndup(p, n);
        if (!line)
            return -ENOMEM;
        p += n + 1;
        size_t real = strlen(line); /* before trimming cuts it */
        char *s = fn_str_trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (real != n)
            rc = fn__inv_error(inv, no, err, errlen, "NUL byte");
        else if (*s == '[' && strchr(s, ']') && s[strlen(s) - 1] == ']' &&
                 !strchr(s, '='))
            rc = ini_section(inv, s, &group, no, err, errlen);
        else
            rc = ini_host_line(inv, s, group, no, err, errlen);
    }
    free(line);
    return rc;
}

/* ------------------------------------------------------------------ */
/* loading */

static int guess_format(const char *origin, const char *text, size_t len)
{
    const char *dot = origin ? strrchr(origin, '.') : NULL;
    if (dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml")))
        return FN_INVENTORY_YAML;
    if (dot && (!strcmp(dot, ".ini") || !strcmp(dot, ".txt") ||
                !strcmp(dot, ".hosts")))
        return FN_INVENTORY_INI;
    /* YAML inventories open with a top-level "hosts:" / "---" */
    for (size_t i = 0; i < len;) {
        const char *l = text + i;
        size_t n = strcspn(l, "\n");
        if (n > len - i)
            n = len - i;
        if (n && l[0] != '#' && l[0] != ';' && !isspace((unsigned char)l[0]))
            return (!strncmp(l, "---", 3) || !strncmp(l, "hosts:", 6) ||
                    !strncmp(l, "groups:", 7) || !strncmp(l, "defaults:", 9))
                       ? FN_INVENTORY_YAML
                       : FN_INVENTORY_INI;
        i += n + 1;
    }
    return FN_INVENTORY_INI;
}

int fn_inventory_parse(fn_inventory_t **out, const char *text, size_t len,
                       int format, const char *origin,
                       const fn_vendors_t *vendors, char *err, size_t errlen)
{
    if (!out || (!text && len))
        return FN_EPARSE;
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    fn_inventory_t *inv = fn__inv_new(origin);
    if (!inv)
        return -ENOMEM;
    if (format == FN_INVENTORY_GUESS)
        format = guess_format(origin, text ? text : "", len);
    int rc = format == FN_INVENTORY_YAML
                 ? fn__inv_parse_yaml(inv, text ? text : "", len, err, errlen)
                 : fn__inv_parse_ini(inv, text ? text : "", len, err, errlen);
    if (rc == 0)
        rc = fn__inv_finish(inv, vendors, err, errlen);
    if (rc < 0) {
        fn_inventory_free(inv);
        return rc;
    }
    *out = inv;
    return 0;
}

int fn_inventory_load(fn_inventory_t **out, const char *path, int format,
                      const fn_vendors_t *vendors, char *err, size_t errlen)
{
    if (!out || !path)
        return FN_EPARSE;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int rc = -errno;
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        return rc;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (grow((void **)&text, &cap, len + 65536, 1) < 0) {
            rc = -ENOMEM;
            break;
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
        if (len > INV_MAX_FILE) {
            rc = FN_EPARSE;
            if (err && errlen)
                snprintf(err, errlen, "%s: larger than 64 MiB", path);
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        rc = -EIO;
        if (err && errlen)
            snprintf(err, errlen, "%s: read error", path);
    }
    fclose(f);
    if (rc == 0)
        rc = fn_inventory_parse(out, text, len, format, path, vendors, err,
                                errlen);
    free(text);
    return rc;
}

/* ------------------------------------------------------------------ */
/* queries */

size_t fn_inventory_count(const fn_inventory_t *inv)
{
    return inv ? inv->nhosts : 0;
}

const fn_host_t *fn_inventory_at(const fn_inventory_t *inv, size_t i)
{
    return inv && i < inv->nhosts ? inv->hosts[i] : NULL;
}

const fn_host_t *fn_inventory_find(const fn_inventory_t *inv, const char *name)
{
    return inv && name ? fn__inv_lookup(inv, name) : NULL;
}

size_t fn_inventory_group_count(const fn_inventory_t *inv)
{
    return inv ? inv->ngroups : 0;
}

const char *fn_inventory_group_at(const fn_inventory_t *inv, size_t i)
{
    return inv && i < inv->ngroups ? inv->groups[i] : NULL;
}

static int select_mark(const fn_inventory_t *inv, const char *const *groups,
                       size_t ngroups, const char *const *hosts, size_t nhosts,
                       char *mark, char *err, size_t errlen)
{
    for (size_t g = 0; g < ngroups; g++) {
        size_t gi = 0;
        while (gi < inv->ngroups && strcmp(inv->groups[gi], groups[g]))
            gi++;
        if (gi == inv->ngroups) {
            const char *near = fn_str_closest(
                groups[g], (const char *const *)inv->groups, inv->ngroups);
            if (err && errlen)
                snprintf(err, errlen, "unknown group '%s'%s%s%s", groups[g],
                         near ? ": did you mean '" : "", near ? near : "",
                         near ? "'?" : "");
            return FN_ENOTFOUND;
        }
        for (size_t i = 0; i < inv->nhosts; i++)
            if (fn_host_in_group(inv->hosts[i], groups[g]))
                mark[i] = 1;
    }
    for (size_t k = 0; k < nhosts; k++) {
        const fn_host_t *h = fn__inv_lookup(inv, hosts[k]);
        if (!h) {
            if (err && errlen)
                snprintf(err, errlen, "unknown host '%s'", hosts[k]);
            return FN_ENOTFOUND;
        }
        for (size_t i = 0; i < inv->nhosts; i++)
            if (inv->hosts[i] == h)
                mark[i] = 1;
    }
    if (!ngroups && !nhosts)
        memset(mark, 1, inv->nhosts);
    return 0;
}

int fn_inventory_select(const fn_inventory_t *inv, const char *const *groups,
                        size_t ngroups, const char *const *hosts, size_t nhosts,
                        const fn_host_t ***out, size_t *n, char *err,
                        size_t errlen)
{
    if (!inv || !out || !n)
        return FN_EPARSE;
    *out = NULL;
    *n = 0;
    char *mark = calloc(inv->nhosts + 1, 1);
    const fn_host_t **sel = calloc(inv->nhosts + 1, sizeof(*sel));
    int rc = mark && sel ? 0 : -ENOMEM;
    if (rc == 0)
        rc =
            select_mark(inv, groups, ngroups, hosts, nhosts, mark, err, errlen);
    size_t k = 0;
    for (size_t i = 0; rc == 0 && i < inv->nhosts; i++)
        if (mark[i])
            sel[k++] = inv->hosts[i];
    free(mark);
    if (rc < 0) {
        free(sel);
        return rc;
    }
    *out = sel;
    *n = k;
    return 0;
}

/* ------------------------------------------------------------------ */
/* host accessors */

const char *fn_host_name(const fn_host_t *h)
{
    return h->name;
}

const char *fn_host_address(const fn_host_t *h)
{
    return h->address;
}

unsigned fn_host_port(const fn_host_t *h)
{
    return h->port ? h->port : 22;
}

const char *fn_host_vendor(const fn_host_t *h)
{
    return h->vendor ? h->vendor : "";
}

const char *fn_host_username(const fn_host_t *h)
{
    return h->username;
}

const char *fn_host_password_env(const fn_host_t *h)
{
    return h->password_env;
}

const char *fn_host_enable_password_env(const fn_host_t *h)
{
    return h->enable_password_env;
}

const char *fn_host_key_file(const fn_host_t *h)
{
    return h->key_file;
}

int fn_host_legacy_algos(const fn_host_t *h)
{
    return h->legacy_algos > 0;
}

int fn_host_compression(const fn_host_t *h)
{
    return h->compression > 0;
}

const char *fn_host_algos(const fn_host_t *h, const char *which)
{
    for (size_t i = 0; which && i < INV_NALGO; i++)
        if (!strcmp(which, algo_keys[i]))
            return h->algos[i];
    return NULL;
}

const char *fn_host_get(const fn_host_t *h, const char *key)
{
    for (size_t i = 0; h && key && i < h->ndata; i++)
        if (strcmp(h->data_keys[i], key) == 0)
            return h->data_vals[i];
    return NULL;
}

/* The hidden "\x01line" entry (INI merge bookkeeping) is never listed. */
size_t fn_host_data_count(const fn_host_t *h)
{
    return h->ndata && h->data_keys[0][0] == '\x01' ? h->ndata - 1 : h->ndata;
}

static size_t data_skip(const fn_host_t *h, size_t i)
{
    return h->ndata && h->data_keys[0][0] == '\x01' ? i + 1 : i;
}

const char *fn_host_data_key(const fn_host_t *h, size_t i)
{
    i = data_skip(h, i);
    return i < h->ndata ? h->data_keys[i] : NULL;
}

const char *fn_host_data_value(const fn_host_t *h, size_t i)
{
    i = data_skip(h, i);
    return i < h->ndata ? h->data_vals[i] : NULL;
}

size_t fn_host_group_count(const fn_host_t *h)
{
    return h->ngroups;
}

const char *fn_host_group_at(const fn_host_t *h, size_t i)
{
    return i < h->ngroups ? h->groups[i] : NULL;
}

int fn_host_in_group(const fn_host_t *h, const char *group)
{
    for (size_t i = 0; group && i < h->ngroups; i++)
        if (strcmp(h->groups[i], group) == 0)
            return 1;
    return 0;
}
