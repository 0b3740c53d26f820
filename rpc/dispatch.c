/*
 * dispatch.c — the method table and what every call goes through before
 * its handler: the bearer-token check, decoding the request with
 * protobuf-c, validating it (validate.c), and the status for unknown
 * methods.
 *
 * A method is a row of fn__rpc_methods: its path, request type, handler.
 * server.c registers each row with GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER
 * so the request arrives with the call (client-streaming rows, flag
 * FN__RPC_CLIENT_STREAM, with no payload: their handler reads each
 * request, decoded here too); anything else lands on the catch-all
 * request and gets UNIMPLEMENTED.
 *
 * Thread: reactor. Owns: the decoded request during the handler.
 * Does not: send anything but error statuses (handlers answer).
 */
#include "rpc_int.h"

#include <errno.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fn_err.h"
#include "fn_log.h"
#include "flexnet/v1/flexnet.pb-c.h"
#include "grpc/reflection/v1/reflection.pb-c.h"
#include "health.pb-c.h"

#define FLEXNET "/flexnet.v1.Flexnet/"
#define M(name, type, fn)                                                      \
    {                                                                          \
        FLEXNET name, &flexnet__v1__##type##__descriptor, fn, 0                \
    }

const fn__rpc_method_t fn__rpc_methods[] = {
    M("RunTask", task_spec, fn__rpc_run_task),
    M("CancelTask", cancel_task_request, fn__rpc_cancel_task),
    M("GetTask", get_task_request, fn__rpc_get_task),
    M("ListTasks", list_tasks_request, fn__rpc_list_tasks),
    M("GetTaskLog", get_task_log_request, fn__rpc_get_task_log),
    M("ListBackups", list_backups_request, fn__rpc_list_backups),
    M("GetBackup", get_backup_request, fn__rpc_get_backup),
    M("DiffBackups", diff_backups_request, fn__rpc_diff_backups),
    M("DeleteTask", delete_task_request, fn__rpc_delete_task),
    M("DeleteBackup", delete_backup_request, fn__rpc_delete_backup),
    M("ListVendors", list_vendors_request, fn__rpc_list_vendors),
    {"/grpc.health.v1.Health/Check",
     &grpc__health__v1__health_check_request__descriptor, fn__rpc_health_check,
     0},
    {"/grpc.health.v1.Health/Watch",
     &grpc__health__v1__health_check_request__descriptor, fn__rpc_health_watch,
     0},
    {"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
     &grpc__reflection__v1__server_reflection_request__descriptor,
     fn__rpc_reflection, FN__RPC_CLIENT_STREAM},
    {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
     &grpc__reflection__v1__server_reflection_request__descriptor,
     fn__rpc_reflection, FN__RPC_CLIENT_STREAM},
};
const size_t fn__rpc_nmethods =
    sizeof(fn__rpc_methods) / sizeof(fn__rpc_methods[0]);

#undef M

static const fn_log_ctx_t dispatch_log = {NULL, NULL, FN_LOGC_RPC};

/* errno and flexnet codes to the status a client should see. */
grpc_status_code fn__rpc_status_of(int err)
{
    switch (err) {
    case 0:
        return GRPC_STATUS_OK;
    case FN_ENOTFOUND:
    case -ENOENT:
        return GRPC_STATUS_NOT_FOUND;
    case FN_EPARSE:
    case FN_EAMBIGUOUS:
    case FN_EVENDOR:
    case FN_ETEMPLATE:
        return GRPC_STATUS_INVALID_ARGUMENT;
    case FN_EEXISTS:
        return GRPC_STATUS_ALREADY_EXISTS;
    case FN_ESTATE:
    case FN_ECREDS:
        return GRPC_STATUS_FAILED_PRECONDITION;
    case FN_EFULL:
    case -ENOMEM:
    case -ENOSPC:
        return GRPC_STATUS_RESOURCE_EXHAUSTED;
    case FN_ECANCELED:
        return GRPC_STATUS_CANCELLED;
    case FN_ETIMEOUT:
        return GRPC_STATUS_DEADLINE_EXCEEDED;
    case -EACCES:
    case -EPERM:
        return GRPC_STATUS_PERMISSION_DENIED;
    default:
        return GRPC_STATUS_INTERNAL;
    }
}

