/*
 * task_run.c — RunTask: turns a TaskSpec into an engine task whose events
 * go to the store and to the caller's stream (task_sink.c).
 *
 * Steps: check the spec, load the inventory (the request's inline text,
 * else its server path, else the server's --inventory), select targets,
 * create the task record, resolve the credentials, start the engine task,
 * announce the id. Credentials come by reference only: password_env /
 * enable_password_env name env vars of this process (getenv here); a
 * provider (env, file, vault, cyberark) is fetched through the
 * recorder (asynchronous); the engine copies what it needs. The task
 * record and every event's store write are the recorder's.
 *
 * Thread: reactor. Owns: a run until it is linked into the registry
 * (task_registry.c). Does not: stream or store events (task_sink.c,
 * recorder/).
 */
#include "rpc_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_engine.h"
#include "fn_err.h"
#include "fn_inventory.h"
#include "fn_log.h"
#include "fn_store.h"

/* ---------------------------------------------------------------------
 * Request -> engine spec */

static int run_check_spec(const Flexnet__V1__TaskSpec *spec, char *err,
                          size_t errlen)
{
    if (!spec->n_steps) {
        snprintf(err, errlen, "a task needs at least one step");
        return FN_EPARSE;
    }
    for (size_t i = 0; i < spec->n_steps; i++) {
        const Flexnet__V1__Step *st = spec->steps[i];
        if (st->kind == FLEXNET__V1__STEP_KIND__STEP_KIND_UNSPECIFIED ||
            (st->kind != FLEXNET__V1__STEP_KIND__STEP_KIND_BACKUP &&
             !st->n_commands)) {
            snprintf(err, errlen, "step %zu: needs a kind and commands", i);
            return FN_EPARSE;
        }
    }
    if (spec->vendors_dir[0]) {
        snprintf(err, errlen,
                 "per-task vendors_dir is not supported: "
                 "start flexnetd with --vendors-dir");
        return FN_ESTATE;
    }
    return 0;
}

static int run_inventory(struct fn_rpc *s, const Flexnet__V1__TaskSpec *spec,
                         struct fn_inventory **inv, char *err, size_t errlen)
{
    int fmt = FN_INVENTORY_GUESS;
    if (strcmp(spec->inventory_format, "ini") == 0)
        fmt = FN_INVENTORY_INI;
    else if (strcmp(spec->inventory_format, "yaml") == 0)
        fmt = FN_INVENTORY_YAML;
    else if (spec->inventory_format[0]) {
        snprintf(err, errlen, "inventory_format must be ini or yaml");
        return FN_EPARSE;
    }
    if (spec->inventory_text[0])
        return fn_inventory_parse(inv, spec->inventory_text,
                                  strlen(spec->inventory_text), fmt,
                                  "<request>", s->vendors, err, errlen);
    const char *path =
        spec->inventory_path[0] ? spec->inventory_path : s->inventory;
    if (!path) {
        snprintf(err, errlen,
                 "no inventory: give inventory_text or "
                 "inventory_path, or start with --inventory");
        return FN_EPARSE;
    }
    return fn_inventory_load(inv, path, fmt, s->vendors, err, errlen);
}

/* Resolves an env var reference (NULL or "": none). */
static int run_env(const char *env, const char **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!env || !*env)
        return 0;
    *out = getenv(env);
    if (!*out) {
        snprintf(err, errlen, "env var %s is not set on the server", env);
        return FN_ECREDS;
    }
    return 0;
}

/* The engine's credentials: a provider's user/secret (may be NULL) win
 * over the request's username and password_env. */
static int run_creds(const Flexnet__V1__Credentials *cr, const char *user,
                     const char *secret, fn_creds_t *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!cr)
        return 0;
    out->username = user ? user : cr->username[0] ? cr->username : NULL;
    out->key_file = cr->key_file[0] ? cr->key_file : NULL;
    out->use_agent = cr->ssh_agent;
    int rc = 0;
    if (secret)
        out->password = secret;
    else
        rc = run_env(cr->password_env, &out->password, err, errlen);
    if (rc == 0)
        rc = run_env(cr->enable_password_env, &out->enable_password, err,
                     errlen);
    return rc;
}

/* ---------------------------------------------------------------------
 * RunTask */

/* Everything up to a selected target list. Returns 0 or an error with
 * err filled. */
