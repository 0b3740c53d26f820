/*
 * fn_rpc.h — flexnetd's gRPC server: service flexnet.v1.Flexnet (see
 * proto/flexnet/v1/flexnet.proto), grpc.health.v1.Health (Check, Watch)
 * and server reflection (grpc.reflection.v1 and v1alpha, answering from
 * the FileDescriptorSet protoc built with the binary), on the gRPC core C
 * API with protobuf-c messages; optionally a Prometheus /metrics endpoint
 * (libevent's evhttp on the same reactor, fn_metrics.h).
 *
 * GOALS
 *  - One reactor: every grpc_call_start_batch / request_call runs on the
 *    thread that dispatches the event_base given here. A private thread
 *    only waits on the completion queue (infinite deadline) and hands each
 *    {tag, ok} to the reactor through a locked list + event_active.
 *  - Streams have backpressure: one SEND_MESSAGE in flight per call and a
 *    bounded queue behind it. A RunTask stream whose queue fills ends with
 *    RESOURCE_EXHAUSTED; its task goes on and stays readable (GetTask).
 *  - A client cancel (or an expired deadline) of a RunTask cancels that
 *    task's remaining work.
 *  - Malformed requests (unparsable bytes, unknown enum values, fields
 *    over their caps, invalid UTF-8) get INVALID_ARGUMENT; unknown methods
 *    UNIMPLEMENTED; with a token, calls without `authorization: Bearer
 *    <token>` get UNAUTHENTICATED.
 *
 * THREADS: call every function on the reactor thread (the one running
 * `base`), except fn_rpc_opts_init. evthread_use_pthreads() must have run
 * before event_base_new() (the completion-queue thread wakes the base).
 * Leave the base at one priority: gRPC completions run in the same pass
 * as the engine's sessions (a priority of their own made libevent poll
 * again after each of them; see server.c).
 *
 * OWNERSHIP: engine, store, vendors, opts->config and base are kept
 * (borrowed until fn_rpc_free). opts' strings are copied; the token copy
 * is wiped (fn_memwipe) on free. The server owns its grpc_server,
 * completion queue and thread, every call, every run of RunTask, and the
 * HTTP client of the credential providers.
 *
 * LIFECYCLE: fn_rpc_new (binds, starts serving) -> event loop ->
 * fn_rpc_drain (SIGTERM: no new calls; running tasks get drain_ms to
 * finish, then are cancelled and marked INTERRUPTED; every call ends) ->
 * done callback -> fn_rpc_free. grpc_init/grpc_shutdown are paired inside.
 */
#ifndef FN_RPC_H
#define FN_RPC_H

#include <grpc/byte_buffer.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

struct event_base;
struct fn_config;
struct fn_engine;
struct fn_store;
struct fn_vendors;

typedef struct fn_rpc fn_rpc_t;

typedef struct fn_rpc_opts {
    const char *listen;             /* host:port; default "127.0.0.1:50051";
                                       port 0 picks one (fn_rpc_port) */
    const char *token;              /* bearer token; NULL: no auth */
    const char *tls_cert_pem;       /* PEM text (not a path); NULL: plaintext */
    const char *tls_key_pem;        /* PEM text; required with tls_cert_pem */
    const char *inventory;          /* server inventory path for RunTask
                                       requests that give none; may be NULL */
    const struct fn_config *config; /* integrations config (credential
                                       providers vault, cyberark); kept;
                                       NULL: env and file only */
    size_t stream_queue;            /* messages queued per stream; 0: 65536 */
    size_t stream_bytes;            /* bytes queued per stream; 0: 32 MiB */
    unsigned drain_ms;              /* grace for running tasks; 0: 10000 */
    const char *metrics_listen;     /* host:port of the Prometheus
                                       endpoint (GET /metrics, plain HTTP
                                       on the reactor); NULL: none */
} fn_rpc_opts_t;

/* Called once when fn_rpc_drain has finished: every call ended, the
 * gRPC server is destroyed. The server may be freed from here. */
typedef void fn_rpc_drained_fn(fn_rpc_t *s, void *arg);

void fn_rpc_opts_init(fn_rpc_opts_t *o);

/* Creates the server on base (kept), binds opts->listen and starts
 * serving on the next loop iteration. engine, store, vendors are kept.
 * Returns 0, -EADDRINUSE (bind failed, gRPC or metrics: taken or bad
 * address), FN_EPARSE
 * (TLS cert without key, or the reverse, or unusable PEM), FN_EINTERNAL
 * (libcurl or the event loop failed) or -ENOMEM; err (borrowed, may be
 * NULL) says what. *out is owned: fn_rpc_free. */
int fn_rpc_new(fn_rpc_t **out, struct event_base *base,
               struct fn_engine *engine, struct fn_store *store,
               const struct fn_vendors *vendors, const fn_rpc_opts_t *opts,
               char *err, size_t errlen);

/* The bound TCP port. */
int fn_rpc_port(const fn_rpc_t *s);
/* The bound port of the metrics endpoint, or 0 when there is none. */
int fn_rpc_metrics_port(const fn_rpc_t *s);

/* Starts the graceful stop described above; cb (may be NULL) runs on the
 * reactor when done. Returns 0, or FN_ESTATE when already draining
 * (nothing changes). */
int fn_rpc_drain(fn_rpc_t *s, fn_rpc_drained_fn *cb, void *arg);

/* Frees a drained server (or one never started). Accepts NULL. A server
 * not drained yet is drained without grace first, blocking the caller
 * until gRPC has released every call: free the engine before (its
 * summaries end the RunTask streams), not after. */
void fn_rpc_free(fn_rpc_t *s);

/* Packs a protobuf-c message into a new gRPC byte buffer: the one
 * serialisation of every message flexnetd sends (and of the bench's
 * clients' requests). Every string field goes out valid UTF-8 (a byte
 * that is not part of a sequence becomes U+FFFD): for the call, such a
 * field of m points at a sanitized copy, then back; m must not be read
 * by another thread meanwhile. Any thread. Returns an owned buffer
 * (grpc_byte_buffer_destroy), or NULL when out of memory. */
grpc_byte_buffer *fn_rpc_pack(const ProtobufCMessage *m);

#endif /* FN_RPC_H */
