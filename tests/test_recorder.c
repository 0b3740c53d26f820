/*
 * test_recorder.c — Check suite for recorder/fn_recorder.h: each promise
 * of the header, in process, with a real store in a scratch directory
 * and engine events fed to the sink the recorder builds (no SSH).
 *
 * Covered: the task record's lifecycle (create, running, summary,
 * interrupted, abandon); every event stored and handed to its hook with
 * the store's task id; the audit lines of the task log; host keys
 * get/pin/replace through the store; backups local (no [s3]) and, with
 * an S3 endpoint that is down, still local with the error and a warning;
 * the decide hook's own arg; credential fetches (env provider, unknown
 * provider). No network except a refused connect to 127.0.0.1:32699
 * (integrations' port range, never listened on).
 *
 * Thread: the test's (it runs the event_base itself).
 */
#include <check.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fn_config.h"
#include "fn_err.h"
#include "fn_http.h"
#include "fn_log.h"
#include "fn_recorder.h" /* includes fn_engine.h (its fn_creds_t) */
#include "fn_secrets.h"  /* and integrations' credentials: no clash */
#include "fn_store.h"
#include "test_store_util.h"
#include "fn_check.h"

typedef struct seen {
    int conns, results, backups, logs, progress, summaries, decides;
    int warn_s3, warn_store;
    char task_id[FN_STORE_ID_LEN + 1];
    char summary_error[128];
    char backup_target[16];
    int summary_status;
} seen_t;

static void h_conn(fn_rec_task_t *rt, const Flexnet__V1__ConnectionReport *m,
                   void *arg)
{
    seen_t *s = arg;
    s->conns++;
    ck_assert_str_eq(m->task_id, fn_recorder_task_id(rt));
}

static void h_result(fn_rec_task_t *rt, const Flexnet__V1__CommandResult *m,
                     void *arg)
{
    seen_t *s = arg;
    s->results++;
    ck_assert_str_eq(m->task_id, fn_recorder_task_id(rt));
    ck_assert_str_eq(m->stdout, "IOS 15.2\n");
}

static void h_backup(fn_rec_task_t *rt, const Flexnet__V1__Backup *m, void *arg)
{
    seen_t *s = arg;
    s->backups++;
    ck_assert_int_eq((int)strlen(m->id), FN_STORE_ID_LEN);
    ck_assert_int_eq((int)m->size, 12);
    snprintf(s->backup_target, sizeof(s->backup_target), "%s", m->target);
}

static void h_log(fn_rec_task_t *rt, const Flexnet__V1__LogLine *m, void *arg)
{
    seen_t *s = arg;
    s->logs++;
    ck_assert_uint_gt(m->seq, 0);
}

static void h_progress(fn_rec_task_t *rt, const Flexnet__V1__Progress *m,
                       void *arg)
{
    ((seen_t *)arg)->progress++;
}

static void h_summary(fn_rec_task_t *rt, const Flexnet__V1__Summary *m,
                      const char *error, void *arg)
{
    seen_t *s = arg;
    s->summaries++;
    s->summary_status = m->status;
    snprintf(s->summary_error, sizeof(s->summary_error), "%s", error);
}

static int h_decide(fn_task_t *t, const fn_connect_summary_t *cs, void *arg)
{
    ((seen_t *)arg)->decides++;
    return 1;
}

static void h_warn(const char *task_id, int what, const char *msg, void *arg)
{
    seen_t *s = arg;
    s->warn_s3 += what == FN_RECORDER_WARN_S3;
    s->warn_store += what == FN_RECORDER_WARN_STORE;
}

static const fn_recorder_hooks_t hooks = {
    .on_connection = h_conn,
    .on_result = h_result,
    .on_backup = h_backup,
    .on_log = h_log,
    .on_progress = h_progress,
    .on_summary = h_summary,
    .decide = h_decide,
    .arg = NULL, /* task_new sets it */
};

typedef struct env {
    const char *dir;
    fn_store_t *st;
    struct event_base *base;
    fn_http_t *http;
    fn_config_t *cfg;
    fn_recorder_t *rec;
    seen_t seen;
} env_t;

