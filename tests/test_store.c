/*
 * test_store.c — promises of fn_store.h in one process: open and schema,
 * tasks (create, update, finish, get by prefix, list with filters and
 * paging, delete), batched results/reports/logs, backups (dedup,
 * content, list, latest/previous, diff that `patch` applies, delete with
 * refcounts), host keys, map growth, a full map, and a writer's RSS
 * staying bounded while its file grows.
 * Crash and multi-process cases are in test_store_crash.c.
 */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fn_err.h"
#include "fn_store.h"
#include "fn_time.h"
#include "test_store_util.h"
#include "fn_check.h"

#define RUNNING FLEXNET__V1__TASK_STATUS__TASK_STATUS_RUNNING
#define DONE    FLEXNET__V1__TASK_STATUS__TASK_STATUS_DONE

/* ---- open, schema ------------------------------------------------------ */

/* Writes one raw row with plain LMDB, as another program (or a future
 * flexnet, or a broken disk) would. */
static void raw_put(const char *dir, const char *db, const void *key,
                    size_t klen, const void *val, size_t vlen)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    ck_assert_int_eq(mdb_env_create(&env), 0);
    ck_assert_int_eq(mdb_env_set_maxdbs(env, 32), 0);
    ck_assert_int_eq(mdb_env_open(env, dir, 0, 0600), 0);
    ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    ck_assert_int_eq(mdb_dbi_open(txn, db, 0, &dbi), 0);
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

START_TEST(test_store_open_creates_dir_and_rdonly_needs_store)
{
    const char *base = tst_tmpdir(0);
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/db", base);
    fn_store_t *st = NULL;
    ck_assert_int_eq(fn_store_open(&st, dir, FN_STORE_RDONLY), FN_ENOTFOUND);
    ck_assert_ptr_null(st);
    ck_assert_int_eq(fn_store_open(&st, dir, 0), 0);
    struct stat sb;
    ck_assert_int_eq(stat(dir, &sb), 0);
    fn_store_close(st);
    ck_assert_int_eq(fn_store_open(&st, dir, FN_STORE_RDONLY), 0);
    char id[FN_STORE_ID_LEN + 1];
    Flexnet__V1__Task t = FLEXNET__V1__TASK__INIT;
    ck_assert_int_eq(fn_store_task_create(st, &t, id), FN_ESTATE);
    ck_assert_ptr_nonnull(strstr(fn_store_reason(st), "read-only"));
    fn_store_close(st);
    fn_store_close(NULL);
    tst_rmdir(base);
}
END_TEST

START_TEST(test_store_open_default_dir)
{
    const char *base = tst_tmpdir(0);
    char cwd[1024];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
    ck_assert_int_eq(chdir(base), 0);
    fn_store_t *st = NULL;
    ck_assert_int_eq(fn_store_open(&st, NULL, 0), 0);
    fn_store_close(st);
    struct stat sb;
    ck_assert_int_eq(stat("./.db/data.mdb", &sb), 0);
    ck_assert_int_eq(chdir(cwd), 0);
    tst_rmdir(base);
}
END_TEST

START_TEST(test_store_open_newer_schema_fails_clearly)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    fn_store_close(st);
    /* a future flexnet wrote schema 99 */
    unsigned char v99[4] = {0, 0, 0, 99};
    raw_put(dir, "meta", "schema", 6, v99, 4);
    char err[256] = "";
    fn_store_opts_t o = {.err = err, .err_len = sizeof(err)};
    ck_assert_int_eq(fn_store_open_opts(&st, dir, &o), FN_ESCHEMA);
    ck_assert_ptr_null(st);
    ck_assert_msg(strstr(err, "schema 99") && strstr(err, "upgrade"), "%s",
                  err);
    o.flags = FN_STORE_RDONLY;
    ck_assert_int_eq(fn_store_open_opts(&st, dir, &o), FN_ESCHEMA);
    tst_rmdir(dir);
}
END_TEST

START_TEST(test_store_corrupt_task_record_is_skipped_or_reported)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    char good[FN_STORE_ID_LEN + 1];
    tst_task(st, "good", DONE, good);
    fn_store_close(st);
    raw_put(dir, "tasks", "ffffffffffffffff", 16, "\xff\xff\xff\xff\xff", 5);
    st = tst_open(dir, 0, 0, 0);
    Flexnet__V1__GetTaskResponse *r;
    ck_assert_int_eq(fn_store_task_get(st, "ffff", 0, &r), FN_EPARSE);
    ck_assert_ptr_nonnull(strstr(fn_store_reason(st), "corrupt"));
    Flexnet__V1__ListTasksRequest q = FLEXNET__V1__LIST_TASKS_REQUEST__INIT;
    Flexnet__V1__ListTasksResponse *l;
    ck_assert_int_eq(fn_store_task_list(st, &q, &l), 0);
    ck_assert_uint_eq(l->n_tasks, 1); /* the bad row is skipped */
    ck_assert_str_eq(l->tasks[0]->id, good);
    flexnet__v1__list_tasks_response__free_unpacked(l, NULL);
    ck_assert_int_eq(fn_store_task_delete(st, "ffff"), 0); /* and removable */
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

/* ---- tasks ------------------------------------------------------------- */

