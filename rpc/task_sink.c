/*
 * task_sink.c — the engine sink of a RunTask: every event is written to
 * the store (batched; the flush tick in task_run.c commits it) and, while
 * the caller still streams, queued on its call as a TaskEvent.
 *
 * A full stream queue means the client reads too slowly: its stream ends
 * with RESOURCE_EXHAUSTED and the task goes on, still written to the
 * store and readable with GetTask. Host keys are pinned in the store.
 *
 * Thread: reactor (engine callbacks). Owns nothing: payload strings are
 * borrowed from the engine for the callback and packed at once.
 */
#include "rpc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_log.h"
#include "fn_store.h"

/* A streamed result's stdout stays below the 4 MiB message limit; the
 * store keeps the whole text (GetTask, the CLI). */
#define SINK_OUT_MAX (3 * 1024 * 1024)

static void sink_store_failed(fn__rpc_run_t *run, int rc, const char *what)
{
    if (rc >= 0 || run->store_failed)
        return;
    run->store_failed = 1; /* once per task: a full disk would flood */
    fn_log_ctx_t ctx = {run->id, NULL, FN_LOGC_RPC};
    fn_log(FN_LOG_ERROR, &ctx, "store: cannot write %s: %s", what,
           fn_store_reason(run->srv->store));
}

static void sink_detach(fn__rpc_run_t *run, int rc)
{
    fn_rpc_call_t *c = run->call;
    run->call = NULL;
    if (rc == FN_EFULL)
        fn__rpc_call_abort(c, GRPC_STATUS_RESOURCE_EXHAUSTED,
                           "stream queue full: the client reads too "
                           "slowly; the task goes on (see GetTask)");
    else
        fn__rpc_call_set_hooks(c, NULL, NULL, NULL);
    fn__rpc_call_release(c);
}

static void sink_emit(fn__rpc_run_t *run, Flexnet__V1__TaskEvent *ev)
{
    if (!run->call)
        return;
    ev->task_id = run->id;
    int rc = fn__rpc_call_send(run->call, &ev->base);
    if (rc < 0)
        sink_detach(run, rc);
}

static void sink_event(Flexnet__V1__TaskEvent *ev, int which)
{
    flexnet__v1__task_event__init(ev);
    ev->event_case = which;
}

static void sink_on_conn(fn_task_t *t, const fn_conn_report_t *r, void *arg)
{
    fn__rpc_run_t *run = arg;
    Flexnet__V1__ConnectionReport m;
    flexnet__v1__connection_report__init(&m);
    m.task_id = run->id;
    m.host = (char *)r->host;
    m.address = (char *)r->address;
    m.port = r->port;
    m.vendor = (char *)(r->vendor ? r->vendor : "");
    m.status = r->status;
    m.tries = r->tries;
    m.duration_us = r->duration_us;
    m.reason = (char *)(r->reason ? r->reason : "");
    sink_store_failed(run, fn_store_conn_append(run->srv->store, &m),
                      "a connection report");
    Flexnet__V1__TaskEvent ev;
    sink_event(&ev, FLEXNET__V1__TASK_EVENT__EVENT_CONNECTION);
    ev.connection = &m;
    sink_emit(run, &ev);
}

static void sink_result_fill(Flexnet__V1__CommandResult *m,
                             const fn_cmd_result_t *r, char *id)
{
    flexnet__v1__command_result__init(m);
    m->task_id = id;
    m->host = (char *)r->host;
    m->step = r->step;
    m->seq = r->seq;
    m->command = (char *)r->command;
    m->exit_code = r->exit_code;
    m->stdout = (char *)(r->out ? r->out : "");
    m->stderr = (char *)(r->err ? r->err : "");
    m->started_us = r->started_us;
    m->duration_us = r->duration_us;
    m->tag = (char *)(r->tag ? r->tag : "");
    m->reason = (char *)(r->reason ? r->reason : "");
    m->truncated = r->truncated;
}

