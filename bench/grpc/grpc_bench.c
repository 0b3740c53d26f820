/*
 * grpc_bench.c — load driver for flexnetd's streams: N client threads, each
 * on its own channel (own HTTP/2 connection), each reading one server
 * stream to its end as fast as gRPC core delivers it, counting messages
 * and bytes. Prints one JSON line with the totals and the wall time.
 *
 *   grpc_bench --target 127.0.0.1:P --clients N --mode log --task ID
 *              [--repeat R]
 *   grpc_bench --target 127.0.0.1:P --clients N --mode run
 *              --base-port P --hosts H [--commands C]
 *   grpc_bench --target 127.0.0.1:P --clients N --mode backup --task ID
 *              [--chunk BYTES] [--repeat R]
 *
 * mode log: GetTaskLog(task) R times per client (short streams).
 * mode backup: GetBackup(id = --task) in chunks of --chunk bytes, R times
 *           per client: the store -> gRPC streaming path alone.
 * mode run: RunTask on H devices split across clients (127.0.0.1:base..),
 *           credentials by reference (FN_BENCH_PASSWORD / _ENABLE on the
 *           server): the whole engine -> store -> gRPC path.
 * Messages are counted, not decoded: this measures the server.
 * Thread: one per client, each with its own completion queue (pluck).
 */
#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flexnet/v1/flexnet.pb-c.h"
#include "fn_rpc.h"
#include "fn_time.h"

typedef struct bench_opts {
    const char *target, *mode, *task;
    unsigned clients, repeat, hosts, base_port, commands, chunk;
} bench_opts_t;

typedef struct bench_client {
    const bench_opts_t *o;
    unsigned index;
    unsigned long long messages, bytes;
    int status; /* last grpc_status_code */
} bench_client_t;

static grpc_byte_buffer *bench_log_request(const bench_opts_t *o)
{
    Flexnet__V1__GetTaskLogRequest r = FLEXNET__V1__GET_TASK_LOG_REQUEST__INIT;
    r.task_id = (char *)o->task;
    return fn_rpc_pack(&r.base);
}

static grpc_byte_buffer *bench_backup_request(const bench_opts_t *o)
{
    Flexnet__V1__GetBackupRequest r = FLEXNET__V1__GET_BACKUP_REQUEST__INIT;
    r.id = (char *)o->task;
    r.chunk_size = o->chunk;
    return fn_rpc_pack(&r.base);
}

/* A task on this client's slice of the devices. */
static grpc_byte_buffer *bench_run_request(const bench_opts_t *o,
                                           unsigned index)
{
    unsigned per = o->hosts / o->clients;
    char **hosts = calloc(per, sizeof(*hosts));
    for (unsigned i = 0; i < per; i++) {
        hosts[i] = malloc(32);
        snprintf(hosts[i], 32, "127.0.0.1:%u", o->base_port + index * per + i);
    }
    char **cmds = calloc(o->commands, sizeof(*cmds));
    for (unsigned i = 0; i < o->commands; i++)
        cmds[i] = i % 2 ? "show clock" : "show version";
    Flexnet__V1__Step st = FLEXNET__V1__STEP__INIT;
    st.kind = FLEXNET__V1__STEP_KIND__STEP_KIND_COMMANDS;
    st.commands = cmds;
    st.n_commands = o->commands;
    Flexnet__V1__Step *steps[] = {&st};
    Flexnet__V1__Credentials cr = FLEXNET__V1__CREDENTIALS__INIT;
    cr.username = "admin";
    cr.password_env = "FN_BENCH_PASSWORD";
    cr.enable_password_env = "FN_BENCH_ENABLE";
    Flexnet__V1__TaskSpec spec = FLEXNET__V1__TASK_SPEC__INIT;
    spec.name = "bench-grpc";
    spec.hosts = hosts;
    spec.n_hosts = per;
    spec.steps = steps;
    spec.n_steps = 1;
    spec.credentials = &cr;
    grpc_byte_buffer *bb = fn_rpc_pack(&spec.base);
    for (unsigned i = 0; i < per; i++)
        free(hosts[i]);
    free(hosts);
    free(cmds);
    return bb;
}

static void bench_wait(grpc_completion_queue *cq, void *tag)
{
    grpc_completion_queue_pluck(cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME),
                                NULL);
}

