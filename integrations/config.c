/*
 * config.c — the integrations INI parser and its typed views.
 *
 * Parses line by line into a flat list of (section, key, value, line) and
 * checks every key against one static table as it goes, then each
 * section's cross-key rules (required keys, one secret source) when the
 * file is done, so every error names a file and line. Does not read any
 * secret: that happens in the clients that use the values.
 *
 * Thread: any; a config is immutable after parse. Owns its strings.
 */
#include "fn_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_lines.h"
#include "fn_str.h"

#define CONFIG_MAX_BYTES (1024 * 1024)

enum key_type { KT_STR, KT_URL, KT_BOOL, KT_UINT, KT_ENUM };

typedef struct key_spec {
    const char *section;
    const char *key;
    int type;            /* enum key_type */
    const char *choices; /* KT_ENUM: "a|b" */
} key_spec_t;

static const key_spec_t key_table[] = {
    {"s3", "endpoint", KT_URL, NULL},
    {"s3", "region", KT_STR, NULL},
    {"s3", "bucket", KT_STR, NULL},
    {"s3", "access_key", KT_STR, NULL},
    {"s3", "access_key_env", KT_STR, NULL},
    {"s3", "access_key_file", KT_STR, NULL},
    {"s3", "secret_key_env", KT_STR, NULL},
    {"s3", "secret_key_file", KT_STR, NULL},
    {"s3", "url_style", KT_ENUM, "path|virtual"},
    {"s3", "create_bucket", KT_BOOL, NULL},
    {"s3", "prefix", KT_STR, NULL},
    {"vault", "address", KT_URL, NULL},
    {"vault", "token_env", KT_STR, NULL},
    {"vault", "token_file", KT_STR, NULL},
    {"vault", "role_id", KT_STR, NULL},
    {"vault", "secret_id_env", KT_STR, NULL},
    {"vault", "secret_id_file", KT_STR, NULL},
    {"vault", "approle_mount", KT_STR, NULL},
    {"vault", "mount", KT_STR, NULL},
    {"vault", "namespace", KT_STR, NULL},
    {"vault", "username_field", KT_STR, NULL},
    {"vault", "password_field", KT_STR, NULL},
    {"vault", "check_ref", KT_STR, NULL},
    {"cyberark", "mode", KT_ENUM, "ccp|pvwa"},
    {"cyberark", "url", KT_URL, NULL},
    {"cyberark", "app_id", KT_STR, NULL},
    {"cyberark", "safe", KT_STR, NULL},
    {"cyberark", "cert_file", KT_STR, NULL},
    {"cyberark", "key_file", KT_STR, NULL},
    {"cyberark", "username", KT_STR, NULL},
    {"cyberark", "password_env", KT_STR, NULL},
    {"cyberark", "password_file", KT_STR, NULL},
    {"cyberark", "auth_method", KT_STR, NULL},
    {"cyberark", "reason", KT_STR, NULL},
    {"cyberark", "check_ref", KT_STR, NULL},
    /* NULL section: valid in every section */
    {"defaults", "inventory", KT_STR, NULL},
    {"defaults", "inventory_format", KT_ENUM, "ini|yaml|ansible|nornir"},
    {"defaults", "user", KT_STR, NULL},
    {"defaults", "password_env", KT_STR, NULL},
    {"defaults", "enable_password_env", KT_STR, NULL},
    {"defaults", "vendor", KT_STR, NULL},
    {NULL, "verify_tls", KT_BOOL, NULL},
    {NULL, "ca_file", KT_STR, NULL},
    {NULL, "timeout", KT_UINT, NULL},
    {NULL, "retries", KT_UINT, NULL},
};

/* Keys that would put a secret in clear into the file. */
static const char *const literal_secrets[] = {
    "secret_key", "token", "secret_id", "password", "secret",
};

typedef struct entry {
    char *section;
    char *key;
    char *value;
    int line;
} entry_t;

enum { SEC_S3, SEC_VAULT, SEC_CYBERARK, SEC_DEFAULTS, SEC_COUNT };

struct fn_config {
    entry_t *entries;
    size_t n, cap;
    int section_line[SEC_COUNT]; /* 0: absent; indexed like section_table */
    char *origin;
};

typedef struct parser {
    fn_config_t *cfg;
    const char *origin;
    int line;
    int cur; /* index into section_table, -1 before any */
    char *err;
    size_t errlen;
} parser_t;

