/*
 * fn_vendor.h — vendor profiles: how a device family prompts, pages,
 * enables, enters config mode, backs up, and says "error".
 *
 * A profile is data. The built-in table covers cisco_ios, cisco_nxos,
 * cisco_iosxr, juniper_junos, arista_eos, huawei_vrp, mikrotik_routeros and
 * linux; users add or override profiles with files in a directory
 * (--vendors-dir), format documented in vendors/README.md. This module is
 * pure C: libc only, no I/O besides reading that directory, never logs.
 *
 * Threads: a registry is immutable after fn_vendors_new(); any number of
 * threads may read it at once.
 *
 * Ownership: the registry owns every profile; fn_vendor_t pointers and all
 * strings returned by accessors are borrowed, valid until fn_vendors_free().
 */
#ifndef FN_VENDOR_H
#define FN_VENDOR_H

#include <stddef.h>

#include "fn_buf.h"

typedef struct fn_vendor fn_vendor_t;   /* one profile */
typedef struct fn_vendors fn_vendors_t; /* built-ins + a directory's files */

/* CLI modes a prompt can put the device in. */
enum fn_vendor_mode {
    FN_VENDOR_MODE_UNKNOWN = 0,
    FN_VENDOR_MODE_USER,   /* router1>   */
    FN_VENDOR_MODE_PRIV,   /* router1#   */
    FN_VENDOR_MODE_CONFIG, /* router1(config-if)#, [~router1], user@r1# */
};

/* Loads the built-in profiles, then every profile file of `dir` (may be
 * NULL): a file's profile replaces a built-in of the same name or adds a
 * new one. On error returns FN_EPARSE (or -errno) and writes "file:line:
 * what" into err (borrowed, may be NULL). *out is owned: fn_vendors_free.
 * Codes: FN_EPARSE (bad file; line 0: the whole file), -ENOENT/-EACCES
 * (dir or file), -EFBIG (file over 64 KiB), -EIO, -ENOMEM. */
int fn_vendors_new(fn_vendors_t **out, const char *dir, char *err,
                   size_t errlen);
void fn_vendors_free(fn_vendors_t *vs);

/* Profile by name, or NULL. */
const fn_vendor_t *fn_vendors_find(const fn_vendors_t *vs, const char *name);
size_t fn_vendors_count(const fn_vendors_t *vs);
const fn_vendor_t *fn_vendors_at(const fn_vendors_t *vs, size_t i);
/* The profile name `name` is probably a typo of (fn_str_closest), or
 * NULL: for "did you mean" in messages. Borrowed from vs. */
const char *fn_vendors_closest(const fn_vendors_t *vs, const char *name);

/* Appends the effective profile to out in the profile file format (what
 * `flexnet vendors show NAME` prints). Returns 0 or -ENOMEM. */
int fn_vendor_print(const fn_vendor_t *v, fn_buf_t *out);

/* Accessors. Strings are borrowed; NULL means "the vendor has none". */
const char *fn_vendor_name(const fn_vendor_t *v);
const char *fn_vendor_description(const fn_vendor_t *v);
const char *fn_vendor_source(const fn_vendor_t *v); /* "builtin" or a path */
/* Commands to run once after login, in order (paging off, width …). */
size_t fn_vendor_setup_count(const fn_vendor_t *v);
const char *fn_vendor_setup_at(const fn_vendor_t *v, size_t i);
const char *fn_vendor_backup_command(const fn_vendor_t *v);
const char *fn_vendor_enable_command(const fn_vendor_t *v); /* "enable" */
const char *fn_vendor_config_enter(const fn_vendor_t *v);   /* conf t */
const char *fn_vendor_config_leave(const fn_vendor_t *v);   /* end */
const char *fn_vendor_config_commit(const fn_vendor_t *v);  /* commit */
/* 1 when text (len bytes) matches pattern as a whole: '*' any run of
 * bytes, '\' quotes the next byte ('[' and '?' are plain bytes). The
 * syntax of profile patterns, also for expect/answer questions. Pure. */
int fn_vendor_glob(const char *pattern, const char *text, size_t len);

/* The configuration save of the profile: the command ("copy
 * running-config startup-config", "save"), NULL when the OS keeps what
 * is committed (Junos, IOS-XR, RouterOS); and its questions with their
 * answers ("Destination filename*" -> "", "*[Y/N]*" -> "y"), i < count. */
const char *fn_vendor_save_command(const fn_vendor_t *v);
size_t fn_vendor_save_expect_count(const fn_vendor_t *v);
void fn_vendor_save_expect_at(const fn_vendor_t *v, size_t i,
                              const char **question, const char **answer);

