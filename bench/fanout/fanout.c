/*
 * fanout.c — the fan-out benchmark driver: runs one engine task over an
 * inventory (connect, paging off, show version, running config) and
 * prints devices/s, engine CPU µs per device, peak RSS, RSS per
 * concurrent session and p50/p99 command latency as one JSON object.
 *
 * Does not: start the simulator (bench/fanout/run.py does), write the
 * results files (run.py does). Single-threaded: the engine's reactor.
 * Owns: the engine, the vendor registry, the inventory, the latencies.
 */
#include "fn_engine.h"
#include "fn_err.h"
#include "fn_inventory.h"
#include "fn_time.h"
#include "fn_vendor.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct bench {
    int64_t *lat; /* command durations, µs */
    size_t nlat, caplat;
    unsigned results, errors, conn_ok, conn_fail, backups;
    int verbose;
    int status;
} bench_t;

static void on_conn(fn_task_t *t, const fn_conn_report_t *r, void *arg)
{
    bench_t *b = arg;
    if (r->status == FN_CONNECT_OK)
        b->conn_ok++;
    else
        b->conn_fail++;
    if (b->verbose && r->status != FN_CONNECT_OK)
        fprintf(stderr, "conn %s: %s\n", r->host, r->reason);
}

static void on_result(fn_task_t *t, const fn_cmd_result_t *r, void *arg)
{
    bench_t *b = arg;
    if (r->exit_code == FN_EXIT_SKIPPED)
        return; /* another vendor's spelling */
    b->results++;
    if (r->exit_code != 0) {
        b->errors++;
        if (b->verbose)
            fprintf(stderr, "result %s '%s': %d %s %.*s\n", r->host, r->command,
                    r->exit_code, r->reason, (int)r->err_len, r->err);
    }
    if (b->nlat == b->caplat) {
        size_t n = b->caplat ? b->caplat * 2 : 4096;
        int64_t *p = realloc(b->lat, n * sizeof(*p));
        if (!p)
            return;
        b->lat = p;
        b->caplat = n;
    }
    b->lat[b->nlat++] = r->duration_us;
}

static void on_backup(fn_task_t *t, const fn_backup_t *bk, void *arg)
{
    ((bench_t *)arg)->backups++;
}

static void on_summary(fn_task_t *t, const fn_summary_t *s, void *arg)
{
    ((bench_t *)arg)->status = s->status;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static long rss_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = 0;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, field, n))
            v = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void usage(void)
{
    fprintf(stderr, "usage: fanout --inventory FILE [--concurrency N] "
                    "[--handshakes N] [--password P] [--cmd C]... "
                    "[--no-backup] [--verbose]\n");
    exit(2);
}

typedef struct args {
    const char *inventory, *password, *enable, *ciphers;
    int connect_first;
    const char *cmds[16];
    size_t ncmds;
    unsigned concurrency, handshakes;
    int backup, verbose;
} args_t;

static void parse_args(args_t *a, int argc, char **argv)
{
    static const struct option opts[] = {{"inventory", 1, 0, 'i'},
                                         {"concurrency", 1, 0, 'c'},
                                         {"handshakes", 1, 0, 'k'},
                                         {"password", 1, 0, 'p'},
                                         {"cmd", 1, 0, 'x'},
                                         {"no-backup", 0, 0, 'n'},
                                         {"verbose", 0, 0, 'v'},
                                         {"enable-password", 1, 0, 'e'},
                                         {"ciphers", 1, 0, 'C'},
                                         {"connect-first", 0, 0, 'F'},
                                         {0, 0, 0, 0}};
    int c;
    a->password = "admin";
    a->enable = "enable";
    a->backup = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            a->inventory = optarg;
            break;
        case 'c':
            a->concurrency = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'k':
            a->handshakes = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'p':
            a->password = optarg;
            break;
        case 'x':
            if (a->ncmds < 16)
                a->cmds[a->ncmds++] = optarg;
            break;
        case 'n':
            a->backup = 0;
            break;
        case 'e':
            a->enable = optarg;
            break;
        case 'C':
            a->ciphers = optarg;
            break;
        case 'F':
            a->connect_first = 1;
            break;
        case 'v':
            a->verbose = 1;
            break;
        default:
            usage();
        }
    }
    if (!a->inventory)
        usage();
}

/* "show version" by vendor: one step per spelling, each only_on the
 * hosts that speak it (the others get exit -2, not timed), then the
 * backup (running config). --cmd replaces the show step. */
static const char *const show_cmds[3] = {"show version", "display version",
                                         "/system resource print"};

static int show_kind(const char *vendor)
{
    if (!strcmp(vendor, "huawei_vrp"))
        return 1;
    if (!strcmp(vendor, "mikrotik_routeros"))
        return 2;
    return 0;
}

static size_t build_steps(args_t *a, const fn_host_t **hosts, size_t n,
                          fn_step_t *steps, const char **only[3])
{
    size_t k = 0;
    if (a->ncmds) {
        steps[k++] = (fn_step_t){.kind = FN_STEP_COMMANDS,
                                 .commands = a->cmds,
                                 .ncommands = a->ncmds};
    } else {
        size_t cnt[3] = {0};
        for (int v = 0; v < 3; v++)
            only[v] = calloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
            int v = show_kind(fn_host_vendor(hosts[i]));
            only[v][cnt[v]++] = fn_host_name(hosts[i]);
        }
        for (int v = 0; v < 3; v++)
            if (cnt[v])
                steps[k++] = (fn_step_t){.kind = FN_STEP_COMMANDS,
                                         .commands = &show_cmds[v],
                                         .ncommands = 1,
                                         .only_on = only[v],
                                         .nonly_on = cnt[v]};
    }
    if (a->backup)
        steps[k++] = (fn_step_t){.kind = FN_STEP_BACKUP};
    return k;
}