static void env_open(env_t *e, const char *config)
{
    char err[256] = "";
    memset(e, 0, sizeof(*e));
    e->dir = tst_tmpdir(0);
    e->st = tst_open(e->dir, 0, 0, 0);
    e->base = event_base_new();
    ck_assert_int_eq(fn_http_new(&e->http, e->base), 0);
    if (config)
        ck_assert_int_eq(fn_config_parse(&e->cfg, config, strlen(config),
                                         "test", err, sizeof(err)),
                         0);
    fn_recorder_opts_t o = {.base = e->base,
                            .store = e->st,
                            .http = e->http,
                            .config = e->cfg,
                            .on_warning = h_warn,
                            .arg = &e->seen};
    ck_assert_int_eq(fn_recorder_new(&e->rec, &o, err, sizeof(err)), 0);
}

static void env_close(env_t *e)
{
    fn_recorder_free(e->rec);
    fn_http_free(e->http);
    fn_config_free(e->cfg);
    event_base_free(e->base);
    fn_store_close(e->st);
    tst_rmdir(e->dir);
}

static fn_rec_task_t *task_new(env_t *e, fn_sink_t *sink)
{
    Flexnet__V1__Task t = FLEXNET__V1__TASK__INIT;
    fn_rec_task_t *rt = NULL;
    t.name = "rec-test";
    t.owner = "test";
    fn_recorder_hooks_t h = hooks;
    h.arg = &e->seen;
    ck_assert_int_eq(fn_recorder_task_new(&rt, e->rec, &t, &h), 0);
    ck_assert_int_eq((int)strlen(fn_recorder_task_id(rt)), FN_STORE_ID_LEN);
    fn_recorder_task_sink(rt, sink);
    return rt;
}

static Flexnet__V1__GetTaskResponse *task_get(env_t *e, fn_rec_task_t *rt)
{
    Flexnet__V1__GetTaskResponse *r = NULL;
    ck_assert_int_eq(fn_recorder_flush(e->rec), 0);
    ck_assert_int_eq(
        fn_store_task_get(e->st, fn_recorder_task_id(rt),
                          FN_STORE_GET_CONNS | FN_STORE_GET_RESULTS, &r),
        0);
    return r;
}

/* Feeds a one-device task: connection, a result, a log line, progress. */
static void feed_device(fn_sink_t *k)
{
    fn_conn_report_t c = {
        "engine-id", "r1", "127.0.0.1", 22, "cisco_ios", FN_CONNECT_OK,
        1,           1500, "",          0,  ""};
    fn_cmd_result_t r = {"engine-id", "r1",         0,  0,  "show version",
                         0,           "IOS 15.2\n", 9,  "", 0,
                         0,           250,          "", "", 0,
                         0,           NULL,         ""};
    fn_log_line_t l = {"engine-id", 1, 0, "r1", FN_LOG_INFO, "retrying"};
    fn_progress_t p = {1, 1, 0, 1, 0, 1.0, 0.0};
    k->on_connection(NULL, &c, k->arg);
    k->on_result(NULL, &r, k->arg);
    k->on_log(NULL, &l, k->arg);
    k->on_progress(NULL, &p, k->arg);
}

static int log_has(const Flexnet__V1__LogLine *l, void *arg)
{
    if (strstr(l->text, (const char *)arg))
        return 1;
    return 0;
}

START_TEST(events_stored_and_hooked_with_audit_lines)
{
    env_t e;
    fn_sink_t k;
    env_open(&e, NULL);
    fn_rec_task_t *rt = task_new(&e, &k);
    fn_recorder_task_running(rt);
    feed_device(&k);
    fn_summary_t s = {"engine-id", FN_TASK_DONE, 1, 1, 0, 1, 0, 1,
                      0,           1000,         0, ""};
    k.on_summary(NULL, &s, k.arg);
    ck_assert_int_eq(e.seen.conns, 1);
    ck_assert_int_eq(e.seen.results, 1);
    ck_assert_int_eq(e.seen.progress, 1);
    ck_assert_int_eq(e.seen.summaries, 1);
    ck_assert_int_eq(e.seen.logs, 1); /* the engine's line; audit: store */
    Flexnet__V1__GetTaskResponse *g = task_get(&e, rt);
    ck_assert_int_eq(g->task->status,
                     FLEXNET__V1__TASK_STATUS__TASK_STATUS_DONE);
    ck_assert_int_eq((int)g->n_connections, 1);
    ck_assert_int_eq((int)g->n_results, 1);
    ck_assert_str_eq(g->results[0]->task_id, fn_recorder_task_id(rt));
    ck_assert_uint_eq(g->task->summary->ok, 1);
    flexnet__v1__get_task_response__free_unpacked(g, NULL);
    const char *id = fn_recorder_task_id(rt);
    ck_assert_int_eq(
        fn_store_log_foreach(e.st, id, 0, log_has, "connected to 127.0.0.1:22"),
        1);
    ck_assert_int_eq(fn_store_log_foreach(e.st, id, 0, log_has,
                                          "step 1: show version -> exit 0"),
                     1);
    ck_assert_int_eq(
        fn_store_log_foreach(e.st, id, 0, log_has, "task done: 1 devices"), 1);
    ck_assert_int_eq(fn_recorder_task_store_failed(rt), 0);
    fn_recorder_task_free(rt);
    env_close(&e);
}
END_TEST

