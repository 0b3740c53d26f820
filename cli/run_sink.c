/*
 * run_sink.c — the engine's sink for `flexnet run`: each event becomes a
 * proto record, goes into the store's batch (flushed by run.c's 20 ms
 * tick; a backup or the task's end commits at once) and is printed:
 * JSON lines with --json, else failed results as they come, the live
 * progress line on a terminal, then the tables and the summary.
 *
 * Also answers the engine's questions: pinned host keys (the store), and
 * in connect-first mode whether to go on when devices failed (--yes, a
 * question on a terminal, or --max-failed).
 *
 * Does not start or stop anything. Thread: the engine's loop (main).
 * Owns the device rows, copies of the connection reports, the JSON
 * scratch buffer (all in fn__cli_run_t, freed by _cleanup).
 */
#include "run_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fn_log.h"

static void sink_store_error(fn__cli_run_t *r, int rc)
{
    if (!rc || r->store_failed++)
        return; /* say it once */
    fn__cli_progress_clear(&r->progress_shown);
    fprintf(stderr, "flexnet run: store: %s\n",
            *fn_store_reason(r->st) ? fn_store_reason(r->st) : fn_strerror(rc));
}

static int dev_cmp(const void *a, const void *b)
{
    const fn__cli_run_dev_t *x = *(fn__cli_run_dev_t *const *)a;
    const fn__cli_run_dev_t *y = *(fn__cli_run_dev_t *const *)b;
    return strcmp(x->row.host, y->row.host);
}

static fn__cli_run_dev_t *sink_dev(fn__cli_run_t *r, const char *host)
{
    fn__cli_run_dev_t key = {.row = {.host = host}}, *pk = &key;
    fn__cli_run_dev_t **hit =
        bsearch(&pk, r->by_name, r->ndevs, sizeof(*r->by_name), dev_cmp);
    return hit ? *hit : NULL;
}

/* Keeps the first thing that went wrong on a device for the table. */
static void sink_note(fn__cli_run_dev_t *d, const char *detail)
{
    if (!d || d->note || !detail)
        return;
    d->note = strdup(detail);
    d->row.note = d->note;
}

/* Prints one JSON line for a record (with --json). */
static void sink_json(fn__cli_run_t *r, int rc)
{
    if (!rc)
        fn__cli_json_emit(stdout, &r->json);
    else
        fn_buf_reset(&r->json);
}

/* Adds a line to the task's log in the store: the engine logs what it
 * decides (retries, lost connections); the CLI adds the audit trail of
 * what happened on each device, which `flexnet tasks log` prints. */
static void sink_audit(fn__cli_run_t *r, unsigned level, const char *host,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void sink_audit(fn__cli_run_t *r, unsigned level, const char *host,
                       const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    Flexnet__V1__LogLine l = FLEXNET__V1__LOG_LINE__INIT;
    l.task_id = r->task_id;
    l.host = (char *)(host ? host : "");
    l.level = level;
    l.text = text;
    sink_store_error(r, fn_store_log_append(r->st, &l, NULL));
}

/* Keeps a copy of a report for the table (pack + unpack: a deep copy);
 * room for one per device was made at init. */
static void sink_keep_conn(fn__cli_run_t *r,
                           const Flexnet__V1__ConnectionReport *p)
{
    size_t len = flexnet__v1__connection_report__get_packed_size(p);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf && r->nconns < r->ndevs) {
        flexnet__v1__connection_report__pack(p, buf);
        r->conns[r->nconns] =
            flexnet__v1__connection_report__unpack(NULL, len, buf);
        r->nconns += r->conns[r->nconns] != NULL;
    }
    free(buf);
}

static void sink_on_connection(fn_task_t *t, const fn_conn_report_t *c,
                               void *arg)
{
    fn__cli_run_t *r = arg;
    Flexnet__V1__ConnectionReport p = FLEXNET__V1__CONNECTION_REPORT__INIT;
    p.task_id = (char *)c->task_id;
    p.host = (char *)c->host;
    p.address = (char *)c->address;
    p.port = c->port;
    p.vendor = (char *)c->vendor;
    p.status = (Flexnet__V1__ConnectStatus)c->status;
    p.tries = c->tries;
    p.duration_us = c->duration_us;
    p.reason = (char *)(c->reason ? c->reason : "");
    sink_store_error(r, fn_store_conn_append(r->st, &p));
    fn__cli_run_dev_t *d = sink_dev(r, c->host);
    if (d) {
        d->row.connect = (int)p.status;
        if (c->status != FN_CONNECT_OK)
            sink_note(d, p.reason);
    }
    if (c->status == FN_CONNECT_OK)
        sink_audit(r, FN_LOG_INFO, c->host,
                   "connected to %s:%u (%s) in %.1f ms", p.address, p.port,
                   p.vendor, (double)p.duration_us / 1000.0);
    else
        sink_audit(r, FN_LOG_ERROR, c->host, "%s after %u tries: %s",
                   fn__cli_connect_status_name(p.status), p.tries, p.reason);
    if (r->o->json) {
        sink_json(r, fn__cli_json_conn(&r->json, &p));
        return;
    }
    sink_keep_conn(r, &p);
}

