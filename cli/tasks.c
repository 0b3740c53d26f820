/*
 * tasks.c — `flexnet tasks list | show | log | delete`: reads back what
 * `flexnet run` (or flexnetd) stored. IDs accept unique prefixes.
 *
 * Reads with short store transactions (a concurrent writer is fine);
 * only `delete` opens the store for writing. Does not run anything.
 * Thread: main. Owns the store handle and the records of one call.
 */
#include "cli_cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fn_time.h"

static const char tasks_usage[] =
    "usage: flexnet tasks list [--all] [--json] [--db DIR]\n"
    "       flexnet tasks show ID [-v] [--parsed] [--json] [--db DIR]\n"
    "       flexnet tasks log ID [--db DIR]\n"
    "       flexnet tasks delete ID [--db DIR]\n"
    "\n"
    "  list     tasks, newest first (the last 20; --all: every one)\n"
    "  show     a task: spec, summary, connection report, per-device\n"
    "           results (-v: every command with its output; --parsed:\n"
    "           the TextFSM records of each parsed command as a table)\n"
    "  log      the task's log\n"
    "  delete   a task with its results and log (its backups stay)\n"
    "\n"
    "ID is a task id or a unique prefix of one. --json prints one JSON\n"
    "object per line.\n";

#define TASKS_LIST_DEFAULT 20

static int tasks_list_page(fn_store_t *st, const fn__cli_ro_t *ro,
                           Flexnet__V1__ListTasksRequest *req, fn_buf_t *js,
                           int *header)
{
    Flexnet__V1__ListTasksResponse *resp = NULL;
    int rc = fn_store_task_list(st, req, &resp);
    if (rc)
        return fn__cli_store_error(st, "tasks", "list", rc);
    if (!ro->json && !*header && resp->n_tasks) {
        printf("%-16s  %-19s  %-11s  %7s  %5s  %6s  %9s  %s\n", "ID",
               "CREATED (UTC)", "STATUS", "DEVICES", "OK", "FAILED", "DURATION",
               "NAME");
        *header = 1;
    }
    for (size_t i = 0; i < resp->n_tasks; i++) {
        if (ro->json && !fn__cli_json_task(js, resp->tasks[i]))
            fn__cli_json_emit(stdout, js);
        else if (!ro->json)
            fn__cli_print_task_line(stdout, resp->tasks[i]);
    }
    free(req->page_token);
    req->page_token = strdup(resp->next_page_token);
    flexnet__v1__list_tasks_response__free_unpacked(resp, NULL);
    return req->page_token ? 0 : FN_CLI_EXIT_FAILED;
}

static int tasks_list(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn_store_t *st = NULL;
    int rc = fn__cli_ro_open("tasks list", tasks_usage,
                             FN_CLI_RO_JSON | FN_CLI_RO_ALL, 0, 0, argc, argv,
                             &ro, &st, 1);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    Flexnet__V1__ListTasksRequest req = FLEXNET__V1__LIST_TASKS_REQUEST__INIT;
    fn_buf_t js;
    int header = 0;
    fn_buf_init(&js, 0);
    req.page_size = ro.all ? 1000 : TASKS_LIST_DEFAULT;
    req.page_token = strdup("");
    do {
        rc = req.page_token ? tasks_list_page(st, &ro, &req, &js, &header)
                            : FN_CLI_EXIT_FAILED;
    } while (!rc && ro.all && *req.page_token);
    if (!rc && !ro.json && !header)
        printf("no tasks\n");
    else if (!rc && !ro.json && *req.page_token)
        printf("(older tasks not listed; --all lists every one)\n");
    free(req.page_token);
    fn_buf_cleanup(&js);
    fn_store_close(st);
    return rc;
}

/* ---- show ---------------------------------------------------------- */

static void tasks_print_steps(const Flexnet__V1__TaskSpec *s)
{
    static const char *const kinds[] = {"?", "commands", "config", "backup"};
    for (size_t i = 0; i < s->n_steps; i++) {
        const Flexnet__V1__Step *st = s->steps[i];
        printf("  %zu. %s", i + 1, kinds[st->kind <= 3 ? st->kind : 0]);
        for (size_t j = 0; j < st->n_commands; j++)
            printf("%s%s", j ? "; " : ": ", st->commands[j]);
        if (*st->comment)
            printf(" (comment \"%s\")", st->comment);
        if (*st->tag)
            printf(" [tag %s]", st->tag);
        printf("\n");
    }
}

