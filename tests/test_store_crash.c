/*
 * test_store_crash.c — fn_store across processes and threads: a writer
 * killed with SIGKILL mid-task (nothing committed lost, the task reads
 * INTERRUPTED), a reader process following a live writer whose map grows,
 * two writer processes growing one map, and reader and sync threads
 * racing a writer thread that grows the map.
 * Synchronisation is by pipes and waitpid, never by sleeping.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fn_err.h"
#include "fn_store.h"
#include "fn_time.h"
#include "test_store_util.h"
#include "fn_check.h"

#define RUNNING     FLEXNET__V1__TASK_STATUS__TASK_STATUS_RUNNING
#define DONE        FLEXNET__V1__TASK_STATUS__TASK_STATUS_DONE
#define INTERRUPTED FLEXNET__V1__TASK_STATUS__TASK_STATUS_INTERRUPTED
#define DEADLINE_US (60 * 1000000LL)

/* What a child writer reports through its pipe. */
typedef struct report {
    char id[FN_STORE_ID_LEN + 1];
    uint64_t committed; /* log lines known committed */
} report_t;

static void write_all(int fd, const void *p, size_t n)
{
    if (write(fd, p, n) != (ssize_t)n)
        _exit(3);
}

static int read_report(int fd, report_t *r)
{
    size_t got = 0;
    while (got < sizeof(*r)) {
        ssize_t n = read(fd, (char *)r + got, sizeof(*r) - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

/* Child: one RUNNING task, logs and results in batches of 100; reports
 * after each flush. Runs `lines` lines (0: until killed), then finishes. */
static void child_writer(const char *dir, int fd, int go, uint64_t lines,
                         uint64_t map_size)
{
    fn_store_opts_t o = {.map_size = map_size, .batch_records = 100000};
    fn_store_t *st;
    if (fn_store_open_opts(&st, dir, &o) != 0)
        _exit(2);
    report_t r = {0};
    Flexnet__V1__Task t = FLEXNET__V1__TASK__INIT;
    t.name = "crash me";
    t.status = RUNNING;
    if (fn_store_task_create(st, &t, r.id) != 0)
        _exit(2);
    write_all(fd, &r, sizeof(r));
    char text[128];
    for (uint64_t i = 1; lines == 0 || i <= lines; i++) {
        Flexnet__V1__LogLine l = FLEXNET__V1__LOG_LINE__INIT;
        snprintf(text, sizeof(text), "log line %llu of a long task",
                 (unsigned long long)i);
        l.task_id = r.id;
        l.host = "r1";
        l.text = text;
        Flexnet__V1__CommandResult res = FLEXNET__V1__COMMAND_RESULT__INIT;
        res.task_id = r.id;
        res.host = "r1";
        res.seq = (uint32_t)i;
        res.stdout = text;
        if (fn_store_log_append(st, &l, NULL) != 0 ||
            fn_store_result_append(st, &res) != 0)
            _exit(4);
        if (i % 100 == 0) {
            if (fn_store_flush(st) != 0)
                _exit(5);
            r.committed = i;
            write_all(fd, &r, sizeof(r));
        }
    }
    char byte; /* the parent checks the task is RUNNING, then lets go */
    if (read(go, &byte, 1) != 1)
        _exit(7);
    Flexnet__V1__Summary s = FLEXNET__V1__SUMMARY__INIT;
    s.devices = 1;
    if (fn_store_task_finish(st, r.id, DONE, &s, NULL) != 0)
        _exit(6);
    r.committed = lines + 1; /* "finished" marker */
    write_all(fd, &r, sizeof(r));
    fn_store_close(st);
    _exit(0);
}

/* Forks a child_writer; *rfd reads its reports, *gofd releases it. */
static pid_t spawn_writer(const char *dir, uint64_t lines, uint64_t map,
                          int *rfd, int *gofd)
{
    int p[2], g[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(pipe(g), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        close(g[1]);
        child_writer(dir, p[1], g[0], lines, map);
    }
    close(p[1]);
    close(g[0]);
    *rfd = p[0];
    *gofd = g[1];
    return pid;
}

static int task_status(fn_store_t *st, const char *id)
{
    Flexnet__V1__GetTaskResponse *r;
    ck_assert_int_eq(fn_store_task_get(st, id, FN_STORE_GET_RESULTS, &r), 0);
    int status = r->task->status;
    flexnet__v1__get_task_response__free_unpacked(r, NULL);
    return status;
}

START_TEST(test_store_kill9_mid_task_loses_nothing_committed)
{
    const char *dir = tst_tmpdir(0);
    int fd, go;
    pid_t pid = spawn_writer(dir, 0, 0, &fd, &go);
    report_t r, last = {0};
    ck_assert_int_eq(read_report(fd, &r), 0);
    /* let it commit a few thousand lines, then kill it mid-stream */
    while (last.committed < 3000) {
        ck_assert_int_eq(read_report(fd, &r), 0);
        last = r;
    }
    ck_assert_int_eq(kill(pid, SIGKILL), 0);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(fd);
    close(go);

    /* a reader sees the dead writer's task as interrupted */
    fn_store_t *st;
    ck_assert_int_eq(fn_store_open(&st, dir, FN_STORE_RDONLY), 0);
    ck_assert_int_eq(task_status(st, last.id), INTERRUPTED);
    Flexnet__V1__ListTasksRequest q = FLEXNET__V1__LIST_TASKS_REQUEST__INIT;
    q.status = INTERRUPTED; /* lists agree with get */
    Flexnet__V1__ListTasksResponse *l;
    ck_assert_int_eq(fn_store_task_list(st, &q, &l), 0);
    ck_assert_uint_eq(l->n_tasks, 1);
    ck_assert_str_eq(l->tasks[0]->id, last.id);
    flexnet__v1__list_tasks_response__free_unpacked(l, NULL);
    uint64_t n = tst_count_logs(st, last.id);
    ck_assert_uint_ge(n, last.committed);
    fn_store_stats_t s;
    ck_assert_int_eq(fn_store_stats(st, &s), 0);
    ck_assert_uint_ge(s.results, last.committed);
    ck_assert_uint_eq(s.live, 1);
    fn_store_close(st);

    /* a writer makes it final */
    st = tst_open(dir, 0, 0, 0);
    ck_assert_int_eq(fn_store_stats(st, &s), 0);
    ck_assert_uint_eq(s.live, 0);
    Flexnet__V1__GetTaskResponse *g;
    ck_assert_int_eq(fn_store_task_get(st, last.id, 0, &g), 0);
    ck_assert_int_eq(g->task->status, INTERRUPTED);
    ck_assert_int_gt(g->task->finished_us, 0);
    flexnet__v1__get_task_response__free_unpacked(g, NULL);
    ck_assert_uint_eq(tst_count_logs(st, last.id), n);
    /* and the store keeps working: the log continues after the crash */
    tst_log(st, last.id, "r1", "after the crash");
    ck_assert_int_eq(fn_store_flush(st), 0);
    ck_assert_uint_eq(tst_count_logs(st, last.id), n + 1);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

START_TEST(test_store_reader_process_follows_growing_writer)
{
    const char *dir = tst_tmpdir(0);
    int fd, go;
    const uint64_t total = 20000;
    /* tiny map: the writer grows it while this process reads */
    pid_t pid = spawn_writer(dir, total, 128u << 10, &fd, &go);
    report_t r;
    ck_assert_int_eq(read_report(fd, &r), 0);
    /* a small map here too: the writer's growth must reach this reader */
    fn_store_opts_t o = {.flags = FN_STORE_RDONLY, .map_size = 128u << 10};
    fn_store_t *st;
    ck_assert_int_eq(fn_store_open_opts(&st, dir, &o), 0);
    uint64_t seen = 0, reads = 0;
    int64_t deadline = fn_time_mono_us() + DEADLINE_US;
    while (r.committed < total) {
        ck_assert_int_eq(read_report(fd, &r), 0);
        if (r.committed % 1000 && r.committed < total)
            continue; /* a full read every 10th report is plenty */
        uint64_t n = tst_count_logs(st, r.id); /* gapless, in order */
        ck_assert_uint_ge(n, seen);
        ck_assert_uint_ge(n, r.committed);
        seen = n;
        reads++;
        ck_assert_int_lt(fn_time_mono_us(), deadline);
    }
    /* the writer waits for us: alive, so its task is not "interrupted" */
    ck_assert_int_eq(task_status(st, r.id), RUNNING);
    ck_assert_int_eq(write(go, "g", 1), 1);
    ck_assert_int_eq(read_report(fd, &r), 0);
    ck_assert_uint_eq(r.committed, total + 1);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_uint_eq(seen, total);
    ck_assert_uint_ge(reads, 10);
    ck_assert_int_eq(task_status(st, r.id), DONE);
    fn_store_stats_t s;
    ck_assert_int_eq(fn_store_stats(st, &s), 0);
    ck_assert_uint_gt(s.map_size, 128u << 10);
    fn_store_close(st);
    close(fd);
    close(go);
    tst_rmdir(dir);
}
END_TEST

START_TEST(test_store_two_writer_processes_grow_one_map)
{
    const char *dir = tst_tmpdir(0);
    const uint64_t total = 8000;
    int fd[2], go[2];
    pid_t pid[2];
    report_t r[2];
    /* the first creates the store, then both race on a tiny map */
    for (int i = 0; i < 2; i++) {
        pid[i] = spawn_writer(dir, total, 128u << 10, &fd[i], &go[i]);
        ck_assert_int_eq(read_report(fd[i], &r[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        while (r[i].committed < total)
            ck_assert_int_eq(read_report(fd[i], &r[i]), 0);
        ck_assert_int_eq(write(go[i], "g", 1), 1);
    }
    for (int i = 0; i < 2; i++) {
        int status;
        ck_assert_int_eq(read_report(fd[i], &r[i]), 0);
        ck_assert_uint_eq(r[i].committed, total + 1);
        ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(fd[i]);
        close(go[i]);
    }
    fn_store_t *st;
    ck_assert_int_eq(fn_store_open(&st, dir, FN_STORE_RDONLY), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(task_status(st, r[i].id), DONE);
        ck_assert_uint_eq(tst_count_logs(st, r[i].id), total);
    }
    fn_store_stats_t s;
    ck_assert_int_eq(fn_store_stats(st, &s), 0);
    ck_assert_uint_eq(s.results, 2 * total);
    ck_assert_uint_eq(s.live, 0);
    fn_store_close(st);
    tst_rmdir(dir);
}
END_TEST

/* ---- threads ----------------------------------------------------------- */

typedef struct race {
    fn_store_t *st;
    char id[FN_STORE_ID_LEN + 1];
    volatile int done;
    int errors;
} race_t;

static void *race_reader(void *arg)
{
    race_t *r = arg;
    while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
        Flexnet__V1__ListTasksRequest q = FLEXNET__V1__LIST_TASKS_REQUEST__INIT;
        Flexnet__V1__ListTasksResponse *l;
        if (fn_store_task_list(r->st, &q, &l) != 0) {
            __atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
            continue;
        }
        flexnet__v1__list_tasks_response__free_unpacked(l, NULL);
        Flexnet__V1__GetTaskResponse *g;
        if (fn_store_task_get(r->st, r->id, FN_STORE_GET_RESULTS, &g) != 0)
            __atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
        else
            flexnet__v1__get_task_response__free_unpacked(g, NULL);
    }
    return NULL;
}

/* The helper-thread sync pattern: fsync away from the appending thread. */
static void *race_syncer(void *arg)
{
    race_t *r = arg;
    while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
        if (fn_store_sync(r->st) != 0)
            __atomic_add_fetch(&r->errors, 1, __ATOMIC_RELAXED);
    return NULL;
}

START_TEST(test_store_threads_read_while_writer_grows_map)
{
    const char *dir = tst_tmpdir(0);
    race_t r = {.st = tst_open(dir, 128u << 10, 0, 500)};
    tst_task(r.st, "race", RUNNING, r.id);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(
            pthread_create(&th[i], NULL, i < 3 ? race_reader : race_syncer, &r),
            0);
    char text[300];
    memset(text, 'z', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    for (int i = 0; i < 20000; i++) {
        tst_log(r.st, r.id, "r1", text);
        if (i % 1000 == 999) {
            Flexnet__V1__Summary s = FLEXNET__V1__SUMMARY__INIT;
            s.commands = (uint32_t)i;
            ck_assert_int_eq(fn_store_task_set_summary(r.st, r.id, &s), 0);
        }
    }
    ck_assert_int_eq(fn_store_flush(r.st), 0);
    __atomic_store_n(&r.done, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(r.errors, 0);
    ck_assert_uint_eq(tst_count_logs(r.st, r.id), 20000);
    fn_store_stats_t s;
    ck_assert_int_eq(fn_store_stats(r.st, &s), 0);
    ck_assert_uint_gt(s.map_size, 4u << 20);
    fn_store_close(r.st);
    tst_rmdir(dir);
}
END_TEST

static Suite *crash_suite(void)
{
    Suite *s = suite_create("store_crash");
    TCase *tc = tcase_create("processes");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_store_kill9_mid_task_loses_nothing_committed);
    tcase_add_test(tc, test_store_reader_process_follows_growing_writer);
    tcase_add_test(tc, test_store_two_writer_processes_grow_one_map);
    tcase_add_test(tc, test_store_threads_read_while_writer_grows_map);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return fn_check_run(crash_suite());
}