/* Prints a result: as JSON, or (without -v) only the first failures. */
static void sink_show_result(fn__cli_run_t *r,
                             const Flexnet__V1__CommandResult *p, int bad)
{
    if (r->o->json) {
        sink_json(r, fn__cli_json_result(&r->json, p));
        return;
    }
    if (!r->o->verbose && !(bad && r->failures_shown < FN_CLI_STREAM_FAILS))
        return;
    fn__cli_progress_clear(&r->progress_shown);
    fn__cli_print_result(stdout, p, r->o->verbose);
    r->failures_shown += bad;
    if (!r->o->verbose && r->failures_shown == FN_CLI_STREAM_FAILS)
        printf("(more failures are not printed as they come: see the "
               "results below, or -v)\n");
    fflush(stdout);
}

static void sink_on_result(fn_task_t *t, const fn_cmd_result_t *c, void *arg)
{
    fn__cli_run_t *r = arg;
    Flexnet__V1__CommandResult p = FLEXNET__V1__COMMAND_RESULT__INIT;
    p.task_id = (char *)c->task_id;
    p.host = (char *)c->host;
    p.step = c->step;
    p.seq = c->seq;
    p.command = (char *)c->command;
    p.exit_code = c->exit_code;
    p.stdout = (char *)(c->out ? c->out : "");
    p.stderr = (char *)(c->err ? c->err : "");
    p.started_us = c->started_us;
    p.duration_us = c->duration_us;
    p.tag = (char *)(c->tag ? c->tag : "");
    p.reason = (char *)(c->reason ? c->reason : "");
    p.truncated = c->truncated;
    sink_store_error(r, fn_store_result_append(r->st, &p));
    int bad = c->exit_code != FN_EXIT_OK && c->exit_code != FN_EXIT_SKIPPED;
    const char *why = *p.stderr ? p.stderr : p.reason, *line;
    int len = 0;
    line = fn__cli_last_line(why, &len);
    sink_audit(r, bad ? FN_LOG_ERROR : FN_LOG_INFO, c->host,
               "step %u: %s -> exit %d%s%.*s", p.step + 1, p.command,
               p.exit_code, len ? ": " : "", len, line);
    fn__cli_run_dev_t *d = sink_dev(r, c->host);
    if (d) {
        d->row.commands++;
        d->row.errors += bad;
        if (bad)
            sink_note(d, *p.stderr ? p.stderr : p.reason);
    }
    sink_show_result(r, &p, bad);
}

static void sink_on_backup(fn_task_t *t, const fn_backup_t *b, void *arg)
{
    fn__cli_run_t *r = arg;
    Flexnet__V1__Backup meta = FLEXNET__V1__BACKUP__INIT, *saved = NULL;
    char id[FN_STORE_ID_LEN + 1];
    meta.task_id = (char *)b->task_id;
    meta.host = (char *)b->host;
    meta.vendor = (char *)(b->vendor ? b->vendor : "");
    meta.created_us = b->created_us;
    meta.comment = (char *)(b->comment ? b->comment : "");
    meta.command = (char *)(b->command ? b->command : "");
    meta.target = "local";
    int rc = fn_store_backup_save(r->st, &meta, b->text, b->size, id);
    sink_store_error(r, rc);
    fn__cli_run_dev_t *d = sink_dev(r, b->host);
    if (d && !rc)
        d->row.backups++;
    if (rc || fn_store_backup_get(r->st, id, &saved, NULL))
        return;
    sink_audit(r, FN_LOG_INFO, b->host, "backup %s: %llu bytes, sha256 %.12s",
               saved->id, (unsigned long long)saved->size, saved->sha256);
    if (r->o->json) {
        sink_json(r, fn__cli_json_backup(&r->json, saved));
    } else if (r->o->verbose) {
        fn__cli_progress_clear(&r->progress_shown);
        printf("backup  %s: %s, %llu bytes\n", saved->host, saved->id,
               (unsigned long long)saved->size);
    }
    flexnet__v1__backup__free_unpacked(saved, NULL);
}

