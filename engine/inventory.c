/*
 * inventory.c — the inventory model: host and group settings (one field
 * table for every format), inheritance, loading and format detection,
 * target selection with Ansible-style host patterns, host accessors.
 *
 * Does not: resolve names, open connections, read secrets (password_env
 * is a variable *name*; the engine reads it when a session logs in). The
 * readers live in inventory_ini.c and inventory_yaml.c. Any thread; an
 * inventory is immutable once loaded. Owns: every host, group and string
 * of the inventory.
 */
#include "inventory_int.h"

#include "fn_err.h"
#include "fn_lines.h"
#include "fn_str.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define INV_MAX_FILE (64u << 20) /* refuse inventories over 64 MiB */

enum field_kind { FK_STR, FK_PORT, FK_BOOL, FK_VENDOR };

/* The connection settings, indexed by enum inv_field: the flexnet key
 * (also the name in `inventory list --json`), every other name a format
 * gives it, separated and framed by '|', and how its text is checked. */
static const struct inv_field_spec {
    const char *key;
    const char *aliases;
    int kind; /* enum field_kind */
} inv_field_specs[INV_NFIELD] = {
    [INV_ADDRESS] = {"address", "|hostname|host|ansible_host|ansible_ssh_host|",
                     FK_STR},
    [INV_PORT] = {"port", "|ansible_port|ansible_ssh_port|", FK_PORT},
    [INV_VENDOR] = {"vendor", "|platform|ansible_network_os|", FK_VENDOR},
    [INV_USERNAME] = {"username", "|user|ansible_user|ansible_ssh_user|",
                      FK_STR},
    [INV_PASSWORD_ENV] = {"password_env", "", FK_STR},
    [INV_ENABLE_PASSWORD_ENV] = {"enable_password_env", "", FK_STR},
    [INV_KEY_FILE] = {"key_file", "|ansible_ssh_private_key_file|", FK_STR},
    [INV_LEGACY_ALGOS] = {"legacy_algos", "", FK_BOOL},
    [INV_COMPRESSION] = {"compression", "", FK_BOOL},
    [INV_KEX] = {"kex", "", FK_STR},
    [INV_HOSTKEYS] = {"hostkeys", "", FK_STR},
    [INV_CIPHERS] = {"ciphers", "", FK_STR},
    [INV_MACS] = {"macs", "", FK_STR},
    [INV_BECOME] = {"become", "|ansible_become|", FK_BOOL},
    [INV_AUTH] = {"auth", "", FK_STR},
};

/* Keys that would put a secret in the file, in every format's spelling. */
static const char *const secret_keys =
    "|password|enable_password|secret|ansible_password|ansible_ssh_pass|"
    "ansible_ssh_password|ansible_become_password|ansible_become_pass|"
    "ansible_enable_pass|";

/* Platform names as Ansible (FQCN and short), Nornir, NAPALM and Netmiko
 * write them, to flexnet's built-in profile names. A name not listed is
 * kept as written (a profile file may carry it). */
static const struct {
    const char *profile;
    const char *names;
} vendor_aliases[] = {
    {"cisco_ios", "|ios|cisco.ios.ios|cisco.ios|cisco_xe|iosxe|cisco_ios|"},
    {"arista_eos", "|eos|arista.eos.eos|arista.eos|arista_eos|"},
    {"juniper_junos", "|junos|junipernetworks.junos.junos|juniper|"
                      "juniper_junos|"},
    {"cisco_nxos", "|nxos|cisco.nxos.nxos|cisco_nxos|nxos_ssh|"},
    {"cisco_iosxr", "|iosxr|cisco.iosxr.iosxr|cisco_xr|cisco_iosxr|"},
    {"mikrotik_routeros", "|routeros|community.routeros.routeros|"
                          "mikrotik_routeros|"},
    {"huawei_vrp", "|ce|vrp|huawei|huawei_vrp|huawei_vrpv8|"
                   "community.network.ce|"},
};

static int in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    if (!n || strchr(name, '|'))
        return 0;
    for (const char *p = strstr(list, name); p; p = strstr(p + 1, name))
        if (p > list && p[-1] == '|' && p[n] == '|')
            return 1;
    return 0;
}

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
    inv_group_t *all = fn__inv_group(inv, "all");
    if (!all) {
        free(inv);
        return NULL;
    }
    all->declared = 1;
    return inv;
}

fn_host_t *fn__inv_host_new(const char *name, int line)
{
    fn_host_t *h = calloc(1, sizeof(*h));
    if (h && !(h->name = strdup(name))) {
        free(h);
        return NULL;
    }
    if (h)
        h->line = line;
    return h;
}

void fn__inv_vars_cleanup(inv_vars_t *v)
{
    for (size_t i = 0; i < INV_NFIELD; i++)
        free(v->f[i]);
    for (size_t i = 0; i < v->ndata; i++) {
        free(v->data[i].key);
        free(v->data[i].val);
    }
    free(v->data);
    memset(v, 0, sizeof(*v));
}