START_TEST(interrupt_and_abandon_set_the_status)
{
    env_t e;
    fn_sink_t k;
    env_open(&e, NULL);
    fn_rec_task_t *rt = task_new(&e, &k);
    fn_recorder_task_interrupt(rt);
    fn_summary_t s = {"x",    FN_TASK_CANCELLED, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                      "drain"};
    k.on_summary(NULL, &s, k.arg);
    ck_assert_int_eq(e.seen.summary_status,
                     FLEXNET__V1__TASK_STATUS__TASK_STATUS_INTERRUPTED);
    ck_assert_str_eq(e.seen.summary_error, "drain");
    Flexnet__V1__GetTaskResponse *g = task_get(&e, rt);
    ck_assert_int_eq(g->task->status,
                     FLEXNET__V1__TASK_STATUS__TASK_STATUS_INTERRUPTED);
    flexnet__v1__get_task_response__free_unpacked(g, NULL);
    fn_recorder_task_free(rt);

    rt = task_new(&e, &k);
    fn_recorder_task_abandon(rt, FLEXNET__V1__TASK_STATUS__TASK_STATUS_FAILED,
                             "no credentials");
    g = task_get(&e, rt);
    ck_assert_int_eq(g->task->status,
                     FLEXNET__V1__TASK_STATUS__TASK_STATUS_FAILED);
    ck_assert_str_eq(g->task->error, "no credentials");
    flexnet__v1__get_task_response__free_unpacked(g, NULL);
    fn_recorder_task_free(rt);
    env_close(&e);
}
END_TEST

START_TEST(hostkeys_through_the_store)
{
    env_t e;
    fn_sink_t k;
    char type[64], sha[128];
    env_open(&e, NULL);
    fn_rec_task_t *rt = task_new(&e, &k);
    ck_assert_int_eq(k.hostkey_get(NULL, "127.0.0.1:22", type, sizeof(type),
                                   sha, sizeof(sha), k.arg),
                     FN_ENOTFOUND);
    k.hostkey_pin(NULL, "127.0.0.1:22", "ssh-ed25519", "SHA256:aaa", 0, k.arg);
    ck_assert_int_eq(k.hostkey_get(NULL, "127.0.0.1:22", type, sizeof(type),
                                   sha, sizeof(sha), k.arg),
                     0);
    ck_assert_str_eq(type, "ssh-ed25519");
    ck_assert_str_eq(sha, "SHA256:aaa");
    k.hostkey_pin(NULL, "127.0.0.1:22", "ssh-ed25519", "SHA256:bbb", 1, k.arg);
    k.hostkey_get(NULL, "127.0.0.1:22", type, sizeof(type), sha, sizeof(sha),
                  k.arg);
    ck_assert_str_eq(sha, "SHA256:bbb");
    /* a different key without replace: refused, reported once */
    k.hostkey_pin(NULL, "127.0.0.1:22", "ssh-ed25519", "SHA256:ccc", 0, k.arg);
    ck_assert_int_eq(fn_recorder_task_store_failed(rt), 1);
    ck_assert_int_eq(e.seen.warn_store, 1);
    fn_recorder_task_free(rt);
    env_close(&e);
}
END_TEST

static void feed_backup(fn_sink_t *k)
{
    fn_backup_t b = {
        "x", "r1", "cisco_ios",   0, "c", "show run", "hostname r1\n",
        12,  0,    FN_REDACT_ALL, 2};
    k->on_backup(NULL, &b, k->arg);
}

