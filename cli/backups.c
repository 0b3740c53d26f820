/*
 * backups.c — `flexnet backups list | get | diff | delete`: the config
 * backups kept in the store. IDs accept unique prefixes. A backup whose
 * record says target "s3" is read from S3 (the local copy, with a
 * warning, when S3 fails) and deleted there too, using the [s3] section
 * of the integrations config (--config, default ./flexnet.conf).
 *
 * Does not take backups (`flexnet run --backup` does). Thread: main
 * (S3 calls block it, on their own event loop). Owns the store handle,
 * the config and the records of one call.
 */
#include "cli_cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fn_config.h"
#include "fn_s3.h"

static const char backups_usage[] =
    "usage: flexnet backups list [--host H] [--task ID] [--all] [--json] "
    "[--db DIR ...]\n"
    "       flexnet backups get ID [-o FILE] [--db DIR ...] [--config FILE]\n"
    "       flexnet backups diff ID [ID2] [--db DIR ...]\n"
    "       flexnet backups delete ID [--db DIR] [--config FILE]\n"
    "\n"
    "  list     backups, newest first (the last 50; --all: every one), of\n"
    "           one host, of one task, or all\n"
    "  get      print a backed-up configuration (or write it to FILE)\n"
    "  diff     unified diff from ID2 (default: the same host's previous\n"
    "           backup) to ID\n"
    "  delete   a backup (its text goes when no other backup shares it)\n"
    "\n"
    "IDs are backup ids (task ids for --task) or unique prefixes. A backup\n"
    "copied to S3 is read from (and deleted in) S3 with the [s3] section of\n"
    "--config FILE (default ./flexnet.conf). list, get and diff read every\n"
    "store given with --db (e.g. a run's shards before `flexnet store "
    "merge`).\n";

#define BACKUPS_LIST_DEFAULT 50

static int backups_list(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn__cli_stores_t ss;
    fn__cli_list_t l = {0};
    fn_store_t *st = NULL;
    char task[FN_STORE_ID_LEN + 1];
    int rc = fn__cli_ro_open_all("backups list", backups_usage,
                                 FN_CLI_RO_JSON | FN_CLI_RO_ALL |
                                     FN_CLI_RO_HOST | FN_CLI_RO_TASK,
                                 0, 0, argc, argv, &ro, &ss);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    Flexnet__V1__ListBackupsRequest req =
        FLEXNET__V1__LIST_BACKUPS_REQUEST__INIT;
    req.host = (char *)(ro.host ? ro.host : "");
    if (ro.task && !(rc = fn__cli_stores_pick(&ss, 0, ro.task, &st)))
        fn_store_task_resolve(st, ro.task, task);
    req.task_id = ro.task ? task : "";
    if (!rc)
        rc = fn__cli_list_backups(&ss, &req, ro.all ? 0 : BACKUPS_LIST_DEFAULT,
                                  &l);
    fn_buf_t js;
    fn_buf_init(&js, 0);
    if (!rc && !ro.json && l.n)
        printf("%-16s  %-19s  %-20s  %-16s  %8s  %-12s  %s\n", "ID",
               "CREATED (UTC)", "HOST", "TASK", "BYTES", "SHA256", "COMMENT");
    for (size_t i = 0; !rc && i < l.n; i++) {
        const Flexnet__V1__Backup *b = l.items[i].msg;
        if (ro.json && !fn__cli_json_backup(&js, b))
            fn__cli_json_emit(stdout, &js);
        else if (!ro.json)
            fn__cli_print_backup_line(stdout, b);
    }
    if (!rc && !ro.json && !l.n)
        printf("no backups\n");
    else if (!rc && !ro.json && l.more)
        printf("(older backups not listed; --all lists every one)\n");
    fn_buf_cleanup(&js);
    fn__cli_list_cleanup(&l);
    fn__cli_stores_close(&ss);
    return rc;
}

/* Writes the text to path, or stdout when path is NULL. */
static int backups_write(const char *path, const fn_buf_t *text)
{
    FILE *f = path ? fopen(path, "wb") : stdout;
    if (!f) {
        fprintf(stderr, "flexnet backups get: %s: %s\n", path,
                fn_strerror(-errno));
        return FN_CLI_EXIT_USAGE;
    }
    size_t n = text->len ? fwrite(text->data, 1, text->len, f) : 0;
    int bad = n != text->len;
    bad |= path ? fclose(f) != 0 : fflush(f) != 0;
    if (bad)
        fprintf(stderr, "flexnet backups get: %s: write failed\n",
                path ? path : "stdout");
    return bad ? FN_CLI_EXIT_FAILED : 0;
}

/* Runs op (a sync S3 call) on a backup's object with the [s3] section
 * of cfg and the record's bucket. Returns its code, reason filled. */
static int backups_s3(const fn_config_t *cfg, const Flexnet__V1__Backup *m,
                      fn_buf_t *out, char *reason, size_t rlen)
{
    fn_s3_conf_t conf;
    if (fn_config_s3(cfg, &conf)) {
        snprintf(reason, rlen, "no [s3] section in the config");
        return FN_ENOTFOUND;
    }
    conf.bucket = m->bucket;
    return out ? fn_s3_sync_get(&conf, m->key, out, reason, rlen)
               : fn_s3_sync_delete(&conf, m->key, reason, rlen);
}

/* The text of an S3 backup from S3, else (with a warning) the local
 * copy; of a local backup, the local copy. */
