/*
 * task_methods.c — the task methods other than RunTask: CancelTask,
 * GetTask, ListTasks, GetTaskLog (a pull stream), DeleteTask. Adapters
 * from requests to store/ reads and to the run registry (task_run.c).
 *
 * Unary answers stay under gRPC's 4 MiB message limit: GetTask cuts its
 * results (results_truncated), ListTasks leaves out inline inventories.
 *
 * Thread: reactor. Owns: a GetTaskLog stream's cursor until it ends.
 */
#include "rpc_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_store.h"

#define TASK_REPLY_MAX  (4 * 1024 * 1024 - 64 * 1024)
#define TASK_LOG_QUEUED 64 /* log lines queued per GetTaskLog stream */

/* A task id or unique prefix to the full id; on failure the call ends
 * with the matching status. */
static int task_resolve(fn_rpc_call_t *c, const char *prefix,
                        char id[FN_STORE_ID_LEN + 1])
{
    int rc = fn_store_task_resolve(c->srv->store, prefix, id);
    if (rc < 0)
        fn__rpc_fail(c, rc, fn_store_reason(c->srv->store));
    return rc;
}

void fn__rpc_cancel_task(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    const Flexnet__V1__CancelTaskRequest *r =
        (const Flexnet__V1__CancelTaskRequest *)req;
    char id[FN_STORE_ID_LEN + 1];
    if (task_resolve(c, r->task_id, id) < 0)
        return;
    Flexnet__V1__CancelTaskResponse resp;
    flexnet__v1__cancel_task_response__init(&resp);
    fn__rpc_run_t *run = fn__rpc_tasks_find(c->srv, id);
    /* Not ours or finished: nothing to cancel (cancelled = false). */
    resp.cancelled = run && run->task && fn_task_cancel(run->task) == 0;
    fn__rpc_call_reply(c, &resp.base);
}

/* Keeps the longest prefix of results that fits one message. */
static void task_trim(Flexnet__V1__GetTaskResponse *resp)
{
    size_t total = protobuf_c_message_get_packed_size(&resp->base);
    if (total <= TASK_REPLY_MAX)
        return;
    size_t keep = resp->n_results;
    while (keep && total > TASK_REPLY_MAX) {
        keep--;
        total -=
            protobuf_c_message_get_packed_size(&resp->results[keep]->base) +
            6; /* tag + length varint, at most */
    }
    for (size_t i = keep; i < resp->n_results; i++)
        flexnet__v1__command_result__free_unpacked(resp->results[i], NULL);
    resp->n_results = keep;
    resp->results_truncated = 1;
}

void fn__rpc_get_task(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    const Flexnet__V1__GetTaskRequest *r =
        (const Flexnet__V1__GetTaskRequest *)req;
    struct fn_store *st = c->srv->store;
    Flexnet__V1__GetTaskResponse *resp = NULL;
    unsigned what =
        r->with_results ? FN_STORE_GET_CONNS | FN_STORE_GET_RESULTS : 0;
    fn_store_flush(st); /* what the tasks wrote until now */
    int rc = fn_store_task_get(st, r->task_id, what, &resp);
    if (rc < 0) {
        fn__rpc_fail(c, rc, fn_store_reason(st));
        return;
    }
    task_trim(resp);
    if (protobuf_c_message_get_packed_size(&resp->base) > TASK_REPLY_MAX)
        fn__rpc_call_finish(c, GRPC_STATUS_RESOURCE_EXHAUSTED,
                            "task too large for one message");
    else
        fn__rpc_call_reply(c, &resp->base);
    flexnet__v1__get_task_response__free_unpacked(resp, NULL);
}

