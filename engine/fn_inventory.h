/*
 * fn_inventory.h — device inventories: which hosts exist, how to reach
 * them, which groups they belong to.
 *
 * Two formats, one model:
 *
 *  - INI (the old tool's format, extended):
 *        # comment            ; comment
 *        [core]
 *        10.0.0.1:2222 vendor=cisco_ios name=r1 username=ops
 *        127.0.0.1:20001 vendor=arista_eos legacy_algos=1
 *    One host per line, HOST[:PORT] (IPv6: [::1]:22) then key=value pairs.
 *    Known keys: name, vendor (alias platform), port, username,
 *    password_env, enable_password_env, key_file, legacy_algos (0/1),
 *    kex, hostkeys, ciphers, macs (full comma lists, libssh syntax),
 *    compression (0/1). Any other key is kept as host data (fn_host_get).
 *    Lines before the first section belong to no named group. Every host
 *    is in the implicit group `all`. A host listed again in another
 *    section is the same host (same name) and joins that group too; the
 *    same name with different settings is a duplicate-host error. Without
 *    name=, a host's name is HOST:PORT exactly as written (HOST alone when
 *    no port is written).
 *
 *  - YAML, Nornir-style (one file, two top-level maps):
 *        hosts:
 *          r1: {hostname: 10.0.0.1, port: 22, platform: cisco_ios,
 *               groups: [core], data: {site: par}}
 *        groups:
 *          core: {username: ops, port: 2222, groups: [base]}
 *        defaults: {username: admin}
 *    A host inherits every unset attribute from its groups in order
 *    (depth first, each group from its own parents), then from
 *    `defaults`. Attributes: hostname, port, platform (or vendor),
 *    username, password_env, enable_password_env, key_file, legacy_algos,
 *    kex, hostkeys, ciphers, macs, compression, and `data` (a flat map of
 *    scalars, inherited key by key).
 *
 * Errors are FN_EPARSE with "file:line: what" in the caller's err buffer:
 * bad syntax, unknown vendor (when a vendor registry is given), duplicate
 * host, bad port (not 1..65535), unknown group reference.
 *
 * Threads: an inventory is immutable after loading; any thread may read
 * it. Not thread-safe to free while read.
 *
 * Ownership: the inventory owns every host and string; fn_host_t pointers
 * and returned strings are borrowed, valid until fn_inventory_free().
 * A task keeps its hosts: the inventory must outlive every task started
 * on it (see fn_engine.h).
 */
#ifndef FN_INVENTORY_H
#define FN_INVENTORY_H

#include <stddef.h>

#include "fn_vendor.h"

typedef struct fn_inventory fn_inventory_t;
typedef struct fn_host fn_host_t;

/* Formats for fn_inventory_parse/_load. */
enum fn_inventory_format {
    FN_INVENTORY_GUESS = 0, /* by file extension, then by content */
    FN_INVENTORY_INI = 1,
    FN_INVENTORY_YAML = 2,
};

/* Loads the file at path (borrowed). format: enum fn_inventory_format.
 * vendors (borrowed, may be NULL) checks every host's vendor name.
 * Returns 0, FN_EPARSE, -errno (file unreadable) or -ENOMEM; on error
 * writes "path:line: what" into err (borrowed, may be NULL).
 * *out is owned: fn_inventory_free. */
int fn_inventory_load(fn_inventory_t **out, const char *path, int format,
                      const fn_vendors_t *vendors, char *err, size_t errlen);

/* Same from memory: text (borrowed, len bytes); origin (borrowed, may be
 * NULL) names the text in error messages ("<inline>" by default). */
int fn_inventory_parse(fn_inventory_t **out, const char *text, size_t len,
                       int format, const char *origin,
                       const fn_vendors_t *vendors, char *err, size_t errlen);

void fn_inventory_free(fn_inventory_t *inv); /* accepts NULL */

/* Hosts in file order. */
size_t fn_inventory_count(const fn_inventory_t *inv);
const fn_host_t *fn_inventory_at(const fn_inventory_t *inv, size_t i);
/* By name, or NULL. */
const fn_host_t *fn_inventory_find(const fn_inventory_t *inv, const char *name);

/* Group names in order of first appearance, "all" first. */
size_t fn_inventory_group_count(const fn_inventory_t *inv);
const char *fn_inventory_group_at(const fn_inventory_t *inv, size_t i);

/* Target selection: the union of the hosts of `groups` and the hosts
 * named in `hosts` (both borrowed arrays of borrowed strings; counts may
 * be 0), in inventory order, each once. Both empty selects every host.
 * Returns 0, FN_ENOTFOUND (an unknown group or host; err says which) or
 * -ENOMEM. *out is owned (free() the array only; the hosts stay borrowed
 * from the inventory); *n its length. */
int fn_inventory_select(const fn_inventory_t *inv, const char *const *groups,
                        size_t ngroups, const char *const *hosts, size_t nhosts,
                        const fn_host_t ***out, size_t *n, char *err,
                        size_t errlen);

/* Host accessors. Strings are borrowed from the inventory; NULL when not
 * set (name, address and vendor are always set; vendor may be "" when the
 * inventory gave none: the task's default vendor applies). */
const char *fn_host_name(const fn_host_t *h);
const char *fn_host_address(const fn_host_t *h); /* as written, no [] */
unsigned fn_host_port(const fn_host_t *h);       /* 22 by default */
const char *fn_host_vendor(const fn_host_t *h);
const char *fn_host_username(const fn_host_t *h);
const char *fn_host_password_env(const fn_host_t *h);
const char *fn_host_enable_password_env(const fn_host_t *h);
const char *fn_host_key_file(const fn_host_t *h);
int fn_host_legacy_algos(const fn_host_t *h); /* 0 or 1 */
int fn_host_compression(const fn_host_t *h);  /* 0 or 1 */
/* Explicit algorithm lists (libssh comma syntax) or NULL: which is one of
 * "kex", "hostkeys", "ciphers", "macs". */
const char *fn_host_algos(const fn_host_t *h, const char *which);
/* Free-form data (INI unknown keys, YAML `data`), or NULL. */
const char *fn_host_get(const fn_host_t *h, const char *key);
size_t fn_host_data_count(const fn_host_t *h);
const char *fn_host_data_key(const fn_host_t *h, size_t i);
const char *fn_host_data_value(const fn_host_t *h, size_t i);
/* Groups the host belongs to, "all" included. */
size_t fn_host_group_count(const fn_host_t *h);
const char *fn_host_group_at(const fn_host_t *h, size_t i);
int fn_host_in_group(const fn_host_t *h, const char *group);

#endif /* FN_INVENTORY_H */