void fn__inv_host_free(fn_host_t *h)
{
    if (!h)
        return;
    fn__inv_vars_cleanup(&h->v);
    free(h->name);
    free(h->groups);
    free(h);
}

static void group_free(inv_group_t *g)
{
    if (!g)
        return;
    fn__inv_vars_cleanup(&g->v);
    free(g->name);
    free(g->parents);
    free(g);
}

void fn_inventory_free(fn_inventory_t *inv)
{
    if (!inv)
        return;
    for (size_t i = 0; i < inv->nhosts; i++)
        fn__inv_host_free(inv->hosts[i]);
    for (size_t i = 0; i < inv->ngroups; i++)
        group_free(inv->groups[i]);
    group_free(inv->defaults);
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

inv_group_t *fn__inv_group_find(const fn_inventory_t *inv, const char *name)
{
    for (size_t i = 0; i < inv->ngroups; i++)
        if (strcmp(inv->groups[i]->name, name) == 0)
            return inv->groups[i];
    return NULL;
}

inv_group_t *fn__inv_group(fn_inventory_t *inv, const char *name)
{
    inv_group_t *g = fn__inv_group_find(inv, name);
    if (g)
        return g;
    if (grow((void **)&inv->groups, &inv->capgroups, inv->ngroups + 1,
             sizeof(*inv->groups)) < 0)
        return NULL;
    g = calloc(1, sizeof(*g));
    if (!g || !(g->name = strdup(name))) {
        free(g);
        return NULL;
    }
    inv->groups[inv->ngroups++] = g;
    return g;
}

static int group_has_ancestor(const inv_group_t *g, const inv_group_t *a,
                              int depth)
{
    if (g == a)
        return 1;
    if (depth > 1000) /* only reachable through a cycle: refused earlier */
        return 1;
    for (size_t i = 0; i < g->nparents; i++)
        if (group_has_ancestor(g->parents[i], a, depth + 1))
            return 1;
    return 0;
}

int fn__inv_group_link(inv_group_t *parent, inv_group_t *child)
{
    for (size_t i = 0; i < child->nparents; i++)
        if (child->parents[i] == parent)
            return 0;
    if (group_has_ancestor(parent, child, 0))
        return FN_EEXISTS;
    inv_group_t **p =
        realloc(child->parents, (child->nparents + 1) * sizeof(*p));
    if (!p)
        return -ENOMEM;
    child->parents = p;
    p[child->nparents++] = parent;
    return 0;
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

int fn__inv_vars_data(inv_vars_t *v, const char *key, const char *val)
{
    for (size_t i = 0; i < v->ndata; i++)
        if (strcmp(v->data[i].key, key) == 0) {
            v->data[i].from = NULL;
            return set_str(&v->data[i].val, val);
        }
    inv_data_t *d = realloc(v->data, (v->ndata + 1) * sizeof(*d));
    if (!d)
        return -ENOMEM;
    v->data = d;
    d[v->ndata].key = strdup(key);
    d[v->ndata].val = strdup(val);
    d[v->ndata].from = NULL;
    if (!d[v->ndata].key || !d[v->ndata].val) {
        free(d[v->ndata].key);
        free(d[v->ndata].val);
        return -ENOMEM;
    }
    v->ndata++;
    return 0;
}

const char *fn__inv_vars_get(const inv_vars_t *v, const char *key)
{
    for (size_t i = 0; key && i < v->ndata; i++)
        if (strcmp(v->data[i].key, key) == 0)
            return v->data[i].val;
    return NULL;
}

static int field_index(const char *key)
{
    for (int i = 0; i < INV_NFIELD; i++)
        if (!strcmp(key, inv_field_specs[i].key) ||
            in_list(inv_field_specs[i].aliases, key))
            return i;
    return -1;
}

static const char *vendor_canonical(const char *name)
{
    for (size_t i = 0; i < sizeof(vendor_aliases) / sizeof(*vendor_aliases);
         i++)
        if (in_list(vendor_aliases[i].names, name))
            return vendor_aliases[i].profile;
    return name;
}

int fn__inv_vars_set(inv_vars_t *v, const char *key, const char *val,
                     const char **why)
{
    if (in_list(secret_keys, key))
        return *why = "passwords never go in an inventory: name the "
                      "environment variable that holds them with "
                      "password_env / enable_password_env",
               FN_EPARSE;
    int f = field_index(key);
    if (f < 0)
        return fn__inv_vars_data(v, key, val);
    unsigned port;
    int b;
    switch (inv_field_specs[f].kind) {
    case FK_PORT:
        if (parse_port(val, &port) < 0)
            return *why = "bad port (want 1..65535)", FN_EPARSE;
        break;
    case FK_BOOL:
        if (parse_bool(val, &b) < 0)
            return *why = "bad boolean (want 0/1, yes/no, true/false)",
                   FN_EPARSE;
        val = b ? "1" : "0";
        break;
    case FK_VENDOR:
        val = vendor_canonical(val);
        break;
    default:
        break;
    }
    v->from[f] = NULL;
    return set_str(&v->f[f], val);
}

int fn__inv_vars_inherit(inv_vars_t *v, const inv_vars_t *src, const char *from)
{
    for (size_t i = 0; i < INV_NFIELD; i++)
        if (!v->f[i] && src->f[i]) {
            if (set_str(&v->f[i], src->f[i]) < 0)
                return -ENOMEM;
            v->from[i] = from ? from : src->from[i];
        }
    for (size_t i = 0; i < src->ndata; i++) {
        if (fn__inv_vars_get(v, src->data[i].key))
            continue;
        if (fn__inv_vars_data(v, src->data[i].key, src->data[i].val) < 0)
            return -ENOMEM;
        v->data[v->ndata - 1].from = from ? from : src->data[i].from;
    }
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

/* ------------------------------------------------------------------ */
/* host names and ranges */

static int label_ok(const char *s, size_t n)
{
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
            return 0;
    return 1;
}

int fn__inv_name_ok(const char *name)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET6, name, buf) == 1 ||
        inet_pton(AF_INET, name, buf) == 1)
        return 1;
    size_t n = strlen(name);
    if (n == 0 || n > 253)
        return 0;
    if (name[n - 1] == '.') /* fully qualified, trailing dot */
        n--;
    for (size_t i = 0; i < n;) {
        size_t l = strcspn(name + i, ".");
        if (l > n - i)
            l = n - i;
        if (!label_ok(name + i, l))
            return 0;
        i += l + 1;
    }
    return 1;
}

