/*
 * test_store_merge.c — fn_store_merge: shard stores into one (every
 * record once, a config shared by shards stored once), merging twice
 * changes nothing, overlapping host keys (same key widens, another key
 * keeps the pin), and a shard whose process died mid-task (its task
 * reads back INTERRUPTED in the merged store, with its shard index).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fn_check.h"
#include "fn_err.h"
#include "test_store_util.h"

#define DONE        FLEXNET__V1__TASK_STATUS__TASK_STATUS_DONE
#define RUNNING     FLEXNET__V1__TASK_STATUS__TASK_STATUS_RUNNING
#define INTERRUPTED FLEXNET__V1__TASK_STATUS__TASK_STATUS_INTERRUPTED
#define HOSTS       40

static const char shared_config[] = "hostname edge\ninterface ge-0/0/0\n";

/* A shard's task over its hosts (host i belongs to shard i % count):
 * one conn, two results, one log line, one backup per host. Every host's
 * backup text is shared_config, plus its own name for odd hosts. */
static void shard_fill(fn_store_t *st, unsigned index, unsigned count,
                       int finish, char *id)
{
    Flexnet__V1__TaskSpec spec = FLEXNET__V1__TASK_SPEC__INIT;
    Flexnet__V1__Task t = FLEXNET__V1__TASK__INIT;
    spec.shard_run = "run-1";
    spec.shard_index = index;
    spec.shard_count = count;
    t.name = "shard";
    t.spec = &spec;
    t.status = RUNNING;
    t.owner = "test";
    ck_assert_int_eq(fn_store_task_create(st, &t, id), 0);
    for (unsigned h = index; h < HOSTS; h += count) {
        char host[32], text[128];
        snprintf(host, sizeof(host), "dev%03u", h);
        Flexnet__V1__ConnectionReport c = FLEXNET__V1__CONNECTION_REPORT__INIT;
        c.task_id = id;
        c.host = host;
        ck_assert_int_eq(fn_store_conn_append(st, &c), 0);
        for (int seq = 0; seq < 2; seq++) {
            Flexnet__V1__CommandResult r = FLEXNET__V1__COMMAND_RESULT__INIT;
            r.task_id = id;
            r.host = host;
            r.seq = (uint32_t)seq;
            r.exit_code = (int32_t)(h % 3 == 0 && seq);
            ck_assert_int_eq(fn_store_result_append(st, &r), 0);
        }
        tst_log(st, id, host, "connected");
        Flexnet__V1__Backup b = FLEXNET__V1__BACKUP__INIT;
        b.task_id = id;
        b.host = host;
        int n = snprintf(text, sizeof(text), "%s%s", shared_config,
                         h % 2 ? host : "");
        ck_assert_int_eq(fn_store_backup_save(st, &b, text, (size_t)n, NULL),
                         0);
    }
    ck_assert_int_eq(fn_store_flush(st), 0);
    if (finish)
        ck_assert_int_eq(fn_store_task_finish(st, id, DONE, NULL, NULL), 0);
}

/* A finished shard in a store of its own at dir. */
static void shard_store(const char *dir, unsigned index, unsigned count,
                        char *id)
{
    fn_store_t *st = tst_open(dir, 0, 0, 0);
    shard_fill(st, index, count, 1, id);
    fn_store_close(st);
}

static fn_store_t *open_ro(const char *dir)
{
    fn_store_t *st = NULL;
    ck_assert_int_eq(fn_store_open(&st, dir, FN_STORE_RDONLY), 0);
    return st;
}

static void merge_ok(fn_store_t *dst, const char *dir,
                     fn_store_merge_stats_t *ms)
{
    fn_store_t *src = open_ro(dir);
    int rc = fn_store_merge(dst, src, ms);
    ck_assert_msg(rc == 0, "merge: %d %s", rc, fn_store_reason(dst));
    fn_store_close(src);
}