void fn__rpc_list_tasks(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    struct fn_store *st = c->srv->store;
    Flexnet__V1__ListTasksResponse *resp = NULL;
    fn_store_flush(st);
    int rc = fn_store_task_list(st, (const Flexnet__V1__ListTasksRequest *)req,
                                &resp);
    if (rc < 0) {
        fn__rpc_fail(c, rc, fn_store_reason(st));
        return;
    }
    for (size_t i = 0; i < resp->n_tasks; i++) {
        Flexnet__V1__TaskSpec *spec = resp->tasks[i]->spec;
        char *mark =
            spec && spec->inventory_text[0] ? strdup("(inline)") : NULL;
        if (mark) { /* out of memory: the page stays whole */
            free(spec->inventory_text);
            spec->inventory_text = mark;
        }
    }
    if (protobuf_c_message_get_packed_size(&resp->base) > TASK_REPLY_MAX)
        fn__rpc_call_finish(c, GRPC_STATUS_RESOURCE_EXHAUSTED,
                            "page too large: ask for a smaller page_size");
    else
        fn__rpc_call_reply(c, &resp->base);
    flexnet__v1__list_tasks_response__free_unpacked(resp, NULL);
}

/* ---------------------------------------------------------------------
 * GetTaskLog: reads committed lines from `next` on, a queue's worth per
 * wakeup, each batch in its own short read transaction. */

typedef struct log_stream {
    fn_rpc_call_t *call;
    char id[FN_STORE_ID_LEN + 1];
    uint64_t next;
} log_stream_t;

static void log_end(fn_rpc_call_t *c, log_stream_t *ls)
{
    free(ls);
    fn__rpc_call_release(c);
}

static void log_on_cancel(fn_rpc_call_t *c, void *arg)
{
    log_end(c, arg);
}

static int log_emit(const Flexnet__V1__LogLine *line, void *arg)
{
    log_stream_t *ls = arg;
    int rc = fn__rpc_call_send(ls->call, &line->base);
    if (rc < 0)
        return rc;
    ls->next = line->seq + 1;
    size_t limit = ls->call->srv->stream_queue / 2 + 1;
    if (limit > TASK_LOG_QUEUED)
        limit = TASK_LOG_QUEUED;
    return fn__rpc_call_queued(ls->call) >= limit ? 1 : 0;
}

static void log_fill(fn_rpc_call_t *c, void *arg)
{
    log_stream_t *ls = arg;
    int rc =
        fn_store_log_foreach(c->srv->store, ls->id, ls->next, log_emit, ls);
    if (rc == 1)
        return; /* queue full: the next send completion calls again */
    if (rc < 0)
        fn__rpc_fail(c, rc, NULL);
    else
        fn__rpc_call_finish(c, GRPC_STATUS_OK, NULL);
    log_end(c, ls);
}

void fn__rpc_get_task_log(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    const Flexnet__V1__GetTaskLogRequest *r =
        (const Flexnet__V1__GetTaskLogRequest *)req;
    struct fn_store *st = c->srv->store;
    log_stream_t *ls = calloc(1, sizeof(*ls));
    if (!ls) {
        fn__rpc_fail(c, -ENOMEM, NULL);
        return;
    }
    if (task_resolve(c, r->task_id, ls->id) < 0) {
        free(ls);
        return;
    }
    fn_store_flush(st);
    ls->call = c;
    ls->next = r->from_seq;
    fn__rpc_call_hold(c);
    fn__rpc_call_set_hooks(c, log_fill, log_on_cancel, ls);
    log_fill(c, ls);
}

void fn__rpc_delete_task(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    const Flexnet__V1__DeleteTaskRequest *r =
        (const Flexnet__V1__DeleteTaskRequest *)req;
    struct fn_store *st = c->srv->store;
    char id[FN_STORE_ID_LEN + 1];
    if (task_resolve(c, r->task_id, id) < 0)
        return;
    if (fn__rpc_tasks_find(c->srv, id)) {
        fn__rpc_call_finish(c, GRPC_STATUS_FAILED_PRECONDITION,
                            "task is running: cancel it first");
        return;
    }
    int rc = fn_store_task_delete(st, id);
    if (rc < 0) {
        fn__rpc_fail(c, rc, fn_store_reason(st));
        return;
    }
    Flexnet__V1__DeleteTaskResponse resp;
    flexnet__v1__delete_task_response__init(&resp);
    resp.deleted = 1;
    fn__rpc_call_reply(c, &resp.base);
}