START_TEST(test_store_task_create_get_update_finish)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    char id[FN_STORE_ID_LEN + 1], id2[FN_STORE_ID_LEN + 1];
    int64_t before = fn_time_wall_us();
    tst_task(st, "backup all", 0, id);
    tst_task(st, "second", RUNNING, id2);
    ck_assert_uint_eq(strlen(id), FN_STORE_ID_LEN);
    ck_assert_int_lt(strcmp(id, id2), 0); /* time-ordered */

    Flexnet__V1__GetTaskResponse *r = NULL;
    ck_assert_int_eq(fn_store_task_get(st, id, 0, &r), 0);
    ck_assert_str_eq(r->task->id, id);
    ck_assert_str_eq(r->task->name, "backup all");
    ck_assert_int_eq(r->task->status,
                     FLEXNET__V1__TASK_STATUS__TASK_STATUS_PENDING);
    ck_assert_int_ge(r->task->created_us, before);
    flexnet__v1__get_task_response__free_unpacked(r, NULL);

    ck_assert_int_eq(fn_store_task_set_status(st, id, RUNNING, NULL), 0);
    Flexnet__V1__Summary s = FLEXNET__V1__SUMMARY__INIT;
    s.devices = 10;
    s.connected = 9;
    s.ok = 7;
    ck_assert_int_eq(fn_store_task_set_summary(st, id, &s), 0);
    ck_assert_uint_eq(fn_store_pending(st), 2);
    /* not visible before the flush */
    ck_assert_int_eq(fn_store_task_get(st, id, 0, &r), 0);
    ck_assert_int_eq(r->task->status,
                     FLEXNET__V1__TASK_STATUS__TASK_STATUS_PENDING);
    flexnet__v1__get_task_response__free_unpacked(r, NULL);
    ck_assert_int_eq(fn_store_flush(st), 0);
    ck_assert_uint_eq(fn_store_pending(st), 0);
    ck_assert_int_eq(fn_store_task_get(st, id, 0, &r), 0);
    ck_assert_int_eq(r->task->status, RUNNING);
    ck_assert_int_gt(r->task->started_us, 0);
    ck_assert_uint_eq(r->task->summary->devices, 10);
    ck_assert_uint_eq(r->task->summary->ok, 7);
    flexnet__v1__get_task_response__free_unpacked(r, NULL);

    s.ok = 9;
    ck_assert_int_eq(fn_store_task_finish(st, id, DONE, &s, "all good"), 0);
    ck_assert_int_eq(fn_store_task_get(st, id, 0, &r), 0);
    ck_assert_int_eq(r->task->status, DONE);
    ck_assert_str_eq(r->task->error, "all good");
    ck_assert_int_gt(r->task->finished_us, 0);
    ck_assert_uint_eq(r->task->summary->ok, 9);
    ck_assert_int_eq(r->task->summary->status, DONE);
    ck_assert_str_eq(r->task->summary->task_id, id);
    flexnet__v1__get_task_response__free_unpacked(r, NULL);
    ck_assert_int_eq(
        fn_store_task_finish(st, "0123456789abcdef", DONE, NULL, NULL),
        FN_ENOTFOUND);
    fn_store_stats_t stats;
    ck_assert_int_eq(fn_store_stats(st, &stats), 0);
    ck_assert_uint_eq(stats.tasks, 2);
    ck_assert_uint_eq(stats.live, 1); /* id2 still running */
    fn_store_close(st);

    /* closing the writer interrupts the tasks it still ran */
    st = tst_open(dir, 0, 0, 0);
    ck_assert_int_eq(fn_store_task_get(st, id2, 0, &r), 0);
    ck_assert_int_eq(r->task->status,
                     FLEXNET__V1__TASK_STATUS__TASK_STATUS_INTERRUPTED);
    flexnet__v1__get_task_response__free_unpacked(r, NULL);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

START_TEST(test_store_task_final_status_ends_ownership)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    char id[FN_STORE_ID_LEN + 1];
    tst_task(st, "queued done", RUNNING, id);
    ck_assert_int_eq(fn_store_task_finish(st, id, RUNNING, NULL, NULL),
                     FN_EPARSE); /* finish needs a final status */
    ck_assert_int_eq(fn_store_task_set_status(st, id, DONE, NULL), 0);
    ck_assert_int_eq(fn_store_flush(st), 0);
    fn_store_stats_t s;
    ck_assert_int_eq(fn_store_stats(st, &s), 0);
    ck_assert_uint_eq(s.live, 0);
    fn_store_close(st); /* must not turn a DONE task into INTERRUPTED */
    st = tst_open(dir, 0, 0, 0);
    Flexnet__V1__GetTaskResponse *r;
    ck_assert_int_eq(fn_store_task_get(st, id, 0, &r), 0);
    ck_assert_int_eq(r->task->status, DONE);
    flexnet__v1__get_task_response__free_unpacked(r, NULL);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

/* fn_store_stats counts this handle's commits and their time; an empty
 * flush commits nothing. */
START_TEST(test_store_stats_counts_commits)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    fn_store_stats_t a, b;
    ck_assert_int_eq(fn_store_stats(st, &a), 0);
    char id[FN_STORE_ID_LEN + 1];
    tst_task(st, "counted", RUNNING, id);    /* commits at once */
    ck_assert_int_eq(fn_store_flush(st), 0); /* nothing pending */
    ck_assert_int_eq(fn_store_stats(st, &b), 0);
    ck_assert_uint_eq(b.commits, a.commits + 1);
    ck_assert_uint_ge(b.commit_us, a.commit_us);
    ck_assert_uint_ge(b.commit_us_max, b.commit_us / b.commits);
    ck_assert_uint_le(b.commit_us_max, b.commit_us);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

START_TEST(test_store_task_resolve_prefix)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    char a[FN_STORE_ID_LEN + 1], b[FN_STORE_ID_LEN + 1],
        got[FN_STORE_ID_LEN + 1];
    tst_task(st, "a", 0, a);
    tst_task(st, "b", 0, b);
    size_t common = 0;
    while (a[common] == b[common])
        common++;
    char pre[FN_STORE_ID_LEN + 1];
    memcpy(pre, b, common + 1);
    pre[common + 1] = '\0';
    ck_assert_int_eq(fn_store_task_resolve(st, pre, got), 0);
    ck_assert_str_eq(got, b);
    pre[common] = '\0';
    if (common > 0)
        ck_assert_int_eq(fn_store_task_resolve(st, pre, got), FN_EAMBIGUOUS);
    ck_assert_int_eq(fn_store_task_resolve(st, "ffff", got), FN_ENOTFOUND);
    ck_assert_int_eq(fn_store_task_resolve(st, "xyz", got), FN_EPARSE);
    ck_assert_int_eq(fn_store_task_resolve(st, "", got), FN_EPARSE);
    /* upper case prefixes work too */
    char up[FN_STORE_ID_LEN + 1];
    for (int i = 0; i <= FN_STORE_ID_LEN; i++)
        up[i] = (char)(a[i] >= 'a' ? a[i] - 32 : a[i]);
    ck_assert_int_eq(fn_store_task_resolve(st, up, got), 0);
    ck_assert_str_eq(got, a);
    Flexnet__V1__GetTaskResponse *r;
    ck_assert_int_eq(fn_store_task_get(st, "ffff", 0, &r), FN_ENOTFOUND);
    ck_assert_ptr_null(r);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

static Flexnet__V1__ListTasksResponse *list(fn_store_t *st, unsigned page,
                                            const char *token, const char *name,
                                            int status, int64_t since,
                                            int64_t until)
{
    Flexnet__V1__ListTasksRequest q = FLEXNET__V1__LIST_TASKS_REQUEST__INIT;
    q.page_size = page;
    q.page_token = (char *)(token ? token : "");
    q.name = (char *)(name ? name : "");
    q.status = (Flexnet__V1__TaskStatus)status;
    q.since_us = since;
    q.until_us = until;
    Flexnet__V1__ListTasksResponse *r = NULL;
    int rc = fn_store_task_list(st, &q, &r);
    ck_assert_msg(rc == 0, "list %d %s", rc, fn_store_reason(st));
    return r;
}

