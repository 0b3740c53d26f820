/*
 * inventory_yaml.c — Nornir-style YAML inventories (hosts, groups,
 * defaults) read with libyaml's document API into the shared model.
 *
 * Does not: support anchors beyond what libyaml resolves, nested data
 * (data values must be scalars), or more than one document. Inheritance:
 * a host fills each unset attribute from its groups in order, depth first
 * (a group before its own parents), then from `defaults`. Any thread.
 * Owns: the libyaml document while parsing, the group records.
 */
#include "inventory_int.h"

#include "fn_err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define YG_MAX_DEPTH 32 /* group parent chains; deeper means a cycle */

typedef struct yg_group {
    fn_host_t *attrs;     /* owned partial record; name = group name */
    yaml_node_t *parents; /* sequence node or NULL */
    int line;
} yg_group_t;

typedef struct yparse {
    fn_inventory_t *inv;
    yaml_document_t doc;
    yg_group_t *groups;
    size_t ngroups;
    fn_host_t *defaults;
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

static int set_data_map(yparse_t *y, fn_host_t *h, yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE)
        return yerr(y, map, "data must be a mapping", NULL);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(y, p->key));
        const char *v = scalar(node(y, p->value));
        if (!k || !v)
            return yerr(y, node(y, p->key), "data values must be scalars",
                        NULL);
        int rc = fn__inv_host_data(h, k, v);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Reads a host/group/defaults mapping into h; the `groups` sequence node
 * goes to *parents. */
static int read_attrs(yparse_t *y, fn_host_t *h, yaml_node_t *map,
                      yaml_node_t **parents)
{
    if (!map || map->type == YAML_SCALAR_NODE) /* "r1:" with no attrs */
        return 0;
    if (map->type != YAML_MAPPING_NODE)
        return yerr(y, map, "expected a mapping for", h->name);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = node(y, p->key), *vn = node(y, p->value);
        const char *k = scalar(kn);
        if (!k)
            return yerr(y, kn, "keys must be scalars", NULL);
        if (!strcmp(k, "groups")) {
            if (vn->type != YAML_SEQUENCE_NODE)
                return yerr(y, vn, "groups must be a list", NULL);
            *parents = vn;
            continue;
        }
        if (!strcmp(k, "data")) {
            int rc = set_data_map(y, h, vn);
            if (rc < 0)
                return rc;
            continue;
        }
        if (!strcmp(k, "connection_options"))
            continue; /* Nornir plugin settings: not ours */
        const char *v = scalar(vn);
        if (!v)
            return yerr(y, vn, "value must be a scalar:", k);
        if (!*v && vn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            continue; /* "port:" left empty, YAML null */
        const char *why = NULL;
        int rc = fn__inv_host_set(h, k, v, &why);
        if (rc == FN_EPARSE)
            return yerr(y, vn, why, NULL);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static yg_group_t *find_group(yparse_t *y, const char *name)
{
    for (size_t i = 0; i < y->ngroups; i++)
        if (!strcmp(y->groups[i].attrs->name, name))
            return &y->groups[i];
    return NULL;
}

static int read_groups(yparse_t *y, yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE)
        return map->type == YAML_SCALAR_NODE
                   ? 0
                   : yerr(y, map, "groups: expected a mapping", NULL);
    size_t n =
        (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
    y->groups = calloc(n + 1, sizeof(*y->groups));
    if (!y->groups)
        return -ENOMEM;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = node(y, p->key);
        const char *name = scalar(kn);
        if (!name || !*name)
            return yerr(y, kn, "bad group name", NULL);
        if (find_group(y, name))
            return yerr(y, kn, "duplicate group", name);
        yg_group_t *g = &y->groups[y->ngroups];
        g->attrs = fn__inv_host_new();
        if (!g->attrs || !(g->attrs->name = strdup(name)))
            return -ENOMEM;
        y->ngroups++;
        g->line = node_line(kn);
        int rc = read_attrs(y, g->attrs, node(y, p->value), &g->parents);
        if (rc < 0)
            return rc;
        if (!fn__inv_group(y->inv, name))
            return -ENOMEM;
    }
    return 0;
}

/* Depth first: the group, then its parents; joins each as membership. */
static int inherit_groups(yparse_t *y, fn_host_t *h, yaml_node_t *seq,
                          int depth)
{
    if (!seq)
        return 0;
    if (depth > YG_MAX_DEPTH)
        return yerr(y, seq, "group inheritance too deep (a cycle?)", NULL);
    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         it < seq->data.sequence.items.top; it++) {
        yaml_node_t *gn = node(y, *it);
        const char *name = scalar(gn);
        yg_group_t *g = name ? find_group(y, name) : NULL;
        if (!g)
            return yerr(y, gn, "unknown group", name ? name : "?");
        const char *interned = fn__inv_group(y->inv, name);
        if (!interned || fn__inv_host_join(h, interned) < 0 ||
            fn__inv_host_inherit(h, g->attrs) < 0)
            return -ENOMEM;
        int rc = inherit_groups(y, h, g->parents, depth + 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int read_hosts(yparse_t *y, yaml_node_t *map)
{
    if (map->type != YAML_MAPPING_NODE)
        return map->type == YAML_SCALAR_NODE
                   ? 0
                   : yerr(y, map, "hosts: expected a mapping", NULL);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = node(y, p->key);
        const char *name = scalar(kn);
        if (!name || !*name)
            return yerr(y, kn, "bad host name", NULL);
        fn_host_t *h = fn__inv_host_new();
        if (!h || !(h->name = strdup(name))) {
            fn__inv_host_free(h);
            return -ENOMEM;
        }
        h->line = node_line(kn);
        yaml_node_t *parents = NULL;
        int rc = read_attrs(y, h, node(y, p->value), &parents);
        if (rc == 0)
            rc = inherit_groups(y, h, parents, 0);
        if (rc == 0 && y->defaults)
            rc = fn__inv_host_inherit(h, y->defaults);
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
        if (rc < 0)
            return rc;
    }
    return 0;
}

static yaml_node_t *root_get(yparse_t *y, yaml_node_t *root, const char *key)
{
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(y, p->key));
        if (k && !strcmp(k, key))
            return node(y, p->value);
    }
    return NULL;
}

