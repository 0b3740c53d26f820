/*
 * hostkeys.c — `flexnet hostkeys list | forget HOST | import FILE`: the
 * SSH host keys the store has pinned, and the deliberate ways to change
 * them. A run never replaces a pinned key that changed (that is how a
 * swapped device or a man in the middle looks): the operator forgets it
 * here, or imports keys known by other means (an OpenSSH known_hosts).
 *
 * Fingerprints are libssh's "SHA256:…" of the key blob, exactly what the
 * engine computes at login. Hashed known_hosts names (|1|…), markers
 * (@cert-authority, @revoked) and patterns cannot name a device: they
 * are counted and skipped. Thread: main. Owns the store for one call.
 */
#include "cli_cmd.h"

#include <errno.h>
#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_time.h"

static const char hostkeys_usage[] =
    "usage: flexnet hostkeys list [--json] [--db DIR]\n"
    "       flexnet hostkeys forget HOST [--db DIR]\n"
    "       flexnet hostkeys import FILE [--db DIR]\n"
    "\n"
    "  list     the pinned SSH host keys: host (address:port), type,\n"
    "           SHA256 fingerprint, first and last seen\n"
    "  forget   forget HOST's key (address:port; a bare address means\n"
    "           port 22): the next run with --host-key-policy accept-new\n"
    "           pins whatever key the device then offers\n"
    "  import   pin the keys of an OpenSSH known_hosts FILE (e.g.\n"
    "           ~/.ssh/known_hosts); a host already pinned to another key\n"
    "           is reported and left as it is\n";

/* ---- list ------------------------------------------------------------ */

typedef struct hk_list {
    int json, n;
    fn_buf_t js;
} hk_list_t;

static int hk_print(const Flexnet__V1__HostKey *hk, void *arg)
{
    hk_list_t *l = arg;
    if (l->json) {
        fn__cli_json_t j;
        fn__cli_json_begin(&j, &l->js, "hostkey");
        fn__cli_json_str(&j, "host", hk->host);
        fn__cli_json_str(&j, "key_type", hk->type);
        fn__cli_json_str(&j, "sha256", hk->sha256);
        fn__cli_json_int(&j, "first_seen_us", hk->first_seen_us);
        fn__cli_json_int(&j, "last_seen_us", hk->last_seen_us);
        if (!fn__cli_json_end(&j))
            fn__cli_json_emit(stdout, &l->js);
        return 0;
    }
    char first[32], last[32];
    fn_time_format(hk->first_seen_us, first, sizeof(first));
    fn_time_format(hk->last_seen_us, last, sizeof(last));
    if (!l->n++)
        printf("%-24s  %-20s  %-51s  %-19s  %s\n", "HOST", "TYPE",
               "FINGERPRINT", "FIRST SEEN (UTC)", "LAST SEEN");
    printf("%-24s  %-20s  %-51s  %-19s  %s\n", hk->host, hk->type, hk->sha256,
           first, last);
    return 0;
}

static int hostkeys_list(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn_store_t *st = NULL;
    int rc = fn__cli_ro_open("hostkeys list", hostkeys_usage, FN_CLI_RO_JSON, 0,
                             0, argc, argv, &ro, &st, 1);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    hk_list_t l = {.json = ro.json};
    fn_buf_init(&l.js, 0);
    rc = fn_store_hostkey_list(st, hk_print, &l);
    if (rc)
        rc = fn__cli_store_error(st, "hostkeys", "list", rc);
    else if (!l.json && !l.n)
        printf("no host keys pinned\n");
    fn_buf_cleanup(&l.js);
    fn_store_close(st);
    return rc;
}

/* ---- forget ---------------------------------------------------------- */

static int hostkeys_forget(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn_store_t *st = NULL;
    int rc = fn__cli_ro_open("hostkeys forget", hostkeys_usage, 0, 1, 1, argc,
                             argv, &ro, &st, 0);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    char host[300];
    snprintf(host, sizeof(host), "%s", ro.args[0]);
    Flexnet__V1__HostKey *hk = NULL;
    rc = fn_store_hostkey_get(st, host, &hk);
    if (rc == FN_ENOTFOUND && !strchr(ro.args[0], ':')) {
        snprintf(host, sizeof(host), "%s:22", ro.args[0]);
        rc = fn_store_hostkey_get(st, host, &hk);
    }
    if (!rc)
        rc = fn_store_hostkey_delete(st, host);
    if (rc)
        rc = fn__cli_store_error(st, "host key of", ro.args[0], rc);
    else
        printf("forgot the key of %s (%s %s): the next run pins the key the "
               "device offers\n",
               host, hk->type, hk->sha256);
    if (hk)
        flexnet__v1__host_key__free_unpacked(hk, NULL);
    fn_store_close(st);
    return rc;
}

/* ---- import ---------------------------------------------------------- */

typedef struct hk_import {
    fn_store_t *st;
    unsigned pinned, same, conflicts, skipped, bad;
} hk_import_t;

/* "SHA256:…" of a known_hosts key (type name, base64 blob) into fp;
 * the key's type as libssh names it into type. 0 or -1. */
