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
    "usage: flexnet tasks list [--all] [--json] [--db DIR ...]\n"
    "       flexnet tasks show ID|RUN [-v] [--parsed] [--json] [--db DIR ...]\n"
    "       flexnet tasks log ID [--db DIR ...]\n"
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
    "object per line. The shards of a run (`flexnet run --shard`) list as\n"
    "one line, the run id, with their totals; `show RUN` shows them all.\n"
    "list, show and log read every store given with --db (e.g. a run's\n"
    "shards before `flexnet store merge`).\n";

#define TASKS_LIST_DEFAULT 20

/* ---- sharded runs: the shards of one run read back as one ------------ */

/* One line of `tasks list`: a task, or every stored shard of one run. */
typedef struct tasks_row {
    Flexnet__V1__Task t; /* a copy; for a run: its sums (id: run id) */
    Flexnet__V1__Summary sum;
    const char *run;              /* shard_run, NULL for a task */
    unsigned shards, count;       /* shards stored, shard_count */
    const Flexnet__V1__Task *bad; /* a run's first shard not DONE */
    const char *base_name;        /* the shards' task name */
    char name[256];
} tasks_row_t;

static const char *tasks_run_of(const Flexnet__V1__Task *t)
{
    return t->spec && t->spec->shard_count && *t->spec->shard_run
               ? t->spec->shard_run
               : NULL;
}

/* How much a shard's status weighs in its run's: the run shows the most
 * urgent one (a running shard first, then one that died). */
static int tasks_status_rank(int status)
{
    static const int rank[] = {0, 2, 6, 1, 4, 3, 5}; /* by TaskStatus */
    return status >= 0 && status < 7 ? rank[status] : 0;
}

/* Adds a shard's counters (every uint32 of Summary: data, not code). */
static void tasks_sum(Flexnet__V1__Summary *acc, const Flexnet__V1__Summary *s)
{
    const ProtobufCMessageDescriptor *d = &flexnet__v1__summary__descriptor;
    for (unsigned i = 0; s && i < d->n_fields; i++)
        if (d->fields[i].type == PROTOBUF_C_TYPE_UINT32)
            *(uint32_t *)((char *)acc + d->fields[i].offset) +=
                *(const uint32_t *)((const char *)s + d->fields[i].offset);
}

static void tasks_row_add(tasks_row_t *r, const Flexnet__V1__Task *t)
{
    if (!r->shards++) {
        r->t = *t;
        r->t.id = (char *)r->run;
        r->t.summary = &r->sum;
        r->t.error = "";
        r->count = t->spec->shard_count;
        r->base_name = t->name;
        r->sum.task_id = (char *)r->run;
    }
    tasks_sum(&r->sum, t->summary);
    if (t->created_us < r->t.created_us)
        r->t.created_us = t->created_us;
    if (t->started_us && (!r->t.started_us || t->started_us < r->t.started_us))
        r->t.started_us = t->started_us;
    if (t->finished_us > r->t.finished_us)
        r->t.finished_us = t->finished_us;
    if (tasks_status_rank(t->status) > tasks_status_rank(r->t.status))
        r->t.status = t->status;
    if (t->status != FLEXNET__V1__TASK_STATUS__TASK_STATUS_DONE &&
        (!r->bad || t->spec->shard_index < r->bad->spec->shard_index))
        r->bad = t;
}

/* Finishes a run's row: unfinished while a shard runs or is missing;
 * the name says how many shards and which one went wrong. */
static void tasks_row_close(tasks_row_t *r)
{
    if (!r->run)
        return;
    if (r->t.status == FLEXNET__V1__TASK_STATUS__TASK_STATUS_RUNNING ||
        r->shards < r->count)
        r->t.finished_us = 0;
    r->sum.status = r->t.status;
    if (r->t.finished_us && r->t.started_us)
        r->sum.duration_us = r->t.finished_us - r->t.started_us;
    int n = snprintf(r->name, sizeof(r->name), "%s [%u/%u shards", r->t.name,
                     r->shards, r->count);
    if (r->bad && n > 0 && (size_t)n < sizeof(r->name))
        n += snprintf(r->name + n, sizeof(r->name) - (size_t)n, "; shard %u %s",
                      r->bad->spec->shard_index,
                      fn_recorder_task_status_name(r->bad->status));
    if (n > 0 && (size_t)n < sizeof(r->name))
        snprintf(r->name + n, sizeof(r->name) - (size_t)n, "]");
    r->t.name = r->name;
}