static int run_prepare(fn__rpc_run_t *run, char *err, size_t errlen)
{
    const Flexnet__V1__TaskSpec *spec = run->spec;
    int rc = run_check_spec(spec, err, errlen);
    if (rc == 0)
        rc = run_inventory(run->srv, spec, &run->inv, err, errlen);
    if (rc == 0)
        rc = fn_inventory_select(
            run->inv, (const char *const *)spec->groups, spec->n_groups,
            (const char *const *)spec->hosts, spec->n_hosts, &run->hosts,
            &run->nhosts, err, errlen);
    if (rc == 0 && !run->nhosts) {
        snprintf(err, errlen, "no target hosts");
        rc = FN_EPARSE;
    }
    return rc;
}

/* Each record also wakes the task's log followers (task_log.c). */
static void run_on_record(void *arg)
{
    fn__rpc_run_t *run = arg;
    fn__rpc_follow_kick(run->srv, run->id);
}

/* Every record counts in the server's metrics before it is streamed. */
static void run_tap(fn__rpc_run_t *run, fn_recorder_hooks_t *hooks)
{
    fn_metrics_tap_t *t = &run->tap;
    t->m = run->srv->metrics;
    t->inv = run->inv;
    t->default_vendor = run->spec->default_vendor;
    t->s3 = fn_recorder_has_s3(run->srv->rec);
    t->on_record = run_on_record;
    t->record_arg = run;
    fn_metrics_tap(t, hooks);
}

static int run_create_record(fn__rpc_run_t *run)
{
    Flexnet__V1__Task tmpl;
    flexnet__v1__task__init(&tmpl);
    tmpl.name = run->spec->name;
    tmpl.spec = run->spec;
    tmpl.owner = "flexnetd";
    tmpl.status = FLEXNET__V1__TASK_STATUS__TASK_STATUS_PENDING;
    fn_recorder_hooks_t hooks;
    fn__rpc_hooks_init(&hooks, run);
    run_tap(run, &hooks);
    int rc = fn_recorder_task_new(&run->rt, run->srv->rec, &tmpl, &hooks);
    if (rc == 0)
        snprintf(run->id, sizeof(run->id), "%s", fn_recorder_task_id(run->rt));
    return rc;
}

static int run_start(fn__rpc_run_t *run, const char *user, const char *secret,
                     char *err, size_t errlen)
{
    fn_task_spec_t es;
    int rc = fn_recorder_spec(run->spec, &es);
    if (rc == 0) /* template errors name the file and line in err */
        rc = fn_recorder_spec_parse(run->spec, &es, err, errlen);
    es.task_id = run->id;
    es.hosts = (const fn_host_t *const *)run->hosts;
    es.nhosts = run->nhosts;
    if (rc == 0)
        rc = run_creds(run->spec->credentials, user, secret, &es.creds, err,
                       errlen);
    fn_sink_t sink;
    fn_recorder_task_sink(run->rt, &sink);
    if (rc == 0)
        rc = fn_task_start(run->srv->engine, &es, &sink, &run->task, err,
                           errlen);
    fn_recorder_spec_cleanup(&es);
    return rc;
}

/* The first event: the task id (for CancelTask/GetTask) and the count. */
static void run_announce(fn__rpc_run_t *run)
{
    Flexnet__V1__Progress p;
    flexnet__v1__progress__init(&p);
    p.total = run->nhosts;
    Flexnet__V1__TaskEvent ev;
    flexnet__v1__task_event__init(&ev);
    ev.task_id = run->id;
    ev.event_case = FLEXNET__V1__TASK_EVENT__EVENT_PROGRESS;
    ev.progress = &p;
    fn__rpc_call_send(run->call, &ev.base);
}

/* A run that never started its engine task: record why, answer with
 * code, retire. */
static void run_abandon(fn__rpc_run_t *run, int rc, grpc_status_code code,
                        const char *why)
{
    int status = FLEXNET__V1__TASK_STATUS__TASK_STATUS_FAILED;
    if (rc == FN_ECANCELED)
        status = run->interrupted
                     ? FLEXNET__V1__TASK_STATUS__TASK_STATUS_INTERRUPTED
                     : FLEXNET__V1__TASK_STATUS__TASK_STATUS_CANCELLED;
    fn_recorder_task_abandon(run->rt, status, why);
    if (run->call) {
        fn_rpc_call_t *c = run->call;
        run->call = NULL;
        fn__rpc_call_finish(c, code, why);
        fn__rpc_call_release(c);
    }
    fn__rpc_run_retire(run);
}

/* How a failed credential fetch reads to the client: a reference that
 * does not resolve is the caller's to fix. */
