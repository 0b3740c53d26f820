/*
 * call.c — the life of one server call: accept, bounded send queue with
 * one SEND_MESSAGE in flight, status, close, cancel, reference counting.
 *
 * Backpressure: a message is packed into a grpc_byte_buffer when queued;
 * the queue holds at most srv->stream_queue messages and stream_bytes
 * bytes (the first message always fits). Only one send batch
 * is in flight; its completion starts the next one (the completion is the
 * flow control signal of HTTP/2 reaching us). The status goes out after
 * the last queued message, in the same batch when possible.
 *
 * Thread: reactor only. Owns: the grpc_call reference, request metadata,
 * the request payload, queued and in-flight byte buffers, the detail
 * string. Does not: decode requests (dispatch.c), know about tasks.
 */
#include "rpc_int.h"

#include <errno.h>
#include <grpc/byte_buffer.h>
#include <grpc/slice.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_metrics.h"

#define CALL_QUEUE_MIN 8 /* first ring size; doubles up to the cap */

static void call_link(fn_rpc_call_t *c)
{
    struct fn_rpc *s = c->srv;
    c->next = s->calls;
    if (s->calls)
        s->calls->prev = c;
    s->calls = c;
    s->ncalls++;
}

static void call_unlink(fn_rpc_call_t *c)
{
    struct fn_rpc *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->ncalls--;
}

static void call_op_init(fn_rpc_call_t *c, fn__rpc_op_t *op, int kind)
{
    op->call = c;
    op->kind = kind;
}

fn_rpc_call_t *fn__rpc_call_new(struct fn_rpc *s, const fn__rpc_method_t *m)
{
    fn_rpc_call_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->srv = s;
    c->method = m;
    grpc_metadata_array_init(&c->md);
    grpc_call_details_init(&c->details);
    call_op_init(c, &c->op_request, FN__RPC_OP_REQUEST);
    call_op_init(c, &c->op_send, FN__RPC_OP_SEND);
    call_op_init(c, &c->op_status, FN__RPC_OP_STATUS);
    call_op_init(c, &c->op_close, FN__RPC_OP_CLOSE);
    call_op_init(c, &c->op_recv, FN__RPC_OP_RECV);
    c->refs = 1; /* the posted request */
    call_link(c);
    return c;
}

static void call_drop_queue(fn_rpc_call_t *c)
{
    c->qbytes = 0;
    while (c->qlen) {
        grpc_byte_buffer_destroy(c->queue[c->qhead]);
        c->qhead = (c->qhead + 1) % c->qcap;
        c->qlen--;
    }
}

static void call_free(fn_rpc_call_t *c)
{
    struct fn_rpc *s = c->srv;
    call_unlink(c);
    call_drop_queue(c);
    free(c->queue);
    if (c->inflight)
        grpc_byte_buffer_destroy(c->inflight);
    if (c->payload)
        grpc_byte_buffer_destroy(c->payload);
    if (c->recv_buf)
        grpc_byte_buffer_destroy(c->recv_buf);
    grpc_metadata_array_destroy(&c->md);
    grpc_call_details_destroy(&c->details);
    free(c->detail);
    if (c->call)
        grpc_call_unref(c->call);
    free(c);
    fn__rpc_check_drained(s);
}

void fn__rpc_call_hold(fn_rpc_call_t *c)
{
    c->refs++;
}

void fn__rpc_call_release(fn_rpc_call_t *c)
{
    if (--c->refs == 0)
        call_free(c);
}

/* Starts a batch holding a reference for it. Returns 0 or FN_EINTERNAL. */
static int call_batch(fn_rpc_call_t *c, const grpc_op *ops, size_t n,
                      fn__rpc_op_t *tag)
{
    fn__rpc_call_hold(c);
    if (grpc_call_start_batch(c->call, ops, n, tag, NULL) != GRPC_CALL_OK) {
        fn__rpc_call_release(c);
        return FN_EINTERNAL;
    }
    return 0;
}

int fn__rpc_call_accept(fn_rpc_call_t *c)
{
    grpc_op op;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op.data.recv_close_on_server.cancelled = &c->cancelled;
    return call_batch(c, &op, 1, &c->op_close);
}

int fn__rpc_call_done(const fn_rpc_call_t *c)
{
    return c->closed || c->aborted || c->finishing || c->broken;
}

/* Appends the ops that every first batch needs: initial metadata. */
static size_t call_add_md(fn_rpc_call_t *c, grpc_op *ops, size_t n)
{
    if (c->md_sent)
        return n;
    memset(&ops[n], 0, sizeof(ops[n]));
    ops[n].op = GRPC_OP_SEND_INITIAL_METADATA;
    c->md_sent = 1;
    return n + 1;
}

