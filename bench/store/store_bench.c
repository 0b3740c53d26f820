/*
 * store_bench.c — throughput of fn_store on this machine: log lines and
 * command results appended through the group-commit batch, 50 KB config
 * backups saved (all distinct, and unchanged since the last backup),
 * task creation, and the newest 50 of 1,000,000 tasks listed.
 *
 * Prints the figures and writes bench/results/store.md and store.json
 * (or the directory given with -o). Does not: run under ctest, keep its
 * scratch store (removed at the end unless -k). Single thread. Owns the
 * store and the scratch directory.
 *
 *   fn-bench-store [-q] [-k] [-o DIR]    -q: a tenth of every N (smoke)
 */
#include "fn_err.h"
#include "fn_store.h"
#include "fn_time.h"

#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#ifndef FN_BENCH_RESULTS
#define FN_BENCH_RESULTS "bench/results"
#endif

typedef struct figures {
    uint64_t n_logs, n_results, n_backups, n_tasks;
    double logs_s, results_s, backups_unique_s, backups_same_s, tasks_s;
    double list_first_us, list_p50_us, list_p99_us, list_max_us;
    double sync_mean_ms, sync_max_ms;
    double cfg_kb;
    double load1; /* 1-minute load average at the start: 2 cores shared */
    double logs_cpu_us, results_cpu_us, tasks_cpu_us; /* per record */
    uint64_t blobs, used_mb;
} figures_t;

static void die(const char *what, int rc, fn_store_t *st)
{
    fprintf(stderr, "store bench: %s: %s (%s)\n", what, fn_strerror(rc),
            st ? fn_store_reason(st) : "");
    exit(1);
}

/* User + system CPU of this process, µs: a figure the other builds on
 * the shared cores do not bend as much as wall time. */
static int64_t cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
           ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static double per_rec(int64_t us, uint64_t n)
{
    return n ? (double)us / (double)n : 0;
}

static double per_s(uint64_t n, int64_t us)
{
    return us > 0 ? (double)n * 1e6 / (double)us : 0;
}

/* ---- the workloads ----------------------------------------------------- */

static double bench_logs(fn_store_t *st, const char *task, uint64_t n)
{
    Flexnet__V1__LogLine l = FLEXNET__V1__LOG_LINE__INIT;
    char text[128];
    l.task_id = (char *)task;
    l.level = 2;
    l.text = text;
    int64_t t0 = fn_time_mono_us();
    for (uint64_t i = 0; i < n; i++) {
        char host[16];
        snprintf(host, sizeof(host), "r%04u", (unsigned)(i % 5000));
        snprintf(text, sizeof(text),
                 "%s: show version: 24 lines, exit 0 (seq %llu)", host,
                 (unsigned long long)i);
        l.host = host;
        int rc = fn_store_log_append(st, &l, NULL);
        if (rc)
            die("log append", rc, st);
    }
    int rc = fn_store_flush(st);
    if (rc)
        die("flush", rc, st);
    return per_s(n, fn_time_mono_us() - t0);
}

/* Results arrive host after host in no key order, as devices finish. */
static double bench_results(fn_store_t *st, const char *task, uint64_t n)
{
    static const char out[] =
        "Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version "
        "15.0(2)SE11, RELEASE SOFTWARE (fc3)\nROM: Bootstrap program is "
        "C2960 boot loader\nuptime is 5 weeks, 2 days, 3 hours\n";
    Flexnet__V1__CommandResult r = FLEXNET__V1__COMMAND_RESULT__INIT;
    r.task_id = (char *)task;
    r.command = "show version";
    r.stdout = (char *)out;
    const unsigned hosts = 10000;
    int64_t t0 = fn_time_mono_us();
    for (uint64_t i = 0; i < n; i++) {
        char host[16];
        /* a stride co-prime with the host count scatters the keys */
        snprintf(host, sizeof(host), "r%05u", (unsigned)((i * 7919) % hosts));
        r.host = host;
        r.seq = (uint32_t)(i / hosts);
        r.started_us = (int64_t)i;
        r.duration_us = 1500;
        int rc = fn_store_result_append(st, &r);
        if (rc)
            die("result append", rc, st);
    }
    int rc = fn_store_flush(st);
    if (rc)
        die("flush", rc, st);
    return per_s(n, fn_time_mono_us() - t0);
}