/* One range "[a:b(:s)]" of Ansible's expand_hostname_range: numeric
 * (leading zeros set the width) or one letter to one letter. */
#ifndef INV_RANGE_MAX        /* the fuzz build lowers it: fast runs */
#define INV_RANGE_MAX 100000 /* names one host pattern may give */
#endif

static int expand(const char *pat, int (*fn)(const char *, void *), void *arg,
                  const char **why, long *budget);

static int expand_one(const char *pat, const char *open, const char *close,
                      int (*fn)(const char *, void *), void *arg,
                      const char **why, long *budget)
{
    char spec[64], *part[3] = {NULL, NULL, "1"};
    size_t sl = (size_t)(close - open - 1), np = 0;
    if (sl >= sizeof(spec))
        return *why = "host range too long", FN_EPARSE;
    memcpy(spec, open + 1, sl);
    spec[sl] = '\0';
    for (char *p = spec; p && np < 3; np++) { /* start:end[:step] */
        part[np] = p;
        p = strchr(p, ':');
        if (p)
            *p++ = '\0';
        if (p && np == 2)
            np = 9; /* a fourth part */
    }
    const char *lo = part[0], *hi = part[1], *st = part[2];
    if (np < 2 || np > 3 || !*lo || !hi || !*hi || !*st)
        return *why = "bad host range (want [start:end] or "
                      "[start:end:step])",
               FN_EPARSE;
    int alpha = isalpha((unsigned char)lo[0]);
    long a, b, s;
    char *e1, *e2, *e3;
    if (alpha) {
        if (lo[1] || hi[1] || !isalpha((unsigned char)hi[0]))
            return *why = "bad letter range", FN_EPARSE;
        a = lo[0], b = hi[0];
    } else {
        a = strtol(lo, &e1, 10), b = strtol(hi, &e2, 10);
        if (*e1 || *e2 || a < 0 || b < 0)
            return *why = "bad host range bounds", FN_EPARSE;
    }
    s = strtol(st, &e3, 10);
    if (*e3 || s < 1 || a > b)
        return *why = "bad host range (start > end, or step < 1)", FN_EPARSE;
    int width = lo[0] == '0' ? (int)strlen(lo) : 0;
    size_t pre = (size_t)(open - pat);
    char *name = malloc(strlen(pat) + 32);
    if (!name)
        return -ENOMEM;
    int rc = 0;
    for (long i = a; rc == 0 && i <= b; i += s) {
        int n = alpha ? snprintf(name, strlen(pat) + 32, "%.*s%c%s", (int)pre,
                                 pat, (char)i, close + 1)
                      : snprintf(name, strlen(pat) + 32, "%.*s%0*ld%s",
                                 (int)pre, pat, width, i, close + 1);
        rc = n < 0 ? FN_EPARSE : expand(name, fn, arg, why, budget);
    }
    free(name);
    return rc;
}

static int expand(const char *pat, int (*fn)(const char *, void *), void *arg,
                  const char **why, long *budget)
{
    const char *open = strchr(pat, '[');
    const char *close = open ? strchr(open, ']') : NULL;
    if (open && close && memchr(open, ':', (size_t)(close - open)))
        return expand_one(pat, open, close, fn, arg, why, budget);
    if (--*budget < 0)
        return *why = "host pattern gives too many names", FN_EPARSE;
    return fn(pat, arg);
}