START_TEST(test_store_task_list_newest_first_paged_filtered)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    char ids[25][FN_STORE_ID_LEN + 1];
    for (int i = 0; i < 25; i++) {
        char name[32];
        snprintf(name, sizeof(name), "%s-%02d", i % 2 ? "odd" : "even", i);
        tst_task(st, name, 0, ids[i]);
        if (i % 3 == 0)
            ck_assert_int_eq(fn_store_task_finish(st, ids[i], DONE, NULL, NULL),
                             0);
    }
    /* paging: 10 + 10 + 5, newest first, no overlap */
    char token[64] = "";
    int seen = 0;
    for (int page = 0; page < 3; page++) {
        Flexnet__V1__ListTasksResponse *r = list(st, 10, token, 0, 0, 0, 0);
        ck_assert_uint_eq(r->n_tasks, page < 2 ? 10 : 5);
        for (size_t i = 0; i < r->n_tasks; i++)
            ck_assert_str_eq(r->tasks[i]->id, ids[24 - seen++]);
        snprintf(token, sizeof(token), "%s", r->next_page_token);
        ck_assert_int_eq(page < 2, token[0] != '\0');
        flexnet__v1__list_tasks_response__free_unpacked(r, NULL);
    }
    /* name substring and status */
    Flexnet__V1__ListTasksResponse *r = list(st, 0, 0, "odd", 0, 0, 0);
    ck_assert_uint_eq(r->n_tasks, 12);
    ck_assert_str_eq(r->tasks[0]->name, "odd-23");
    flexnet__v1__list_tasks_response__free_unpacked(r, NULL);
    r = list(st, 0, 0, "even", DONE, 0, 0); /* 0,6,12,18,24 */
    ck_assert_uint_eq(r->n_tasks, 5);
    ck_assert_str_eq(r->tasks[0]->name, "even-24");
    flexnet__v1__list_tasks_response__free_unpacked(r, NULL);
    /* date range: created of ids[5] .. ids[9] inclusive */
    Flexnet__V1__GetTaskResponse *g5, *g9;
    ck_assert_int_eq(fn_store_task_get(st, ids[5], 0, &g5), 0);
    ck_assert_int_eq(fn_store_task_get(st, ids[9], 0, &g9), 0);
    r = list(st, 0, 0, 0, 0, g5->task->created_us, g9->task->created_us);
    ck_assert_uint_eq(r->n_tasks, 5);
    ck_assert_str_eq(r->tasks[0]->id, ids[9]);
    ck_assert_str_eq(r->tasks[4]->id, ids[5]);
    flexnet__v1__list_tasks_response__free_unpacked(r, NULL);
    flexnet__v1__get_task_response__free_unpacked(g5, NULL);
    flexnet__v1__get_task_response__free_unpacked(g9, NULL);
    /* bad token */
    Flexnet__V1__ListTasksRequest q = FLEXNET__V1__LIST_TASKS_REQUEST__INIT;
    q.page_token = "nonsense";
    ck_assert_int_eq(fn_store_task_list(st, &q, &r), FN_EPARSE);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

/* ---- results, reports, logs -------------------------------------------- */

static void add_result(fn_store_t *st, const char *task, const char *host,
                       unsigned step, unsigned seq, int exit_code)
{
    Flexnet__V1__CommandResult r = FLEXNET__V1__COMMAND_RESULT__INIT;
    char cmd[64], out[160];
    snprintf(cmd, sizeof(cmd), "show step %u seq %u", step, seq);
    snprintf(out, sizeof(out), "output of %s on %s", cmd, host);
    r.task_id = (char *)task;
    r.host = (char *)host;
    r.step = step;
    r.seq = seq;
    r.command = cmd;
    r.stdout = out;
    r.exit_code = exit_code;
    ck_assert_int_eq(fn_store_result_append(st, &r), 0);
}

static int count_results(const Flexnet__V1__CommandResult *r, void *arg)
{
    int *n = arg;
    ck_assert_str_eq(r->host, "r2");
    (*n)++;
    return *n == 100 ? 7 : 0; /* stop value comes back */
}