static int check_s3(parser_t *p);
static int check_vault(parser_t *p);
static int check_cyberark(parser_t *p);

/* The sections: name and cross-key check (run when the file is read),
 * indexed by the SEC_ enum above. */
static const struct section_spec {
    const char *name;
    int (*check)(parser_t *p); /* NULL: no cross-key rule */
} section_table[SEC_COUNT] = {
    [SEC_S3] = {"s3", check_s3},
    [SEC_VAULT] = {"vault", check_vault},
    [SEC_CYBERARK] = {"cyberark", check_cyberark},
    [SEC_DEFAULTS] = {"defaults", NULL},
};

static int perr(parser_t *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int perr(parser_t *p, int line, const char *fmt, ...)
{
    if (p->err && p->errlen) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(p->err, p->errlen, "%s:%d: %s", p->origin, line, msg);
    }
    return FN_EPARSE;
}

static int section_index(const char *name)
{
    for (int i = 0; i < SEC_COUNT; i++)
        if (strcmp(section_table[i].name, name) == 0)
            return i;
    return -1;
}

static const key_spec_t *key_find(const char *section, const char *key)
{
    for (size_t i = 0; i < sizeof(key_table) / sizeof(key_table[0]); i++) {
        const key_spec_t *k = &key_table[i];
        if (strcmp(k->key, key) == 0 &&
            (k->section ? strcmp(k->section, section) == 0
                        : strcmp(section, "defaults") != 0))
            return k;
    }
    return NULL;
}

static const entry_t *entry_find(const fn_config_t *cfg, const char *section,
                                 const char *key)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (strcmp(cfg->entries[i].section, section) == 0 &&
            strcmp(cfg->entries[i].key, key) == 0)
            return &cfg->entries[i];
    return NULL;
}

static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return FN_EPARSE;
}

static int parse_uint(const char *v, long *out)
{
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 0 || n > 1000000)
        return FN_EPARSE;
    *out = n;
    return 0;
}

static int enum_ok(const char *choices, const char *v)
{
    size_t vl = strlen(v);
    const char *c = choices;
    while (*c) {
        const char *bar = strchr(c, '|');
        size_t cl = bar ? (size_t)(bar - c) : strlen(c);
        if (cl == vl && strncmp(c, v, cl) == 0)
            return 1;
        c += cl + (bar ? 1 : 0);
    }
    return 0;
}

static int value_check(parser_t *p, const key_spec_t *k, const char *v)
{
    int b;
    long n;
    switch (k->type) {
    case KT_URL:
        if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
            return perr(p, p->line, "%s: want an http:// or https:// URL",
                        k->key);
        return 0;
    case KT_BOOL:
        if (parse_bool(v, &b))
            return perr(p, p->line, "%s: want true or false, got '%s'", k->key,
                        v);
        return 0;
    case KT_UINT:
        if (parse_uint(v, &n))
            return perr(p, p->line, "%s: want a whole number, got '%s'", k->key,
                        v);
        return 0;
    case KT_ENUM:
        if (!enum_ok(k->choices, v))
            return perr(p, p->line, "%s: want one of %s, got '%s'", k->key,
                        k->choices, v);
        return 0;
    default:
        return 0;
    }
}

static int entry_add(parser_t *p, const char *key, const char *value)
{
    fn_config_t *cfg = p->cfg;
    if (cfg->n == cfg->cap) {
        size_t cap = cfg->cap ? cfg->cap * 2 : 16;
        entry_t *e = realloc(cfg->entries, cap * sizeof(*e));
        if (!e)
            return -ENOMEM;
        cfg->entries = e;
        cfg->cap = cap;
    }
    entry_t *e = &cfg->entries[cfg->n];
    e->section = strdup(section_table[p->cur].name);
    e->key = strdup(key);
    e->value = strdup(value);
    e->line = p->line;
    cfg->n++;
    if (!e->section || !e->key || !e->value)
        return -ENOMEM;
    return 0;
}

