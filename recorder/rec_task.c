/*
 * rec_task.c — one task's engine sink: each engine event becomes a
 * flexnet.proto record, goes into the store (batched; backups, host keys
 * and the finish commit at once), adds its audit line to the task log,
 * then goes to the front end's hook. Also answers the engine's host-key
 * questions from the store.
 *
 * Does not: print or stream (hooks do), flush on a timer (recorder.c).
 * Thread: the engine's reactor. Owns the task id and a copy of the
 * hooks; payload strings are borrowed from the engine and packed at
 * once.
 */
#include "recorder_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_err.h"
#include "fn_log.h"
#include "fn_store.h"
#include "fn_utf8.h"

struct fn_rec_task {
    fn_recorder_t *rec;
    char id[FN_STORE_ID_LEN + 1];
    fn_recorder_hooks_t hooks;
    int interrupted;  /* the summary records INTERRUPTED */
    int store_failed; /* a write failed (said once) */
};

/* The front end's hooks, one emitter per event (every member may be
 * NULL). The record is borrowed for the call. */
static inline void rec_emit_connection(fn_rec_task_t *rt,
                                       const Flexnet__V1__ConnectionReport *m)
{
    if (rt->hooks.on_connection)
        rt->hooks.on_connection(rt, m, rt->hooks.arg);
}

static inline void rec_emit_result(fn_rec_task_t *rt,
                                   const Flexnet__V1__CommandResult *m)
{
    if (rt->hooks.on_result)
        rt->hooks.on_result(rt, m, rt->hooks.arg);
}

static inline void rec_emit_backup(fn_rec_task_t *rt,
                                   const Flexnet__V1__Backup *m)
{
    if (rt->hooks.on_backup)
        rt->hooks.on_backup(rt, m, rt->hooks.arg);
}

static inline void rec_emit_log(fn_rec_task_t *rt,
                                const Flexnet__V1__LogLine *m)
{
    if (rt->hooks.on_log)
        rt->hooks.on_log(rt, m, rt->hooks.arg);
}

static inline void rec_emit_progress(fn_rec_task_t *rt,
                                     const Flexnet__V1__Progress *m)
{
    if (rt->hooks.on_progress)
        rt->hooks.on_progress(rt, m, rt->hooks.arg);
}

static inline void rec_emit_summary(fn_rec_task_t *rt,
                                    const Flexnet__V1__Summary *m,
                                    const char *error)
{
    if (rt->hooks.on_summary)
        rt->hooks.on_summary(rt, m, error, rt->hooks.arg);
}

/* A store write failed: said once per task (a full disk would flood). */
static void rec_store_check(fn_rec_task_t *rt, int rc, const char *what)
{
    if (rc >= 0 || rt->store_failed++)
        return;
    const char *why = fn_store_reason(rt->rec->o.store);
    fn__rec_warn(rt->rec, rt->id, FN_RECORDER_WARN_STORE,
                 "store: cannot write %s: %s", what,
                 *why ? why : fn_strerror(rc));
}

static const char *rec_str(const char *s)
{
    return s ? s : "";
}

/* ---------------------------------------------------------------------
 * The task log */

/* Stores a line; the engine's own lines also go to the hook (audit
 * lines would only repeat, as text, the records the hooks already get). */
static void rec_log_put(fn_rec_task_t *rt, Flexnet__V1__LogLine *m, int hook)
{
    uint64_t seq = 0;
    rec_store_check(rt, fn_store_log_append(rt->rec->o.store, m, &seq),
                    "a log line");
    if (seq)
        m->seq = seq;
    if (hook)
        rec_emit_log(rt, m);
}

static void rec_vlog(fn_rec_task_t *rt, unsigned level, const char *host,
                     const char *fmt, va_list ap)
{
    char text[512];
    vsnprintf(text, sizeof(text), fmt, ap);
    Flexnet__V1__LogLine m = FLEXNET__V1__LOG_LINE__INIT;
    m.task_id = rt->id;
    m.host = (char *)rec_str(host);
    m.level = level;
    m.text = text;
    rec_log_put(rt, &m, 0);
}