START_TEST(test_store_results_conns_logs_roundtrip)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    char id[FN_STORE_ID_LEN + 1];
    tst_task(st, "run", RUNNING, id);
    const char *hosts[] = {"r3", "r1", "r2"};
    for (int h = 0; h < 3; h++) {
        Flexnet__V1__ConnectionReport c = FLEXNET__V1__CONNECTION_REPORT__INIT;
        c.task_id = id;
        c.host = (char *)hosts[h];
        c.status = h == 0 ? FLEXNET__V1__CONNECT_STATUS__CONNECT_STATUS_FAILED
                          : FLEXNET__V1__CONNECT_STATUS__CONNECT_STATUS_OK;
        c.reason = h == 0 ? "timeout" : "";
        ck_assert_int_eq(fn_store_conn_append(st, &c), 0);
        for (unsigned s = 0; s < 2; s++)
            for (unsigned q = 0; q < 3; q++)
                add_result(st, id, hosts[h], s, q, (int)q == 2);
    }
    add_result(st, id, "r1", 0, 0, 5); /* a retry: both are kept */
    Flexnet__V1__ConnectionReport again = FLEXNET__V1__CONNECTION_REPORT__INIT;
    again.task_id = id;
    again.host = "r3";
    again.status = FLEXNET__V1__CONNECT_STATUS__CONNECT_STATUS_OK;
    again.tries = 2;
    ck_assert_int_eq(fn_store_conn_append(st, &again), 0); /* replaces */
    for (int i = 0; i < 600; i++) {
        char text[32];
        snprintf(text, sizeof(text), "line %d", i);
        tst_log(st, id, "r1", text);
    }
    ck_assert_int_eq(fn_store_flush(st), 0);

    Flexnet__V1__GetTaskResponse *r;
    ck_assert_int_eq(fn_store_task_get(
                         st, id, FN_STORE_GET_CONNS | FN_STORE_GET_RESULTS, &r),
                     0);
    ck_assert_uint_eq(r->n_connections, 3);
    ck_assert_str_eq(r->connections[0]->host, "r1"); /* by host */
    ck_assert_str_eq(r->connections[2]->host, "r3");
    ck_assert_uint_eq(r->connections[2]->tries, 2);
    ck_assert_str_eq(r->connections[2]->reason, "");
    ck_assert_str_eq(r->connections[0]->task_id, id);
    ck_assert_uint_eq(r->n_results, 19); /* in the order appended */
    ck_assert_str_eq(r->results[0]->host, "r3");
    ck_assert_str_eq(r->results[6]->host, "r1");
    ck_assert_str_eq(r->results[18]->host, "r1");
    ck_assert_int_eq(r->results[18]->exit_code, 5);
    ck_assert_str_eq(r->results[18]->task_id, id);
    ck_assert_uint_eq(r->results[5]->step, 1);
    ck_assert_uint_eq(r->results[5]->seq, 2);
    ck_assert_str_eq(r->results[5]->command, "show step 1 seq 2");
    flexnet__v1__get_task_response__free_unpacked(r, NULL);
    ck_assert_int_eq(fn_store_task_get(st, id, 0, &r), 0);
    ck_assert_uint_eq(r->n_results + r->n_connections, 0);
    flexnet__v1__get_task_response__free_unpacked(r, NULL);

    /* logs: all 600 in order across slices, from a seq, stop value */
    ck_assert_uint_eq(tst_count_logs(st, id), 600);
    uint64_t seq = 0;
    Flexnet__V1__LogLine l = FLEXNET__V1__LOG_LINE__INIT;
    l.task_id = id;
    l.text = "last";
    ck_assert_int_eq(fn_store_log_append(st, &l, &seq), 0);
    ck_assert_uint_eq(seq, 601);
    ck_assert_int_eq(fn_store_flush(st), 0);

    int n = 0;
    ck_assert_int_eq(fn_store_result_foreach(st, id, "r2", count_results, &n),
                     0);
    ck_assert_int_eq(n, 6);
    for (int i = 0; i < 700; i++) /* host filter across several slices */
        add_result(st, id, i % 2 ? "r2" : "r9", 2, (unsigned)i, 0);
    ck_assert_int_eq(fn_store_flush(st), 0);
    n = 0;
    ck_assert_int_eq(fn_store_result_foreach(st, id, "r2", count_results, &n),
                     7); /* stopped by the callback at 100 */
    ck_assert_int_eq(n, 100);
    n = -300;
    ck_assert_int_eq(fn_store_result_foreach(st, id, "r2", count_results, &n),
                     0);
    ck_assert_int_eq(n, 56); /* 6 + 350 of r2 */
    ck_assert_int_eq(fn_store_log_foreach(st, "bad", 0, NULL, NULL), FN_EPARSE);
    Flexnet__V1__CommandResult bad = FLEXNET__V1__COMMAND_RESULT__INIT;
    bad.task_id = id;
    ck_assert_int_eq(fn_store_result_append(st, &bad), FN_EPARSE);
    fn_store_close(st);

    /* a reopened store continues the log numbering */
    st = tst_open(dir, 0, 0, 0);
    ck_assert_int_eq(fn_store_log_append(st, &l, &seq), 0);
    ck_assert_uint_eq(seq, 602);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

typedef struct from_ctx {
    uint64_t first, n;
    char text[32];
} from_ctx_t;

static int from_cb(const Flexnet__V1__LogLine *line, void *arg)
{
    from_ctx_t *c = arg;
    if (c->n++ == 0) {
        c->first = line->seq;
        snprintf(c->text, sizeof(c->text), "%s", line->text);
    }
    return 0;
}

START_TEST(test_store_log_foreach_from_seq_and_auto_flush)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 100); /* auto-flush at 100 */
    char id[FN_STORE_ID_LEN + 1], other[FN_STORE_ID_LEN + 1];
    tst_task(st, "a", RUNNING, id);
    tst_task(st, "b", RUNNING, other);
    for (int i = 1; i <= 250; i++) {
        char text[32];
        snprintf(text, sizeof(text), "line %d", i);
        tst_log(st, id, "h", text);
        tst_log(st, other, "h", "other");
    }
    /* 500 appended, auto-flushed at every 100: nothing pending */
    ck_assert_uint_eq(fn_store_pending(st), 0);
    from_ctx_t c = {0};
    ck_assert_int_eq(fn_store_log_foreach(st, id, 200, from_cb, &c), 0);
    ck_assert_uint_eq(c.first, 200);
    ck_assert_uint_eq(c.n, 51);
    ck_assert_str_eq(c.text, "line 200");
    ck_assert_uint_eq(tst_count_logs(st, other), 250);
    /* deleting a task takes its logs, results, reports; not the other's */
    add_result(st, id, "h", 0, 0, 0);
    ck_assert_int_eq(fn_store_task_delete(st, id), 0);
    ck_assert_uint_eq(tst_count_logs(st, id), 0);
    ck_assert_uint_eq(tst_count_logs(st, other), 250);
    Flexnet__V1__GetTaskResponse *r;
    ck_assert_int_eq(fn_store_task_get(st, id, 0, &r), FN_ENOTFOUND);
    ck_assert_int_eq(fn_store_task_delete(st, id), FN_ENOTFOUND);
    fn_store_stats_t s;
    ck_assert_int_eq(fn_store_stats(st, &s), 0);
    ck_assert_uint_eq(s.results, 0);
    ck_assert_uint_eq(s.logs, 250);
    ck_assert_uint_eq(s.tasks, 1);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

START_TEST(test_store_durable_sync_status_error_and_bad_records)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = NULL;
    ck_assert_int_eq(fn_store_open(&st, dir, FN_STORE_DURABLE), 0);
    char id[FN_STORE_ID_LEN + 1];
    tst_task(st, "durable", RUNNING, id);
    ck_assert_int_eq(fn_store_task_set_status(
                         st, id, FLEXNET__V1__TASK_STATUS__TASK_STATUS_FAILED,
                         "max_failed reached"),
                     0);
    Flexnet__V1__LogLine l = FLEXNET__V1__LOG_LINE__INIT;
    l.task_id = id; /* no host: fine for a log line */
    l.text = "task-level line";
    uint64_t seq;
    ck_assert_int_eq(fn_store_log_append(st, &l, &seq), 0);
    ck_assert_uint_eq(seq, 1);
    ck_assert_int_eq(fn_store_sync(st), 0);
    ck_assert_uint_eq(fn_store_pending(st), 0);
    Flexnet__V1__GetTaskResponse *r;
    ck_assert_int_eq(fn_store_task_get(st, id, 0, &r), 0);
    ck_assert_int_eq(r->task->status,
                     FLEXNET__V1__TASK_STATUS__TASK_STATUS_FAILED);
    ck_assert_str_eq(r->task->error, "max_failed reached");
    flexnet__v1__get_task_response__free_unpacked(r, NULL);
    /* records that cannot be keyed are refused, nothing queued */
    char longhost[FN_STORE_HOST_MAX + 2];
    memset(longhost, 'h', sizeof(longhost) - 1);
    longhost[sizeof(longhost) - 1] = '\0';
    Flexnet__V1__ConnectionReport c = FLEXNET__V1__CONNECTION_REPORT__INIT;
    c.task_id = id;
    c.host = longhost;
    ck_assert_int_eq(fn_store_conn_append(st, &c), FN_EPARSE);
    c.host = "";
    ck_assert_int_eq(fn_store_conn_append(st, &c), FN_EPARSE);
    l.task_id = "not-an-id";
    ck_assert_int_eq(fn_store_log_append(st, &l, &seq), FN_EPARSE);
    ck_assert_int_eq(fn_store_task_set_status(st, "zz", RUNNING, NULL),
                     FN_EPARSE);
    ck_assert_uint_eq(fn_store_pending(st), 0);
    /* a queued update for a task deleted meanwhile is dropped quietly */
    ck_assert_int_eq(fn_store_task_set_status(st, id, DONE, NULL), 0);
    ck_assert_int_eq(fn_store_task_delete(st, id), 0);
    ck_assert_int_eq(fn_store_task_set_status(st, id, DONE, NULL), 0);
    ck_assert_int_eq(fn_store_flush(st), 0);
    fn_store_stats_t s;
    ck_assert_int_eq(fn_store_stats(st, &s), 0);
    ck_assert_uint_eq(s.tasks, 0);
    ck_assert_uint_eq(s.live, 0);
    ck_assert_uint_eq(s.logs, 0);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