static int parse_section(parser_t *p, char *s)
{
    char *close = strchr(s, ']');
    if (!close || *fn_str_trim(close + 1))
        return perr(p, p->line, "bad section header");
    *close = '\0';
    char *name = fn_str_trim(s + 1);
    int idx = section_index(name);
    if (idx < 0)
        return perr(p, p->line,
                    "unknown section [%s] (want s3, vault, cyberark or "
                    "defaults)",
                    name);
    if (p->cfg->section_line[idx])
        return perr(p, p->line, "section [%s] repeated (first at line %d)",
                    name, p->cfg->section_line[idx]);
    p->cfg->section_line[idx] = p->line;
    p->cur = idx;
    return 0;
}

static int is_literal_secret(const char *key)
{
    size_t n = sizeof(literal_secrets) / sizeof(literal_secrets[0]);
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, literal_secrets[i]) == 0)
            return 1;
    return 0;
}

static int parse_pair(parser_t *p, fn_lines_t *r, char *s)
{
    char *key, *value;
    int rc = fn_lines_pair(r, s, &key, &value);
    if (rc)
        return rc;
    if (p->cur < 0)
        return perr(p, p->line, "'%s' outside any section", key);
    const char *sec = section_table[p->cur].name;
    if (is_literal_secret(key))
        return perr(p, p->line,
                    "secrets are not written in the file: use %s_env "
                    "or %s_file",
                    key, key);
    const key_spec_t *k = key_find(sec, key);
    if (!k)
        return perr(p, p->line, "unknown key '%s' in [%s]", key, sec);
    const entry_t *dup = entry_find(p->cfg, sec, key);
    if (dup)
        return perr(p, p->line, "'%s' repeated (first at line %d)", key,
                    dup->line);
    rc = value_check(p, k, value);
    return rc ? rc : entry_add(p, key, value);
}

/* --- cross-key rules, run once the whole file is read ---------------- */

static int nset(const fn_config_t *cfg, const char *sec,
                const char *const *keys)
{
    int n = 0;
    for (; *keys; keys++)
        n += entry_find(cfg, sec, *keys) != NULL;
    return n;
}

/* Exactly one of keys (NULL-terminated) must be set in sec. */
static int need_one(parser_t *p, int idx, const char *what,
                    const char *const *keys)
{
    const char *sec = section_table[idx].name;
    int n = nset(p->cfg, sec, keys);
    if (n == 1)
        return 0;
    return perr(p, p->cfg->section_line[idx], "[%s] needs %s %s", sec,
                n ? "only one of" : "one of", what);
}

static int need_key(parser_t *p, int idx, const char *key)
{
    if (entry_find(p->cfg, section_table[idx].name, key))
        return 0;
    return perr(p, p->cfg->section_line[idx], "[%s] needs '%s'",
                section_table[idx].name, key);
}

static int check_s3(parser_t *p)
{
    static const char *const ak[] = {"access_key", "access_key_env",
                                     "access_key_file", NULL};
    static const char *const sk[] = {"secret_key_env", "secret_key_file", NULL};
    int rc = need_key(p, SEC_S3, "endpoint");
    if (!rc)
        rc = need_key(p, SEC_S3, "bucket");
    if (!rc)
        rc = need_one(p, SEC_S3, "access_key, access_key_env, access_key_file",
                      ak);
    if (!rc)
        rc = need_one(p, SEC_S3, "secret_key_env, secret_key_file", sk);
    return rc;
}

static int check_vault(parser_t *p)
{
    static const char *const auth[] = {"token_env", "token_file", "role_id",
                                       NULL};
    static const char *const sid[] = {"secret_id_env", "secret_id_file", NULL};
    int rc = need_key(p, SEC_VAULT, "address");
    if (!rc)
        rc = need_one(p, SEC_VAULT, "token_env, token_file, role_id (AppRole)",
                      auth);
    if (!rc && entry_find(p->cfg, "vault", "role_id"))
        rc = need_one(p, SEC_VAULT, "secret_id_env, secret_id_file (AppRole)",
                      sid);
    return rc;
}

static int check_cyberark(parser_t *p)
{
    static const char *const pw[] = {"password_env", "password_file", NULL};
    const entry_t *mode = entry_find(p->cfg, "cyberark", "mode");
    int rc = need_key(p, SEC_CYBERARK, "url");
    if (rc)
        return rc;
    if (mode && strcmp(mode->value, "pvwa") == 0) {
        rc = need_key(p, SEC_CYBERARK, "username");
        return rc ? rc
                  : need_one(p, SEC_CYBERARK, "password_env, password_file",
                             pw);
    }
    return need_key(p, SEC_CYBERARK, "app_id");
}