static void sink_on_log(fn_task_t *t, const fn_log_line_t *l, void *arg)
{
    fn__cli_run_t *r = arg;
    Flexnet__V1__LogLine p = FLEXNET__V1__LOG_LINE__INIT;
    p.task_id = (char *)l->task_id;
    p.time_us = l->time_us;
    p.host = (char *)(l->host ? l->host : "");
    p.level = l->level;
    p.text = (char *)(l->text ? l->text : "");
    sink_store_error(r, fn_store_log_append(r->st, &p, NULL));
}

static void sink_on_progress(fn_task_t *t, const fn_progress_t *g, void *arg)
{
    fn__cli_run_t *r = arg;
    Flexnet__V1__Progress p = FLEXNET__V1__PROGRESS__INIT;
    if (!r->tty)
        return;
    p.total = g->total;
    p.connected = g->connected;
    p.failed = g->failed;
    p.done = g->done;
    p.running = g->running;
    p.rate = g->rate;
    p.eta_s = g->eta_s;
    fn__cli_progress_draw(&r->progress_shown, &p);
}

/* Exit status of a finished job, from the device rows. */
static int sink_exit(const fn__cli_run_t *r, int status)
{
    unsigned connected = 0, bad = 0;
    for (size_t i = 0; i < r->ndevs; i++) {
        const fn__cli_dev_t *d = &r->devs[i].row;
        int ok = d->connect == FLEXNET__V1__CONNECT_STATUS__CONNECT_STATUS_OK;
        connected += ok;
        bad += !ok || d->errors;
    }
    if (status == FN_TASK_CANCELLED) /* interrupted: not "unreachable" */
        return FN_CLI_EXIT_FAILED;
    if (!connected)
        return FN_CLI_EXIT_UNREACHABLE;
    return bad || status != FN_TASK_DONE ? FN_CLI_EXIT_FAILED : FN_CLI_EXIT_OK;
}

static void sink_print_tables(fn__cli_run_t *r)
{
    fn__cli_dev_t *rows = malloc((r->ndevs ? r->ndevs : 1) * sizeof(*rows));
    if (!r->decided)
        fn__cli_print_conns(stdout, r->conns, r->nconns, r->o->verbose);
    for (size_t i = 0; rows && i < r->ndevs; i++)
        rows[i] = r->devs[i].row;
    if (rows)
        fn__cli_print_devices(stdout, rows, r->ndevs, r->o->verbose);
    free(rows);
    printf("\n");
}

static void sink_on_summary(fn_task_t *t, const fn_summary_t *s, void *arg)
{
    fn__cli_run_t *r = arg;
    Flexnet__V1__Summary p = FLEXNET__V1__SUMMARY__INIT;
    p.task_id = (char *)s->task_id;
    p.status = (Flexnet__V1__TaskStatus)s->status;
    p.devices = s->devices;
    p.connected = s->connected;
    p.failed_connect = s->failed_connect;
    p.ok = s->ok;
    p.failed = s->failed;
    p.commands = s->commands;
    p.errors = s->errors;
    p.duration_us = s->duration_us;
    p.backups = s->backups;
    sink_audit(r, FN_LOG_INFO, NULL,
               "task %s: %u devices, %u connected, "
               "%u ok, %u with errors; %u commands, %u errors, %u backups",
               fn__cli_task_status_name(p.status), p.devices, p.connected, p.ok,
               p.failed, p.commands, p.errors, p.backups);
    sink_store_error(r, fn_store_task_finish(r->st, r->task_id, p.status, &p,
                                             s->error ? s->error : ""));
    fn__cli_progress_clear(&r->progress_shown);
    r->exit = sink_exit(r, s->status);
    if (r->store_failed && r->exit == FN_CLI_EXIT_OK)
        r->exit = FN_CLI_EXIT_FAILED; /* ran, but not all of it was kept */
    for (size_t i = 0; i < sizeof(r->ev) / sizeof(r->ev[0]); i++)
        if (r->ev[i]) /* nothing of ours keeps the loop running */
            event_del(r->ev[i]);
    if (r->o->json) {
        sink_json(r, fn__cli_json_summary(&r->json, &p));
        return;
    }
    sink_print_tables(r);
    if (s->error && *s->error)
        printf("stopped: %s\n", s->error);
    fn__cli_print_summary(stdout, &p, r->job->spec->name);
    fflush(stdout);
}