/* ---- backups ----------------------------------------------------------- */

static void save(fn_store_t *st, const char *task, const char *host,
                 const char *text, char *id)
{
    Flexnet__V1__Backup b = FLEXNET__V1__BACKUP__INIT;
    b.task_id = (char *)(task ? task : "");
    b.host = (char *)host;
    b.vendor = "cisco_ios";
    b.command = "show running-config";
    b.target = "local";
    int rc = fn_store_backup_save(st, &b, text, strlen(text), id);
    ck_assert_msg(rc == 0, "save %d %s", rc, fn_store_reason(st));
}

START_TEST(test_store_backup_same_config_1000_times_one_blob)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    fn_buf_t cfg;
    fn_buf_init(&cfg, 0);
    for (int i = 0; i < 2000; i++)
        fn_buf_printf(&cfg, "interface Gi0/%d\n description port %d\n", i, i);
    char id[FN_STORE_ID_LEN + 1], first[FN_STORE_ID_LEN + 1];
    save(st, NULL, "r1", cfg.data, first);
    fn_store_stats_t s0, s1;
    ck_assert_int_eq(fn_store_stats(st, &s0), 0);
    ck_assert_uint_eq(s0.blobs, 1);
    ck_assert_uint_gt(s0.blob_chunks, 1); /* chunked */
    for (int i = 1; i < 1000; i++)
        save(st, NULL, i % 2 ? "r1" : "r2", cfg.data, id);
    ck_assert_int_eq(fn_store_stats(st, &s1), 0);
    ck_assert_uint_eq(s1.backups, 1000);
    ck_assert_uint_eq(s1.blobs, 1);
    ck_assert_uint_eq(s1.blob_chunks, s0.blob_chunks);
    /* content round trip with metadata */
    Flexnet__V1__Backup *m;
    fn_buf_t out;
    fn_buf_init(&out, 0);
    ck_assert_int_eq(fn_store_backup_get(st, id, &m, &out), 0);
    ck_assert_uint_eq(out.len, cfg.len);
    ck_assert_mem_eq(out.data, cfg.data, cfg.len);
    ck_assert_uint_eq(m->size, cfg.len);
    ck_assert_uint_eq(strlen(m->sha256), 64);
    ck_assert_str_eq(m->host, "r1"); /* the last save, 999, went to r1 */
    ck_assert_str_eq(m->command, "show running-config");
    flexnet__v1__backup__free_unpacked(m, NULL);
    /* a capped buffer reports truncation */
    fn_buf_t small;
    fn_buf_init(&small, 100);
    ck_assert_int_eq(fn_store_backup_get(st, first, NULL, &small), FN_EFULL);
    fn_buf_cleanup(&small);
    /* deleting all but one keeps the blob; the last takes it away */
    Flexnet__V1__ListBackupsRequest q = FLEXNET__V1__LIST_BACKUPS_REQUEST__INIT;
    q.page_size = 1000;
    Flexnet__V1__ListBackupsResponse *r;
    ck_assert_int_eq(fn_store_backup_list(st, &q, &r), 0);
    ck_assert_uint_eq(r->n_backups, 1000);
    for (size_t i = 0; i < r->n_backups; i++) {
        ck_assert_int_eq(fn_store_backup_delete(st, r->backups[i]->id), 0);
        ck_assert_int_eq(fn_store_stats(st, &s1), 0);
        ck_assert_uint_eq(s1.blobs, i + 1 < r->n_backups ? 1 : 0);
    }
    ck_assert_uint_eq(s1.blob_chunks, 0);
    ck_assert_uint_eq(s1.backups, 0);
    ck_assert_int_eq(fn_store_backup_delete(st, r->backups[0]->id),
                     FN_ENOTFOUND);
    flexnet__v1__list_backups_response__free_unpacked(r, NULL);
    fn_buf_cleanup(&out);
    fn_buf_cleanup(&cfg);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

