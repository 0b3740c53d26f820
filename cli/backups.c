/*
 * backups.c — `flexnet backups list | get | diff | delete`: the config
 * backups kept in the store. IDs accept unique prefixes.
 *
 * Does not take backups (`flexnet run --backup` does). Thread: main.
 * Owns the store handle and the records of one call.
 */
#include "cli_cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char backups_usage[] =
    "usage: flexnet backups list [--host H] [--task ID] [--all] [--json] "
    "[--db DIR]\n"
    "       flexnet backups get ID [-o FILE] [--db DIR]\n"
    "       flexnet backups diff ID [ID2] [--db DIR]\n"
    "       flexnet backups delete ID [--db DIR]\n"
    "\n"
    "  list     backups, newest first (the last 50; --all: every one), of\n"
    "           one host, of one task, or all\n"
    "  get      print a backed-up configuration (or write it to FILE)\n"
    "  diff     unified diff from ID2 (default: the same host's previous\n"
    "           backup) to ID\n"
    "  delete   a backup (its text goes when no other backup shares it)\n"
    "\n"
    "IDs are backup ids (task ids for --task) or unique prefixes.\n";

#define BACKUPS_LIST_DEFAULT 50

static int backups_page(fn_store_t *st, const fn__cli_ro_t *ro,
                        Flexnet__V1__ListBackupsRequest *req, fn_buf_t *js,
                        int *header)
{
    Flexnet__V1__ListBackupsResponse *resp = NULL;
    int rc = fn_store_backup_list(st, req, &resp);
    if (rc)
        return fn__cli_store_error(st, "backups", "list", rc);
    if (!ro->json && !*header && resp->n_backups) {
        printf("%-16s  %-19s  %-20s  %-16s  %8s  %-12s  %s\n", "ID",
               "CREATED (UTC)", "HOST", "TASK", "BYTES", "SHA256", "COMMENT");
        *header = 1;
    }
    for (size_t i = 0; i < resp->n_backups; i++) {
        if (ro->json && !fn__cli_json_backup(js, resp->backups[i]))
            fn__cli_json_emit(stdout, js);
        else if (!ro->json)
            fn__cli_print_backup_line(stdout, resp->backups[i]);
    }
    if (req->page_token != protobuf_c_empty_string)
        free(req->page_token);
    req->page_token = strdup(resp->next_page_token);
    flexnet__v1__list_backups_response__free_unpacked(resp, NULL);
    return req->page_token ? 0 : FN_CLI_EXIT_FAILED;
}

static int backups_list(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn_store_t *st = NULL;
    char task[FN_STORE_ID_LEN + 1];
    int rc = fn__cli_ro_open("backups list", backups_usage,
                             FN_CLI_RO_JSON | FN_CLI_RO_ALL | FN_CLI_RO_HOST |
                                 FN_CLI_RO_TASK,
                             0, 0, argc, argv, &ro, &st, 1);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    Flexnet__V1__ListBackupsRequest req =
        FLEXNET__V1__LIST_BACKUPS_REQUEST__INIT;
    fn_buf_t js;
    int header = 0;
    fn_buf_init(&js, 0);
    req.host = (char *)(ro.host ? ro.host : "");
    req.page_size = ro.all ? 1000 : BACKUPS_LIST_DEFAULT;
    if (ro.task && (rc = fn_store_task_resolve(st, ro.task, task)) != 0)
        rc = fn__cli_store_error(st, "task", ro.task, rc);
    req.task_id = ro.task ? task : "";
    while (!rc) {
        rc = backups_page(st, &ro, &req, &js, &header);
        if (!ro.all || !req.page_token || !*req.page_token)
            break;
    }
    if (!rc && !ro.json && !header)
        printf("no backups\n");
    else if (!rc && !ro.json && req.page_token && *req.page_token)
        printf("(older backups not listed; --all lists every one)\n");
    if (req.page_token != protobuf_c_empty_string)
        free(req.page_token);
    fn_buf_cleanup(&js);
    fn_store_close(st);
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

static int backups_get(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn_store_t *st = NULL;
    fn_buf_t text;
    int rc = fn__cli_ro_open("backups get", backups_usage, FN_CLI_RO_OUTPUT, 1,
                             1, argc, argv, &ro, &st, 1);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    fn_buf_init(&text, 0);
    rc = fn_store_backup_get(st, ro.args[0], NULL, &text);
    if (rc)
        rc = fn__cli_store_error(st, "backup", ro.args[0], rc);
    else
        rc = backups_write(ro.output, &text);
    fn_buf_cleanup(&text);
    fn_store_close(st);
    return rc;
}

static int backups_diff(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn_store_t *st = NULL;
    Flexnet__V1__DiffBackupsResponse *d = NULL;
    int rc = fn__cli_ro_open("backups diff", backups_usage, 0, 1, 2, argc, argv,
                             &ro, &st, 1);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
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
    fn_store_close(st);
    return rc;
}

static int backups_delete(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn_store_t *st = NULL;
    int rc = fn__cli_ro_open("backups delete", backups_usage, 0, 1, 1, argc,
                             argv, &ro, &st, 0);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    Flexnet__V1__Backup *meta = NULL;
    rc = fn_store_backup_get(st, ro.args[0], &meta, NULL);
    if (!rc)
        rc = fn_store_backup_delete(st, meta->id);
    if (rc)
        rc = fn__cli_store_error(st, "backup", ro.args[0], rc);
    else
        printf("deleted backup %s (%s)\n", meta->id, meta->host);
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
