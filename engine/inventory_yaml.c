/*
 * inventory_yaml.c — YAML inventories read with libyaml's document API:
 * Ansible's (all: / children: / hosts: / vars:), flexnet's and Nornir's
 * (hosts:, groups:, defaults: in one file, or a SimpleInventory
 * directory of hosts.yaml, groups.yaml, defaults.yaml).
 *
 * Does not: resolve inheritance (fn__inv_finish does), or read more than
 * one document per file. Nested data flattens to dotted keys ("site.rack")
 * and lists of scalars to comma-joined text. Any thread. Owns: the libyaml
 * document while parsing.
 */
#include "inventory_int.h"

#include "fn_err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YAML_MAX_DEPTH  64     /* nested data and Ansible children */
#define YAML_MAX_VALUES 200000 /* data values in all: aliases multiply */

typedef struct yparse {
    fn_inventory_t *inv;
    yaml_document_t doc;
    long values; /* data values flattened so far */
    char *err;
    size_t errlen;
} yparse_t;

static int node_line(const yaml_node_t *n)
{
    return n ? (int)n->start_mark.line + 1 : 0;
}

static const char *scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

/* YAML null: "key:" left empty, "~" or "null". */
static int is_null(const yaml_node_t *n)
{
    const char *s = scalar(n);
    return !n || (s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                  (!*s || !strcmp(s, "~") || !strcmp(s, "null")));
}

static yaml_node_t *node(yparse_t *y, int id)
{
    return yaml_document_get_node(&y->doc, id);
}

static int yerr(yparse_t *y, const yaml_node_t *n, const char *what,
                const char *name)
{
    return fn__inv_error(y->inv, node_line(n), y->err, y->errlen, "%s%s%s",
                         what, name ? " " : "", name ? name : "");
}

#define FOR_PAIRS(p, map)                                                      \
    for (yaml_node_pair_t *p = (map)->data.mapping.pairs.start;                \
         p < (map)->data.mapping.pairs.top; p++)

/* Flattens a data value into v under key: maps as key.sub, lists of
 * scalars joined by ',', other lists as key.0, key.1 ... */