START_TEST(test_store_backup_list_latest_previous_update)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    char task[FN_STORE_ID_LEN + 1], ids[12][FN_STORE_ID_LEN + 1];
    tst_task(st, "backup", RUNNING, task);
    for (int i = 0; i < 12; i++) {
        char text[64];
        snprintf(text, sizeof(text), "hostname r%d\nversion %d\n", i % 3, i);
        char host[8];
        snprintf(host, sizeof(host), "r%d", i % 3);
        save(st, i < 6 ? task : NULL, host, text, ids[i]);
    }
    /* by host r1: 1,4,7,10 newest first, pages of 3 */
    Flexnet__V1__ListBackupsRequest q = FLEXNET__V1__LIST_BACKUPS_REQUEST__INIT;
    q.host = "r1";
    q.page_size = 3;
    Flexnet__V1__ListBackupsResponse *r;
    ck_assert_int_eq(fn_store_backup_list(st, &q, &r), 0);
    ck_assert_uint_eq(r->n_backups, 3);
    ck_assert_str_eq(r->backups[0]->id, ids[10]);
    ck_assert_str_eq(r->backups[2]->id, ids[4]);
    ck_assert_str_ne(r->next_page_token, "");
    q.page_token = r->next_page_token;
    Flexnet__V1__ListBackupsResponse *r2;
    ck_assert_int_eq(fn_store_backup_list(st, &q, &r2), 0);
    ck_assert_uint_eq(r2->n_backups, 1);
    ck_assert_str_eq(r2->backups[0]->id, ids[1]);
    ck_assert_str_eq(r2->next_page_token, "");
    flexnet__v1__list_backups_response__free_unpacked(r2, NULL);
    flexnet__v1__list_backups_response__free_unpacked(r, NULL);
    /* by task: 0..5 */
    q = (Flexnet__V1__ListBackupsRequest)
        FLEXNET__V1__LIST_BACKUPS_REQUEST__INIT;
    q.task_id = task;
    ck_assert_int_eq(fn_store_backup_list(st, &q, &r), 0);
    ck_assert_uint_eq(r->n_backups, 6);
    ck_assert_str_eq(r->backups[0]->id, ids[5]);
    ck_assert_str_eq(r->backups[0]->task_id, task);
    flexnet__v1__list_backups_response__free_unpacked(r, NULL);
    q.host = "r2"; /* task and host: 2, 5 */
    ck_assert_int_eq(fn_store_backup_list(st, &q, &r), 0);
    ck_assert_uint_eq(r->n_backups, 2);
    flexnet__v1__list_backups_response__free_unpacked(r, NULL);
    /* latest and previous */
    char got[FN_STORE_ID_LEN + 1];
    ck_assert_int_eq(fn_store_backup_latest(st, "r2", got), 0);
    ck_assert_str_eq(got, ids[11]);
    ck_assert_int_eq(fn_store_backup_previous(st, ids[11], got), 0);
    ck_assert_str_eq(got, ids[8]);
    ck_assert_int_eq(fn_store_backup_previous(st, ids[2], got), FN_ENOTFOUND);
    ck_assert_int_eq(fn_store_backup_latest(st, "nohost", got), FN_ENOTFOUND);
    /* update where it was uploaded */
    Flexnet__V1__Backup u = FLEXNET__V1__BACKUP__INIT;
    u.id = ids[3];
    u.target = "s3";
    u.bucket = "configs";
    u.key = "r0/x.cfg";
    ck_assert_int_eq(fn_store_backup_update(st, &u), 0);
    Flexnet__V1__Backup *m;
    ck_assert_int_eq(fn_store_backup_get(st, ids[3], &m, NULL), 0);
    ck_assert_str_eq(m->bucket, "configs");
    ck_assert_str_eq(m->host, "r0");
    flexnet__v1__backup__free_unpacked(m, NULL);
    u.id = "0000000000000000";
    ck_assert_int_eq(fn_store_backup_update(st, &u), FN_ENOTFOUND);
    /* deleting the task keeps its backups */
    ck_assert_int_eq(fn_store_task_delete(st, task), 0);
    ck_assert_int_eq(fn_store_backup_get(st, ids[0], NULL, NULL), 0);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

START_TEST(test_store_backup_big_binary_roundtrip)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    size_t len = 3u << 20;
    char *data = malloc(len);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < len; i++) { /* incompressible */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data[i] = (char)x;
    }
    Flexnet__V1__Backup b = FLEXNET__V1__BACKUP__INIT;
    b.host = "big";
    char id[FN_STORE_ID_LEN + 1];
    ck_assert_int_eq(fn_store_backup_save(st, &b, data, len, id), 0);
    fn_buf_t out;
    fn_buf_init(&out, 0);
    ck_assert_int_eq(fn_store_backup_get(st, id, NULL, &out), 0);
    ck_assert_uint_eq(out.len, len);
    ck_assert(memcmp(out.data, data, len) == 0);
    fn_buf_reset(&out);
    ck_assert_int_eq(fn_store_backup_save(st, &b, "", 0, id), 0);
    ck_assert_int_eq(fn_store_backup_get(st, id, NULL, &out), 0);
    ck_assert_uint_eq(out.len, 0);
    fn_buf_cleanup(&out);
    free(data);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

/* ---- diff -------------------------------------------------------------- */

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fn_buf_t b;
    fn_buf_init(&b, 0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fn_buf_append(&b, chunk, n);
    fclose(f);
    return fn_buf_steal(&b, len);
}

/* Diffs old->new, runs `patch` on a copy of old, expects new. */
static void check_patch(const char *dir, const char *old, size_t olen,
                        const char *new, size_t nlen, unsigned ctx)
{
    fn_buf_t d;
    fn_buf_init(&d, 0);
    ck_assert_int_eq(
        fn_store_diff(old, olen, new, nlen, "a/cfg", "b/cfg", ctx, &d), 0);
    int same = olen == nlen && memcmp(old, new, olen) == 0;
    ck_assert_int_eq(same, d.len == 0);
    char f[600], p[600], cmd[1400];
    snprintf(f, sizeof(f), "%s/cfg", dir);
    snprintf(p, sizeof(p), "%s/cfg.patch", dir);
    write_file(f, old, olen);
    write_file(p, d.data ? d.data : "", d.len);
    if (!same) {
        snprintf(cmd, sizeof(cmd), "patch -s -f --posix %s %s", f, p);
        ck_assert_msg(system(cmd) == 0, "patch failed on:\n%s", d.data);
    }
    size_t len;
    char *got = read_file(f, &len);
    ck_assert_uint_eq(len, nlen);
    ck_assert(memcmp(got, new, nlen) == 0);
    free(got);
    fn_buf_cleanup(&d);
}

static size_t random_text(uint64_t *seed, char *out, size_t lines)
{
    size_t n = 0;
    for (size_t i = 0; i < lines; i++) {
        *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
        n +=
            (size_t)snprintf(out + n, 16, "line %u\n", (unsigned)(*seed >> 59));
    }
    return n;
}

START_TEST(test_store_diff_patch_applies)
{
    const char *dir = tst_tmpdir(0);
    const char *a = "hostname r1\ninterface Gi0/1\n shutdown\n!\nend\n";
    const char *b = "hostname r1-new\ninterface Gi0/1\n no shutdown\n!\n"
                    "interface Gi0/2\n!\nend\n";
    check_patch(dir, a, strlen(a), b, strlen(b), 3);
    check_patch(dir, a, strlen(a), a, strlen(a), 3); /* identical: empty */
    check_patch(dir, "", 0, b, strlen(b), 3);
    check_patch(dir, b, strlen(b), "", 0, 3);
    check_patch(dir, "x\ny", 3, "x\ny\n", 4, 3); /* newline at EOF */
    check_patch(dir, "x\ny\n", 4, "x\nz", 3, 1);
    check_patch(dir, "a\nb\nc", 5, "a\nB\nc", 5, 0);
    /* fuzz: small alphabets make many matches and many hunks */
    uint64_t seed = 42;
    char *x = malloc(1 << 16), *y = malloc(1 << 16);
    for (int round = 0; round < 40; round++) {
        size_t xl = random_text(&seed, x, 50 + round * 7);
        size_t yl = random_text(&seed, y, 40 + round * 5);
        check_patch(dir, x, xl, y, yl, (unsigned)(round % 4));
    }
    free(x);
    free(y);
    tst_rmdir(dir);
}
END_TEST