static int parse_doc(yparse_t *y)
{
    yaml_node_t *root = yaml_document_get_root_node(&y->doc);
    if (!root)
        return 0; /* empty file: empty inventory */
    if (root->type != YAML_MAPPING_NODE)
        return yerr(y, root,
                    "top level must be a mapping "
                    "(hosts:, groups:, defaults:)",
                    NULL);
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top; p++) {
        const char *k = scalar(node(y, p->key));
        if (!k || (strcmp(k, "hosts") && strcmp(k, "groups") &&
                   strcmp(k, "defaults")))
            return yerr(y, node(y, p->key), "unknown top-level key",
                        k ? k : "?");
    }
    yaml_node_t *n = root_get(y, root, "groups");
    int rc = n ? read_groups(y, n) : 0;
    n = root_get(y, root, "defaults");
    if (rc == 0 && n) {
        y->defaults = fn__inv_host_new();
        if (!y->defaults)
            return -ENOMEM;
        yaml_node_t *ignored = NULL;
        rc = read_attrs(y, y->defaults, n, &ignored);
    }
    n = root_get(y, root, "hosts");
    if (rc == 0 && n)
        rc = read_hosts(y, n);
    return rc;
}

int fn__inv_parse_yaml(fn_inventory_t *inv, const char *text, size_t len,
                       char *err, size_t errlen)
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
    rc = parse_doc(&y);
    yaml_document_delete(&y.doc);
    yaml_parser_delete(&parser);
    for (size_t i = 0; i < y.ngroups; i++)
        fn__inv_host_free(y.groups[i].attrs);
    free(y.groups);
    fn__inv_host_free(y.defaults);
    return rc;
}