START_TEST(test_store_merge_shards_once_and_twice_changes_nothing)
{
    const char *a = tst_tmpdir(0), *b = tst_tmpdir(1), *d = tst_tmpdir(2);
    char ida[FN_STORE_ID_LEN + 1], idb[FN_STORE_ID_LEN + 1];
    shard_store(a, 0, 2, ida);
    shard_store(b, 1, 2, idb);

    fn_store_t *dst = tst_open(d, 0, 0, 0);
    fn_store_merge_stats_t ms;
    merge_ok(dst, a, &ms);
    ck_assert_uint_eq(ms.tasks, 1);
    ck_assert_uint_eq(ms.backups, HOSTS / 2);
    ck_assert_uint_eq(ms.blobs, 1); /* even hosts: one shared text */
    merge_ok(dst, b, &ms);
    ck_assert_uint_eq(ms.backups, HOSTS / 2);
    ck_assert_uint_eq(ms.blobs, HOSTS / 2); /* odd hosts: their own */
    fn_store_stats_t s1, s2;
    ck_assert_int_eq(fn_store_stats(dst, &s1), 0);
    ck_assert_uint_eq(s1.tasks, 2);
    ck_assert_uint_eq(s1.conns, HOSTS);
    ck_assert_uint_eq(s1.results, 2 * HOSTS);
    ck_assert_uint_eq(s1.logs, HOSTS);
    ck_assert_uint_eq(s1.backups, HOSTS);
    ck_assert_uint_eq(s1.blobs, 1 + HOSTS / 2);

    /* again, both: nothing written, nothing counted twice */
    merge_ok(dst, a, &ms);
    ck_assert_uint_eq(ms.tasks + ms.records + ms.backups + ms.hostkeys, 0);
    merge_ok(dst, b, &ms);
    ck_assert_uint_eq(ms.tasks + ms.records + ms.backups + ms.hostkeys, 0);
    ck_assert_int_eq(fn_store_stats(dst, &s2), 0);
    ck_assert_uint_eq(s2.results, s1.results);
    ck_assert_uint_eq(s2.backups, s1.backups);
    ck_assert_uint_eq(s2.blobs, s1.blobs);
    ck_assert_uint_eq(s2.blob_chunks, s1.blob_chunks);

    /* the shared text is referenced by 20 backups: deleting 19 keeps it */
    Flexnet__V1__ListBackupsRequest req =
        FLEXNET__V1__LIST_BACKUPS_REQUEST__INIT;
    Flexnet__V1__ListBackupsResponse *resp = NULL;
    req.page_size = 1000;
    ck_assert_int_eq(fn_store_backup_list(dst, &req, &resp), 0);
    ck_assert_uint_eq(resp->n_backups, HOSTS);
    unsigned deleted = 0;
    for (size_t i = 0; i < resp->n_backups && deleted < HOSTS / 2 - 1; i++)
        if (strcmp(resp->backups[i]->host + 3, "000") &&
            strtol(resp->backups[i]->host + 3, NULL, 10) % 2 == 0) {
            ck_assert_int_eq(fn_store_backup_delete(dst, resp->backups[i]->id),
                             0);
            deleted++;
        }
    flexnet__v1__list_backups_response__free_unpacked(resp, NULL);
    fn_buf_t text;
    char latest[FN_STORE_ID_LEN + 1];
    fn_buf_init(&text, 0);
    ck_assert_int_eq(fn_store_backup_latest(dst, "dev000", latest), 0);
    ck_assert_int_eq(fn_store_backup_get(dst, latest, NULL, &text), 0);
    ck_assert_uint_eq(text.len, strlen(shared_config));
    ck_assert_int_eq(memcmp(text.data, shared_config, text.len), 0);
    fn_buf_cleanup(&text);

    Flexnet__V1__GetTaskResponse *g = NULL;
    ck_assert_int_eq(fn_store_task_get(dst, idb, FN_STORE_GET_CONNS, &g), 0);
    ck_assert_int_eq(g->task->status, DONE);
    ck_assert_str_eq(g->task->spec->shard_run, "run-1");
    ck_assert_uint_eq(g->task->spec->shard_index, 1);
    ck_assert_uint_eq(g->n_connections, HOSTS / 2);
    flexnet__v1__get_task_response__free_unpacked(g, NULL);
    fn_store_close(dst);
    tst_rmdir(a);
    tst_rmdir(b);
    tst_rmdir(d);
}
END_TEST

static void pin(fn_store_t *st, const char *host, const char *sha,
                int64_t first, int64_t last)
{
    Flexnet__V1__HostKey hk = FLEXNET__V1__HOST_KEY__INIT;
    hk.host = (char *)host;
    hk.type = "ssh-ed25519";
    hk.sha256 = (char *)sha;
    hk.first_seen_us = first;
    hk.last_seen_us = last;
    ck_assert_int_eq(fn_store_hostkey_replace(st, &hk), 0);
}