START_TEST(test_store_diff_many_edits_still_correct)
{
    const char *dir = tst_tmpdir(0);
    /* 6000 lines each, every line different: past the edit cap */
    size_t n = 6000, xl = 0, yl = 0;
    char *x = malloc(n * 16), *y = malloc(n * 16);
    for (size_t i = 0; i < n; i++) {
        xl += (size_t)snprintf(x + xl, 16, "old %zu\n", i);
        yl +=
            (size_t)snprintf(y + yl, 16, "%s %zu\n", i % 7 ? "new" : "old", i);
    }
    check_patch(dir, x, xl, y, yl, 3);
    free(x);
    free(y);
    tst_rmdir(dir);
}
END_TEST

START_TEST(test_store_backup_diff_latest_vs_previous)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    const char *v1 = "hostname r1\nntp server 10.0.0.1\nend\n";
    const char *v2 = "hostname r1\nntp server 10.0.0.2\nlogging on\nend\n";
    char a[FN_STORE_ID_LEN + 1], b[FN_STORE_ID_LEN + 1], c[FN_STORE_ID_LEN + 1];
    save(st, NULL, "r1", v1, a);
    save(st, NULL, "r1", v2, b);
    save(st, NULL, "r1", v2, c);
    Flexnet__V1__DiffBackupsResponse *d;
    ck_assert_int_eq(fn_store_backup_diff(st, b, NULL, 0, &d), 0);
    ck_assert_str_eq(d->id_a, b);
    ck_assert_str_eq(d->id_b, a);
    ck_assert(!d->identical);
    ck_assert_ptr_nonnull(strstr(d->diff, "-ntp server 10.0.0.1\n"));
    ck_assert_ptr_nonnull(strstr(d->diff, "+logging on\n"));
    char f[600], p[600], cmd[1400];
    snprintf(f, sizeof(f), "%s/r1.cfg", dir);
    snprintf(p, sizeof(p), "%s/r1.patch", dir);
    write_file(f, v1, strlen(v1));
    write_file(p, d->diff, strlen(d->diff));
    snprintf(cmd, sizeof(cmd), "patch -s -f %s %s", f, p);
    ck_assert_int_eq(system(cmd), 0);
    size_t len;
    char *got = read_file(f, &len);
    ck_assert_str_eq(got, v2);
    free(got);
    flexnet__v1__diff_backups_response__free_unpacked(d, NULL);
    ck_assert_int_eq(fn_store_backup_diff(st, c, "", 0, &d), 0);
    ck_assert(d->identical);
    ck_assert_str_eq(d->diff, "");
    flexnet__v1__diff_backups_response__free_unpacked(d, NULL);
    ck_assert_int_eq(fn_store_backup_diff(st, c, a, 1, &d), 0);
    ck_assert(!d->identical);
    flexnet__v1__diff_backups_response__free_unpacked(d, NULL);
    ck_assert_int_eq(fn_store_backup_diff(st, a, NULL, 0, &d), FN_ENOTFOUND);
    ck_assert_ptr_null(d);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

/* ---- host keys --------------------------------------------------------- */

START_TEST(test_store_hostkey_pin_lookup_replace)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    Flexnet__V1__HostKey hk = FLEXNET__V1__HOST_KEY__INIT;
    hk.host = "10.0.0.1:22";
    hk.type = "ssh-ed25519";
    hk.sha256 = "SHA256:aaaa";
    Flexnet__V1__HostKey *got;
    ck_assert_int_eq(fn_store_hostkey_get(st, hk.host, &got), FN_ENOTFOUND);
    ck_assert_int_eq(fn_store_hostkey_pin(st, &hk), 0);
    ck_assert_int_eq(fn_store_hostkey_get(st, hk.host, &got), 0);
    int64_t first = got->first_seen_us;
    ck_assert_int_gt(first, 0);
    ck_assert_str_eq(got->sha256, "SHA256:aaaa");
    flexnet__v1__host_key__free_unpacked(got, NULL);
    ck_assert_int_eq(fn_store_hostkey_pin(st, &hk), 0); /* same: fine */
    hk.sha256 = "SHA256:bbbb";
    ck_assert_int_eq(fn_store_hostkey_pin(st, &hk), FN_EHOSTKEY);
    ck_assert_ptr_nonnull(strstr(fn_store_reason(st), "SHA256:aaaa"));
    ck_assert_int_eq(fn_store_hostkey_get(st, hk.host, &got), 0);
    ck_assert_str_eq(got->sha256, "SHA256:aaaa");
    flexnet__v1__host_key__free_unpacked(got, NULL);
    ck_assert_int_eq(fn_store_hostkey_replace(st, &hk), 0);
    ck_assert_int_eq(fn_store_hostkey_get(st, hk.host, &got), 0);
    ck_assert_str_eq(got->sha256, "SHA256:bbbb");
    ck_assert_int_ge(got->first_seen_us, first);
    flexnet__v1__host_key__free_unpacked(got, NULL);
    ck_assert_int_eq(fn_store_hostkey_delete(st, hk.host), 0);
    ck_assert_int_eq(fn_store_hostkey_delete(st, hk.host), FN_ENOTFOUND);
    hk.sha256 = "";
    ck_assert_int_eq(fn_store_hostkey_pin(st, &hk), FN_EPARSE);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

/* ---- map growth and a full map ----------------------------------------- */

/* Resident KiB of this process's mappings of path (/proc/self/smaps). */
static long mapped_rss_kib(const char *path)
{
    FILE *f = fopen("/proc/self/smaps", "re");
    ck_assert_ptr_nonnull(f);
    char line[4096];
    long kib = 0;
    int in = 0;
    size_t pl = strlen(path);
    while (fgets(line, sizeof(line), f)) {
        size_t l = strcspn(line, "\n");
        line[l] = '\0';
        if (strchr(line, '-') && strchr(line, ':') && line[0] != 'R' &&
            strchr(line, ' ') && isxdigit((unsigned char)line[0]))
            in = l >= pl && !strcmp(line + l - pl, path);
        else if (in && !strncmp(line, "Rss:", 4))
            kib += strtol(line + 4, NULL, 10);
    }
    fclose(f);
    return kib;
}