static grpc_status_code run_fetch_code(int rc)
{
    if (rc == FN_ECANCELED)
        return GRPC_STATUS_UNAVAILABLE; /* drain; a gone client sees none */
    return rc == -ENOMEM ? GRPC_STATUS_RESOURCE_EXHAUSTED
                         : GRPC_STATUS_FAILED_PRECONDITION;
}

/* Credentials known (or not): start the engine task or give up. */
static void run_go(int status, const char *user, const char *secret,
                   const char *reason, void *arg)
{
    fn__rpc_run_t *run = arg;
    char err[256];
    snprintf(err, sizeof(err), "%s", reason && *reason ? reason : "");
    if (status == 0 && run->stopping)
        status = FN_ECANCELED;
    grpc_status_code code = run_fetch_code(status);
    /* The task id goes out before the engine starts: the engine's first
     * log line must not overtake the announced count. */
    if (status == 0 && run->call)
        run_announce(run);
    if (status == 0) {
        status = run_start(run, user, secret, err, sizeof(err));
        code = fn__rpc_status_of(status); /* a bad spec: INVALID_ARGUMENT */
    }
    if (status < 0) {
        if (!err[0])
            snprintf(err, sizeof(err), "%s", fn_strerror(status));
        run_abandon(run, status, code, err);
        return;
    }
    fn_recorder_task_running(run->rt);
    fn_log_ctx_t ctx = {run->id, NULL, FN_LOGC_RPC};
    fn_log(FN_LOG_INFO, &ctx, "task started: %zu host(s), %zu step(s)",
           run->nhosts, run->spec->n_steps);
}

static void run_fetch(fn__rpc_run_t *run)
{
    const Flexnet__V1__Credentials *cr = run->spec->credentials;
    if (!cr || !cr->provider[0]) {
        run_go(0, NULL, NULL, NULL, run);
        return;
    }
    struct fn_rpc *s = run->srv;
    int rc = fn_recorder_fetch_start(&run->fetch, s->rec, cr->provider, cr->ref,
                                     run_go, run);
    if (rc < 0) {
        char why[160];
        snprintf(why, sizeof(why), "credential provider \"%s\": %s",
                 cr->provider, fn_strerror(rc));
        run_go(rc, NULL, NULL, why, run);
    }
}

void fn__rpc_run_stop(fn__rpc_run_t *run, int interrupted)
{
    if (run->stopping)
        return;
    run->stopping = 1;
    run->interrupted = interrupted;
    if (interrupted && run->rt)
        fn_recorder_task_interrupt(run->rt);
    if (run->task) {
        fn_task_cancel(run->task);
    } else if (run->fetch) { /* run_go runs inside, with FN_ECANCELED */
        fn_rec_fetch_t *f = run->fetch;
        run->fetch = NULL;
        fn_recorder_fetch_free(f);
    }
}

static void run_on_cancel(fn_rpc_call_t *c, void *arg)
{
    fn__rpc_run_t *run = arg;
    run->call = NULL;
    fn__rpc_call_release(c);
    fn__rpc_run_stop(run, 0);
}

/* The request is freed when the handler returns: keep a copy. */
static Flexnet__V1__TaskSpec *run_copy(const ProtobufCMessage *req)
{
    size_t n = protobuf_c_message_get_packed_size(req);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return NULL;
    protobuf_c_message_pack(req, buf);
    Flexnet__V1__TaskSpec *copy = flexnet__v1__task_spec__unpack(NULL, n, buf);
    free(buf);
    return copy;
}

void fn__rpc_run_task(fn_rpc_call_t *c, const ProtobufCMessage *req)
{
    if (c->srv->draining) {
        fn__rpc_call_finish(c, GRPC_STATUS_UNAVAILABLE,
                            "server is shutting down");
        return;
    }
    char err[256] = "";
    fn__rpc_run_t *run = calloc(1, sizeof(*run));
    if (run)
        run->spec = run_copy(req);
    if (!run || !run->spec) {
        free(run);
        fn__rpc_fail(c, -ENOMEM, NULL);
        return;
    }
    run->srv = c->srv;
    int rc = run_prepare(run, err, sizeof(err));
    if (rc == 0 && (rc = run_create_record(run)) < 0)
        snprintf(err, sizeof(err), "%s", fn_store_reason(c->srv->store));
    if (rc < 0) {
        fn__rpc_fail(c, rc, err);
        fn__rpc_run_free(run);
        return;
    }
    fn__rpc_run_link(run);
    run->call = c;
    fn__rpc_call_hold(c);
    fn__rpc_call_set_hooks(c, NULL, run_on_cancel, run);
    run_fetch(run);
}