static void tasks_print_header(const Flexnet__V1__Task *t)
{
    char c[32] = "-", s[32] = "-", f[32] = "-";
    if (t->created_us)
        fn_time_format(t->created_us, c, sizeof(c));
    if (t->started_us)
        fn_time_format(t->started_us, s, sizeof(s));
    if (t->finished_us)
        fn_time_format(t->finished_us, f, sizeof(f));
    printf("task     %s\nname     %s\nstatus   %s%s%s\n", t->id, t->name,
           fn__cli_task_outcome(t), *t->error ? ": " : "", t->error);
    printf("created  %s UTC\nstarted  %s\nfinished %s\n", c, s, f);
    if (t->spec) {
        const Flexnet__V1__TaskSpec *sp = t->spec;
        printf("targets ");
        for (size_t i = 0; i < sp->n_groups; i++)
            printf(" group:%s", sp->groups[i]);
        for (size_t i = 0; i < sp->n_hosts; i++)
            printf(" host:%s", sp->hosts[i]);
        printf("\ninventory %s\nsteps\n", sp->inventory_path);
        tasks_print_steps(sp);
    }
}

static int tasks_dev_cmp(const void *a, const void *b)
{
    return strcmp(((const fn__cli_dev_t *)a)->host,
                  ((const fn__cli_dev_t *)b)->host);
}

static fn__cli_dev_t *tasks_dev_find(fn__cli_dev_t *rows, size_t n,
                                     const char *host)
{
    fn__cli_dev_t key = {.host = host};
    return bsearch(&key, rows, n, sizeof(*rows), tasks_dev_cmp);
}

/* What `tasks show` builds while it streams a task's results (results
 * are never all in memory: a task may have millions). */
typedef struct tasks_show {
    fn__cli_dev_t *rows; /* owned, sorted by host: one per report */
    char **notes;        /* owned: notes copied from results, per row */
    size_t n;
    fn_buf_t js; /* --json scratch */
} tasks_show_t;

static int tasks_show_rows(tasks_show_t *ts,
                           const Flexnet__V1__GetTaskResponse *g)
{
    ts->n = g->n_connections;
    ts->rows = calloc(ts->n + 1, sizeof(*ts->rows));
    ts->notes = calloc(ts->n + 1, sizeof(*ts->notes));
    if (!ts->rows || !ts->notes)
        return -ENOMEM;
    for (size_t i = 0; i < ts->n; i++) {
        const Flexnet__V1__ConnectionReport *c = g->connections[i];
        ts->rows[i].host = c->host;
        ts->rows[i].vendor = c->vendor;
        ts->rows[i].connect = (int)c->status;
        ts->rows[i].note = *c->reason ? c->reason : NULL;
    }
    qsort(ts->rows, ts->n, sizeof(*ts->rows), tasks_dev_cmp);
    return 0;
}

/* fn_store_result_foreach callback: counts a result into its row (the
 * store's order is not relied upon). */
static int tasks_count_result(const Flexnet__V1__CommandResult *r, void *arg)
{
    tasks_show_t *ts = arg;
    fn__cli_dev_t *d = tasks_dev_find(ts->rows, ts->n, r->host);
    int bad = r->exit_code != 0 && r->exit_code != -2;
    if (!d)
        return 0;
    d->commands++;
    d->errors += bad;
    if (bad && !d->note) { /* r is borrowed: keep a copy */
        char **note = &ts->notes[d - ts->rows];
        *note = strdup(*r->stderr ? r->stderr : r->reason);
        d->note = *note;
    }
    return 0;
}

static int tasks_print_result(const Flexnet__V1__CommandResult *r, void *arg)
{
    fn__cli_print_result(stdout, r, 1);
    return 0;
}

static int tasks_print_records(const Flexnet__V1__CommandResult *r, void *arg)
{
    fn__cli_print_records(stdout, r);
    return 0;
}

static int tasks_json_result(const Flexnet__V1__CommandResult *r, void *arg)
{
    tasks_show_t *ts = arg;
    if (!fn__cli_json_result(&ts->js, r))
        fn__cli_json_emit(stdout, &ts->js);
    return 0;
}

static void tasks_show_cleanup(tasks_show_t *ts)
{
    for (size_t i = 0; ts->notes && i < ts->n; i++)
        free(ts->notes[i]);
    free(ts->notes);
    free(ts->rows);
    fn_buf_cleanup(&ts->js);
}

/* Adds each host's backups of this task to its row. */
static void tasks_count_backups(fn_store_t *st, const char *task_id,
                                fn__cli_dev_t *rows, size_t n)
{
    Flexnet__V1__ListBackupsRequest req =
        FLEXNET__V1__LIST_BACKUPS_REQUEST__INIT;
    Flexnet__V1__ListBackupsResponse *resp = NULL;
    req.task_id = (char *)task_id;
    req.page_size = 1000;
    do {
        if (fn_store_backup_list(st, &req, &resp))
            return;
        for (size_t i = 0; i < resp->n_backups; i++) {
            fn__cli_dev_t *d = tasks_dev_find(rows, n, resp->backups[i]->host);
            if (d)
                d->backups++;
        }
        if (req.page_token != protobuf_c_empty_string)
            free(req.page_token);
        req.page_token = strdup(resp->next_page_token);
        flexnet__v1__list_backups_response__free_unpacked(resp, NULL);
    } while (req.page_token && *req.page_token);
    free(req.page_token);
}