static int check_sections(parser_t *p)
{
    for (int i = 0; i < SEC_COUNT; i++) {
        if (!p->cfg->section_line[i] || !section_table[i].check)
            continue;
        int rc = section_table[i].check(p);
        if (rc)
            return rc;
    }
    return 0;
}

/* --- public ---------------------------------------------------------- */

static int parse_text(parser_t *p, const char *text, size_t len)
{
    fn_lines_t *r = malloc(sizeof(*r));
    if (!r)
        return -ENOMEM;
    fn_lines_init(r, text, len, p->origin, p->err, p->errlen);
    char *s;
    int rc;
    while ((rc = fn_lines_next(r, &s)) == 1) {
        p->line = r->line;
        rc = *s == '[' ? parse_section(p, s) : parse_pair(p, r, s);
        if (rc)
            break;
    }
    free(r);
    if (rc < 0)
        return rc;
    return check_sections(p);
}

int fn_config_parse(fn_config_t **out, const char *text, size_t len,
                    const char *origin, char *err, size_t errlen)
{
    *out = NULL;
    fn_config_t *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return -ENOMEM;
    cfg->origin = strdup(origin ? origin : "<inline>");
    if (!cfg->origin) {
        free(cfg);
        return -ENOMEM;
    }
    parser_t p = {cfg, cfg->origin, 0, -1, err, errlen};
    int rc = parse_text(&p, text, len);
    if (rc) {
        fn_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

int fn_config_load(fn_config_t **out, const char *path, char *err,
                   size_t errlen)
{
    const char *p = path ? path : "./flexnet.conf";
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = fn_lines_slurp(p, CONFIG_MAX_BYTES, &text, &len, err, errlen);
    if (rc == -ENOENT && !path)
        return fn_config_parse(out, "", 0, p, err, errlen);
    if (rc)
        return rc;
    rc = fn_config_parse(out, text, len, p, err, errlen);
    free(text);
    return rc;
}

void fn_config_free(fn_config_t *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->entries[i].section);
        free(cfg->entries[i].key);
        free(cfg->entries[i].value);
    }
    free(cfg->entries);
    free(cfg->origin);
    free(cfg);
}

const char *fn_config_get(const fn_config_t *cfg, const char *section,
                          const char *key)
{
    const entry_t *e = entry_find(cfg, section, key);
    return e ? e->value : NULL;
}

int fn_config_has(const fn_config_t *cfg, const char *section)
{
    int idx = section_index(section);
    return idx >= 0 && cfg->section_line[idx] != 0;
}

/* Values were checked at parse time, so conversions cannot fail here. */
static const char *get_or(const fn_config_t *cfg, const char *sec,
                          const char *key, const char *def)
{
    const char *v = fn_config_get(cfg, sec, key);
    return v ? v : def;
}

static int get_bool(const fn_config_t *cfg, const char *sec, const char *key,
                    int def)
{
    const char *v = fn_config_get(cfg, sec, key);
    int b = def;
    if (v)
        parse_bool(v, &b);
    return b;
}

static long get_uint(const fn_config_t *cfg, const char *sec, const char *key,
                     long def)
{
    const char *v = fn_config_get(cfg, sec, key);
    long n = def;
    if (v)
        parse_uint(v, &n);
    return n;
}

static void tls_view(const fn_config_t *cfg, const char *sec, fn_tls_conf_t *t)
{
    t->verify_tls = get_bool(cfg, sec, "verify_tls", 1);
    t->ca_file = fn_config_get(cfg, sec, "ca_file");
    t->timeout_ms = get_uint(cfg, sec, "timeout", 30) * 1000;
    t->retries = (int)get_uint(cfg, sec, "retries", 3);
}

/* String fields of a view: key, default, where in the struct. */
typedef struct str_field {
    const char *key;
    const char *def;
    size_t off;
} str_field_t;

#define SF(type, key, def, field)                                              \
    {                                                                          \
        key, def, offsetof(type, field)                                        \
    }