int fn__inv_expand(const char *pat, int (*fn)(const char *name, void *arg),
                   void *arg, const char **why)
{
    long budget = INV_RANGE_MAX;
    return expand(pat, fn, arg, why, &budget);
}

/* "[a:b]" / "[a:b:s]" with alphanumeric bounds: a host range. */
static int is_range(const char *open, const char *close)
{
    size_t colons = 0, len = (size_t)(close - open - 1);
    for (const char *c = open + 1; c < close; c++) {
        if (*c == ':')
            colons++;
        else if (!isalnum((unsigned char)*c))
            return 0;
    }
    return len >= 3 && (colons == 1 || colons == 2) && open[1] != ':' &&
           close[-1] != ':';
}

/* Cuts a ":PORT" off tok (a port needs no other ':' outside ranges, or
 * an IPv6 literal in brackets). Strips the brackets of "[v6]". */
int fn__inv_split_port(char *tok, const char **port, const char **why)
{
    *port = NULL;
    size_t colons = 0;
    for (char *c = tok; *c; c++) {
        char *close = *c == '[' ? strchr(c, ']') : NULL;
        if (close && is_range(c, close))
            c = close;
        else if (*c == ':')
            colons++;
    }
    char *last = strrchr(tok, ':');
    char *close = tok[0] == '[' ? strchr(tok, ']') : NULL;
    if (tok[0] == '[' && !(close && is_range(tok, close))) {
        if (!close)
            return *why = "unclosed '[' in host", FN_EPARSE;
        if (close[1] && close[1] != ':')
            return *why = "junk after ']' in host", FN_EPARSE;
        *port = close[1] ? close + 2 : NULL;
        memmove(tok, tok + 1, (size_t)(close - tok - 1));
        tok[close - tok - 1] = '\0';
        return 0;
    }
    if (colons == 1 && last) {
        if (!last[1])
            return *why = "host ending in ':' (want HOST:PORT)", FN_EPARSE;
        *last = '\0';
        *port = last + 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* inheritance */

/* Ansible's depth: "all" 0, a top-level group 1, a child one more than
 * its deepest parent. */
static int group_depth(inv_group_t *g, int guard)
{
    if (g->depth || guard > 1000)
        return g->depth;
    int d = 1;
    for (size_t i = 0; i < g->nparents; i++) {
        int pd = group_depth(g->parents[i], guard + 1) + 1;
        d = pd > d ? pd : d;
    }
    return g->depth = d;
}

/* Joins h to g and every ancestor of g (membership is transitive). */
static int join_closure(fn_host_t *h, const inv_group_t *g)
{
    if (fn__inv_host_join(h, g->name) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < g->nparents; i++)
        if (join_closure(h, g->parents[i]) < 0)
            return -ENOMEM;
    return 0;
}

/* Ansible's sort_groups: by depth, then name. */
static int ansible_cmp(const void *a, const void *b)
{
    const inv_group_t *x = *(inv_group_t *const *)a;
    const inv_group_t *y = *(inv_group_t *const *)b;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Ansible: the host's own vars win, then its groups from the deepest
 * (by depth, then name, as Ansible sorts them) down to "all". */
static int resolve_ansible(fn_inventory_t *inv, fn_host_t *h)
{
    inv_group_t **gs = calloc(h->ngroups + 1, sizeof(*gs));
    if (!gs)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < h->ngroups; i++)
        gs[n++] = fn__inv_group_find(inv, h->groups[i]);
    qsort(gs, n, sizeof(*gs), ansible_cmp);
    int rc = 0;
    for (size_t i = n; rc == 0 && i > 0; i--)
        rc = fn__inv_vars_inherit(&h->v, &gs[i - 1]->v, gs[i - 1]->name);
    free(gs);
    return rc;
}

/* Nornir: a group, then its own parents, depth first. */
static int nornir_inherit(fn_host_t *h, const inv_group_t *g, int guard)
{
    int rc = guard > 1000 ? 0 : fn__inv_vars_inherit(&h->v, &g->v, g->name);
    for (size_t i = 0; rc == 0 && i < g->nparents; i++)
        rc = nornir_inherit(h, g->parents[i], guard + 1);
    return rc;
}

/* Nornir: the host, then each of its groups in order, then defaults. */
static int resolve_nornir(fn_inventory_t *inv, fn_host_t *h)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < h->ndirect; i++)
        rc = nornir_inherit(h, fn__inv_group_find(inv, h->groups[i]), 0);
    if (rc == 0 && inv->defaults)
        rc = fn__inv_vars_inherit(&h->v, &inv->defaults->v, "defaults");
    return rc;
}

/* The host's own groups first ("all" left out: every host is in it),
 * then every ancestor of them: membership is transitive. */
static int host_groups(fn_inventory_t *inv, fn_host_t *h)
{
    size_t k = 0;
    for (size_t i = 0; i < h->ngroups; i++)
        if (h->groups[i] != inv->groups[0]->name)
            h->groups[k++] = h->groups[i];
    h->ngroups = h->ndirect = k;
    for (size_t i = 0; i < h->ndirect; i++) {
        const inv_group_t *g = fn__inv_group_find(inv, h->groups[i]);
        for (size_t p = 0; p < g->nparents; p++)
            if (join_closure(h, g->parents[p]) < 0)
                return -ENOMEM;
    }
    return 0;
}