START_TEST(test_store_merge_overlapping_host_keys)
{
    const char *a = tst_tmpdir(0), *d = tst_tmpdir(2);
    fn_store_t *st = tst_open(a, 0, 0, 0);
    pin(st, "10.0.0.1:22", "SHA256:same", 100, 900);
    pin(st, "10.0.0.2:22", "SHA256:theirs", 100, 900);
    pin(st, "10.0.0.3:22", "SHA256:new", 100, 900);
    fn_store_close(st);
    fn_store_t *dst = tst_open(d, 0, 0, 0);
    pin(dst, "10.0.0.1:22", "SHA256:same", 200, 500);
    pin(dst, "10.0.0.2:22", "SHA256:ours", 50, 500);

    fn_store_merge_stats_t ms;
    merge_ok(dst, a, &ms);
    ck_assert_uint_eq(ms.hostkeys, 2); /* .1 widened, .3 new */
    ck_assert_uint_eq(ms.hostkey_conflicts, 1);
    ck_assert_str_eq(ms.conflict_host, "10.0.0.2:22");
    Flexnet__V1__HostKey *hk = NULL;
    ck_assert_int_eq(fn_store_hostkey_get(dst, "10.0.0.1:22", &hk), 0);
    ck_assert_int_eq(hk->first_seen_us, 100); /* the earlier sighting */
    flexnet__v1__host_key__free_unpacked(hk, NULL);
    ck_assert_int_eq(fn_store_hostkey_get(dst, "10.0.0.2:22", &hk), 0);
    ck_assert_str_eq(hk->sha256, "SHA256:ours"); /* the pin is kept */
    flexnet__v1__host_key__free_unpacked(hk, NULL);
    ck_assert_int_eq(fn_store_hostkey_get(dst, "10.0.0.3:22", &hk), 0);
    ck_assert_str_eq(hk->sha256, "SHA256:new");
    flexnet__v1__host_key__free_unpacked(hk, NULL);

    merge_ok(dst, a, &ms); /* again: the conflict again, nothing written */
    ck_assert_uint_eq(ms.hostkeys, 0);
    ck_assert_uint_eq(ms.hostkey_conflicts, 1);
    fn_store_close(dst);
    tst_rmdir(a);
    tst_rmdir(d);
}
END_TEST

START_TEST(test_store_merge_crashed_shard_reads_interrupted)
{
    const char *a = tst_tmpdir(0), *b = tst_tmpdir(1), *d = tst_tmpdir(2);
    char ida[FN_STORE_ID_LEN + 1], idb[FN_STORE_ID_LEN + 1];
    shard_store(a, 0, 2, ida);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) { /* shard 1 dies mid-task: no finish, no close */
        fn_store_t *c = NULL;
        if (fn_store_open(&c, b, 0))
            _exit(2);
        shard_fill(c, 1, 2, 0, idb);
        if (write(fds[1], idb, sizeof(idb)) != (ssize_t)sizeof(idb))
            _exit(3);
        _exit(0);
    }
    close(fds[1]);
    ck_assert_int_eq(read(fds[0], idb, sizeof(idb)), (ssize_t)sizeof(idb));
    close(fds[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);

    fn_store_t *dst = tst_open(d, 0, 0, 0);
    fn_store_merge_stats_t ms;
    merge_ok(dst, a, &ms);
    merge_ok(dst, b, &ms); /* the source stays as it was (read-only) */
    ck_assert_uint_eq(ms.interrupted, 1);
    Flexnet__V1__GetTaskResponse *g = NULL;
    ck_assert_int_eq(fn_store_task_get(dst, idb, FN_STORE_GET_CONNS, &g), 0);
    ck_assert_int_eq(g->task->status, INTERRUPTED);
    ck_assert_ptr_nonnull(strstr(g->task->error, "interrupted"));
    ck_assert_uint_eq(g->task->spec->shard_index, 1);
    ck_assert_uint_eq(g->task->spec->shard_count, 2);
    ck_assert_uint_eq(g->n_connections, HOSTS / 2); /* what it committed */
    flexnet__v1__get_task_response__free_unpacked(g, NULL);
    ck_assert_int_eq(fn_store_task_get(dst, ida, 0, &g), 0);
    ck_assert_int_eq(g->task->status, DONE);
    flexnet__v1__get_task_response__free_unpacked(g, NULL);
    merge_ok(dst, b, &ms); /* idempotent for the dead shard too */
    ck_assert_uint_eq(ms.tasks + ms.records + ms.backups, 0);
    fn_store_close(dst);
    tst_rmdir(a);
    tst_rmdir(b);
    tst_rmdir(d);
}
END_TEST

START_TEST(test_store_merge_refuses_same_store)
{
    const char *d = tst_tmpdir(2);
    fn_store_t *dst = tst_open(d, 0, 0, 0);
    fn_store_merge_stats_t ms;
    ck_assert_int_eq(fn_store_merge(dst, dst, &ms), FN_EPARSE);
    fn_store_close(dst);
    tst_rmdir(d);
}
END_TEST

static Suite *merge_suite(void)
{
    Suite *s = suite_create("store_merge");
    TCase *tc = tcase_create("merge");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_store_merge_shards_once_and_twice_changes_nothing);
    tcase_add_test(tc, test_store_merge_overlapping_host_keys);
    tcase_add_test(tc, test_store_merge_crashed_shard_reads_interrupted);
    tcase_add_test(tc, test_store_merge_refuses_same_store);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fn_check_run(merge_suite());
}