static void sink_on_result(fn_task_t *t, const fn_cmd_result_t *r, void *arg)
{
    fn__rpc_run_t *run = arg;
    Flexnet__V1__CommandResult m;
    sink_result_fill(&m, r, run->id);
    sink_store_failed(run, fn_store_result_append(run->srv->store, &m),
                      "a result");
    char *cut = NULL;
    if (r->out_len > SINK_OUT_MAX && (cut = malloc(SINK_OUT_MAX + 1))) {
        memcpy(cut, r->out, SINK_OUT_MAX);
        cut[SINK_OUT_MAX] = '\0';
        m.stdout = cut;
        m.truncated = 1;
    }
    Flexnet__V1__TaskEvent ev;
    sink_event(&ev, FLEXNET__V1__TASK_EVENT__EVENT_RESULT);
    ev.result = &m;
    sink_emit(run, &ev);
    free(cut);
}

static void sink_on_backup(fn_task_t *t, const fn_backup_t *b, void *arg)
{
    fn__rpc_run_t *run = arg;
    struct fn_store *st = run->srv->store;
    Flexnet__V1__Backup m;
    flexnet__v1__backup__init(&m);
    m.task_id = run->id;
    m.host = (char *)b->host;
    m.vendor = (char *)(b->vendor ? b->vendor : "");
    m.created_us = b->created_us;
    m.comment = (char *)(b->comment ? b->comment : "");
    m.command = (char *)(b->command ? b->command : "");
    m.target = "local";
    char id[FN_STORE_ID_LEN + 1];
    int rc = fn_store_backup_save(st, &m, b->text, b->size, id);
    sink_store_failed(run, rc, "a backup");
    if (rc == 0)
        fn__rpc_s3_upload(run->srv, id, b->host, b->text, b->size);
    Flexnet__V1__Backup *saved = NULL;
    if (rc < 0 || fn_store_backup_get(st, id, &saved, NULL) < 0)
        return;
    Flexnet__V1__TaskEvent ev;
    sink_event(&ev, FLEXNET__V1__TASK_EVENT__EVENT_BACKUP);
    ev.backup = saved;
    sink_emit(run, &ev);
    flexnet__v1__backup__free_unpacked(saved, NULL);
}

static void sink_on_log(fn_task_t *t, const fn_log_line_t *l, void *arg)
{
    fn__rpc_run_t *run = arg;
    Flexnet__V1__LogLine m;
    flexnet__v1__log_line__init(&m);
    m.task_id = run->id;
    m.time_us = l->time_us;
    m.host = (char *)(l->host ? l->host : "");
    m.level = l->level;
    m.text = (char *)(l->text ? l->text : "");
    uint64_t seq = 0;
    sink_store_failed(run, fn_store_log_append(run->srv->store, &m, &seq),
                      "a log line");
    m.seq = seq ? seq : l->seq;
    Flexnet__V1__TaskEvent ev;
    sink_event(&ev, FLEXNET__V1__TASK_EVENT__EVENT_LOG);
    ev.log = &m;
    sink_emit(run, &ev);
}

static void sink_on_progress(fn_task_t *t, const fn_progress_t *p, void *arg)
{
    fn__rpc_run_t *run = arg;
    Flexnet__V1__Progress m;
    flexnet__v1__progress__init(&m);
    m.total = p->total;
    m.connected = p->connected;
    m.failed = p->failed;
    m.done = p->done;
    m.running = p->running;
    m.rate = p->rate;
    m.eta_s = p->eta_s;
    Flexnet__V1__Summary sum; /* counters so far, for GetTask */
    flexnet__v1__summary__init(&sum);
    sum.task_id = run->id;
    sum.status = FLEXNET__V1__TASK_STATUS__TASK_STATUS_RUNNING;
    sum.devices = p->total;
    sum.connected = p->connected;
    sum.failed_connect = p->failed;
    fn_store_task_set_summary(run->srv->store, run->id, &sum);
    Flexnet__V1__TaskEvent ev;
    sink_event(&ev, FLEXNET__V1__TASK_EVENT__EVENT_PROGRESS);
    ev.progress = &m;
    sink_emit(run, &ev);
}