static int sink_hostkey_get(fn_task_t *t, const char *hostport, char *type,
                            size_t typelen, char *sha256, size_t shalen,
                            void *arg)
{
    fn__cli_run_t *r = arg;
    Flexnet__V1__HostKey *hk = NULL;
    int rc = fn_store_hostkey_get(r->st, hostport, &hk);
    if (rc)
        return FN_ENOTFOUND;
    snprintf(type, typelen, "%s", hk->type);
    snprintf(sha256, shalen, "%s", hk->sha256);
    flexnet__v1__host_key__free_unpacked(hk, NULL);
    return 0;
}

static void sink_hostkey_pin(fn_task_t *t, const char *hostport,
                             const char *type, const char *sha256, int replaced,
                             void *arg)
{
    fn__cli_run_t *r = arg;
    Flexnet__V1__HostKey hk = FLEXNET__V1__HOST_KEY__INIT;
    hk.host = (char *)hostport;
    hk.type = (char *)type;
    hk.sha256 = (char *)sha256;
    sink_store_error(r, replaced ? fn_store_hostkey_replace(r->st, &hk)
                                 : fn_store_hostkey_pin(r->st, &hk));
}

/* --max-failed N|P% given: more than that many failed stops the task. */
static int sink_over_limit(const fn__cli_run_t *r,
                           const fn_connect_summary_t *s)
{
    const Flexnet__V1__TaskSpec *spec = r->job->spec;
    if (!r->job->has_max_failed)
        return s->over_threshold;
    if (spec->max_failed_percent)
        return (uint64_t)s->failed * 100 >
               (uint64_t)spec->max_failed_percent * s->total;
    return s->failed > spec->max_failed;
}

static int sink_decide(fn_task_t *t, const fn_connect_summary_t *s, void *arg)
{
    fn__cli_run_t *r = arg;
    char q[160];
    fn__cli_progress_clear(&r->progress_shown);
    if (!r->o->json) {
        fn__cli_print_conns(stdout, r->conns, r->nconns, r->o->verbose);
        fflush(stdout);
        r->decided = 1;
    }
    if (!s->failed || r->o->yes)
        return 1;
    if (isatty(0) && !r->job->has_max_failed) {
        snprintf(q, sizeof(q),
                 "%u of %u devices failed to connect. Go on "
                 "with the %u connected? [y/N] ",
                 s->failed, s->total, s->connected);
        return fn__cli_ask_yes_no(0, q);
    }
    return !sink_over_limit(r, s);
}

int fn__cli_run_sink_init(fn__cli_run_t *r, const fn_host_t *const *hosts,
                          size_t nhosts, fn_sink_t *sink)
{
    r->devs = calloc(nhosts ? nhosts : 1, sizeof(*r->devs));
    r->by_name = calloc(nhosts ? nhosts : 1, sizeof(*r->by_name));
    r->conns = calloc(nhosts ? nhosts : 1, sizeof(*r->conns));
    fn_buf_init(&r->json, 0);
    if (!r->devs || !r->by_name || !r->conns)
        return -ENOMEM;
    for (size_t i = 0; i < nhosts; i++) {
        r->devs[i].row.host = fn_host_name(hosts[i]);
        r->devs[i].row.vendor = *fn_host_vendor(hosts[i])
                                    ? fn_host_vendor(hosts[i])
                                    : r->job->spec->default_vendor;
        r->devs[i].row.connect =
            FLEXNET__V1__CONNECT_STATUS__CONNECT_STATUS_SKIPPED;
        r->by_name[i] = &r->devs[i];
    }
    r->ndevs = nhosts;
    qsort(r->by_name, nhosts, sizeof(*r->by_name), dev_cmp);
    r->tty = !r->o->json && isatty(2);
    memset(sink, 0, sizeof(*sink));
    sink->on_connection = sink_on_connection;
    sink->on_result = sink_on_result;
    sink->on_backup = sink_on_backup;
    sink->on_log = sink_on_log;
    sink->on_progress = sink_on_progress;
    sink->on_summary = sink_on_summary;
    sink->hostkey_get = sink_hostkey_get;
    sink->hostkey_pin = sink_hostkey_pin;
    sink->decide = sink_decide;
    sink->arg = r;
    return 0;
}

void fn__cli_run_sink_cleanup(fn__cli_run_t *r)
{
    for (size_t i = 0; r->devs && i < r->ndevs; i++)
        free(r->devs[i].note);
    for (size_t i = 0; i < r->nconns; i++)
        flexnet__v1__connection_report__free_unpacked(r->conns[i], NULL);
    free(r->devs);
    free(r->by_name);
    free(r->conns);
    fn_buf_cleanup(&r->json);
    r->devs = NULL;
    r->by_name = NULL;
    r->conns = NULL;
    r->ndevs = r->nconns = 0;
}