void fn_recorder_task_log(fn_rec_task_t *rt, unsigned level, const char *host,
                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rec_vlog(rt, level, host, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------------
 * Engine events */

static void rec_on_conn(fn_task_t *t, const fn_conn_report_t *c, void *arg)
{
    fn_rec_task_t *rt = arg;
    Flexnet__V1__ConnectionReport m = FLEXNET__V1__CONNECTION_REPORT__INIT;
    m.task_id = rt->id;
    m.host = (char *)c->host;
    m.address = (char *)rec_str(c->address);
    m.port = c->port;
    m.vendor = (char *)rec_str(c->vendor);
    m.status = (Flexnet__V1__ConnectStatus)c->status;
    m.tries = c->tries;
    m.duration_us = c->duration_us;
    m.reason = (char *)rec_str(c->reason);
    m.warning = (char *)rec_str(c->warning);
    rec_store_check(rt, fn_store_conn_append(rt->rec->o.store, &m),
                    "a connection report");
    if (c->status == FN_CONNECT_OK)
        fn_recorder_task_log(rt, FN_LOG_INFO, c->host,
                             "connected to %s:%u (%s) in %.1f ms", m.address,
                             m.port, m.vendor, (double)m.duration_us / 1000.0);
    else
        fn_recorder_task_log(rt, FN_LOG_ERROR, c->host, "%s after %u tries: %s",
                             fn_recorder_connect_status_name(m.status), m.tries,
                             m.reason);
    rec_emit_connection(rt, &m);
}

/* The exact bytes of a device text that is not valid UTF-8 (every
 * string sent over gRPC is sanitized; these keep what the device said).
 * Borrows s: the message must not outlive it. */
static void rec_raw_bytes(ProtobufCBinaryData *raw, const char *s)
{
    size_t len = strlen(s);
    if (fn_utf8_valid(s, len))
        return;
    raw->data = (uint8_t *)s;
    raw->len = len;
}

static void rec_on_result(fn_task_t *t, const fn_cmd_result_t *c, void *arg)
{
    fn_rec_task_t *rt = arg;
    Flexnet__V1__CommandResult m = FLEXNET__V1__COMMAND_RESULT__INIT;
    m.task_id = rt->id;
    m.host = (char *)c->host;
    m.step = c->step;
    m.seq = c->seq;
    m.command = (char *)rec_str(c->command);
    m.exit_code = c->exit_code;
    m.stdout = (char *)rec_str(c->out);
    m.stderr = (char *)rec_str(c->err);
    m.started_us = c->started_us;
    m.duration_us = c->duration_us;
    m.tag = (char *)rec_str(c->tag);
    m.reason = (char *)rec_str(c->reason);
    m.truncated = c->truncated;
    rec_raw_bytes(&m.stdout_raw, m.stdout);
    rec_raw_bytes(&m.stderr_raw, m.stderr);
    fn__rec_parse_fill(&m, c);
    rec_store_check(rt, fn_store_result_append(rt->rec->o.store, &m),
                    "a result");
    int bad = c->exit_code != FN_EXIT_OK && c->exit_code != FN_EXIT_SKIPPED;
    int len = 0;
    const char *line =
        fn_recorder_last_line(*m.stderr ? m.stderr : m.reason, &len);
    fn_recorder_task_log(rt, bad ? FN_LOG_ERROR : FN_LOG_INFO, c->host,
                         "step %u: %s -> exit %d%s%.*s", m.step + 1, m.command,
                         m.exit_code, len ? ": " : "", len, line);
    rec_emit_result(rt, &m);
    fn__rec_parse_free(&m);
}

static void rec_on_backup(fn_task_t *t, const fn_backup_t *b, void *arg)
{
    fn_rec_task_t *rt = arg;
    fn_store_t *st = rt->rec->o.store;
    Flexnet__V1__Backup m = FLEXNET__V1__BACKUP__INIT, *saved = NULL;
    char id[FN_STORE_ID_LEN + 1];
    m.task_id = rt->id;
    m.host = (char *)b->host;
    m.vendor = (char *)rec_str(b->vendor);
    m.created_us = b->created_us;
    m.comment = (char *)rec_str(b->comment);
    m.command = (char *)rec_str(b->command);
    m.redact = fn_recorder_redact_to_proto(b->redact);
    m.redacted = b->redacted;
    m.target = "local";
    int rc = fn_store_backup_save(st, &m, b->text, b->size, id);
    rec_store_check(rt, rc, "a backup");
    if (rc < 0 || fn_store_backup_get(st, id, &saved, NULL) < 0)
        return;
    fn_recorder_task_log(rt, FN_LOG_INFO, b->host,
                         "backup %s: %llu bytes, sha256 %.12s", saved->id,
                         (unsigned long long)saved->size, saved->sha256);
    fn__rec_s3_upload(rt->rec, rt->id, id, b->host, b->text, b->size);
    rec_emit_backup(rt, saved);
    flexnet__v1__backup__free_unpacked(saved, NULL);
}

static void rec_on_log(fn_task_t *t, const fn_log_line_t *l, void *arg)
{
    fn_rec_task_t *rt = arg;
    Flexnet__V1__LogLine m = FLEXNET__V1__LOG_LINE__INIT;
    m.task_id = rt->id;
    m.seq = l->seq;
    m.time_us = l->time_us;
    m.host = (char *)rec_str(l->host);
    m.level = l->level;
    m.text = (char *)rec_str(l->text);
    rec_log_put(rt, &m, 1);
}

static void rec_on_progress(fn_task_t *t, const fn_progress_t *p, void *arg)
{
    fn_rec_task_t *rt = arg;
    Flexnet__V1__Progress m = FLEXNET__V1__PROGRESS__INIT;
    m.total = p->total;
    m.connected = p->connected;
    m.failed = p->failed;
    m.done = p->done;
    m.running = p->running;
    m.rate = p->rate;
    m.eta_s = p->eta_s;
    Flexnet__V1__Summary sum = FLEXNET__V1__SUMMARY__INIT; /* for GetTask */
    sum.task_id = rt->id;
    sum.status = FLEXNET__V1__TASK_STATUS__TASK_STATUS_RUNNING;
    sum.devices = p->total;
    sum.connected = p->connected;
    sum.failed_connect = p->failed;
    rec_store_check(rt,
                    fn_store_task_set_summary(rt->rec->o.store, rt->id, &sum),
                    "the counters");
    rec_emit_progress(rt, &m);
}

static void rec_summary_fill(Flexnet__V1__Summary *m, const fn_summary_t *s,
                             char *id, int status)
{
    m->task_id = id;
    m->status = (Flexnet__V1__TaskStatus)status;
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

static void rec_on_summary(fn_task_t *t, const fn_summary_t *s, void *arg)
{
    fn_rec_task_t *rt = arg;
    int status = rt->interrupted
                     ? FLEXNET__V1__TASK_STATUS__TASK_STATUS_INTERRUPTED
                     : s->status;
    Flexnet__V1__Summary m = FLEXNET__V1__SUMMARY__INIT;
    rec_summary_fill(&m, s, rt->id, status);
    fn_recorder_task_log(rt, FN_LOG_INFO, NULL,
                         "task %s: %u devices, %u connected, "
                         "%u ok, %u with errors; %u commands, %u errors, "
                         "%u backups",
                         fn_recorder_task_status_name(status), m.devices,
                         m.connected, m.ok, m.failed, m.commands, m.errors,
                         m.backups);
    const char *error = s->error && *s->error ? s->error : NULL;
    rec_store_check(
        rt, fn_store_task_finish(rt->rec->o.store, rt->id, m.status, &m, error),
        "the summary");
    rec_emit_summary(rt, &m, rec_str(error));
}

/* ---------------------------------------------------------------------
 * Host keys */

static int rec_hostkey_get(fn_task_t *t, const char *hostport, char *type,
                           size_t typelen, char *sha256, size_t shalen,
                           void *arg)
{
    fn_rec_task_t *rt = arg;
    Flexnet__V1__HostKey *hk = NULL;
    if (fn_store_hostkey_get(rt->rec->o.store, hostport, &hk) < 0)
        return FN_ENOTFOUND;
    snprintf(type, typelen, "%s", hk->type);
    snprintf(sha256, shalen, "%s", hk->sha256);
    flexnet__v1__host_key__free_unpacked(hk, NULL);
    return 0;
}

static void rec_hostkey_pin(fn_task_t *t, const char *hostport,
                            const char *type, const char *sha256, int replaced,
                            void *arg)
{
    fn_rec_task_t *rt = arg;
    Flexnet__V1__HostKey hk = FLEXNET__V1__HOST_KEY__INIT;
    hk.host = (char *)hostport;
    hk.type = (char *)type;
    hk.sha256 = (char *)sha256;
    fn_store_t *st = rt->rec->o.store;
    rec_store_check(rt,
                    replaced ? fn_store_hostkey_replace(st, &hk)
                             : fn_store_hostkey_pin(st, &hk),
                    "a host key");
}

/* Connect-first: the front end decides, with its own arg. */
static int rec_decide(fn_task_t *t, const fn_connect_summary_t *s, void *arg)
{
    fn_rec_task_t *rt = arg;
    return rt->hooks.decide(t, s, rt->hooks.arg);
}

/* ---------------------------------------------------------------------
 * Public */

int fn_recorder_task_new(fn_rec_task_t **out, fn_recorder_t *r,
                         const Flexnet__V1__Task *tmpl,
                         const fn_recorder_hooks_t *hooks)
{
    *out = NULL;
    fn_rec_task_t *rt = calloc(1, sizeof(*rt));
    if (!rt)
        return -ENOMEM;
    rt->rec = r;
    if (hooks)
        rt->hooks = *hooks;
    int rc = fn_store_task_create(r->o.store, tmpl, rt->id);
    if (rc < 0) {
        free(rt);
        return rc;
    }
    *out = rt;
    return 0;
}

void fn_recorder_task_free(fn_rec_task_t *rt)
{
    free(rt);
}

const char *fn_recorder_task_id(const fn_rec_task_t *rt)
{
    return rt->id;
}

void fn_recorder_task_sink(fn_rec_task_t *rt, fn_sink_t *sink)
{
    *sink = (fn_sink_t){
        .on_connection = rec_on_conn,
        .on_result = rec_on_result,
        .on_backup = rec_on_backup,
        .on_log = rec_on_log,
        .on_progress = rec_on_progress,
        .on_summary = rec_on_summary,
        .hostkey_get = rec_hostkey_get,
        .hostkey_pin = rec_hostkey_pin,
        .decide = rt->hooks.decide ? rec_decide : NULL,
        .arg = rt,
        .log_level = 0,
    };
}

void fn_recorder_task_running(fn_rec_task_t *rt)
{
    rec_store_check(rt,
                    fn_store_task_set_status(
                        rt->rec->o.store, rt->id,
                        FLEXNET__V1__TASK_STATUS__TASK_STATUS_RUNNING, NULL),
                    "the status");
}

void fn_recorder_task_interrupt(fn_rec_task_t *rt)
{
    rt->interrupted = 1;
}

void fn_recorder_task_abandon(fn_rec_task_t *rt, int status, const char *why)
{
    if (why && *why)
        fn_recorder_task_log(rt, FN_LOG_ERROR, NULL, "task not started: %s",
                             why);
    rec_store_check(rt,
                    fn_store_task_finish(rt->rec->o.store, rt->id,
                                         (Flexnet__V1__TaskStatus)status, NULL,
                                         why),
                    "the status");
}

int fn_recorder_task_store_failed(const fn_rec_task_t *rt)
{
    return rt->store_failed != 0;
}
