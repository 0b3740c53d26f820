/*
 * inventory_ini.c — INI inventories: flexnet's (one host per line, its
 * settings inline) and Ansible's ([group], [group:vars],
 * [group:children], host ranges), read with the common line reader.
 *
 * Does not: resolve inheritance (fn__inv_finish does, once the whole
 * file is read) or look names up. Any thread. Owns nothing past a call.
 */
#include "inventory_int.h"

#include "fn_err.h"
#include "fn_lines.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ini_state { ST_HOSTS, ST_VARS, ST_CHILDREN };

typedef struct ini {
    fn_inventory_t *inv;
    fn_lines_t *r;
    int ansible;
    inv_group_t *group; /* NULL before the first section */
    int state;          /* enum ini_state */
    char *rest;         /* flexnet: the settings text, for repeat lines */
    const char *port;   /* port written after the host, or NULL */
    char *names;        /* flexnet: name= given on the line */
    char *words[128];   /* key=value words of the current host line */
    size_t nwords;
    char *err;
    size_t errlen;
} ini_t;

static int ierr(ini_t *p, const char *what, const char *arg)
{
    return fn__inv_error(p->inv, p->r->line, p->err, p->errlen, "%s%s%s", what,
                         arg ? " " : "", arg ? arg : "");
}

static int host_settings(ini_t *p, fn_host_t *h)
{
    const char *why = NULL;
    if (p->port && fn__inv_vars_set(&h->v, "port", p->port, &why) < 0)
        return ierr(p, why, NULL);
    for (size_t i = 0; i < p->nwords; i++) {
        char *eq = strchr(p->words[i], '=');
        *eq = '\0';
        int rc = strcmp(p->words[i], "name") == 0
                     ? 0
                     : fn__inv_vars_set(&h->v, p->words[i], eq + 1, &why);
        *eq = '=';
        if (rc == FN_EPARSE)
            return ierr(p, why, NULL);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int host_join(ini_t *p, fn_host_t *h)
{
    return p->group ? fn__inv_host_join(h, p->group->name) : 0;
}

/* Ansible: a host line adds to (or overrides) the host's vars. */
static int ansible_host(ini_t *p, const char *name)
{
    fn_host_t *h = fn__inv_lookup(p->inv, name);
    if (!h) {
        int other = 0;
        h = fn__inv_host_new(name, p->r->line);
        int rc = h ? fn__inv_add(p->inv, h, &other) : -ENOMEM;
        if (rc < 0)
            return rc;
    }
    int rc = host_settings(p, h);
    return rc < 0 ? rc : host_join(p, h);
}

/* flexnet: the host once; a repeat line (bare, or the same settings)
 * only adds the group. */
static int flexnet_host(ini_t *p, const char *addr, const char *written)
{
    const char *name = p->names ? p->names : written;
    fn_host_t *old = fn__inv_lookup(p->inv, name);
    if (old) {
        const char *old_rest = fn__inv_vars_get(&old->v, "\x01line");
        if (*p->rest && !(old_rest && strcmp(old_rest, p->rest) == 0))
            return fn__inv_error(p->inv, p->r->line, p->err, p->errlen,
                                 "duplicate host %s (first at line %d)", name,
                                 old->line);
        return host_join(p, old);
    }
    fn_host_t *h = fn__inv_host_new(name, p->r->line);
    if (!h)
        return -ENOMEM;
    const char *why = NULL;
    int rc = fn__inv_vars_set(&h->v, "address", addr, &why);
    if (rc == 0)
        rc = host_settings(p, h);
    if (rc == 0) /* hidden: compared on repeat lines, dropped at finish */
        rc = fn__inv_vars_data(&h->v, "\x01line", p->rest);
    if (rc == 0)
        rc = host_join(p, h);
    if (rc < 0) {
        fn__inv_host_free(h);
        return rc;
    }
    int other = 0;
    return fn__inv_add(p->inv, h, &other);
}

static int one_host(const char *name, void *arg)
{
    ini_t *p = arg;
    if (p->ansible)
        return ansible_host(p, name);
    char written[FN_LINES_MAX + 16];
    if (p->port)
        snprintf(written, sizeof(written),
                 strchr(name, ':') ? "[%s]:%s" : "%s:%s", name, p->port);
    return flexnet_host(p, name, p->port ? written : name);
}

static int host_line(ini_t *p, char *s)
{
    char *tok, *w;
    int rc = fn_lines_word(p->r, &s, &tok);
    if (rc <= 0)
        return rc;
    p->nwords = 0;
    p->names = NULL;
    p->rest = s;
    while (rc >= 0 && (rc = fn_lines_word(p->r, &s, &w)) == 1) {
        char *eq = strchr(w, '=');
        if (!eq || eq == w)
            return ierr(p, "expected key=value, got", w);
        if (p->nwords == sizeof(p->words) / sizeof(*p->words))
            return ierr(p, "more than 128 settings on one line", NULL);
        if (!strncmp(w, "name=", 5) && !p->ansible)
            p->names = w + 5;
        p->words[p->nwords++] = w;
    }
    if (rc < 0)
        return rc;
    char rest[FN_LINES_MAX + 1] = ""; /* the settings as decoded */
    for (size_t i = 0; i < p->nwords; i++)
        snprintf(rest + strlen(rest), sizeof(rest) - strlen(rest), "%s%s",
                 i ? " " : "", p->words[i]);
    p->rest = rest;
    const char *why = NULL;
    if (fn__inv_split_port(tok, &p->port, &why) < 0)
        return ierr(p, why, tok);
    if (!*tok)
        return ierr(p, "empty host", NULL);
    rc = fn__inv_expand(tok, one_host, p, &why);
    return rc == FN_EPARSE && why ? ierr(p, why, tok) : rc;
}

static int vars_line(ini_t *p, char *s)
{
    char *key, *val;
    const char *why = NULL;
    int rc = fn_lines_pair(p->r, s, &key, &val);
    if (rc == 0)
        rc = fn__inv_vars_set(&p->group->v, key, val, &why);
    return rc == FN_EPARSE && why ? ierr(p, why, NULL) : rc;
}

static int children_line(ini_t *p, char *s)
{
    if (strpbrk(s, ":] \t"))
        return ierr(p, "expected a group name, got", s);
    inv_group_t *child = fn__inv_group(p->inv, s);
    if (!child)
        return -ENOMEM;
    if (!child->line)
        child->line = p->r->line;
    int rc = fn__inv_group_link(p->group, child);
    if (rc == FN_EEXISTS)
        return fn__inv_error(p->inv, p->r->line, p->err, p->errlen,
                             "group %s as a child of %s makes a cycle", s,
                             p->group->name);
    return rc;
}

static int section(ini_t *p, char *s)
{
    size_t n = strlen(s);
    if (n < 3 || s[n - 1] != ']' || strpbrk(s, " \t"))
        return ierr(p,
                    "bad section header (want [group], [group:vars] or "
                    "[group:children]):",
                    s);
    s[n - 1] = '\0';
    char *name = s + 1, *tag = strchr(name, ':');
    if (tag)
        *tag++ = '\0';
    if (!*name || strchr(name, ']'))
        return ierr(p, "bad group name", NULL);
    p->state = !tag                       ? ST_HOSTS
               : !strcmp(tag, "vars")     ? ST_VARS
               : !strcmp(tag, "children") ? ST_CHILDREN
                                          : -1;
    if (p->state < 0)
        return ierr(p, "unknown section type", tag);
    p->group = fn__inv_group(p->inv, name);
    if (!p->group)
        return -ENOMEM;
    if (!p->group->line)
        p->group->line = p->r->line;
    if (p->state != ST_VARS)
        p->group->declared = 1;
    return 0;
}

/* As Ansible: [g:vars] and [p:children] may name a group declared later,
 * but it must be declared somewhere. */
static int check_declared(ini_t *p)
{
    for (size_t i = 1; i < p->inv->ngroups; i++) {
        const inv_group_t *g = p->inv->groups[i];
        if (!g->declared)
            return fn__inv_error(p->inv, g->line, p->err, p->errlen,
                                 "group %s is never declared (no [%s] or "
                                 "[%s:children] section)",
                                 g->name, g->name, g->name);
    }
    return 0;
}

/* Drops the hidden line copies flexnet_host kept. */
static void drop_line_copies(fn_inventory_t *inv)
{
    for (size_t i = 0; i < inv->nhosts; i++) {
        inv_vars_t *v = &inv->hosts[i]->v;
        for (size_t k = 0; k < v->ndata; k++)
            if (v->data[k].key[0] == '\x01') {
                free(v->data[k].key);
                free(v->data[k].val);
                v->data[k] = v->data[--v->ndata];
                break;
            }
    }
}

int fn__inv_parse_ini(fn_inventory_t *inv, const char *text, size_t len,
                      int ansible, char *err, size_t errlen)
{
    ini_t p = {.inv = inv, .ansible = ansible, .err = err, .errlen = errlen};
    p.r = malloc(sizeof(*p.r));
    if (!p.r)
        return -ENOMEM;
    fn_lines_init(p.r, text, len, inv->origin, err, errlen);
    char *s;
    int rc;
    while ((rc = fn_lines_next(p.r, &s)) == 1) {
        if (*s == '[' && s[strlen(s) - 1] == ']' && !strchr(s, '='))
            rc = section(&p, s);
        else if (p.state == ST_VARS)
            rc = vars_line(&p, s);
        else if (p.state == ST_CHILDREN)
            rc = children_line(&p, s);
        else
            rc = host_line(&p, s);
        if (rc < 0)
            break;
    }
    if (rc == 0)
        rc = check_declared(&p);
    drop_line_copies(inv);
    free(p.r);
    return rc;
}