const char *fn__rpc_call_method_name(const fn_rpc_call_t *c)
{
    return c->method ? c->method->path + 1 : "unknown";
}

/* Each accepted call's end is counted once, with the code the client
 * sees: ours, or CANCELLED when it went away first. */
static void call_count(fn_rpc_call_t *c, grpc_status_code code)
{
    if (c->counted || !c->srv->metrics)
        return;
    c->counted = 1;
    fn_metrics_on_rpc(c->srv->metrics, fn__rpc_call_method_name(c), code);
}

static size_t call_add_status(fn_rpc_call_t *c, grpc_op *ops, size_t n,
                              grpc_slice *detail)
{
    call_count(c, c->code);
    memset(&ops[n], 0, sizeof(ops[n]));
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = c->code;
    if (c->detail) {
        *detail = grpc_slice_from_copied_string(c->detail);
        ops[n].data.send_status_from_server.status_details = detail;
    }
    c->status_sent = 1;
    return n + 1;
}

/* Starts the next batch if none is in flight: the next message (with the
 * status if it is the last and the call is finishing), or the status. */
static void call_pump(fn_rpc_call_t *c)
{
    if (c->send_busy || c->status_sent || c->aborted || c->closed || c->broken)
        return;
    if (!c->qlen && !c->finishing)
        return;
    grpc_op ops[3];
    grpc_slice detail = grpc_empty_slice();
    size_t n = call_add_md(c, ops, 0);
    fn__rpc_op_t *tag = &c->op_status;
    if (c->qlen) {
        c->inflight = c->queue[c->qhead];
        c->qhead = (c->qhead + 1) % c->qcap;
        c->qlen--;
        c->qbytes -= grpc_byte_buffer_length(c->inflight);
        memset(&ops[n], 0, sizeof(ops[n]));
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        /* More behind it: let the transport gather messages into one
         * write (the send still completes at once, within the
         * transport's write buffer); the last queued one flushes. */
        if (c->qlen)
            ops[n].flags = GRPC_WRITE_BUFFER_HINT;
        ops[n++].data.send_message.send_message = c->inflight;
        c->send_busy = 1;
        tag = &c->op_send;
    }
    if (c->finishing && !c->qlen)
        n = call_add_status(c, ops, n, &detail);
    if (call_batch(c, ops, n, tag) < 0) {
        c->send_busy = 0;
        c->broken = 1;
    }
    grpc_slice_unref(detail);
}

static int call_grow(fn_rpc_call_t *c)
{
    size_t cap = c->qcap ? c->qcap * 2 : CALL_QUEUE_MIN;
    if (cap > c->srv->stream_queue)
        cap = c->srv->stream_queue;
    grpc_byte_buffer **q = malloc(cap * sizeof(*q));
    if (!q)
        return -ENOMEM;
    for (size_t i = 0; i < c->qlen; i++)
        q[i] = c->queue[(c->qhead + i) % c->qcap];
    free(c->queue);
    c->queue = q;
    c->qcap = cap;
    c->qhead = 0;
    return 0;
}

grpc_byte_buffer *fn_rpc_pack(const ProtobufCMessage *m)
{
    /* strings that are not UTF-8 go out sanitized; m is as it was after */
    fn__rpc_utf8_undo_t u = {0};
    if (fn__rpc_utf8_fix((ProtobufCMessage *)m, &u) < 0) {
        fn__rpc_utf8_restore(&u);
        return NULL;
    }
    size_t n = protobuf_c_message_get_packed_size(m);
    grpc_slice sl = grpc_slice_malloc(n);
    protobuf_c_message_pack(m, GRPC_SLICE_START_PTR(sl));
    fn__rpc_utf8_restore(&u);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&sl, 1);
    grpc_slice_unref(sl);
    return bb;
}

int fn__rpc_call_send(fn_rpc_call_t *c, const ProtobufCMessage *m)
{
    if (fn__rpc_call_done(c))
        return FN_ECLOSED;
    if (c->qlen >= c->srv->stream_queue ||
        (c->qlen && c->qbytes >= c->srv->stream_bytes))
        return FN_EFULL;
    if (c->qlen == c->qcap && call_grow(c) < 0)
        return -ENOMEM;
    grpc_byte_buffer *bb = fn_rpc_pack(m);
    if (!bb)
        return -ENOMEM;
    c->queue[(c->qhead + c->qlen) % c->qcap] = bb;
    c->qlen++;
    c->qbytes += grpc_byte_buffer_length(bb);
    call_pump(c);
    return 0;
}

size_t fn__rpc_call_queued(const fn_rpc_call_t *c)
{
    return c->qlen + c->send_busy;
}