/* A ~50 KB running-config of one host. */
static size_t make_config(char *buf, size_t cap, unsigned host, unsigned rev)
{
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n,
                          "!\n! Last configuration change rev %u\n!\n"
                          "hostname r%05u\n!\n",
                          rev, host);
    for (unsigned i = 0; n + 200 < cap && n < 50 * 1024; i++)
        n += (size_t)snprintf(buf + n, cap - n,
                              "interface GigabitEthernet0/%u\n"
                              " description uplink %u of r%05u\n"
                              " ip address 10.%u.%u.1 255.255.255.0\n"
                              " no shutdown\n!\n",
                              i, i, host, host % 250, i % 250);
    return n;
}

static double bench_backups(fn_store_t *st, const char *task, uint64_t n,
                            int unique, double *kb)
{
    size_t cap = 64 * 1024;
    char *cfg = malloc(cap);
    Flexnet__V1__Backup b = FLEXNET__V1__BACKUP__INIT;
    b.task_id = (char *)task;
    b.vendor = "cisco_ios";
    b.command = "show running-config";
    b.target = "local";
    char id[FN_STORE_ID_LEN + 1];
    int64_t spent = 0;
    /* unchanged: a first, untimed round gives every host its config */
    uint64_t warm = unique ? 0 : 1000;
    for (uint64_t i = 0; i < n + warm; i++) {
        unsigned host = (unsigned)(i % 1000);
        /* unique: a new revision each time; same: rev 0, already saved */
        size_t len = make_config(cfg, cap, host, unique ? (unsigned)i : 0);
        *kb = (double)len / 1024.0;
        char hn[16];
        snprintf(hn, sizeof(hn), "r%05u", host);
        b.host = hn;
        int64_t t0 = fn_time_mono_us();
        int rc = fn_store_backup_save(st, &b, cfg, len, id);
        if (i >= warm)
            spent += fn_time_mono_us() - t0;
        if (rc)
            die("backup save", rc, st);
    }
    free(cfg);
    return per_s(n, spent);
}

static double bench_tasks(fn_store_t *st, uint64_t n)
{
    Flexnet__V1__Step step = FLEXNET__V1__STEP__INIT;
    char *cmds[] = {"show version", "show running-config"};
    step.kind = FLEXNET__V1__STEP_KIND__STEP_KIND_COMMANDS;
    step.n_commands = 2;
    step.commands = cmds;
    Flexnet__V1__Step *steps[] = {&step};
    Flexnet__V1__TaskSpec spec = FLEXNET__V1__TASK_SPEC__INIT;
    char *groups[] = {"core"};
    spec.n_groups = 1;
    spec.groups = groups;
    spec.n_steps = 1;
    spec.steps = steps;
    Flexnet__V1__Task t = FLEXNET__V1__TASK__INIT;
    t.spec = &spec;
    t.owner = "bench";
    t.status = FLEXNET__V1__TASK_STATUS__TASK_STATUS_DONE;
    char name[48], id[FN_STORE_ID_LEN + 1];
    t.name = name;
    int64_t t0 = fn_time_mono_us();
    for (uint64_t i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "nightly backup %llu",
                 (unsigned long long)i);
        int rc = fn_store_task_create(st, &t, id);
        if (rc)
            die("task create", rc, st);
    }
    return per_s(n, fn_time_mono_us() - t0);
}

/* What fn_store_sync (task finish, close) costs after a 1,000-line
 * batch: the fsync the reactor would wait for. */