/* What one run measured, for the JSON line. */
typedef struct measure {
    size_t devices;
    double wall, cpu;
    long rss0, hwm;
    unsigned peak;
} measure_t;

static void report(bench_t *b, const measure_t *m)
{
    qsort(b->lat, b->nlat, sizeof(int64_t), cmp64);
    int64_t p50 = b->nlat ? b->lat[b->nlat / 2] : 0;
    int64_t p99 = b->nlat ? b->lat[(b->nlat * 99) / 100] : 0;
    size_t n = m->devices ? m->devices : 1;
    printf("{\"devices\": %zu, \"connected\": %u, \"failed\": %u, "
           "\"results\": %u, \"errors\": %u, \"backups\": %u, "
           "\"wall_s\": %.3f, \"devices_per_s\": %.1f, "
           "\"cpu_us_per_device\": %.1f, \"peak_sessions\": %u, "
           "\"rss_base_kb\": %ld, \"rss_peak_kb\": %ld, "
           "\"rss_per_session_kb\": %.1f, \"p50_ms\": %.2f, "
           "\"p99_ms\": %.2f}\n",
           m->devices, b->conn_ok, b->conn_fail, b->results, b->errors,
           b->backups, m->wall, m->devices / m->wall, m->cpu * 1e6 / n, m->peak,
           m->rss0, m->hwm, m->peak ? (double)(m->hwm - m->rss0) / m->peak : 0,
           p50 / 1000.0, p99 / 1000.0);
}

/* Runs the task to its summary and measures it. Returns 0 or -1. */
static int run(fn_engine_t *e, const fn_task_spec_t *spec, bench_t *b,
               measure_t *m)
{
    fn_sink_t sink = {.on_connection = on_conn,
                      .on_result = on_result,
                      .on_backup = on_backup,
                      .on_summary = on_summary,
                      .arg = b};
    char err[512];
    m->devices = spec->nhosts;
    m->rss0 = rss_kb("VmRSS:");
    double cpu0 = cpu_s();
    int64_t t0 = fn_time_mono_us();
    if (fn_task_start(e, spec, &sink, NULL, err, sizeof(err)) < 0) {
        fprintf(stderr, "fanout: %s\n", err);
        return -1;
    }
    fn_engine_run(e);
    m->wall = (double)(fn_time_mono_us() - t0) / 1e6;
    m->cpu = cpu_s() - cpu0;
    fn_engine_stats_t st;
    fn_engine_stats(e, &st);
    m->peak = st.sessions_peak;
    m->hwm = rss_kb("VmHWM:");
    return 0;
}

int main(int argc, char **argv)
{
    args_t a = {0};
    parse_args(&a, argc, argv);
    char err[512];
    fn_vendors_t *vs = NULL;
    fn_inventory_t *inv = NULL;
    const fn_host_t **hosts = NULL;
    size_t nhosts = 0;
    if (fn_vendors_new(&vs, NULL, err, sizeof(err)) < 0 ||
        fn_inventory_load(&inv, a.inventory, 0, vs, err, sizeof(err)) < 0 ||
        fn_inventory_select(inv, NULL, 0, NULL, 0, &hosts, &nhosts, err,
                            sizeof(err)) < 0) {
        fprintf(stderr, "fanout: %s\n", err);
        return 1;
    }
    fn_engine_opts_t eo;
    fn_engine_opts_init(&eo);
    eo.progress_ms = 0;
    if (a.handshakes)
        eo.max_handshakes = a.handshakes;
    eo.ciphers = a.ciphers;
    fn_engine_t *e = NULL;
    if (fn_engine_new(&e, NULL, vs, &eo) < 0)
        return 1;
    const char **only[3];
    fn_step_t steps[4];
    size_t nsteps = build_steps(&a, hosts, nhosts, steps, only);
    fn_task_spec_t spec = {
        .task_id = "bench",
        .hosts = hosts,
        .nhosts = nhosts,
        .steps = steps,
        .nsteps = nsteps,
        .concurrency = a.concurrency,
        .mode = a.connect_first ? FN_MODE_CONNECT_FIRST : FN_MODE_PIPELINED,
        .connect_timeout_ms = 60000,
        .auth_timeout_ms = 60000,
        .command_timeout_ms = 60000,
        .creds = {.password = a.password, .enable_password = a.enable}};
    bench_t b = {.verbose = a.verbose};
    measure_t m = {0};
    int rc = run(e, &spec, &b, &m);
    if (rc == 0)
        report(&b, &m);
    fn_engine_free(e);
    free(hosts);
    free(b.lat);
    for (int v = 0; !a.ncmds && v < 3; v++)
        free(only[v]);
    fn_inventory_free(inv);
    fn_vendors_free(vs);
    return rc < 0 ? 1 : b.conn_fail || b.errors ? 3 : 0;
}