void fn__rpc_call_finish(fn_rpc_call_t *c, grpc_status_code code,
                         const char *detail)
{
    if (fn__rpc_call_done(c))
        return;
    c->finishing = 1;
    c->on_drain = NULL; /* the holder is done: no more callbacks */
    c->on_cancel = NULL;
    c->code = code;
    c->detail = detail && *detail ? strdup(detail) : NULL;
    call_pump(c);
}

void fn__rpc_call_reply(fn_rpc_call_t *c, const ProtobufCMessage *m)
{
    int rc = m ? fn__rpc_call_send(c, m) : 0;
    if (rc < 0 && rc != FN_ECLOSED)
        fn__rpc_call_finish(c, GRPC_STATUS_INTERNAL, fn_strerror(rc));
    else
        fn__rpc_call_finish(c, GRPC_STATUS_OK, NULL);
}

void fn__rpc_call_abort(fn_rpc_call_t *c, grpc_status_code code,
                        const char *detail)
{
    if (c->closed || c->aborted || c->status_sent)
        return;
    c->aborted = 1;
    call_count(c, code);
    c->on_drain = NULL;
    c->on_cancel = NULL;
    call_drop_queue(c);
    grpc_call_cancel_with_status(c->call, code, detail, NULL);
}

void fn__rpc_call_set_hooks(fn_rpc_call_t *c, fn__rpc_drain_fn *on_drain,
                            fn__rpc_cancel_fn *on_cancel, void *arg)
{
    c->on_drain = on_drain;
    c->on_cancel = on_cancel;
    c->cb_arg = arg;
}

static void call_on_send(fn_rpc_call_t *c, int ok)
{
    c->send_busy = 0;
    grpc_byte_buffer_destroy(c->inflight);
    c->inflight = NULL;
    if (!ok) {
        c->broken = 1; /* the stream is gone; close will tell why */
        call_drop_queue(c);
        return;
    }
    call_pump(c);
    if (c->on_drain && !fn__rpc_call_done(c) &&
        c->qlen <= c->srv->stream_queue / 2)
        c->on_drain(c, c->cb_arg);
}

static void call_on_close(fn_rpc_call_t *c)
{
    c->closed = 1;
    call_count(c, GRPC_STATUS_CANCELLED);
    call_drop_queue(c);
    /* Hooks are still set only while a holder streams: the call ended
     * under it (client cancel, deadline, broken transport). */
    fn__rpc_cancel_fn *cb = c->on_cancel;
    c->on_drain = NULL;
    c->on_cancel = NULL;
    if (cb)
        cb(c, c->cb_arg);
}

int fn__rpc_call_recv(fn_rpc_call_t *c, fn__rpc_recv_fn *cb, void *arg)
{
    if (c->on_recv)
        return FN_ESTATE;
    grpc_op op;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &c->recv_buf;
    c->on_recv = cb;
    c->recv_arg = arg;
    int rc = call_batch(c, &op, 1, &c->op_recv);
    if (rc < 0)
        c->on_recv = NULL;
    return rc;
}

/* A received message is decoded and checked like an initial request;
 * one that fails ends the call. A failed batch reads as a half-close:
 * the close completion tells the holder the rest. */
static void call_on_recv(fn_rpc_call_t *c, int ok)
{
    fn__rpc_recv_fn *cb = c->on_recv;
    void *arg = c->recv_arg;
    grpc_byte_buffer *bb = ok ? c->recv_buf : NULL;
    c->on_recv = NULL;
    c->recv_buf = NULL;
    if (!cb || fn__rpc_call_done(c)) {
        if (bb)
            grpc_byte_buffer_destroy(bb);
        return;
    }
    char why[160];
    ProtobufCMessage *req = NULL;
    int rc =
        bb ? fn__rpc_decode(c->method->req, bb, &req, why, sizeof(why)) : 0;
    if (bb)
        grpc_byte_buffer_destroy(bb);
    if (rc < 0) /* the holder still hears of it, below, as an end */
        fn__rpc_call_finish(c, GRPC_STATUS_INVALID_ARGUMENT, why);
    cb(c, req, arg);
    if (req)
        protobuf_c_message_free_unpacked(req, NULL);
}

void fn__rpc_call_complete(fn_rpc_call_t *c, fn__rpc_op_t *op)
{
    fn__rpc_call_hold(c); /* the hooks may release the holder's ref */
    switch (op->kind) {
    case FN__RPC_OP_SEND:
        call_on_send(c, op->ok);
        break;
    case FN__RPC_OP_CLOSE:
        call_on_close(c);
        break;
    case FN__RPC_OP_RECV:
        call_on_recv(c, op->ok);
        break;
    default: /* FN__RPC_OP_STATUS: nothing to do but release */
        break;
    }
    fn__rpc_call_release(c); /* the batch's reference */
    fn__rpc_call_release(c);
}
