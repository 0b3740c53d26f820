/*
 * run_sink.c — the presentation of `flexnet run`: recorder hooks. The
 * recorder (recorder/) stores every record, the task log and backups
 * (and their S3 copies) and answers host-key questions; these hooks
 * print: JSON lines with --json, else failed results as they come, the
 * live progress line on a terminal, then the tables and the summary.
 *
 * Also answers connect-first's question: whether to go on when devices
 * failed (--yes, a question on a terminal, or --max-failed).
 *
 * Does not start or stop anything. Thread: the engine's loop (main).
 * Owns the device rows, copies of the connection reports the table will
 * list (every one only with -v or a small task: a copy per device was
 * ~300 bytes kept to the end for a table that shows 20 failed rows),
 * the JSON scratch buffer (all in fn__cli_run_t, freed by _cleanup).
 */
#include "run_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fn_log.h"

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

/* Counts a report and keeps a copy (pack + unpack: a deep copy) when
 * the table lists it: room for those was made at init. */
static void sink_keep_conn(fn__cli_run_t *r,
                           const Flexnet__V1__ConnectionReport *p)
{
    int bad = p->status != FLEXNET__V1__CONNECT_STATUS__CONNECT_STATUS_OK;
    r->conns_total++;
    r->conns_bad += bad;
    if (r->nconns >= r->conns_cap || (!bad && r->conns_cap < r->ndevs))
        return; /* a big task without -v lists only failed rows */
    size_t len = flexnet__v1__connection_report__get_packed_size(p);
    uint8_t *buf = malloc(len ? len : 1);
    if (buf) {
        flexnet__v1__connection_report__pack(p, buf);
        r->conns[r->nconns] =
            flexnet__v1__connection_report__unpack(NULL, len, buf);
        r->nconns += r->conns[r->nconns] != NULL;
    }
    free(buf);
}

static void sink_on_connection(fn_rec_task_t *rt,
                               const Flexnet__V1__ConnectionReport *p,
                               void *arg)
{
    fn__cli_run_t *r = arg;
    fn__cli_run_dev_t *d = sink_dev(r, p->host);
    if (d) {
        d->row.connect = (int)p->status;
        if (p->status != FLEXNET__V1__CONNECT_STATUS__CONNECT_STATUS_OK)
            sink_note(d, p->reason);
    }
    if (r->o->json) {
        sink_json(r, fn__cli_json_conn(&r->json, p));
        return;
    }
    sink_keep_conn(r, p);
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
    fn__cli_print_result(stdout, p, r->o->verbose || bad); /* why it failed */
    r->failures_shown += bad;
    if (!r->o->verbose && r->failures_shown == FN_CLI_STREAM_FAILS)
        printf("(more failures are not printed as they come: see the "
               "results below, or -v)\n");
    fflush(stdout);
}

static void sink_on_result(fn_rec_task_t *rt,
                           const Flexnet__V1__CommandResult *p, void *arg)
{
    fn__cli_run_t *r = arg;
    int bad = p->exit_code != FN_EXIT_OK && p->exit_code != FN_EXIT_SKIPPED;
    fn__cli_run_dev_t *d = sink_dev(r, p->host);
    if (d) {
        d->row.commands++;
        d->row.errors += bad;
        if (bad)
            sink_note(d, *p->stderr ? p->stderr : p->reason);
    }
    sink_show_result(r, p, bad);
}

static void sink_on_backup(fn_rec_task_t *rt, const Flexnet__V1__Backup *saved,
                           void *arg)
{
    fn__cli_run_t *r = arg;
    fn__cli_run_dev_t *d = sink_dev(r, saved->host);
    if (d)
        d->row.backups++;
    if (r->o->json) {
        sink_json(r, fn__cli_json_backup(&r->json, saved));
    } else if (r->o->verbose) {
        fn__cli_progress_clear(&r->progress_shown);
        printf("backup  %s: %s, %llu bytes\n", saved->host, saved->id,
               (unsigned long long)saved->size);
    }
}

static void sink_on_progress(fn_rec_task_t *rt, const Flexnet__V1__Progress *p,
                             void *arg)
{
    fn__cli_run_t *r = arg;
    if (r->tty)
        fn__cli_progress_draw(&r->progress_shown, p);
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

static void sink_print_conns(fn__cli_run_t *r)
{
    fn__cli_print_conns_kept(stdout, r->conns, r->nconns, r->conns_total,
                             r->conns_bad, r->o->verbose);
}

static void sink_print_tables(fn__cli_run_t *r)
{
    fn__cli_dev_t *rows = malloc((r->ndevs ? r->ndevs : 1) * sizeof(*rows));
    if (!r->decided)
        sink_print_conns(r);
    for (size_t i = 0; rows && i < r->ndevs; i++)
        rows[i] = r->devs[i].row;
    if (rows)
        fn__cli_print_devices(stdout, rows, r->ndevs, r->o->verbose);
    free(rows);
    printf("\n");
}

static void sink_on_summary(fn_rec_task_t *rt, const Flexnet__V1__Summary *p,
                            const char *error, void *arg)
{
    fn__cli_run_t *r = arg;
    fn__cli_progress_clear(&r->progress_shown);
    r->exit = sink_exit(r, (int)p->status);
    if (fn_recorder_task_store_failed(rt) && r->exit == FN_CLI_EXIT_OK)
        r->exit = FN_CLI_EXIT_FAILED; /* ran, but not all of it was kept */
    for (size_t i = 0; i < sizeof(r->ev) / sizeof(r->ev[0]); i++)
        if (r->ev[i]) /* nothing of ours keeps the loop running */
            event_del(r->ev[i]);
    if (r->o->json) {
        sink_json(r, fn__cli_json_summary(&r->json, p));
        return;
    }
    sink_print_tables(r);
    if (*error)
        printf("stopped: %s\n", error);
    fn__cli_print_summary(stdout, p, r->job->spec->name);
    fflush(stdout);
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
        sink_print_conns(r);
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
                          size_t nhosts, fn_recorder_hooks_t *hooks)
{
    r->devs = calloc(nhosts ? nhosts : 1, sizeof(*r->devs));
    r->by_name = calloc(nhosts ? nhosts : 1, sizeof(*r->by_name));
    /* the connections table lists every row only with -v or a small
     * task, else the first FN_CLI_TABLE_BAD failed ones */
    r->conns_cap =
        r->o->verbose || nhosts <= FN_CLI_TABLE_ALL
            ? nhosts
            : (nhosts < FN_CLI_TABLE_BAD ? nhosts : FN_CLI_TABLE_BAD);
    r->conns = calloc(r->conns_cap ? r->conns_cap : 1, sizeof(*r->conns));
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
    *hooks = (fn_recorder_hooks_t){
        .on_connection = sink_on_connection,
        .on_result = sink_on_result,
        .on_backup = sink_on_backup,
        .on_log = NULL, /* the CLI prints no engine log lines */
        .on_progress = sink_on_progress,
        .on_summary = sink_on_summary,
        .decide = sink_decide,
        .arg = r,
    };
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
    r->ndevs = r->nconns = r->conns_cap = 0;
    r->conns_total = r->conns_bad = 0;
}