/* Groups the listed tasks (newest first) into rows; a run's row sits
 * where its newest shard is. Only tasks of run `only` when not NULL.
 * *rows owned (free), borrowing from l. */
static int tasks_rows(const fn__cli_list_t *l, const char *only,
                      tasks_row_t **rows, size_t *n)
{
    *rows = calloc(l->n + 1, sizeof(**rows));
    *n = 0;
    if (!*rows)
        return -ENOMEM;
    for (size_t i = 0; i < l->n; i++) {
        const Flexnet__V1__Task *t = l->items[i].msg;
        const char *run = tasks_run_of(t);
        tasks_row_t *r = NULL;
        if (only && (!run || strcmp(run, only)))
            continue;
        for (size_t k = 0; run && !r && k < *n; k++) /* runs are few */
            if ((*rows)[k].run && !strcmp((*rows)[k].run, run))
                r = &(*rows)[k];
        if (!r) {
            r = &(*rows)[(*n)++];
            r->run = run;
            r->t = *t;
        }
        if (run)
            tasks_row_add(r, t);
    }
    for (size_t k = 0; k < *n; k++)
        tasks_row_close(&(*rows)[k]);
    return 0;
}

static void tasks_print_row(const tasks_row_t *r, int json, fn_buf_t *js)
{
    if (json && !(r->run ? fn__cli_json_run(js, &r->t, r->shards, r->count)
                         : fn__cli_json_task(js, &r->t)))
        fn__cli_json_emit(stdout, js);
    else if (!json)
        fn__cli_print_task_line(stdout, &r->t);
}

/* What list and show read: every task of every store, in rows. */
typedef struct tasks_view {
    fn__cli_ro_t ro;
    fn__cli_stores_t ss;
    fn__cli_list_t l;
    tasks_row_t *rows; /* owned */
    size_t n;
} tasks_view_t;

/* Parses argv, opens the stores, lists every task (a run's shards may be
 * anywhere in the list) and groups them: all rows, or with `run_arg`
 * only the run named by the first argument (none when it is no run).
 * Returns 0, -1 (--help: nothing to close) or an exit status (then
 * tasks_view_close too). */
static int tasks_view_open(tasks_view_t *v, const char *cmd, unsigned allowed,
                           int nargs, int run_arg, int argc, char **argv)
{
    memset(v, 0, sizeof(*v));
    int rc = fn__cli_ro_open_all(cmd, tasks_usage, allowed, nargs, nargs, argc,
                                 argv, &v->ro, &v->ss);
    if (rc)
        return rc;
    Flexnet__V1__ListTasksRequest req = FLEXNET__V1__LIST_TASKS_REQUEST__INIT;
    rc = fn__cli_list_tasks(&v->ss, &req, 0, &v->l);
    if (!rc &&
        tasks_rows(&v->l, run_arg ? v->ro.args[0] : NULL, &v->rows, &v->n))
        rc = FN_CLI_EXIT_FAILED;
    return rc;
}

static void tasks_view_close(tasks_view_t *v)
{
    free(v->rows);
    fn__cli_list_cleanup(&v->l);
    fn__cli_stores_close(&v->ss);
}

