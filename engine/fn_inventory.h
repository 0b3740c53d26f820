/*
 * fn_inventory.h — device inventories: which hosts exist, how to reach
 * them, which groups they belong to, and where each setting came from.
 *
 * Formats, one model (README "Inventories" has examples of each):
 *
 *  - flexnet INI: one host per line, HOST[:PORT] (IPv6: [::1]:22) then
 *    key=value pairs, under [group] sections. Without name=, a host's
 *    name is HOST:PORT exactly as written. A host listed again is the
 *    same host and joins that group too; the same name with different
 *    settings is a duplicate-host error.
 *  - Ansible INI, as ansible-core reads it: [group], [group:vars],
 *    [group:children] (cycles and undefined groups refused), host
 *    ranges (r[01:50], [a:f], [1:9:2]), HOST:PORT naming HOST, repeated
 *    lines merging their vars (later wins).
 *  - Ansible YAML: all: / children: / hosts: / vars:.
 *  - flexnet/Nornir YAML: one file with hosts:, groups:, defaults:, or a
 *    Nornir SimpleInventory directory (hosts.yaml, groups.yaml,
 *    defaults.yaml); a Nornir hosts.yaml alone also loads.
 *
 * Settings, under any of their names (flexnet / Nornir / Ansible):
 * address (hostname, host, ansible_host), port (ansible_port), vendor
 * (platform, ansible_network_os; Ansible FQCN and short names, Nornir,
 * NAPALM and Netmiko names map to the built-in profiles), username
 * (user, ansible_user), password_env, enable_password_env, key_file,
 * legacy_algos, compression, kex, hostkeys, ciphers, macs, become
 * (ansible_become). Any other key is data (nested YAML maps flatten to
 * "a.b"). A password key (password, ansible_password, ...) is an error
 * that points to password_env.
 *
 * Inheritance: Ansible formats as Ansible: host > child group > parent
 * group > all (groups of one depth in name order). flexnet INI groups
 * carry no settings. YAML (flexnet/Nornir): a host fills each unset
 * setting from its groups in order, depth first, then from defaults.
 *
 * Errors are FN_EPARSE with "file:line: what" in the caller's err buffer:
 * bad syntax, unknown vendor (when a vendor registry is given), duplicate
 * host, bad port (not 1..65535), an address that is not an RFC 1123 name
 * or an IP literal, unknown group reference, group cycle.
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
    FN_INVENTORY_GUESS = 0,   /* by file extension, then by content */
    FN_INVENTORY_INI = 1,     /* flexnet INI */
    FN_INVENTORY_YAML = 2,    /* any YAML shape above, by its content */
    FN_INVENTORY_ANSIBLE = 3, /* Ansible INI (or YAML, by content) */
    FN_INVENTORY_NORNIR = 4,  /* Nornir / flexnet YAML */
};

/* "guess" or "" (GUESS), "ini", "yaml", "ansible", "nornir" to the enum;
 * FN_EPARSE for any other name. */
int fn_inventory_format_parse(const char *name);

/* Loads the file at path (borrowed), or a Nornir SimpleInventory
 * directory. format: enum fn_inventory_format.
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
/* Parents of group i (Ansible children, Nornir groups:), "all" implied. */
size_t fn_inventory_group_parent_count(const fn_inventory_t *inv, size_t i);
const char *fn_inventory_group_parent_at(const fn_inventory_t *inv, size_t i,
                                         size_t k);
/* How settings were inherited: "flexnet", "ansible" or "nornir". */
const char *fn_inventory_format_name(const fn_inventory_t *inv);

/* Host patterns, as Ansible's: terms separated by ':' (or ','), each a
 * host or group name, a glob (edge-*), or ~REGEX; unions first, then
 * '&term' intersections, then '!term' exclusions ("core:&site1",
 * "all:!lab"). A pattern that is itself a host or group name is one
 * term. mark (caller's, fn_inventory_count() bytes) gets 1 per selected
 * host. Returns 0, FN_ENOTFOUND (a plain term naming nothing) or
 * FN_EPARSE (bad regex), with err filled. */
int fn_inventory_match(const fn_inventory_t *inv, const char *pattern,
                       char *mark, char *err, size_t errlen);

/* Target selection: the union of the hosts of the patterns in `groups`
 * and the hosts named in `hosts` (both borrowed arrays of borrowed
 * strings; counts may be 0), in inventory order, each once; then each
 * pattern written "&PATTERN" (--limit) intersects and "!PATTERN"
 * excludes, applied to the union. No plain entry selects every host.
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
/* The login methods to try, in order ("keyboard-interactive,password";
 * names: publickey, password, keyboard-interactive), or NULL: OpenSSH's
 * order. Checked when a task starts. */
const char *fn_host_auth(const fn_host_t *h);
/* -1 when the inventory says nothing, else ansible_become / become. */
int fn_host_become(const fn_host_t *h);
/* A setting by its flexnet key ("port", "vendor" ...; see the list
 * above) as text, or NULL when unset; *from (may be NULL) gets where it
 * came from: "host", a group name, or "defaults". */
const char *fn_host_setting(const fn_host_t *h, const char *key,
                            const char **from);
/* The flexnet setting keys, i from 0 until NULL. */
const char *fn_host_setting_key(size_t i);
/* Free-form data (INI unknown keys, YAML `data`), or NULL. */
const char *fn_host_get(const fn_host_t *h, const char *key);
size_t fn_host_data_count(const fn_host_t *h);
const char *fn_host_data_key(const fn_host_t *h, size_t i);
const char *fn_host_data_value(const fn_host_t *h, size_t i);
const char *fn_host_data_from(const fn_host_t *h, size_t i); /* as above */
/* Groups the host belongs to, "all" included. */
size_t fn_host_group_count(const fn_host_t *h);
const char *fn_host_group_at(const fn_host_t *h, size_t i);
int fn_host_in_group(const fn_host_t *h, const char *group);
/* 1 when the inventory lists the host in group itself (not through a
 * child group). */
int fn_host_group_direct(const fn_host_t *h, const char *group);

#endif /* FN_INVENTORY_H */
