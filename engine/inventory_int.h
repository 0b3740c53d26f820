/*
 * inventory_int.h — the inventory model shared by the INI parser
 * (inventory.c) and the YAML parser (inventory_yaml.c).
 *
 * Not public: only engine/ includes it. A host record owns its strings;
 * the inventory owns its hosts and group names. Attributes are "unset"
 * (NULL, port 0, flags -1) until a parser or inheritance sets them;
 * fn__inv_finish applies defaults.
 */
#ifndef FN_INVENTORY_INT_H
#define FN_INVENTORY_INT_H

#include "fn_inventory.h"

#include <stddef.h>

enum inv_algo { INV_KEX, INV_HOSTKEYS, INV_CIPHERS, INV_MACS, INV_NALGO };

struct fn_host {
    char *name;
    char *address;
    unsigned port; /* 0: unset */
    char *vendor;
    char *username;
    char *password_env;
    char *enable_password_env;
    char *key_file;
    int legacy_algos; /* -1: unset */
    int compression;  /* -1: unset */
    char *algos[INV_NALGO];
    char **data_keys; /* owned, ndata each */
    char **data_vals;
    size_t ndata;
    const char **groups; /* borrowed from the inventory's group list */
    size_t ngroups;
    int line; /* where it was defined */
};

struct fn_inventory {
    fn_host_t **hosts;
    size_t nhosts, caphosts;
    char **groups; /* owned; groups[0] is "all" */
    size_t ngroups, capgroups;
    size_t *index; /* open addressing by name: host index + 1, 0 empty */
    size_t nindex;
    char origin[256];
};

/* Error reporting: "origin:line: what". Returns FN_EPARSE. */
int fn__inv_error(const fn_inventory_t *inv, int line, char *err, size_t errlen,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

fn_inventory_t *fn__inv_new(const char *origin);
fn_host_t *fn__inv_host_new(void);
void fn__inv_host_free(fn_host_t *h);
/* Sets one attribute from its text form; unknown keys become data.
 * Returns 0, -ENOMEM, or FN_EPARSE with *why set (static string). */
int fn__inv_host_set(fn_host_t *h, const char *key, const char *val,
                     const char **why);
/* Sets a free-form data entry (replaces). 0 or -ENOMEM. */
int fn__inv_host_data(fn_host_t *h, const char *key, const char *val);
/* Fills h's unset attributes from src (data key by key). 0 or -ENOMEM. */
int fn__inv_host_inherit(fn_host_t *h, const fn_host_t *src);
/* Interns a group name; returns it (borrowed) or NULL on -ENOMEM. */
const char *fn__inv_group(fn_inventory_t *inv, const char *name);
int fn__inv_host_join(fn_host_t *h, const char *group);
/* Adds h (takes ownership, also on error). FN_EEXISTS on a duplicate
 * name (the other's line in *other_line). */
int fn__inv_add(fn_inventory_t *inv, fn_host_t *h, int *other_line);
fn_host_t *fn__inv_lookup(const fn_inventory_t *inv, const char *name);
/* Defaults, vendor check, "all" group, name index. */
int fn__inv_finish(fn_inventory_t *inv, const fn_vendors_t *vendors, char *err,
                   size_t errlen);

int fn__inv_parse_ini(fn_inventory_t *inv, const char *text, size_t len,
                      char *err, size_t errlen);
int fn__inv_parse_yaml(fn_inventory_t *inv, const char *text, size_t len,
                       char *err, size_t errlen);

#endif /* FN_INVENTORY_INT_H */