/* The command that throws away an uncommitted candidate ("rollback 0",
 * "abort"), or NULL when lines apply at once (IOS, NX-OS, VRP). */
const char *fn_vendor_config_discard(const fn_vendor_t *v);
/* 1 when enable's success shows only in its output (VRP's super keeps
 * the prompt), 0 when the prompt must leave user mode. */
int fn_vendor_enable_by_output(const fn_vendor_t *v);
/* Appended to the login user name (MikroTik's "+cte511w"), or NULL. */
const char *fn_vendor_username_suffix(const fn_vendor_t *v);
/* Error keywords: those matched anywhere in a line, then those anchored
 * at line start (fn_vendor_error_anchored says which). */
size_t fn_vendor_error_count(const fn_vendor_t *v);
const char *fn_vendor_error_at(const fn_vendor_t *v, size_t i);

/* Added by the vendors engineer (additive). */
/* 1 if error keyword i only matches at line start. */
int fn_vendor_error_anchored(const fn_vendor_t *v, size_t i);
/* 1 if a line holding only a caret marker ("     ^") is an error. */
int fn_vendor_caret_error(const fn_vendor_t *v);
/* Text answering a pager (" " unless the profile says otherwise). */
const char *fn_vendor_pager_answer(const fn_vendor_t *v);
/* Prompt patterns of a mode (enum fn_vendor_mode), see vendors/README.md:
 * '*' any run of bytes, "{base}" the base prompt learned at login. */
size_t fn_vendor_prompt_count(const fn_vendor_t *v, int mode);
const char *fn_vendor_prompt_at(const fn_vendor_t *v, int mode, size_t i);
/* Pager patterns (same syntax), matched against the whole trailing line
 * with surrounding blanks trimmed. */
size_t fn_vendor_pager_count(const fn_vendor_t *v);
const char *fn_vendor_pager_at(const fn_vendor_t *v, size_t i);
/* Backup strip patterns: a backup line is dropped when it starts with
 * one ('*' matches any run of bytes, '\' quotes the next byte). They
 * remove volatile lines ("Current configuration : 2345 bytes"). */
size_t fn_vendor_backup_strip_count(const fn_vendor_t *v);
const char *fn_vendor_backup_strip_at(const fn_vendor_t *v, size_t i);
/* Appends text (len bytes, borrowed) to out without the lines matching a
 * backup strip pattern (a '\r' before '\n' is ignored when matching and
 * kept otherwise). Pure. Returns 0, FN_EFULL (out's max reached) or
 * -ENOMEM, as fn_buf_append. */
int fn_vendor_backup_clean(const fn_vendor_t *v, const char *text, size_t len,
                           fn_buf_t *out);

/* What a backup keeps of the secrets its configuration holds. */
enum fn_vendor_redact {
    FN_REDACT_REVERSIBLE = 0, /* default: cleartext and reversible secrets
                                 (type 0/7, $9$, cipher, communities,
                                 keys) become "<removed>"; hashes stay */
    FN_REDACT_ALL = 1,        /* also one-way hashes (secret 5/8/9,
                                 encrypted-password, irreversible-cipher) */
    FN_REDACT_NONE = 2,       /* keep everything (a restorable backup) */
};

/* Secret patterns (list `secret_hash` when hash, else `secret`). */
size_t fn_vendor_secret_count(const fn_vendor_t *v, int hash);
const char *fn_vendor_secret_at(const fn_vendor_t *v, int hash, size_t i);

/* Appends text (len bytes, borrowed) to out with the secrets of the
 * profile's `secret` / `secret_hash` patterns (vendors/README.md)
 * replaced by "<removed>" as mode (enum fn_vendor_redact) says;
 * *nredacted (may be NULL) gets how many lines were changed. Pure; the
 * same text always gives the same output, so redacted backups still diff
 * and share blobs. Returns 0, FN_EFULL or -ENOMEM as fn_buf_append: on
 * an error out holds a partial text that must not be stored. */
int fn_vendor_backup_redact(const fn_vendor_t *v, const char *text, size_t len,
                            int mode, fn_buf_t *out, unsigned *nredacted);

/* 1 when text (len bytes, borrowed) looks like a configuration: a line
 * starts with one of the profile's backup_marker patterns ("hostname ",
 * "set "), or the profile has none; 0 for what a device prints instead
 * ("% Invalid input", "Unknown command"). Pure. */
int fn_vendor_backup_plausible(const fn_vendor_t *v, const char *text,
                               size_t len);

#endif /* FN_VENDOR_H */