/* One streaming call to its end. */
static void bench_stream(bench_client_t *c, grpc_channel *ch,
                         grpc_completion_queue *cq, const char *method,
                         grpc_byte_buffer *req)
{
    grpc_slice m = grpc_slice_from_static_string(method);
    grpc_call *call =
        grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cq, m, NULL,
                                 gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    grpc_metadata_array md, tmd;
    grpc_metadata_array_init(&md);
    grpc_metadata_array_init(&tmd);
    grpc_op ops[4];
    memset(ops, 0, sizeof(ops));
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = req;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &md;
    grpc_call_start_batch(call, ops, 4, (void *)1, NULL);
    bench_wait(cq, (void *)1);
    for (;;) {
        grpc_byte_buffer *bb = NULL;
        grpc_op op;
        memset(&op, 0, sizeof(op));
        op.op = GRPC_OP_RECV_MESSAGE;
        op.data.recv_message.recv_message = &bb;
        grpc_call_start_batch(call, &op, 1, (void *)2, NULL);
        bench_wait(cq, (void *)2);
        if (!bb)
            break;
        c->messages++;
        c->bytes += grpc_byte_buffer_length(bb);
        grpc_byte_buffer_destroy(bb);
    }
    grpc_status_code status;
    grpc_slice details;
    grpc_op op;
    memset(&op, 0, sizeof(op));
    op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    op.data.recv_status_on_client.trailing_metadata = &tmd;
    op.data.recv_status_on_client.status = &status;
    op.data.recv_status_on_client.status_details = &details;
    grpc_call_start_batch(call, &op, 1, (void *)3, NULL);
    bench_wait(cq, (void *)3);
    c->status = status;
    if (status != GRPC_STATUS_OK)
        fprintf(stderr, "client %u: status %d: %.*s\n", c->index, (int)status,
                (int)GRPC_SLICE_LENGTH(details),
                (const char *)GRPC_SLICE_START_PTR(details));
    grpc_slice_unref(details);
    grpc_metadata_array_destroy(&md);
    grpc_metadata_array_destroy(&tmd);
    grpc_call_unref(call);
}

static void *bench_client(void *arg)
{
    bench_client_t *c = arg;
    const bench_opts_t *o = c->o;
    grpc_channel_credentials *cr = grpc_insecure_credentials_create();
    grpc_channel *ch = grpc_channel_create(o->target, cr, NULL);
    grpc_channel_credentials_release(cr);
    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    int run = strcmp(o->mode, "run") == 0;
    int backup = strcmp(o->mode, "backup") == 0;
    unsigned times = run ? 1 : o->repeat;
    for (unsigned i = 0; i < times && c->status == 0; i++) {
        grpc_byte_buffer *req = run      ? bench_run_request(o, c->index)
                                : backup ? bench_backup_request(o)
                                         : bench_log_request(o);
        bench_stream(c, ch, cq,
                     run      ? "/flexnet.v1.Flexnet/RunTask"
                     : backup ? "/flexnet.v1.Flexnet/GetBackup"
                              : "/flexnet.v1.Flexnet/GetTaskLog",
                     req);
        grpc_byte_buffer_destroy(req);
    }
    grpc_completion_queue_shutdown(cq);
    /* every tag was plucked: the next pluck reports the shutdown */
    bench_wait(cq, (void *)4);
    grpc_completion_queue_destroy(cq);
    grpc_channel_destroy(ch);
    return NULL;
}

static int bench_args(int argc, char **argv, bench_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->clients = 1;
    o->repeat = 1;
    o->commands = 2;
    o->mode = "log";
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        unsigned long n = strtoul(v, NULL, 10);
        if (!strcmp(k, "--target"))
            o->target = v;
        else if (!strcmp(k, "--mode"))
            o->mode = v;
        else if (!strcmp(k, "--task"))
            o->task = v;
        else if (!strcmp(k, "--clients"))
            o->clients = n;
        else if (!strcmp(k, "--repeat"))
            o->repeat = n;
        else if (!strcmp(k, "--hosts"))
            o->hosts = n;
        else if (!strcmp(k, "--base-port"))
            o->base_port = n;
        else if (!strcmp(k, "--commands"))
            o->commands = n;
        else if (!strcmp(k, "--chunk"))
            o->chunk = n;
        else
            return -1;
    }
    if (!o->target || !o->clients || o->clients > 1000 || !o->commands ||
        o->commands > 1000)
        return -1;
    if (!strcmp(o->mode, "log") || !strcmp(o->mode, "backup"))
        return o->task ? 0 : -1;
    return !strcmp(o->mode, "run") && o->hosts >= o->clients && o->base_port
               ? 0
               : -1;
}

int main(int argc, char **argv)
{
    bench_opts_t o;
    if (bench_args(argc, argv, &o) < 0) {
        fprintf(stderr, "usage: see the top of grpc_bench.c\n");
        return 2;
    }
    grpc_init();
    bench_client_t *cs = calloc(o.clients, sizeof(*cs));
    pthread_t *th = calloc(o.clients, sizeof(*th));
    double t0 = fn_time_mono_us() / 1e6;
    for (unsigned i = 0; i < o.clients; i++) {
        cs[i].o = &o;
        cs[i].index = i;
        pthread_create(&th[i], NULL, bench_client, &cs[i]);
    }
    unsigned long long msgs = 0, bytes = 0;
    int bad = 0;
    for (unsigned i = 0; i < o.clients; i++) {
        pthread_join(th[i], NULL);
        msgs += cs[i].messages;
        bytes += cs[i].bytes;
        bad += cs[i].status != GRPC_STATUS_OK;
    }
    double dt = fn_time_mono_us() / 1e6 - t0;
    printf("{\"mode\": \"%s\", \"clients\": %u, \"messages\": %llu, "
           "\"bytes\": %llu, \"seconds\": %.3f, \"messages_per_s\": %.0f, "
           "\"mb_per_s\": %.1f, \"failed_streams\": %d}\n",
           o.mode, o.clients, msgs, bytes, dt, msgs / dt, bytes / dt / 1e6,
           bad);
    free(cs);
    free(th);
    grpc_shutdown();
    return bad ? 1 : 0;
}