static int tasks_show_text(fn_store_t *st,
                           const Flexnet__V1__GetTaskResponse *g, int verbose,
                           int parsed)
{
    const Flexnet__V1__Task *t = g->task;
    tasks_show_t ts = {0};
    fn_buf_init(&ts.js, 0);
    tasks_print_header(t);
    if (t->summary) {
        printf("\n");
        fn__cli_print_summary(stdout, t->summary, NULL);
    }
    fn__cli_print_conns(stdout, g->connections, g->n_connections, verbose);
    int rc = tasks_show_rows(&ts, g);
    if (!rc)
        rc = fn_store_result_foreach(st, t->id, NULL, tasks_count_result, &ts);
    if (!rc) {
        tasks_count_backups(st, t->id, ts.rows, ts.n);
        fn__cli_print_devices(stdout, ts.rows, ts.n, verbose);
    }
    if (!rc && verbose)
        rc = fn_store_result_foreach(st, t->id, NULL, tasks_print_result, NULL);
    if (!rc && parsed) {
        printf("\n");
        rc =
            fn_store_result_foreach(st, t->id, NULL, tasks_print_records, NULL);
    }
    tasks_show_cleanup(&ts);
    return rc;
}

static int tasks_show_json(fn_store_t *st,
                           const Flexnet__V1__GetTaskResponse *g)
{
    tasks_show_t ts = {0};
    fn_buf_init(&ts.js, 0);
    if (!fn__cli_json_task(&ts.js, g->task))
        fn__cli_json_emit(stdout, &ts.js);
    for (size_t i = 0; i < g->n_connections; i++)
        if (!fn__cli_json_conn(&ts.js, g->connections[i]))
            fn__cli_json_emit(stdout, &ts.js);
    int rc =
        fn_store_result_foreach(st, g->task->id, NULL, tasks_json_result, &ts);
    tasks_show_cleanup(&ts);
    return rc;
}

static int tasks_show(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn_store_t *st = NULL;
    Flexnet__V1__GetTaskResponse *g = NULL;
    int rc =
        fn__cli_ro_open("tasks show", tasks_usage,
                        FN_CLI_RO_JSON | FN_CLI_RO_VERBOSE | FN_CLI_RO_PARSED,
                        1, 1, argc, argv, &ro, &st, 1);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    rc = fn_store_task_get(st, ro.args[0], FN_STORE_GET_CONNS, &g);
    if (!rc)
        rc = ro.json ? tasks_show_json(st, g)
                     : tasks_show_text(st, g, ro.verbose, ro.parsed);
    if (rc)
        rc = fn__cli_store_error(st, "task", ro.args[0], rc);
    if (g)
        flexnet__v1__get_task_response__free_unpacked(g, NULL);
    fn_store_close(st);
    return rc;
}

/* ---- log, delete --------------------------------------------------- */

static int tasks_log_line(const Flexnet__V1__LogLine *l, void *arg)
{
    static const char *const levels[] = {"ERROR", "WARN", "INFO", "DEBUG"};
    char when[32];
    fn_time_format(l->time_us, when, sizeof(when));
    printf("%s.%03d %-5s %s%s%s\n", when, (int)(l->time_us / 1000 % 1000),
           levels[l->level < 4 ? l->level : 3], l->host, *l->host ? ": " : "",
           l->text);
    return 0;
}

static int tasks_log(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn_store_t *st = NULL;
    char id[FN_STORE_ID_LEN + 1];
    int rc = fn__cli_ro_open("tasks log", tasks_usage, 0, 1, 1, argc, argv, &ro,
                             &st, 1);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    rc = fn_store_task_resolve(st, ro.args[0], id);
    if (!rc)
        rc = fn_store_log_foreach(st, id, 0, tasks_log_line, NULL);
    if (rc)
        rc = fn__cli_store_error(st, "task", ro.args[0], rc);
    fn_store_close(st);
    return rc;
}

static int tasks_delete(int argc, char **argv)
{
    fn__cli_ro_t ro;
    fn_store_t *st = NULL;
    char id[FN_STORE_ID_LEN + 1];
    int rc = fn__cli_ro_open("tasks delete", tasks_usage, 0, 1, 1, argc, argv,
                             &ro, &st, 0);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    rc = fn_store_task_resolve(st, ro.args[0], id);
    if (!rc)
        rc = fn_store_task_delete(st, id);
    if (rc)
        rc = fn__cli_store_error(st, "task", ro.args[0], rc);
    else
        printf("deleted task %s\n", id);
    fn_store_close(st);
    return rc;
}

static const fn__cli_cmd_t tasks_cmds[] = {
    {"list", tasks_list},     {"show", tasks_show}, {"log", tasks_log},
    {"delete", tasks_delete}, {NULL, NULL},
};

int fn__cli_cmd_tasks(int argc, char **argv)
{
    return fn__cli_dispatch("tasks", tasks_cmds, tasks_usage, argc, argv);
}