static void bench_sync(fn_store_t *st, const char *task, figures_t *f)
{
    enum { ROUNDS = 20 };
    double sum = 0, max = 0;
    for (int i = 0; i < ROUNDS; i++) {
        bench_logs(st, task, 1000);
        int64_t t0 = fn_time_mono_us();
        int rc = fn_store_sync(st);
        double ms = (double)(fn_time_mono_us() - t0) / 1000.0;
        if (rc)
            die("sync", rc, st);
        sum += ms;
        max = ms > max ? ms : max;
    }
    f->sync_mean_ms = sum / ROUNDS;
    f->sync_max_ms = max;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void bench_list(fn_store_t *st, figures_t *f)
{
    enum { ROUNDS = 2000 };
    static double lat[ROUNDS];
    Flexnet__V1__ListTasksRequest q = FLEXNET__V1__LIST_TASKS_REQUEST__INIT;
    q.page_size = 50;
    for (int i = 0; i < ROUNDS; i++) {
        Flexnet__V1__ListTasksResponse *r;
        int64_t t0 = fn_time_mono_us();
        int rc = fn_store_task_list(st, &q, &r);
        lat[i] = (double)(fn_time_mono_us() - t0);
        if (rc || r->n_tasks != 50)
            die("list", rc ? rc : FN_EINTERNAL, st);
        flexnet__v1__list_tasks_response__free_unpacked(r, NULL);
    }
    f->list_first_us = lat[0];
    qsort(lat, ROUNDS, sizeof(lat[0]), cmp_d);
    f->list_p50_us = lat[ROUNDS / 2];
    f->list_p99_us = lat[ROUNDS * 99 / 100];
    f->list_max_us = lat[ROUNDS - 1];
}

/* ---- output ------------------------------------------------------------ */

static void write_results(const char *dir, const figures_t *f, int quick)
{
    char path[1024], when[32];
    struct utsname u;
    uname(&u);
    fn_time_format(fn_time_wall_us(), when, sizeof(when));
    snprintf(path, sizeof(path), "%s/store.json", dir);
    FILE *j = fopen(path, "w");
    if (!j) {
        perror(path);
        return;
    }
    fprintf(
        j,
        "{\"date\": \"%s UTC\", \"machine\": \"%s %s\", \"quick\": %d,\n"
        " \"load_avg_1m_at_start\": %.2f,\n"
        " \"log_append\": {\"n\": %llu, \"per_s\": %.0f, \"cpu_us\": %.2f},\n"
        " \"result_append\": {\"n\": %llu, \"per_s\": %.0f, \"cpu_us\": "
        "%.2f},\n"
        " \"backup_save_50kb\": {\"n\": %llu, \"kb\": %.1f, "
        "\"unique_per_s\": %.0f, \"unchanged_per_s\": %.0f, "
        "\"blobs\": %llu},\n"
        " \"task_create\": {\"n\": %llu, \"per_s\": %.0f, \"cpu_us\": %.2f},\n"
        " \"list_newest_50\": {\"of\": %llu, \"first_us\": %.0f, "
        "\"p50_us\": %.0f, \"p99_us\": %.0f, \"max_us\": %.0f},\n"
        " \"sync_after_1000_lines_ms\": {\"mean\": %.2f, \"max\": %.2f},\n"
        " \"db_used_mb\": %llu}\n",
        when, u.sysname, u.machine, quick, f->load1,
        (unsigned long long)f->n_logs, f->logs_s, f->logs_cpu_us,
        (unsigned long long)f->n_results, f->results_s, f->results_cpu_us,
        (unsigned long long)f->n_backups, f->cfg_kb, f->backups_unique_s,
        f->backups_same_s, (unsigned long long)f->blobs,
        (unsigned long long)f->n_tasks, f->tasks_s, f->tasks_cpu_us,
        (unsigned long long)f->n_tasks, f->list_first_us, f->list_p50_us,
        f->list_p99_us, f->list_max_us, f->sync_mean_ms, f->sync_max_ms,
        (unsigned long long)f->used_mb);
    fclose(j);
    snprintf(path, sizeof(path), "%s/store.md", dir);
    FILE *m = fopen(path, "w");
    if (!m) {
        perror(path);
        return;
    }
    fprintf(m,
            "# store benchmark (bench/store, fn-bench-store%s)\n\n"
            "%s UTC, %s %s, 2 cores shared with the other builds (load "
            "average %.1f at the start), ext4 on a virtio disk. One thread; "
            "MDB_NOSYNC commits, at most one sync per second (the "
            "default).\n\n"
            "| workload | N | result | target |\n|---|---:|---:|---:|\n"
            "| log lines appended (batched, group commit) | %llu | %.0f /s "
            "(%.2f µs CPU each) | >= 500,000 /s |\n"
            "| command results appended (10,000 hosts interleaved) | "
            "%llu | %.0f /s (%.2f µs CPU each) | >= 200,000 /s |\n"
            "| backup saves, %.0f KB configs, every one new | %llu | %.0f "
            "/s | >= 2,000 /s |\n"
            "| backup saves, %.0f KB configs, unchanged since last "
            "(dedup) | %llu | %.0f /s | |\n"
            "| task create (one commit each) | %llu | %.0f /s (%.2f µs CPU "
            "each) | |\n"
            "| newest 50 of %llu tasks listed: p50 / p99 / max | 2,000 "
            "calls | %.0f / %.0f / %.0f µs (first %.0f µs) | < 1 ms |\n\n"
            "Distinct blobs after all backup saves: %llu. Store size: "
            "%llu MB.\n\n"
            "Durability: a commit survives kill -9 at once (the page cache "
            "has it); it survives power loss after the next sync. "
            "fn_store_sync after a 1,000-line batch took %.2f ms on "
            "average, %.2f ms at most (20 runs): the price of the sync "
            "at task finish and of FN_STORE_DURABLE per commit.\n",
            quick ? " -q: a tenth of every N" : "", when, u.sysname, u.machine,
            f->load1, (unsigned long long)f->n_logs, f->logs_s, f->logs_cpu_us,
            (unsigned long long)f->n_results, f->results_s, f->results_cpu_us,
            f->cfg_kb, (unsigned long long)f->n_backups, f->backups_unique_s,
            f->cfg_kb, (unsigned long long)f->n_backups, f->backups_same_s,
            (unsigned long long)f->n_tasks, f->tasks_s, f->tasks_cpu_us,
            (unsigned long long)f->n_tasks, f->list_p50_us, f->list_p99_us,
            f->list_max_us, f->list_first_us, (unsigned long long)f->blobs,
            (unsigned long long)f->used_mb, f->sync_mean_ms, f->sync_max_ms);
    fclose(m);
}

static int rm_one(const char *p, const struct stat *sb, int fl, struct FTW *ftw)
{
    (void)sb;
    (void)fl;
    (void)ftw;
    return remove(p);
}

int main(int argc, char **argv)
{
    int quick = 0, keep = 0, c;
    const char *out = FN_BENCH_RESULTS;
    while ((c = getopt(argc, argv, "qko:")) != -1) {
        if (c == 'q')
            quick = 1;
        else if (c == 'k')
            keep = 1;
        else if (c == 'o')
            out = optarg;
        else
            return 2;
    }
    uint64_t scale = quick ? 10 : 1;
    figures_t f = {.n_logs = 2000000 / scale,
                   .n_results = 1000000 / scale,
                   .n_backups = 5000 / scale,
                   .n_tasks = 1000000 / scale};
    double load[1] = {0};
    if (getloadavg(load, 1) == 1)
        f.load1 = load[0];
    char dir[] = "/tmp/fn-bench-store-XXXXXX";
    if (!mkdtemp(dir))
        die("mkdtemp", FN_EINTERNAL, NULL);
    fn_store_t *st;
    int rc = fn_store_open(&st, dir, 0);
    if (rc)
        die("open", rc, NULL);
    char task[FN_STORE_ID_LEN + 1];
    Flexnet__V1__Task t = FLEXNET__V1__TASK__INIT;
    t.name = "bench";
    t.status = FLEXNET__V1__TASK_STATUS__TASK_STATUS_RUNNING;
    if ((rc = fn_store_task_create(st, &t, task)) != 0)
        die("task", rc, st);

    int64_t c0 = cpu_us();
    f.logs_s = bench_logs(st, task, f.n_logs);
    f.logs_cpu_us = per_rec(cpu_us() - c0, f.n_logs);
    printf("log append:      %10.0f /s  (%llu lines)\n", f.logs_s,
           (unsigned long long)f.n_logs);
    c0 = cpu_us();
    f.results_s = bench_results(st, task, f.n_results);
    f.results_cpu_us = per_rec(cpu_us() - c0, f.n_results);
    printf("result append:   %10.0f /s  (%llu results)\n", f.results_s,
           (unsigned long long)f.n_results);
    f.backups_unique_s = bench_backups(st, task, f.n_backups, 1, &f.cfg_kb);
    printf("backup (new):    %10.0f /s  (%llu x %.1f KB)\n", f.backups_unique_s,
           (unsigned long long)f.n_backups, f.cfg_kb);
    f.backups_same_s = bench_backups(st, task, f.n_backups, 0, &f.cfg_kb);
    printf("backup (same):   %10.0f /s\n", f.backups_same_s);
    c0 = cpu_us();
    f.tasks_s = bench_tasks(st, f.n_tasks - 1);
    f.tasks_cpu_us = per_rec(cpu_us() - c0, f.n_tasks - 1);
    printf("task create:     %10.0f /s  (%llu tasks)\n", f.tasks_s,
           (unsigned long long)f.n_tasks);
    bench_list(st, &f);
    printf("list newest 50:  p50 %.0f us, p99 %.0f us, max %.0f us "
           "(first %.0f us)\n",
           f.list_p50_us, f.list_p99_us, f.list_max_us, f.list_first_us);
    bench_sync(st, task, &f);
    printf("sync:            mean %.2f ms, max %.2f ms\n", f.sync_mean_ms,
           f.sync_max_ms);
    fn_store_stats_t s;
    if (fn_store_stats(st, &s) == 0) {
        f.blobs = s.blobs;
        f.used_mb = s.used_size >> 20;
    }
    fn_store_task_finish(st, task, FLEXNET__V1__TASK_STATUS__TASK_STATUS_DONE,
                         NULL, NULL);
    fn_store_close(st);
    write_results(out, &f, quick);
    if (!keep)
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    else
        printf("store kept in %s\n", dir);
    return 0;
}