START_TEST(backup_local_without_s3)
{
    env_t e;
    fn_sink_t k;
    env_open(&e, NULL);
    ck_assert_int_eq(fn_recorder_has_s3(e.rec), 0);
    fn_rec_task_t *rt = task_new(&e, &k);
    feed_backup(&k);
    ck_assert_int_eq(e.seen.backups, 1);
    ck_assert_str_eq(e.seen.backup_target, "local");
    ck_assert_int_eq((int)fn_recorder_uploads(e.rec), 0);
    fn_recorder_task_free(rt);
    env_close(&e);
}
END_TEST

START_TEST(backup_kept_local_when_s3_is_down)
{
    env_t e;
    fn_sink_t k;
    setenv("FN_T_REC_S3", "secret-value", 1);
    env_open(&e, "[s3]\nendpoint = http://127.0.0.1:32699\nbucket = b\n"
                 "access_key = AK\nsecret_key_env = FN_T_REC_S3\n"
                 "retries = 0\ntimeout = 5\n");
    ck_assert_int_eq(fn_recorder_has_s3(e.rec), 1);
    fn_rec_task_t *rt = task_new(&e, &k);
    feed_backup(&k);
    ck_assert_int_eq((int)fn_recorder_uploads(e.rec), 1);
    ck_assert_int_eq(fn_recorder_wait(e.rec), 0);
    ck_assert_int_eq(e.seen.warn_s3, 1);
    Flexnet__V1__ListBackupsRequest req =
        FLEXNET__V1__LIST_BACKUPS_REQUEST__INIT;
    Flexnet__V1__ListBackupsResponse *l = NULL;
    ck_assert_int_eq(fn_store_backup_list(e.st, &req, &l), 0);
    ck_assert_int_eq((int)l->n_backups, 1);
    ck_assert_str_eq(l->backups[0]->target, "local");
    ck_assert_int_gt((int)strlen(l->backups[0]->error), 0);
    flexnet__v1__list_backups_response__free_unpacked(l, NULL);
    fn_recorder_task_free(rt);
    env_close(&e);
}
END_TEST

START_TEST(decide_gets_the_front_end_arg)
{
    env_t e;
    fn_sink_t k;
    env_open(&e, NULL);
    fn_rec_task_t *rt = task_new(&e, &k);
    fn_connect_summary_t cs = {2, 1, 1, 0};
    ck_assert_ptr_nonnull(k.decide);
    ck_assert_int_eq(k.decide(NULL, &cs, k.arg), 1);
    ck_assert_int_eq(e.seen.decides, 1);
    fn_recorder_task_free(rt);
    env_close(&e);
}
END_TEST

typedef struct got {
    int done, status;
    char secret[64];
} got_t;

static void on_fetch(int status, const char *user, const char *secret,
                     const char *reason, void *arg)
{
    got_t *g = arg;
    g->done = 1;
    g->status = status;
    if (!status)
        snprintf(g->secret, sizeof(g->secret), "%s", secret);
}

START_TEST(fetch_by_reference)
{
    env_t e;
    got_t g = {0};
    fn_rec_fetch_t *f = NULL;
    env_open(&e, NULL);
    setenv("FN_T_REC_PW", "pw-from-env", 1);
    ck_assert_int_eq(
        fn_recorder_fetch_start(&f, e.rec, "env", "FN_T_REC_PW", on_fetch, &g),
        0);
    ck_assert_int_eq(g.done, 0); /* never inside the call */
    while (!g.done)
        event_base_loop(e.base, EVLOOP_ONCE);
    ck_assert_int_eq(g.status, 0);
    ck_assert_str_eq(g.secret, "pw-from-env");
    fn_recorder_fetch_free(f);
    ck_assert_int_eq(
        fn_recorder_fetch_start(&f, e.rec, "nope", "x", on_fetch, &g),
        FN_ECREDS);
    ck_assert_ptr_null(f);
    env_close(&e);
}
END_TEST

static Suite *recorder_suite(void)
{
    Suite *s = suite_create("recorder");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, events_stored_and_hooked_with_audit_lines);
    tcase_add_test(tc, interrupt_and_abandon_set_the_status);
    tcase_add_test(tc, hostkeys_through_the_store);
    tcase_add_test(tc, backup_local_without_s3);
    tcase_add_test(tc, backup_kept_local_when_s3_is_down);
    tcase_add_test(tc, decide_gets_the_front_end_arg);
    tcase_add_test(tc, fetch_by_reference);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    fn_log_configure(FN_LOG_ERROR, 0, stderr);
    return fn_check_run(recorder_suite());
}