static int hk_fingerprint(const char *ktype, const char *b64, char *type,
                          size_t tl, char *fp, size_t fl)
{
    ssh_key key = NULL;
    unsigned char *hash = NULL;
    size_t hlen = 0;
    enum ssh_keytypes_e kt = ssh_key_type_from_name(ktype);
    if (kt == SSH_KEYTYPE_UNKNOWN ||
        ssh_pki_import_pubkey_base64(b64, kt, &key) != SSH_OK)
        return -1;
    int rc = ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
                                    &hlen) == 0
                 ? 0
                 : -1;
    char *s = rc == 0 ? ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256,
                                                 hash, hlen)
                      : NULL;
    const char *name = ssh_key_type_to_char(ssh_key_type(key));
    if (s) {
        snprintf(fp, fl, "%s", s);
        snprintf(type, tl, "%s", name ? name : ktype);
    }
    ssh_string_free_char(s);
    ssh_clean_pubkey_hash(&hash);
    ssh_key_free(key);
    return s ? 0 : -1;
}

/* One known_hosts name into the store's "address:port"; 0, or -1 for a
 * name that cannot be one device (hashed, a pattern, negated). */
static int hk_host(const char *name, size_t n, char *out, size_t outlen)
{
    if (!n || name[0] == '|' || name[0] == '!' || memchr(name, '*', n) ||
        memchr(name, '?', n))
        return -1;
    const char *close = name[0] == '[' ? memchr(name, ']', n) : NULL;
    if (name[0] == '[' &&
        (!close || (size_t)(close - name) + 2 > n || close[1] != ':'))
        return -1;
    if (close)
        snprintf(out, outlen, "%.*s:%.*s", (int)(close - name - 1), name + 1,
                 (int)(n - (size_t)(close - name) - 2), close + 2);
    else
        snprintf(out, outlen, "%.*s:22", (int)n, name);
    return 0;
}

static void hk_pin(hk_import_t *im, const char *host, const char *type,
                   const char *fp)
{
    Flexnet__V1__HostKey hk = FLEXNET__V1__HOST_KEY__INIT;
    Flexnet__V1__HostKey *old = NULL;
    hk.host = (char *)host;
    hk.type = (char *)type;
    hk.sha256 = (char *)fp;
    int had = fn_store_hostkey_get(im->st, host, &old) == 0;
    int rc = fn_store_hostkey_pin(im->st, &hk);
    if (rc == FN_EHOSTKEY) {
        fprintf(stderr,
                "flexnet hostkeys import: %s: another key is pinned (%s); "
                "left as it is (flexnet hostkeys forget %s first)\n",
                host, old ? old->sha256 : "?", host);
        im->conflicts++;
    } else if (rc) {
        fprintf(stderr, "flexnet hostkeys import: %s: %s\n", host,
                fn_store_reason(im->st));
        im->bad++;
    } else {
        *(had ? &im->same : &im->pinned) += 1;
    }
    if (old)
        flexnet__v1__host_key__free_unpacked(old, NULL);
}

/* The next blank-separated field of *p (NUL-terminated in place), or
 * NULL at the end of the line. */
static char *hk_field(char **p)
{
    char *s = *p + strspn(*p, " \t\r\n");
    if (!*s)
        return NULL;
    char *e = s + strcspn(s, " \t\r\n");
    if (*e)
        *e++ = '\0';
    *p = e;
    return s;
}

/* "host1,[host2]:2222 ssh-ed25519 AAAA… comment" */
static void hk_line(hk_import_t *im, char *line)
{
    char *names = hk_field(&line);
    char *ktype = names ? hk_field(&line) : NULL;
    char *b64 = ktype ? hk_field(&line) : NULL;
    char type[64], fp[128];
    if (!names || names[0] == '#')
        return;
    if (names[0] == '@' || !b64) { /* markers, bad lines */
        im->skipped++;
        return;
    }
    if (hk_fingerprint(ktype, b64, type, sizeof(type), fp, sizeof(fp)) < 0) {
        im->bad++;
        return;
    }
    for (char *p = names; *p;) {
        size_t n = strcspn(p, ",");
        char host[300];
        if (hk_host(p, n, host, sizeof(host)) == 0)
            hk_pin(im, host, type, fp);
        else
            im->skipped++;
        p += n + (p[n] == ',');
    }
}

static int hostkeys_import(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn_store_t *st = NULL;
    int rc = fn__cli_ro_open("hostkeys import", hostkeys_usage, 0, 1, 1, argc,
                             argv, &ro, &st, 0);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    FILE *f = fopen(ro.args[0], "r");
    if (!f) {
        fprintf(stderr, "flexnet hostkeys import: %s: %s\n", ro.args[0],
                strerror(errno));
        fn_store_close(st);
        return FN_CLI_EXIT_USAGE;
    }
    hk_import_t im = {.st = st};
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0)
        hk_line(&im, line);
    free(line);
    fclose(f);
    fn_store_close(st);
    printf("%s: %u pinned, %u already pinned, %u conflicting (kept), %u "
           "skipped (hashed names, patterns, markers), %u unreadable\n",
           ro.args[0], im.pinned, im.same, im.conflicts, im.skipped, im.bad);
    return im.conflicts || im.bad ? FN_CLI_EXIT_FAILED : FN_CLI_EXIT_OK;
}

static const fn__cli_cmd_t hostkeys_cmds[] = {
    {"list", hostkeys_list},
    {"forget", hostkeys_forget},
    {"import", hostkeys_import},
    {NULL, NULL},
};

int fn__cli_cmd_hostkeys(int argc, char **argv)
{
    return fn__cli_dispatch("hostkeys", hostkeys_cmds, hostkeys_usage, argc,
                            argv);
}