static int backups_text(fn_store_t *st, const fn__cli_ro_t *ro, fn_buf_t *text)
{
    Flexnet__V1__Backup *m = NULL;
    fn_config_t *cfg = NULL;
    char reason[256] = "";
    int rc = fn_store_backup_get(st, ro->args[0], &m, NULL);
    if (rc)
        return fn__cli_store_error(st, "backup", ro->args[0], rc);
    int s3 = !strcmp(m->target, "s3");
    if (s3 && (rc = fn__cli_config_load("backups get", ro->config, &cfg)))
        goto out;
    if (s3 && (rc = backups_s3(cfg, m, text, reason, sizeof(reason)))) {
        fprintf(stderr,
                "flexnet backups get: warning: S3 s3://%s/%s: %s; "
                "using the local copy\n",
                m->bucket, m->key, *reason ? reason : fn_strerror(rc));
        fn_buf_reset(text);
    }
    if (!s3 || rc) {
        rc = fn_store_backup_get(st, m->id, NULL, text);
        if (rc)
            rc = fn__cli_store_error(st, "backup", ro->args[0], rc);
    }
out:
    fn_config_free(cfg);
    flexnet__v1__backup__free_unpacked(m, NULL);
    return rc;
}

static int backups_get(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn__cli_stores_t ss;
    fn_store_t *st = NULL;
    fn_buf_t text;
    int rc = fn__cli_ro_open_all("backups get", backups_usage,
                                 FN_CLI_RO_OUTPUT | FN_CLI_RO_CONFIG, 1, 1,
                                 argc, argv, &ro, &ss);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    fn_buf_init(&text, 0);
    rc = fn__cli_stores_pick(&ss, 1, ro.args[0], &st);
    if (!rc)
        rc = backups_text(st, &ro, &text);
    if (!rc)
        rc = backups_write(ro.output, &text);
    fn_buf_cleanup(&text);
    fn__cli_stores_close(&ss);
    return rc;
}

static int backups_diff(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn__cli_stores_t ss;
    fn_store_t *st = NULL;
    Flexnet__V1__DiffBackupsResponse *d = NULL;
    int rc = fn__cli_ro_open_all("backups diff", backups_usage, 0, 1, 2, argc,
                                 argv, &ro, &ss);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    if ((rc = fn__cli_stores_pick(&ss, 1, ro.args[0], &st)) != 0) {
        fn__cli_stores_close(&ss);
        return rc;
    }
    rc = fn_store_backup_diff(st, ro.args[0], ro.args[1], 3, &d);
    if (rc == FN_ENOTFOUND && ro.nargs == 1 &&
        !fn_store_backup_get(st, ro.args[0], NULL, NULL)) {
        fprintf(stderr,
                "flexnet backups diff: %s is the host's first "
                "backup: nothing to compare with\n",
                ro.args[0]);
        rc = FN_CLI_EXIT_USAGE;
    } else if (rc) {
        rc = fn__cli_store_error(st, "backup", ro.args[ro.nargs - 1], rc);
    }
    if (!rc && d->identical)
        printf("backups %s and %s are identical\n", d->id_b, d->id_a);
    else if (!rc)
        fputs(d->diff, stdout);
    if (!rc && d->truncated)
        fprintf(stderr, "flexnet backups diff: the diff was cut short\n");
    if (d)
        flexnet__v1__diff_backups_response__free_unpacked(d, NULL);
    fn__cli_stores_close(&ss);
    return rc;
}

/* Deletes the S3 object of a backup; a failure is a warning (the record
 * goes anyway). Returns 0 or an exit status. */
static int backups_delete_s3(const fn__cli_ro_t *ro,
                             const Flexnet__V1__Backup *m)
{
    fn_config_t *cfg = NULL;
    char reason[256] = "";
    int rc = fn__cli_config_load("backups delete", ro->config, &cfg);
    if (!rc)
        rc = backups_s3(cfg, m, NULL, reason, sizeof(reason));
    if (rc && rc != FN_CLI_EXIT_USAGE)
        fprintf(stderr,
                "flexnet backups delete: warning: S3 s3://%s/%s not "
                "deleted: %s\n",
                m->bucket, m->key, *reason ? reason : fn_strerror(rc));
    else if (!rc)
        printf("deleted s3://%s/%s\n", m->bucket, m->key);
    fn_config_free(cfg);
    return rc ? FN_CLI_EXIT_FAILED : 0;
}

static int backups_delete(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn_store_t *st = NULL;
    int rc = fn__cli_ro_open("backups delete", backups_usage, FN_CLI_RO_CONFIG,
                             1, 1, argc, argv, &ro, &st, 0);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    Flexnet__V1__Backup *meta = NULL;
    int s3rc = 0;
    rc = fn_store_backup_get(st, ro.args[0], &meta, NULL);
    if (!rc && !strcmp(meta->target, "s3"))
        s3rc = backups_delete_s3(&ro, meta);
    if (!rc)
        rc = fn_store_backup_delete(st, meta->id);
    if (rc)
        rc = fn__cli_store_error(st, "backup", ro.args[0], rc);
    else
        printf("deleted backup %s (%s)\n", meta->id, meta->host);
    if (!rc && s3rc)
        rc = FN_CLI_EXIT_FAILED;
    if (meta)
        flexnet__v1__backup__free_unpacked(meta, NULL);
    fn_store_close(st);
    return rc;
}

static const fn__cli_cmd_t backups_cmds[] = {
    {"list", backups_list},     {"get", backups_get}, {"diff", backups_diff},
    {"delete", backups_delete}, {NULL, NULL},
};

int fn__cli_cmd_backups(int argc, char **argv)
{
    return fn__cli_dispatch("backups", backups_cmds, backups_usage, argc, argv);
}