void fn__rpc_fail(fn_rpc_call_t *c, int err, const char *detail)
{
    fn__rpc_call_finish(c, fn__rpc_status_of(err),
                        detail && *detail ? detail : fn_strerror(err));
}

/* Constant-time comparison: the time taken does not tell how much of a
 * guessed token was right. */
static int dispatch_same(const void *a, size_t alen, const void *b, size_t blen)
{
    const unsigned char *x = a, *y = b;
    unsigned char diff = alen != blen;
    for (size_t i = 0; i < alen && i < blen; i++)
        diff |= x[i] ^ y[i];
    return diff == 0;
}

static int dispatch_authorized(const fn_rpc_call_t *c)
{
    static const char prefix[] = "Bearer ";
    const struct fn_rpc *s = c->srv;
    if (!s->token)
        return 1;
    for (size_t i = 0; i < c->md.count; i++) {
        const grpc_metadata *m = &c->md.metadata[i];
        if (grpc_slice_str_cmp(m->key, "authorization") != 0)
            continue;
        size_t n = GRPC_SLICE_LENGTH(m->value);
        const char *v = (const char *)GRPC_SLICE_START_PTR(m->value);
        if (n < sizeof(prefix) - 1 ||
            strncasecmp(v, prefix, sizeof(prefix) - 1) != 0)
            return 0;
        n -= sizeof(prefix) - 1;
        v += sizeof(prefix) - 1;
        return dispatch_same(v, n, s->token, s->token_len);
    }
    return 0;
}

/* The request bytes, decompressed and flattened by gRPC's reader. */
static ProtobufCMessage *dispatch_unpack(const ProtobufCMessageDescriptor *d,
                                         grpc_byte_buffer *bb)
{
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb))
        return NULL;
    grpc_slice all = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    ProtobufCMessage *m = protobuf_c_message_unpack(
        d, NULL, GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
    grpc_slice_unref(all);
    return m;
}

int fn__rpc_decode(const ProtobufCMessageDescriptor *d, grpc_byte_buffer *bb,
                   ProtobufCMessage **out, char *why, size_t whylen)
{
    *out = dispatch_unpack(d, bb);
    if (!*out) {
        snprintf(why, whylen, "request does not parse as a protobuf message");
        return FN_EPARSE;
    }
    if (fn__rpc_validate(*out, why, whylen) < 0) {
        protobuf_c_message_free_unpacked(*out, NULL);
        *out = NULL;
        return FN_EPARSE;
    }
    return 0;
}

static void dispatch_method(fn_rpc_call_t *c)
{
    char why[160];
    if (c->method->flags & FN__RPC_CLIENT_STREAM) {
        c->method->handler(c, NULL);
        return;
    }
    if (!c->payload) {
        fn__rpc_call_finish(c, GRPC_STATUS_INVALID_ARGUMENT,
                            "missing request message");
        return;
    }
    ProtobufCMessage *req;
    if (fn__rpc_decode(c->method->req, c->payload, &req, why, sizeof(why)) <
        0) {
        fn__rpc_call_finish(c, GRPC_STATUS_INVALID_ARGUMENT, why);
        return;
    }
    c->method->handler(c, req);
    protobuf_c_message_free_unpacked(req, NULL);
}

void fn__rpc_dispatch(fn_rpc_call_t *c)
{
    fn__rpc_call_hold(c);
    if (!dispatch_authorized(c)) {
        fn__rpc_call_finish(c, GRPC_STATUS_UNAUTHENTICATED,
                            "missing or wrong bearer token");
    } else if (!c->method) {
        char what[160];
        snprintf(what, sizeof(what), "unknown method %.*s",
                 (int)GRPC_SLICE_LENGTH(c->details.method),
                 (const char *)GRPC_SLICE_START_PTR(c->details.method));
        fn_log(FN_LOG_DEBUG, &dispatch_log, "%s", what);
        fn__rpc_call_finish(c, GRPC_STATUS_UNIMPLEMENTED, what);
    } else {
        dispatch_method(c);
    }
    fn__rpc_call_release(c);
}