static int host_finish(fn_inventory_t *inv, fn_host_t *h,
                       const fn_vendors_t *vendors, char *err, size_t errlen)
{
    int rc = host_groups(inv, h);
    if (rc == 0 && inv->semantics == INV_SEM_NORNIR)
        rc = resolve_nornir(inv, h);
    if (rc == 0 && inv->semantics != INV_SEM_NORNIR) {
        rc = fn__inv_host_join(h, inv->groups[0]->name);
        if (rc == 0)
            rc = resolve_ansible(inv, h);
    }
    if (rc < 0)
        return rc;
    const char *addr = fn_host_address(h);
    if (!fn__inv_name_ok(addr))
        return fn__inv_error(inv, h->line, err, errlen,
                             "host %s: '%s' is not a host name or IP address",
                             h->name, addr);
    const char *vendor = h->v.f[INV_VENDOR];
    if (vendors && vendor && *vendor && !fn_vendors_find(vendors, vendor)) {
        const char *near = fn_vendors_closest(vendors, vendor);
        return fn__inv_error(inv, h->line, err, errlen,
                             "host %s: unknown vendor '%s'%s%s%s", h->name,
                             vendor, near ? ": did you mean '" : "",
                             near ? near : "", near ? "'?" : "");
    }
    /* "all" first, whatever order the groups were joined in */
    if (fn__inv_host_join(h, inv->groups[0]->name) < 0)
        return -ENOMEM;
    size_t at = 0;
    while (h->groups[at] != inv->groups[0]->name)
        at++;
    for (; at > 0; at--)
        h->groups[at] = h->groups[at - 1];
    h->groups[0] = inv->groups[0]->name;
    return 0;
}

