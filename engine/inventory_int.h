/*
 * inventory_int.h — the inventory model shared by the model and queries
 * (inventory.c), the INI reader (inventory_ini.c: flexnet's and
 * Ansible's) and the YAML reader (inventory_yaml.c: flexnet/Nornir and
 * Ansible).
 *
 * Not public: only engine/ includes it. A host's and a group's own
 * settings are one inv_vars_t: the connection fields of one table
 * (inv_field_specs in inventory.c) plus free-form data, each value with
 * the place it came from. Parsers fill hosts' and groups' own vars and
 * the group graph; fn__inv_finish resolves inheritance with the
 * semantics of the format (Ansible: host > child group > parent group >
 * all; Nornir: host, then its groups depth first, then defaults).
 */
#ifndef FN_INVENTORY_INT_H
#define FN_INVENTORY_INT_H

#include "fn_inventory.h"

#include <stddef.h>

/* The connection fields: one row each in inv_field_specs (inventory.c). */
enum inv_field {
    INV_ADDRESS,
    INV_PORT,
    INV_VENDOR,
    INV_USERNAME,
    INV_PASSWORD_ENV,
    INV_ENABLE_PASSWORD_ENV,
    INV_KEY_FILE,
    INV_LEGACY_ALGOS,
    INV_COMPRESSION,
    INV_KEX,
    INV_HOSTKEYS,
    INV_CIPHERS,
    INV_MACS,
    INV_BECOME,
    INV_AUTH,
    INV_NFIELD
};

/* Inheritance rules, set by the reader that recognised the format. */
enum inv_semantics { INV_SEM_FLEXNET, INV_SEM_ANSIBLE, INV_SEM_NORNIR };

typedef struct inv_data {
    char *key, *val;  /* owned */
    const char *from; /* borrowed group name, NULL: the host itself */
} inv_data_t;

typedef struct inv_vars {
    char *f[INV_NFIELD];          /* owned text, NULL: unset */
    const char *from[INV_NFIELD]; /* borrowed group name; NULL: own */
    inv_data_t *data;             /* owned, ndata entries */
    size_t ndata;
} inv_vars_t;

typedef struct inv_group {
    char *name; /* owned */
    inv_vars_t v;
    struct inv_group **parents; /* owned array, borrowed groups */
    size_t nparents;
    int depth;    /* Ansible: longest path from "all" */
    int declared; /* has a [g] / [g:children] section, or a YAML entry */
    int line;
} inv_group_t;

struct fn_host {
    char *name; /* owned */
    inv_vars_t v;
    const char **groups; /* borrowed names; direct groups, then ancestors */
    size_t ngroups;
    size_t ndirect; /* the first ndirect groups are the host's own */
    int line;       /* where it was defined */
};

struct fn_inventory {
    fn_host_t **hosts;
    size_t nhosts, caphosts;
    inv_group_t **groups; /* owned; groups[0] is "all" */
    size_t ngroups, capgroups;
    size_t *index; /* open addressing by name: host index + 1, 0 empty */
    size_t nindex;
    int semantics;         /* enum inv_semantics */
    inv_group_t *defaults; /* Nornir defaults, or NULL (owned) */
    char origin[256];
};

/* Error reporting: "origin:line: what". Returns FN_EPARSE. */
int fn__inv_error(const fn_inventory_t *inv, int line, char *err, size_t errlen,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

fn_inventory_t *fn__inv_new(const char *origin);
fn_host_t *fn__inv_host_new(const char *name, int line);
void fn__inv_host_free(fn_host_t *h);
void fn__inv_vars_cleanup(inv_vars_t *v);
/* Sets one setting from its text form, under any of its names (flexnet,
 * Nornir, Ansible); other keys become data. Replaces an earlier value.
 * Returns 0, -ENOMEM, or FN_EPARSE with *why set (static string). */
int fn__inv_vars_set(inv_vars_t *v, const char *key, const char *val,
                     const char **why);
/* Sets a free-form data entry (replaces). 0 or -ENOMEM. */
int fn__inv_vars_data(inv_vars_t *v, const char *key, const char *val);
/* Fills v's unset settings from src (data key by key), recording `from`
 * (borrowed, NULL: keep src's own origins). 0 or -ENOMEM. */
int fn__inv_vars_inherit(inv_vars_t *v, const inv_vars_t *src,
                         const char *from);
const char *fn__inv_vars_get(const inv_vars_t *v, const char *key);

/* The group named `name`, created (undeclared) when absent; NULL on
 * -ENOMEM. */
inv_group_t *fn__inv_group(fn_inventory_t *inv, const char *name);
inv_group_t *fn__inv_group_find(const fn_inventory_t *inv, const char *name);
/* Makes parent a parent of child. FN_EEXISTS when that closes a cycle
 * (child is parent or one of its ancestors). 0 or -ENOMEM otherwise. */
int fn__inv_group_link(inv_group_t *parent, inv_group_t *child);
int fn__inv_host_join(fn_host_t *h, const char *group);
/* Adds h (takes ownership, also on error). FN_EEXISTS on a duplicate
 * name (the other's line in *other_line). */
int fn__inv_add(fn_inventory_t *inv, fn_host_t *h, int *other_line);
fn_host_t *fn__inv_lookup(const fn_inventory_t *inv, const char *name);
/* Inheritance, defaults, vendor check, group closure, "all". */
int fn__inv_finish(fn_inventory_t *inv, const fn_vendors_t *vendors, char *err,
                   size_t errlen);

/* Expands Ansible host ranges ("r[01:03]", "[a:c]", "[1:9:2]") of pat:
 * calls fn for each name. 0, FN_EPARSE (*why), -ENOMEM, or fn's error. */
int fn__inv_expand(const char *pat, int (*fn)(const char *name, void *arg),
                   void *arg, const char **why);
/* Cuts a ":PORT" off tok in place (Ansible's rules: one ':' outside
 * ranges, or "[v6]:PORT"; brackets of "[v6]" stripped); *port borrows
 * from tok or is NULL. 0 or FN_EPARSE with *why. */
int fn__inv_split_port(char *tok, const char **port, const char **why);
/* A host name a resolver or parser accepts: RFC 1123 labels or an IP
 * literal (IPv6 without brackets). */
int fn__inv_name_ok(const char *name);

int fn__inv_parse_ini(fn_inventory_t *inv, const char *text, size_t len,
                      int ansible, char *err, size_t errlen);
int fn__inv_parse_yaml(fn_inventory_t *inv, const char *text, size_t len,
                       int format, char *err, size_t errlen);

/* Nornir SimpleInventory files: hosts, groups, defaults (texts[i] NULL
 * when that file is absent; paths name them in errors). */
#define INV_NORNIR_FILES 3
int fn__inv_parse_nornir(fn_inventory_t *inv, const char *const *texts,
                         const size_t *lens, const char *const *paths,
                         char *err, size_t errlen);

#endif /* FN_INVENTORY_INT_H */
