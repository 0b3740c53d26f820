/*
 * task_sink.c — the presentation half of a RunTask: recorder/ writes
 * every engine event to the store (records, task log, backups and their
 * S3 copies, host keys); these hooks stream each record on the caller's
 * call as a TaskEvent while the caller still listens.
 *
 * A full stream queue means the client reads too slowly: its stream ends
 * with RESOURCE_EXHAUSTED and the task goes on, still written to the
 * store and readable with GetTask.
 *
 * Thread: reactor (engine callbacks, through the recorder). Owns
 * nothing: records are borrowed for the hook and packed at once.
 */
#include "rpc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_log.h"

/* A streamed result's stdout stays below the 4 MiB message limit; the
 * store keeps the whole text (GetTask, the CLI). */
#define SINK_OUT_MAX (3 * 1024 * 1024)

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

/* Streams one event whose payload member was set by the caller. */
static void sink_emit(fn__rpc_run_t *run, Flexnet__V1__TaskEvent *ev)
{
    if (!run->call)
        return;
    ev->task_id = run->id;
    int rc = fn__rpc_call_send(run->call, &ev->base);
    if (rc < 0)
        sink_detach(run, rc);
}

static void sink_on_conn(fn_rec_task_t *rt,
                         const Flexnet__V1__ConnectionReport *m, void *arg)
{
    Flexnet__V1__TaskEvent ev = FLEXNET__V1__TASK_EVENT__INIT;
    ev.event_case = FLEXNET__V1__TASK_EVENT__EVENT_CONNECTION;
    ev.connection = (Flexnet__V1__ConnectionReport *)m;
    sink_emit(arg, &ev);
}

static void sink_on_result(fn_rec_task_t *rt,
                           const Flexnet__V1__CommandResult *m, void *arg)
{
    Flexnet__V1__CommandResult copy = *m;
    char *cut = NULL;
    if (strlen(m->stdout) > SINK_OUT_MAX && (cut = malloc(SINK_OUT_MAX + 1))) {
        memcpy(cut, m->stdout, SINK_OUT_MAX);
        cut[SINK_OUT_MAX] = '\0';
        copy.stdout = cut;
        copy.truncated = 1;
    }
    Flexnet__V1__TaskEvent ev = FLEXNET__V1__TASK_EVENT__INIT;
    ev.event_case = FLEXNET__V1__TASK_EVENT__EVENT_RESULT;
    ev.result = &copy;
    sink_emit(arg, &ev);
    free(cut);
}

static void sink_on_backup(fn_rec_task_t *rt, const Flexnet__V1__Backup *m,
                           void *arg)
{
    Flexnet__V1__TaskEvent ev = FLEXNET__V1__TASK_EVENT__INIT;
    ev.event_case = FLEXNET__V1__TASK_EVENT__EVENT_BACKUP;
    ev.backup = (Flexnet__V1__Backup *)m;
    sink_emit(arg, &ev);
}

static void sink_on_log(fn_rec_task_t *rt, const Flexnet__V1__LogLine *m,
                        void *arg)
{
    Flexnet__V1__TaskEvent ev = FLEXNET__V1__TASK_EVENT__INIT;
    ev.event_case = FLEXNET__V1__TASK_EVENT__EVENT_LOG;
    ev.log = (Flexnet__V1__LogLine *)m;
    sink_emit(arg, &ev);
}

static void sink_on_progress(fn_rec_task_t *rt, const Flexnet__V1__Progress *m,
                             void *arg)
{
    Flexnet__V1__TaskEvent ev = FLEXNET__V1__TASK_EVENT__INIT;
    ev.event_case = FLEXNET__V1__TASK_EVENT__EVENT_PROGRESS;
    ev.progress = (Flexnet__V1__Progress *)m;
    sink_emit(arg, &ev);
}

static void sink_on_summary(fn_rec_task_t *rt, const Flexnet__V1__Summary *m,
                            const char *error, void *arg)
{
    fn__rpc_run_t *run = arg;
    fn_log_ctx_t ctx = {run->id, NULL, FN_LOGC_RPC};
    fn_log(FN_LOG_INFO, &ctx, "task %s: %u ok, %u failed, %u unreachable",
           fn_recorder_task_status_name(m->status), m->ok, m->failed,
           m->failed_connect);
    Flexnet__V1__TaskEvent ev = FLEXNET__V1__TASK_EVENT__INIT;
    ev.event_case = FLEXNET__V1__TASK_EVENT__EVENT_SUMMARY;
    ev.summary = (Flexnet__V1__Summary *)m;
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

void fn__rpc_hooks_init(fn_recorder_hooks_t *hooks, fn__rpc_run_t *run)
{
    *hooks = (fn_recorder_hooks_t){
        .on_connection = sink_on_conn,
        .on_result = sink_on_result,
        .on_backup = sink_on_backup,
        .on_log = sink_on_log,
        .on_progress = sink_on_progress,
        .on_summary = sink_on_summary,
        .decide = NULL, /* connect-first: stop exactly when over threshold */
        .arg = run,
    };
}