int fn__inv_finish(fn_inventory_t *inv, const fn_vendors_t *vendors, char *err,
                   size_t errlen)
{
    for (size_t i = 1; i < inv->ngroups; i++)
        group_depth(inv->groups[i], 0);
    for (size_t i = 0; i < inv->nhosts; i++) {
        int rc = host_finish(inv, inv->hosts[i], vendors, err, errlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* formats and loading */

static const char *const format_names[] = {
    [FN_INVENTORY_GUESS] = "guess",   [FN_INVENTORY_INI] = "ini",
    [FN_INVENTORY_YAML] = "yaml",     [FN_INVENTORY_ANSIBLE] = "ansible",
    [FN_INVENTORY_NORNIR] = "nornir",
};

int fn_inventory_format_parse(const char *name)
{
    if (!name || !*name)
        return FN_INVENTORY_GUESS;
    for (size_t i = 0; i < sizeof(format_names) / sizeof(*format_names); i++)
        if (!strcmp(name, format_names[i]))
            return (int)i;
    return FN_EPARSE;
}

static int looks_yaml(const char *text, size_t len)
{
    fn_lines_t *r = malloc(sizeof(*r));
    if (!r)
        return 0;
    fn_lines_init(r, text, len, NULL, NULL, 0);
    char *s;
    int yaml = 0;
    if (fn_lines_next(r, &s) == 1) {
        size_t n = strlen(s);
        /* "---", or "key:" / "key: value" with no '=' and no section */
        yaml = !strncmp(s, "---", 3) || (s[0] != '[' && !strchr(s, '=') &&
                                         (s[n - 1] == ':' || strstr(s, ": ")) &&
                                         strcspn(s, " \t") >= strcspn(s, ":"));
    }
    free(r);
    return yaml;
}

/* INI files written for Ansible: [g:vars], [g:children] or ansible_*. */
static int looks_ansible_ini(const char *text, size_t len)
{
    const char *tags[] = {":vars]", ":children]", "ansible_"};
    for (size_t i = 0; i < 3; i++)
        if (memmem(text, len, tags[i], strlen(tags[i])))
            return 1;
    return 0;
}

static int guess_format(const char *origin, const char *text, size_t len)
{
    const char *dot = origin ? strrchr(origin, '.') : NULL;
    if (dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml")))
        return FN_INVENTORY_YAML;
    if (looks_yaml(text, len))
        return FN_INVENTORY_YAML;
    return looks_ansible_ini(text, len) ? FN_INVENTORY_ANSIBLE
                                        : FN_INVENTORY_INI;
}

static int inv_parse(fn_inventory_t *inv, const char *text, size_t len,
                     int format, char *err, size_t errlen)
{
    if (format == FN_INVENTORY_GUESS)
        format = guess_format(inv->origin, text, len);
    if (format == FN_INVENTORY_ANSIBLE && looks_yaml(text, len))
        format = FN_INVENTORY_YAML; /* Ansible YAML: the reader sees it */
    if (format == FN_INVENTORY_INI || format == FN_INVENTORY_ANSIBLE) {
        inv->semantics =
            format == FN_INVENTORY_ANSIBLE ? INV_SEM_ANSIBLE : INV_SEM_FLEXNET;
        return fn__inv_parse_ini(inv, text, len, format == FN_INVENTORY_ANSIBLE,
                                 err, errlen);
    }
    return fn__inv_parse_yaml(inv, text, len, format, err, errlen);
}

int fn_inventory_parse(fn_inventory_t **out, const char *text, size_t len,
                       int format, const char *origin,
                       const fn_vendors_t *vendors, char *err, size_t errlen)
{
    if (!out || (!text && len) || format < 0 || format > FN_INVENTORY_NORNIR)
        return FN_EPARSE;
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    fn_inventory_t *inv = fn__inv_new(origin);
    if (!inv)
        return -ENOMEM;
    int rc = inv_parse(inv, text ? text : "", len, format, err, errlen);
    if (rc == 0)
        rc = fn__inv_finish(inv, vendors, err, errlen);
    if (rc < 0) {
        fn_inventory_free(inv);
        return rc;
    }
    *out = inv;
    return 0;
}

/* A Nornir SimpleInventory directory: hosts.yaml, and groups.yaml and
 * defaults.yaml when present. */
static int load_dir(fn_inventory_t **out, const char *dir,
                    const fn_vendors_t *vendors, char *err, size_t errlen)
{
    static const char *const parts[INV_NORNIR_FILES] = {"hosts", "groups",
                                                        "defaults"};
    char paths[INV_NORNIR_FILES][4096];
    char *texts[INV_NORNIR_FILES] = {0};
    size_t lens[INV_NORNIR_FILES] = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < INV_NORNIR_FILES; i++) {
        snprintf(paths[i], sizeof(paths[i]), "%s/%s.yaml", dir, parts[i]);
        rc = fn_lines_slurp(paths[i], INV_MAX_FILE, &texts[i], &lens[i], err,
                            errlen);
        if (rc == -ENOENT && i > 0)
            rc = 0; /* groups and defaults are optional */
    }
    fn_inventory_t *inv = rc == 0 ? fn__inv_new(dir) : NULL;
    if (rc == 0 && !inv)
        rc = -ENOMEM;
    if (rc == 0) {
        const char *p[INV_NORNIR_FILES] = {paths[0], paths[1], paths[2]};
        const char *t[INV_NORNIR_FILES] = {texts[0], texts[1], texts[2]};
        rc = fn__inv_parse_nornir(inv, t, lens, p, err, errlen);
    }
    if (rc == 0)
        rc = fn__inv_finish(inv, vendors, err, errlen);
    for (size_t i = 0; i < INV_NORNIR_FILES; i++)
        free(texts[i]);
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
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return load_dir(out, path, vendors, err, errlen);
    char *text = NULL;
    size_t len = 0;
    int rc = fn_lines_slurp(path, INV_MAX_FILE, &text, &len, err, errlen);
    if (rc == -EFBIG) {
        if (err && errlen)
            snprintf(err, errlen, "%s: larger than 64 MiB", path);
        rc = FN_EPARSE;
    }
    if (rc == 0)
        rc = fn_inventory_parse(out, text, len, format, path, vendors, err,
                                errlen);
    free(text);
    return rc;
}

/* ------------------------------------------------------------------ */
/* queries and host patterns */

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
    return inv && i < inv->ngroups ? inv->groups[i]->name : NULL;
}

size_t fn_inventory_group_parent_count(const fn_inventory_t *inv, size_t i)
{
    return inv && i < inv->ngroups ? inv->groups[i]->nparents : 0;
}

const char *fn_inventory_group_parent_at(const fn_inventory_t *inv, size_t i,
                                         size_t k)
{
    if (!inv || i >= inv->ngroups || k >= inv->groups[i]->nparents)
        return NULL;
    return inv->groups[i]->parents[k]->name;
}

const char *fn_inventory_format_name(const fn_inventory_t *inv)
{
    static const char *const sem[] = {
        [INV_SEM_FLEXNET] = "flexnet",
        [INV_SEM_ANSIBLE] = "ansible",
        [INV_SEM_NORNIR] = "nornir",
    };
    return inv ? sem[inv->semantics] : NULL;
}

/* Marks the hosts of one term: a host or group name, a glob over both,
 * or ~REGEX over both. FN_ENOTFOUND for a plain name that is neither. */

/* The group name `word` is probably a typo of, or NULL. */
static const char *inv_closest_group(const fn_inventory_t *inv,
                                     const char *word)
{
    const char **names = calloc(inv->ngroups + 1, sizeof(*names));
    if (!names)
        return NULL;
    for (size_t i = 0; i < inv->ngroups; i++)
        names[i] = inv->groups[i]->name;
    const char *near = fn_str_closest(word, names, inv->ngroups);
    free(names);
    return near; /* points into the inventory, not into names */
}

static int term_mark(const fn_inventory_t *inv, const char *t, char *set,
                     char *err, size_t errlen)
{
    regex_t re;
    int is_re = t[0] == '~', is_glob = !is_re && strpbrk(t, "*?[") != NULL;
    if (is_re && regcomp(&re, t + 1, REG_EXTENDED | REG_NOSUB) != 0) {
        if (err && errlen)
            snprintf(err, errlen, "bad regular expression '%s'", t + 1);
        return FN_EPARSE;
    }
    int hit = 0;
    for (size_t g = 0; g < inv->ngroups; g++) {
        const char *name = inv->groups[g]->name;
        int m = is_re     ? regexec(&re, name, 0, NULL, 0) == 0
                : is_glob ? fnmatch(t, name, 0) == 0
                          : strcmp(t, name) == 0;
        for (size_t i = 0; m && i < inv->nhosts; i++)
            if (fn_host_in_group(inv->hosts[i], name))
                set[i] = 1, hit = 1;
        hit |= m;
    }
    for (size_t i = 0; i < inv->nhosts; i++) {
        const char *name = inv->hosts[i]->name;
        int m = is_re     ? regexec(&re, name, 0, NULL, 0) == 0
                : is_glob ? fnmatch(t, name, 0) == 0
                          : strcmp(t, name) == 0;
        if (m)
            set[i] = 1, hit = 1;
    }
    if (is_re)
        regfree(&re);
    if (!hit && !is_re && !is_glob) {
        const char *near = inv_closest_group(inv, t);
        if (err && errlen)
            snprintf(err, errlen, "unknown group or host '%s'%s%s%s", t,
                     near ? ": did you mean '" : "", near ? near : "",
                     near ? "'?" : "");
        return FN_ENOTFOUND;
    }
    return 0;
}

/* One term of a pattern, with its operator: union, '&' or '!'. */
static int term_apply(const fn_inventory_t *inv, const char *t, char *acc,
                      char *tmp, int *have_base, char *err, size_t errlen)
{
    char op = (*t == '&' || *t == '!') ? *t++ : '|';
    memset(tmp, 0, inv->nhosts);
    int rc = term_mark(inv, t, tmp, err, errlen);
    if (rc < 0)
        return rc;
    if (op != '|' && !*have_base) /* "!lab" alone: all but lab */
        memset(acc, 1, inv->nhosts);
    *have_base = 1;
    for (size_t i = 0; i < inv->nhosts; i++)
        acc[i] = op == '|'   ? acc[i] | tmp[i]
                 : op == '&' ? acc[i] & tmp[i]
                             : acc[i] & !tmp[i];
    return 0;
}

/* An Ansible pattern: terms split on ',' (or ':' when there is no ','),
 * unions first, then '&' intersections, then '!' exclusions. A pattern
 * that is itself a host or group name ("10.0.0.1:2222") is one term. */
static int pattern_mark(const fn_inventory_t *inv, const char *pat, char *acc,
                        char *err, size_t errlen)
{
    char *copy = strdup(pat), *tmp = calloc(inv->nhosts + 1, 1);
    char *terms[256];
    size_t n = 0;
    int rc = copy && tmp ? 0 : -ENOMEM;
    const char *sep = strchr(pat, ',') ? "," : ":";
    if (rc == 0 && (fn__inv_lookup(inv, pat) || fn__inv_group_find(inv, pat)))
        terms[n++] = copy;
    else if (rc == 0)
        for (char *t = copy, *next; t && n < 256; t = next) {
            next = strpbrk(t, sep);
            if (next)
                *next++ = '\0';
            t = fn_str_trim(t);
            if (*t)
                terms[n++] = t;
        }
    int have_base = 0;
    for (int pass = 0; rc == 0 && pass < 3; pass++)
        for (size_t i = 0; rc == 0 && i < n; i++) {
            int kind = terms[i][0] == '&' ? 1 : terms[i][0] == '!' ? 2 : 0;
            if (kind == pass)
                rc = term_apply(inv, terms[i], acc, tmp, &have_base, err,
                                errlen);
        }
    free(copy);
    free(tmp);
    return rc;
}

int fn_inventory_match(const fn_inventory_t *inv, const char *pattern,
                       char *mark, char *err, size_t errlen)
{
    memset(mark, 0, inv->nhosts);
    return pattern_mark(inv, pattern, mark, err, errlen);
}

static int select_mark(const fn_inventory_t *inv, const char *const *pats,
                       size_t npats, const char *const *hosts, size_t nhosts,
                       char *mark, char *err, size_t errlen)
{
    char *one = calloc(inv->nhosts + 1, 1);
    if (!one)
        return -ENOMEM;
    int rc = 0, plain = 0;
    for (size_t k = 0; rc == 0 && k < nhosts; k++) {
        fn_host_t *h = fn__inv_lookup(inv, hosts[k]);
        if (!h) {
            if (err && errlen)
                snprintf(err, errlen, "unknown host '%s'", hosts[k]);
            rc = FN_ENOTFOUND;
        }
        for (size_t i = 0; h && i < inv->nhosts; i++)
            mark[i] |= inv->hosts[i] == h;
        plain = 1;
    }
    /* Whole-pattern '&' / '!' entries (--limit) apply after the unions. */
    for (int pass = 0; rc == 0 && pass < 2; pass++)
        for (size_t k = 0; rc == 0 && k < npats; k++) {
            const char *p = pats[k];
            int mod = *p == '&' || *p == '!';
            if (mod != pass)
                continue;
            if (mod && !plain)
                memset(mark, 1, inv->nhosts);
            plain = 1;
            rc = fn_inventory_match(inv, mod ? p + 1 : p, one, err, errlen);
            for (size_t i = 0; rc == 0 && i < inv->nhosts; i++)
                mark[i] = !mod        ? mark[i] | one[i]
                          : *p == '&' ? mark[i] & one[i]
                                      : mark[i] & !one[i];
        }
    if (rc == 0 && !plain)
        memset(mark, 1, inv->nhosts);
    free(one);
    return rc;
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
    return h->v.f[INV_ADDRESS] ? h->v.f[INV_ADDRESS] : h->name;
}

unsigned fn_host_port(const fn_host_t *h)
{
    unsigned p = 22;
    if (h->v.f[INV_PORT])
        parse_port(h->v.f[INV_PORT], &p); /* checked when set */
    return p;
}

const char *fn_host_vendor(const fn_host_t *h)
{
    return h->v.f[INV_VENDOR] ? h->v.f[INV_VENDOR] : "";
}

const char *fn_host_username(const fn_host_t *h)
{
    return h->v.f[INV_USERNAME];
}

const char *fn_host_password_env(const fn_host_t *h)
{
    return h->v.f[INV_PASSWORD_ENV];
}

const char *fn_host_enable_password_env(const fn_host_t *h)
{
    return h->v.f[INV_ENABLE_PASSWORD_ENV];
}

const char *fn_host_key_file(const fn_host_t *h)
{
    return h->v.f[INV_KEY_FILE];
}

const char *fn_host_auth(const fn_host_t *h)
{
    return h->v.f[INV_AUTH];
}

static int host_bool(const fn_host_t *h, int f, int def)
{
    return h->v.f[f] ? h->v.f[f][0] == '1' : def;
}

int fn_host_legacy_algos(const fn_host_t *h)
{
    return host_bool(h, INV_LEGACY_ALGOS, 0);
}

int fn_host_compression(const fn_host_t *h)
{
    return host_bool(h, INV_COMPRESSION, 0);
}

int fn_host_become(const fn_host_t *h)
{
    return host_bool(h, INV_BECOME, -1);
}

const char *fn_host_algos(const fn_host_t *h, const char *which)
{
    static const int algos[] = {INV_KEX, INV_HOSTKEYS, INV_CIPHERS, INV_MACS};
    for (size_t i = 0; which && i < 4; i++)
        if (!strcmp(which, inv_field_specs[algos[i]].key))
            return h->v.f[algos[i]];
    return NULL;
}

const char *fn_host_setting(const fn_host_t *h, const char *key,
                            const char **from)
{
    int f = key ? field_index(key) : -1;
    if (from)
        *from = NULL;
    if (f < 0 || !h->v.f[f])
        return NULL;
    if (from)
        *from = h->v.from[f] ? h->v.from[f] : "host";
    return h->v.f[f];
}

const char *fn_host_setting_key(size_t i)
{
    return i < INV_NFIELD ? inv_field_specs[i].key : NULL;
}

const char *fn_host_get(const fn_host_t *h, const char *key)
{
    return h ? fn__inv_vars_get(&h->v, key) : NULL;
}

size_t fn_host_data_count(const fn_host_t *h)
{
    return h->v.ndata;
}

const char *fn_host_data_key(const fn_host_t *h, size_t i)
{
    return i < h->v.ndata ? h->v.data[i].key : NULL;
}

const char *fn_host_data_value(const fn_host_t *h, size_t i)
{
    return i < h->v.ndata ? h->v.data[i].val : NULL;
}

const char *fn_host_data_from(const fn_host_t *h, size_t i)
{
    if (i >= h->v.ndata)
        return NULL;
    return h->v.data[i].from ? h->v.data[i].from : "host";
}

size_t fn_host_group_count(const fn_host_t *h)
{
    return h->ngroups;
}

const char *fn_host_group_at(const fn_host_t *h, size_t i)
{
    return i < h->ngroups ? h->groups[i] : NULL;
}

int fn_host_group_direct(const fn_host_t *h, const char *group)
{
    for (size_t i = 0; group && i < h->ngroups; i++)
        if (strcmp(h->groups[i], group) == 0)
            return i > 0 && i <= h->ndirect;
    return 0;
}

int fn_host_in_group(const fn_host_t *h, const char *group)
{
    for (size_t i = 0; group && i < h->ngroups; i++)
        if (strcmp(h->groups[i], group) == 0)
            return 1;
    return 0;
}