static const str_field_t s3_fields[] = {
    SF(fn_s3_conf_t, "endpoint", NULL, endpoint),
    SF(fn_s3_conf_t, "region", "us-east-1", region),
    SF(fn_s3_conf_t, "bucket", NULL, bucket),
    SF(fn_s3_conf_t, "access_key", NULL, access_key),
    SF(fn_s3_conf_t, "access_key_env", NULL, access_key_env),
    SF(fn_s3_conf_t, "access_key_file", NULL, access_key_file),
    SF(fn_s3_conf_t, "secret_key_env", NULL, secret_key_env),
    SF(fn_s3_conf_t, "secret_key_file", NULL, secret_key_file),
    SF(fn_s3_conf_t, "prefix", "", prefix),
};

static const str_field_t vault_fields[] = {
    SF(fn_vault_conf_t, "address", NULL, address),
    SF(fn_vault_conf_t, "token_env", NULL, token_env),
    SF(fn_vault_conf_t, "token_file", NULL, token_file),
    SF(fn_vault_conf_t, "role_id", NULL, role_id),
    SF(fn_vault_conf_t, "secret_id_env", NULL, secret_id_env),
    SF(fn_vault_conf_t, "secret_id_file", NULL, secret_id_file),
    SF(fn_vault_conf_t, "approle_mount", "approle", approle_mount),
    SF(fn_vault_conf_t, "mount", "secret", mount),
    SF(fn_vault_conf_t, "namespace", NULL, namespace_),
    SF(fn_vault_conf_t, "username_field", "username", username_field),
    SF(fn_vault_conf_t, "password_field", "password", password_field),
    SF(fn_vault_conf_t, "check_ref", NULL, check_ref),
};

static const str_field_t ark_fields[] = {
    SF(fn_cyberark_conf_t, "url", NULL, url),
    SF(fn_cyberark_conf_t, "app_id", NULL, app_id),
    SF(fn_cyberark_conf_t, "safe", NULL, safe),
    SF(fn_cyberark_conf_t, "cert_file", NULL, cert_file),
    SF(fn_cyberark_conf_t, "key_file", NULL, key_file),
    SF(fn_cyberark_conf_t, "username", NULL, username),
    SF(fn_cyberark_conf_t, "password_env", NULL, password_env),
    SF(fn_cyberark_conf_t, "password_file", NULL, password_file),
    SF(fn_cyberark_conf_t, "auth_method", "CyberArk", auth_method),
    SF(fn_cyberark_conf_t, "reason", "flexnet", reason),
    SF(fn_cyberark_conf_t, "check_ref", NULL, check_ref),
};

static void fill_strings(const fn_config_t *cfg, const char *sec,
                         const str_field_t *f, size_t n, void *view)
{
    for (size_t i = 0; i < n; i++)
        *(const char **)((char *)view + f[i].off) =
            get_or(cfg, sec, f[i].key, f[i].def);
}

#define FILL(cfg, sec, table, view)                                            \
    fill_strings(cfg, sec, table, sizeof(table) / sizeof(table[0]), view)

int fn_config_s3(const fn_config_t *cfg, fn_s3_conf_t *o)
{
    const char *s = "s3";
    memset(o, 0, sizeof(*o));
    if (!fn_config_has(cfg, s))
        return FN_ENOTFOUND;
    FILL(cfg, s, s3_fields, o);
    o->path_style = strcmp(get_or(cfg, s, "url_style", "path"), "path") == 0;
    o->create_bucket = get_bool(cfg, s, "create_bucket", 0);
    tls_view(cfg, s, &o->tls);
    return 0;
}

int fn_config_vault(const fn_config_t *cfg, fn_vault_conf_t *o)
{
    const char *s = "vault";
    memset(o, 0, sizeof(*o));
    if (!fn_config_has(cfg, s))
        return FN_ENOTFOUND;
    FILL(cfg, s, vault_fields, o);
    tls_view(cfg, s, &o->tls);
    return 0;
}

int fn_config_cyberark(const fn_config_t *cfg, fn_cyberark_conf_t *o)
{
    const char *s = "cyberark";
    memset(o, 0, sizeof(*o));
    if (!fn_config_has(cfg, s))
        return FN_ENOTFOUND;
    FILL(cfg, s, ark_fields, o);
    o->mode = strcmp(get_or(cfg, s, "mode", "ccp"), "pvwa") == 0
                  ? FN_CYBERARK_PVWA
                  : FN_CYBERARK_CCP;
    tls_view(cfg, s, &o->tls);
    return 0;
}
