/*
 * fn_config.h — the config file (`./flexnet.conf` or a path): INI with
 * sections [s3], [vault], [cyberark] (integrations) and [defaults] (what
 * `flexnet run` and `flexnet inventory` use when no flag gives it), read
 * by the common line reader (fn_lines.h: comments, quotes, CRLF, caps).
 *
 *     # comment            ; comment
 *     [s3]
 *     endpoint = http://127.0.0.1:4568
 *     bucket = backups
 *     secret_key_env = FLEXNET_S3_SECRET
 *
 * Every key is checked when the file is parsed: unknown sections or keys,
 * bad booleans or numbers, a missing required key, two ways of giving the
 * same secret, or a secret written in clear are FN_EPARSE with
 * "file:line: what" in the caller's err buffer. Secrets are never values
 * in this file: only the name of an environment variable (`*_env`) or a
 * file path (`*_file`) that holds them; they are read when a client is
 * created (fn_s3_new, fn_secrets_new) and wiped when it is freed.
 *
 * Keys (defaults in brackets):
 *  [s3]       endpoint (URL, required), region [us-east-1], bucket
 *             (required), access_key | access_key_env | access_key_file
 *             (one required), secret_key_env | secret_key_file (one
 *             required), url_style = path | virtual [path], create_bucket
 *             [false], prefix [""], verify_tls [true], ca_file,
 *             timeout (s) [30], retries [3]
 *  [vault]    address (URL, required), token_env | token_file, or AppRole:
 *             role_id + (secret_id_env | secret_id_file); approle_mount
 *             [approle], mount [secret], namespace, username_field
 *             [username], password_field [password], check_ref,
 *             verify_tls [true], ca_file, timeout [30], retries [3]
 *  [defaults] inventory, inventory_format (ini | yaml | ansible |
 *             nornir), user, password_env, enable_password_env, vendor
 *  [cyberark] mode = ccp | pvwa [ccp], url (required), ccp: app_id
 *             (required), cert_file, key_file; pvwa: username (required),
 *             password_env | password_file (required), auth_method
 *             [CyberArk], reason [flexnet]; both: safe (default safe for
 *             refs without one), check_ref, verify_tls [true], ca_file,
 *             timeout [30], retries [3]
 *
 * Threads: a config is immutable after loading; any thread may read it.
 * Ownership: the config owns every string; the views filled by
 * fn_config_s3/vault/cyberark borrow them until fn_config_free().
 */
#ifndef FN_CONFIG_H
#define FN_CONFIG_H

#include <stddef.h>

typedef struct fn_config fn_config_t;

/* Options common to every HTTP-speaking section. */
typedef struct fn_tls_conf {
    int verify_tls;      /* 1 by default; 0 turns off peer AND host checks */
    const char *ca_file; /* extra CA bundle, or NULL */
    long timeout_ms;     /* whole request, per attempt */
    int retries;         /* extra attempts on 5xx / timeouts */
} fn_tls_conf_t;

typedef struct fn_s3_conf {
    const char *endpoint; /* scheme://host[:port], no path */
    const char *region;
    const char *bucket;
    const char *access_key;      /* literal (not a secret), or NULL */
    const char *access_key_env;  /* or env var name */
    const char *access_key_file; /* or file path */
    const char *secret_key_env;  /* env var name, or NULL */
    const char *secret_key_file; /* file path, or NULL */
    int path_style;              /* 1: endpoint/bucket/key */
    int create_bucket;           /* create on first 404 NoSuchBucket */
    const char *prefix;          /* prepended to every object name */
    fn_tls_conf_t tls;
} fn_s3_conf_t;

typedef struct fn_vault_conf {
    const char *address; /* scheme://host[:port] */
    const char *token_env;
    const char *token_file;
    const char *role_id; /* AppRole; not a secret */
    const char *secret_id_env;
    const char *secret_id_file;
    const char *approle_mount;
    const char *mount; /* KV v2 mount */
    const char *namespace_;
    const char *username_field;
    const char *password_field;
    const char *check_ref; /* read by fn_integrations_check, or NULL */
    fn_tls_conf_t tls;
} fn_vault_conf_t;

enum fn_cyberark_mode {
    FN_CYBERARK_CCP = 0,  /* Central Credential Provider (AIMWebService) */
    FN_CYBERARK_PVWA = 1, /* PVWA REST: logon, find account, retrieve */
};

typedef struct fn_cyberark_conf {
    int mode; /* enum fn_cyberark_mode */
    const char *url;
    const char *app_id;
    const char *safe;
    const char *cert_file; /* CCP client certificate, or NULL */
    const char *key_file;
    const char *username; /* PVWA logon user */
    const char *password_env;
    const char *password_file;
    const char *auth_method;
    const char *reason;
    const char *check_ref;
    fn_tls_conf_t tls;
} fn_cyberark_conf_t;

/* Loads path (borrowed). NULL means "./flexnet.conf"; a missing default
 * file gives an empty config (no section), a missing named file -ENOENT.
 * Returns 0, FN_EPARSE, -errno or -ENOMEM; on error writes
 * "path:line: what" into err (borrowed, may be NULL).
 * *out is owned: fn_config_free. */
int fn_config_load(fn_config_t **out, const char *path, char *err,
                   size_t errlen);

/* Same from memory: text (borrowed, len bytes); origin (borrowed, may be
 * NULL: "<inline>") names it in errors. */
int fn_config_parse(fn_config_t **out, const char *text, size_t len,
                    const char *origin, char *err, size_t errlen);

void fn_config_free(fn_config_t *cfg); /* accepts NULL */

/* Raw value of section.key (borrowed until fn_config_free), or NULL. */
const char *fn_config_get(const fn_config_t *cfg, const char *section,
                          const char *key);
int fn_config_has(const fn_config_t *cfg, const char *section);

/* Typed views with defaults applied. Return 0, or FN_ENOTFOUND when the
 * section is absent. Strings borrowed from cfg. */
int fn_config_s3(const fn_config_t *cfg, fn_s3_conf_t *out);
int fn_config_vault(const fn_config_t *cfg, fn_vault_conf_t *out);
int fn_config_cyberark(const fn_config_t *cfg, fn_cyberark_conf_t *out);

#endif /* FN_CONFIG_H */
