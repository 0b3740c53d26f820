/*
 * task_methods.c — the task methods other than RunTask and GetTaskLog
 * (task_log.c): CancelTask, GetTask, ListTasks, DeleteTask. Adapters
 * from requests to store/ reads and to the run registry (task_run.c).
 *
 * Unary answers stay under gRPC's 4 MiB message limit: GetTask cuts its
 * results (results_truncated), ListTasks leaves out inline inventories.
 *
 * Thread: reactor. Owns: the responses while they are packed.
 */
#include "rpc_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_store.h"

#define TASK_REPLY_MAX (4 * 1024 * 1024 - 64 * 1024)

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