/* A writer's RSS must not grow with the file: each commit walks the
 * B-trees through the map and the kernel maps neighbouring pages per
 * fault, so without the store's trim the whole file ended up resident
 * (~4 KiB per device of a task with backups). 3000 distinct backups
 * (one commit each, as the recorder saves them) plus batched results. */
START_TEST(test_store_writer_rss_bounded_by_map_trim)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    char path[512], id[FN_STORE_ID_LEN + 1], task[FN_STORE_ID_LEN + 1];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    tst_task(st, "rss", RUNNING, task);
    fn_buf_t cfg;
    fn_buf_init(&cfg, 0);
    uint64_t x = 88172645463325252ull; /* xorshift: text zlib cannot shrink */
    long peak = 0;
    for (int d = 0; d < 3000; d++) {
        char host[32];
        snprintf(host, sizeof(host), "10.0.%d.%d:22", d / 250, d % 250);
        fn_buf_reset(&cfg);
        for (int i = 0; i < 60; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            fn_buf_printf(&cfg, " description %016llx%016llx\n",
                          (unsigned long long)x, (unsigned long long)~x);
        }
        tst_log(st, task, host, "show version -> exit 0");
        save(st, task, host, cfg.data, id);
        long kib = mapped_rss_kib(path);
        peak = kib > peak ? kib : peak;
    }
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_gt(sb.st_size, 6 << 20); /* the file did grow */
    /* trimmed every 16 commits / 1 MiB: 2-3 MiB here, not the file */
    ck_assert_msg(peak < 4096, "data.mdb resident %ld KiB of a %lld KiB file",
                  peak, (long long)(sb.st_size >> 10));
    fn_buf_t out;
    fn_buf_init(&out, 0); /* trimmed pages read back intact */
    ck_assert_int_eq(fn_store_backup_get(st, id, NULL, &out), 0);
    ck_assert_uint_eq(out.len, cfg.len);
    ck_assert_mem_eq(out.data, cfg.data, cfg.len);
    ck_assert_uint_eq(tst_count_logs(st, task), 3000);
    fn_buf_cleanup(&out);
    fn_buf_cleanup(&cfg);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

START_TEST(test_store_map_grows_from_tiny)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 256u << 10, 0, 50000);
    char id[FN_STORE_ID_LEN + 1];
    tst_task(st, "grow", RUNNING, id);
    char text[200];
    memset(text, 'x', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    for (int i = 0; i < 40000; i++) /* ~10 MB in one batch */
        tst_log(st, id, "r1", text);
    ck_assert_int_eq(fn_store_flush(st), 0);
    fn_store_stats_t s;
    ck_assert_int_eq(fn_store_stats(st, &s), 0);
    ck_assert_uint_eq(s.logs, 40000);
    ck_assert_uint_gt(s.map_size, 8u << 20);
    ck_assert_uint_eq(tst_count_logs(st, id), 40000);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

START_TEST(test_store_map_full_keeps_committed)
{
    const char *dir = tst_tmpdir(0);
    fn_store_t *st = tst_open(dir, 256u << 10, 1u << 20, 1000);
    char id[FN_STORE_ID_LEN + 1];
    tst_task(st, "full", RUNNING, id);
    char text[500];
    memset(text, 'y', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    Flexnet__V1__LogLine l = FLEXNET__V1__LOG_LINE__INIT;
    l.task_id = id;
    l.text = text;
    int rc = 0, i;
    for (i = 0; i < 100000 && rc == 0; i++)
        rc = fn_store_log_append(st, &l, NULL);
    ck_assert_int_eq(rc, FN_EFULL);
    ck_assert_msg(strstr(fn_store_reason(st), "map"), "%s",
                  fn_store_reason(st));
    ck_assert_uint_gt(fn_store_pending(st), 0); /* kept for a retry */
    ck_assert_int_eq(fn_store_flush(st), FN_EFULL);
    uint64_t committed = tst_count_logs(st, id);
    ck_assert_uint_gt(committed, 0);
    ck_assert_uint_lt(committed, (uint64_t)i);
    /* small writes that commit at once fail cleanly too */
    Flexnet__V1__HostKey hk = FLEXNET__V1__HOST_KEY__INIT;
    hk.host = "h:22";
    hk.sha256 = "SHA256:x";
    ck_assert_int_eq(fn_store_hostkey_pin(st, &hk), FN_EFULL);
    fn_store_close(st);
    st = tst_open(dir, 256u << 10, 1u << 20, 1000);
    ck_assert_uint_eq(tst_count_logs(st, id), committed);
    Flexnet__V1__GetTaskResponse *r;
    ck_assert_int_eq(fn_store_task_get(st, id, 0, &r), 0);
    ck_assert_str_eq(r->task->name, "full");
    flexnet__v1__get_task_response__free_unpacked(r, NULL);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_store_open_creates_dir_and_rdonly_needs_store);
    tcase_add_test(tc, test_store_open_default_dir);
    tcase_add_test(tc, test_store_open_newer_schema_fails_clearly);
    tcase_add_test(tc, test_store_corrupt_task_record_is_skipped_or_reported);
    tcase_add_test(tc, test_store_task_create_get_update_finish);
    tcase_add_test(tc, test_store_task_final_status_ends_ownership);
    tcase_add_test(tc, test_store_task_resolve_prefix);
    tcase_add_test(tc, test_store_stats_counts_commits);
    tcase_add_test(tc, test_store_task_list_newest_first_paged_filtered);
    tcase_add_test(tc, test_store_results_conns_logs_roundtrip);
    tcase_add_test(tc, test_store_log_foreach_from_seq_and_auto_flush);
    tcase_add_test(tc, test_store_durable_sync_status_error_and_bad_records);
    tcase_add_test(tc, test_store_backup_same_config_1000_times_one_blob);
    tcase_add_test(tc, test_store_backup_list_latest_previous_update);
    tcase_add_test(tc, test_store_backup_big_binary_roundtrip);
    tcase_add_test(tc, test_store_diff_patch_applies);
    tcase_add_test(tc, test_store_diff_many_edits_still_correct);
    tcase_add_test(tc, test_store_backup_diff_latest_vs_previous);
    tcase_add_test(tc, test_store_hostkey_pin_lookup_replace);
    tcase_add_test(tc, test_store_map_grows_from_tiny);
    tcase_add_test(tc, test_store_map_full_keeps_committed);
    tcase_add_test(tc, test_store_writer_rss_bounded_by_map_trim);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fn_check_run(store_suite());
}