static int tasks_list(int argc, char **argv)
{
    tasks_view_t v;
    int rc = tasks_view_open(&v, "tasks list", FN_CLI_RO_JSON | FN_CLI_RO_ALL,
                             0, 0, argc, argv);
    if (rc < 0)
        return FN_CLI_EXIT_OK;
    size_t shown =
        v.ro.all || v.n < TASKS_LIST_DEFAULT ? v.n : TASKS_LIST_DEFAULT;
    fn_buf_t js;
    fn_buf_init(&js, 0);
    if (!rc && !v.ro.json && v.n)
        printf("%-16s  %-19s  %-11s  %7s  %5s  %6s  %9s  %s\n", "ID",
               "CREATED (UTC)", "STATUS", "DEVICES", "OK", "FAILED", "DURATION",
               "NAME");
    for (size_t i = 0; !rc && i < shown; i++)
        tasks_print_row(&v.rows[i], v.ro.json, &js);
    if (!rc && !v.ro.json && !v.n)
        printf("no tasks\n");
    else if (!rc && !v.ro.json && shown < v.n)
        printf("(older tasks not listed; --all lists every one)\n");
    fn_buf_cleanup(&js);
    tasks_view_close(&v);
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

static void tasks_print_header(const char *label, const Flexnet__V1__Task *t)
{
    char c[32] = "-", s[32] = "-", f[32] = "-";
    if (t->created_us)
        fn_time_format(t->created_us, c, sizeof(c));
    if (t->started_us)
        fn_time_format(t->started_us, s, sizeof(s));
    if (t->finished_us)
        fn_time_format(t->finished_us, f, sizeof(f));
    printf("%-4s     %s\nname     %s\nstatus   %s%s%s\n", label, t->id, t->name,
           fn__cli_task_outcome(t), *t->error ? ": " : "", t->error);
    printf("created  %s UTC\nstarted  %s\nfinished %s\n", c, s, f);
    if (tasks_run_of(t))
        printf("shard    %u of %u, run %s\n", t->spec->shard_index,
               t->spec->shard_count, t->spec->shard_run);
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

/* One task being shown: a task alone, or one shard of a run. */
typedef struct tasks_part {
    fn_store_t *st;                  /* borrowed */
    Flexnet__V1__GetTaskResponse *g; /* owned */
} tasks_part_t;

/* What `tasks show` builds while it streams the results of its parts
 * (results are never all in memory: a task may have millions). */
typedef struct tasks_show {
    tasks_part_t *parts; /* borrowed */
    size_t nparts;
    Flexnet__V1__ConnectionReport **conns; /* owned array, borrowed rows */
    fn__cli_dev_t *rows; /* owned, sorted by host: one per report */
    char **notes;        /* owned: notes copied from results, per row */
    size_t n;
    fn_buf_t js; /* --json scratch */
} tasks_show_t;

static int tasks_show_rows(tasks_show_t *ts)
{
    for (size_t p = 0; p < ts->nparts; p++)
        ts->n += ts->parts[p].g->n_connections;
    ts->conns = calloc(ts->n + 1, sizeof(*ts->conns));
    ts->rows = calloc(ts->n + 1, sizeof(*ts->rows));
    ts->notes = calloc(ts->n + 1, sizeof(*ts->notes));
    if (!ts->conns || !ts->rows || !ts->notes)
        return -ENOMEM;
    size_t i = 0;
    for (size_t p = 0; p < ts->nparts; p++) {
        const Flexnet__V1__GetTaskResponse *g = ts->parts[p].g;
        for (size_t k = 0; k < g->n_connections; k++, i++) {
            Flexnet__V1__ConnectionReport *c = g->connections[k];
            ts->conns[i] = c;
            ts->rows[i].host = c->host;
            ts->rows[i].vendor = c->vendor;
            ts->rows[i].connect = (int)c->status;
            ts->rows[i].note = *c->reason ? c->reason : NULL;
        }
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

/* Streams every part's results through cb. */
static int tasks_show_results(tasks_show_t *ts, fn_store_result_cb *cb)
{
    int rc = 0;
    for (size_t p = 0; !rc && p < ts->nparts; p++)
        rc = fn_store_result_foreach(ts->parts[p].st, ts->parts[p].g->task->id,
                                     NULL, cb, ts);
    return rc;
}

static void tasks_show_cleanup(tasks_show_t *ts)
{
    for (size_t i = 0; ts->notes && i < ts->n; i++)
        free(ts->notes[i]);
    free(ts->notes);
    free(ts->rows);
    free(ts->conns);
    fn_buf_cleanup(&ts->js);
}

/* Adds each host's backups of every part to its row. */
static void tasks_count_backups(tasks_show_t *ts)
{
    for (size_t p = 0; p < ts->nparts; p++) {
        fn__cli_stores_t one = {.st = {ts->parts[p].st}, .dir = {""}, .n = 1};
        Flexnet__V1__ListBackupsRequest req =
            FLEXNET__V1__LIST_BACKUPS_REQUEST__INIT;
        fn__cli_list_t l;
        req.task_id = ts->parts[p].g->task->id;
        if (!fn__cli_list_backups(&one, &req, 0, &l))
            for (size_t i = 0; i < l.n; i++) {
                const Flexnet__V1__Backup *b = l.items[i].msg;
                fn__cli_dev_t *d = tasks_dev_find(ts->rows, ts->n, b->host);
                if (d)
                    d->backups++;
            }
        fn__cli_list_cleanup(&l);
    }
}

/* The shards of a run, one line each. */
static void tasks_print_shards(const tasks_show_t *ts)
{
    printf("\nshards\n  %-5s  %-16s  %-11s  %7s  %5s  %6s  %s\n", "SHARD",
           "TASK", "STATUS", "DEVICES", "OK", "FAILED", "NOTE");
    for (size_t p = 0; p < ts->nparts; p++) {
        const Flexnet__V1__Task *t = ts->parts[p].g->task;
        const Flexnet__V1__Summary *s = t->summary;
        printf("  %2u/%-2u  %-16s  %-11s  %7u  %5u  %6u%s%s\n",
               t->spec->shard_index, t->spec->shard_count, t->id,
               fn_recorder_task_status_name(t->status), s ? s->devices : 0,
               s ? s->ok : 0, s ? s->failed + s->failed_connect : 0,
               *t->error ? "  " : "", t->error);
    }
}

/* t: the task, or the run seen as one (its summed row). */
static int tasks_show_text(tasks_show_t *ts, const Flexnet__V1__Task *t,
                           int run, int verbose, int parsed)
{
    tasks_print_header(run ? "run" : "task", t);
    if (run)
        tasks_print_shards(ts);
    if (t->summary) {
        printf("\n");
        fn__cli_print_summary(stdout, t->summary, NULL);
    }
    int rc = tasks_show_rows(ts);
    if (!rc) {
        fn__cli_print_conns(stdout, ts->conns, ts->n, verbose);
        rc = tasks_show_results(ts, tasks_count_result);
    }
    if (!rc) {
        tasks_count_backups(ts);
        fn__cli_print_devices(stdout, ts->rows, ts->n, verbose);
    }
    if (!rc && verbose)
        rc = tasks_show_results(ts, tasks_print_result);
    if (!rc && parsed) {
        printf("\n");
        rc = tasks_show_results(ts, tasks_print_records);
    }
    return rc;
}

static int tasks_show_json(tasks_show_t *ts, const tasks_row_t *run)
{
    if (run && !fn__cli_json_run(&ts->js, &run->t, run->shards, run->count))
        fn__cli_json_emit(stdout, &ts->js);
    for (size_t p = 0; p < ts->nparts; p++) {
        const Flexnet__V1__GetTaskResponse *g = ts->parts[p].g;
        if (!fn__cli_json_task(&ts->js, g->task))
            fn__cli_json_emit(stdout, &ts->js);
        for (size_t i = 0; i < g->n_connections; i++)
            if (!fn__cli_json_conn(&ts->js, g->connections[i]))
                fn__cli_json_emit(stdout, &ts->js);
    }
    return tasks_show_results(ts, tasks_json_result);
}

/* Reads every stored shard of run (a row of l) into parts, by index. */
static int tasks_run_parts(const fn__cli_list_t *l, const char *run,
                           tasks_part_t *parts, size_t *n)
{
    for (size_t i = 0; i < l->n; i++) {
        const Flexnet__V1__Task *t = l->items[i].msg;
        const char *r = tasks_run_of(t);
        if (!r || strcmp(r, run))
            continue;
        parts[*n].st = l->items[i].st;
        int rc = fn_store_task_get(parts[*n].st, t->id, FN_STORE_GET_CONNS,
                                   &parts[*n].g);
        if (rc)
            return fn__cli_store_error(parts[*n].st, "task", t->id, rc);
        (*n)++;
    }
    for (size_t i = 1; i < *n; i++) /* few shards: insertion sort */
        for (size_t k = i; k > 0 && parts[k - 1].g->task->spec->shard_index >
                                        parts[k].g->task->spec->shard_index;
             k--) {
            tasks_part_t x = parts[k];
            parts[k] = parts[k - 1];
            parts[k - 1] = x;
        }
    return 0;
}

/* `tasks show RUN`: every shard of the run, as one task. */
static int tasks_show_run(const fn__cli_ro_t *ro, const fn__cli_list_t *l,
                          const tasks_row_t *run)
{
    tasks_show_t ts = {0};
    tasks_row_t r = *run;
    int rc = 0;
    r.t.summary = &r.sum;
    r.t.spec = NULL;
    if (r.bad) { /* which shard, and why */
        snprintf(r.name, sizeof(r.name), "shard %u/%u (task %s) %s%s%s",
                 r.bad->spec->shard_index, r.count, r.bad->id,
                 fn_recorder_task_status_name(r.bad->status),
                 *r.bad->error ? ": " : "", r.bad->error);
        r.t.error = r.name;
    }
    r.t.name = (char *)run->base_name;
    fn_buf_init(&ts.js, 0);
    ts.parts = calloc(l->n + 1, sizeof(*ts.parts));
    if (!ts.parts)
        rc = FN_CLI_EXIT_FAILED;
    if (!rc)
        rc = tasks_run_parts(l, run->run, ts.parts, &ts.nparts);
    if (!rc)
        rc = ro->json ? tasks_show_json(&ts, &r)
                      : tasks_show_text(&ts, &r.t, 1, ro->verbose, ro->parsed);
    if (!rc && !ro->json && r.shards < r.count)
        printf("\n%u of %u shards stored: merge the others (`flexnet store "
               "merge`) or give their --db\n",
               r.shards, r.count);
    for (size_t p = 0; p < ts.nparts; p++)
        flexnet__v1__get_task_response__free_unpacked(ts.parts[p].g, NULL);
    free(ts.parts);
    tasks_show_cleanup(&ts);
    return rc > 0 ? rc : rc ? FN_CLI_EXIT_FAILED : 0;
}

static int tasks_show_task(const fn__cli_ro_t *ro, fn__cli_stores_t *ss)
{
    tasks_part_t part = {NULL, NULL};
    tasks_show_t ts = {.parts = &part, .nparts = 1};
    int rc = fn__cli_stores_pick(ss, 0, ro->args[0], &part.st);
    if (rc)
        return rc;
    fn_buf_init(&ts.js, 0);
    rc = fn_store_task_get(part.st, ro->args[0], FN_STORE_GET_CONNS, &part.g);
    if (!rc)
        rc = ro->json ? tasks_show_json(&ts, NULL)
                      : tasks_show_text(&ts, part.g->task, 0, ro->verbose,
                                        ro->parsed);
    if (rc)
        rc = fn__cli_store_error(part.st, "task", ro->args[0], rc);
    if (part.g)
        flexnet__v1__get_task_response__free_unpacked(part.g, NULL);
    tasks_show_cleanup(&ts);
    return rc;
}

static int tasks_show(int argc, char **argv)
{
    tasks_view_t v;
    int rc = tasks_view_open(
        &v, "tasks show", FN_CLI_RO_JSON | FN_CLI_RO_VERBOSE | FN_CLI_RO_PARSED,
        1, 1, argc, argv);
    if (rc < 0)
        return FN_CLI_EXIT_OK;
    if (!rc) /* a run's id, else a task's */
        rc = v.n ? tasks_show_run(&v.ro, &v.l, &v.rows[0])
                 : tasks_show_task(&v.ro, &v.ss);
    tasks_view_close(&v);
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
    fn__cli_stores_t ss;
    fn_store_t *st = NULL;
    char id[FN_STORE_ID_LEN + 1];
    int rc = fn__cli_ro_open_all("tasks log", tasks_usage, 0, 1, 1, argc, argv,
                                 &ro, &ss);
    if (rc)
        return rc < 0 ? FN_CLI_EXIT_OK : rc;
    rc = fn__cli_stores_pick(&ss, 0, ro.args[0], &st);
    if (!rc && (rc = fn_store_task_resolve(st, ro.args[0], id)) == 0)
        rc = fn_store_log_foreach(st, id, 0, tasks_log_line, NULL);
    if (rc > 0 || rc < 0) /* pick printed its own */
        rc = rc < 0 ? fn__cli_store_error(st, "task", ro.args[0], rc) : rc;
    fn__cli_stores_close(&ss);
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