static int put_data(yparse_t *y, inv_vars_t *v, const char *key, yaml_node_t *n,
                    int depth)
{
    if (depth > YAML_MAX_DEPTH)
        return yerr(y, n, "data nested too deep", NULL);
    if (++y->values > YAML_MAX_VALUES)
        return yerr(y, n, "more than 200000 data values (YAML aliases?)", NULL);
    char sub[1024];
    if (n->type == YAML_SCALAR_NODE)
        return fn__inv_vars_data(v, key, is_null(n) ? "" : scalar(n));
    if (n->type == YAML_MAPPING_NODE) {
        FOR_PAIRS(p, n)
        {
            const char *k = scalar(node(y, p->key));
            if (!k)
                return yerr(y, node(y, p->key), "keys must be scalars", NULL);
            snprintf(sub, sizeof(sub), "%s.%s", key, k);
            int rc = put_data(y, v, sub, node(y, p->value), depth + 1);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    char joined[4096] = "";
    int flat = 1;
    for (yaml_node_item_t *it = n->data.sequence.items.start;
         it < n->data.sequence.items.top; it++) {
        const char *s = scalar(node(y, *it));
        if (!s) {
            flat = 0;
            break;
        }
        snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined),
                 "%s%s", joined[0] ? "," : "", s);
    }
    if (flat)
        return fn__inv_vars_data(v, key, joined);
    for (yaml_node_item_t *it = n->data.sequence.items.start;
         it < n->data.sequence.items.top; it++) {
        snprintf(sub, sizeof(sub), "%s.%d", key,
                 (int)(it - n->data.sequence.items.start));
        int rc = put_data(y, v, sub, node(y, *it), depth + 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* One setting: a known field by any name, or data. */
static int put_var(yparse_t *y, inv_vars_t *v, const char *k, yaml_node_t *vn)
{
    if (vn->type != YAML_SCALAR_NODE)
        return put_data(y, v, k, vn, 0);
    if (is_null(vn))
        return 0;
    const char *why = NULL;
    int rc = fn__inv_vars_set(v, k, scalar(vn), &why);
    return rc == FN_EPARSE ? yerr(y, vn, why, NULL) : rc;
}

static int link_group(yparse_t *y, inv_group_t *parent, inv_group_t *child,
                      const yaml_node_t *at)
{
    int rc = fn__inv_group_link(parent, child);
    if (rc == FN_EEXISTS)
        return fn__inv_error(y->inv, node_line(at), y->err, y->errlen,
                             "group %s as a child of %s makes a cycle",
                             child->name, parent->name);
    return rc;
}

/* Called for each entry of a map of named things (hosts, groups, vars). */
typedef int entry_fn(yparse_t *y, const char *name, yaml_node_t *key,
                     yaml_node_t *val, void *arg);

/* Runs fn over the entries of map (a YAML null is an empty map); what
 * ("hosts:") names the map in errors. Stops at the first error. */
static int each_entry(yparse_t *y, yaml_node_t *map, const char *what,
                      entry_fn *fn, void *arg)
{
    if (is_null(map))
        return 0;
    if (map->type != YAML_MAPPING_NODE)
        return yerr(y, map, what, "expected a mapping");
    FOR_PAIRS(p, map)
    {
        yaml_node_t *kn = node(y, p->key);
        const char *name = scalar(kn);
        if (!name || !*name)
            return yerr(y, kn, what, "a key that is not a name");
        int rc = fn(y, name, kn, node(y, p->value), arg);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* flexnet / Nornir */

/* Reads a host/group/defaults mapping into v; the `groups` list links
 * `self` (a group) to its parents or joins host h to them. */
static int nornir_attrs(yparse_t *y, inv_vars_t *v, yaml_node_t *map,
                        inv_group_t *self, fn_host_t *h)
{
    if (is_null(map))
        return 0;
    if (map->type != YAML_MAPPING_NODE)
        return yerr(y, map, "expected a mapping", NULL);
    FOR_PAIRS(p, map)
    {
        yaml_node_t *kn = node(y, p->key), *vn = node(y, p->value);
        const char *k = scalar(kn);
        int rc = 0;
        if (!k)
            return yerr(y, kn, "keys must be scalars", NULL);
        if (!strcmp(k, "groups")) {
            if (vn->type != YAML_SEQUENCE_NODE)
                return yerr(y, vn, "groups must be a list", NULL);
            for (yaml_node_item_t *it = vn->data.sequence.items.start;
                 rc == 0 && it < vn->data.sequence.items.top; it++) {
                const char *gname = scalar(node(y, *it));
                inv_group_t *g = gname ? fn__inv_group(y->inv, gname) : NULL;
                if (!gname)
                    return yerr(y, vn, "group names must be scalars", NULL);
                if (!g)
                    return -ENOMEM;
                if (!g->line)
                    g->line = node_line(node(y, *it));
                rc = self ? link_group(y, g, self, node(y, *it))
                     : h  ? fn__inv_host_join(h, g->name)
                          : 0;
            }
        } else if (!strcmp(k, "data")) {
            if (vn->type != YAML_MAPPING_NODE && !is_null(vn))
                return yerr(y, vn, "data must be a mapping", NULL);
            FOR_PAIRS(d, vn)
            {
                const char *dk = scalar(node(y, d->key));
                if (!dk)
                    return yerr(y, vn, "data keys must be scalars", NULL);
                rc = rc ? rc : put_data(y, v, dk, node(y, d->value), 0);
            }
        } else if (strcmp(k, "connection_options") != 0) {
            if (vn->type != YAML_SCALAR_NODE)
                return yerr(y, vn, "value must be a scalar:", k);
            rc = put_var(y, v, k, vn);
        } /* connection_options: Nornir plugin settings, not ours */
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int nornir_group(yparse_t *y, const char *name, yaml_node_t *kn,
                        yaml_node_t *val, void *arg)
{
    (void)arg;
    inv_group_t *g = fn__inv_group(y->inv, name);
    if (!g)
        return -ENOMEM;
    if (g->declared)
        return yerr(y, kn, "duplicate group", name);
    g->declared = 1;
    g->line = node_line(kn);
    return nornir_attrs(y, &g->v, val, g, NULL);
}

static int nornir_host(yparse_t *y, const char *name, yaml_node_t *kn,
                       yaml_node_t *val, void *arg)
{
    (void)arg;
    fn_host_t *h = fn__inv_host_new(name, node_line(kn));
    if (!h)
        return -ENOMEM;
    int rc = nornir_attrs(y, &h->v, val, NULL, h);
    if (rc < 0) {
        fn__inv_host_free(h);
        return rc;
    }
    int other = 0;
    rc = fn__inv_add(y->inv, h, &other);
    if (rc == FN_EEXISTS)
        return fn__inv_error(y->inv, node_line(kn), y->err, y->errlen,
                             "duplicate host %s (first at line %d)", name,
                             other);
    return rc;
}

static int nornir_groups(yparse_t *y, yaml_node_t *map)
{
    return each_entry(y, map, "groups:", nornir_group, NULL);
}

static int nornir_hosts(yparse_t *y, yaml_node_t *map)
{
    return each_entry(y, map, "hosts:", nornir_host, NULL);
}

static int nornir_defaults(yparse_t *y, yaml_node_t *map)
{
    if (!y->inv->defaults) {
        y->inv->defaults = calloc(1, sizeof(*y->inv->defaults));
        if (!y->inv->defaults || !(y->inv->defaults->name = strdup("defaults")))
            return -ENOMEM;
    }
    return nornir_attrs(y, &y->inv->defaults->v, map, NULL, NULL);
}

static int nornir_check(fn_inventory_t *inv, char *err, size_t errlen)
{
    for (size_t i = 1; i < inv->ngroups; i++)
        if (!inv->groups[i]->declared)
            return fn__inv_error(inv, inv->groups[i]->line, err, errlen,
                                 "unknown group %s", inv->groups[i]->name);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Ansible */

typedef struct ahost {
    yparse_t *y;
    inv_group_t *g;
    yaml_node_t *vars;
    const char *port;
    int line;
} ahost_t;

static int ansible_one_host(const char *name, void *arg)
{
    ahost_t *a = arg;
    fn_host_t *h = fn__inv_lookup(a->y->inv, name);
    int rc = 0, other = 0;
    if (!h) {
        h = fn__inv_host_new(name, a->line);
        rc = h ? fn__inv_add(a->y->inv, h, &other) : -ENOMEM;
    }
    const char *why = NULL;
    if (rc == 0 && a->port &&
        fn__inv_vars_set(&h->v, "port", a->port, &why) == FN_EPARSE)
        return fn__inv_error(a->y->inv, a->line, a->y->err, a->y->errlen,
                             "host %s: %s", name, why);
    if (rc == 0 && !is_null(a->vars)) {
        if (a->vars->type != YAML_MAPPING_NODE)
            return yerr(a->y, a->vars, "host vars must be a mapping:", name);
        FOR_PAIRS(p, a->vars)
        {
            const char *k = scalar(node(a->y, p->key));
            if (!k)
                return yerr(a->y, a->vars, "keys must be scalars", NULL);
            rc = rc ? rc : put_var(a->y, &h->v, k, node(a->y, p->value));
        }
    }
    if (rc == 0)
        rc = fn__inv_host_join(h, a->g->name);
    return rc;
}

/* A host key of an Ansible group: a pattern with ranges and a port. */
static int ansible_host(yparse_t *y, const char *pat, yaml_node_t *kn,
                        yaml_node_t *val, void *g)
{
    char *tok = strdup(pat);
    if (!tok)
        return -ENOMEM;
    ahost_t a = {y, g, val, NULL, node_line(kn)};
    const char *why = NULL;
    int rc = fn__inv_split_port(tok, &a.port, &why);
    if (rc == 0)
        rc = fn__inv_expand(tok, ansible_one_host, &a, &why);
    free(tok);
    return rc == FN_EPARSE && why ? yerr(y, kn, why, pat) : rc;
}

static int ansible_var(yparse_t *y, const char *k, yaml_node_t *kn,
                       yaml_node_t *val, void *vars)
{
    (void)kn;
    return put_var(y, vars, k, val);
}

typedef struct achild {
    inv_group_t *parent;
    int depth;
} achild_t;

static int ansible_group(yparse_t *y, const char *name, yaml_node_t *kn,
                         yaml_node_t *n, void *arg);

/* One key of a group: hosts:, vars: or children:. */
static int ansible_group_key(yparse_t *y, inv_group_t *g, const char *k,
                             yaml_node_t *kn, yaml_node_t *vn, int depth)
{
    achild_t child = {g, depth + 1};
    if (!strcmp(k, "hosts"))
        return each_entry(y, vn, "hosts:", ansible_host, g);
    if (!strcmp(k, "vars"))
        return each_entry(y, vn, "vars:", ansible_var, &g->v);
    if (!strcmp(k, "children"))
        return each_entry(y, vn, "children:", ansible_group, &child);
    return yerr(y, kn, "unknown key in group (want hosts, vars, children):", k);
}

static int ansible_group(yparse_t *y, const char *name, yaml_node_t *kn,
                         yaml_node_t *n, void *arg)
{
    const achild_t *at = arg;
    if (at->depth > YAML_MAX_DEPTH)
        return yerr(y, n, "groups nested too deep", NULL);
    inv_group_t *g = fn__inv_group(y->inv, name);
    if (!g)
        return -ENOMEM;
    g->declared = 1;
    if (!g->line)
        g->line = node_line(kn);
    int rc =
        at->parent != y->inv->groups[0] ? link_group(y, at->parent, g, kn) : 0;
    if (rc < 0 || is_null(n))
        return rc;
    if (n->type != YAML_MAPPING_NODE)
        return yerr(y, n, "expected hosts:, vars: or children: in group", name);
    FOR_PAIRS(p, n)
    {
        const char *k = scalar(node(y, p->key));
        rc = k ? ansible_group_key(y, g, k, node(y, p->key), node(y, p->value),
                                   at->depth)
               : yerr(y, node(y, p->key), "keys must be scalars", NULL);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* shapes */

static yaml_node_t *root_get(yparse_t *y, yaml_node_t *root, const char *key)
{
    FOR_PAIRS(p, root)
    {
        const char *k = scalar(node(y, p->key));
        if (k && !strcmp(k, key))
            return node(y, p->value);
    }
    return NULL;
}

/* Root keys all among hosts/groups/defaults: flexnet's one-file form. */
static int is_flexnet_shape(yparse_t *y, yaml_node_t *root)
{
    FOR_PAIRS(p, root)
    {
        const char *k = scalar(node(y, p->key));
        if (!k || (strcmp(k, "hosts") && strcmp(k, "groups") &&
                   strcmp(k, "defaults")))
            return 0;
    }
    return 1;
}

/* A key "all", or a group holding hosts:/children:/vars:. */
static int is_ansible_shape(yparse_t *y, yaml_node_t *root)
{
    if (root_get(y, root, "all"))
        return 1;
    FOR_PAIRS(p, root)
    {
        yaml_node_t *v = node(y, p->value);
        if (v->type == YAML_MAPPING_NODE &&
            (root_get(y, v, "children") ||
             (root_get(y, v, "hosts") &&
              root_get(y, v, "hosts")->type == YAML_MAPPING_NODE)))
            return 1;
    }
    return 0;
}

/* Every top-level key is a group ("all" among them). */
static int parse_ansible(yparse_t *y, yaml_node_t *root)
{
    achild_t top = {y->inv->groups[0], 0};
    y->inv->semantics = INV_SEM_ANSIBLE;
    return each_entry(y, root, "top level:", ansible_group, &top);
}

static int parse_doc(yparse_t *y, int format)
{
    yaml_node_t *root = yaml_document_get_root_node(&y->doc);
    y->inv->semantics = INV_SEM_NORNIR;
    if (!root)
        return 0; /* empty file: empty inventory */
    if (root->type != YAML_MAPPING_NODE)
        return yerr(y, root,
                    "top level must be a mapping (all:, or hosts:, groups:, "
                    "defaults:, or host names)",
                    NULL);
    if (format == FN_INVENTORY_ANSIBLE ||
        (format != FN_INVENTORY_NORNIR && !is_flexnet_shape(y, root) &&
         is_ansible_shape(y, root)))
        return parse_ansible(y, root);
    if (!is_flexnet_shape(y, root)) /* a Nornir hosts.yaml on its own */
        return nornir_hosts(y, root);
    yaml_node_t *n = root_get(y, root, "groups");
    int rc = n ? nornir_groups(y, n) : 0;
    n = root_get(y, root, "defaults");
    if (rc == 0 && n)
        rc = nornir_defaults(y, n);
    n = root_get(y, root, "hosts");
    if (rc == 0 && n)
        rc = nornir_hosts(y, n);
    return rc;
}

/* Loads one document; parse_fn reads it. */
static int with_doc(fn_inventory_t *inv, const char *text, size_t len,
                    char *err, size_t errlen,
                    int (*parse_fn)(yparse_t *y, int arg), int arg)
{
    yparse_t y = {.inv = inv, .err = err, .errlen = errlen};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return -ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc;
    if (!yaml_parser_load(&parser, &y.doc)) {
        rc = fn__inv_error(inv, (int)parser.problem_mark.line + 1, err, errlen,
                           "YAML: %s",
                           parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        return rc;
    }
    rc = parse_fn(&y, arg);
    yaml_document_delete(&y.doc);
    yaml_parser_delete(&parser);
    return rc;
}

int fn__inv_parse_yaml(fn_inventory_t *inv, const char *text, size_t len,
                       int format, char *err, size_t errlen)
{
    int rc = with_doc(inv, text, len, err, errlen, parse_doc, format);
    if (rc == 0 && inv->semantics == INV_SEM_NORNIR)
        rc = nornir_check(inv, err, errlen);
    return rc;
}

/* The root of one SimpleInventory file: arg 0 hosts, 1 groups, 2
 * defaults. */
static int parse_part(yparse_t *y, int part)
{
    yaml_node_t *root = yaml_document_get_root_node(&y->doc);
    if (!root)
        return 0;
    return part == 0   ? nornir_hosts(y, root)
           : part == 1 ? nornir_groups(y, root)
                       : nornir_defaults(y, root);
}

int fn__inv_parse_nornir(fn_inventory_t *inv, const char *const *texts,
                         const size_t *lens, const char *const *paths,
                         char *err, size_t errlen)
{
    char dir[sizeof(inv->origin)];
    memcpy(dir, inv->origin, sizeof(dir));
    inv->semantics = INV_SEM_NORNIR;
    int rc = 0;
    /* groups first, so an unknown group is reported in hosts.yaml */
    static const int order[INV_NORNIR_FILES] = {1, 2, 0};
    for (size_t k = 0; rc == 0 && k < INV_NORNIR_FILES; k++) {
        int i = order[k];
        if (!texts[i])
            continue;
        snprintf(inv->origin, sizeof(inv->origin), "%s", paths[i]);
        rc = with_doc(inv, texts[i], lens[i], err, errlen, parse_part, i);
        if (rc == 0 && i == 0)
            rc = nornir_check(inv, err, errlen);
    }
    memcpy(inv->origin, dir, sizeof(dir));
    return rc;
}