static void sink_summary_fill(Flexnet__V1__Summary *m, const fn_summary_t *s,
                              char *id, int status)
{
    flexnet__v1__summary__init(m);
    m->task_id = id;
    m->status = status;
    m->devices = s->devices;
    m->connected = s->connected;
    m->failed_connect = s->failed_connect;
    m->ok = s->ok;
    m->failed = s->failed;
    m->commands = s->commands;
    m->errors = s->errors;
    m->duration_us = s->duration_us;
    m->backups = s->backups;
}

static void sink_on_summary(fn_task_t *t, const fn_summary_t *s, void *arg)
{
    fn__rpc_run_t *run = arg;
    int status = run->interrupted
                     ? FLEXNET__V1__TASK_STATUS__TASK_STATUS_INTERRUPTED
                     : s->status;
    Flexnet__V1__Summary m;
    sink_summary_fill(&m, s, run->id, status);
    const ProtobufCEnumValue *name = protobuf_c_enum_descriptor_get_value(
        &flexnet__v1__task_status__descriptor, status);
    fn_log_ctx_t ctx = {run->id, NULL, FN_LOGC_RPC};
    fn_log(FN_LOG_INFO, &ctx, "task %s: %u ok, %u failed, %u unreachable",
           name ? name->name : "?", s->ok, s->failed, s->failed_connect);
    const char *error = s->error && *s->error ? s->error : NULL;
    sink_store_failed(
        run, fn_store_task_finish(run->srv->store, run->id, status, &m, error),
        "the summary");
    Flexnet__V1__TaskEvent ev;
    sink_event(&ev, FLEXNET__V1__TASK_EVENT__EVENT_SUMMARY);
    ev.summary = &m;
    sink_emit(run, &ev);
    if (run->call) {
        fn_rpc_call_t *c = run->call;
        run->call = NULL;
        fn__rpc_call_finish(c, GRPC_STATUS_OK, NULL);
        fn__rpc_call_release(c);
    }
    run->task = NULL;
    fn__rpc_run_retire(run);
}

static int sink_hostkey_get(fn_task_t *t, const char *hostport, char *type,
                            size_t typelen, char *sha256, size_t shalen,
                            void *arg)
{
    fn__rpc_run_t *run = arg;
    Flexnet__V1__HostKey *hk = NULL;
    int rc = fn_store_hostkey_get(run->srv->store, hostport, &hk);
    if (rc < 0)
        return rc == FN_ENOTFOUND ? rc : FN_ENOTFOUND;
    snprintf(type, typelen, "%s", hk->type);
    snprintf(sha256, shalen, "%s", hk->sha256);
    flexnet__v1__host_key__free_unpacked(hk, NULL);
    return 0;
}

static void sink_hostkey_pin(fn_task_t *t, const char *hostport,
                             const char *type, const char *sha256, int replaced,
                             void *arg)
{
    fn__rpc_run_t *run = arg;
    Flexnet__V1__HostKey hk;
    flexnet__v1__host_key__init(&hk);
    hk.host = (char *)hostport;
    hk.type = (char *)type;
    hk.sha256 = (char *)sha256;
    struct fn_store *st = run->srv->store;
    int rc = replaced ? fn_store_hostkey_replace(st, &hk)
                      : fn_store_hostkey_pin(st, &hk);
    sink_store_failed(run, rc, "a host key");
}

void fn__rpc_sink_init(fn_sink_t *sink, fn__rpc_run_t *run)
{
    memset(sink, 0, sizeof(*sink));
    sink->on_connection = sink_on_conn;
    sink->on_result = sink_on_result;
    sink->on_backup = sink_on_backup;
    sink->on_log = sink_on_log;
    sink->on_progress = sink_on_progress;
    sink->on_summary = sink_on_summary;
    sink->hostkey_get = sink_hostkey_get;
    sink->hostkey_pin = sink_hostkey_pin;
    sink->arg = run;
}
